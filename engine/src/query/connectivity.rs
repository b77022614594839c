//! Every allowed connection between the endpoints of the input, with the ports it may use: the data
//! behind the reachability diagram ([`crate::render::svg`]) and connection lists.
//!
//! Endpoints are the pods (or workloads) and, outside the cluster, address ranges: the boundaries of
//! every `ipBlock` (its `cidr` and its `except` entries) cut the address space into ranges whose
//! addresses all get the same verdicts, and ranges with the same connections to every pod are merged
//! into one endpoint. Without any IPv4 `ipBlock`, all of IPv4 is one endpoint, `0.0.0.0/0`; IPv6
//! appears only when some `ipBlock` is IPv6.
//!
//! Each pair is judged by [`flow::connections`], the reference evaluator, so this is meant
//! for the clusters people draw (tens of pods), not for thousands: use [`super::matrix`] there.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;
use serde::Serialize;

use super::flow;
use crate::cluster::{Cluster, EndpointId};
use crate::model::policy::{Direction, PeerKind};
use crate::model::ports::PortSet;
use crate::model::workload::PodKind;

/// A reachability graph: endpoints in display order (address ranges first, then pods by namespace and
/// name) and the allowed connections between them, sorted by source then destination.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct Connectivity {
    pub endpoints: Vec<Endpoint>,
    pub connections: Vec<Connection>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null))]
pub struct Endpoint {
    /// `namespace/name` of a pod or workload (as in [`crate::cluster::Pod::id`]), or the address
    /// ranges of an external endpoint: `0.0.0.0/0`, `0.0.0.0-9.255.255.255, 11.0.0.0-255.255.255.255`.
    pub id: String,
    /// `None` outside the cluster.
    pub namespace: Option<String>,
    /// The pod's or workload's name; the ranges again for an external endpoint.
    pub name: String,
    /// `None` outside the cluster.
    pub kind: Option<PodKind>,
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

/// The reachability graph of a cluster. A pod's connections to itself are left out: they are always
/// allowed and would only add loops to the picture.
pub fn connectivity(cluster: &Cluster) -> Connectivity {
    let pods: Vec<EndpointId> = (0..cluster.pods.len()).map(EndpointId::Pod).collect();
    let externals = external_endpoints(cluster, &pods);
    let mut endpoints: Vec<Endpoint> = externals
        .iter()
        .map(|external| Endpoint {
            id: external.label.clone(),
            namespace: None,
            name: external.label.clone(),
            kind: None,
        })
        .collect();
    endpoints.extend(cluster.pods.iter().map(|pod| Endpoint {
        id: pod.id.clone(),
        namespace: Some(pod.namespace.clone()),
        name: pod.name.clone(),
        kind: Some(pod.kind),
    }));

    let mut connections = Vec::new();
    let mut add = |from: &str, to: &str, ports: &PortSet| {
        if !ports.is_empty() {
            connections.push(Connection { from: from.to_string(), to: to.to_string(), ports: ports.to_string() });
        }
    };
    for external in &externals {
        for (pod, (outbound, inbound)) in external.signature.iter().enumerate() {
            let pod = &cluster.pods[pod].id;
            add(&external.label, pod, inbound);
            add(pod, &external.label, outbound);
        }
    }
    for &from in &pods {
        for &to in &pods {
            if from != to {
                let ports = flow::connections(cluster, from, to);
                add(&cluster.endpoint_name(from), &cluster.endpoint_name(to), &ports);
            }
        }
    }
    connections.sort_by(|a, b| (&a.from, &a.to).cmp(&(&b.from, &b.to)));
    Connectivity { endpoints, connections }
}

/// Addresses outside the cluster that get the same verdicts from and to every pod.
struct External {
    label: String,
    /// Per pod: what the pod may open towards these addresses, and what they may open towards it.
    signature: Vec<(PortSet, PortSet)>,
}

/// An inclusive range of addresses of one family, as integers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct AddressRange {
    v6: bool,
    first: u128,
    last: u128,
}

