//! The Kubernetes API as a source: namespaces, NetworkPolicies, this node's pods (field selector
//! `spec.nodeName=<node>`) and every other pod (`spec.nodeName!=<node>`), each through a
//! list/watch that relists on `410 Gone` and retries with backoff when the API is unreachable.
//!
//! Objects are trimmed to what evaluation reads and handed to the engine as JSON texts, so the API
//! and manifests on disk go through the same parser. Pods are keyed by UID: when two pods report
//! the same namespace and name (a pod recreated while the old one is still listed), the engine
//! sees the one that is not terminal, else the newest. Terminal pods take no part in the engine.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use kube::api::{ApiResource, DynamicObject, GroupVersionKind};
use kube::runtime::utils::Backoff;
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client};
use serde_json::{Map, Value, json};

use super::{Change, Update};
use crate::agent::Event;
use crate::log;

pub const NAMESPACES: &str = "kubernetes/namespaces";
pub const POLICIES: &str = "kubernetes/networkpolicies";
pub const PODS: &str = "kubernetes/pods";
/// Every source this module feeds; the agent waits for all of them.
pub const SOURCES: [&str; 3] = [NAMESPACES, POLICIES, PODS];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Namespace,
    NetworkPolicy,
    Pod,
}

impl Kind {
    fn resource(self) -> ApiResource {
        let (group, version, kind, plural) = match self {
            Kind::Namespace => ("", "v1", "Namespace", "namespaces"),
            Kind::NetworkPolicy => ("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies"),
            Kind::Pod => ("", "v1", "Pod", "pods"),
        };
        ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural)
    }
}

/// Starts every watch on the current tokio runtime. With a node, pods are watched in two halves
/// (this node's, the others'), so the local half stays small and fast to relist.
pub fn start(client: &Client, node: Option<&str>, agent: &Sender<Event>) {
    for (kind, source) in [(Kind::Namespace, NAMESPACES), (Kind::NetworkPolicy, POLICIES)] {
        let api = Api::all_with(client.clone(), &kind.resource());
        tokio::spawn(follow_objects(api, kind, source, agent.clone()));
    }
    let selectors: Vec<Option<String>> = match node {
        Some(node) => vec![Some(format!("spec.nodeName={node}")), Some(format!("spec.nodeName!={node}"))],
        None => vec![None],
    };
    let store = Arc::new(Mutex::new(PodStore::new(selectors.len())));
    for (index, selector) in selectors.into_iter().enumerate() {
        let api = Api::all_with(client.clone(), &Kind::Pod.resource());
        let mut config = watcher::Config::default();
        if let Some(selector) = &selector {
            config = config.fields(selector);
        }
        tokio::spawn(follow_pods(api, config, index, store.clone(), agent.clone()));
    }
}

/// Namespaces or policies: one text per object, keyed by namespace and name.
async fn follow_objects(api: Api<DynamicObject>, kind: Kind, source: &'static str, agent: Sender<Event>) {
    let mut current: HashMap<String, String> = HashMap::new();
    let mut relist: Option<HashMap<String, String>> = None;
    let mut stream = watcher(api, watcher::Config::default()).backoff(WatchBackoff::new()).boxed();
    while let Some(event) = stream.next().await {
        let observed_at = Instant::now();
        let send = |change| agent.send(Event::Source(Update { source: source.into(), change, observed_at })).is_ok();
        let event = match event {
            Ok(event) => event,
            Err(e) => {
                log::warn("kubernetes watch failed; retrying", json!({"source": source, "error": e.to_string()}));
                continue;
            }
        };
        let delivered = match event {
            watcher::Event::Init => {
                relist = Some(HashMap::new());
                true
            }
            watcher::Event::InitApply(object) => {
                if let Some(buffer) = relist.as_mut() {
                    buffer.insert(key(&object), engine_text(kind, &object));
                }
                true
            }
            watcher::Event::InitDone => {
                current = relist.take().unwrap_or_default();
                send(Change::Replace(current.clone().into_iter().collect()))
            }
            watcher::Event::Apply(object) => {
                let (name, text) = (key(&object), engine_text(kind, &object));
                // Status-only updates often leave the trimmed text unchanged: nothing to do.
                if current.get(&name) == Some(&text) {
                    true
                } else {
                    current.insert(name.clone(), text.clone());
                    send(Change::Upsert(name, text))
                }
            }
            watcher::Event::Delete(object) => {
                let name = key(&object);
                current.remove(&name).is_none() || send(Change::Remove(name))
            }
        };
        if !delivered {
            return; // the agent is gone
        }
    }
}

