//! End-to-end tests with real packets: network namespaces as pods on "node" namespaces, moat-agent
//! enforcing in each node, real TCP and UDP servers, every verdict compared with the engine's.
//!
//! Needs root, `ip` (iproute2) and `nft` (nftables); runs only with `MOAT_NETNS=1` (as
//! `scripts/test.d/50-netns.sh` sets it), so that `cargo test --workspace` stays unprivileged.
//! Every namespace is named `moat-e2e-*`, removed after each test (even when it fails), and
//! leftovers of a crashed run are removed first.

mod agent;
mod behaviour;
mod fixture;
mod netns;
mod nodes;
mod scenarios;
mod topology;
mod traffic;
mod transactions;

use libtest_mimic::{Arguments, Failed, Trial};

fn enabled() -> bool {
    std::env::var_os("MOAT_NETNS").is_some_and(|v| v == "1")
}

fn trial(name: impl Into<String>, test: impl FnOnce() -> Result<(), String> + Send + 'static) -> Trial {
    Trial::test(name, move || test().map_err(Failed::from)).with_ignored_flag(!enabled())
}

fn main() {
    let mut args = Arguments::from_args();
    // Probes measure time: one test at a time keeps them honest on two cores.
    args.test_threads = Some(1);
    if enabled() {
        netns::remove_leftovers();
    } else {
        eprintln!("network-namespace tests are skipped: run scripts/test.d/50-netns.sh (root, MOAT_NETNS=1)");
    }
    let mut trials = Vec::new();
    for path in moat_tests::scenario_files() {
        let name = path.file_stem().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        trials.push(trial(format!("scenario::{name}"), move || scenarios::run(&path)));
    }
    type Test = fn() -> Result<(), String>;
    let behaviour: [(&str, Test); 14] = [
        ("nft::incremental-transactions-match-the-kernel", transactions::incremental_transactions_match_the_kernel),
        ("nodes::two-nodes-enforce-both-ends", nodes::two_nodes_enforce_both_ends),
        ("change::policy-added-changed-removed", behaviour::policy_added_changed_removed),
        ("change::pod-labels-changed", behaviour::pod_labels_changed),
        ("fault::invalid-policy-is-reported-and-skipped", behaviour::invalid_policy_is_reported_and_skipped),
        (
            "fault::failed-transaction-changes-nothing-and-is-retried",
            behaviour::failed_transaction_changes_nothing_and_is_retried,
        ),
        ("fault::fail-closed-after-persistent-failure", behaviour::fail_closed_after_persistent_failure),
        ("fault::fail-open-after-persistent-failure", behaviour::fail_open_after_persistent_failure),
        ("fault::table-deleted-or-flushed-is-reprogrammed", behaviour::table_deleted_or_flushed_is_reprogrammed),
        (
            "fault::killed-agent-fails-static-and-restarts-without-a-window",
            behaviour::killed_agent_fails_static_and_restarts_without_a_window,
        ),
        ("fault::reused-address-follows-the-running-pod", behaviour::reused_address_follows_the_running_pod),
        ("fault::cleanup-removes-the-table", behaviour::cleanup_removes_the_table),
        ("observe::metrics-health-and-readiness", behaviour::metrics_health_and_readiness),
        (
            "observe::denied-flows-are-logged-with-the-engines-reason",
            behaviour::denied_flows_are_logged_with_the_engines_reason,
        ),
    ];
    trials.extend(behaviour.into_iter().map(|(name, test)| trial(name, test)));
    let conclusion = libtest_mimic::run(&args, trials);
    if enabled() {
        netns::remove_leftovers();
    }
    conclusion.exit();
}
