//! Intents: what the author means the policies to allow and deny, checked against what they do
//! (`moat verify`). An intents file is YAML, a list of intents (or `intents:` holding one):
//!
//! ```yaml
//! intents:
//! - name: the web tier reaches the database   # optional, shown in reports
//!   from: prod/web                            # a workload or pod: `namespace/name`, or `name` in default
//!   to: {namespace: prod, workload: db}
//!   port: 5432                                # optional: a number, or a container port name
//!   protocol: TCP                             # optional: TCP (the default with a port), UDP or SCTP
//!   expect: allow                             # or deny
//! - from: {namespace: prod}                   # every workload of a namespace
//!   to: 0.0.0.0/0                             # outside the cluster: an address or a CIDR
//!   expect: deny
//! - from: {namespaceSelector: {matchLabels: {team: a}}, podSelector: {matchLabels: {app: x}}}
//!   to: {namespace: prod, pod: db-0}
//!   port: postgres
//!   expect: allow
//! ```
//!
//! A side is a string (a workload or pod name, an IP address or a CIDR) or a mapping whose keys
//! `namespace`, `workload`, `pod`, `namespaceSelector` and `podSelector` must all hold (`{}` is every
//! workload). It stands for every workload it matches, and a CIDR for every address range of the
//! input inside it (cut as [`super::connectivity`] cuts them), so an intent covers pairs:
//!
//! - with a port, `allow` holds when every pair allows it (a named port is resolved on each
//!   destination) and `deny` when none does;
//! - without a port, `allow` holds when every pair allows something (of `protocol`, if given) and
//!   `deny` when no pair allows anything (of `protocol`).
//!
//! An intent that matches no pair fails: it checks nothing, which is never what its author meant.
//! Every pair that breaks an intent comes with the explanation of its actual verdict.

use std::net::IpAddr;

use ipnet::IpNet;
use serde::Serialize;

