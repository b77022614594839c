//! What the views show of one cluster, computed once per edit: the endpoints (workloads and the
//! address ranges outside the cluster) with what the side panel needs, every allowed connection with
//! its ports, and the diagnostics with their positions. Every verdict comes from the engine: the
//! connections are [`reachability_with`] judged by the reference evaluator
//! ([`policy_connections`]), asked once per pair of pod classes ([`Compiled`]: pods of one class get
//! the same answers), and explanations are [`evaluate`] + [`Verdict::explain`].
//!
//! [`Verdict::explain`]: moat_engine::query::Verdict::explain

use std::cell::RefCell;
use std::collections::HashMap;
use std::net::IpAddr;

use moat_engine::cluster::{Cluster, EndpointId, PodIdx};
use moat_engine::compile::Compiled;
use moat_engine::model::labels::Labels;
use moat_engine::model::ports::{PortSet, Protocol};
use moat_engine::query::connectivity::{
    AddressRange, Connection, Connectivity, Endpoint, Node, Reachability, reachability_with,
};
use moat_engine::query::describe::policies_of_pod;
use moat_engine::query::flow::{Flow, PortRef, evaluate, policy_connections};
use moat_engine::query::matching::ports_of;
use moat_engine::query::{Explanation, lint};
use moat_engine::source::Location;
use moat_engine::{Diagnostic, Severity};

/// One endpoint of the pictures: a workload (a pod, or a controller standing for its pods) or a range
/// of addresses outside the cluster.
#[derive(Clone, Debug, PartialEq)]
pub struct EndpointInfo {
    /// `namespace/name[Kind]` or `first-last[External]`: the engine's connection-list names.
    pub id: String,
    /// `namespace/name`, or the range: what the diagram's `data-pod` / `data-external` say.
    pub key: String,
    pub namespace: Option<String>,
    pub name: String,
    /// `None` outside the cluster.
    pub kind: Option<String>,
    /// How many pods it stands for (a workload's replicas).
    pub replicas: u32,
    /// The labels of its pods (of the first one).
    pub labels: Labels,
    /// The pod whose verdicts stand for the workload.
    pub pod: Option<PodIdx>,
    /// Whether some policy isolates its pods for each direction.
    pub isolated_ingress: bool,
    pub isolated_egress: bool,
    /// For ranges: whether they appear as sources and as destinations.
    pub source: bool,
    pub destination: bool,
    node: Node,
}

impl EndpointInfo {
    pub fn is_external(&self) -> bool {
        self.kind.is_none()
    }

    /// The engine's graph endpoint.
    pub fn endpoint(&self) -> Endpoint {
        Endpoint {
            id: self.id.clone(),
            namespace: self.namespace.clone(),
            name: self.name.clone(),
            kind: self.kind.clone(),
        }
    }

    /// `shop/web`, `shop/api (Deployment ×3)`, `10.0.0.0-10.255.255.255 (outside the cluster)`.
    pub fn label(&self) -> String {
        match self.kind.as_deref() {
            None => format!("{} (outside the cluster)", self.name),
            Some("Pod") => self.key.clone(),
            Some(kind) if self.replicas > 1 => format!("{} ({kind} ×{})", self.key, self.replicas),
            Some(kind) => format!("{} ({kind})", self.key),
        }
    }
}

/// An allowed connection. Its ports are the engine's link's ([`Analysis::ports`]): a large cluster has
/// a hundred thousand links, so they are neither copied nor written out until shown.
#[derive(Clone, Debug, PartialEq)]
pub struct LinkInfo {
    /// Indexes into [`Analysis::endpoints`].
    pub from: usize,
    pub to: usize,
    /// Open because no policy isolates either side, rather than allowed by a rule.
    pub open: bool,
    /// Index into the engine's links, `reach.links`.
    link: usize,
}

/// A diagnostic or a lint finding, resolved to a file and position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub severity: Severity,
    pub code: &'static str,
    pub message: String,
    pub label: Option<String>,
    pub help: Option<String>,
    /// Lines and columns count characters, as the editor shows them.
    pub location: Option<Location>,
}

impl Problem {
    fn of(diagnostic: &Diagnostic, cluster: &Cluster) -> Problem {
        let resolved = diagnostic.resolve(&cluster.sources);
        Problem {
            severity: resolved.severity,
            code: resolved.code,
            message: resolved.message,
            label: resolved.label,
            help: resolved.help,
            location: resolved.location.filter(|l| l.line > 0),
        }
    }
}

