//! NetworkPolicy matching semantics, one pod or address at a time. Both the reference evaluator and
//! the fast paths call these, so the meaning of a selector, peer or port lives in one place.

use std::net::IpAddr;

use ipnet::IpNet;

use crate::cluster::{Cluster, EndpointId, PodIdx};
use crate::model::policy::{NetworkPolicy, Peer, PeerKind, PortRule, PortSpec};
use crate::model::ports::Protocol;
use crate::model::workload::ContainerPort;

/// Whether `policy` applies to `pod`: same namespace, pod selector matches. hostNetwork pods share
/// the node's network namespace, so policies never select them.
pub fn selects(cluster: &Cluster, policy: &NetworkPolicy, pod: PodIdx) -> bool {
    let p = &cluster.pods[pod];
    !p.host_network && p.namespace == policy.namespace && policy.pod_selector.matches(&p.labels)
}

/// Why a peer did not match an endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PeerMismatch {
    /// A selector peer and an address outside the cluster's pods.
    NotAPod,
    /// A selector peer and a hostNetwork pod (its traffic is the node's).
    HostNetwork,
    /// `podSelector` alone means the policy's own namespace.
    OtherNamespace,
    NamespaceSelector,
    PodSelector,
    /// ipBlock and an endpoint without any IP.
    NoIp,
    NotInCidr,
    Excepted(IpNet),
}

/// Matches a rule peer against an endpoint.
pub fn match_peer(
    cluster: &Cluster,
    policy: &NetworkPolicy,
    peer: &Peer,
    endpoint: EndpointId,
) -> Result<(), PeerMismatch> {
    match (&peer.kind, endpoint) {
        (PeerKind::Selectors { pods, namespaces }, EndpointId::Pod(pod)) => {
            let p = &cluster.pods[pod];
            if p.host_network {
                return Err(PeerMismatch::HostNetwork);
            }
            match namespaces {
                None if p.namespace != policy.namespace => return Err(PeerMismatch::OtherNamespace),
                Some(sel) if !sel.matches(&cluster.pod_namespace(pod).labels) => {
                    return Err(PeerMismatch::NamespaceSelector);
                }
                _ => {}
            }
            match pods {
                Some(sel) if !sel.matches(&p.labels) => Err(PeerMismatch::PodSelector),
                _ => Ok(()),
            }
        }
        (PeerKind::Selectors { .. }, EndpointId::External(_)) => Err(PeerMismatch::NotAPod),
        (PeerKind::IpBlock(block), EndpointId::Pod(pod)) => {
            let ips = &cluster.pods[pod].ips;
            if ips.is_empty() {
                return Err(PeerMismatch::NoIp);
            }
            // A dual-stack pod matches when any of its addresses does.
            let mut why = PeerMismatch::NotInCidr;
            for &ip in ips {
                match match_ip(block, ip) {
                    Ok(()) => return Ok(()),
                    Err(excepted @ PeerMismatch::Excepted(_)) => why = excepted,
                    Err(_) => {}
                }
            }
            Err(why)
        }
        (PeerKind::IpBlock(block), EndpointId::External(ip)) => match_ip(block, ip),
    }
}

fn match_ip(block: &crate::model::ip::IpBlock, ip: IpAddr) -> Result<(), PeerMismatch> {
    if !block.cidr.contains(&ip) {
        return Err(PeerMismatch::NotInCidr);
    }
    block.excluded_by(ip).map_or(Ok(()), |net| Err(PeerMismatch::Excepted(*net)))
}

/// Why a rule's port entry did not match a flow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PortMismatch {
    Protocol,
    OutOfRange,
    /// The destination declares no container port of that name and protocol.
    NameNotDeclared,
    /// The destination declares the name, for other numbers.
    NameOtherNumber(Vec<u16>),
}

/// Matches a port entry against a flow to a destination with the given container ports (none for an
/// external address). Named ports resolve on the destination, for ingress and egress alike.
pub fn match_port(
    rule: &PortRule,
    destination: &[ContainerPort],
    port: u16,
    protocol: Protocol,
) -> Result<(), PortMismatch> {
    if rule.protocol != protocol {
        return Err(PortMismatch::Protocol);
    }
    match &rule.port {
        PortSpec::All => Ok(()),
        PortSpec::Range(lo, hi) => {
            if (*lo..=*hi).contains(&port) {
                Ok(())
            } else {
                Err(PortMismatch::OutOfRange)
            }
        }
        PortSpec::Named(name) => {
            let mut numbers = destination
                .iter()
                .filter(|p| p.protocol == protocol && p.name.as_deref() == Some(name.as_str()))
                .map(|p| p.port)
                .peekable();
            if numbers.peek().is_none() {
                return Err(PortMismatch::NameNotDeclared);
            }
            let numbers: Vec<u16> = numbers.collect();
            if numbers.contains(&port) { Ok(()) } else { Err(PortMismatch::NameOtherNumber(numbers)) }
        }
    }
}

/// The container ports of an endpoint (none for external addresses).
pub fn ports_of(cluster: &Cluster, endpoint: EndpointId) -> &[ContainerPort] {
    match endpoint {
        EndpointId::Pod(p) => &cluster.pods[p].ports,
        EndpointId::External(_) => &[],
    }
}

/// Traffic between a pod and its own node is always allowed: here, a hostNetwork pod (which is the
/// node's network namespace) and a pod scheduled on the same node.
pub fn node_local(cluster: &Cluster, a: PodIdx, b: PodIdx) -> bool {
    let (pa, pb) = (&cluster.pods[a], &cluster.pods[b]);
    (pa.host_network || pb.host_network) && pa.node.is_some() && pa.node == pb.node
}
