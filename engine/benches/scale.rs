//! Cluster-scale figures: parse, assemble and compile (reachability classes) of a synthetic cluster of
//! 150,000 pods, 50,000 policies and 10,000 namespaces by default, with peak memory; and parse
//! throughput against serde_norway's own parse of the same text (the floor for any YAML reader).
//!
//! `cargo bench -p moat-engine --bench scale [-- PODS POLICIES NAMESPACES]`

use std::time::Instant;

use moat_engine::Cluster;
use moat_engine::compile::Compiled;
use moat_engine::synth::{Shape, cluster_yaml};

fn arg(n: usize, default: usize) -> usize {
    std::env::args().filter(|a| !a.starts_with('-')).nth(n).and_then(|a| a.parse().ok()).unwrap_or(default)
}

/// Peak resident memory of this process so far (Linux), in MiB.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = status.lines().find(|l| l.starts_with("VmHWM:"))?.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn main() {
    let shape = Shape { pods: arg(1, 150_000), policies: arg(2, 50_000), namespaces: arg(3, 10_000) };
    let text = cluster_yaml(shape, 42);
    let mib = text.len() as f64 / (1024.0 * 1024.0);
    // Files of at most ~16 MiB, split at document boundaries, as `kubectl get -o yaml` dumps would be.
    let mut files = Vec::new();
    let mut rest = text.as_str();
    while !rest.is_empty() {
        let cut = if rest.len() <= 16 << 20 {
            rest.len()
        } else {
            rest[16 << 20..].find("\n---").map_or(rest.len(), |i| (16 << 20) + i + 1)
        };
        files.push((format!("part-{}.yaml", files.len()), rest[..cut].to_string()));
        rest = &rest[cut..];
    }
    println!(
        "input: {} pods, {} policies, {} namespaces; {mib:.1} MiB of YAML in {} files",
        shape.pods,
        shape.policies,
        shape.namespaces,
        files.len()
    );
    println!("peak RSS after generating the text: {:.0} MiB", peak_rss_mib().unwrap_or(f64::NAN));

    let started = Instant::now();
    let mut documents = 0usize;
    for (_, text) in &files {
        for doc in serde_norway::Deserializer::from_str(text) {
            let value: Result<serde_norway::Value, _> = serde::Deserialize::deserialize(doc);
            documents += usize::from(value.is_ok());
        }
    }
    let floor = started.elapsed();
    println!(
        "serde_norway parse to Value (the floor): {floor:.2?} = {:.1} MiB/s ({documents} documents)",
        mib / floor.as_secs_f64()
    );
    println!("peak RSS after the floor parse: {:.0} MiB", peak_rss_mib().unwrap_or(f64::NAN));

    let started = Instant::now();
    let cluster = Cluster::from_texts(files);
    let parse = started.elapsed();
    println!(
        "moat parse + validate + assemble: {parse:.2?} = {:.1} MiB/s ({:.2}x the floor's time); {} pods, {} policies, {} diagnostics",
        mib / parse.as_secs_f64(),
        parse.as_secs_f64() / floor.as_secs_f64(),
        cluster.pods.len(),
        cluster.policies.len(),
        cluster.diagnostics.len()
    );
    println!("peak RSS after parsing: {:.0} MiB", peak_rss_mib().unwrap_or(f64::NAN));

    let started = Instant::now();
    let compiled = Compiled::new(&cluster);
    let compile = started.elapsed();
    println!(
        "compile (classes, selectors, rule peers): {compile:.2?}; {} classes for {} pods, {} rules",
        compiled.class_count(),
        cluster.pods.len(),
        compiled.rules.len()
    );
    println!("peak RSS after compiling: {:.0} MiB", peak_rss_mib().unwrap_or(f64::NAN));
}