/// Everything the views read, owned, so it outlives the edit that produced it.
#[derive(Clone, Debug)]
pub struct Analysis {
    pub reach: Reachability,
    /// Address ranges (sources, then destinations, each in address order), then workloads by name.
    pub endpoints: Vec<EndpointInfo>,
    /// In the engine's order: by source, then destination name.
    pub links: Vec<LinkInfo>,
    pub problems: Vec<Problem>,
    pub namespaces: Vec<String>,
    pub pods: usize,
    pub policies: usize,
    by_id: HashMap<String, usize>,
    by_key: HashMap<String, usize>,
    /// Pod id (`ns/name`) → the endpoint of its workload.
    by_pod: HashMap<String, usize>,
    by_pair: HashMap<(usize, usize), usize>,
}

/// A pod class, or an address outside the cluster: what the answers depend on.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Party {
    Class(usize),
    Address(IpAddr),
}

impl Analysis {
    pub fn new(cluster: &Cluster) -> Analysis {
        let compiled = Compiled::new(cluster);
        let party = |endpoint: EndpointId| match endpoint {
            EndpointId::Pod(pod) => Party::Class(compiled.class_of[pod]),
            EndpointId::External(ip) => Party::Address(ip),
        };
        let answers: RefCell<HashMap<(Party, Party), PortSet>> = RefCell::default();
        let reach = reachability_with(cluster, |from, to| {
            let key = (party(from), party(to));
            if let Some(ports) = answers.borrow().get(&key) {
                return ports.clone();
            }
            let ports = policy_connections(cluster, from, to);
            answers.borrow_mut().insert(key, ports.clone());
            ports
        });

        let mut endpoints = Vec::new();
        let mut ranges: Vec<(AddressRange, bool, bool)> = Vec::new();
        for (range, is_source) in
            reach.sources.iter().map(|r| (r, true)).chain(reach.destinations.iter().map(|r| (r, false)))
        {
            match ranges.iter_mut().find(|(r, _, _)| r == range) {
                Some(entry) => {
                    entry.1 |= is_source;
                    entry.2 |= !is_source;
                }
                None => ranges.push((*range, is_source, !is_source)),
            }
        }
        ranges.sort_by_key(|(range, _, _)| *range);
        for (range, source, destination) in ranges {
            endpoints.push(EndpointInfo {
                id: range.id(),
                key: range.to_string(),
                namespace: None,
                name: range.to_string(),
                kind: None,
                replicas: 0,
                labels: Labels::new(),
                pod: None,
                isolated_ingress: false,
                isolated_egress: false,
                source,
                destination,
                node: Node::Range(range),
            });
        }
        for (w, workload) in reach.workloads.list.iter().enumerate() {
            let pod = workload.representative();
            let policies = policies_of_pod(cluster, pod);
            endpoints.push(EndpointInfo {
                id: workload.id(),
                key: format!("{}/{}", workload.namespace, workload.name),
                namespace: Some(workload.namespace.clone()),
                name: workload.name.clone(),
                kind: Some(workload.kind.clone()),
                replicas: workload.pods.iter().map(|&p| cluster.pods[p].replicas.unwrap_or(1)).sum(),
                labels: cluster.pods[pod].labels.clone(),
                pod: Some(pod),
                isolated_ingress: !policies.ingress.is_empty(),
                isolated_egress: !policies.egress.is_empty(),
                source: true,
                destination: true,
                node: Node::Workload(w),
            });
        }
        // Workloads follow the ranges, in the engine's order.
        let range_count = endpoints.len() - reach.workloads.list.len();
        let by_range: HashMap<AddressRange, usize> = endpoints[..range_count]
            .iter()
            .enumerate()
            .filter_map(|(i, e)| match e.node {
                Node::Range(range) => Some((range, i)),
                Node::Workload(_) => None,
            })
            .collect();
        let index_of = |node: &Node| match node {
            Node::Workload(w) => Some(range_count + w),
            Node::Range(range) => by_range.get(range).copied(),
        };
        // In the engine's order: by source, then destination name.
        let links: Vec<LinkInfo> = reach
            .links
            .iter()
            .enumerate()
            .filter_map(|(index, link)| {
                let (from, to) = (index_of(&link.from)?, index_of(&link.to)?);
                let open = !endpoints[from].isolated_egress && !endpoints[to].isolated_ingress;
                Some(LinkInfo { from, to, open, link: index })
            })
            .collect();
        let by_id = endpoints.iter().enumerate().map(|(i, e)| (e.id.clone(), i)).collect();
        // A pod and a workload may share `ns/name`: the first (the pod) keeps the key.
        let mut by_key = HashMap::new();
        for (i, endpoint) in endpoints.iter().enumerate() {
            by_key.entry(endpoint.key.clone()).or_insert(i);
        }
        let by_pod = cluster
            .pods
            .iter()
            .enumerate()
            .filter_map(|(p, pod)| {
                let w = reach.workloads.of_pod.get(p)?;
                Some((pod.id.clone(), range_count + w))
            })
            .collect();
        let mut by_pair = HashMap::with_capacity(links.len());
        by_pair.extend(links.iter().enumerate().map(|(i, l)| ((l.from, l.to), i)));
        let mut problems: Vec<Problem> = cluster.diagnostics.iter().map(|d| Problem::of(d, cluster)).collect();
        problems.extend(reach.workloads.diagnostics.iter().map(|d| Problem::of(d, cluster)));
        Analysis {
            namespaces: cluster.namespaces.iter().map(|ns| ns.name.clone()).collect(),
            pods: cluster.pods.len(),
            policies: cluster.policies.len(),
            reach,
            endpoints,
            links,
            problems,
            by_id,
            by_key,
            by_pod,
            by_pair,
        }
    }

