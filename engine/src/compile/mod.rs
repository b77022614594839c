//! Compilation of a cluster into classes of pods that no policy can tell apart.
//!
//! Two pods behave identically towards every policy when they share a namespace, their labels, their
//! host-network status (and node, for host-network pods), the address ranges their IPs fall in (the
//! ranges cut by every `ipBlock` boundary) and their named-port map. Selectors are matched once per
//! class (namespace selectors once per namespace), each rule's peers become a bitset over classes, and
//! per-pod answers are looked up through `class_of`: the cost of every query grows with the number of
//! classes, not of pods.

pub mod addresses;
pub mod bitset;

use std::collections::HashMap;

use addresses::AddressAtoms;
use bitset::BitSet;

use crate::cluster::{Cluster, PodIdx};
use crate::model::labels::{LabelSelector, Labels};
use crate::model::policy::{Direction, NetworkPolicy, PeerKind, PortSpec, Rule};
use crate::model::ports::{PortSet, Protocol};
use crate::model::workload::ContainerPort;
use crate::query::matching::match_port;

pub type ClassId = usize;
pub type RuleId = usize;

/// Pods that every policy treats alike.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Class {
    /// The first member; any member gives the same answers.
    pub representative: PodIdx,
    pub members: Vec<PodIdx>,
}

/// A rule of a direction its policy isolates, with the classes its peers match.
#[derive(Clone, Debug)]
pub struct CompiledRule<'c> {
    pub policy: &'c NetworkPolicy,
    pub direction: Direction,
    pub rule: &'c Rule,
    pub peers: BitSet,
    /// Whether the rule names ports, which resolve differently per destination class.
    pub named_ports: bool,
}

#[derive(Clone, Debug)]
pub struct Compiled<'c> {
    pub cluster: &'c Cluster,
    pub class_of: Vec<ClassId>,
    pub classes: Vec<Class>,
    /// Per class, its pod labels as an index into `label_sets` (selectors are matched once per set).
    label_set: Vec<usize>,
    label_sets: Vec<&'c Labels>,
    /// Per class, its named container ports as an index into `port_maps` (named ports resolve once
    /// per map).
    port_map: Vec<usize>,
    port_maps: Vec<Vec<ContainerPort>>,
    pub rules: Vec<CompiledRule<'c>>,
    /// Per class, the rules that may admit its ingress; `None` when no policy isolates it.
    pub ingress: Vec<Option<Vec<RuleId>>>,
    /// Per class, the rules that may admit its egress; `None` when no policy isolates it.
    pub egress: Vec<Option<Vec<RuleId>>>,
}

/// What makes two pods distinguishable to policies.
#[derive(PartialEq, Eq, Hash)]
struct ClassKey<'c> {
    namespace: &'c str,
    labels: &'c Labels,
    host_network: Option<Option<&'c str>>,
    atoms: Vec<usize>,
    ports: Vec<&'c ContainerPort>,
}

impl<'c> Compiled<'c> {
    pub fn new(cluster: &'c Cluster) -> Self {
        let atoms = AddressAtoms::of_policies(&cluster.policies);
        let (class_of, classes) = classify(cluster, &atoms);
        let representatives = classes.iter().map(|c| &cluster.pods[c.representative]);
        let (label_set, label_sets) = intern(representatives.clone().map(|p| &p.labels));
        let (port_map, port_maps) =
            intern(representatives.map(|p| named_ports(&p.ports).into_iter().cloned().collect::<Vec<_>>()));
        let mut compiled = Compiled {
            cluster,
            class_of,
            label_set,
            label_sets,
            port_map,
            port_maps,
            ingress: vec![None; classes.len()],
            egress: vec![None; classes.len()],
            classes,
            rules: Vec::new(),
        };
        compiled.compile_policies(&atoms);
        compiled
    }

    pub fn class_count(&self) -> usize {
        self.classes.len()
    }

