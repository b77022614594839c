//! Every allowed connection between the endpoints of the input, with the ports it may use: the data
//! behind `moat list`, `moat diff`, `moat verify` and the reachability diagram ([`crate::render::svg`]).
//!
//! Endpoints are the [workloads](super::workloads) and, outside the cluster, address ranges. The
//! `ipBlock`s of the policies' ingress rules cut the address space into the ranges that may open
//! connections towards the cluster, and those of egress rules into the ranges the cluster may reach:
//! every address of one range gets the same verdicts, so each range is one endpoint. Without any IPv4
//! `ipBlock` in a direction, all of IPv4 is one range; IPv6 appears only when some `ipBlock` of that
//! direction is IPv6. This is netpol-analyzer's model, so `moat list` can print its lines exactly.
//!
//! Each pair is judged by one call of a connection function ([`reachability_with`]); [`reachability`]
//! uses the reference evaluator, [`flow::policy_connections`]. A workload's representative pod stands
//! for the workload, and the first address of a range for the range. Traffic that needs no policy
//! (between a pod and its own node) is left out: a workload's pods run on many nodes.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;
use serde::Serialize;

use super::flow;
use super::workloads::{Workloads, workloads};
use crate::cluster::{Cluster, EndpointId};
use crate::model::ip::IpBlock;
use crate::model::policy::{Direction, PeerKind};
use crate::model::ports::PortSet;

/// The reachability of a cluster between workloads and address ranges, with connection sets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reachability {
    pub workloads: Workloads,
    /// Ranges outside the cluster that may be sources: cut by the `ipBlock`s of ingress rules.
    pub sources: Vec<AddressRange>,
    /// Ranges outside the cluster that may be destinations: cut by the `ipBlock`s of egress rules.
    pub destinations: Vec<AddressRange>,
    /// Every pair with a non-empty connection set, sorted by the names of source and destination. A
    /// workload's connections to itself are left out: they need no policy.
    pub links: Vec<Link>,
    /// The workloads a [`focus`](Reachability::focus) kept; empty when unfocused.
    pub focus: Vec<usize>,
}

/// An endpoint of a [`Link`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Node {
    /// An index into [`Workloads::list`].
    Workload(usize),
    Range(AddressRange),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    pub from: Node,
    pub to: Node,
    pub ports: PortSet,
}

/// The reachability of `cluster`, judged by the reference evaluator.
pub fn reachability(cluster: &Cluster) -> Reachability {
    reachability_with(cluster, |from, to| flow::policy_connections(cluster, from, to))
}

/// The reachability of `cluster` with `connections` judging each pair: any function that gives the
/// same sets as [`flow::policy_connections`] (a compiled, class-based evaluator) can replace it.
pub fn reachability_with(cluster: &Cluster, connections: impl Fn(EndpointId, EndpointId) -> PortSet) -> Reachability {
    let workloads = workloads(cluster);
    let sources = address_ranges(cluster, Direction::Ingress);
    let destinations = address_ranges(cluster, Direction::Egress);
    let pod = |w: usize| EndpointId::Pod(workloads.list[w].representative());
    let mut links = Vec::new();
    let mut add = |from: Node, to: Node, ports: PortSet| {
        if !ports.is_empty() {
            links.push(Link { from, to, ports });
        }
    };
    for w in 0..workloads.list.len() {
        for range in &sources {
            add(Node::Range(*range), Node::Workload(w), connections(range.endpoint(), pod(w)));
        }
        for range in &destinations {
            add(Node::Workload(w), Node::Range(*range), connections(pod(w), range.endpoint()));
        }
        for other in (0..workloads.list.len()).filter(|&other| other != w) {
            add(Node::Workload(w), Node::Workload(other), connections(pod(w), pod(other)));
        }
    }
    let mut reachability = Reachability { workloads, sources, destinations, links, focus: Vec::new() };
    reachability.sort();
    reachability
}

