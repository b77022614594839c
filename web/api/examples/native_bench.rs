//! The native half of `scripts/bench-wasm`: writes a synthetic cluster's manifests to a file, then
//! times the analysis that `tests/browser/bench.mjs` times through the JavaScript API in Node: build
//! the cluster from the text, the matrix on TCP/80, the any-port matrix. A matrix step includes its
//! JSON (what `moat matrix --output json` prints), as the API's includes making JavaScript objects.
//! Prints the mean times in milliseconds as JSON.
//!
//! `cargo run --release -p moat-wasm --example native_bench -- MANIFESTS_OUT [PODS POLICIES NAMESPACES]`

use std::time::{Duration, Instant};

use moat_engine::Cluster;
use moat_engine::model::ports::Protocol;
use moat_engine::query::{PortQuery, matrix};
use moat_engine::synth::{Shape, cluster_yaml};

/// The mean time of `step`, run until a second has passed and at least three times (as bench.mjs).
fn mean_ms<T>(mut step: impl FnMut() -> T) -> f64 {
    let (mut runs, started) = (0u32, Instant::now());
    while started.elapsed() < Duration::from_secs(1) || runs < 3 {
        std::hint::black_box(step());
        runs += 1;
    }
    started.elapsed().as_secs_f64() * 1000.0 / f64::from(runs)
}

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let out = args.first().ok_or("usage: native_bench MANIFESTS_OUT [PODS POLICIES NAMESPACES]")?;
    let number = |i: usize, default: usize| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(default);
    let shape = Shape { pods: number(1, 1000), policies: number(2, 200), namespaces: number(3, 20) };
    let text = cluster_yaml(shape, 42);
    std::fs::write(out, &text).map_err(|e| format!("{out}: {e}"))?;
    let cluster = Cluster::from_texts([("synthetic.yaml", text.as_str())]);
    let timings = [
        ("build", mean_ms(|| Cluster::from_texts([("synthetic.yaml", text.as_str())]))),
        ("matrix TCP/80", mean_ms(|| serde_json::to_string(&matrix(&cluster, PortQuery::One(80, Protocol::Tcp))))),
        ("matrix any port", mean_ms(|| serde_json::to_string(&matrix(&cluster, PortQuery::Any)))),
    ];
    let fields: Vec<String> = timings.iter().map(|(step, ms)| format!("\"{step}\": {ms:.3}")).collect();
    println!(
        "{{\"pods\": {}, \"policies\": {}, \"bytes\": {}, \"ms\": {{{}}}}}",
        cluster.pods.len(),
        cluster.policies.len(),
        text.len(),
        fields.join(", ")
    );
    Ok(())
}