use super::connectivity::{AddressRange, address_ranges};
use super::explain::Explanation;
use super::flow::{Flow, PortRef, evaluate, policy_connections};
use super::workloads::Workloads;
use crate::cluster::{Cluster, EndpointId};
use crate::diagnostic::Diagnostic;
use crate::model::labels::LabelSelector;
use crate::model::policy::Direction;
use crate::model::ports::{PortSet, Protocol};
use crate::model::versions::Features;
use crate::parse::{label_selector, yaml};
use crate::source::{FileId, Location, Sources, Span};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Expect {
    Allow,
    Deny,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Intent {
    pub name: Option<String>,
    /// The intent's entry in its file.
    pub span: Span,
    pub from: Side,
    pub to: Side,
    pub port: Option<PortRef>,
    pub protocol: Option<Protocol>,
    pub expect: Expect,
}

/// One side of an intent.
#[derive(Clone, Debug, PartialEq)]
pub enum Side {
    /// A workload or pod: `namespace/name`, `name` (in `default`) or `namespace/name[Kind]`.
    Name(String),
    /// An address or a CIDR: a pod's address means its workload.
    Addresses(IpNet),
    /// Workloads with a pod that matches every condition given.
    Select {
        namespace: Option<String>,
        workload: Option<String>,
        pod: Option<String>,
        namespaces: Option<LabelSelector>,
        pods: Option<LabelSelector>,
    },
}

impl Side {
    /// How the side reads in reports: `prod/web`, `10.0.0.0/8`, `{namespace: prod, podSelector: app=db}`.
    pub fn describe(&self) -> String {
        match self {
            Side::Name(name) => name.clone(),
            Side::Addresses(net) if net.prefix_len() == net.max_prefix_len() => net.addr().to_string(),
            Side::Addresses(net) => net.to_string(),
            Side::Select { namespace, workload, pod, namespaces, pods } => {
                let parts: Vec<String> = [
                    namespace.as_ref().map(|n| format!("namespace: {n}")),
                    workload.as_ref().map(|w| format!("workload: {w}")),
                    pod.as_ref().map(|p| format!("pod: {p}")),
                    namespaces.as_ref().map(|s| format!("namespaceSelector: {}", s.describe())),
                    pods.as_ref().map(|s| format!("podSelector: {}", s.describe())),
                ]
                .into_iter()
                .flatten()
                .collect();
                if parts.is_empty() { "every workload".into() } else { format!("{{{}}}", parts.join(", ")) }
            }
        }
    }
}

const INTENT_FIELDS: &[&str] = &["name", "from", "to", "port", "protocol", "expect"];
const SELECT_FIELDS: &[&str] = &["namespace", "workload", "pod", "namespaceSelector", "podSelector"];

/// The intents of file `file` of `sources`, and the problems of those that cannot be read (each
/// intent is read on its own; a bad one does not hide the others).
pub fn parse(sources: &Sources, file: FileId, features: &Features) -> (Vec<Intent>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let Some(source) = sources.get(file) else { return (Vec::new(), diags) };
    let mut intents = Vec::new();
    for doc in yaml::parse_documents(file, source, &mut diags) {
        let list = match (&doc.value, doc.get("intents")) {
            (yaml::Value::Seq(items), _) => items.as_slice(),
            (_, Some(node)) => match &node.value {
                yaml::Value::Seq(items) => items.as_slice(),
                _ => {
                    diags.push(error(node.span, "`intents` must be a list of intents"));
                    continue;
                }
            },
            (yaml::Value::Null, None) => continue,
            _ => {
                diags.push(error(doc.span, "an intents file holds a list of intents, or `intents:` with one"));
                continue;
            }
        };
        for (i, item) in list.iter().enumerate() {
            if let Some(intent) = read_intent(item, &format!("intents[{i}]"), features, &mut diags) {
                intents.push(intent);
            }
        }
    }
    (intents, diags)
}

fn error(span: Span, message: impl Into<String>) -> Diagnostic {
    Diagnostic::error("invalid-intent", message).at(span)
}

/// The keys of a mapping that are not `known`, each reported.
fn check_fields(node: &yaml::Node, path: &str, known: &[&str], diags: &mut Vec<Diagnostic>) -> bool {
    let yaml::Value::Map(entries) = &node.value else {
        diags.push(error(node.span, format!("`{path}` must be a mapping")));
        return false;
    };
    let mut ok = true;
    for (key, _) in entries {
        let name = key.as_str().unwrap_or_default();
        if !known.contains(&name) {
            diags.push(
                error(key.span, format!("`{path}` has no field `{name}`"))
                    .help(format!("the fields are `{}`", known.join("`, `"))),
            );
            ok = false;
        }
    }
    ok
}

fn read_intent(node: &yaml::Node, path: &str, features: &Features, diags: &mut Vec<Diagnostic>) -> Option<Intent> {
    if !check_fields(node, path, INTENT_FIELDS, diags) {
        return None;
    }
    let before = diags.len();
    let text = |field: &str, diags: &mut Vec<Diagnostic>| -> Option<(String, Span)> {
        let value = node.get(field)?;
        match value.as_str() {
            Some(text) => Some((text.to_string(), value.span)),
            None => {
                diags.push(error(value.span, format!("`{path}.{field}` must be a string or a number")));
                None
            }
        }
    };
    let name = text("name", diags).map(|(name, _)| name);
    let side = |field: &str, diags: &mut Vec<Diagnostic>| match node.get(field) {
        Some(value) => read_side(value, &format!("{path}.{field}"), features, diags),
        None => {
            diags.push(
                error(node.span, format!("`{path}` has no `{field}`"))
                    .help("every intent needs `from`, `to` and `expect`"),
            );
            None
        }
    };
    let (from, to) = (side("from", diags), side("to", diags));
    let port = text("port", diags).and_then(|(port, span)| match port.parse::<PortRef>() {
        Ok(port) => Some(port),
        Err(why) => {
            diags.push(error(span, why));
            None
        }
    });
    let protocol = text("protocol", diags).and_then(|(protocol, span)| match protocol.to_ascii_uppercase().parse() {
        Ok(protocol) => Some(protocol),
        Err(why) => {
            diags.push(error(span, why));
            None
        }
    });
    let expect = match text("expect", diags) {
        Some((expect, _)) if expect == "allow" => Some(Expect::Allow),
        Some((expect, _)) if expect == "deny" => Some(Expect::Deny),
        Some((expect, span)) => {
            diags.push(error(span, format!("`{path}.expect` must be `allow` or `deny`, not `{expect}`")));
            None
        }
        None => {
            diags.push(
                error(node.span, format!("`{path}` has no `expect`")).help("write `expect: allow` or `expect: deny`"),
            );
            None
        }
    };
    if diags.len() > before {
        return None;
    }
    Some(Intent { name, span: node.span, from: from?, to: to?, port, protocol, expect: expect? })
}

fn read_side(node: &yaml::Node, path: &str, features: &Features, diags: &mut Vec<Diagnostic>) -> Option<Side> {
    if let Some(text) = node.as_str() {
        if let Ok(ip) = text.parse::<IpAddr>() {
            return Some(Side::Addresses(IpNet::from(ip)));
        }
        if let Ok(net) = text.parse::<IpNet>() {
            return Some(Side::Addresses(net.trunc()));
        }
        return Some(Side::Name(text.to_string()));
    }
    if !check_fields(node, path, SELECT_FIELDS, diags) {
        return None;
    }
    let before = diags.len();
    let name = |field: &str, diags: &mut Vec<Diagnostic>| {
        let value = node.get(field)?;
        let text = value.as_str().map(str::to_string);
        if text.is_none() {
            diags.push(error(value.span, format!("`{path}.{field}` must be a name")));
        }
        text
    };
    let (namespace, workload, pod) = (name("namespace", diags), name("workload", diags), name("pod", diags));
    let mut selector = |field: &str| {
        let value = node.get(field)?;
        let selector = label_selector(value, &format!("{path}.{field}"), features, diags);
        if selector.is_none() && !diags.iter().skip(before).any(|d| d.severity == crate::Severity::Error) {
            diags.push(error(value.span, format!("`{path}.{field}` is not a valid label selector")));
        }
        selector
    };
    let (namespaces, pods) = (selector("namespaceSelector"), selector("podSelector"));
    (diags.len() == before).then_some(Side::Select { namespace, workload, pod, namespaces, pods })
}

/// One side of one pair: a workload, or addresses outside the cluster that get one verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    Workload(usize),
    Range(AddressRange),
}