impl Reachability {
    /// `ns/name[Kind]` for a workload, `first-last[External]` for a range: netpol-analyzer's names.
    pub fn name(&self, node: &Node) -> String {
        match node {
            Node::Workload(w) => self.workloads.list[*w].id(),
            Node::Range(range) => range.id(),
        }
    }

    fn sort(&mut self) {
        let links = std::mem::take(&mut self.links);
        let mut keyed: Vec<((String, String), Link)> =
            links.into_iter().map(|link| ((self.name(&link.from), self.name(&link.to)), link)).collect();
        keyed.sort_by(|a, b| a.0.cmp(&b.0));
        self.links = keyed.into_iter().map(|(_, link)| link).collect();
    }

    /// Only the connections of the workloads named in `names` (`name`, `namespace/name` or
    /// `namespace/name[Kind]`), into them (`Some(Ingress)`), out of them (`Some(Egress)`) or both.
    /// Fails with the names that match no workload.
    pub fn focus(&self, names: &[String], direction: Option<Direction>) -> Result<Reachability, Vec<String>> {
        let unknown: Vec<String> =
            names.iter().filter(|n| !self.workloads.list.iter().any(|w| w.is_named(n))).cloned().collect();
        if !unknown.is_empty() {
            return Err(unknown);
        }
        let focus: Vec<usize> = (0..self.workloads.list.len())
            .filter(|&w| names.iter().any(|n| self.workloads.list[w].is_named(n)))
            .collect();
        let focused = |node: &Node| matches!(node, Node::Workload(w) if focus.contains(w));
        let links = self
            .links
            .iter()
            .filter(|link| match direction {
                None => focused(&link.from) || focused(&link.to),
                Some(Direction::Ingress) => focused(&link.to),
                Some(Direction::Egress) => focused(&link.from),
            })
            .cloned()
            .collect();
        Ok(Reachability { links, focus, ..self.clone() })
    }

    /// The endpoints to show: every workload (only the focused ones after a focus), then every
    /// endpoint of a link; address ranges first, in address order, then workloads by name.
    pub fn nodes(&self) -> Vec<Node> {
        let shown = |w: &usize| self.focus.is_empty() || self.focus.contains(w);
        let mut nodes: BTreeSet<Node> = (0..self.workloads.list.len()).filter(shown).map(Node::Workload).collect();
        nodes.extend(self.links.iter().flat_map(|link| [link.from, link.to]));
        let (mut ranges, workloads): (Vec<Node>, Vec<Node>) =
            nodes.into_iter().partition(|node| matches!(node, Node::Range(_)));
        ranges.extend(workloads);
        ranges
    }

    /// The serializable graph: what `moat list --output json` prints and the diagram draws.
    pub fn connectivity(&self) -> Connectivity {
        let endpoints = self
            .nodes()
            .iter()
            .map(|node| match node {
                Node::Workload(w) => {
                    let workload = &self.workloads.list[*w];
                    Endpoint {
                        id: workload.id(),
                        namespace: Some(workload.namespace.clone()),
                        name: workload.name.clone(),
                        kind: Some(workload.kind.clone()),
                    }
                }
                Node::Range(range) => Endpoint { id: range.id(), namespace: None, name: range.to_string(), kind: None },
            })
            .collect();
        let connections = self
            .links
            .iter()
            .map(|link| Connection {
                from: self.name(&link.from),
                to: self.name(&link.to),
                ports: link.ports.to_string(),
            })
            .collect();
        Connectivity { endpoints, connections }
    }
}

/// A reachability graph: endpoints in display order (address ranges first, then workloads by name) and
/// the allowed connections between them, sorted by source then destination.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct Connectivity {
    pub endpoints: Vec<Endpoint>,
    pub connections: Vec<Connection>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null))]