/// One half of the pods, merged with the other half in the shared [`PodStore`].
async fn follow_pods(
    api: Api<DynamicObject>,
    config: watcher::Config,
    watch: usize,
    store: Arc<Mutex<PodStore>>,
    agent: Sender<Event>,
) {
    let mut relist: Option<HashMap<String, PodEntry>> = None;
    let mut stream = watcher(api, config).backoff(WatchBackoff::new()).boxed();
    while let Some(event) = stream.next().await {
        let observed_at = Instant::now();
        let event = match event {
            Ok(event) => event,
            Err(e) => {
                log::warn("kubernetes watch failed; retrying", json!({"source": PODS, "error": e.to_string()}));
                continue;
            }
        };
        let changes = {
            let Ok(mut store) = store.lock() else { return };
            match event {
                watcher::Event::Init => {
                    relist = Some(HashMap::new());
                    Vec::new()
                }
                watcher::Event::InitApply(object) => {
                    if let (Some(buffer), Some(entry)) = (relist.as_mut(), PodEntry::of(&object)) {
                        buffer.insert(entry.uid.clone(), entry);
                    }
                    Vec::new()
                }
                watcher::Event::InitDone => store.replace(watch, relist.take().unwrap_or_default()),
                watcher::Event::Apply(object) => {
                    PodEntry::of(&object).map(|e| store.apply(watch, e)).unwrap_or_default()
                }
                watcher::Event::Delete(object) => {
                    object.metadata.uid.as_deref().map(|uid| store.delete(watch, uid)).unwrap_or_default()
                }
            }
        };
        for change in changes {
            if agent.send(Event::Source(Update { source: PODS.into(), change, observed_at })).is_err() {
                return;
            }
        }
    }
}

/// Retries a failed list or watch after 200 ms, doubling up to 5 s: recovers quickly from a short
/// API outage without hammering a struggling API server.
struct WatchBackoff {
    next: Duration,
}

impl WatchBackoff {
    const FIRST: Duration = Duration::from_millis(200);
    const MAX: Duration = Duration::from_secs(5);

    fn new() -> Self {
        WatchBackoff { next: Self::FIRST }
    }
}

impl Iterator for WatchBackoff {
    type Item = Duration;
    fn next(&mut self) -> Option<Duration> {
        let delay = self.next;
        self.next = (self.next * 2).min(Self::MAX);
        Some(delay)
    }
}

impl Backoff for WatchBackoff {
    fn reset(&mut self) {
        self.next = Self::FIRST;
    }
}

/// `namespace/name`, or `name` for cluster-scoped objects.
fn key(object: &DynamicObject) -> String {
    let name = object.metadata.name.clone().unwrap_or_default();
    match &object.metadata.namespace {
        Some(ns) => format!("{ns}/{name}"),
        None => name,
    }
}

/// The object as the engine reads it: kind, name, namespace, labels and the fields evaluation uses,
/// pretty-printed so diagnostics can point at lines.
fn engine_text(kind: Kind, object: &DynamicObject) -> String {
    let resource = kind.resource();
    let mut metadata = Map::new();
    metadata.insert("name".into(), json!(object.metadata.name));
    if let Some(ns) = &object.metadata.namespace {
        metadata.insert("namespace".into(), json!(ns));
    }
    if let Some(labels) = &object.metadata.labels {
        metadata.insert("labels".into(), json!(labels));
    }
    let mut doc = Map::new();
    doc.insert("apiVersion".into(), json!(resource.api_version));
    doc.insert("kind".into(), json!(resource.kind));
    match kind {
        Kind::Namespace => {}
        Kind::NetworkPolicy => {
            doc.insert("spec".into(), object.data.get("spec").cloned().unwrap_or(Value::Null));
        }
        Kind::Pod => {
            metadata.insert("uid".into(), json!(object.metadata.uid));
            let spec = object.data.get("spec");
            let containers: Vec<Value> = spec
                .and_then(|s| s.get("containers"))
                .and_then(Value::as_array)
                .map(|cs| {
                    cs.iter()
                        .map(|c| json!({"name": c.get("name"), "ports": c.get("ports").cloned().unwrap_or(json!([]))}))
                        .collect()
                })
                .unwrap_or_default();
            let field = |v: Option<&Value>, name: &str| v.and_then(|v| v.get(name)).cloned().unwrap_or(Value::Null);
            let mut spec_out = Map::new();
            spec_out.insert("containers".into(), json!(containers));
            for name in ["nodeName", "hostNetwork"] {
                let value = field(spec, name);
                if !value.is_null() {
                    spec_out.insert(name.into(), value);
                }
            }
            doc.insert("spec".into(), Value::Object(spec_out));
            let status = object.data.get("status");
            let mut status_out = Map::new();
            for name in ["phase", "podIP", "podIPs"] {
                let value = field(status, name);
                if !value.is_null() {
                    status_out.insert(name.into(), value);
                }
            }
            doc.insert("status".into(), Value::Object(status_out));
        }
    }
    doc.insert("metadata".into(), Value::Object(metadata));
    serde_json::to_string_pretty(&Value::Object(doc)).unwrap_or_default()
}

