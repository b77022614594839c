//! The all-pairs reachability matrix, computed with pod bitsets: each selector and peer is matched
//! once per pod, each rule once per port, and each pair costs two bit lookups. Tested cell by cell
//! against the reference evaluator ([`super::flow`]).

use serde::Serialize;

use super::bitset::BitSet;
use super::matching::{match_peer, match_port, node_local, selects};
use crate::cluster::{Cluster, EndpointId, PodIdx};
use crate::model::policy::{Direction, NetworkPolicy, Rule};
use crate::model::ports::{PortSet, Protocol};

/// Rows are sources, columns destinations, both in `pods` order (namespace, then name).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null))]
pub struct Matrix {
    /// `None`: a cell is true when some port of some protocol is allowed.
    pub port: Option<u16>,
    pub protocol: Option<Protocol>,
    pub pods: Vec<String>,
    pub allowed: Vec<Vec<bool>>,
}

/// Which ports a matrix asks about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PortQuery {
    One(u16, Protocol),
    Any,
}

/// The rules of one direction that apply to one pod, with their peers as bitsets.
struct Applicable<'c> {
    /// `None`: the pod is not isolated in this direction.
    rules: Option<Vec<(&'c Rule, usize)>>,
}

struct Compiled<'c> {
    /// Per rule (indexed as in `rules`): the pods its peers match.
    peers: Vec<BitSet>,
    rules: Vec<&'c Rule>,
    ingress: Vec<Applicable<'c>>,
    egress: Vec<Applicable<'c>>,
}

fn compile(cluster: &Cluster) -> Compiled<'_> {
    let n = cluster.pods.len();
    let mut peers = Vec::new();
    let mut rules = Vec::new();
    let mut ingress: Vec<Applicable<'_>> = (0..n).map(|_| Applicable { rules: None }).collect();
    let mut egress: Vec<Applicable<'_>> = (0..n).map(|_| Applicable { rules: None }).collect();
    for policy in &cluster.policies {
        let selected: Vec<PodIdx> = (0..n).filter(|&p| selects(cluster, policy, p)).collect();
        for (direction, table) in [(Direction::Ingress, &mut ingress), (Direction::Egress, &mut egress)] {
            if !policy.isolates(direction) {
                continue;
            }
            let first = rules.len();
            for rule in policy.rules(direction) {
                peers.push(peer_pods(cluster, policy, rule));
                rules.push(rule);
            }
            for &pod in &selected {
                let list = table[pod].rules.get_or_insert_with(Vec::new);
                list.extend((first..rules.len()).map(|i| (rules[i], i)));
            }
        }
    }
    Compiled { peers, rules, ingress, egress }
}

/// The pods matched by any peer of a rule (all pods when it lists none).
fn peer_pods(cluster: &Cluster, policy: &NetworkPolicy, rule: &Rule) -> BitSet {
    let n = cluster.pods.len();
    if rule.peers.is_empty() {
        return BitSet::full(n);
    }
    let mut set = BitSet::new(n);
    for pod in 0..n {
        if rule.peers.iter().any(|peer| match_peer(cluster, policy, peer, EndpointId::Pod(pod)).is_ok()) {
            set.insert(pod);
        }
    }
    set
}

pub fn matrix(cluster: &Cluster, query: PortQuery) -> Matrix {
    let compiled = compile(cluster);
    let n = cluster.pods.len();
    let allowed = match query {
        PortQuery::One(port, protocol) => {
            Box::new(one_port(cluster, &compiled, port, protocol)) as Box<dyn Fn(PodIdx, PodIdx) -> bool>
        }
        PortQuery::Any => Box::new(any_port(cluster, &compiled)),
    };
    let allowed =
        (0..n).map(|s| (0..n).map(|d| s == d || node_local(cluster, s, d) || allowed(s, d)).collect()).collect();
    let (port, protocol) = match query {
        PortQuery::One(port, protocol) => (Some(port), Some(protocol)),
        PortQuery::Any => (None, None),
    };
    Matrix { port, protocol, pods: cluster.pods.iter().map(|p| p.id.clone()).collect(), allowed }
}

