//! From the engine's [`Cluster`] to the desired nftables state for the pods of one node.
//!
//! Layout of the `inet moat` table, per direction (`ingress`, `egress`):
//!
//! - a base chain on the `forward` hook: `ct state established,related accept`, then a verdict map
//!   from local pod address (destination for ingress, source for egress) to a group chain. Pods
//!   that no policy isolates in that direction are not in the map and pass;
//! - one group chain per distinct set of policies isolating some local pods: a `jump` to each
//!   policy's chain, then `goto` the deny chain. Pods selected by the same policies share it;
//! - one chain per policy: a rule per (policy rule, peer, port kind) that accepts. Peers are shared
//!   sets (see [`peers`]); numeric ports are anonymous `protocol . port` interval sets; named ports
//!   are `address . protocol . port` sets resolved on each destination pod;
//! - a deny chain: the denied-packets counter of the pod, an optional rate-limited NFLOG sample, drop.
//!
//! An `accept` ends only its own base chain, so traffic between two local pods passes egress of the
//! source and then ingress of the destination: the engine's "egress AND ingress". Traffic between a
//! pod and its own node never crosses `forward`, so it is always allowed, as is a pod's traffic
//! to itself (it never leaves the pod).

mod names;
mod peers;
mod ranges;

use std::collections::BTreeMap;
use std::net::IpAddr;

use moat_engine::Cluster;
use moat_engine::cluster::{PodIdx, PolicyIdx};
use moat_engine::model::policy::{Direction, NetworkPolicy, PortSpec};
use moat_engine::model::ports::{PortSet, Protocol};
use moat_engine::model::workload::PodKind;
use moat_engine::query::matching::selects;
use serde::Serialize;

use crate::nft::{
    AddressField, Chain, ChainRole, Counter, Family, Key, PeerMatch, PortMatch, Rule, Ruleset, Set, SetKind, Value,
};
pub use peers::attributed_addresses;
use peers::{PortScope, SetBuilder, trim_comment};

pub const DIRECTIONS: [Direction; 2] = [Direction::Ingress, Direction::Egress];

/// Egress is evaluated first, so a packet both sides deny is counted at its source.
const EGRESS_PRIORITY: i32 = 0;
const INGRESS_PRIORITY: i32 = 1;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// Pods whose `spec.nodeName` is this are local; `None`: every pod is.
    pub node: Option<String>,
    /// Send a rate-limited sample of denied packets to this NFLOG group.
    pub denied_log: Option<DeniedLog>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeniedLog {
    pub group: u16,
    pub per_second: u32,
}

/// The desired state and what it was computed for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Compiled {
    pub ruleset: Ruleset,
    pub local_pods: Vec<LocalPod>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LocalPod {
    /// `namespace/name`.
    pub id: String,
    pub addresses: Vec<IpAddr>,
    pub isolated_ingress: bool,
    pub isolated_egress: bool,
}

impl LocalPod {
    pub fn isolated(&self, direction: Direction) -> bool {
        match direction {
            Direction::Ingress => self.isolated_ingress,
            Direction::Egress => self.isolated_egress,
        }
    }

    /// The name of this pod's denied-packets counter for a direction.
    pub fn denied_counter(&self, direction: Direction) -> String {
        names::denied_counter(direction, &self.id)
    }
}

/// Pods this node enforces: real pods (not workloads) with an address, not on the host network.
pub fn local_pods(cluster: &Cluster, node: Option<&str>) -> Vec<PodIdx> {
    (0..cluster.pods.len())
        .filter(|&i| {
            let p = &cluster.pods[i];
            p.kind == PodKind::Pod
                && !p.host_network
                && node.is_none_or(|n| p.node.as_deref() == Some(n))
                && attributed_addresses(cluster, i).next().is_some()
        })
        .collect()
}

pub fn compile(cluster: &Cluster, options: &Options) -> Compiled {
    let local = local_pods(cluster, options.node.as_deref());
    let mut sets = SetBuilder::new(cluster, &local);
    let mut ruleset = Ruleset::default();
    let mut isolated: BTreeMap<(PodIdx, Direction), bool> = BTreeMap::new();
    for direction in DIRECTIONS {
        let groups = groups(cluster, &local, direction);
        for pods in groups.values() {
            isolated.extend(pods.iter().map(|&p| ((p, direction), true)));
        }
        compile_direction(cluster, options, direction, &groups, &mut sets, &mut ruleset);
    }
    ruleset.sets.append(&mut sets.sets);
    let local_pods = local
        .iter()
        .map(|&p| LocalPod {
            id: cluster.pods[p].id.clone(),
            addresses: attributed_addresses(cluster, p).collect(),
            isolated_ingress: isolated.contains_key(&(p, Direction::Ingress)),
            isolated_egress: isolated.contains_key(&(p, Direction::Egress)),
        })
        .collect();
    Compiled { ruleset, local_pods }
}

