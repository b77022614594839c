//! moat against np-guard/netpol-analyzer's expected outputs (../shared/corpus, or `$MOAT_CORPUS`), for
//! every scenario that uses only NetworkPolicy with core and workload kinds:
//!
//! - `moat list` (text) reproduces each scenario's connlist golden, as a set of lines, and the focused
//!   goldens of those scenarios (`--focus-workload`, `--focus-direction`);
//! - `moat diff` reproduces each semantic-diff golden between two such scenarios.
//!
//! netpol-analyzer evaluates hostNetwork pods like any other pod, and finished pods (a completed Job's)
//! as if they still ran, so the clusters are read as `--host-network pod --terminal-pods include` read
//! them (moat's defaults differ: hostNetwork pods are the node's traffic, finished pods take no part).
//!
//! Scenarios outside that set need features moat does not have (AdminNetworkPolicy,
//! BaselineAdminNetworkPolicy, Ingress/Route, UserDefinedNetwork, NetworkAttachmentDefinition,
//! MultiNetworkPolicy, VirtualMachine) and are not compared.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use moat_engine::Cluster;
use moat_engine::model::policy::Direction;
use moat_engine::query::connectivity::reachability;
use moat_engine::query::diff::diff;
use moat_engine::render;

/// The scenarios whose connlist goldens moat must reproduce (the corpus README lists them).
const SCENARIOS: &[&str] = &[
    "core_pods_without_host_ip",
    "example_pods_w_same_owner_and_labels_gap_no_policy",
    "example_pods_w_same_owner_and_labels_gap_with_good_match_expression",
    "example_pods_w_same_owner_and_labels_gap_with_good_match_expression2",
    "example_pods_w_same_owner_and_labels_gap_with_policy_selector_not_in_gap",
    "exposure_test_pod_exposed_only_to_representative_peers",
    "ipblockstest",
    "ipblockstest_2",
    "ipblockstest_3",
    "ipblockstest_4",
    "minikube_resources",
    "minimal_test_in_ns",
    "multiple_topology_resources_1",
    "multiple_topology_resources_2",
    "multiple_topology_resources_3",
    "multiple_topology_resources_4",
    "netpol-analysis-example-minimal",
    "netpol_named_port_test",
    "netpol_named_port_test_2",
    "new_online_boutique",
    "new_online_boutique_synthesis",
    "online_boutique_workloads_no_ns",
    "onlineboutique",
    "onlineboutique_workloads",
    "semanticDiff-different-topologies-policy-a",
    "semanticDiff-different-topologies-policy-a-with-ipblock",
    "semanticDiff-different-topologies-policy-b",
    "semanticDiff-different-topologies-policy-b-with-ipblock",
    "semanticDiff-orig-topologies-no-policy",
    "semanticDiff-orig-topologies-policy-a",
    "semanticDiff-same-topologies-new1",
    "semanticDiff-same-topologies-new1a",
    "semanticDiff-same-topologies-new2",
    "semanticDiff-same-topologies-new3",
    "semanticDiff-same-topologies-old1",
    "semanticDiff-same-topologies-old2",
    "semanticDiff-same-topologies-old3",
    "test_with_named_ports",
    "test_with_named_ports_changed_netpol",
    "test_with_named_ports_changed_netpol_2",
    "with_end_port_example",
    "with_end_port_example_new",
];

/// Focused goldens of those scenarios: (golden under test_outputs/, scenario, focus workloads,
/// direction).
const FOCUSED: &[(&str, &str, &[&str], Option<Direction>)] = &[
    (
        "connlist/onlineboutique_workloads_focus_workload_emailservice_connlist_output.txt",
        "onlineboutique_workloads",
        &["emailservice"],
        None,
    ),
    (
        "cli/onlineboutique_workloads_focus_workload_emailservice_connlist_output.txt",
        "onlineboutique_workloads",
        &["emailservice"],
        None,
    ),
    (
        "cli/onlineboutique_workloads_focus_workload_default_emailservice_connlist_output.txt",
        "onlineboutique_workloads",
        &["default/emailservice"],
        None,
    ),
    (
        "cli/onlineboutique_workloads_focus_workload_default_checkoutservice_egress_connlist_output.txt",
        "onlineboutique_workloads",
        &["default/checkoutservice"],
        Some(Direction::Egress),
    ),
    ("cli/onlineboutique_connlist_output.txt", "onlineboutique", &[], None),
];

