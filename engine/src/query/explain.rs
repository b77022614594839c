//! Verdicts made readable: every policy, rule, peer and port entry named with its source location and
//! a sentence. This is the wire form of `moat explain --output json` and what the text view prints.

use serde::Serialize;

use super::flow::{PortRef, RuleOutcome, Shortcut, Side, SideStatus, Verdict};
use super::matching::{PeerMismatch, PortMismatch};
use crate::cluster::{Cluster, EndpointId};
use crate::model::policy::{Direction, NetworkPolicy, Peer, PeerKind};
use crate::model::ports::Protocol;
use crate::source::Location;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct Explanation {
    pub from: String,
    pub to: String,
    pub port: u16,
    #[serde(rename = "portName", skip_serializing_if = "Option::is_none")]
    pub port_name: Option<String>,
    pub protocol: Protocol,
    pub allowed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shortcut: Option<Shortcut>,
    /// One sentence: the verdict and the deciding reason.
    pub summary: String,
    pub egress: SideExplanation,
    pub ingress: SideExplanation,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct SideExplanation {
    pub direction: Direction,
    /// The endpoint whose policies decide this side.
    pub endpoint: String,
    pub status: SideStatus,
    pub allowed: bool,
    #[serde(rename = "isolatedBy")]
    pub isolated_by: Vec<PolicyMention>,
    pub rules: Vec<RuleExplanation>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct PolicyMention {
    pub policy: String,
    pub location: Location,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct RuleExplanation {
    pub policy: String,
    /// `ingress[0]`, `egress[2]`.
    pub rule: String,
    pub allowed: bool,
    pub location: Location,
    /// When allowed: the peer and port entries that matched (absent lists match everything).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub matched: Vec<Element>,
    /// When not allowed: why each peer or port entry missed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missed: Vec<Element>,
}

/// A peer or port entry of a rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct Element {
    /// `from[1]`, `ports[0]`, or `from` / `ports` for an absent list.
    pub field: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    pub text: String,
}

impl Verdict {
    pub fn explain(&self, cluster: &Cluster) -> Explanation {
        let egress = explain_side(cluster, self, &self.egress);
        let ingress = explain_side(cluster, self, &self.ingress);
        let summary = summary(cluster, self);
        Explanation {
            from: cluster.endpoint_name(self.flow.from),
            to: cluster.endpoint_name(self.flow.to),
            port: self.port,
            port_name: match &self.flow.port {
                PortRef::Name(n) => Some(n.clone()),
                PortRef::Number(_) => None,
            },
            protocol: self.flow.protocol,
            allowed: self.allowed,
            shortcut: self.shortcut,
            summary,
            egress,
            ingress,
        }
    }

    /// Policies with at least one rule that allowed this flow, either side (`ns/name`, sorted).
    pub fn allowed_by(&self, cluster: &Cluster) -> Vec<String> {
        let mut names: Vec<String> = [&self.egress, &self.ingress]
            .into_iter()
            .filter(|s| s.status == SideStatus::Isolated)
            .flat_map(|s| s.rules.iter().filter(|r| r.allows()).map(|r| cluster.policies[r.policy].id()))
            .collect();
        names.sort();
        names.dedup();
        names
    }
}

fn summary(cluster: &Cluster, v: &Verdict) -> String {
    let flow = format!(
        "{} -> {} {}/{}",
        cluster.endpoint_name(v.flow.from),
        cluster.endpoint_name(v.flow.to),
        v.flow.protocol,
        v.port
    );
    match v.shortcut {
        Some(Shortcut::SamePod) => return format!("allowed: {flow}: traffic from a pod to itself is always allowed"),
        Some(Shortcut::NodeLocal) => {
            return format!("allowed: {flow}: traffic between a pod and its own node is always allowed");
        }
        None => {}
    }
    let side_text = |s: &Side| match s.status {
        SideStatus::External => "not a pod".to_string(),
        SideStatus::HostNetwork => "hostNetwork (never selected)".to_string(),
        SideStatus::NotIsolated => format!("not isolated for {}", s.direction.as_str()),
        SideStatus::Isolated if s.allowed => {
            let by: Vec<String> =
                s.rules.iter().filter(|r| r.allows()).map(|r| rule_name(cluster, r, s.direction)).collect();
            format!("{} allowed by {}", s.direction.as_str(), by.join(", "))
        }
        SideStatus::Isolated => {
            let by: Vec<String> = s.isolated_by.iter().map(|&p| cluster.policies[p].id()).collect();
            format!("isolated for {} by {} and no rule allows it", s.direction.as_str(), by.join(", "))
        }
    };
    let verdict = if v.allowed { "allowed" } else { "denied" };
    format!("{verdict}: {flow}: source {}; destination {}", side_text(&v.egress), side_text(&v.ingress))
}

fn rule_name(cluster: &Cluster, r: &RuleOutcome, direction: Direction) -> String {
    format!("{} {}[{}]", cluster.policies[r.policy].id(), direction.as_str(), r.rule)
}

fn explain_side(cluster: &Cluster, v: &Verdict, side: &Side) -> SideExplanation {
    let (subject, other) = match side.direction {
        Direction::Egress => (v.flow.from, v.flow.to),
        Direction::Ingress => (v.flow.to, v.flow.from),
    };
    // Ranges end at the last character of what they name, so that line ranges are exact.
    let loc = |span| cluster.sources.location(cluster.sources.trim_end(span));
    let rules = side
        .rules
        .iter()
        .map(|r| {
            let policy = &cluster.policies[r.policy];
            let rule = &policy.rules(side.direction)[r.rule];
            let peers_field = side.direction.peers_field();
            let mut matched = Vec::new();
            let mut missed = Vec::new();
            match &r.peer {
                Ok(None) => matched.push(Element {
                    field: peers_field.into(),
                    location: None,
                    text: format!("no `{peers_field}` list: every peer"),
                }),
                Ok(Some(i)) => matched.push(Element {
                    field: format!("{peers_field}[{i}]"),
                    location: Some(loc(rule.peers[*i].span)),
                    text: format!(
                        "{} matches {}",
                        describe_peer(policy, &rule.peers[*i]),
                        cluster.endpoint_name(other)
                    ),
                }),
                Err(misses) => missed.extend(misses.iter().map(|(i, why)| Element {
                    field: format!("{peers_field}[{i}]"),
                    location: Some(loc(rule.peers[*i].span)),
                    text: peer_mismatch_text(cluster, policy, &rule.peers[*i], other, why),
                })),
            }
            match &r.port {
                Ok(None) => matched.push(Element {
                    field: "ports".into(),
                    location: None,
                    text: "no `ports` list: every port and protocol".into(),
                }),
                Ok(Some(i)) => matched.push(Element {
                    field: format!("ports[{i}]"),
                    location: Some(loc(rule.ports[*i].span)),
                    text: format!("{} matches {}/{}", rule.ports[*i].describe(), v.flow.protocol, v.port),
                }),
                Err(misses) => missed.extend(misses.iter().map(|(i, why)| Element {
                    field: format!("ports[{i}]"),
                    location: Some(loc(rule.ports[*i].span)),
                    text: port_mismatch_text(cluster, v, &rule.ports[*i].describe(), why),
                })),
            }
            if r.allows() {
                missed.clear();
            }
            RuleExplanation {
                policy: policy.id(),
                rule: format!("{}[{}]", side.direction.as_str(), r.rule),
                allowed: r.allows(),
                location: loc(rule.span),
                matched: if r.allows() { matched } else { Vec::new() },
                missed,
            }
        })
        .collect();
    SideExplanation {
        direction: side.direction,
        endpoint: cluster.endpoint_name(subject),
        status: side.status,
        allowed: side.allowed,
        isolated_by: side
            .isolated_by
            .iter()
            .map(|&p| PolicyMention { policy: cluster.policies[p].id(), location: loc(cluster.policies[p].span) })
            .collect(),
        rules,
    }
}

/// `podSelector app=web in namespace prod`, `ipBlock 10.0.0.0/8 except 10.1.0.0/16`.
pub fn describe_peer(policy: &NetworkPolicy, peer: &Peer) -> String {
    match &peer.kind {
        PeerKind::IpBlock(block) => format!("ipBlock `{}`", block.describe()),
        PeerKind::Selectors { pods, namespaces } => {
            let pods_text =
                pods.as_ref().map_or("every pod".to_string(), |s| format!("pods matching `{}`", s.describe()));
            match namespaces {
                None => format!("{pods_text} in namespace `{}`", policy.namespace),
                Some(ns) if ns.is_empty() => format!("{pods_text} in every namespace"),
                Some(ns) => format!("{pods_text} in namespaces matching `{}`", ns.describe()),
            }
        }
    }
}

fn labels_text(labels: &crate::model::labels::Labels) -> String {
    if labels.is_empty() {
        return "no labels".into();
    }
    labels.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")
}

fn peer_mismatch_text(
    cluster: &Cluster,
    policy: &NetworkPolicy,
    peer: &Peer,
    other: EndpointId,
    why: &PeerMismatch,
) -> String {
    let name = cluster.endpoint_name(other);
    let ip = match other {
        EndpointId::External(ip) => ip.to_string(),
        EndpointId::Pod(p) => cluster.pods[p].ips.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "),
    };
    match (why, other, &peer.kind) {
        (PeerMismatch::NotAPod, _, _) => {
            format!("{}: `{name}` is not a pod of the cluster", describe_peer(policy, peer))
        }
        (PeerMismatch::HostNetwork, _, _) => format!("`{name}` uses the host network; selectors never match it"),
        (PeerMismatch::OtherNamespace, EndpointId::Pod(p), _) => format!(
            "`{name}` is in namespace `{}`; a `podSelector` without `namespaceSelector` only selects pods in `{}`",
            cluster.pods[p].namespace, policy.namespace
        ),
        (PeerMismatch::NamespaceSelector, EndpointId::Pod(p), PeerKind::Selectors { namespaces: Some(sel), .. }) => {
            let ns = cluster.pod_namespace(p);
            format!(
                "namespace `{}` ({}) does not match namespaceSelector `{}`",
                ns.name,
                labels_text(&ns.labels),
                sel.describe()
            )
        }
        (PeerMismatch::PodSelector, EndpointId::Pod(p), PeerKind::Selectors { pods: Some(sel), .. }) => {
            format!(
                "`{name}` ({}) does not match podSelector `{}`",
                labels_text(&cluster.pods[p].labels),
                sel.describe()
            )
        }
        (PeerMismatch::NoIp, _, _) => format!("`{name}` has no IP address, so no ipBlock matches it"),
        (PeerMismatch::NotInCidr, _, PeerKind::IpBlock(b)) => format!("`{ip}` is outside ipBlock `{}`", b.cidr),
        (PeerMismatch::Excepted(net), _, PeerKind::IpBlock(b)) => {
            format!("`{ip}` is inside ipBlock `{}` but excluded by except `{net}`", b.cidr)
        }
        _ => format!("{} does not match `{name}`", describe_peer(policy, peer)),
    }
}

fn port_mismatch_text(cluster: &Cluster, v: &Verdict, entry: &str, why: &PortMismatch) -> String {
    let dst = cluster.endpoint_name(v.flow.to);
    match why {
        PortMismatch::Protocol => format!("{entry}: the flow is {}", v.flow.protocol),
        PortMismatch::OutOfRange => format!("{entry} does not include {}/{}", v.flow.protocol, v.port),
        PortMismatch::NameNotDeclared => {
            format!("{entry}: `{dst}` declares no such {} container port", v.flow.protocol)
        }
        PortMismatch::NameOtherNumber(numbers) => {
            let n: Vec<String> = numbers.iter().map(ToString::to_string).collect();
            format!("{entry} is {} on `{dst}`, not {}", n.join(", "), v.port)
        }
    }
}