/// What became of one intent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Outcome {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub location: Location,
    pub from: String,
    pub to: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<PortRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<Protocol>,
    pub expect: Expect,
    pub holds: bool,
    /// How many pairs the intent covers.
    pub pairs: usize,
    /// Why an intent that covers no pair fails.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// Every pair that breaks the intent.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub violations: Vec<Violation>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// Workload names (`namespace/name[Kind]`), an address, or a range `first-last[External]`.
    pub from: String,
    pub to: String,
    /// What the policies allow between the two, `No Connections` when nothing.
    pub connections: String,
    /// Why, for one flow of the pair: the intent's port, or an example.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<Explanation>,
    /// Why there is no flow to explain: the destination does not declare the intent's port name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Checks every intent against the cluster; `workloads` are the cluster's.
pub fn verify(cluster: &Cluster, workloads: &Workloads, intents: &[Intent], intent_sources: &Sources) -> Vec<Outcome> {
    intents.iter().map(|intent| verify_one(cluster, workloads, intent, intent_sources)).collect()
}

fn verify_one(cluster: &Cluster, workloads: &Workloads, intent: &Intent, intent_sources: &Sources) -> Outcome {
    let froms = targets(cluster, workloads, &intent.from, Direction::Ingress);
    let tos = targets(cluster, workloads, &intent.to, Direction::Egress);
    let endpoint = |target: &Target| match target {
        Target::Workload(w) => EndpointId::Pod(workloads.list[*w].representative()),
        Target::Range(range) => range.endpoint(),
    };
    let mut pairs = 0;
    let mut violations = Vec::new();
    for from in &froms {
        for to in &tos {
            // A workload and itself, or two address ranges: no policy decides those.
            let both_outside = matches!((from, to), (Target::Range(_), Target::Range(_)));
            if from == to || both_outside {
                continue;
            }
            pairs += 1;
            let (source, destination) = (endpoint(from), endpoint(to));
            let connections = policy_connections(cluster, source, destination);
            let wanted = wanted(cluster, intent, destination);
            let holds = match (intent.expect, &wanted) {
                (Expect::Allow, Some(wanted)) if intent.port.is_some() => wanted.difference(&connections).is_empty(),
                (Expect::Allow, Some(wanted)) => wanted.intersects(&connections),
                (Expect::Deny, Some(wanted)) => !wanted.intersects(&connections),
                // A port name the destination does not declare: nothing can reach it.
                (Expect::Allow, None) => false,
                (Expect::Deny, None) => true,
            };
            if !holds {
                let (port, protocol) = example_port(cluster, intent, destination, &connections);
                let (explanation, reason) =
                    match evaluate(cluster, &Flow { from: source, to: destination, port, protocol }) {
                        Ok(verdict) => (Some(verdict.explain(cluster)), None),
                        Err(unresolved) => (None, Some(unresolved.to_string())),
                    };
                violations.push(Violation {
                    from: target_name(workloads, from),
                    to: target_name(workloads, to),
                    connections: connections.to_string(),
                    explanation,
                    reason,
                });
            }
        }
    }
    let problem = (pairs == 0).then(|| no_pair(&froms, &tos, intent));
    Outcome {
        name: intent.name.clone(),
        location: intent_sources.location(intent_sources.trim_end(intent.span)),
        from: intent.from.describe(),
        to: intent.to.describe(),
        port: intent.port.clone(),
        protocol: intent.protocol,
        expect: intent.expect,
        holds: problem.is_none() && violations.is_empty(),
        pairs,
        problem,
        violations,
    }
}

