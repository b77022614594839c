//! The fast paths against the reference evaluator, on random clusters.
//!
//! Every cell of the bitset matrix (for ports that exercise named ports, ranges and every protocol)
//! and of the any-port matrix is compared with the pair-by-pair evaluator, and the reference
//! connection sets are compared with single-port verdicts, for pods and for the workloads and address
//! ranges of connection lists.

use moat_engine::cluster::EndpointId;
use moat_engine::model::ports::Protocol;
use moat_engine::query::connectivity::{Node, reachability};
use moat_engine::query::flow::{connections, policy_connections};
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

fn shape(seed: u64) -> Shape {
    Shape { namespaces: 1 + (seed % 4) as usize, pods: 4 + (seed % 17) as usize, policies: 1 + (seed % 9) as usize }
}

fn random_cluster(seed: u64) -> Cluster {
    let cluster = Cluster::from_texts([(format!("seed-{seed}.yaml"), cluster_yaml(shape(seed), seed))]);
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

/// The connection lists of `moat list`: each pair's set agrees with single-port verdicts, every pod
/// of a workload has its representative's connections, and every address of a range its first
/// address's.
#[test]
fn workload_and_range_connections_agree_with_single_flows() {
    let (mut cases, mut grouped) = (0usize, 0usize);
    for seed in 0..CLUSTERS / 3 {
        // Every pod gets one of two ReplicaSets of its namespace as owner, so workloads group pods
        // whose labels differ: some stay whole, some are split.
        let yaml = cluster_yaml(shape(seed), seed);
        let mut owned = String::new();
        for (i, part) in yaml.split("kind: Pod\nmetadata: {").enumerate() {
            if i > 0 {
                let owner = format!("ownerReferences: [{{kind: ReplicaSet, name: rs-{}, controller: true}}], ", i % 2);
                owned.push_str(&format!("kind: Pod\nmetadata: {{{owner}"));
            }
            owned.push_str(part);
        }
        let cluster = Cluster::from_texts([(format!("seed-{seed}.yaml"), owned)]);
        let reach = reachability(&cluster);
        let workloads = &reach.workloads.list;
        grouped += workloads.iter().filter(|w| w.pods.len() > 1).count();
        let set = |from: Node, to: Node| {
            reach.links.iter().find(|l| l.from == from && l.to == to).map(|l| l.ports.clone()).unwrap_or_default()
        };
        let probe = |from: EndpointId, to: EndpointId, expected: &moat_engine::model::ports::PortSet, what: &str| {
            let mut probes: Vec<(u16, Protocol)> = PORTS.to_vec();
            for protocol in Protocol::ALL {
                for &(lo, hi) in expected.ranges(protocol) {
                    probes.extend([lo, hi, lo.saturating_sub(1).max(1), hi.saturating_add(1)].map(|p| (p, protocol)));
                }
            }
            let mut n = 0;
            for (port, protocol) in probes {
                let flow = Flow { from, to, port: PortRef::Number(port), protocol };
                let Ok(verdict) = evaluate(&cluster, &flow) else { panic!("numeric ports always resolve") };
                // Traffic between a pod and its own node needs no policy; lists leave it out.
                if verdict.shortcut.is_none() {
                    assert_eq!(
                        expected.contains(protocol, port),
                        verdict.allowed,
                        "seed {seed}: {what} {protocol}/{port}"
                    );
                    n += 1;
                }
            }
            n
        };
        for (a, wa) in workloads.iter().enumerate() {
            for (b, wb) in workloads.iter().enumerate().filter(|&(b, _)| b != a) {
                let expected = set(Node::Workload(a), Node::Workload(b));
                let (ra, rb) = (EndpointId::Pod(wa.representative()), EndpointId::Pod(wb.representative()));
                cases += probe(ra, rb, &expected, &format!("{} -> {}", wa.id(), wb.id()));
                for &pa in &wa.pods {
                    for &pb in &wb.pods {
                        let actual = policy_connections(&cluster, EndpointId::Pod(pa), EndpointId::Pod(pb));
                        assert_eq!(actual, expected, "seed {seed}: pods {pa} -> {pb} of {} -> {}", wa.id(), wb.id());
                    }
                }
            }
            for range in &reach.sources {
                let expected = set(Node::Range(*range), Node::Workload(a));
                let to = EndpointId::Pod(wa.representative());
                for address in [range.first, range.last, range.first + (range.last - range.first) / 2] {
                    let from = EndpointId::External(range.ip(address));
                    assert_eq!(policy_connections(&cluster, from, to), expected, "seed {seed}: {range} -> {}", wa.id());
                }
                cases += probe(range.endpoint(), to, &expected, &format!("{range} -> {}", wa.id()));
            }
            for range in &reach.destinations {
                let expected = set(Node::Workload(a), Node::Range(*range));
                let from = EndpointId::Pod(wa.representative());
                for address in [range.first, range.last, range.first + (range.last - range.first) / 2] {
                    let to = EndpointId::External(range.ip(address));
                    assert_eq!(policy_connections(&cluster, from, to), expected, "seed {seed}: {} -> {range}", wa.id());
                }
                cases += probe(from, range.endpoint(), &expected, &format!("{} -> {range}", wa.id()));
            }
        }
    }
    assert!(cases > 10_000, "only {cases} probes");
    assert!(grouped > 20, "only {grouped} workloads of several pods");
    eprintln!(
        "workload and range connection sets vs single flows: {cases} probes, {grouped} workloads of several pods"
    );
}

#[test]
fn summary_counts_equal_the_matrix() {
    for seed in 0..CLUSTERS {
        let cluster = random_cluster(seed);
        for query in [PortQuery::One(80, Protocol::Tcp), PortQuery::One(53, Protocol::Udp), PortQuery::Any] {
            let counted = moat_engine::query::Reachability::new(&cluster, query).summary();
            let cells = matrix(&cluster, query).allowed.iter().flatten().filter(|&&a| a).count() as u64;
            assert_eq!(counted.allowed, cells, "seed {seed} {query:?}");
            assert_eq!(counted.pairs, (cluster.pods.len() * cluster.pods.len()) as u64);
        }
    }
}
