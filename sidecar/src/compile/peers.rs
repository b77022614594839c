//! The address sets rules refer to: one per canonical peer (shared by every rule of every policy
//! that uses an equal selector or ipBlock), and one per named port.
//!
//! Which pods a selector peer matches is decided by the engine's [`match_peer`], never re-derived
//! here. To keep that affordable in big clusters, pods are grouped into classes that the peer
//! semantics cannot tell apart (same namespace, labels and host networking), and each class is
//! asked about once through a representative pod.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

use moat_engine::cluster::{Cluster, EndpointId, PodIdx};
use moat_engine::model::labels::{LabelSelector, Labels};
use moat_engine::model::policy::{NetworkPolicy, Peer, PeerKind};
use moat_engine::model::ports::Protocol;
use moat_engine::query::matching::{PeerMismatch, match_peer};

use super::names;
use super::ranges::block_ranges;
use crate::nft::{Family, Key, Set, SetKind};

/// Pods the peer semantics cannot tell apart.
struct Class {
    representative: PodIdx,
    addresses: Vec<IpAddr>,
}

/// The classes of one namespace.
struct NamespaceClasses {
    /// A pod that selectors can match, to ask whether the namespace itself qualifies.
    representative: Option<PodIdx>,
    classes: Vec<Class>,
}

/// Where a selector peer looks for pods, as written: the policy's namespace, or namespaces matching
/// a selector.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum NamespaceScope {
    Own(String),
    Matching(LabelSelector),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum PeerKey {
    /// `None` pods: every pod of the scope (an empty selector means the same).
    Selectors {
        pods: Option<LabelSelector>,
        scope: NamespaceScope,
    },
    Block {
        cidr: String,
        except: Vec<String>,
    },
}

impl PeerKey {
    fn of(policy: &NetworkPolicy, peer: &Peer) -> PeerKey {
        match &peer.kind {
            PeerKind::Selectors { pods, namespaces } => PeerKey::Selectors {
                pods: pods.clone().filter(|s| !s.is_empty()),
                scope: match namespaces {
                    None => NamespaceScope::Own(policy.namespace.clone()),
                    Some(sel) => NamespaceScope::Matching(sel.clone()),
                },
            },
            PeerKind::IpBlock(block) => {
                let mut except: Vec<String> = block.except.iter().map(ToString::to_string).collect();
                except.sort();
                except.dedup();
                PeerKey::Block { cidr: block.cidr.to_string(), except }
            }
        }
    }

    /// Text that identifies the peer, hashed into set names.
    fn canonical(&self) -> String {
        match self {
            PeerKey::Selectors { pods, scope } => {
                let pods = pods.as_ref().map_or("{}".to_string(), LabelSelector::describe);
                match scope {
                    NamespaceScope::Own(ns) => format!("pods {pods} in namespace {ns}"),
                    NamespaceScope::Matching(sel) => {
                        format!("pods {pods} in namespaces {}", sel.describe())
                    }
                }
            }
            PeerKey::Block { cidr, except } => {
                format!("ipBlock {cidr} except {}", except.join(","))
            }
        }
    }
}

/// A named port as rules write it, and which destinations it is resolved on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PortScope {
    /// Ingress: the destination is a local pod.
    Local,
    /// Egress: the destination may be any pod of the cluster.
    All,
}

impl PortScope {
    fn as_str(self) -> &'static str {
        match self {
            PortScope::Local => "local",
            PortScope::All => "all",
        }
    }
}

/// Builds and shares the sets; `sets` ends up in the ruleset.
pub struct SetBuilder<'c> {
    cluster: &'c Cluster,
    local_pods: &'c [PodIdx],
    namespaces: Vec<NamespaceClasses>,
    /// Per canonical peer: the set name of each family, `None` when that family has no address.
    peers: HashMap<PeerKey, [Option<String>; 2]>,
    named: HashMap<(PortScope, Protocol, String), [Option<String>; 2]>,
    pub sets: BTreeMap<String, Set>,
}

impl<'c> SetBuilder<'c> {
    pub fn new(cluster: &'c Cluster, local_pods: &'c [PodIdx]) -> Self {
        SetBuilder {
            cluster,
            local_pods,
            namespaces: classes(cluster),
            peers: HashMap::new(),
            named: HashMap::new(),
            sets: BTreeMap::new(),
        }
    }

    /// The set holding the addresses `peer` matches in `family`, or `None` when it matches none.
    pub fn peer(&mut self, policy: &NetworkPolicy, peer: &Peer, family: Family) -> Option<String> {
        let key = PeerKey::of(policy, peer);
        if let Some(names) = self.peers.get(&key) {
            return names[family as usize].clone();
        }
        let canonical = key.canonical();
        // The comment is a function of the name: the diff treats a changed comment as a redefinition.
        let comment = trim_comment(&canonical);
        let mut built: [Option<String>; 2] = [None, None];
        match &peer.kind {
            PeerKind::IpBlock(block) => {
                let family_of_block = Family::of(block.cidr.addr());
                let name = names::block_set(&canonical, family_of_block);
                let mut set = Set::new(SetKind::AddressRanges(family_of_block), comment.clone());
                set.elements.extend(block_ranges(block).into_iter().map(|(a, b)| (Key::Range(a, b), None)));
                if !set.elements.is_empty() {
                    self.sets.insert(name.clone(), set);
                    built[family_of_block as usize] = Some(name);
                }
            }
            PeerKind::Selectors { .. } => {
                let members = self.selector_members(policy, peer);
                for family in Family::BOTH {
                    let mut set = Set::new(SetKind::Addresses(family), comment.clone());
                    set.elements.extend(
                        members.iter().filter(|ip| Family::of(**ip) == family).map(|ip| (Key::Address(*ip), None)),
                    );
                    if !set.elements.is_empty() {
                        let name = names::peer_set(&canonical, family);
                        self.sets.insert(name.clone(), set);
                        built[family as usize] = Some(name);
                    }
                }
            }
        }
        let answer = built[family as usize].clone();
        self.peers.insert(key, built);
        answer
    }

