//! The agent's behaviour over time, with real packets: changes while traffic runs, and every
//! failure case of the design (invalid input, refused transactions, fail modes, tampering, crashes,
//! reused pod addresses, cleanup), plus metrics and the denied-flow log.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::agent::{Agent, binary};
use super::fixture::{CLIENT, Fixture, OTHER, PodDef, QUICK_TIMEOUT, WEB, pod_yaml, web_policy};
use super::traffic::probe_within;

/// The end-to-end budget for a change to reach the kernel, as seen by probes (the agent's own
/// event-to-commit goal is 100 ms; probes add their own delay).
const CHANGE_BUDGET: Duration = Duration::from_secs(2);

fn within_budget(what: &str, took: Duration) -> Result<(), String> {
    eprintln!("    {what}: new verdict after {} ms", took.as_millis());
    if took <= CHANGE_BUDGET { Ok(()) } else { Err(format!("{what}: took {took:?}, budget {CHANGE_BUDGET:?}")) }
}

pub fn policy_added_changed_removed() -> Result<(), String> {
    let mut f = Fixture::new(&[&CLIENT, &WEB, &OTHER], &[])?;
    f.start_agent(&[])?;
    f.expect(&CLIENT, &WEB, true)?;
    f.manifests.write("policy.yaml", &web_policy("web", None))?;
    within_budget("policy added", f.wait_for(&CLIENT, &WEB, false)?)?;
    f.expect(&WEB, &CLIENT, true)?;
    f.manifests.write("policy.yaml", &web_policy("web", Some("role: client")))?;
    within_budget("policy changed", f.wait_for(&CLIENT, &WEB, true)?)?;
    f.expect(&OTHER, &WEB, false)?;
    f.manifests.remove("policy.yaml")?;
    within_budget("policy removed", f.wait_for(&OTHER, &WEB, true)?)?;
    Ok(())
}

pub fn pod_labels_changed() -> Result<(), String> {
    let mut f = Fixture::new(&[&CLIENT, &WEB, &OTHER], &[("policy.yaml", web_policy("web", Some("role: client")))])?;
    f.start_agent(&[])?;
    f.expect(&OTHER, &WEB, false)?;
    f.manifests.write("pod-default-other.yaml", &pod_yaml(OTHER.id, OTHER.address, "role: client", "Running"))?;
    within_budget("peer relabelled into the selector", f.wait_for(&OTHER, &WEB, true)?)?;
    f.manifests.write("pod-default-web.yaml", &pod_yaml(WEB.id, WEB.address, "app: web-v2", "Running"))?;
    within_budget(
        "destination relabelled out of the policy",
        f.wait_for(&CLIENT, &WEB, true).and_then(|_| f.wait_for(&OTHER, &WEB, true))?,
    )?;
    Ok(())
}

pub fn invalid_policy_is_reported_and_skipped() -> Result<(), String> {
    let invalid = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: broken, namespace: default}\n\
                   spec: {podSelector: {matchLabels: {role: other}}, ingress: [{ports: [{port: 70000}]}]}\n";
    let mut f = Fixture::new(
        &[&CLIENT, &WEB, &OTHER],
        &[("deny.yaml", web_policy("web", None)), ("broken.yaml", invalid.into())],
    )?;
    f.start_agent(&[])?;
    f.expect(&CLIENT, &WEB, false)?;
    // The broken policy would isolate `other`; skipped, it isolates nothing.
    f.expect(&CLIENT, &OTHER, true)?;
    let agent = f.agent()?;
    let log = agent.stderr_text();
    if !log.contains("object rejected and skipped") || !log.contains("broken.yaml") {
        return Err(format!("the invalid policy was not reported:\n{log}"));
    }
    expect_metric(agent, "moat_invalid_objects", "", |v| v == 1.0)
}

pub fn failed_transaction_changes_nothing_and_is_retried() -> Result<(), String> {
    let mut f = Fixture::new(&[&CLIENT, &WEB], &[])?;
    let nft = f.failing_nft("fail")?;
    f.start_agent(&["--nft", &nft])?;
    f.set_flag("fail", true)?;
    f.manifests.write("policy.yaml", &web_policy("web", None))?;
    std::thread::sleep(Duration::from_millis(800));
    f.expect(&CLIENT, &WEB, true)?;
    expect_metric(f.agent()?, "moat_transaction_failures_total", "", |v| v >= 1.0)?;
    f.set_flag("fail", false)?;
    let took = f.wait_for(&CLIENT, &WEB, false)?;
    eprintln!("    retried after the failure cleared: {} ms", took.as_millis());
    Ok(())
}