/// Local pods isolated in `direction`, grouped by the exact list of policies isolating them.
fn groups(cluster: &Cluster, local: &[PodIdx], direction: Direction) -> BTreeMap<Vec<PolicyIdx>, Vec<PodIdx>> {
    let mut groups: BTreeMap<Vec<PolicyIdx>, Vec<PodIdx>> = BTreeMap::new();
    for &pod in local {
        let policies: Vec<PolicyIdx> = (0..cluster.policies.len())
            .filter(|&i| {
                let policy = &cluster.policies[i];
                policy.isolates(direction) && selects(cluster, policy, pod)
            })
            .collect();
        if !policies.is_empty() {
            groups.entry(policies).or_default().push(pod);
        }
    }
    groups
}

fn compile_direction(
    cluster: &Cluster,
    options: &Options,
    direction: Direction,
    groups: &BTreeMap<Vec<PolicyIdx>, Vec<PodIdx>>,
    sets: &mut SetBuilder<'_>,
    ruleset: &mut Ruleset,
) {
    // The field holding the local pod's address, and the one holding the peer's.
    let (own, peer_field) = match direction {
        Direction::Ingress => (AddressField::Destination, AddressField::Source),
        Direction::Egress => (AddressField::Source, AddressField::Destination),
    };
    let deny = names::deny_chain(direction);
    let mut dispatch = Family::BOTH
        .map(|f| Set::new(SetKind::VerdictMap(f), format!("{} group chain of each isolated pod", direction.as_str())));
    let mut counter_maps = Family::BOTH.map(|f| {
        Set::new(SetKind::CounterMap(f), format!("{} denied-packets counter of each isolated pod", direction.as_str()))
    });
    for (policies, pods) in groups {
        let ids: Vec<String> = policies.iter().map(|&p| cluster.policies[p].id()).collect();
        let group = names::group_chain(direction, &ids);
        let mut rules = Vec::new();
        for (&p, id) in policies.iter().zip(&ids) {
            let name = names::policy_chain(direction, id);
            if !ruleset.chains.contains_key(&name) {
                let chain = policy_chain(&cluster.policies[p], direction, peer_field, sets);
                ruleset.chains.insert(name.clone(), chain);
            }
            rules.push(Rule::Jump(name));
        }
        rules.push(Rule::Goto(deny.clone()));
        let comment = trim_comment(&format!("pods isolated for {} by {}", direction.as_str(), ids.join(", ")));
        ruleset.chains.insert(group.clone(), Chain { role: ChainRole::Group, priority: None, comment, rules });
        for &pod in pods {
            let id = &cluster.pods[pod].id;
            let (counter, declaration) = denied_counter(direction, id);
            ruleset.counters.insert(counter.clone(), declaration);
            for ip in attributed_addresses(cluster, pod) {
                let family = Family::of(ip) as usize;
                dispatch[family].elements.insert(Key::Address(ip), Some(Value::Goto(group.clone())));
                counter_maps[family].elements.insert(Key::Address(ip), Some(Value::Counter(counter.clone())));
            }
        }
    }
    let mut deny_rules: Vec<Rule> = Family::BOTH
        .iter()
        .map(|&family| Rule::CountDenied { family, field: own, map: names::counter_map(direction, family) })
        .collect();
    if let Some(log) = options.denied_log {
        deny_rules.push(Rule::LogDenied {
            group: log.group,
            prefix: log_prefix(direction),
            per_second: log.per_second,
        });
    }
    deny_rules.push(Rule::Drop);
    let deny_comment = format!("count, sample and drop what no {} rule allows", direction.as_str());
    ruleset
        .chains
        .insert(deny, Chain { role: ChainRole::Deny, priority: None, comment: deny_comment, rules: deny_rules });

    let mut base_rules = vec![Rule::AcceptEstablished];
    for (family, (map, counters)) in Family::BOTH.into_iter().zip(dispatch.into_iter().zip(counter_maps)) {
        let name = names::dispatch_map(direction, family);
        base_rules.push(Rule::Dispatch { family, field: own, map: name.clone() });
        ruleset.sets.insert(name, map);
        ruleset.sets.insert(names::counter_map(direction, family), counters);
    }
    let priority = match direction {
        Direction::Ingress => INGRESS_PRIORITY,
        Direction::Egress => EGRESS_PRIORITY,
    };
    let comment = format!("{} policy of local pods", direction.as_str());
    ruleset.chains.insert(
        names::base_chain(direction),
        Chain { role: ChainRole::Base, priority: Some(priority), comment, rules: base_rules },
    );
}

/// A pod's denied-packets counter: its name and declaration.
fn denied_counter(direction: Direction, pod_id: &str) -> (String, Counter) {
    let comment = trim_comment(&format!("{} packets denied to {pod_id}", direction.as_str()));
    (names::denied_counter(direction, pod_id), Counter { comment })
}

/// The NFLOG prefix that tells the denied-flow logger which side denied a packet.
pub fn log_prefix(direction: Direction) -> String {
    format!("moat {} ", direction.as_str())
}