/// A pod as the store keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct PodEntry {
    uid: String,
    /// `namespace/name`.
    name: String,
    text: String,
    terminal: bool,
    /// RFC 3339 creation time (sorts as text).
    created: String,
}

impl PodEntry {
    fn of(object: &DynamicObject) -> Option<PodEntry> {
        let uid = object.metadata.uid.clone()?;
        let phase = object.data.get("status").and_then(|s| s.get("phase")).and_then(Value::as_str);
        let created =
            serde_json::to_value(&object.metadata.creation_timestamp).ok().and_then(|v| v.as_str().map(str::to_string));
        Some(PodEntry {
            uid,
            name: key(object),
            text: engine_text(Kind::Pod, object),
            terminal: matches!(phase, Some("Succeeded" | "Failed")),
            created: created.unwrap_or_default(),
        })
    }
}

/// The pods of every pod watch, keyed by UID, and the one text per pod name the engine sees.
struct PodStore {
    /// Per watch: its pods by UID; `None` until its first complete list.
    watches: Vec<Option<HashMap<String, PodEntry>>>,
    /// Pod name to the (watch, UID) of every pod reporting it.
    by_name: HashMap<String, BTreeSet<(usize, String)>>,
    /// What the agent has, per pod name.
    emitted: HashMap<String, String>,
    /// Whether the complete initial view went out.
    started: bool,
}

impl PodStore {
    fn new(watches: usize) -> Self {
        PodStore { watches: vec![None; watches], by_name: HashMap::new(), emitted: HashMap::new(), started: false }
    }

    fn apply(&mut self, watch: usize, entry: PodEntry) -> Vec<Change> {
        let name = entry.name.clone();
        self.by_name.entry(name.clone()).or_default().insert((watch, entry.uid.clone()));
        if let Some(Some(pods)) = self.watches.get_mut(watch) {
            pods.insert(entry.uid.clone(), entry);
        }
        self.refresh([name])
    }

    fn delete(&mut self, watch: usize, uid: &str) -> Vec<Change> {
        let removed = self.watches.get_mut(watch).and_then(|w| w.as_mut()).and_then(|pods| pods.remove(uid));
        let Some(entry) = removed else {
            return Vec::new();
        };
        self.forget(watch, &entry);
        self.refresh([entry.name])
    }

    /// A watch's complete (re)list replaces everything it delivered before.
    fn replace(&mut self, watch: usize, pods: HashMap<String, PodEntry>) -> Vec<Change> {
        let old = self.watches.get_mut(watch).and_then(Option::take).unwrap_or_default();
        let mut touched: BTreeSet<String> = BTreeSet::new();
        for entry in old.values() {
            self.forget(watch, entry);
            touched.insert(entry.name.clone());
        }
        for entry in pods.values() {
            self.by_name.entry(entry.name.clone()).or_default().insert((watch, entry.uid.clone()));
            touched.insert(entry.name.clone());
        }
        if let Some(slot) = self.watches.get_mut(watch) {
            *slot = Some(pods);
        }
        self.refresh(touched)
    }

    fn forget(&mut self, watch: usize, entry: &PodEntry) {
        if let Some(set) = self.by_name.get_mut(&entry.name) {
            set.remove(&(watch, entry.uid.clone()));
            if set.is_empty() {
                self.by_name.remove(&entry.name);
            }
        }
    }

