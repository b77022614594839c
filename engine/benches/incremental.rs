//! One edit on a 300-pod / 100-policy cluster held in one file: the incremental workspace (re-parse
//! the changed document only, reassemble, recompile, reachability on one port) against a full
//! analysis of the same text. Prints both and their ratio, measured in the same run.
//!
//! `cargo bench -p moat-engine --bench incremental [-- PODS POLICIES]`

use std::time::{Duration, Instant};

use moat_engine::Cluster;
use moat_engine::compile::Compiled;
use moat_engine::model::ports::Protocol;
use moat_engine::model::versions::Options;
use moat_engine::synth::{Shape, cluster_yaml};
use moat_engine::workspace::Workspace;

fn arg(n: usize, default: usize) -> usize {
    std::env::args().filter(|a| !a.starts_with('-')).nth(n).and_then(|a| a.parse().ok()).unwrap_or(default)
}

/// Mean time of `run` over at least a second of repetitions.
fn time(mut run: impl FnMut(usize)) -> Duration {
    let started = Instant::now();
    let mut runs = 0;
    while started.elapsed() < Duration::from_secs(1) || runs < 5 {
        run(runs);
        runs += 1;
    }
    started.elapsed() / u32::try_from(runs).unwrap_or(u32::MAX)
}

fn analysis(cluster: &Cluster) -> usize {
    let compiled = Compiled::new(cluster);
    let reach = compiled.reach_port(80, Protocol::Tcp);
    reach.egress.len()
}

fn main() {
    let shape = Shape { pods: arg(1, 300), policies: arg(2, 100), namespaces: 5 };
    let text = cluster_yaml(shape, 42);
    // Two versions of the text that differ in one pod's label, and two that differ in one policy.
    let label_edit = text.replacen("labels: {app: web", "labels: {app: api", 1);
    let policy_edit = text.replacen("{port: 80}", "{port: 81}", 1);
    assert!(label_edit != text && policy_edit != text, "the generated cluster lacks the edited fields");
    println!("cluster: {} pods, {} policies, {} KiB in one file", shape.pods, shape.policies, text.len() / 1024);

    for (what, edited) in [("a pod label", &label_edit), ("a policy port", &policy_edit)] {
        let mut workspace = Workspace::new(&Options::default());
        workspace.set_file("cluster.yaml", &text);
        let incremental = time(|i| {
            workspace.set_file("cluster.yaml", if i % 2 == 0 { edited } else { &text });
            analysis(workspace.cluster());
        });
        let full = time(|i| {
            let cluster =
                Cluster::from_texts([("cluster.yaml", if i % 2 == 0 { edited.as_str() } else { text.as_str() })]);
            analysis(&cluster);
        });
        println!(
            "edit {what}: incremental {incremental:.2?}, full {full:.2?}, ratio full / incremental {:.1}x",
            full.as_secs_f64() / incremental.as_secs_f64()
        );
    }
}