fn rule_allows_port(
    rule: &Rule,
    destination: &[crate::model::workload::ContainerPort],
    port: u16,
    protocol: Protocol,
) -> bool {
    rule.ports.is_empty() || rule.ports.iter().any(|p| match_port(p, destination, port, protocol).is_ok())
}

/// One port: per destination the allowed sources, per source the allowed destinations, as bitsets.
fn one_port<'a>(
    cluster: &'a Cluster,
    c: &Compiled<'_>,
    port: u16,
    protocol: Protocol,
) -> impl Fn(PodIdx, PodIdx) -> bool + 'a {
    let n = cluster.pods.len();
    let ingress: Vec<BitSet> = (0..n)
        .map(|dst| match &c.ingress[dst].rules {
            None => BitSet::full(n),
            Some(rules) => {
                let mut set = BitSet::new(n);
                for &(rule, i) in rules {
                    if rule_allows_port(rule, &cluster.pods[dst].ports, port, protocol) {
                        set.union_with(&c.peers[i]);
                    }
                }
                set
            }
        })
        .collect();
    // Destinations each egress rule admits on this port (named ports differ per destination).
    let port_ok: Vec<BitSet> = c
        .rules
        .iter()
        .map(|rule| {
            let mut set = BitSet::new(n);
            for dst in 0..n {
                if rule_allows_port(rule, &cluster.pods[dst].ports, port, protocol) {
                    set.insert(dst);
                }
            }
            set
        })
        .collect();
    let egress: Vec<BitSet> = (0..n)
        .map(|src| match &c.egress[src].rules {
            None => BitSet::full(n),
            Some(rules) => {
                let mut set = BitSet::new(n);
                for &(_, i) in rules {
                    set.union_with_intersection(&c.peers[i], &port_ok[i]);
                }
                set
            }
        })
        .collect();
    move |s, d| egress[s].contains(d) && ingress[d].contains(s)
}

/// Any port: some port allowed by an egress rule must also be allowed by an ingress rule. The
/// connection sets are unions, so it is enough that one egress rule's ports meet one ingress rule's;
/// no union is ever built. Port sets are computed once per rule (per destination for named ports).
fn any_port<'a>(cluster: &'a Cluster, c: &'a Compiled<'_>) -> impl Fn(PodIdx, PodIdx) -> bool + 'a {
    let n = cluster.pods.len();
    let all = PortSet::all();
    let rule_ports: Vec<RulePorts> = c
        .rules
        .iter()
        .map(|rule| {
            let named = rule.ports.iter().any(|p| matches!(p.port, crate::model::policy::PortSpec::Named(_)));
            if named {
                RulePorts::PerDestination((0..n).map(|d| rule.ports_at(&cluster.pods[d].ports)).collect())
            } else {
                RulePorts::Fixed(rule.ports_at(&[]))
            }
        })
        .collect();
    move |s, d| {
        // The port sets of the rules of one side whose peers include `peer`, towards `d`.
        let sets = |rules: &'a Option<Vec<(&Rule, usize)>>, peer: PodIdx| -> Option<Vec<&PortSet>> {
            rules.as_ref().map(|rules| {
                rules.iter().filter(|(_, i)| c.peers[*i].contains(peer)).map(|(_, i)| rule_ports[*i].at(d)).collect()
            })
        };
        match (sets(&c.egress[s].rules, d), sets(&c.ingress[d].rules, s)) {
            (None, None) => true,
            (Some(one), None) | (None, Some(one)) => one.iter().any(|set| set.intersects(&all)),
            (Some(egress), Some(ingress)) => egress.iter().any(|e| ingress.iter().any(|i| e.intersects(i))),
        }
    }
}

/// A rule's ports: the same for every destination, or resolved per destination (named ports).
enum RulePorts {
    Fixed(PortSet),
    PerDestination(Vec<PortSet>),
}

impl RulePorts {
    fn at(&self, destination: PodIdx) -> &PortSet {
        match self {
            RulePorts::Fixed(set) => set,
            RulePorts::PerDestination(sets) => &sets[destination],
        }
    }
}