    pub fn endpoint(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    /// The endpoint the diagram names `key` (`ns/name`, or a range).
    pub fn by_key(&self, key: &str) -> Option<usize> {
        self.by_key.get(key).copied()
    }

    /// The ports a link allows.
    pub fn ports(&self, link: &LinkInfo) -> &PortSet {
        &self.reach.links[link.link].ports
    }

    /// `All Connections`, `TCP 80,443` (netpol-analyzer's wording, as `moat list` prints it).
    pub fn text(&self, link: &LinkInfo) -> String {
        self.ports(link).to_string()
    }

    /// The endpoint of the workload a pod (`ns/name`, as the engine names pods) belongs to.
    pub fn endpoint_of_pod(&self, pod: &str) -> Option<usize> {
        self.by_pod.get(pod).copied()
    }

    /// The connection from one endpoint to another, if any is allowed.
    pub fn link(&self, from: usize, to: usize) -> Option<&LinkInfo> {
        self.by_pair.get(&(from, to)).map(|&i| &self.links[i])
    }

    /// The workload endpoints (not the address ranges).
    pub fn workloads(&self) -> impl Iterator<Item = (usize, &EndpointInfo)> {
        self.endpoints.iter().enumerate().filter(|(_, e)| !e.is_external())
    }

    /// The engine's graph of some endpoints and links, in the given orders.
    pub fn connectivity(&self, endpoints: &[usize], links: &[usize]) -> Connectivity {
        Connectivity {
            endpoints: endpoints.iter().map(|&e| self.endpoints[e].endpoint()).collect(),
            connections: links
                .iter()
                .map(|&l| {
                    let link = &self.links[l];
                    Connection {
                        from: self.endpoints[link.from].id.clone(),
                        to: self.endpoints[link.to].id.clone(),
                        ports: self.text(link),
                    }
                })
                .collect(),
        }
    }

    /// The engine endpoint that stands for one of ours: the workload's representative pod, or the
    /// first address of the range.
    pub fn engine_endpoint(&self, endpoint: usize) -> EndpointId {
        match self.endpoints[endpoint].node {
            Node::Range(range) => range.endpoint(),
            Node::Workload(w) => EndpointId::Pod(self.reach.workloads.list[w].representative()),
        }
    }
}

/// Lint findings of the cluster (the engine's `moat lint`).
pub fn lint_problems(cluster: &Cluster) -> Vec<Problem> {
    lint::lint(cluster).iter().map(|d| Problem::of(d, cluster)).collect()
}

/// Which ports a view asks about: any, every port of one protocol, or one port of one protocol.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PortFilter {
    pub port: Option<u16>,
    pub protocol: Option<Protocol>,
}

impl PortFilter {
    pub fn is_any(&self) -> bool {
        self.port.is_none() && self.protocol.is_none()
    }