fn external_endpoints(cluster: &Cluster, pods: &[EndpointId]) -> Vec<External> {
    let pod_ips: HashSet<IpAddr> = cluster.pods.iter().flat_map(|p| p.ips.iter().copied()).collect();
    let mut groups: Vec<(Vec<AddressRange>, Vec<(PortSet, PortSet)>)> = Vec::new();
    let mut group_of: HashMap<Vec<(PortSet, PortSet)>, usize> = HashMap::new();
    for range in address_ranges(cluster) {
        // Pod addresses stand for their pods; a range of nothing but pod addresses has no outsider.
        let Some(sample) = range.addresses().find(|ip| !pod_ips.contains(ip)) else {
            continue;
        };
        let outsider = EndpointId::External(sample);
        let signature: Vec<(PortSet, PortSet)> = pods
            .iter()
            .map(|&pod| (flow::connections(cluster, pod, outsider), flow::connections(cluster, outsider, pod)))
            .collect();
        match group_of.get(&signature) {
            Some(&i) => groups[i].0.push(range),
            None => {
                group_of.insert(signature.clone(), groups.len());
                groups.push((vec![range], signature));
            }
        }
    }
    groups
        .into_iter()
        .map(|(ranges, signature)| External {
            label: ranges.iter().map(AddressRange::label).collect::<Vec<_>>().join(", "),
            signature,
        })
        .collect()
}

/// The address space cut at every `ipBlock` boundary, IPv4 first, in address order.
fn address_ranges(cluster: &Cluster) -> Vec<AddressRange> {
    let mut starts: [BTreeSet<u128>; 2] = [BTreeSet::from([0]), BTreeSet::from([0])];
    let mut has_v6 = false;
    for policy in &cluster.policies {
        for direction in [Direction::Ingress, Direction::Egress] {
            for rule in policy.rules(direction) {
                for peer in &rule.peers {
                    let PeerKind::IpBlock(block) = &peer.kind else {
                        continue;
                    };
                    for net in std::iter::once(&block.cidr).chain(&block.except) {
                        let range = AddressRange::of(net);
                        has_v6 |= range.v6;
                        let starts = &mut starts[usize::from(range.v6)];
                        starts.insert(range.first);
                        if range.last < range.max() {
                            starts.insert(range.last + 1);
                        }
                    }
                }
            }
        }
    }
    let families: &[bool] = if has_v6 { &[false, true] } else { &[false] };
    families
        .iter()
        .flat_map(|&v6| {
            let starts: Vec<u128> = starts[usize::from(v6)].iter().copied().collect();
            let max = AddressRange { v6, first: 0, last: 0 }.max();
            (0..starts.len()).map(move |i| AddressRange {
                v6,
                first: starts[i],
                last: starts.get(i + 1).map_or(max, |next| next - 1),
            })
        })
        .collect()
}

