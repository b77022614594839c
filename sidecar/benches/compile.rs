//! Compile benchmark: one node's nftables state in a big synthetic cluster. Prints figures (it is
//! not a timed test): parse, compile, render and diff times, the size of the result, and memory.
//!
//! `cargo bench -p moat-agent --bench compile [-- PODS POLICIES]` (default 150000 50000).

use std::time::Instant;

use moat_agent::compile::{self, DeniedLog, Options, local_pods};
use moat_agent::nft::{render, transaction};
use moat_engine::synth::{Shape, cluster_yaml};
use moat_engine::{Cluster, Severity};

/// Pods a node runs at most by default (the kubelet's `maxPods`).
const LOCAL_PODS: usize = 110;
const NODE: &str = "bench-node";

/// `VmRSS` and `VmHWM` of this process, in MiB.
fn memory() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .unwrap_or(0.0)
            / 1024.0
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn main() {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let pods = args.first().copied().unwrap_or(150_000);
    let policies = args.get(1).copied().unwrap_or(50_000);
    let namespaces = (pods / 300).max(1);
    println!("cluster: {pods} pods, {policies} policies, {namespaces} namespaces; node with {LOCAL_PODS} local pods");

    let start = Instant::now();
    let yaml = cluster_yaml(Shape { namespaces, pods, policies }, 7);
    println!("generate:  {:>8.1} ms ({} MiB of YAML)", start.elapsed().as_secs_f64() * 1e3, yaml.len() >> 20);

    // The engine refuses files over 64 MiB: split the documents into files of about 16 MiB.
    let mut files: Vec<(String, String)> = Vec::new();
    for document in yaml.split_inclusive("---\n") {
        match files.last_mut() {
            Some((_, text)) if text.len() < 16 << 20 => text.push_str(document),
            _ => files.push((format!("synth-{}.yaml", files.len()), document.to_string())),
        }
    }
    drop(yaml);
    let start = Instant::now();
    let mut cluster = Cluster::from_texts(files);
    // The generator writes the odd invalid policy (`endPort` below `port`): rejected and skipped.
    let rejected = cluster.diagnostics.iter().filter(|d| d.severity == Severity::Error).count();
    println!(
        "parse:     {:>8.1} ms (engine, whole cluster; {} policies kept, {rejected} invalid objects skipped)",
        start.elapsed().as_secs_f64() * 1e3,
        cluster.policies.len()
    );
    let (rss, _) = memory();
    println!("memory after parse: {rss:.0} MiB RSS");

    // Spread the local pods evenly over the cluster (synth places pods on node0..node2).
    let candidates = local_pods(&cluster, None);
    let step = (candidates.len() / LOCAL_PODS).max(1);
    for &pod in candidates.iter().step_by(step).take(LOCAL_PODS) {
        cluster.pods[pod].node = Some(NODE.into());
    }
    let options = Options { node: Some(NODE.into()), denied_log: Some(DeniedLog { group: 3710, per_second: 20 }) };

    let start = Instant::now();
    let compiled = compile::compile(&cluster, &options);
    let compile_time = start.elapsed();
    let ruleset = &compiled.ruleset;
    let rules: usize = ruleset.chains.values().map(|c| c.rules.len()).sum();
    println!("compile:   {:>8.1} ms  (goal: 1000 ms)", compile_time.as_secs_f64() * 1e3);
    println!(
        "result: {} local pods ({} isolated for ingress, {} for egress), {} chains, {} rules, {} sets and maps, {} elements, {} counters",
        compiled.local_pods.len(),
        compiled.local_pods.iter().filter(|p| p.isolated_ingress).count(),
        compiled.local_pods.iter().filter(|p| p.isolated_egress).count(),
        ruleset.chains.len(),
        rules,
        ruleset.sets.len(),
        ruleset.element_count(),
        ruleset.counters.len()
    );

    let start = Instant::now();
    let script = transaction::replace(ruleset, "bench");
    println!(
        "render:    {:>8.1} ms ({:.1} MiB nft script)",
        start.elapsed().as_secs_f64() * 1e3,
        script.len() as f64 / 1048576.0
    );
    println!("json:      {:>8.1} MiB", render::json(ruleset).len() as f64 / 1048576.0);

    // A typical event: one pod somewhere in the cluster changes its labels.
    let changed = candidates[candidates.len() / 2];
    cluster.pods[changed].labels.insert("app".into(), "search".into());
    let start = Instant::now();
    let next = compile::compile(&cluster, &options);
    let recompile = start.elapsed();
    let start = Instant::now();
    let update = transaction::update(ruleset, &next.ruleset, "bench").unwrap_or_default();
    println!(
        "one pod relabelled: recompile {:.1} ms, diff {:.1} ms, {} commands",
        recompile.as_secs_f64() * 1e3,
        start.elapsed().as_secs_f64() * 1e3,
        update.lines().count().saturating_sub(1)
    );
    let (rss, peak) = memory();
    println!("memory: {rss:.0} MiB RSS now, {peak:.0} MiB peak (goal: 150 MiB)");
}
