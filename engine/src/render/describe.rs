//! `describe`: which policies isolate a pod, and what a policy selects and allows, in plain words.
//!
//! The description types are the wire form of `moat describe --output json`; [`pod_text`] and
//! [`policy_text`] print them for a terminal.

use std::fmt::Write;
use std::net::IpAddr;

use serde::Serialize;

use super::file_line;
use crate::cluster::{Cluster, PodIdx, PolicyIdx};
use crate::model::labels::Labels;
use crate::model::policy::{Direction, NetworkPolicy, Rule};
use crate::model::workload::{ContainerPort, PodKind};
use crate::query::describe::{pods_of_policy, policies_of_pod};
use crate::query::explain::{PolicyMention, describe_peer};
use crate::source::Location;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct PodDescription {
    pub pod: String,
    pub kind: PodKind,
    pub location: Location,
    #[cfg_attr(feature = "typescript", tsify(type = "Record<string, string>"))]
    pub labels: Labels,
    #[cfg_attr(feature = "typescript", tsify(type = "string[]"))]
    pub ips: Vec<IpAddr>,
    pub ports: Vec<ContainerPort>,
    /// Policies never select hostNetwork pods, so both lists are then empty.
    #[serde(rename = "hostNetwork")]
    pub host_network: bool,
    /// The policies that isolate the pod for ingress (empty: not isolated, everything may come in).
    pub ingress: Vec<PolicyMention>,
    pub egress: Vec<PolicyMention>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null))]
pub struct PolicyDescription {
    pub policy: String,
    pub location: Location,
    /// What it selects, e.g. ``pods matching `app=db` in namespace `prod` ``.
    pub selects: String,
    /// What the policy allows in: `from ... on TCP 6379`, `nothing allowed`; `None` when it does not
    /// isolate ingress (after defaulting `policyTypes`).
    pub ingress: Option<String>,
    pub egress: Option<String>,
    /// The parts above in one line: `selects ...; ingress: ...; egress: ...`.
    pub summary: String,
    /// The pods it selects.
    pub pods: Vec<String>,
}

pub fn describe_pod(cluster: &Cluster, pod: PodIdx) -> PodDescription {
    let p = &cluster.pods[pod];
    let policies = policies_of_pod(cluster, pod);
    let mentions = |ids: Vec<String>| -> Vec<PolicyMention> {
        // Policy ids are unique: a later definition of the same policy replaces the earlier one.
        ids.iter()
            .filter_map(|id| cluster.policies.iter().find(|policy| policy.id() == *id))
            .map(|policy| PolicyMention { policy: policy.id(), location: cluster.sources.location(policy.span) })
            .collect()
    };
    PodDescription {
        pod: p.id.clone(),
        kind: p.kind,
        location: cluster.sources.location(p.span),
        labels: p.labels.clone(),
        ips: p.ips.clone(),
        ports: p.ports.clone(),
        host_network: p.host_network,
        ingress: mentions(policies.ingress),
        egress: mentions(policies.egress),
    }
}

pub fn describe_policy(cluster: &Cluster, policy: PolicyIdx) -> PolicyDescription {
    let p = &cluster.policies[policy];
    let selects = if p.pod_selector.is_empty() {
        format!("every pod in namespace `{}`", p.namespace)
    } else {
        format!("pods matching `{}` in namespace `{}`", p.pod_selector.describe(), p.namespace)
    };
    let allows = |direction| p.isolates(direction).then(|| allows_text(p, direction));
    let (ingress, egress) = (allows(Direction::Ingress), allows(Direction::Egress));
    let mut summary = format!("selects {selects}");
    for (direction, allows) in [(Direction::Ingress, &ingress), (Direction::Egress, &egress)] {
        if let Some(allows) = allows {
            let _ = write!(summary, "; {}: {allows}", direction.as_str());
        }
    }
    PolicyDescription {
        policy: p.id(),
        location: cluster.sources.location(p.span),
        selects,
        ingress,
        egress,
        summary,
        pods: pods_of_policy(cluster, policy).into_iter().map(|pod| cluster.pods[pod].id.clone()).collect(),
    }
}

/// ```text
/// Pod prod/db (cluster.yaml:12)
///   labels: app=db
///   IPs: 10.0.0.1
///   ports: TCP 5432 (postgres)
///   ingress: isolated by
///     prod/db-allow-api (cluster.yaml:40)
///   egress: not isolated: no policy selects it for egress
/// ```
pub fn pod_text(pod: &PodDescription) -> String {
    let mut out = format!("{} {} ({})\n", pod.kind.as_str(), pod.pod, file_line(&pod.location));
    let labels: Vec<String> = pod.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let ips: Vec<String> = pod.ips.iter().map(ToString::to_string).collect();
    let ports: Vec<String> = pod
        .ports
        .iter()
        .map(|p| match &p.name {
            Some(name) => format!("{} {} ({name})", p.protocol, p.port),
            None => format!("{} {}", p.protocol, p.port),
        })
        .collect();
    let _ = writeln!(out, "  labels: {}", or_none(&labels));
    let _ = writeln!(out, "  IPs: {}", or_none(&ips));
    let _ = writeln!(out, "  ports: {}", or_none(&ports));
    if pod.host_network {
        let _ = writeln!(out, "  uses the host network: policies never select it");
        return out;
    }
    for (direction, mentions) in [(Direction::Ingress, &pod.ingress), (Direction::Egress, &pod.egress)] {
        if mentions.is_empty() {
            let _ = writeln!(out, "  {0}: not isolated: no policy selects it for {0}", direction.as_str());
            continue;
        }
        let _ = writeln!(out, "  {}: isolated by", direction.as_str());
        for mention in mentions {
            let _ = writeln!(out, "    {} ({})", mention.policy, file_line(&mention.location));
        }
    }
    out
}

