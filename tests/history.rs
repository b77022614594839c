//! NetworkPolicy across Kubernetes releases: one manifest set whose reachability changes release by
//! release (1.6, 1.7, 1.8, 1.11, 1.21 and the newest), and `moat migrate` round trips: every
//! generation's scenario, read at its release, migrated to the newest release and proved equivalent.

use moat_engine::Cluster;
use moat_engine::Severity;
use moat_engine::migrate::migrate;
use moat_engine::model::versions::{NEWEST, Options, Release};
use moat_tests::{Scenario, TruthTable, check_table, scenario_files};

/// Namespace `shop` is isolated the 1.3–1.6 way; each policy uses a field of a later release.
const TIMELINE: &str = r#"
apiVersion: v1
kind: Namespace
metadata:
  name: shop
  annotations:
    net.beta.kubernetes.io/network-policy: '{"ingress": {"isolation": "DefaultDeny"}}'
---
apiVersion: v1
kind: Namespace
metadata: {name: ops, labels: {team: ops}}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
status: {podIP: 10.0.0.1}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: shop, labels: {app: db}}
status: {podIP: 10.0.0.2}
---
apiVersion: v1
kind: Pod
metadata: {name: monitor, namespace: ops, labels: {app: monitor}}
status: {podIP: 10.0.1.1}
---
apiVersion: v1
kind: Pod
metadata: {name: backup, namespace: ops, labels: {app: backup}}
status: {podIP: 10.0.1.2}
---
# extensions/v1beta1: served from 1.3 to 1.15.
apiVersion: extensions/v1beta1
kind: NetworkPolicy
metadata: {name: db-from-web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}}]
    ports: [{port: 5432}]
---
# Both selectors in one peer: rejected before 1.11.
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-from-monitor, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {team: ops}}
      podSelector: {matchLabels: {app: monitor}}
---
# Egress and policyTypes from 1.8 (dropped on 1.7); endPort from 1.21 behind its gate.
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: backup-egress, namespace: ops}
spec:
  podSelector: {matchLabels: {app: backup}}
  policyTypes: [Egress]
  egress:
  - to: [{ipBlock: {cidr: 10.0.0.1/32}}]
    ports: [{port: 5000, endPort: 6000}]
---
# Namespaces carry kubernetes.io/metadata.name from 1.21.
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: monitor-from-shop, namespace: ops}
spec:
  podSelector: {matchLabels: {app: monitor}}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: shop}}}]
"#;

const HEADER: &str = "-           ops/backup ops/monitor shop/db shop/web\n";