pub struct Endpoint {
    /// `namespace/name[Kind]` of a workload, or `first-last[External]` for an address range.
    pub id: String,
    /// `None` outside the cluster.
    pub namespace: Option<String>,
    /// The workload's name, or the range, `first-last`.
    pub name: String,
    /// `Deployment`, `ReplicaSet`, `Pod`, ...; `None` outside the cluster.
    pub kind: Option<String>,
}

impl Endpoint {
    pub fn is_external(&self) -> bool {
        self.kind.is_none()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct Connection {
    /// Endpoint ids.
    pub from: String,
    pub to: String,
    /// netpol-analyzer's wording: `All Connections`, `TCP 80,443,UDP 53`.
    pub ports: String,
}

/// The reachability graph of a cluster, as [`Reachability::connectivity`].
pub fn connectivity(cluster: &Cluster) -> Connectivity {
    reachability(cluster).connectivity()
}

/// An inclusive range of addresses of one family, as integers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AddressRange {
    /// IPv4 ranges sort first.
    pub v6: bool,
    pub first: u128,
    pub last: u128,
}

/// The address space cut at the edges of the `ipBlock`s of one direction's rules, IPv4 first, in
/// address order. A block is cut where its addresses begin and end: `0.0.0.0/0` except `10.0.0.0/9`
/// and `10.128.0.0/9` leaves out `10.0.0.0-10.255.255.255` in one piece, as netpol-analyzer sees it.
pub fn address_ranges(cluster: &Cluster, direction: Direction) -> Vec<AddressRange> {
    let blocks =
        cluster.policies.iter().flat_map(|policy| policy.rules(direction)).flat_map(|rule| &rule.peers).filter_map(
            |peer| match &peer.kind {
                PeerKind::IpBlock(block) => Some(block),
                PeerKind::Selectors { .. } => None,
            },
        );
    let mut starts: [BTreeSet<u128>; 2] = [BTreeSet::from([0]), BTreeSet::from([0])];
    let mut has_v6 = false;
    for range in blocks.flat_map(AddressRange::of_block) {
        has_v6 |= range.v6;
        range.cut(&mut starts[usize::from(range.v6)]);
    }
    let families: &[bool] = if has_v6 { &[false, true] } else { &[false] };
    families.iter().flat_map(|&v6| AddressRange::between(v6, &starts[usize::from(v6)])).collect()
}

impl AddressRange {
    pub fn of(net: &IpNet) -> AddressRange {
        match net {
            IpNet::V4(net) => AddressRange {
                v6: false,
                first: u128::from(u32::from(net.network())),
                last: u128::from(u32::from(net.broadcast())),
            },
            IpNet::V6(net) => {
                AddressRange { v6: true, first: u128::from(net.network()), last: u128::from(net.broadcast()) }
            }
        }
    }

    /// The addresses of a block, `cidr` minus `except`, as the fewest ranges in address order.
    pub fn of_block(block: &IpBlock) -> Vec<AddressRange> {
        let mut holes: Vec<AddressRange> = block.except.iter().map(AddressRange::of).collect();
        holes.sort();
        let cidr = AddressRange::of(&block.cidr);
        let mut out = Vec::new();
        // The first address not yet covered by a range or a hole; `None` past the end of the family.
        let mut next = Some(cidr.first);
        for hole in holes {
            let Some(from) = next else { break };
            if hole.first > from {
                out.push(AddressRange { first: from, last: hole.first - 1, ..cidr });
            }
            next = hole.last.checked_add(1).map(|after| after.max(from));
        }
        if let Some(from) = next.filter(|&from| from <= cidr.last) {
            out.push(AddressRange { first: from, last: cidr.last, ..cidr });
        }
        out
    }

    /// Every address of a family.
    pub fn all(v6: bool) -> AddressRange {
        let max = if v6 { u128::MAX } else { u128::from(u32::MAX) };
        AddressRange { v6, first: 0, last: max }
    }