/// What a policy rule allows, as port matches: every port, numeric ranges, or named ports.
enum PortTemplate {
    Any,
    Numeric(Vec<(Protocol, u16, u16)>),
    Named(Protocol, String),
}

fn port_templates(rule: &moat_engine::model::policy::Rule) -> Vec<PortTemplate> {
    if rule.ports.is_empty() {
        return vec![PortTemplate::Any];
    }
    let mut templates = Vec::new();
    // Resolved against no container ports, a named entry contributes nothing: numbers only.
    let numeric = rule.ports.iter().fold(PortSet::empty(), |acc, p| acc.union(&p.ports_at(&[])));
    let ranges: Vec<(Protocol, u16, u16)> = Protocol::ALL
        .iter()
        .flat_map(|&proto| numeric.ranges(proto).iter().map(move |&(lo, hi)| (proto, lo, hi)))
        .collect();
    if !ranges.is_empty() {
        templates.push(PortTemplate::Numeric(ranges));
    }
    let mut named: Vec<(Protocol, String)> = rule
        .ports
        .iter()
        .filter_map(|p| match &p.port {
            PortSpec::Named(name) => Some((p.protocol, name.clone())),
            _ => None,
        })
        .collect();
    named.sort();
    named.dedup();
    templates.extend(named.into_iter().map(|(proto, name)| PortTemplate::Named(proto, name)));
    templates
}

fn policy_chain(
    policy: &NetworkPolicy,
    direction: Direction,
    peer_field: AddressField,
    sets: &mut SetBuilder<'_>,
) -> Chain {
    let scope = match direction {
        Direction::Ingress => PortScope::Local,
        Direction::Egress => PortScope::All,
    };
    let mut rules = Vec::new();
    for (index, rule) in policy.rules(direction).iter().enumerate() {
        let comment = trim_comment(&format!("{} {}[{index}]", policy.id(), direction.as_str()));
        let peers: Vec<Option<PeerMatch>> = if rule.peers.is_empty() {
            vec![None]
        } else {
            rule.peers
                .iter()
                .flat_map(|peer| Family::BOTH.map(|family| (peer, family)))
                .filter_map(|(peer, family)| {
                    sets.peer(policy, peer, family).map(|set| Some(PeerMatch { family, field: peer_field, set }))
                })
                .collect()
        };
        for template in port_templates(rule) {
            for peer in &peers {
                match &template {
                    PortTemplate::Any => {
                        rules.push(Rule::Allow { peer: peer.clone(), ports: PortMatch::Any, comment: comment.clone() })
                    }
                    PortTemplate::Numeric(ranges) => rules.push(Rule::Allow {
                        peer: peer.clone(),
                        ports: PortMatch::Numeric(ranges.clone()),
                        comment: comment.clone(),
                    }),
                    PortTemplate::Named(protocol, name) => {
                        let families = peer.as_ref().map_or(Family::BOTH.to_vec(), |p| vec![p.family]);
                        for family in families {
                            if let Some(set) = sets.named_port(scope, *protocol, name, family) {
                                rules.push(Rule::Allow {
                                    peer: peer.clone(),
                                    ports: PortMatch::Named { family, set },
                                    comment: comment.clone(),
                                });
                            }
                        }
                    }
                }
            }
        }
    }
    let comment = trim_comment(&format!("{} rules of {}", direction.as_str(), policy.id()));
    Chain { role: ChainRole::Policy, priority: None, comment, rules }
}

/// The state `--fail-mode closed` programs after persistent failure: every local pod denied in
/// both directions, whatever the policies say (established connections carry on). Built from the
/// last compiled state, reusing its base chains, deny chains and maps.
pub fn lockdown(compiled: &Compiled) -> Ruleset {
    let mut ruleset = compiled.ruleset.clone();
    ruleset.chains.retain(|_, c| matches!(c.role, ChainRole::Base | ChainRole::Deny));
    ruleset.counters.clear();
    let maps: Vec<String> = DIRECTIONS
        .iter()
        .flat_map(|&d| Family::BOTH.map(|f| [names::dispatch_map(d, f), names::counter_map(d, f)]))
        .flatten()
        .collect();
    ruleset.sets.retain(|name, _| maps.contains(name));
    for set in ruleset.sets.values_mut() {
        set.elements.clear();
    }
    for direction in DIRECTIONS {
        let deny = names::deny_chain(direction);
        for pod in &compiled.local_pods {
            let (counter, declaration) = denied_counter(direction, &pod.id);
            ruleset.counters.insert(counter.clone(), declaration);
            for &ip in &pod.addresses {
                let family = Family::of(ip);
                if let Some(map) = ruleset.sets.get_mut(&names::dispatch_map(direction, family)) {
                    map.elements.insert(Key::Address(ip), Some(Value::Goto(deny.clone())));
                }
                if let Some(map) = ruleset.sets.get_mut(&names::counter_map(direction, family)) {
                    map.elements.insert(Key::Address(ip), Some(Value::Counter(counter.clone())));
                }
            }
        }
    }
    ruleset
}
