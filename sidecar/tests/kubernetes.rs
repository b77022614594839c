//! The `--kubernetes` source against a fake API server ([`support::fake_api`]): nothing is
//! programmed before every resource delivered its initial list; watch events, bookmarks, `410
//! Gone` (relist) and the loss and return of the API all end in the right enforced state.
//! The kernel is a recording stand-in, so this runs without root.
// Test code: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::BTreeMap;
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use moat_agent::agent::{Agent, Config, Event, Shared};
use moat_agent::compile::Options;
use moat_agent::metrics::Metrics;
use moat_agent::nft::kernel::{Kernel, KernelError, TableShape};
use moat_agent::sources::kubernetes;
use serde_json::{Value, json};
use support::fake_api::FakeApi;

/// Accepts every transaction and counts them.
#[derive(Clone, Default)]
struct RecordingKernel {
    applied: Arc<Mutex<Vec<String>>>,
}

impl Kernel for RecordingKernel {
    fn apply(&mut self, script: &str) -> Result<(), KernelError> {
        self.applied.lock().unwrap().push(script.to_string());
        Ok(())
    }
    fn shape(&mut self) -> Result<Option<TableShape>, KernelError> {
        Ok(None)
    }
    fn counters(&mut self) -> Result<BTreeMap<String, u64>, KernelError> {
        Ok(BTreeMap::new())
    }
}

fn pod(name: &str, node: &str, ip: &str, labels: Value, uid: &str, phase: &str) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": "shop", "uid": uid, "labels": labels, "creationTimestamp": "2026-01-01T00:00:00Z"},
        "spec": {"nodeName": node, "containers": [{"name": "c", "image": "i", "ports": [{"name": "http", "containerPort": 80}]}]},
        "status": {"phase": phase, "podIP": ip, "podIPs": [{"ip": ip}]}
    })
}

fn policy(name: &str, from_labels: Value) -> Value {
    json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": "shop"},
        "spec": {"podSelector": {"matchLabels": {"app": "web"}}, "ingress": [{"from": [{"podSelector": {"matchLabels": from_labels}}], "ports": [{"port": "http"}]}]}
    })
}

struct Harness {
    api: FakeApi,
    shared: Arc<Shared>,
    kernel: RecordingKernel,
    events: Sender<Event>,
    agent: Option<std::thread::JoinHandle<()>>,
}

impl Harness {
    async fn start(seed: impl FnOnce(&FakeApi)) -> Harness {
        let api = FakeApi::start().await;
        api.apply(
            "namespaces",
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop", "labels": {"team": "shop"}}}),
        );
        seed(&api);
        let client =
            kube::Client::try_from(kube::Config::new(format!("http://{}", api.address).parse().unwrap())).unwrap();
        let (events, received) = mpsc::channel();
        kubernetes::start(&client, Some("node-a"), &events);
        let shared = Arc::new(Shared::default());
        let kernel = RecordingKernel::default();
        let config = Config { compile: Options { node: Some("node-a".into()), denied_log: None }, ..Config::default() };
        let agent =
            Agent::new(config, kernel.clone(), &kubernetes::SOURCES, Arc::new(Metrics::default()), shared.clone());
        let agent = std::thread::spawn(move || agent.run(&received));
        Harness { api, shared, kernel, events, agent: Some(agent) }
    }

    /// Waits (at most 15 s) until the enforced state satisfies `check`.
    async fn eventually(&self, what: &str, check: impl Fn(&moat_agent::agent::Enforced) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if self.shared.enforced().is_some_and(|e| check(&e)) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let state = self.shared.enforced().map(|e| format!("{:?}", e.compiled.local_pods));
        panic!("{what}: not reached; local pods: {state:?}");
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        let _ = self.events.send(Event::Shutdown);
        if let Some(agent) = self.agent.take() {
            let _ = agent.join();
        }
    }
}

/// The address set of a selector peer contains `ip`.
fn peer_contains(e: &moat_agent::agent::Enforced, ip: &str) -> bool {
    e.compiled
        .ruleset
        .sets
        .iter()
        .any(|(name, set)| name.starts_with("peer-") && set.elements.keys().any(|k| format!("{k:?}").contains(ip)))
}