    /// Whether a connection set allows what the filter asks about.
    pub fn admits(&self, ports: &PortSet) -> bool {
        match (self.port, self.protocol) {
            (None, None) => !ports.is_empty(),
            (None, Some(protocol)) => !ports.ranges(protocol).is_empty(),
            (Some(port), protocol) => ports.contains(protocol.unwrap_or(Protocol::Tcp), port),
        }
    }

    /// `any port`, `UDP`, `TCP 80`.
    pub fn describe(&self) -> String {
        match (self.port, self.protocol) {
            (None, None) => "any port".into(),
            (None, Some(protocol)) => format!("any {protocol} port"),
            (Some(port), protocol) => format!("{} {port}", protocol.unwrap_or(Protocol::Tcp)),
        }
    }
}

/// The explanation of one flow between two endpoints, with the port it was asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PairExplanation {
    pub explanation: Explanation,
    /// Why this port: `the filter's port`, `a port the connection allows`, ...
    pub port_reason: String,
    /// What the pair may use in all (`No Connections` when nothing).
    pub allowed: String,
}

/// Explains the flow from one endpoint to another on the filter's port, or else on a port chosen to
/// be telling: one the connection allows (a declared container port of the destination if possible),
/// or, when nothing is allowed, a port the destination declares.
pub fn explain_pair(
    cluster: &Cluster,
    analysis: &Analysis,
    from: usize,
    to: usize,
    filter: &PortFilter,
) -> Result<PairExplanation, String> {
    let (source, destination) = (analysis.engine_endpoint(from), analysis.engine_endpoint(to));
    let allowed = analysis.link(from, to).map(|l| analysis.ports(l).clone()).unwrap_or_default();
    let declared = ports_of(cluster, destination);
    let pick = |set: &PortSet| -> Option<(Protocol, u16)> {
        declared.iter().find(|p| set.contains(p.protocol, p.port)).map(|p| (p.protocol, p.port)).or_else(|| {
            [Protocol::Tcp, Protocol::Udp, Protocol::Sctp]
                .into_iter()
                .find_map(|protocol| set.ranges(protocol).first().map(|&(lo, _)| (protocol, lo)))
        })
    };
    let (protocol, port, port_reason) = match (filter.port, filter.protocol) {
        (Some(port), protocol) => (protocol.unwrap_or(Protocol::Tcp), port, "the port of the filter".to_string()),
        (None, protocol) => {
            let wanted = match protocol {
                Some(protocol) => allowed.intersect(&PortSet::protocol(protocol)),
                None => allowed.clone(),
            };
            match pick(&wanted) {
                Some((protocol, port)) => (protocol, port, "a port the connection allows".into()),
                None => match declared.iter().find(|p| protocol.is_none_or(|wanted| wanted == p.protocol)) {
                    Some(p) => (p.protocol, p.port, "a port the destination declares".into()),
                    None => (protocol.unwrap_or(Protocol::Tcp), 80, "an example port: nothing is allowed".into()),
                },
            }
        }
    };
    let flow = Flow { from: source, to: destination, port: PortRef::Number(port), protocol };
    let verdict = evaluate(cluster, &flow).map_err(|e| e.to_string())?;
    let mut explanation = verdict.explain(cluster);
    // Name the endpoints as the pictures do, not by their representative pod or first address.
    explanation.from = analysis.endpoints[from].label();
    explanation.to = analysis.endpoints[to].label();
    Ok(PairExplanation {
        explanation,
        port_reason,
        allowed: if allowed.is_empty() { "No Connections".into() } else { allowed.to_string() },
    })
}