pub fn fail_closed_after_persistent_failure() -> Result<(), String> {
    let mut f = Fixture::new(&[&CLIENT, &WEB], &[])?;
    let nft = f.failing_nft("fail")?;
    f.start_agent(&["--nft", &nft, "--fail-mode", "closed", "--fail-after", "1s"])?;
    f.expect(&WEB, &CLIENT, true)?;
    f.set_flag("fail", true)?;
    f.manifests.write("policy.yaml", &web_policy("web", None))?;
    f.wait_for(&WEB, &CLIENT, false)?;
    f.expect(&CLIENT, &WEB, false)?;
    f.set_flag("fail", false)?;
    f.wait_for(&WEB, &CLIENT, true)?;
    f.expect(&CLIENT, &WEB, false)
}

pub fn fail_open_after_persistent_failure() -> Result<(), String> {
    let mut f = Fixture::new(&[&CLIENT, &WEB, &OTHER], &[("policy.yaml", web_policy("web", None))])?;
    let nft = f.failing_nft("fail")?;
    f.start_agent(&["--nft", &nft, "--fail-mode", "open", "--fail-after", "1s"])?;
    f.expect(&CLIENT, &WEB, false)?;
    f.set_flag("fail", true)?;
    f.manifests.write("policy.yaml", &web_policy("web", Some("role: other")))?;
    f.wait_for(&CLIENT, &WEB, true)?;
    f.set_flag("fail", false)?;
    f.wait_for(&CLIENT, &WEB, false)?;
    f.expect(&OTHER, &WEB, true)
}

pub fn table_deleted_or_flushed_is_reprogrammed() -> Result<(), String> {
    let mut f = Fixture::new(&[&CLIENT, &WEB], &[("policy.yaml", web_policy("web", None))])?;
    f.start_agent(&[])?;
    f.expect(&CLIENT, &WEB, false)?;
    let tampering: [&[&str]; 3] = [
        &["delete", "table", "inet", "moat"],
        &["flush", "table", "inet", "moat"],
        &["flush", "chain", "inet", "moat", "ingress"],
    ];
    for args in tampering {
        f.node().exec("nft", args)?;
        let took = f.wait_for(&CLIENT, &WEB, false)?;
        eprintln!("    `nft {}` repaired within {} ms", args.join(" "), took.as_millis());
    }
    expect_metric(f.agent()?, "moat_tamper_detected_total", "", |v| v >= 1.0)
}

/// A killed agent leaves its rules enforced; its successor replaces them without ever letting a
/// denied connection through.
pub fn killed_agent_fails_static_and_restarts_without_a_window() -> Result<(), String> {
    let mut f = Fixture::new(&[&CLIENT, &WEB, &OTHER], &[("policy.yaml", web_policy("web", None))])?;
    f.start_agent(&[])?;
    f.expect(&CLIENT, &WEB, false)?;
    f.agent_mut()?.kill();
    for _ in 0..5 {
        f.expect(&CLIENT, &WEB, false)?;
    }
    // While the agent is down, the policy changes: `other` may now connect; `client` still not.
    f.manifests.write("policy.yaml", &web_policy("web", Some("role: other")))?;
    let stop = Arc::new(AtomicBool::new(false));
    let leaks = Arc::new(AtomicUsize::new(0));
    let probes = Arc::new(AtomicUsize::new(0));
    let denied = f.probe(&CLIENT, &WEB)?;
    let watcher = {
        let (stop, leaks, probes) = (stop.clone(), leaks.clone(), probes.clone());
        std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(30);
            while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
                probes.fetch_add(1, Ordering::Relaxed);
                if probe_within(&denied, QUICK_TIMEOUT) {
                    leaks.fetch_add(1, Ordering::Relaxed);
                }
            }
        })
    };
    std::thread::sleep(Duration::from_millis(100));
    let restarted = f.start_agent(&[]).and_then(|()| f.wait_for(&OTHER, &WEB, true));
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::Relaxed);
    let _ = watcher.join();
    restarted?;
    let (leaks, probes) = (leaks.load(Ordering::Relaxed), probes.load(Ordering::Relaxed));
    eprintln!("    {probes} probes of a denied flow during the restart, {leaks} got through");
    if leaks > 0 || probes == 0 {
        Err(format!("{leaks} of {probes} denied probes got through during the restart"))
    } else {
        Ok(())
    }
}

