//! Benchmarks with real packets (root only); prints figures, asserts nothing:
//!
//! - watch-event-to-commit latency, p50 and p99, while manifests change 100 times a second;
//! - the cost of the table for a new connection: connect-and-answer time between two pods with a
//!   loaded table versus without it, alternated in one run, as a ratio.
//!
//! `cargo bench -p moat-agent --bench netns`
// The harness modules are shared with the test suite; the benchmarks use part of them.
#![allow(dead_code)]

mod agent;
mod netns;
mod topology;
mod traffic;

use std::collections::BTreeMap;
use std::io::Read;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use agent::{Agent, TempDir};
use moat_engine::model::ports::Protocol;
use moat_engine::synth::{Shape, cluster_yaml};
use netns::enter_and_run;
use topology::{PodSpec, Topology};
use traffic::Servers;

const EVENTS_PER_SECOND: u64 = 100;
const EVENT_SECONDS: u64 = 10;
const CONNECTIONS_PER_ROUND: usize = 500;
const ROUNDS: usize = 4;

fn main() {
    if !nix::unistd::Uid::effective().is_root() {
        println!("netns benchmarks skipped: they need root");
        return;
    }
    netns::remove_leftovers();
    let result = latency().and_then(|()| connection_cost());
    netns::remove_leftovers();
    if let Err(e) = result {
        println!("error: {e}");
        std::process::exit(1);
    }
}

const BENCH_PODS: &str = "
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: bench, labels: {role: client}}
spec: {nodeName: node0, containers: [{name: c, image: i}]}
status: {phase: Running, podIP: 10.252.0.10}
---
apiVersion: v1
kind: Pod
metadata: {name: server, namespace: bench, labels: {app: server}}
spec: {nodeName: node0, containers: [{name: c, image: i, ports: [{name: http, containerPort: 80}]}]}
status: {phase: Running, podIP: 10.252.0.11}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: server, namespace: bench}
spec:
  podSelector: {matchLabels: {app: server}}
  ingress: [{from: [{podSelector: {matchLabels: {role: client}}}], ports: [{port: http}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: client, namespace: bench}
spec:
  podSelector: {matchLabels: {role: client}}
  policyTypes: [Egress]
  egress: [{to: [{podSelector: {matchLabels: {app: server}}}], ports: [{port: 80}]}]
";

fn two_pods() -> Result<(Topology, Vec<Servers>), String> {
    let specs = [("bench/client", "10.252.0.10"), ("bench/server", "10.252.0.11")].map(|(id, ip)| PodSpec {
        id: id.into(),
        addresses: vec![ip.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))],
        node: 0,
    });
    let topology = Topology::build(1, &specs)?;
    let servers = vec![Servers::start(&topology.pods[1].ns.name, "bench/server", &[(Protocol::Tcp, 80)])?];
    Ok((topology, servers))
}

/// Parses `moat_event_to_commit_seconds_bucket{le="…"} N` lines into (bound, cumulative count).
fn buckets(metrics: &str) -> BTreeMap<String, f64> {
    metrics
        .lines()
        .filter_map(|l| l.strip_prefix("moat_event_to_commit_seconds_bucket{le=\""))
        .filter_map(|rest| {
            let (bound, count) = rest.split_once("\"} ")?;
            Some((bound.to_string(), count.parse().ok()?))
        })
        .collect()
}

/// A quantile from cumulative bucket counts, interpolated inside the bucket.
fn quantile(buckets: &[(f64, f64)], q: f64) -> f64 {
    let total = buckets.last().map_or(0.0, |b| b.1);
    let rank = q * total;
    let mut previous = (0.0, 0.0);
    for &(bound, count) in buckets {
        if count >= rank && count > previous.1 {
            if bound.is_infinite() {
                return previous.0;
            }
            return previous.0 + (bound - previous.0) * (rank - previous.1) / (count - previous.1);
        }
        previous = (bound, count);
    }
    previous.0
}