    fn representative(&self, class: ClassId) -> &'c crate::cluster::Pod {
        &self.cluster.pods[self.classes[class].representative]
    }

    fn compile_policies(&mut self, atoms: &AddressAtoms) {
        let cluster = self.cluster;
        let n = self.classes.len();
        // Classes per namespace, and per address atom, for candidate lookups.
        let namespace_index: HashMap<&str, usize> =
            cluster.namespaces.iter().enumerate().map(|(i, ns)| (ns.name.as_str(), i)).collect();
        let mut by_namespace: Vec<Vec<ClassId>> = vec![Vec::new(); cluster.namespaces.len()];
        let mut by_atom: HashMap<usize, Vec<ClassId>> = HashMap::new();
        for (c, class) in self.classes.iter().enumerate() {
            let pod = &cluster.pods[class.representative];
            if let Some(&ns) = namespace_index.get(pod.namespace.as_str()) {
                by_namespace[ns].push(c);
            }
            for atom in atoms.atoms_of(&pod.ips) {
                by_atom.entry(atom).or_default().push(c);
            }
        }
        let mut namespace_matches: HashMap<&LabelSelector, Vec<usize>> = HashMap::new();
        // Each distinct pod selector is matched once against every label set.
        let mut label_matches: HashMap<&LabelSelector, BitSet> = HashMap::new();
        let label_sets = &self.label_sets;
        let mut matching_sets = |selector: &'c LabelSelector| -> BitSet {
            label_matches
                .entry(selector)
                .or_insert_with(|| {
                    let mut set = BitSet::new(label_sets.len());
                    (0..label_sets.len()).filter(|&i| selector.matches(label_sets[i])).for_each(|i| set.insert(i));
                    set
                })
                .clone()
        };
        for policy in &cluster.policies {
            let Some(&ns) = namespace_index.get(policy.namespace.as_str()) else { continue };
            let selecting = matching_sets(&policy.pod_selector);
            let selected: Vec<ClassId> = by_namespace[ns]
                .iter()
                .copied()
                .filter(|&c| !self.representative(c).host_network && selecting.contains(self.label_set[c]))
                .collect();
            for direction in [Direction::Ingress, Direction::Egress] {
                if !policy.isolates(direction) {
                    continue;
                }
                let first = self.rules.len();
                for rule in policy.rules(direction) {
                    let mut peers = BitSet::new(n);
                    if rule.peers.is_empty() {
                        peers = BitSet::full(n);
                    }
                    for peer in &rule.peers {
                        match &peer.kind {
                            PeerKind::Selectors { pods, namespaces } => {
                                let in_namespaces: &[usize] = match namespaces {
                                    None => std::slice::from_ref(&ns),
                                    Some(selector) => namespace_matches.entry(selector).or_insert_with(|| {
                                        (0..cluster.namespaces.len())
                                            .filter(|&i| selector.matches(&cluster.namespaces[i].labels))
                                            .collect()
                                    }),
                                };
                                let pods = pods.as_ref().map(&mut matching_sets);
                                for &namespace in in_namespaces {
                                    for &c in &by_namespace[namespace] {
                                        if !self.representative(c).host_network
                                            && pods.as_ref().is_none_or(|s| s.contains(self.label_set[c]))
                                        {
                                            peers.insert(c);
                                        }
                                    }
                                }
                            }
                            PeerKind::IpBlock(block) => {
                                for atom in atoms.atoms_within(block) {
                                    for &c in by_atom.get(&atom).map_or(&[][..], Vec::as_slice) {
                                        peers.insert(c);
                                    }
                                }
                            }
                        }
                    }
                    let named_ports = rule.ports.iter().any(|p| matches!(p.port, PortSpec::Named(_)));
                    self.rules.push(CompiledRule { policy, direction, rule, peers, named_ports });
                }
                let table = match direction {
                    Direction::Ingress => &mut self.ingress,
                    Direction::Egress => &mut self.egress,
                };
                for &c in &selected {
                    table[c].get_or_insert_with(Vec::new).extend(first..self.rules.len());
                }
            }
        }
    }

    /// Whether a rule admits `port` towards destinations with the given named ports.
    fn rule_admits(&self, rule: RuleId, named: &[ContainerPort], port: u16, protocol: Protocol) -> bool {
        let rule = self.rules[rule].rule;
        rule.ports.is_empty() || rule.ports.iter().any(|p| match_port(p, named, port, protocol).is_ok())
    }

    /// [`Self::rule_admits`] per destination class, computed once per (rule, port map).
    fn admits_cache(&self, port: u16, protocol: Protocol) -> impl FnMut(RuleId, ClassId) -> bool + '_ {
        let mut cache: HashMap<(RuleId, usize), bool> = HashMap::new();
        move |r, class| {
            let map = if self.rules[r].named_ports { self.port_map[class] } else { usize::MAX };
            *cache.entry((r, map)).or_insert_with(|| {
                let named = self.port_maps.get(map).map_or(&[][..], Vec::as_slice);
                self.rule_admits(r, named, port, protocol)
            })
        }
    }

    /// Reachability between classes on one port: per class, the classes it may send to and the
    /// classes it may receive from.
    pub fn reach_port(&self, port: u16, protocol: Protocol) -> ClassReach {
        let n = self.classes.len();
        let mut admits = self.admits_cache(port, protocol);
        let ingress = (0..n)
            .map(|d| match &self.ingress[d] {
                None => BitSet::full(n),
                Some(rules) => {
                    let mut set = BitSet::new(n);
                    for &r in rules {
                        if admits(r, d) {
                            set.union_with(&self.rules[r].peers);
                        }
                    }
                    set
                }
            })
            .collect();
        // Destinations each egress rule admits on this port: every class or none, unless named ports
        // make it depend on the destination.
        let mut port_ok: HashMap<RuleId, Option<BitSet>> = HashMap::new();
        let mut admits = self.admits_cache(port, protocol);
        let egress = (0..n)
            .map(|s| match &self.egress[s] {
                None => BitSet::full(n),
                Some(rules) => {
                    let mut set = BitSet::new(n);
                    for &r in rules {
                        let ok = port_ok.entry(r).or_insert_with(|| {
                            if self.rules[r].named_ports {
                                let mut ok = BitSet::new(n);
                                (0..n).filter(|&d| admits(r, d)).for_each(|d| ok.insert(d));
                                Some(ok)
                            } else if admits(r, 0) {
                                None
                            } else {
                                Some(BitSet::new(n))
                            }
                        });
                        match ok {
                            None => set.union_with(&self.rules[r].peers),
                            Some(ok) => set.union_with_intersection(&self.rules[r].peers, ok),
                        }
                    }
                    set
                }
            })
            .collect();
        ClassReach { egress, ingress }
    }

    /// Reachability between classes on any port: some port an egress rule admits must also be admitted
    /// by an ingress rule. Connection sets are unions, so one egress rule's ports meeting one ingress
    /// rule's is enough, and no union is built. Port sets are computed once per rule and destination.
    pub fn reach_any(&self) -> ClassReach {
        let n = self.classes.len();
        let ports_at = |r: RuleId, d: ClassId| self.rules[r].rule.ports_at(&self.port_maps[self.port_map[d]]);
        let fixed: Vec<Option<PortSet>> =
            self.rules.iter().map(|r| (!r.named_ports).then(|| r.rule.ports_at(&[]))).collect();
        let named: Vec<RuleId> = (0..self.rules.len()).filter(|&r| self.rules[r].named_ports).collect();
        let ingress: Vec<BitSet> = (0..n)
            .map(|d| {
                let resolved: HashMap<RuleId, PortSet> = named.iter().map(|&r| (r, ports_at(r, d))).collect();
                let all = PortSet::all();
                let at = |r: RuleId| fixed[r].as_ref().or_else(|| resolved.get(&r)).unwrap_or(&all);
                // The port sets of one side's rules whose peers include `peer` (`None`: not isolated).
                let admitted = |rules: &Option<Vec<RuleId>>, peer: ClassId| -> Option<Vec<&PortSet>> {
                    rules.as_ref().map(|rules| {
                        rules.iter().filter(|&&r| self.rules[r].peers.contains(peer)).map(|&r| at(r)).collect()
                    })
                };
                let mut sources = BitSet::new(n);
                for s in 0..n {
                    let allowed = match (admitted(&self.egress[s], d), admitted(&self.ingress[d], s)) {
                        (None, None) => true,
                        (Some(one), None) | (None, Some(one)) => one.iter().any(|set| !set.is_empty()),
                        (Some(e), Some(i)) => e.iter().any(|e| i.iter().any(|i| e.intersects(i))),
                    };
                    if allowed {
                        sources.insert(s);
                    }
                }
                sources
            })
            .collect();
        let mut egress = vec![BitSet::new(n); n];
        for (d, sources) in ingress.iter().enumerate() {
            for s in sources.ones() {
                egress[s].insert(d);
            }
        }
        ClassReach { egress, ingress }
    }
}

