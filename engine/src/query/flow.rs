//! The reference evaluator: one flow, judged literally by the Kubernetes rules, with every reason
//! recorded. Verdicts hold indices; [`super::explain`] turns them into text and source locations.

use serde::Serialize;

use super::matching::{PeerMismatch, PortMismatch, match_peer, match_port, node_local, ports_of, selects};
use crate::cluster::{Cluster, EndpointId, PolicyIdx};
use crate::model::policy::{Direction, NetworkPolicy};
use crate::model::ports::{PortSet, Protocol};

/// A port as the user names it: a number, or a container port name resolved on the destination.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum PortRef {
    Number(u16),
    Name(String),
}

impl std::str::FromStr for PortRef {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.parse::<u32>() {
            Ok(n) => u16::try_from(n)
                .ok()
                .filter(|&n| n > 0)
                .map(PortRef::Number)
                .ok_or_else(|| format!("port `{s}` is out of range 1-65535")),
            Err(_) => Ok(PortRef::Name(s.to_string())),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flow {
    pub from: EndpointId,
    pub to: EndpointId,
    pub port: PortRef,
    pub protocol: Protocol,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QueryError {
    /// A named port the destination does not declare for that protocol.
    UnresolvedPortName { name: String, protocol: Protocol, destination: String },
}

impl std::fmt::Display for QueryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            QueryError::UnresolvedPortName { name, protocol, destination } => {
                write!(f, "destination `{destination}` declares no {protocol} container port named `{name}`")
            }
        }
    }
}

/// Connections that need no policy at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub enum Shortcut {
    /// A pod can always reach itself.
    SamePod,
    /// Traffic between a pod and its own node is always allowed.
    NodeLocal,
}

/// How one side of the flow is governed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub enum SideStatus {
    /// An address outside the cluster's pods: NetworkPolicy does not apply to it.
    External,
    /// A hostNetwork pod: policies never select it.
    HostNetwork,
    /// No policy of this direction selects the pod: everything is allowed.
    NotIsolated,
    /// Some policy selects the pod for this direction: only what a rule allows passes.
    Isolated,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleOutcome {
    pub policy: PolicyIdx,
    pub rule: usize,
    /// The first matching peer (`Ok(None)`: the rule has no peers, so all match), or why each missed.
    pub peer: Result<Option<usize>, Vec<(usize, PeerMismatch)>>,
    /// The first matching port entry (`Ok(None)`: no ports listed, so all match), or why each missed.
    pub port: Result<Option<usize>, Vec<(usize, PortMismatch)>>,
}