/// The source lines an explanation points at: the rules that decided it, the peers and ports that
/// matched, or, when nothing allowed it, the policies that isolate.
pub fn explanation_lines(explanation: &Explanation) -> Vec<Location> {
    let mut lines = Vec::new();
    for side in [&explanation.egress, &explanation.ingress] {
        let allowing: Vec<_> = side.rules.iter().filter(|r| r.allowed).collect();
        if allowing.is_empty() {
            lines.extend(side.isolated_by.iter().map(|p| p.location.clone()));
            lines.extend(side.rules.iter().map(|r| r.location.clone()));
        } else {
            for rule in allowing {
                lines.push(rule.location.clone());
                lines.extend(rule.matched.iter().filter_map(|m| m.location.clone()));
            }
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use moat_engine::query::connectivity::reachability;

    const SHOP: &str = "\
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
status: {podIP: 10.0.0.1}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec: {replicas: 3, template: {metadata: {labels: {app: api}}, spec: {containers: [{name: a, ports: [{containerPort: 8080, name: http}]}]}}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}}]
    ports: [{port: http}]
  - from: [{ipBlock: {cidr: 192.168.0.0/16}}]
";

    fn shop() -> Cluster {
        Cluster::from_texts([("shop.yaml", SHOP)])
    }

    #[test]
    fn endpoints_links_and_kinds() {
        let cluster = shop();
        let analysis = Analysis::new(&cluster);
        let ids: Vec<&str> = analysis.endpoints.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "0.0.0.0-192.167.255.255[External]",
                "0.0.0.0-255.255.255.255[External]",
                "192.168.0.0-192.168.255.255[External]",
                "192.169.0.0-255.255.255.255[External]",
                "shop/api[Deployment]",
                "shop/web[Pod]"
            ]
        );
        let api = analysis.endpoint("shop/api[Deployment]").unwrap_or(usize::MAX);
        let web = analysis.endpoint("shop/web[Pod]").unwrap_or(usize::MAX);
        assert_eq!(analysis.endpoints[api].replicas, 3);
        assert_eq!(analysis.endpoints[api].label(), "shop/api (Deployment ×3)");
        assert!(analysis.endpoints[api].isolated_ingress && !analysis.endpoints[web].isolated_ingress);
        let into_api = analysis.link(web, api).map(|l| (analysis.text(l), l.open));
        assert_eq!(into_api, Some(("TCP 8080".to_string(), false)));
        assert_eq!(analysis.link(api, web).map(|l| l.open), Some(true));
        assert!(analysis.endpoints[0].source && !analysis.endpoints[0].destination);
        assert!(analysis.endpoints[1].destination);
    }

    /// The class cache changes nothing: the same links as the engine's own reachability.
    #[test]
    fn links_equal_the_reference_reachability_on_every_example() {
        for entry in crate::examples::catalog().iter().filter(|e| e.id != "demo-300") {
            let Some(example) = crate::examples::load(entry.id) else { continue };
            let cluster = Cluster::from_texts(example.files);
            let analysis = Analysis::new(&cluster);
            assert_eq!(analysis.reach, reachability(&cluster), "{}", entry.id);
        }
    }

    #[test]
    fn explanations_pick_telling_ports_and_point_at_lines() {
        let cluster = shop();
        let analysis = Analysis::new(&cluster);
        let api = analysis.endpoint("shop/api[Deployment]").unwrap_or(usize::MAX);
        let web = analysis.endpoint("shop/web[Pod]").unwrap_or(usize::MAX);
        let any = PortFilter::default();
        let allowed = explain_pair(&cluster, &analysis, web, api, &any).unwrap_or_else(|e| panic!("{e}"));
        assert!(allowed.explanation.allowed);
        assert_eq!((allowed.explanation.port, allowed.allowed.as_str()), (8080, "TCP 8080"));
        assert_eq!(allowed.explanation.to, "shop/api (Deployment ×3)");
        let lines: Vec<usize> = explanation_lines(&allowed.explanation).iter().map(|l| l.line).collect();
        assert_eq!(lines, [17, 17, 18], "the rule, its peer and its port");
        let udp = PortFilter { port: Some(53), protocol: Some(Protocol::Udp) };
        let denied = explain_pair(&cluster, &analysis, web, api, &udp).unwrap_or_else(|e| panic!("{e}"));
        assert!(!denied.explanation.allowed);
        assert!(
            denied.explanation.summary.starts_with("denied: shop/web -> shop/api"),
            "{}",
            denied.explanation.summary
        );
        assert!(explanation_lines(&denied.explanation).iter().any(|l| l.line == 11), "the isolating policy");
    }

    #[test]
    fn port_filters() {
        let tcp80 = PortSet::range(Protocol::Tcp, 80, 80);
        assert!(PortFilter::default().admits(&tcp80) && !PortFilter::default().admits(&PortSet::empty()));
        assert!(PortFilter { port: Some(80), protocol: None }.admits(&tcp80));
        assert!(!PortFilter { port: Some(80), protocol: Some(Protocol::Udp) }.admits(&tcp80));
        assert!(!PortFilter { port: None, protocol: Some(Protocol::Udp) }.admits(&tcp80));
        assert_eq!(PortFilter { port: Some(53), protocol: Some(Protocol::Udp) }.describe(), "UDP 53");
    }
}
