//! The scenario corpus with real packets: each scenario's pods become namespaces on one node, the
//! agent enforces the scenario's manifests, and every pod pair × port × protocol is probed and
//! compared with the engine's matrix; flows to or from external addresses (hosts made for the
//! purpose) are compared with the engine's single-flow verdict.

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::path::Path;

use moat_agent::compile::{attributed_addresses, local_pods};
use moat_engine::Cluster;
use moat_engine::model::policy::PortSpec;
use moat_engine::model::ports::Protocol;
use moat_engine::query::{Flow, PortQuery, PortRef, evaluate, matrix};
use moat_tests::{PortValue, Scenario};

use super::agent::{Agent, TempDir};
use super::topology::{PodSpec, Topology};
use super::traffic::{Probe, Servers, probe_all};

/// Protocols with working sockets here (the kernel has no SCTP).
pub const PROTOCOLS: [Protocol; 2] = [Protocol::Tcp, Protocol::Udp];
const MAX_PORTS: usize = 5;

/// The texts of a scenario, as its `cluster()` reads them.
pub fn texts(scenario: &Scenario, file_name: &str) -> Result<Vec<(String, String)>, String> {
    let mut files = Vec::new();
    if let Some(model) = &scenario.model {
        let path = moat_tests::workspace_dir().join("models").join(format!("{model}.yaml"));
        files.push((
            format!("model-{model}.yaml"),
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?,
        ));
    }
    if let Some(text) = &scenario.manifests {
        files.push((file_name.to_string(), text.clone()));
    }
    files.extend(scenario.files.iter().map(|f| (f.name.replace('/', "_"), f.text.clone())));
    Ok(files)
}

/// Ports worth probing: the scenario's own table and flow ports, declared container ports, and
/// the edges of numeric ranges, at most [`MAX_PORTS`].
fn ports(scenario: &Scenario, cluster: &Cluster) -> Vec<u16> {
    let mut ports: Vec<u16> = Vec::new();
    let mut add = |p: u16| {
        if !ports.contains(&p) {
            ports.push(p);
        }
    };
    scenario.tables.iter().for_each(|t| add(t.port));
    for flow in &scenario.flows {
        if let PortValue::Number(n) = flow.port {
            add(n);
        }
    }
    cluster.pods.iter().flat_map(|p| &p.ports).for_each(|p| add(p.port));
    for policy in &cluster.policies {
        for rule in policy.ingress.iter().chain(&policy.egress) {
            for port in &rule.ports {
                if let PortSpec::Range(lo, hi) = port.port {
                    [lo, hi, hi.saturating_add(1)].into_iter().for_each(&mut add);
                }
            }
        }
    }
    if ports.is_empty() {
        ports.push(80);
    }
    ports.truncate(MAX_PORTS);
    ports
}

/// Pods that get a namespace: real pods with an address, not on the host network.
fn probed_pods(cluster: &Cluster) -> Vec<usize> {
    local_pods(cluster, None)
}

