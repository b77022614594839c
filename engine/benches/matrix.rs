//! The bitset matrix against the pair-by-pair reference evaluator on a synthetic cluster of about
//! 1,000 pods and 200 policies. Prints times and their ratio, measured in the same run (machines
//! here are noisy, so absolute times matter less than the ratio).
//!
//! `cargo bench -p moat-engine --bench matrix [-- PODS POLICIES NAMESPACES]`

use std::time::{Duration, Instant};

use moat_engine::Cluster;
use moat_engine::cluster::EndpointId;
use moat_engine::model::ports::Protocol;
use moat_engine::query::{Flow, PortQuery, PortRef, evaluate, matrix};
use moat_engine::synth::{Shape, cluster_yaml};

fn arg(n: usize, default: usize) -> usize {
    std::env::args().filter(|a| !a.starts_with('-')).nth(n).and_then(|a| a.parse().ok()).unwrap_or(default)
}

fn main() {
    let shape = Shape { pods: arg(1, 1000), policies: arg(2, 200), namespaces: arg(3, 20) };
    let text = cluster_yaml(shape, 42);
    let started = Instant::now();
    let cluster = Cluster::from_texts([("synthetic.yaml", text.as_str())]);
    let parse = started.elapsed();
    let n = cluster.pods.len();
    println!(
        "cluster: {n} pods, {} policies, {} namespaces, {} KiB of YAML; parse + assemble {parse:.2?}",
        cluster.policies.len(),
        cluster.namespaces.len(),
        text.len() / 1024
    );

    let (port, protocol) = (80, Protocol::Tcp);
    let started = Instant::now();
    let compiled = moat_engine::compile::Compiled::new(&cluster);
    let compile_time = started.elapsed();
    let started = Instant::now();
    let _reach = compiled.reach_port(port, protocol);
    let reach_time = started.elapsed();
    println!(
        "compile: {} classes in {compile_time:.2?}; class reachability on TCP/{port}: {reach_time:.2?}",
        compiled.class_count()
    );
    // Repeat the fast path until it has run for a while, for a stable per-run figure.
    let (mut runs, started) = (0u32, Instant::now());
    let mut fast = matrix(&cluster, PortQuery::One(port, protocol));
    while started.elapsed() < Duration::from_secs(2) || runs < 3 {
        fast = matrix(&cluster, PortQuery::One(port, protocol));
        runs += 1;
    }
    let fast_time = started.elapsed() / runs;

    // The pair-by-pair evaluator on whole rows of random sources (all rows for small clusters),
    // projected to the whole matrix; every sampled verdict is also checked against the fast matrix.
    let rows = n.min((200_000 / n.max(1)).max(1));
    let mut rng = moat_engine::synth::Rng::new(7);
    let sources: Vec<usize> = if rows == n { (0..n).collect() } else { (0..rows).map(|_| rng.below(n)).collect() };
    let samples = rows * n;
    let started = Instant::now();
    for &s in &sources {
        for d in 0..n {
            let flow = Flow { from: EndpointId::Pod(s), to: EndpointId::Pod(d), port: PortRef::Number(port), protocol };
            if let Ok(v) = evaluate(&cluster, &flow) {
                assert_eq!(v.allowed, fast.allowed[s][d], "{} -> {}", cluster.pods[s].id, cluster.pods[d].id);
            }
        }
    }
    let reference_time = started.elapsed().mul_f64((n * n) as f64 / samples as f64);
    let allowed: usize = fast.allowed.iter().map(|row| row.iter().filter(|&&a| a).count()).sum();

    let (mut any_runs, started) = (0u32, Instant::now());
    while started.elapsed() < Duration::from_secs(2) || any_runs < 1 {
        let _ = matrix(&cluster, PortQuery::Any);
        any_runs += 1;
    }
    let any_time = started.elapsed() / any_runs;

    println!("allowed pairs on TCP/{port}: {allowed} of {}", n * n);
    println!("bitset matrix (TCP/{port}):      {fast_time:>10.2?}  (mean of {runs} runs)");
    println!("any-port matrix:              {any_time:>10.2?}  (mean of {any_runs} runs)");
    println!("pair-by-pair evaluator:       {reference_time:>10.2?}  ({} flows; {samples} measured, projected)", n * n);
    println!("ratio pair-by-pair / bitset matrix: {:.0}x", reference_time.as_secs_f64() / fast_time.as_secs_f64());
}