/// The ports an intent is about towards one destination; `None` for a port name the destination
/// does not declare.
fn wanted(cluster: &Cluster, intent: &Intent, destination: EndpointId) -> Option<PortSet> {
    let protocol = intent.protocol.unwrap_or(Protocol::Tcp);
    match &intent.port {
        Some(PortRef::Number(port)) => Some(PortSet::range(protocol, *port, *port)),
        Some(PortRef::Name(name)) => super::matching::ports_of(cluster, destination)
            .iter()
            .filter(|p| p.protocol == protocol && p.name.as_deref() == Some(name.as_str()))
            .map(|p| PortSet::range(protocol, p.port, p.port))
            .reduce(|a, b| a.union(&b)),
        None => Some(intent.protocol.map_or_else(PortSet::all, PortSet::protocol)),
    }
}

/// The flow that shows why a pair breaks the intent: the intent's port, or else for `deny` the first
/// allowed port and for `allow` a port the destination declares (port 80 when it declares none).
fn example_port(cluster: &Cluster, intent: &Intent, destination: EndpointId, allowed: &PortSet) -> (PortRef, Protocol) {
    let protocol = intent.protocol.unwrap_or(Protocol::Tcp);
    if let Some(port) = &intent.port {
        return (port.clone(), protocol);
    }
    let declared = || {
        super::matching::ports_of(cluster, destination).iter().find(|p| p.protocol == protocol).map_or(80, |p| p.port)
    };
    // TCP first: the example most readers expect.
    let protocols = intent.protocol.map_or(vec![Protocol::Tcp, Protocol::Udp, Protocol::Sctp], |p| vec![p]);
    let first_allowed = protocols.into_iter().find_map(|p| allowed.ranges(p).first().map(|&(lo, _)| (lo, p)));
    match (intent.expect, first_allowed) {
        (Expect::Deny, Some((port, protocol))) => (PortRef::Number(port), protocol),
        _ => (PortRef::Number(declared()), protocol),
    }
}

fn no_pair(froms: &[Target], tos: &[Target], intent: &Intent) -> String {
    match (froms.is_empty(), tos.is_empty()) {
        (true, _) => format!("`from` matches nothing in the input: {}", intent.from.describe()),
        (_, true) => format!("`to` matches nothing in the input: {}", intent.to.describe()),
        _ => "`from` and `to` match only the same workload, or only addresses outside the cluster".into(),
    }
}

fn target_name(workloads: &Workloads, target: &Target) -> String {
    match target {
        Target::Workload(w) => workloads.list[*w].id(),
        Target::Range(range) if range.first == range.last => range.ip(range.first).to_string(),
        Target::Range(range) => range.id(),
    }
}

/// The workloads or address ranges a side stands for. Addresses are cut by the `ipBlock`s of the
/// direction that judges them: sources by ingress rules, destinations by egress rules.
fn targets(cluster: &Cluster, workloads: &Workloads, side: &Side, cut_by: Direction) -> Vec<Target> {
    let of_pods = |keep: &dyn Fn(usize) -> bool| -> Vec<Target> {
        let mut found: Vec<usize> = (0..cluster.pods.len()).filter(|&p| keep(p)).map(|p| workloads.of_pod[p]).collect();
        found.sort_unstable();
        found.dedup();
        found.into_iter().map(Target::Workload).collect()
    };
    match side {
        Side::Name(name) => {
            let mut found: Vec<Target> =
                (0..workloads.list.len()).filter(|&w| workloads.list[w].is_named(name)).map(Target::Workload).collect();
            if found.is_empty() {
                found = cluster.find_pod(name).map(|p| Target::Workload(workloads.of_pod[p])).into_iter().collect();
            }
            found
        }
        Side::Addresses(net) => {
            if net.prefix_len() == net.max_prefix_len()
                && let Some(pod) = cluster.pod_by_ip(net.addr())
            {
                return vec![Target::Workload(workloads.of_pod[pod])];
            }
            let wanted = AddressRange::of(net);
            address_ranges(cluster, cut_by)
                .into_iter()
                .filter(|r| r.v6 == wanted.v6 && r.first <= wanted.last && wanted.first <= r.last)
                .map(|r| {
                    Target::Range(AddressRange { first: r.first.max(wanted.first), last: r.last.min(wanted.last), ..r })
                })
                .collect()
        }
        Side::Select { namespace, workload, pod, namespaces, pods } => of_pods(&|p| {
            let (p, w) = (&cluster.pods[p], &workloads.list[workloads.of_pod[p]]);
            namespace.as_ref().is_none_or(|ns| *ns == p.namespace)
                && workload.as_ref().is_none_or(|name| *name == w.name || *name == w.id())
                && pod.as_ref().is_none_or(|name| *name == p.name)
                && namespaces
                    .as_ref()
                    .is_none_or(|s| cluster.namespace(&p.namespace).is_some_and(|ns| s.matches(&ns.labels)))
                && pods.as_ref().is_none_or(|s| s.matches(&p.labels))
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::workloads::workloads;

    const CLUSTER: &str = "\
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: prod, labels: {app: web}}
status: {podIP: 10.0.0.1}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: prod}
spec:
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: pg, ports: [{name: postgres, containerPort: 5432}]}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: prod}
spec:
  podSelector: {matchLabels: {app: db}}
  policyTypes: [Ingress, Egress]
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}}]
    ports: [{port: postgres}]