/// A terminal pod that still reports an address now used by a running pod takes no part.
pub fn reused_address_follows_the_running_pod() -> Result<(), String> {
    let newcomer = PodDef { id: "default/newcomer", address: "10.250.0.20", labels: "role: other" };
    let terminal = pod_yaml("default/finished-job", newcomer.address, "role: client", "Succeeded");
    let mut f = Fixture::new(
        &[&CLIENT, &WEB, &newcomer],
        &[("policy.yaml", web_policy("web", Some("role: client"))), ("old.yaml", terminal)],
    )?;
    f.start_agent(&[])?;
    f.expect(&CLIENT, &WEB, true)?;
    f.expect(&newcomer, &WEB, false)?;
    // The other way round: the running pod is the client, the terminal one is not.
    f.manifests.write("old.yaml", &pod_yaml("default/finished-job", newcomer.address, "role: other", "Failed"))?;
    f.manifests
        .write("pod-default-newcomer.yaml", &pod_yaml(newcomer.id, newcomer.address, "role: client", "Running"))?;
    f.wait_for(&newcomer, &WEB, true).map(drop)
}

pub fn cleanup_removes_the_table() -> Result<(), String> {
    let mut f = Fixture::new(&[&CLIENT, &WEB], &[("policy.yaml", web_policy("web", None))])?;
    f.start_agent(&[])?;
    f.expect(&CLIENT, &WEB, false)?;
    f.agent_mut()?.kill();
    f.node().exec(binary(), &["cleanup"])?;
    let tables = f.node().exec("nft", &["list", "tables"])?;
    if tables.contains("moat") {
        return Err(format!("table still there: {tables}"));
    }
    f.expect(&CLIENT, &WEB, true)?;
    // Cleaning up twice is fine.
    f.node().exec(binary(), &["cleanup"]).map(drop)
}

pub fn metrics_health_and_readiness() -> Result<(), String> {
    let mut f = Fixture::new(&[&CLIENT, &WEB], &[("policy.yaml", web_policy("web", None))])?;
    let nft = f.failing_nft("fail")?;
    f.set_flag("fail", true)?;
    f.start_agent_unready(&["--nft", &nft])?;
    let agent = f.agent()?;
    let deadline = Instant::now() + Duration::from_secs(10);
    while agent.get("/healthz").map(|(s, _)| s) != Ok(200) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    if agent.get("/readyz")?.0 != 503 {
        return Err("ready before any successful sync".into());
    }
    f.set_flag("fail", false)?;
    f.agent_mut()?.wait_ready()?;
    f.expect(&CLIENT, &WEB, false)?;
    let agent = f.agent()?;
    expect_metric(agent, "moat_denied_packets_total", "pod=\"default/web\",direction=\"ingress\"", |v| v >= 1.0)?;
    expect_metric(agent, "moat_local_pods_isolated", "direction=\"ingress\"", |v| v == 1.0)?;
    expect_metric(agent, "moat_local_pods_isolated", "direction=\"egress\"", |v| v == 0.0)?;
    expect_metric(agent, "moat_event_to_commit_seconds_count", "", |v| v >= 1.0)?;
    expect_metric(agent, "moat_sync_duration_seconds_count", "phase=\"apply\"", |v| v >= 1.0)?;
    expect_metric(agent, "moat_last_successful_sync_timestamp_seconds", "", |v| v > 1.0e9)?;
    expect_metric(agent, "moat_transaction_failures_total", "", |v| v >= 1.0)?;
    for name in ["moat_chains", "moat_sets", "moat_set_elements"] {
        expect_metric(agent, name, "", |v| v > 0.0)?;
    }
    Ok(())
}

pub fn denied_flows_are_logged_with_the_engines_reason() -> Result<(), String> {
    let mut f = Fixture::new(&[&CLIENT, &WEB], &[("policy.yaml", web_policy("deny-web", None))])?;
    f.start_agent(&[])?;
    if !f.agent()?.stderr_text().contains("denied-flow log on NFLOG") {
        return Err(format!("NFLOG unavailable:\n{}", f.agent()?.log_tail()));
    }
    f.expect(&CLIENT, &WEB, false)?;
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        let out = f.agent()?.stdout_text();
        if let Some(line) = out.lines().find(|l| l.contains("\"destination\":\"default/web\"")) {
            let json: serde_json::Value = serde_json::from_str(line).map_err(|e| e.to_string())?;
            let ok = json["source"] == "default/client"
                && json["port"] == 80
                && json["protocol"] == "TCP"
                && json["deniedAt"] == "ingress"
                && json["explanation"]["allowed"] == false
                && json["reason"].as_str().is_some_and(|r| r.contains("default/deny-web"));
            return if ok { Ok(()) } else { Err(format!("unexpected denied-flow line: {line}")) };
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(format!("no denied-flow line; stdout:\n{}", f.agent()?.stdout_text()))
}

fn expect_metric(agent: &Agent, name: &str, labels: &str, ok: impl Fn(f64) -> bool) -> Result<(), String> {
    match agent.metric(name, labels) {
        Some(v) if ok(v) => Ok(()),
        other => Err(format!("metric {name}{{{labels}}} is {other:?}")),
    }
}