pub fn run(path: &Path) -> Result<(), String> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let scenario = Scenario::load(path)?;
    let cluster = scenario.cluster(&name)?;
    let pods = probed_pods(&cluster);
    let ports = ports(&scenario, &cluster);
    let externals = external_flows(&scenario, &cluster);
    let mut specs: Vec<PodSpec> = pods
        .iter()
        .map(|&p| PodSpec {
            id: cluster.pods[p].id.clone(),
            addresses: attributed_addresses(&cluster, p).collect(),
            node: 0,
        })
        .collect();
    let external_addresses: BTreeSet<IpAddr> =
        externals.iter().flat_map(|f| [f.from.external(), f.to.external()]).flatten().collect();
    specs.extend(external_addresses.iter().map(|ip| PodSpec {
        id: format!("external {ip}"),
        addresses: vec![*ip],
        node: 0,
    }));
    let topology = Topology::build(1, &specs)?;
    let manifests = TempDir::new("manifests")?;
    for (file, text) in texts(&scenario, &name)? {
        manifests.write(&file, &text)?;
    }
    let mut served = Vec::new();
    for pod in &topology.pods {
        let wanted: Vec<(Protocol, u16)> =
            PROTOCOLS.iter().flat_map(|&proto| ports.iter().map(move |&p| (proto, p))).collect();
        let mut extra: Vec<(Protocol, u16)> = externals.iter().map(|f| (f.protocol, f.port)).collect();
        extra.retain(|e| !wanted.contains(e));
        extra.sort();
        extra.dedup();
        served.push(Servers::start(&pod.ns.name, &pod.id, &[wanted, extra].concat())?);
    }
    let logs = TempDir::new("logs")?;
    let dir = manifests.path.to_string_lossy().into_owned();
    // The agent enforces as the release (and feature gates) the scenario is written for.
    let mut args = vec!["--manifests".to_string(), dir];
    if let Some(release) = &scenario.kubernetes_version {
        args.extend(["--kubernetes-version".to_string(), release.clone()]);
    }
    args.extend(scenario.feature_gates.iter().map(|(gate, on)| format!("--feature-gates={gate}={on}")));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut agent = Agent::start(&topology.nodes[0].ns.name, &args, &logs.path)?;
    agent.wait_ready()?;

    // Pod pairs, per port and protocol, against the matrix.
    let (mut probes, mut expected) = matrix_probes(&cluster, &pods, &topology, &ports);
    // Flows with an external end, against the engine's verdict.
    for flow in &externals {
        let (Some(from), Some(to)) =
            (topology.pods.iter().find(|p| flow.from.matches(&p.id, &p.addresses)), endpoint_address(&topology, flow))
        else {
            continue;
        };
        let answer = topology.pods.iter().find(|p| p.addresses.contains(&to)).map(|p| p.id.clone()).unwrap_or_default();
        probes.push(Probe {
            from_ns: from.ns.name.clone(),
            to,
            protocol: flow.protocol,
            port: flow.port,
            expect: answer,
        });
        expected.push((format!("{} -> {to} {}/{}", from.id, flow.protocol, flow.port), flow.allowed));
    }
    // The node reaches every pod, policies or not.
    for pod in topology.pods.iter().filter(|p| !p.id.starts_with("external")) {
        if let Some(&to) = pod.addresses.first() {
            probes.push(Probe {
                from_ns: topology.nodes[0].ns.name.clone(),
                to,
                protocol: Protocol::Tcp,
                port: ports[0],
                expect: pod.id.clone(),
            });
            expected.push((format!("node -> {} TCP/{}", pod.id, ports[0]), true));
        }
    }
    let failures = disagreements(&probes, &expected);
    drop(served);
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} of {} probes disagree with the engine:\n{}\nagent log:\n{}",
            failures.len(),
            probes.len(),
            failures.join("\n"),
            agent.log_tail()
        ))
    }
}

fn verdict(allowed: bool) -> &'static str {
    if allowed { "allowed" } else { "denied" }
}

/// Probes of every ordered pair of `pods` (the first pods of `topology`, in the same order) on
/// every port and protocol, each with the matrix's verdict.
pub fn matrix_probes(
    cluster: &Cluster,
    pods: &[usize],
    topology: &Topology,
    ports: &[u16],
) -> (Vec<Probe>, Vec<(String, bool)>) {
    let mut probes = Vec::new();
    let mut expected = Vec::new();
    for &port in ports {
        for protocol in PROTOCOLS {
            let m = matrix(cluster, PortQuery::One(port, protocol));
            for (si, &s) in pods.iter().enumerate() {
                for (di, &d) in pods.iter().enumerate() {
                    let (from, to) = (&topology.pods[si], &topology.pods[di]);
                    for destination in same_family_destinations(&from.addresses, &to.addresses) {
                        probes.push(Probe {
                            from_ns: from.ns.name.clone(),
                            to: destination,
                            protocol,
                            port,
                            expect: to.id.clone(),
                        });
                        let what = format!(
                            "{} -> {} {protocol}/{port} ({destination})",
                            cluster.pods[s].id, cluster.pods[d].id
                        );
                        expected.push((what, m.allowed[s][d]));
                    }
                }
            }
        }
    }
    (probes, expected)
}

/// Runs the probes and lists those whose outcome differs from the expected verdict. A probe that
/// should pass but failed is tried once more (a lost reply is not a denial).
pub fn disagreements(probes: &[Probe], expected: &[(String, bool)]) -> Vec<String> {
    let mut outcomes = probe_all(probes);
    let suspicious: Vec<usize> = (0..probes.len()).filter(|&i| expected[i].1 && !outcomes[i]).collect();
    let retried = probe_all(&suspicious.iter().map(|&i| probes[i].clone()).collect::<Vec<_>>());
    for (&i, ok) in suspicious.iter().zip(retried) {
        outcomes[i] = ok;
    }
    expected
        .iter()
        .zip(&outcomes)
        .filter(|((_, want), got)| want != *got)
        .map(|((what, want), got)| format!("{what}: engine {}, kernel {}", verdict(*want), verdict(*got)))
        .collect()
}