impl AddressRange {
    fn of(net: &IpNet) -> AddressRange {
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

    fn bits(self) -> u32 {
        if self.v6 { 128 } else { 32 }
    }

    fn max(self) -> u128 {
        u128::MAX >> (128 - self.bits())
    }

    fn ip(self, value: u128) -> IpAddr {
        if self.v6 {
            IpAddr::V6(Ipv6Addr::from(value))
        } else {
            // Within an IPv4 range every value fits in 32 bits.
            IpAddr::V4(Ipv4Addr::from(u32::try_from(value).unwrap_or(u32::MAX)))
        }
    }

    fn addresses(self) -> impl Iterator<Item = IpAddr> {
        (self.first..=self.last).map(move |value| self.ip(value))
    }

    /// `10.0.0.0/8` when the range is one CIDR block, `10.0.0.0-10.0.0.5` otherwise.
    fn label(&self) -> String {
        let prefix = (0..=self.bits()).find(|&prefix| {
            let host_bits = self.bits() - prefix;
            let mask = u128::MAX.checked_shr(128 - host_bits).unwrap_or(0);
            self.first & mask == 0 && self.last == self.first | mask
        });
        let first = self.ip(self.first);
        match prefix.and_then(|prefix| IpNet::new(first, u8::try_from(prefix).ok()?).ok()) {
            Some(net) => net.to_string(),
            None => format!("{first}-{}", self.ip(self.last)),
        }
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
        graph.connections.iter().map(|c| format!("{} -> {}: {}", c.from, c.to, c.ports)).collect()
    }

    #[test]
    fn ip_block_boundaries_make_merged_external_ranges() {
        let graph = graph(MANIFESTS);
        let ids: Vec<&str> = graph.endpoints.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "0.0.0.0-172.15.255.255, 172.16.1.0/24, 172.32.0.0-255.255.255.255",
                "172.16.0.0/24, 172.16.2.0-172.31.255.255",
                "dev/api",
                "prod/db",
                "prod/web"
            ]
        );
        assert_eq!(graph.endpoints[2].kind, Some(PodKind::Deployment));
        assert!(graph.endpoints[0].is_external() && !graph.endpoints[3].is_external());
        let outside = "0.0.0.0-172.15.255.255, 172.16.1.0/24, 172.32.0.0-255.255.255.255";
        let inside = "172.16.0.0/24, 172.16.2.0-172.31.255.255";
        let all = edges(&graph);
        assert!(all.contains(&format!("{inside} -> prod/db: All Connections")));
        assert!(!all.iter().any(|e| e.starts_with(&format!("{outside} -> prod/db"))));
        assert!(all.contains(&"prod/web -> prod/db: TCP 5432".to_string()));
        assert!(!all.iter().any(|e| e.starts_with("dev/api -> prod/db")));
        assert!(all.contains(&"prod/db -> dev/api: All Connections".to_string()));
        assert!(all.contains(&format!("prod/db -> {outside}: All Connections")));
        // 3 pods: 6 ordered pairs minus the denied api -> db; 2 ranges x 3 pods x 2 directions minus
        // outside -> db.
        assert_eq!(all.len(), 5 + 11);
    }

    #[test]
    fn without_ip_blocks_ipv4_is_one_endpoint() {
        let graph = graph("apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nstatus: {podIP: 10.0.0.1}\n");
        assert_eq!(graph.endpoints[0].id, "0.0.0.0/0");
        assert_eq!(
            edges(&graph),
            ["0.0.0.0/0 -> default/a: All Connections", "default/a -> 0.0.0.0/0: All Connections"]
        );
    }

    #[test]
    fn ranges_of_only_pod_addresses_are_not_endpoints_and_ipv6_appears_with_ipv6_blocks() {
        let graph = graph(
            "\
apiVersion: v1
kind: Pod
metadata: {name: a, labels: {app: a}}
status: {podIP: 10.0.0.1}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p}
spec:
  podSelector: {matchLabels: {app: a}}
  policyTypes: [Egress]
  egress:
  - to: [{ipBlock: {cidr: 10.0.0.1/32}}, {ipBlock: {cidr: 'fd00::/8'}}]
",
        );
        let ids: Vec<&str> = graph.endpoints.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "0.0.0.0-10.0.0.0, 10.0.0.2-255.255.255.255, ::-fcff:ffff:ffff:ffff:ffff:ffff:ffff:ffff, fe00::/7",
                "fd00::/8",
                "default/a"
            ]
        );
    }

    #[test]
    fn range_labels() {
        let label = |v6, first, last| AddressRange { v6, first, last }.label();
        assert_eq!(label(false, 0, u128::from(u32::MAX)), "0.0.0.0/0");
        assert_eq!(label(true, 0, u128::MAX), "::/0");
        assert_eq!(label(false, 5, 5), "0.0.0.5/32");
        assert_eq!(label(false, 4, 5), "0.0.0.4/31");
        assert_eq!(label(false, 5, 6), "0.0.0.5-0.0.0.6");
    }
}
