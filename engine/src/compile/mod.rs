//! Compilation of a cluster into classes of pods that no policy can tell apart.
//!
//! Two pods behave identically towards every policy when they share a namespace, their labels, their
//! host-network status (and node, for host-network pods), the address ranges their IPs fall in (the
//! ranges cut by every `ipBlock` boundary) and their named-port map.
//!
//! Compiling is linear in the input: each distinct selector is matched once, through label indexes,
//! against the distinct namespaces or label sets, and a rule's peers stay symbolic (sets of namespaces
//! × label sets, or of address atoms), so that a cluster of 150,000 pods compiles without any
//! classes × rules table. Queries then decide reachability per pair of classes, with bitsets, and
//! per-pod answers are looked up through `class_of`.

pub mod addresses;
pub mod bitset;
pub mod labels;

use std::collections::HashMap;

use addresses::AddressAtoms;
use bitset::BitSet;
use labels::LabelIndex;

use crate::cluster::{Cluster, PodIdx};
use crate::model::ip::IpBlock;
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
    pub peers: Peers,
    /// Whether the rule names ports, which resolve differently per destination class.
    pub named_ports: bool,
}

/// The classes a rule's peers match, kept symbolic; see [`Compiled::peer_classes`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Peers {
    /// No peers listed: every pod and address.
    All,
    /// Any of these.
    Terms(Vec<Term>),
}

/// One peer of a rule. Set ids index the compiled namespace, label-set and atom sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Term {
    /// Non-host-network pods of the namespaces and label sets (`None`: any label set).
    Pods { namespaces: NamespaceScope, label_sets: Option<usize> },
    /// Pods with an address in the atoms of the set.
    Addresses(usize),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NamespaceScope {
    /// The policy's own namespace (a `podSelector` alone).
    One(usize),
    /// The namespaces of a namespace selector (a set id).
    Matching(usize),
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
    /// Per class, its namespace (index in the cluster), host-network status and address atoms.
    namespace: Vec<usize>,
    host_network: Vec<bool>,
    atoms: Vec<Vec<usize>>,
    /// Classes per namespace and per address atom, to enumerate a peer's classes.
    by_namespace: Vec<Vec<ClassId>>,
    by_atom: HashMap<usize, Vec<ClassId>>,
    /// Sets referenced by [`Term`]s: namespaces, label sets and address atoms.
    namespace_sets: Vec<BitSet>,
    label_set_sets: Vec<BitSet>,
    atom_sets: Vec<BitSet>,
    pub rules: Vec<CompiledRule<'c>>,
    /// Per class, the rules that may admit its ingress; `None` when no policy isolates it.
    pub ingress: Vec<Option<Vec<RuleId>>>,
    /// Per class, the rules that may admit its egress; `None` when no policy isolates it.
    pub egress: Vec<Option<Vec<RuleId>>>,
}

