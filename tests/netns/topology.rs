//! The test network: "node" namespaces (forwarding, where moat-agent runs) and one namespace per
//! pod, each pod connected to its node by a veth pair, with /32 (/128) routes as routed CNIs do:
//! the pod's default route points at the node, which answers ARP by proxy and NDP from a fixed
//! link-local address. Two nodes are joined by one more veth pair.

use std::net::IpAddr;

use super::netns::Netns;

/// The node's link-local address on every pod-facing interface: the pods' IPv6 gateway.
const GATEWAY6: &str = "fe80::1";
/// Addresses of the nodes themselves (for node-to-pod probes), one per node.
fn node_address(index: usize, v6: bool) -> String {
    if v6 { format!("fd00:ffff::{}", index + 1) } else { format!("10.255.255.{}", index + 1) }
}

pub struct Pod {
    pub id: String,
    pub addresses: Vec<IpAddr>,
    pub node: usize,
    pub ns: Netns,
}

pub struct Node {
    pub ns: Netns,
}

pub struct Topology {
    /// Pods before nodes: dropping pod namespaces first removes their veths cleanly.
    pub pods: Vec<Pod>,
    pub nodes: Vec<Node>,
}

/// A pod to create: its id, addresses and node index.
pub struct PodSpec {
    pub id: String,
    pub addresses: Vec<IpAddr>,
    pub node: usize,
}

impl Topology {
    pub fn build(nodes: usize, pods: &[PodSpec]) -> Result<Topology, String> {
        let mut built = Topology { pods: Vec::new(), nodes: Vec::new() };
        for index in 0..nodes {
            let ns = Netns::create(&format!("node{index}"))?;
            ns.exec(
                "sysctl",
                &[
                    "-qw",
                    "net.ipv4.ip_forward=1",
                    "net.ipv6.conf.all.forwarding=1",
                    "net.ipv4.conf.all.proxy_arp=1",
                    "net.ipv4.conf.default.proxy_arp=1",
                ],
            )?;
            let v4 = node_address(index, false);
            let v6 = node_address(index, true);
            ns.ip(&["addr", "add", &format!("{v4}/32"), "dev", "lo"])?;
            ns.ip(&["-6", "addr", "add", &format!("{v6}/128"), "dev", "lo"])?;
            built.nodes.push(Node { ns });
        }
        if nodes == 2 {
            built.link_nodes()?;
        }
        for (index, spec) in pods.iter().enumerate() {
            built.add_pod(index, spec)?;
        }
        Ok(built)
    }

    fn add_pod(&mut self, index: usize, spec: &PodSpec) -> Result<(), String> {
        let node = self.nodes.get(spec.node).ok_or("no such node")?;
        let ns = Netns::create(&format!("pod{index}"))?;
        let host_side = format!("pod{index}");
        node.ns.ip(&["link", "add", &host_side, "type", "veth", "peer", "name", "eth0", "netns", &ns.name])?;
        node.ns.ip(&["link", "set", &host_side, "up"])?;
        node.ns.ip(&["-6", "addr", "add", &format!("{GATEWAY6}/64"), "dev", &host_side, "nodad"])?;
        proxy_arp(&node.ns, &host_side)?;
        ns.ip(&["link", "set", "eth0", "up"])?;
        let mut has_v4 = false;
        let mut has_v6 = false;
        for address in &spec.addresses {
            let a = address.to_string();
            if address.is_ipv4() {
                ns.ip(&["addr", "add", &format!("{a}/32"), "dev", "eth0"])?;
                node.ns.ip(&["route", "add", &format!("{a}/32"), "dev", &host_side])?;
                has_v4 = true;
            } else {
                ns.ip(&["-6", "addr", "add", &format!("{a}/128"), "dev", "eth0", "nodad"])?;
                node.ns.ip(&["-6", "route", "add", &format!("{a}/128"), "dev", &host_side])?;
                has_v6 = true;
            }
        }
        if has_v4 {
            ns.ip(&["route", "add", "default", "dev", "eth0"])?;
        }
        if has_v6 {
            ns.ip(&["-6", "route", "add", "default", "via", GATEWAY6, "dev", "eth0"])?;
        }
        // The other node reaches this pod through the node link.
        if self.nodes.len() == 2 {
            let other = &self.nodes[1 - spec.node];
            for address in &spec.addresses {
                let a = address.to_string();
                if address.is_ipv4() {
                    other.ns.ip(&["route", "add", &format!("{a}/32"), "dev", "peer"])?;
                } else {
                    other.ns.ip(&[
                        "-6",
                        "route",
                        "add",
                        &format!("{a}/128"),
                        "via",
                        &peer_gateway(spec.node),
                        "dev",
                        "peer",
                    ])?;
                }
            }
        }
        self.pods.push(Pod { id: spec.id.clone(), addresses: spec.addresses.clone(), node: spec.node, ns });
        Ok(())
    }

    /// A veth pair named `peer` on both nodes.
    fn link_nodes(&self) -> Result<(), String> {
        let (a, b) = (&self.nodes[0], &self.nodes[1]);
        a.ns.ip(&["link", "add", "peer", "type", "veth", "peer", "name", "peer", "netns", &b.ns.name])?;
        for (index, node) in self.nodes.iter().enumerate() {
            node.ns.ip(&["link", "set", "peer", "up"])?;
            node.ns.ip(&["-6", "addr", "add", &format!("{}/64", peer_gateway(index)), "dev", "peer", "nodad"])?;
            proxy_arp(&node.ns, "peer")?;
        }
        Ok(())
    }

    pub fn pod(&self, id: &str) -> Option<&Pod> {
        self.pods.iter().find(|p| p.id == id)
    }
}

/// Answers ARP for addresses routed elsewhere, at once: by default proxy ARP replies to broadcasts
/// after a random delay of up to 0.8 s, which would make first packets look dropped.
fn proxy_arp(node: &Netns, device: &str) -> Result<(), String> {
    node.exec(
        "sysctl",
        &["-qw", &format!("net.ipv4.conf.{device}.proxy_arp=1"), &format!("net.ipv4.neigh.{device}.proxy_delay=0")],
    )
    .map(drop)
}

/// Node `index`'s link-local address on the node link.
fn peer_gateway(index: usize) -> String {
    format!("fe80::{}", 0xa + index)
}