/// A release, its feature gates, the expected TCP/5432 table and the expected diagnostic codes.
type ReleaseCase = (&'static str, &'static [(&'static str, bool)], &'static str, &'static [&'static str]);

/// Reachability on TCP/5432 and the diagnostic codes, release by release.
const RELEASES: &[ReleaseCase] = &[
    // Annotation isolation: shop refuses all but db-from-web; every v1 policy is not served.
    (
        "1.6",
        &[],
        "ops/backup  .          .           X       X
         ops/monitor .          .           X       X
         shop/db     .          .           .       X
         shop/web    .          .           .       .",
        &["api-not-served", "api-not-served", "api-not-served"],
    ),
    // Isolation by selection: the annotation is ignored and web opens; egress is dropped, so
    // backup-egress denies all ingress to backup; both selectors in one peer are rejected; shop has
    // no name label, so monitor-from-shop admits nobody.
    (
        "1.7",
        &[],
        "ops/backup  .          X           X       .
         ops/monitor X          .           X       .
         shop/db     X          X           .       .
         shop/web    X          X           .       .",
        &["annotation-ignored", "field-not-in-release", "field-not-in-release", "invalid-peer"],
    ),
    // Egress: backup may only open 10.0.0.1 (web) on port 5000, endPort being dropped.
    (
        "1.8",
        &[],
        "ops/backup  .          X           X       X
         ops/monitor .          .           X       .
         shop/db     .          X           .       .
         shop/web    .          X           .       .",
        &["annotation-ignored", "field-not-in-release", "field-not-in-release", "invalid-peer"],
    ),
    // Both selectors in one peer: monitor reaches db.
    (
        "1.11",
        &[],
        "ops/backup  .          X           X       X
         ops/monitor .          .           .       .
         shop/db     .          X           .       .
         shop/web    .          X           .       .",
        &["annotation-ignored", "field-not-in-release", "field-not-in-release"],
    ),
    // extensions/v1beta1 is gone (1.16), namespaces have their name label, endPort's gate is off.
    (
        "1.21",
        &[],
        "ops/backup  .          X           X       X
         ops/monitor .          .           .       .
         shop/db     .          .           .       .
         shop/web    .          .           X       .",
        &["annotation-ignored", "api-not-served", "field-not-in-release"],
    ),
    // The gate on: the 5000-6000 range includes 5432.
    (
        "1.21",
        &[("NetworkPolicyEndPort", true)],
        "ops/backup  .          X           X       .
         ops/monitor .          .           .       .
         shop/db     .          .           .       .
         shop/web    .          .           X       .",
        &["annotation-ignored", "api-not-served"],
    ),
    (
        "1.37",
        &[],
        "ops/backup  .          X           X       .
         ops/monitor .          .           .       .
         shop/db     .          .           .       .
         shop/web    .          .           X       .",
        &["annotation-ignored", "api-not-served"],
    ),
];

fn options(version: &str, gates: &[(&str, bool)]) -> Options {
    Options {
        kubernetes_version: version.parse().unwrap_or_default(),
        feature_gates: gates.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
    }
}

fn timeline(options: &Options) -> Cluster {
    let mut sources = moat_engine::Sources::default();
    sources.add("timeline.yaml", TIMELINE);
    Cluster::from_sources_with(sources, options)
}

#[test]
fn one_manifest_set_release_by_release() {
    let mut failures = Vec::new();
    for &(version, gates, table, codes) in RELEASES {
        let cluster = timeline(&options(version, gates));
        let rows: Vec<&str> = table.lines().map(str::trim).collect();
        let table = TruthTable { port: 5432, protocol: None, table: format!("{HEADER}{}\n", rows.join("\n")) };
        if let Err(e) = check_table(&cluster, &table) {
            failures.push(format!("{version} {gates:?}: {e}"));
        }
        let mut actual: Vec<&str> =
            cluster.diagnostics.iter().filter(|d| d.severity != Severity::Note).map(|d| d.code).collect();
        actual.sort_unstable();
        if actual != codes {
            failures.push(format!("{version} {gates:?}: diagnostics {actual:?}, expected {codes:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_generation_migrates_to_the_newest_release_with_a_proof() {
    let mut migrated = 0;
    for path in scenario_files() {
        let Ok(scenario) = Scenario::load(&path) else { continue };
        if scenario.kubernetes_version.is_none() {
            continue;
        }
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let old = scenario.cluster(&name).unwrap_or_else(|e| panic!("{name}: {e}"));
        let migration = migrate(&old, &Options::at(NEWEST)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(migration.proof.equivalent, "{name}: {:#?}", migration.proof.differences);
        assert!(migration.output_diagnostics.is_empty(), "{name}: {:#?}", migration.output_diagnostics);
        assert!(migration.proof.pairs > 0, "{name}: nothing compared");
        migrated += 1;
    }
    assert!(migrated >= 8, "only {migrated} scenarios name a release");
    // And the timeline from each of its releases. From 1.7 to 1.20 `monitor-from-shop` selects a
    // namespace label that no namespace has yet, and that the newest release sets by itself: no v1
    // policy means the same on both, and the proof names exactly the flows that change.
    for &(version, gates, _, _) in RELEASES {
        let old = timeline(&options(version, gates));
        let migration = migrate(&old, &Options::at(NEWEST)).unwrap_or_else(|e| panic!("{version}: {e}"));
        let pairs: Vec<String> = migration
            .proof
            .differences
            .iter()
            .map(|d| format!("{} -> {}: {} / {}", d.from, d.to, d.before, d.after))
            .collect();
        let expected: &[&str] = match version {
            "1.7" | "1.8" | "1.11" => &[
                "shop/db -> ops/monitor: No Connections / All Connections",
                "shop/web -> ops/monitor: No Connections / All Connections",
            ],
            _ => &[],
        };
        assert_eq!(pairs, expected, "{version} {gates:?}");
        assert_eq!(migration.proof.equivalent, expected.is_empty());
    }
}

#[test]
fn a_migration_without_an_equivalent_names_the_pairs_that_differ() {
    let old = timeline(&Options::at(NEWEST));
    let migration = migrate(&old, &Options::at(Release::new(20))).unwrap_or_else(|e| panic!("{e}"));
    assert!(!migration.proof.equivalent);
    let pairs: Vec<String> = migration
        .proof
        .differences
        .iter()
        .map(|d| format!("{} -> {}: {} / {}", d.from, d.to, d.before, d.after))
        .collect();
    // 1.20 drops endPort (backup keeps only port 5000 to web) and does not label namespaces by name
    // (monitor-from-shop admits nobody).
    assert_eq!(
        pairs,
        [
            "ops/backup -> shop/web: TCP 5000-6000 / TCP 5000",
            "shop/db -> ops/monitor: All Connections / No Connections",
            "shop/web -> ops/monitor: All Connections / No Connections",
        ]
    );
    let why =
        &migration.proof.differences.iter().find(|d| d.to == "shop/web").map(|d| d.why.clone()).unwrap_or_default();
    assert_eq!(why.len(), 2, "{why:?}");
    assert!(why[0].starts_with("on 1.37: allowed") && why[1].starts_with("on 1.20: denied"), "{why:?}");
    let codes: Vec<&str> = migration.output_diagnostics.iter().map(|d| d.code).collect();
    assert!(codes.contains(&"field-not-in-release"), "{codes:?}");
    assert!(migrate(&old, &Options::at(Release::new(6))).is_err(), "v1 is not served on 1.6");
}