    /// Adds the boundaries of this range to a set of range starts.
    pub fn cut(&self, starts: &mut BTreeSet<u128>) {
        starts.insert(self.first);
        if self.last < AddressRange::all(self.v6).last {
            starts.insert(self.last + 1);
        }
    }

    /// The ranges of a family that begin at `starts` (which include 0) and run to the next start.
    pub fn between(v6: bool, starts: &BTreeSet<u128>) -> Vec<AddressRange> {
        let starts: Vec<u128> = starts.iter().copied().collect();
        let max = AddressRange::all(v6).last;
        (0..starts.len())
            .map(|i| AddressRange { v6, first: starts[i], last: starts.get(i + 1).map_or(max, |next| next - 1) })
            .collect()
    }

    pub fn ip(&self, value: u128) -> IpAddr {
        if self.v6 {
            IpAddr::V6(Ipv6Addr::from(value))
        } else {
            // Within an IPv4 range every value fits in 32 bits.
            IpAddr::V4(Ipv4Addr::from(u32::try_from(value).unwrap_or(u32::MAX)))
        }
    }

    /// The address that stands for the range: every address of it gets the same verdicts.
    pub fn endpoint(&self) -> EndpointId {
        EndpointId::External(self.ip(self.first))
    }

    /// `first-last[External]`.
    pub fn id(&self) -> String {
        format!("{self}[External]")
    }
}

impl std::fmt::Display for AddressRange {
    /// `first-last`, as netpol-analyzer prints ranges (even when they are one CIDR block).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.ip(self.first), self.ip(self.last))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFESTS: &str = "\
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: prod, labels: {app: web}}
status: {podIP: 10.0.0.1}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: prod, labels: {app: db}}
status: {podIP: 10.0.0.2}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: dev}
spec: {template: {metadata: {labels: {app: api}}}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: prod}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}}]
    ports: [{port: 5432}]
  - from: [{ipBlock: {cidr: 172.16.0.0/12, except: [172.16.1.0/24]}}]