    /// The pod the engine should see under `name`: not terminal if possible, else the newest.
    fn best(&self, name: &str) -> Option<&PodEntry> {
        self.by_name.get(name)?.iter().filter_map(|(w, uid)| self.watches.get(*w)?.as_ref()?.get(uid)).min_by(|a, b| {
            (a.terminal, std::cmp::Reverse(&a.created), &a.uid).cmp(&(
                b.terminal,
                std::cmp::Reverse(&b.created),
                &b.uid,
            ))
        })
    }

    /// The changes for the agent after `names` were touched: nothing until every watch has listed,
    /// then the complete view once, then per-name updates.
    fn refresh(&mut self, names: impl IntoIterator<Item = String>) -> Vec<Change> {
        if !self.watches.iter().all(Option::is_some) {
            return Vec::new();
        }
        if !self.started {
            self.started = true;
            let names: Vec<String> = self.by_name.keys().cloned().collect();
            let view: BTreeMap<String, String> =
                names.into_iter().filter_map(|n| self.best(&n).map(|e| (n, e.text.clone()))).collect();
            self.emitted = view.clone().into_iter().collect();
            return vec![Change::Replace(view)];
        }
        let mut changes = Vec::new();
        for name in names {
            let text = self.best(&name).map(|e| e.text.clone());
            match (text, self.emitted.get(&name)) {
                (Some(text), Some(old)) if *old == text => {}
                (Some(text), _) => {
                    self.emitted.insert(name.clone(), text.clone());
                    changes.push(Change::Upsert(name, text));
                }
                (None, Some(_)) => {
                    self.emitted.remove(&name);
                    changes.push(Change::Remove(name));
                }
                (None, None) => {}
            }
        }
        changes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(uid: &str, name: &str, phase: &str, created: &str, ip: &str) -> DynamicObject {
        serde_json::from_value(json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "default", "uid": uid, "creationTimestamp": created, "labels": {"app": "x"},
                         "managedFields": [{"manager": "kubelet"}]},
            "spec": {"nodeName": "n1", "containers": [{"name": "c", "image": "i", "ports": [{"containerPort": 80, "name": "http"}]}]},
            "status": {"phase": phase, "podIP": ip, "conditions": [{"type": "Ready"}]}
        }))
        .unwrap()
    }

    #[test]
    fn pod_text_keeps_only_what_evaluation_reads() {
        let text = engine_text(Kind::Pod, &pod("u1", "web", "Running", "2024-01-01T00:00:00Z", "10.0.0.1"));
        assert!(
            text.contains("\"podIP\": \"10.0.0.1\"")
                && text.contains("\"containerPort\": 80")
                && text.contains("\"uid\": \"u1\"")
        );
        assert!(!text.contains("managedFields") && !text.contains("conditions") && !text.contains("image"));
        let cluster = moat_engine::Cluster::from_texts([("pod.json", text)]);
        assert!(
            cluster.diagnostics.iter().all(|d| d.severity != moat_engine::Severity::Error),
            "{:?}",
            cluster.diagnostics
        );
        assert_eq!(cluster.pods.len(), 1);
        assert_eq!(cluster.pods[0].ports.len(), 1);
    }

    #[test]
    fn a_running_pod_wins_over_a_terminal_one_of_the_same_name() {
        let mut store = PodStore::new(2);
        let old = PodEntry::of(&pod("old", "db-0", "Failed", "2024-01-01T00:00:00Z", "10.0.0.5")).unwrap();
        let new = PodEntry::of(&pod("new", "db-0", "Running", "2024-01-02T00:00:00Z", "10.0.0.6")).unwrap();
        assert!(store.replace(0, [("old".to_string(), old)].into()).is_empty(), "nothing before every watch listed");
        let first = store.replace(1, HashMap::new());
        assert!(matches!(&first[..], [Change::Replace(view)] if view["default/db-0"].contains("10.0.0.5")));
        let changes = store.apply(1, new);
        assert!(
            matches!(&changes[..], [Change::Upsert(name, text)] if name == "default/db-0" && text.contains("10.0.0.6"))
        );
        // The terminal pod's deletion changes nothing the engine sees.
        assert!(store.delete(0, "old").is_empty());
        let changes = store.delete(1, "new");
        assert_eq!(changes, vec![Change::Remove("default/db-0".into())]);
    }
}