/// Allowed traffic between classes, before the per-pod shortcuts (self, own node).
#[derive(Clone, Debug)]
pub struct ClassReach {
    /// Per source class: the destination classes its egress admits.
    pub egress: Vec<BitSet>,
    /// Per destination class: the source classes its ingress admits.
    pub ingress: Vec<BitSet>,
}

impl ClassReach {
    pub fn allows(&self, source: ClassId, destination: ClassId) -> bool {
        self.egress[source].contains(destination) && self.ingress[destination].contains(source)
    }
}

fn classify<'c>(cluster: &'c Cluster, atoms: &AddressAtoms) -> (Vec<ClassId>, Vec<Class>) {
    let mut index: HashMap<ClassKey<'c>, ClassId> = HashMap::new();
    let mut classes: Vec<Class> = Vec::new();
    let class_of = cluster
        .pods
        .iter()
        .enumerate()
        .map(|(i, pod)| {
            let ports = named_ports(&pod.ports);
            let key = ClassKey {
                namespace: &pod.namespace,
                labels: &pod.labels,
                host_network: pod.host_network.then_some(pod.node.as_deref()),
                atoms: atoms.atoms_of(&pod.ips),
                ports,
            };
            *index.entry(key).or_insert_with(|| {
                classes.push(Class { representative: i, members: Vec::new() });
                classes.len() - 1
            })
        })
        .collect::<Vec<_>>();
    for (pod, &class) in class_of.iter().enumerate() {
        classes[class].members.push(pod);
    }
    (class_of, classes)
}

/// The container ports that named ports can resolve to, sorted and deduplicated.
fn named_ports(ports: &[ContainerPort]) -> Vec<&ContainerPort> {
    let mut named: Vec<&ContainerPort> = ports.iter().filter(|p| p.name.is_some()).collect();
    named.sort();
    named.dedup();
    named
}

/// Distinct values in first-seen order, and each item's index among them.
fn intern<T: Eq + std::hash::Hash + Clone>(items: impl Iterator<Item = T>) -> (Vec<usize>, Vec<T>) {
    let mut index: HashMap<T, usize> = HashMap::new();
    let mut distinct = Vec::new();
    let ids = items
        .map(|item| {
            *index.entry(item.clone()).or_insert_with(|| {
                distinct.push(item);
                distinct.len() - 1
            })
        })
        .collect();
    (ids, distinct)
}