fn local(e: &moat_agent::agent::Enforced) -> Vec<String> {
    e.compiled.local_pods.iter().map(|p| p.id.clone()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn initial_view_then_watch_events() {
    let h = Harness::start(|api| {
        api.apply("pods", pod("web", "node-a", "10.1.0.1", json!({"app": "web"}), "u-web", "Running"));
        api.apply("pods", pod("client", "node-b", "10.1.1.1", json!({"role": "client"}), "u-client", "Running"));
        api.apply("networkpolicies", policy("web", json!({"role": "client"})));
        api.hold("networkpolicies");
    })
    .await;
    // Pods and namespaces are listed, policies are not: nothing may be programmed yet.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(h.kernel.applied.lock().unwrap().is_empty(), "programmed before every source delivered its initial view");
    assert!(!h.shared.ready());
    h.api.release("networkpolicies");
    h.eventually("initial sync", |e| {
        local(e) == ["shop/web"] && e.compiled.local_pods[0].isolated_ingress && peer_contains(e, "10.1.1.1")
    })
    .await;

    // A new client on the other node: its address joins the peer set.
    h.api.apply("pods", pod("client-2", "node-b", "10.1.1.2", json!({"role": "client"}), "u-client-2", "Running"));
    h.eventually("pod added", |e| peer_contains(e, "10.1.1.2")).await;
    // A relabelled pod leaves it; a deleted policy un-isolates the web pod.
    h.api.apply("pods", pod("client-2", "node-b", "10.1.1.2", json!({"role": "other"}), "u-client-2", "Running"));
    h.eventually("pod relabelled", |e| !peer_contains(e, "10.1.1.2")).await;
    h.api.delete("networkpolicies", "shop", "web");
    h.eventually("policy deleted", |e| !e.compiled.local_pods[0].isolated_ingress).await;

    let requests = h.api.requests();
    assert!(
        requests.iter().any(|r| r.contains("fieldSelector=spec.nodeName%3Dnode-a")),
        "local pods by field selector: {requests:?}"
    );
    assert!(
        requests.iter().any(|r| r.contains("fieldSelector=spec.nodeName%21%3Dnode-a")),
        "other pods by field selector: {requests:?}"
    );
    assert!(
        requests.iter().any(|r| r.contains("watch=true") && r.contains("allowWatchBookmarks=true")),
        "{requests:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gone_history_is_relisted() {
    let mut h = Harness::start(|api| {
        api.apply("pods", pod("web", "node-a", "10.1.0.1", json!({"app": "web"}), "u-web", "Running"));
        api.apply("networkpolicies", policy("web", json!({"role": "client"})));
    })
    .await;
    h.eventually("initial sync", |e| local(e) == ["shop/web"]).await;
    // Changes happen while the watches are cut, then the history they would resume from is gone.
    h.api.stop().await;
    h.api.apply("pods", pod("client", "node-b", "10.1.1.1", json!({"role": "client"}), "u-client", "Running"));
    h.api.compact();
    h.api.restart().await;
    h.eventually("relisted after 410 Gone", |e| peer_contains(e, "10.1.1.1")).await;
    // Every watch resumes on its own schedule: the policies' one must relist too.
    let relisted = || {
        h.api
            .requests()
            .iter()
            .filter(|r| r.starts_with("/apis/networking.k8s.io/v1/networkpolicies") && !r.contains("watch=true"))
            .count()
            >= 2
    };
    let deadline = Instant::now() + Duration::from_secs(15);
    while !relisted() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(relisted(), "policies were listed again after 410 Gone");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn losing_the_api_keeps_the_last_view_until_it_returns() {
    let mut h = Harness::start(|api| {
        api.apply("pods", pod("web", "node-a", "10.1.0.1", json!({"app": "web"}), "u-web", "Running"));
        api.apply("pods", pod("client", "node-b", "10.1.1.1", json!({"role": "client"}), "u-client", "Running"));
        api.apply("networkpolicies", policy("web", json!({"role": "client"})));
    })
    .await;
    h.eventually("initial sync", |e| peer_contains(e, "10.1.1.1")).await;
    let before = h.kernel.applied.lock().unwrap().len();
    h.api.stop().await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    // No API: nothing changes, in particular nothing is emptied.
    assert_eq!(h.kernel.applied.lock().unwrap().len(), before, "the agent reprogrammed while the API was gone");
    assert!(
        h.shared.enforced().is_some_and(|e| peer_contains(&e, "10.1.1.1") && e.compiled.local_pods[0].isolated_ingress)
    );
    // Meanwhile the web pod fails, and a new pod gets its address while the failed one still
    // reports it: the address belongs to the running pod.
    h.api.apply("pods", pod("web", "node-a", "10.1.0.1", json!({"app": "web"}), "u-web", "Failed"));
    h.api.apply("pods", pod("cache", "node-a", "10.1.0.1", json!({"app": "cache"}), "u-cache", "Running"));
    h.api.restart().await;
    h.eventually("caught up after the API returned", |e| {
        local(e) == ["shop/cache"] && !e.compiled.local_pods[0].isolated_ingress
    })
    .await;
}
