//! The fast paths against the reference evaluator, on random clusters.
//!
//! Every cell of the bitset matrix (for ports that exercise named ports, ranges and every protocol)
//! and of the any-port matrix is compared with the pair-by-pair evaluator, and the reference
//! connection sets are compared with single-port verdicts.

use moat_engine::cluster::EndpointId;
use moat_engine::model::ports::Protocol;
use moat_engine::query::flow::connections;
use moat_engine::query::{Flow, PortQuery, PortRef, evaluate, matrix};
use moat_engine::synth::{Shape, cluster_yaml};
use moat_engine::{Cluster, Severity};

const CLUSTERS: u64 = 150;
const PORTS: &[(u16, Protocol)] = &[
    (80, Protocol::Tcp),
    (8080, Protocol::Tcp),
    (9091, Protocol::Tcp),
    (53, Protocol::Udp),
    (3868, Protocol::Sctp),
    (75, Protocol::Tcp),
];

fn random_cluster(seed: u64) -> Cluster {
    let shape = Shape {
        namespaces: 1 + (seed % 4) as usize,
        pods: 4 + (seed % 17) as usize,
        policies: 1 + (seed % 9) as usize,
    };
    let cluster = Cluster::from_texts([(format!("seed-{seed}.yaml"), cluster_yaml(shape, seed))]);
    let errors: Vec<_> = cluster.diagnostics.iter().filter(|d| d.severity == Severity::Error).collect();
    assert!(errors.is_empty(), "seed {seed}: generator produced invalid input: {errors:?}");
    cluster
}

#[test]
fn matrix_equals_reference_evaluator() {
    let (mut cases, mut pods, mut classes) = (0usize, 0usize, 0usize);
    for seed in 0..CLUSTERS {
        let cluster = random_cluster(seed);
        let n = cluster.pods.len();
        pods += n;
        classes += moat_engine::compile::Compiled::new(&cluster).class_count();
        for &(port, protocol) in PORTS {
            let fast = matrix(&cluster, PortQuery::One(port, protocol));
            for s in 0..n {
                for d in 0..n {
                    let flow = Flow {
                        from: EndpointId::Pod(s),
                        to: EndpointId::Pod(d),
                        port: PortRef::Number(port),
                        protocol,
                    };
                    let Ok(reference) = evaluate(&cluster, &flow) else { panic!("numeric ports always resolve") };
                    assert_eq!(
                        fast.allowed[s][d],
                        reference.allowed,
                        "seed {seed}: {} -> {} {protocol}/{port}: {}",
                        cluster.pods[s].id,
                        cluster.pods[d].id,
                        reference.explain(&cluster).summary
                    );
                    cases += 1;
                }
            }
        }
    }
    assert!(cases > 10_000, "only {cases} cases");
    // The class-based fast path is only tested if classes really hold several pods.
    assert!(pods * 10 > classes * 13, "{pods} pods in {classes} classes: too few pods share a class");
    eprintln!("matrix vs reference: {cases} cells compared; {pods} pods in {classes} classes");
}

#[test]
fn any_port_matrix_equals_reference_connections() {
    let mut cases = 0usize;
    for seed in 0..CLUSTERS {
        let cluster = random_cluster(seed);
        let fast = matrix(&cluster, PortQuery::Any);
        let n = cluster.pods.len();
        for s in 0..n {
            for d in 0..n {
                let conns = connections(&cluster, EndpointId::Pod(s), EndpointId::Pod(d));
                assert_eq!(
                    fast.allowed[s][d],
                    !conns.is_empty(),
                    "seed {seed}: {} -> {}: {conns}",
                    cluster.pods[s].id,
                    cluster.pods[d].id
                );
                cases += 1;
            }
        }
    }
    eprintln!("any-port matrix vs reference connections: {cases} cells compared");
}

#[test]
fn connection_sets_agree_with_single_flows() {
    let mut cases = 0usize;
    for seed in 0..CLUSTERS / 3 {
        let cluster = random_cluster(seed);
        let n = cluster.pods.len();
        for s in 0..n {
            for d in 0..n {
                let conns = connections(&cluster, EndpointId::Pod(s), EndpointId::Pod(d));
                // Probe each range edge and its neighbours, plus the ports the generator uses.
                let mut probes: Vec<(u16, Protocol)> = PORTS.to_vec();
                for protocol in Protocol::ALL {
                    for &(lo, hi) in conns.ranges(protocol) {
                        for p in [lo, hi, lo.saturating_sub(1).max(1), hi.saturating_add(1)] {
                            probes.push((p, protocol));
                        }
                    }
                }
                for (port, protocol) in probes {
                    let flow = Flow {
                        from: EndpointId::Pod(s),
                        to: EndpointId::Pod(d),
                        port: PortRef::Number(port),
                        protocol,
                    };
                    let Ok(v) = evaluate(&cluster, &flow) else { panic!("numeric ports always resolve") };
                    assert_eq!(
                        conns.contains(protocol, port),
                        v.allowed,
                        "seed {seed}: {} -> {} {protocol}/{port}",
                        cluster.pods[s].id,
                        cluster.pods[d].id
                    );
                    cases += 1;
                }
            }
        }
    }
    eprintln!("connection sets vs single flows: {cases} probes");
}