/// Semantic-diff goldens between NetworkPolicy-only scenarios: `diff_between_<after>_and_<before>`.
const DIFFS: &[(&str, &str)] = &[
    ("deny_all_to_from_a_deployment_changed_netpol", "deny_all_to_from_a_deployment"),
    ("ipblockstest_2", "ipblockstest"),
    ("ipblockstest_3", "ipblockstest"),
    ("ipblockstest_3", "ipblockstest_2"),
    ("ipblockstest_4", "ipblockstest"),
    ("multiple_topology_resources_2", "multiple_topology_resources_1"),
    ("multiple_topology_resources_4", "multiple_topology_resources_3"),
    ("netpol-diff-example-minimal", "netpol-analysis-example-minimal"),
    ("new_online_boutique_synthesis", "new_online_boutique"),
    ("onlineboutique_workloads_changed_netpols", "onlineboutique_workloads"),
    ("onlineboutique_workloads_changed_netpols_and_workloads", "onlineboutique_workloads"),
    ("onlineboutique_workloads_changed_workloads", "onlineboutique_workloads"),
    ("semanticDiff-different-topologies-policy-a", "semanticDiff-different-topologies-policy-b"),
    ("semanticDiff-different-topologies-policy-a", "semanticDiff-same-topologies-old1"),
    (
        "semanticDiff-different-topologies-policy-b-with-ipblock",
        "semanticDiff-different-topologies-policy-a-with-ipblock",
    ),
    ("semanticDiff-different-topologies-policy-b", "semanticDiff-different-topologies-policy-a"),
    ("semanticDiff-orig-topologies-policy-a", "semanticDiff-orig-topologies-no-policy"),
    ("semanticDiff-same-topologies-new1", "semanticDiff-same-topologies-old1"),
    ("semanticDiff-same-topologies-new1a", "semanticDiff-same-topologies-old1"),
    ("semanticDiff-same-topologies-new2", "semanticDiff-same-topologies-old2"),
    ("semanticDiff-same-topologies-new3", "semanticDiff-same-topologies-old3"),
    ("test_with_named_ports_changed_netpol_3", "test_with_named_ports_changed_netpol_2"),
    ("test_with_named_ports_changed_netpol", "test_with_named_ports"),
    ("with_end_port_example_new", "with_end_port_example"),
];

fn corpus_dir() -> PathBuf {
    std::env::var_os("MOAT_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| moat_tests::workspace_dir().join("../../shared/corpus/netpol-analyzer"))
}

/// Every manifest of a scenario folder, depth first in name order, named relative to `tests/`.
fn load(scenario: &str) -> Cluster {
    let root = corpus_dir().join("tests");
    let mut files = Vec::new();
    collect(&root.join(scenario), &mut files);
    assert!(!files.is_empty(), "scenario `{scenario}` not found under {}", root.display());
    let mut cluster = Cluster::from_texts(files.iter().map(|f| {
        let name = f.strip_prefix(&root).unwrap_or(f).display().to_string();
        (name, std::fs::read_to_string(f).unwrap_or_default())
    }));
    // netpol-analyzer's reading: `--host-network pod --terminal-pods include`.
    cluster.host_network_as_pods();
    cluster.terminal_pods_as_running();
    cluster
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml" || e == "json") {
            out.push(path);
        }
    }
}

fn golden(path: &str) -> BTreeSet<String> {
    let path = corpus_dir().join("test_outputs").join(path);
    let text = std::fs::read_to_string(&path);
    assert!(text.is_ok(), "golden {}: {text:?}", path.display());
    lines(&text.unwrap_or_default())
}

/// The lines of an output or a golden, without blank lines and without the diff's header and its
/// text for no change (netpol-analyzer prints nothing then).
fn lines(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter(|l| !l.trim().is_empty() && *l != "Connectivity diff:" && *l != "no connectivity changes")
        .map(str::to_string)
        .collect()
}

/// What differs between two sets of lines, for a readable failure.
fn mismatch(expected: &BTreeSet<String>, actual: &BTreeSet<String>) -> Option<String> {
    let missing: Vec<&String> = expected.difference(actual).collect();
    let extra: Vec<&String> = actual.difference(expected).collect();
    (!missing.is_empty() || !extra.is_empty()).then(|| format!("missing: {missing:#?}\nunexpected: {extra:#?}"))
}

#[test]
fn list_reproduces_every_connlist_golden() {
    let mut failures = Vec::new();
    for scenario in SCENARIOS {
        let cluster = load(scenario);
        let list = render::connlist::text(&reachability(&cluster).connectivity());
        let expected = golden(&format!("connlist/{scenario}_connlist_output.txt"));
        if let Some(why) = mismatch(&expected, &lines(&list)) {
            failures.push(format!("{scenario}:\n{why}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} scenarios differ:\n{}",
        failures.len(),
        SCENARIOS.len(),
        failures.join("\n")
    );
    eprintln!("{} connlist goldens reproduced", SCENARIOS.len());
}

#[test]
fn focused_lists_reproduce_their_goldens() {
    let mut failures = Vec::new();
    for (path, scenario, focus, direction) in FOCUSED {
        let all = reachability(&load(scenario));
        let focus: Vec<String> = focus.iter().map(|s| s.to_string()).collect();
        let shown = if focus.is_empty() && direction.is_none() {
            all
        } else {
            all.focus(&focus, *direction).unwrap_or_else(|unknown| panic!("{path}: no workload {unknown:?}"))
        };
        if let Some(why) = mismatch(&golden(path), &lines(&render::connlist::text(&shown.connectivity()))) {
            failures.push(format!("{path}:\n{why}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn diff_reproduces_every_diff_golden() {
    let mut failures = Vec::new();
    for (after, before) in DIFFS {
        let changes = diff(&reachability(&load(before)), &reachability(&load(after)));
        let expected = golden(&format!("diff/diff_between_{after}_and_{before}.txt"));
        // moat says `before` and `after` where netpol-analyzer says `ref1` and `ref2`.
        let expected: BTreeSet<String> =
            expected.iter().map(|l| l.replace(", ref1: ", ", before: ").replace(", ref2: ", ", after: ")).collect();
        if let Some(why) = mismatch(&expected, &lines(&render::diff::text(&changes))) {
            failures.push(format!("{after} vs {before}:\n{why}"));
        }
    }
    assert!(failures.is_empty(), "{} of {} diffs differ:\n{}", failures.len(), DIFFS.len(), failures.join("\n"));
}