    /// Addresses of every pod the peer matches, asking the engine once per namespace and class.
    fn selector_members(&self, policy: &NetworkPolicy, peer: &Peer) -> Vec<IpAddr> {
        let mut members = Vec::new();
        for ns in &self.namespaces {
            if let Some(rep) = ns.representative {
                // These reasons depend on the namespace alone: no pod of it can match.
                let verdict = match_peer(self.cluster, policy, peer, EndpointId::Pod(rep));
                if matches!(verdict, Err(PeerMismatch::OtherNamespace | PeerMismatch::NamespaceSelector)) {
                    continue;
                }
            }
            for class in &ns.classes {
                if match_peer(self.cluster, policy, peer, EndpointId::Pod(class.representative)).is_ok() {
                    members.extend_from_slice(&class.addresses);
                }
            }
        }
        members
    }

    /// The set of `address . protocol . port` for pods declaring the named port, or `None` when no
    /// pod in scope declares it in that family.
    pub fn named_port(&mut self, scope: PortScope, protocol: Protocol, name: &str, family: Family) -> Option<String> {
        let key = (scope, protocol, name.to_string());
        if let Some(names) = self.named.get(&key) {
            return names[family as usize].clone();
        }
        let cluster = self.cluster;
        let pods: Box<dyn Iterator<Item = PodIdx>> = match scope {
            PortScope::Local => Box::new(self.local_pods.iter().copied()),
            PortScope::All => Box::new(0..cluster.pods.len()),
        };
        let mut elements: [Vec<Key>; 2] = [Vec::new(), Vec::new()];
        for pod in pods {
            let declared =
                cluster.pods[pod].ports.iter().filter(|p| p.protocol == protocol && p.name.as_deref() == Some(name));
            for port in declared {
                for ip in attributed_addresses(cluster, pod) {
                    elements[Family::of(ip) as usize].push(Key::AddressPort(ip, protocol, port.port));
                }
            }
        }
        let mut built: [Option<String>; 2] = [None, None];
        for family in Family::BOTH {
            let keys = std::mem::take(&mut elements[family as usize]);
            if keys.is_empty() {
                continue;
            }
            let set_name = names::named_port_set(protocol.as_str(), name, scope.as_str(), family);
            let comment = format!("{protocol} port named {name} on {} pods", scope.as_str());
            let mut set = Set::new(SetKind::AddressPorts(family), comment);
            set.elements.extend(keys.into_iter().map(|k| (k, None)));
            self.sets.insert(set_name.clone(), set);
            built[family as usize] = Some(set_name);
        }
        let answer = built[family as usize].clone();
        self.named.insert(key, built);
        answer
    }
}

/// The addresses the kernel will attribute to `pod`: those the engine attributes to it too (when
/// two pods report one address, the engine picks one and warns).
pub fn attributed_addresses(cluster: &Cluster, pod: PodIdx) -> impl Iterator<Item = IpAddr> + '_ {
    cluster.pods[pod].ips.iter().copied().filter(move |ip| cluster.pod_by_ip(*ip) == Some(pod))
}

/// Groups the pods that have addresses into classes, per namespace.
fn classes(cluster: &Cluster) -> Vec<NamespaceClasses> {
    // Per namespace: its classes, and the index of each (labels, host network) among them.
    type ClassIndex<'p> = HashMap<(&'p Labels, bool), usize>;
    let mut by_namespace: BTreeMap<&str, (NamespaceClasses, ClassIndex<'_>)> = BTreeMap::new();
    for (pod, p) in cluster.pods.iter().enumerate() {
        let addresses: Vec<IpAddr> = attributed_addresses(cluster, pod).collect();
        if addresses.is_empty() {
            continue;
        }
        let (ns, index) = by_namespace
            .entry(p.namespace.as_str())
            .or_insert_with(|| (NamespaceClasses { representative: None, classes: Vec::new() }, HashMap::new()));
        if !p.host_network && ns.representative.is_none() {
            ns.representative = Some(pod);
        }
        match index.get(&(&p.labels, p.host_network)) {
            Some(&i) => ns.classes[i].addresses.extend(addresses),
            None => {
                index.insert((&p.labels, p.host_network), ns.classes.len());
                ns.classes.push(Class { representative: pod, addresses });
            }
        }
    }
    by_namespace.into_values().map(|(ns, _)| ns).collect()
}

/// nft keeps at most 128 bytes of comment.
pub fn trim_comment(text: &str) -> String {
    const MAX: usize = 120;
    if text.len() <= MAX {
        return text.to_string();
    }
    let cut = (0..=MAX - 3).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
    format!("{}...", &text[..cut])
}
