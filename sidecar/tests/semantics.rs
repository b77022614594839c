//! The compiled nftables state allows exactly what the engine allows: every scenario of the corpus
//! and a set of synthetic multi-node clusters, every pod pair, protocol and interesting port, read
//! through a userspace model of nftables ([`support::nft_model`]) and compared with the engine's
//! all-pairs matrix. The network-namespace suite repeats the comparison with real packets.
// Test code: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::{BTreeMap, BTreeSet};

use moat_agent::compile::{self, Options, attributed_addresses};
use moat_agent::nft::{Family, Ruleset};
use moat_engine::Cluster;
use moat_engine::model::policy::PortSpec;
use moat_engine::model::ports::Protocol;
use moat_engine::query::matching::node_local;
use moat_engine::query::{PortQuery, matrix};
use moat_engine::synth::{Shape, cluster_yaml};
use support::nft_model::{Packet, passes};

/// Ports where verdicts can change: declared container ports, the edges of every numeric range.
fn interesting_ports(cluster: &Cluster) -> Vec<u16> {
    let mut ports: BTreeSet<u16> = [1, 80, 65535].into();
    ports.extend(cluster.pods.iter().flat_map(|p| p.ports.iter().map(|c| c.port)));
    for policy in &cluster.policies {
        for rule in policy.ingress.iter().chain(&policy.egress) {
            for port in &rule.ports {
                if let PortSpec::Range(lo, hi) = port.port {
                    ports.extend([lo.saturating_sub(1).max(1), lo, hi, hi.saturating_add(1)]);
                }
            }
        }
    }
    // Keep the run short: every declared port, and an even sample of the range edges.
    let ports: Vec<u16> = ports.into_iter().collect();
    let step = ports.len().div_ceil(MAX_PORTS);
    ports.into_iter().step_by(step.max(1)).collect()
}

const MAX_PORTS: usize = 24;

/// Compares every cell; returns the disagreements.
fn compare(cluster: &Cluster) -> Vec<String> {
    let nodes: BTreeSet<Option<String>> = cluster.pods.iter().map(|p| p.node.clone()).collect();
    let single_node = nodes.iter().all(Option::is_none);
    let rulesets: BTreeMap<Option<String>, Ruleset> = if single_node {
        [(None, compile::compile(cluster, &Options::default()).ruleset)].into()
    } else {
        nodes
            .iter()
            .flatten()
            .map(|n| {
                (
                    Some(n.clone()),
                    compile::compile(cluster, &Options { node: Some(n.clone()), ..Options::default() }).ruleset,
                )
            })
            .collect()
    };
    let node_of = |pod: usize| {
        if single_node { None } else { cluster.pods[pod].node.clone() }
    };
    let mut failures = Vec::new();
    for port in interesting_ports(cluster) {
        for protocol in Protocol::ALL {
            let expected = matrix(cluster, PortQuery::One(port, protocol));
            for s in 0..cluster.pods.len() {
                for d in 0..cluster.pods.len() {
                    // Never on `forward`: a pod's traffic to itself, and to or from its own node.
                    if s == d || node_local(cluster, s, d) {
                        continue;
                    }
                    if !single_node && (cluster.pods[s].node.is_none() || cluster.pods[d].node.is_none()) {
                        continue;
                    }
                    for family in Family::BOTH {
                        let source = attributed_addresses(cluster, s).find(|ip| Family::of(*ip) == family);
                        let destination = attributed_addresses(cluster, d).find(|ip| Family::of(*ip) == family);
                        let (Some(source), Some(destination)) = (source, destination) else {
                            continue;
                        };
                        let packet = Packet { source, destination, protocol, port };
                        // The forward hooks this packet crosses: the source's node (unless the
                        // source is a node) and the destination's.
                        let mut hooks = BTreeSet::new();
                        if !cluster.pods[s].host_network {
                            hooks.insert(node_of(s));
                        }
                        if !cluster.pods[d].host_network {
                            hooks.insert(node_of(d));
                        }
                        let actual = hooks.iter().all(|n| rulesets.get(n).is_none_or(|r| passes(r, &packet)));
                        if actual != expected.allowed[s][d] {
                            failures.push(format!(
                                "{} -> {} {protocol}/{port} ({source} -> {destination}): engine {}, nftables {}",
                                cluster.pods[s].id, cluster.pods[d].id, expected.allowed[s][d], actual
                            ));
                        }
                    }
                }
            }
        }
    }
    failures
}

#[test]
fn every_scenario_compiles_to_the_engines_verdicts() {
    let mut failures = Vec::new();
    let files = moat_tests::scenario_files();
    assert!(files.len() >= 20, "scenario corpus not found");
    for path in files {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let cluster = moat_tests::Scenario::load(&path).and_then(|s| s.cluster(&name));
        match cluster {
            Ok(cluster) => failures.extend(compare(&cluster).into_iter().take(5).map(|f| format!("{name}: {f}"))),
            Err(e) => failures.push(e),
        }
    }
    assert!(failures.is_empty(), "{} disagreements:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn synthetic_multi_node_clusters_compile_to_the_engines_verdicts() {
    let mut failures = Vec::new();
    for seed in 1..=5 {
        let yaml = cluster_yaml(Shape { namespaces: 4, pods: 50, policies: 30 }, seed);
        let cluster = Cluster::from_texts([("synth.yaml", yaml)]);
        failures.extend(compare(&cluster).into_iter().take(5).map(|f| format!("seed {seed}: {f}")));
    }
    assert!(failures.is_empty(), "{} disagreements:\n{}", failures.len(), failures.join("\n"));
}
