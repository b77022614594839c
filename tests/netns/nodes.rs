//! Two nodes, each with its own agent enforcing only its own pods (`--node`): a connection between
//! pods of different nodes passes the source node's egress and the destination node's ingress,
//! over IPv4 and IPv6, and every cell still matches the engine's matrix.

use std::net::IpAddr;

use moat_engine::Cluster;
use moat_engine::model::ports::Protocol;

use super::agent::{Agent, TempDir};
use super::scenarios::{PROTOCOLS, disagreements, matrix_probes};
use super::topology::{PodSpec, Topology};
use super::traffic::Servers;

const MANIFESTS: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Pod
metadata: {name: front, namespace: shop, labels: {app: frontend}}
spec: {nodeName: node0, containers: [{name: c, image: i, ports: [{name: web, containerPort: 8080}]}]}
status: {phase: Running, podIP: 10.251.0.10, podIPs: [{ip: 10.251.0.10}, {ip: "fd00:251::10"}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db-a, namespace: shop, labels: {app: db}}
spec: {nodeName: node0, containers: [{name: c, image: i, ports: [{name: sql, containerPort: 5432}]}]}
status: {phase: Running, podIP: 10.251.0.11, podIPs: [{ip: 10.251.0.11}, {ip: "fd00:251::11"}]}
---
apiVersion: v1
kind: Pod
metadata: {name: api, namespace: shop, labels: {app: api}}
spec: {nodeName: node1, containers: [{name: c, image: i, ports: [{name: web, containerPort: 8080}]}]}
status: {phase: Running, podIP: 10.251.1.10, podIPs: [{ip: 10.251.1.10}, {ip: "fd00:251:1::10"}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db-b, namespace: shop, labels: {app: db}}
spec: {nodeName: node1, containers: [{name: c, image: i, ports: [{name: sql, containerPort: 5432}]}]}
status: {phase: Running, podIP: 10.251.1.11, podIPs: [{ip: 10.251.1.11}, {ip: "fd00:251:1::11"}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: frontend-egress, namespace: shop}
spec:
  podSelector: {matchLabels: {app: frontend}}
  policyTypes: [Egress]
  egress:
  - to: [{podSelector: {matchLabels: {app: api}}}]
    ports: [{port: web}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api-ingress, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: frontend}}}]
    ports: [{port: 8080}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-ingress, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: api}}}]
    ports: [{port: sql}, {protocol: UDP}]
"#;

pub fn two_nodes_enforce_both_ends() -> Result<(), String> {
    let cluster = Cluster::from_texts([("shop.yaml", MANIFESTS)]);
    if cluster.has_errors() {
        return Err(format!("{:?}", cluster.diagnostics));
    }
    let pods: Vec<usize> = (0..cluster.pods.len()).collect();
    let specs: Vec<PodSpec> = pods
        .iter()
        .map(|&p| {
            let pod = &cluster.pods[p];
            let node = usize::from(pod.node.as_deref() == Some("node1"));
            PodSpec { id: pod.id.clone(), addresses: pod.ips.clone(), node }
        })
        .collect();
    let topology = Topology::build(2, &specs)?;
    let ports = [8080, 5432];
    let _servers: Vec<Servers> = topology
        .pods
        .iter()
        .map(|p| {
            Servers::start(
                &p.ns.name,
                &p.id,
                &PROTOCOLS.iter().flat_map(|&pr| ports.map(|po| (pr, po))).collect::<Vec<(Protocol, u16)>>(),
            )
        })
        .collect::<Result<_, _>>()?;
    let manifests = TempDir::new("manifests")?;
    manifests.write("shop.yaml", MANIFESTS)?;
    let logs = TempDir::new("logs")?;
    let dir = manifests.path.to_string_lossy().into_owned();
    let mut agents = Vec::new();
    for (index, node) in topology.nodes.iter().enumerate() {
        let name = format!("node{index}");
        let mut agent = Agent::start(&node.ns.name, &["--manifests", &dir, "--node", &name], &logs.path)?;
        agent.wait_ready()?;
        agents.push(agent);
    }
    let remote = topology.pods.iter().filter(|p| p.node == 1).count();
    if remote == 0 || topology.pods.iter().flat_map(|p| &p.addresses).filter(|a: &&IpAddr| a.is_ipv6()).count() == 0 {
        return Err("the topology needs pods on both nodes, with IPv6".into());
    }
    let (probes, expected) = matrix_probes(&cluster, &pods, &topology, &ports);
    let failures = disagreements(&probes, &expected);
    if failures.is_empty() {
        Ok(())
    } else {
        let logs: Vec<String> = agents.iter().map(Agent::log_tail).collect();
        Err(format!(
            "{} of {} probes disagree with the engine:\n{}\nagent logs:\n{}",
            failures.len(),
            probes.len(),
            failures.join("\n"),
            logs.join("\n---\n")
        ))
    }
}