";

    const INTENTS: &str = "\
intents:
- name: web reaches the database
  from: prod/web
  to: {namespace: prod, workload: db}
  port: postgres
  expect: allow
- from: {namespace: prod}
  to: 0.0.0.0/0
  expect: deny
- from: {podSelector: {matchLabels: {app: db}}}
  to: prod/web
  protocol: udp
  expect: deny
- from: nowhere/nothing
  to: prod/web
  expect: allow
";

    fn outcomes(intents: &str) -> (Vec<Outcome>, Vec<Diagnostic>) {
        let cluster = Cluster::from_texts([("c.yaml", CLUSTER)]);
        assert!(cluster.diagnostics.is_empty(), "{:?}", cluster.diagnostics);
        let mut sources = Sources::default();
        let file = sources.add("intents.yaml", intents);
        let (intents, diags) = parse(&sources, file, &cluster.features);
        (verify(&cluster, &workloads(&cluster), &intents, &sources), diags)
    }

    #[test]
    fn intents_hold_or_fail_with_explanations() {
        let (outcomes, diags) = outcomes(INTENTS);
        assert!(diags.is_empty(), "{diags:?}");
        let summary: Vec<(bool, usize, usize)> =
            outcomes.iter().map(|o| (o.holds, o.pairs, o.violations.len())).collect();
        // prod/web -> 0.0.0.0/0 is allowed (web is not isolated for egress); db -> web is denied
        // for egress (db has no egress rule).
        assert_eq!(summary, [(true, 1, 0), (false, 2, 1), (true, 1, 0), (false, 0, 0)]);
        let violation = &outcomes[1].violations[0];
        assert_eq!(
            (violation.from.as_str(), violation.to.as_str(), violation.connections.as_str()),
            ("prod/web[Pod]", "0.0.0.0-255.255.255.255[External]", "All Connections")
        );
        let explanation = violation.explanation.as_ref().map(|e| e.summary.as_str()).unwrap_or_default();
        assert!(explanation.starts_with("allowed: prod/web -> 0.0.0.0 TCP/1:"), "{explanation}");
        assert_eq!(outcomes[3].problem.as_deref(), Some("`from` matches nothing in the input: nowhere/nothing"));
        assert_eq!(outcomes[0].location.line, 2);
    }

    #[test]
    fn bad_intents_are_reported_one_by_one() {
        let (outcomes, diags) = outcomes(
            "- {from: a, to: b, expect: maybe}\n- {from: {label: x}, to: b, expect: deny}\n- {from: a, expect: deny}\n- {from: a, to: b, port: 0, expect: allow}\n- {from: a, to: b, expect: deny}\n",
        );
        let lines: Vec<(usize, String)> =
            diags.iter().map(|d| (d.span.map_or(0, |s| s.start), d.message.clone())).collect();
        assert_eq!(lines.len(), 4, "{lines:#?}");
        assert!(lines[0].1.contains("must be `allow` or `deny`, not `maybe`"));
        assert!(lines[1].1.contains("has no field `label`"));
        assert!(lines[2].1.contains("has no `to`"));
        assert!(lines[3].1.contains("out of range"));
        assert_eq!(outcomes.len(), 1);
    }
}