";

    fn graph(text: &str) -> Connectivity {
        let cluster = Cluster::from_texts([("c.yaml", text)]);
        assert!(cluster.diagnostics.is_empty(), "{:?}", cluster.diagnostics);
        connectivity(&cluster)
    }

    fn edges(graph: &Connectivity) -> Vec<String> {
        graph.connections.iter().map(|c| format!("{} => {} : {}", c.from, c.to, c.ports)).collect()
    }

    #[test]
    fn ingress_ip_blocks_cut_the_sources_and_workloads_are_endpoints() {
        let graph = graph(MANIFESTS);
        let ids: Vec<&str> = graph.endpoints.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "0.0.0.0-172.15.255.255[External]",
                "0.0.0.0-255.255.255.255[External]",
                "172.16.0.0-172.16.0.255[External]",
                "172.16.1.0-172.16.1.255[External]",
                "172.16.2.0-172.31.255.255[External]",
                "172.32.0.0-255.255.255.255[External]",
                "dev/api[Deployment]",
                "prod/db[Pod]",
                "prod/web[Pod]"
            ]
        );
        assert_eq!(graph.endpoints[6].kind.as_deref(), Some("Deployment"));
        assert!(graph.endpoints[0].is_external() && !graph.endpoints[7].is_external());
        let all = edges(&graph);
        for expected in [
            "172.16.0.0-172.16.0.255[External] => prod/db[Pod] : All Connections",
            "172.16.2.0-172.31.255.255[External] => prod/db[Pod] : All Connections",
            "prod/web[Pod] => prod/db[Pod] : TCP 5432",
            "prod/db[Pod] => dev/api[Deployment] : All Connections",
            // Without egress ipBlocks, the destinations are all of IPv4.
            "prod/db[Pod] => 0.0.0.0-255.255.255.255[External] : All Connections",
        ] {
            assert!(all.contains(&expected.to_string()), "{expected} in {all:#?}");
        }
        assert!(!all.iter().any(|e| e.starts_with("172.16.1.0-172.16.1.255[External] => prod/db")));
        assert!(!all.iter().any(|e| e.starts_with("dev/api[Deployment] => prod/db")));
        // 3 workloads: 6 ordered pairs minus the denied api -> db; 5 source ranges x 3 workloads minus
        // the 3 ranges kept from db; 1 destination range x 3 workloads.
        assert_eq!(all.len(), 5 + 12 + 3);
    }

    #[test]
    fn focus_keeps_the_connections_of_the_named_workloads() -> Result<(), Vec<String>> {
        let cluster = Cluster::from_texts([("c.yaml", MANIFESTS)]);
        let all = reachability(&cluster);
        let into_db = all.focus(&["prod/db".into()], Some(Direction::Ingress))?;
        let names: Vec<String> = into_db.links.iter().map(|l| all.name(&l.from)).collect();
        assert_eq!(
            names,
            ["172.16.0.0-172.16.0.255[External]", "172.16.2.0-172.31.255.255[External]", "prod/web[Pod]"]
        );
        assert_eq!(into_db.connectivity().endpoints.len(), 3 + 1);
        // Out: to web and to the one destination range; in: from db, web and the 5 source ranges.
        assert_eq!(all.focus(&["api".into()], None)?.links.len(), 2 + 7);
        assert_eq!(all.focus(&["nope".into(), "db".into()], None), Err(vec!["nope".to_string()]));
        Ok(())
    }

    #[test]
    fn without_ip_blocks_ipv4_is_one_endpoint() {
        let graph = graph("apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nstatus: {podIP: 10.0.0.1}\n");
        assert_eq!(
            edges(&graph),
            [
                "0.0.0.0-255.255.255.255[External] => default/a[Pod] : All Connections",
                "default/a[Pod] => 0.0.0.0-255.255.255.255[External] : All Connections"
            ]
        );
    }

    #[test]
    fn ipv6_appears_with_ipv6_blocks_of_that_direction() {
        let cluster = Cluster::from_texts([(
            "c.yaml",
            "\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to: [{ipBlock: {cidr: 10.0.0.1/32}}, {ipBlock: {cidr: 'fd00::/8'}}]
",
        )]);
        let labels = |ranges: Vec<AddressRange>| ranges.iter().map(ToString::to_string).collect::<Vec<_>>();
        assert_eq!(
            labels(address_ranges(&cluster, Direction::Egress)),
            [
                "0.0.0.0-10.0.0.0",
                "10.0.0.1-10.0.0.1",
                "10.0.0.2-255.255.255.255",
                "::-fcff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                "fd00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                "fe00::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
            ]
        );
        assert_eq!(labels(address_ranges(&cluster, Direction::Ingress)), ["0.0.0.0-255.255.255.255"]);
        let block = |cidr: &str, except: &[&str]| IpBlock {
            cidr: cidr.parse().unwrap_or(IpNet::V4(Default::default())),
            except: except.iter().filter_map(|e| e.parse().ok()).collect(),
        };
        let pieces = |b: IpBlock| AddressRange::of_block(&b).iter().map(ToString::to_string).collect::<Vec<_>>();
        assert_eq!(
            pieces(block("0.0.0.0/0", &["10.0.0.0/9", "10.128.0.0/9", "172.21.0.0/16"])),
            ["0.0.0.0-9.255.255.255", "11.0.0.0-172.20.255.255", "172.22.0.0-255.255.255.255"]
        );
        assert_eq!(pieces(block("10.0.0.0/8", &["10.0.0.0/9"])), ["10.128.0.0-10.255.255.255"]);
        assert_eq!(pieces(block("::/0", &["8000::/1"])), ["::-7fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"]);
        let range = AddressRange { v6: false, first: 5, last: 6 };
        assert_eq!(range.id(), "0.0.0.5-0.0.0.6[External]");
    }
}