/// The destination's addresses in each family the source has too (both when dual-stack).
fn same_family_destinations(from: &[IpAddr], to: &[IpAddr]) -> Vec<IpAddr> {
    to.iter().copied().filter(|b| from.iter().any(|a| a.is_ipv4() == b.is_ipv4())).collect()
}

pub struct ExternalFlow {
    from: EndRef,
    to: EndRef,
    protocol: Protocol,
    port: u16,
    allowed: bool,
}

/// An end with what is needed to find its namespace.
#[derive(Clone, Debug)]
struct EndRef {
    end: EndKind,
}

#[derive(Clone, Debug)]
enum EndKind {
    Pod(String, Vec<IpAddr>),
    External(IpAddr),
}

impl EndRef {
    fn external(&self) -> Option<IpAddr> {
        match &self.end {
            EndKind::External(ip) => Some(*ip),
            EndKind::Pod(..) => None,
        }
    }

    fn matches(&self, id: &str, addresses: &[IpAddr]) -> bool {
        match &self.end {
            EndKind::Pod(pod, _) => pod == id,
            EndKind::External(ip) => addresses.contains(ip),
        }
    }
}

fn endpoint_address(topology: &Topology, flow: &ExternalFlow) -> Option<IpAddr> {
    match &flow.to.end {
        EndKind::External(ip) => Some(*ip),
        EndKind::Pod(id, _) => {
            let from_v4 = flow.from.external().is_some_and(|ip| ip.is_ipv4());
            topology.pod(id).and_then(|p| p.addresses.iter().copied().find(|a| a.is_ipv4() == from_v4))
        }
    }
}

/// The scenario's flows that have exactly one external end, with the engine's verdict.
fn external_flows(scenario: &Scenario, cluster: &Cluster) -> Vec<ExternalFlow> {
    let probed: BTreeSet<usize> = probed_pods(cluster).into_iter().collect();
    let mut flows = Vec::new();
    for flow in &scenario.flows {
        let (Ok(from), Ok(to)) = (cluster.resolve_endpoint(&flow.from), cluster.resolve_endpoint(&flow.to)) else {
            continue;
        };
        let Ok(protocol) = flow.protocol.as_deref().unwrap_or("TCP").parse::<Protocol>() else {
            continue;
        };
        if !PROTOCOLS.contains(&protocol) {
            continue;
        }
        let end = |e: moat_engine::cluster::EndpointId| match e {
            moat_engine::cluster::EndpointId::External(ip) => Some(EndRef { end: EndKind::External(ip) }),
            moat_engine::cluster::EndpointId::Pod(p) if probed.contains(&p) => Some(EndRef {
                end: EndKind::Pod(cluster.pods[p].id.clone(), attributed_addresses(cluster, p).collect()),
            }),
            moat_engine::cluster::EndpointId::Pod(_) => None,
        };
        let (Some(a), Some(b)) = (end(from), end(to)) else {
            continue;
        };
        if a.external().is_some() == b.external().is_some() {
            continue;
        }
        // The external end must be of a family the pod end has.
        let external = a.external().or(b.external());
        let pod_addresses = match (&a.end, &b.end) {
            (EndKind::Pod(_, addrs), _) | (_, EndKind::Pod(_, addrs)) => addrs.clone(),
            _ => Vec::new(),
        };
        if !external.is_some_and(|x| pod_addresses.iter().any(|p| p.is_ipv4() == x.is_ipv4())) {
            continue;
        }
        let Ok(verdict) = evaluate(cluster, &Flow { from, to, port: port_ref(&flow.port), protocol }) else {
            continue;
        };
        flows.push(ExternalFlow { from: a, to: b, protocol, port: verdict.port, allowed: verdict.allowed });
    }
    flows
}

fn port_ref(port: &PortValue) -> PortRef {
    match port {
        PortValue::Number(n) => PortRef::Number(*n),
        PortValue::Name(name) => PortRef::Name(name.clone()),
    }
}