/// What makes two pods distinguishable to policies.
#[derive(Clone, PartialEq, Eq, Hash)]
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
        let (class_of, classes, keys) = classify(cluster, &atoms);
        let representatives = classes.iter().map(|c| &cluster.pods[c.representative]);
        let (label_set, label_sets) = intern(representatives.clone().map(|p| &p.labels));
        let (port_map, port_maps) =
            intern(representatives.map(|p| named_ports(&p.ports).into_iter().cloned().collect::<Vec<_>>()));
        let namespace_index: HashMap<&str, usize> =
            cluster.namespaces.iter().enumerate().map(|(i, ns)| (ns.name.as_str(), i)).collect();
        let namespace: Vec<usize> =
            keys.iter().map(|k| namespace_index.get(k.namespace).copied().unwrap_or(0)).collect();
        let mut by_namespace: Vec<Vec<ClassId>> = vec![Vec::new(); cluster.namespaces.len()];
        let mut by_atom: HashMap<usize, Vec<ClassId>> = HashMap::new();
        for (c, key) in keys.iter().enumerate() {
            if let Some(list) = by_namespace.get_mut(namespace[c]) {
                list.push(c);
            }
            for &atom in &key.atoms {
                by_atom.entry(atom).or_default().push(c);
            }
        }
        let mut compiled = Compiled {
            cluster,
            class_of,
            label_set,
            label_sets,
            port_map,
            port_maps,
            namespace,
            host_network: keys.iter().map(|k| k.host_network.is_some()).collect(),
            atoms: keys.into_iter().map(|k| k.atoms).collect(),
            by_namespace,
            by_atom,
            namespace_sets: Vec::new(),
            label_set_sets: Vec::new(),
            atom_sets: Vec::new(),
            ingress: vec![None; classes.len()],
            egress: vec![None; classes.len()],
            classes,
            rules: Vec::new(),
        };
        compiled.compile_policies(&atoms, &namespace_index);
        compiled
    }

    pub fn class_count(&self) -> usize {
        self.classes.len()
    }

    fn compile_policies(&mut self, atoms: &AddressAtoms, namespace_index: &HashMap<&str, usize>) {
        let cluster = self.cluster;
        let namespaces = LabelIndex::new(cluster.namespaces.iter().map(|ns| &ns.labels).collect());
        let label_sets = LabelIndex::new(self.label_sets.clone());
        // Each distinct selector or block is matched once; terms refer to the resulting sets by id.
        let mut namespace_ids: HashMap<&LabelSelector, usize> = HashMap::new();
        let mut label_set_ids: HashMap<&LabelSelector, usize> = HashMap::new();
        let mut atom_ids: HashMap<&IpBlock, usize> = HashMap::new();
        for policy in &cluster.policies {
            let Some(&ns) = namespace_index.get(policy.namespace.as_str()) else { continue };
            let selecting = intern_set(&mut label_set_ids, &mut self.label_set_sets, &policy.pod_selector, |s| {
                label_sets.matching(s)
            });
            let selected: Vec<ClassId> = self.by_namespace[ns]
                .iter()
                .copied()
                .filter(|&c| !self.host_network[c] && self.label_set_sets[selecting].contains(self.label_set[c]))
                .collect();
            for direction in [Direction::Ingress, Direction::Egress] {
                if !policy.isolates(direction) {
                    continue;
                }
                let first = self.rules.len();
                for rule in policy.rules(direction) {
                    let peers = if rule.peers.is_empty() {
                        Peers::All
                    } else {
                        Peers::Terms(
                            rule.peers
                                .iter()
                                .map(|peer| match &peer.kind {
                                    PeerKind::Selectors { pods, namespaces: selector } => Term::Pods {
                                        namespaces: match selector {
                                            None => NamespaceScope::One(ns),
                                            Some(selector) => NamespaceScope::Matching(intern_set(
                                                &mut namespace_ids,
                                                &mut self.namespace_sets,
                                                selector,
                                                |s| namespaces.matching(s),
                                            )),
                                        },
                                        label_sets: pods.as_ref().map(|selector| {
                                            intern_set(&mut label_set_ids, &mut self.label_set_sets, selector, |s| {
                                                label_sets.matching(s)
                                            })
                                        }),
                                    },
                                    PeerKind::IpBlock(block) => {
                                        Term::Addresses(intern_set(&mut atom_ids, &mut self.atom_sets, block, |b| {
                                            let mut set = BitSet::new(atoms.len());
                                            atoms.atoms_within(b).into_iter().for_each(|a| set.insert(a));
                                            set
                                        }))
                                    }
                                })
                                .collect(),
                        )
                    };
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

    /// Whether a peer term matches a class.
    fn term_contains(&self, term: &Term, class: ClassId) -> bool {
        match *term {
            Term::Pods { namespaces, label_sets } => {
                !self.host_network[class]
                    && match namespaces {
                        NamespaceScope::One(ns) => self.namespace[class] == ns,
                        NamespaceScope::Matching(set) => self.namespace_sets[set].contains(self.namespace[class]),
                    }
                    && label_sets.is_none_or(|set| self.label_set_sets[set].contains(self.label_set[class]))
            }
            Term::Addresses(set) => self.atoms[class].iter().any(|&a| self.atom_sets[set].contains(a)),
        }
    }

    /// Whether a rule's peers match a class.
    pub fn peer_contains(&self, rule: RuleId, class: ClassId) -> bool {
        match &self.rules[rule].peers {
            Peers::All => true,
            Peers::Terms(terms) => terms.iter().any(|t| self.term_contains(t, class)),
        }
    }

    /// The classes a rule's peers match, enumerated through the class indexes.
    pub fn peer_classes(&self, rule: RuleId) -> BitSet {
        let n = self.classes.len();
        let Peers::Terms(terms) = &self.rules[rule].peers else { return BitSet::full(n) };
        let mut set = BitSet::new(n);
        for term in terms {
            let candidates: Box<dyn Iterator<Item = ClassId>> = match *term {
                Term::Pods { namespaces: NamespaceScope::One(ns), .. } => {
                    Box::new(self.by_namespace[ns].iter().copied())
                }
                Term::Pods { namespaces: NamespaceScope::Matching(id), .. } => {
                    Box::new(self.namespace_sets[id].ones().flat_map(|ns| self.by_namespace[ns].iter().copied()))
                }
                Term::Addresses(id) => Box::new(
                    self.atom_sets[id]
                        .ones()
                        .flat_map(|a| self.by_atom.get(&a).map_or(&[][..], Vec::as_slice).iter().copied()),
                ),
            };
            for c in candidates {
                if self.term_contains(term, c) {
                    set.insert(c);
                }
            }
        }
        set
    }

    /// [`Self::peer_classes`] of every rule that some class uses (others stay empty).
    fn used_peer_classes(&self) -> Vec<BitSet> {
        let mut used = vec![false; self.rules.len()];
        for rules in self.ingress.iter().chain(&self.egress).flatten() {
            rules.iter().for_each(|&r| used[r] = true);
        }
        (0..self.rules.len())
            .map(|r| if used[r] { self.peer_classes(r) } else { BitSet::new(self.classes.len()) })
            .collect()
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
        let peers = self.used_peer_classes();
        let mut admits = self.admits_cache(port, protocol);
        let ingress = (0..n)
            .map(|d| match &self.ingress[d] {
                None => BitSet::full(n),
                Some(rules) => {
                    let mut set = BitSet::new(n);
                    for &r in rules {
                        if admits(r, d) {
                            set.union_with(&peers[r]);
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
                            None => set.union_with(&peers[r]),
                            Some(ok) => set.union_with_intersection(&peers[r], ok),
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
        let peers = self.used_peer_classes();
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
                    rules
                        .as_ref()
                        .map(|rules| rules.iter().filter(|&&r| peers[r].contains(peer)).map(|&r| at(r)).collect())
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

/// Groups pods into classes; returns each pod's class, the classes and their keys.
fn classify<'c>(cluster: &'c Cluster, atoms: &AddressAtoms) -> (Vec<ClassId>, Vec<Class>, Vec<ClassKey<'c>>) {
    let mut index: HashMap<ClassKey<'c>, ClassId> = HashMap::new();
    let mut classes: Vec<Class> = Vec::new();
    let mut keys: Vec<ClassKey<'c>> = Vec::new();
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
            *index.entry(key).or_insert_with_key(|key| {
                classes.push(Class { representative: i, members: Vec::new() });
                keys.push(key.clone());
                classes.len() - 1
            })
        })
        .collect::<Vec<_>>();
    for (pod, &class) in class_of.iter().enumerate() {
        classes[class].members.push(pod);
    }
    (class_of, classes, keys)
}

/// The id of the set `compute` gives for `key`, computing it only the first time.
fn intern_set<'k, K: Eq + std::hash::Hash + ?Sized>(
    ids: &mut HashMap<&'k K, usize>,
    sets: &mut Vec<BitSet>,
    key: &'k K,
    compute: impl FnOnce(&K) -> BitSet,
) -> usize {
    *ids.entry(key).or_insert_with(|| {
        sets.push(compute(key));
        sets.len() - 1
    })
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