fn latency() -> Result<(), String> {
    let (topology, _servers) = two_pods()?;
    let manifests = TempDir::new("manifests")?;
    manifests.write("pods.yaml", BENCH_PODS)?;
    let logs = TempDir::new("logs")?;
    let dir = manifests.path.to_string_lossy().into_owned();
    let mut agent = Agent::start(&topology.nodes[0].ns.name, &["--manifests", &dir, "--node", "node0"], &logs.path)?;
    agent.wait_ready()?;
    let before = buckets(&agent.get("/metrics")?.1);
    // Each event flips one label of a pod the policies select, so every event changes the table.
    let period = Duration::from_micros(1_000_000 / EVENTS_PER_SECOND);
    let start = Instant::now();
    let events = EVENTS_PER_SECOND * EVENT_SECONDS;
    for i in 0..events {
        let role = if i % 2 == 0 { "client" } else { "client-b" };
        let pod = format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: extra, namespace: bench, labels: {{role: {role}}}}}\n\
             spec: {{nodeName: node1, containers: [{{name: c, image: i}}]}}\nstatus: {{phase: Running, podIP: 10.252.1.{}}}\n",
            10 + i % 200
        );
        manifests.write("extra.yaml", &pod)?;
        let next = start + period * u32::try_from(i + 1).unwrap_or(u32::MAX);
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
    }
    std::thread::sleep(Duration::from_millis(500));
    let after = buckets(&agent.get("/metrics")?.1);
    let mut delta: Vec<(f64, f64)> = after
        .iter()
        .map(|(bound, count)| {
            let b = if bound == "+Inf" { f64::INFINITY } else { bound.parse().unwrap_or(f64::INFINITY) };
            (b, count - before.get(bound).copied().unwrap_or(0.0))
        })
        .collect();
    delta.sort_by(|a, b| a.0.total_cmp(&b.0));
    let observed = delta.last().map_or(0.0, |b| b.1);
    println!(
        "event-to-commit latency under {EVENTS_PER_SECOND} events/s for {EVENT_SECONDS} s: {observed} events committed, p50 {:.1} ms, p99 {:.1} ms (goal: p99 <= 100 ms)",
        quantile(&delta, 0.5) * 1e3,
        quantile(&delta, 0.99) * 1e3
    );
    let syncs = agent.metric("moat_syncs_total", "").unwrap_or(0.0);
    println!("  {syncs} syncs for {events} file writes (bursts coalesced)");
    Ok(())
}

/// Connect, read the answer, close; the time of each, from inside the client's namespace.
fn connections(client_ns: &str, to: SocketAddr, n: usize) -> Result<Vec<Duration>, String> {
    enter_and_run(client_ns, move || {
        let mut times = Vec::with_capacity(n);
        let mut buffer = [0u8; 64];
        for _ in 0..n {
            let start = Instant::now();
            let mut stream =
                std::net::TcpStream::connect_timeout(&to, Duration::from_secs(1)).map_err(|e| e.to_string())?;
            let _ = stream.read(&mut buffer).map_err(|e| e.to_string())?;
            drop(stream);
            times.push(start.elapsed());
        }
        Ok(times)
    })?
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times.get(times.len() / 2).copied().unwrap_or_default()
}

fn connection_cost() -> Result<(), String> {
    let (topology, _servers) = two_pods()?;
    let node = &topology.nodes[0].ns;
    // A loaded table: a synthetic cluster in which node0 runs about a third of 3000 pods, plus
    // the two benchmark pods with policies on both ends.
    let manifests = TempDir::new("manifests")?;
    manifests.write("synth.yaml", &cluster_yaml(Shape { namespaces: 10, pods: 3000, policies: 1000 }, 11))?;
    manifests.write("pods.yaml", BENCH_PODS)?;
    let dir = manifests.path.to_string_lossy().into_owned();
    let table = netns::run(agent::binary(), &["render", "--manifests", &dir, "--node", "node0"])?;
    let script = format!("table inet moat {{}}\ndelete table inet moat\n{table}");
    let scratch = TempDir::new("script")?;
    scratch.write("table.nft", &script)?;
    let script_path = scratch.path.join("table.nft").to_string_lossy().into_owned();
    let to: SocketAddr = "10.252.0.11:80".parse().map_err(|e: std::net::AddrParseError| e.to_string())?;
    let client = topology.pods[0].ns.name.clone();
    connections(&client, to, 50)?; // warm up ARP and caches
    let (mut without, mut with) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        node.exec("nft", &["delete", "table", "inet", "moat"]).ok();
        without.extend(connections(&client, to, CONNECTIONS_PER_ROUND)?);
        node.exec("nft", &["-f", &script_path])?;
        with.extend(connections(&client, to, CONNECTIONS_PER_ROUND)?);
    }
    let shape = node.exec("nft", &["-t", "list", "table", "inet", "moat"])?;
    let chains = shape.matches("\tchain ").count();
    let (a, b) = (median(&mut without), median(&mut with));
    println!(
        "new connection (connect + answer), {} each, alternated: without table {:.1} us, with table ({chains} chains) {:.1} us, ratio {:.2}",
        ROUNDS * CONNECTIONS_PER_ROUND,
        a.as_secs_f64() * 1e6,
        b.as_secs_f64() * 1e6,
        b.as_secs_f64() / a.as_secs_f64().max(1e-9)
    );
    Ok(())
}