/// ```text
/// NetworkPolicy prod/db-allow-api (cluster.yaml:40)
///   selects pods matching `app=db` in namespace `prod`
///   ingress: from pods matching `app=api` in namespace `prod` on TCP 5432
///   selected pods (1):
///     prod/db
/// ```
pub fn policy_text(policy: &PolicyDescription) -> String {
    let mut out = format!("NetworkPolicy {} ({})\n", policy.policy, file_line(&policy.location));
    let _ = writeln!(out, "  selects {}", policy.selects);
    for (direction, allows) in [(Direction::Ingress, &policy.ingress), (Direction::Egress, &policy.egress)] {
        let _ = match allows {
            Some(allows) => writeln!(out, "  {}: {allows}", direction.as_str()),
            None => writeln!(out, "  {}: not isolated by this policy", direction.as_str()),
        };
    }
    let _ = writeln!(out, "  selected pods ({}):", policy.pods.len());
    for pod in &policy.pods {
        let _ = writeln!(out, "    {pod}");
    }
    out
}

/// What the rules of one direction allow: `nothing allowed`, or each rule's text joined by `, and`.
fn allows_text(policy: &NetworkPolicy, direction: Direction) -> String {
    let rules = policy.rules(direction);
    if rules.is_empty() {
        return "nothing allowed".into();
    }
    rules.iter().map(|rule| rule_text(policy, rule, direction)).collect::<Vec<_>>().join(", and ")
}

/// `from pods matching ..., or every pod in namespaces matching ..., on TCP 6379`.
fn rule_text(policy: &NetworkPolicy, rule: &Rule, direction: Direction) -> String {
    let preposition = match direction {
        Direction::Ingress => "from",
        Direction::Egress => "to",
    };
    let peers = match rule.peers.len() {
        0 => "anywhere".to_string(),
        1 => describe_peer(policy, &rule.peers[0]),
        // The comma before `on` keeps the port list from reading as part of the last peer.
        _ => {
            format!("{},", rule.peers.iter().map(|peer| describe_peer(policy, peer)).collect::<Vec<_>>().join(", or "))
        }
    };
    let ports = if rule.ports.is_empty() {
        "every port".to_string()
    } else {
        rule.ports.iter().map(|port| port.describe()).collect::<Vec<_>>().join(" or ")
    };
    format!("{preposition} {peers} on {ports}")
}

fn or_none(items: &[String]) -> String {
    if items.is_empty() { "none".into() } else { items.join(", ") }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFESTS: &str = "\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: test-network-policy, namespace: prod}
spec:
  podSelector: {matchLabels: {role: db}}
  policyTypes: [Ingress, Egress]
  ingress:
  - from:
    - ipBlock: {cidr: 172.17.0.0/16, except: [172.17.1.0/24]}
    - namespaceSelector: {matchLabels: {project: myproject}}
    - podSelector: {matchLabels: {role: frontend}}
    ports:
    - {protocol: TCP, port: 6379}
  - ports: [{port: metrics}, {protocol: UDP}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: prod}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: prod, labels: {role: db}}
spec: {containers: [{name: redis, ports: [{containerPort: 6379}, {name: metrics, containerPort: 9121}]}]}
status: {podIP: 10.0.0.1}
---
apiVersion: v1
kind: Pod
metadata: {name: node-agent, namespace: prod}
spec: {hostNetwork: true}
";

    fn cluster() -> Cluster {
        let cluster = Cluster::from_texts([("c.yaml", MANIFESTS)]);
        assert!(cluster.diagnostics.is_empty(), "{:?}", cluster.diagnostics);
        cluster
    }

    #[test]
    fn policy_in_plain_words() {
        let cluster = cluster();
        assert_eq!(
            policy_text(&describe_policy(&cluster, 1)),
            "NetworkPolicy prod/test-network-policy (c.yaml:1)
  selects pods matching `role=db` in namespace `prod`
  ingress: from ipBlock `172.17.0.0/16 except 172.17.1.0/24`, or every pod in namespaces matching `project=myproject`, or pods matching `role=frontend` in namespace `prod`, on TCP 6379, and from anywhere on TCP port named `metrics` or UDP (all ports)
  egress: nothing allowed
  selected pods (1):
    prod/db
"
        );
        assert_eq!(
            describe_policy(&cluster, 0).summary,
            "selects every pod in namespace `prod`; ingress: nothing allowed; egress: nothing allowed"
        );
    }

    #[test]
    fn pod_with_its_isolating_policies() {
        let cluster = cluster();
        assert_eq!(
            pod_text(&describe_pod(&cluster, 0)),
            "Pod prod/db (c.yaml:23)
  labels: role=db
  IPs: 10.0.0.1
  ports: TCP 6379, TCP 9121 (metrics)
  ingress: isolated by
    prod/deny-all (c.yaml:16)
    prod/test-network-policy (c.yaml:1)
  egress: isolated by
    prod/deny-all (c.yaml:16)
    prod/test-network-policy (c.yaml:1)
"
        );
        assert_eq!(
            pod_text(&describe_pod(&cluster, 1)),
            "Pod prod/node-agent (c.yaml:29)
  labels: none
  IPs: none
  ports: none
  uses the host network: policies never select it
"
        );
    }
}
