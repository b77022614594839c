//! The kernel accepts every incremental transaction the agent computes, and ends up holding exactly
//! the desired state: a sequence of synthetic clusters (policies added and removed, pods added,
//! whole clusters replaced) is applied step by step to a real table, each step checked against a
//! listing of the kernel.

use moat_agent::compile::{self, DeniedLog, Options};
use moat_agent::nft::kernel::{Kernel, Nft, TableShape};
use moat_agent::nft::{Ruleset, transaction};
use moat_engine::Cluster;
use moat_engine::synth::{Shape, cluster_yaml};
use serde_json::Value;

use super::agent::TempDir;
use super::netns::{Netns, run};

/// (seed, pods, policies) per step: same seed and pods keep the pods and extend or shorten the
/// policy list; a new pod count or seed reshuffles everything.
const STEPS: [(u64, usize, usize); 12] = [
    (1, 40, 0),
    (1, 40, 10),
    (1, 40, 25),
    (1, 40, 15),
    (1, 46, 15),
    (1, 46, 3),
    (2, 46, 30),
    (2, 46, 30),
    (2, 30, 12),
    (3, 60, 40),
    (3, 60, 0),
    (1, 40, 25),
];

pub fn incremental_transactions_match_the_kernel() -> Result<(), String> {
    let node = Netns::create("nft")?;
    let scratch = TempDir::new("nft")?;
    let wrapper = scratch.path.join("nft-in-node");
    std::fs::write(&wrapper, format!("#!/bin/sh\nexec ip netns exec {} nft \"$@\"\n", node.name))
        .map_err(|e| e.to_string())?;
    run("chmod", &["+x", &wrapper.to_string_lossy()])?;
    let mut nft = Nft::new(&wrapper);
    let options = Options { node: Some("node0".into()), denied_log: Some(DeniedLog { group: 3710, per_second: 5 }) };
    let mut applied: Option<Ruleset> = None;
    for (step, &(seed, pods, policies)) in STEPS.iter().enumerate() {
        let cluster =
            Cluster::from_texts([("synth.yaml", cluster_yaml(Shape { namespaces: 3, pods, policies }, seed))]);
        let desired = compile::compile(&cluster, &options).ruleset;
        let script = match &applied {
            None => Some(transaction::replace(&desired, "step")),
            Some(old) => transaction::update(old, &desired, "step"),
        };
        if let Some(script) = &script {
            nft.apply(script).map_err(|e| format!("step {step}: {e}\nscript:\n{script}"))?;
        }
        let shape = nft.shape().map_err(|e| e.to_string())?.ok_or("the table is missing")?;
        if let Some(difference) = TableShape::of(&desired).difference(&shape) {
            return Err(format!("step {step}: the kernel differs: {difference}"));
        }
        let listed = element_count(&node)?;
        if listed != desired.element_count() {
            return Err(format!("step {step}: {listed} elements in the kernel, {} desired", desired.element_count()));
        }
        applied = Some(desired);
    }
    Ok(())
}

/// Elements of every set and map of the table, as the kernel lists them.
fn element_count(node: &Netns) -> Result<usize, String> {
    let json: Value = serde_json::from_str(&node.exec("nft", &["-j", "list", "table", "inet", "moat"])?)
        .map_err(|e| e.to_string())?;
    let objects = json["nftables"].as_array().cloned().unwrap_or_default();
    Ok(objects
        .iter()
        .filter_map(|o| o.get("set").or_else(|| o.get("map")))
        .filter_map(|s| s["elem"].as_array())
        .map(Vec::len)
        .sum())
}