impl RuleOutcome {
    pub fn allows(&self) -> bool {
        self.peer.is_ok() && self.port.is_ok()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Side {
    pub direction: Direction,
    pub status: SideStatus,
    pub allowed: bool,
    /// Policies that select the pod for this direction.
    pub isolated_by: Vec<PolicyIdx>,
    /// Every rule of those policies, in policy then rule order.
    pub rules: Vec<RuleOutcome>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub flow: Flow,
    /// The port number after resolving a name on the destination.
    pub port: u16,
    pub allowed: bool,
    pub shortcut: Option<Shortcut>,
    /// Egress at the source.
    pub egress: Side,
    /// Ingress at the destination.
    pub ingress: Side,
}

/// Judges one flow: egress allowed at the source AND ingress allowed at the destination.
pub fn evaluate(cluster: &Cluster, flow: &Flow) -> Result<Verdict, QueryError> {
    let destination_ports = ports_of(cluster, flow.to);
    let port = match &flow.port {
        PortRef::Number(n) => *n,
        PortRef::Name(name) => destination_ports
            .iter()
            .find(|p| p.protocol == flow.protocol && p.name.as_deref() == Some(name.as_str()))
            .map(|p| p.port)
            .ok_or_else(|| QueryError::UnresolvedPortName {
                name: name.clone(),
                protocol: flow.protocol,
                destination: cluster.endpoint_name(flow.to),
            })?,
    };
    let egress = side(cluster, flow, port, Direction::Egress);
    let ingress = side(cluster, flow, port, Direction::Ingress);
    let shortcut = match (flow.from, flow.to) {
        (EndpointId::Pod(a), EndpointId::Pod(b)) if a == b => Some(Shortcut::SamePod),
        (EndpointId::Pod(a), EndpointId::Pod(b)) if node_local(cluster, a, b) => Some(Shortcut::NodeLocal),
        (EndpointId::External(a), EndpointId::External(b)) if a == b => Some(Shortcut::SamePod),
        _ => None,
    };
    let allowed = shortcut.is_some() || (egress.allowed && ingress.allowed);
    Ok(Verdict { flow: flow.clone(), port, allowed, shortcut, egress, ingress })
}

/// The pod whose policies decide one side of a flow, and the endpoint its rules are matched against.
fn subject_and_peer(from: EndpointId, to: EndpointId, direction: Direction) -> (EndpointId, EndpointId) {
    match direction {
        Direction::Egress => (from, to),
        Direction::Ingress => (to, from),
    }
}

/// The status of a side, and the policies isolating it with their rules of that direction.
fn isolating(
    cluster: &Cluster,
    subject: EndpointId,
    direction: Direction,
) -> (SideStatus, Vec<(PolicyIdx, &NetworkPolicy)>) {
    let EndpointId::Pod(pod) = subject else { return (SideStatus::External, vec![]) };
    if cluster.pods[pod].host_network {
        return (SideStatus::HostNetwork, vec![]);
    }
    let policies: Vec<_> = cluster
        .policies
        .iter()
        .enumerate()
        .filter(|(_, policy)| policy.isolates(direction) && selects(cluster, policy, pod))
        .collect();
    let status = if policies.is_empty() { SideStatus::NotIsolated } else { SideStatus::Isolated };
    (status, policies)
}

fn side(cluster: &Cluster, flow: &Flow, port: u16, direction: Direction) -> Side {
    let (subject, peer) = subject_and_peer(flow.from, flow.to, direction);
    let (status, policies) = isolating(cluster, subject, direction);
    let destination_ports = ports_of(cluster, flow.to);
    let mut rules = Vec::new();
    for &(pi, policy) in &policies {
        for (ri, rule) in policy.rules(direction).iter().enumerate() {
            let peer = first_match(&rule.peers, |p| match_peer(cluster, policy, p, peer));
            let port = first_match(&rule.ports, |p| match_port(p, destination_ports, port, flow.protocol));
            rules.push(RuleOutcome { policy: pi, rule: ri, peer, port });
        }
    }
    let allowed = status != SideStatus::Isolated || rules.iter().any(RuleOutcome::allows);
    Side { direction, status, allowed, isolated_by: policies.iter().map(|&(pi, _)| pi).collect(), rules }
}

/// Every port and protocol the policies allow from one endpoint to another: what egress at the
/// source allows towards the destination, intersected with what ingress at the destination allows
/// from the source.
pub fn connections(cluster: &Cluster, from: EndpointId, to: EndpointId) -> PortSet {
    let shortcut = match (from, to) {
        (EndpointId::Pod(a), EndpointId::Pod(b)) => a == b || node_local(cluster, a, b),
        (a, b) => a == b,
    };
    if shortcut {
        return PortSet::all();
    }
    policy_connections(cluster, from, to)
}

/// What the policies allow from one endpoint to another, leaving out the traffic that needs no policy
/// (a pod to itself, a pod and its own node). Workload-level lists use this: a workload's pods run on
/// many nodes, so whether two of them share one says nothing about the workloads.
pub fn policy_connections(cluster: &Cluster, from: EndpointId, to: EndpointId) -> PortSet {
    let destination_ports = ports_of(cluster, to);
    let side = |direction| {
        let (subject, peer) = subject_and_peer(from, to, direction);
        let (status, policies) = isolating(cluster, subject, direction);
        if status != SideStatus::Isolated {
            return PortSet::all();
        }
        let mut allowed = PortSet::empty();
        for (_, policy) in policies {
            for rule in policy.rules(direction) {
                if first_match(&rule.peers, |p| match_peer(cluster, policy, p, peer)).is_ok() {
                    allowed = allowed.union(&rule.ports_at(destination_ports));
                }
            }
        }
        allowed
    };
    side(Direction::Egress).intersect(&side(Direction::Ingress))
}

/// The index of the first item that matches (`None` for an empty list, which matches everything), or
/// every item's reason for not matching.
fn first_match<T, E>(
    items: &[T],
    mut check: impl FnMut(&T) -> Result<(), E>,
) -> Result<Option<usize>, Vec<(usize, E)>> {
    if items.is_empty() {
        return Ok(None);
    }
    let mut misses = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        match check(item) {
            Ok(()) => return Ok(Some(i)),
            Err(why) => misses.push((i, why)),
        }
    }
    Err(misses)
}
