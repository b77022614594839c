//! An in-process stand-in for the Kubernetes API server, speaking the list/watch protocol that
//! client-go and kube-rs use: lists carry a `resourceVersion`; watches replay history from one and
//! then stream changes as JSON lines, send `BOOKMARK`s when asked, end now and then (clients
//! re-watch), answer `410 Gone` (an `ERROR` event with `Expired`) for versions older than the
//! compacted history, and honour `spec.nodeName` field selectors, turning an object that leaves a
//! selection into a `DELETED` event. The server can be stopped and restarted on the same address
//! to simulate losing the API.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc};
use tokio::task::JoinHandle;

/// The resources the agent watches, by URL path.
const RESOURCES: [(&str, &str, &str, &str); 3] = [
    ("/api/v1/pods", "pods", "v1", "Pod"),
    ("/api/v1/namespaces", "namespaces", "v1", "Namespace"),
    ("/apis/networking.k8s.io/v1/networkpolicies", "networkpolicies", "networking.k8s.io/v1", "NetworkPolicy"),
];

/// A watch ends after this long, as real API servers end watches after their timeout.
const WATCH_LIFETIME: Duration = Duration::from_secs(3);
const BOOKMARK_EVERY: Duration = Duration::from_millis(200);

#[derive(Clone, Debug)]
struct Change {
    version: u64,
    resource: &'static str,
    kind: &'static str,
    object: Value,
    /// The object before this change (for selector transitions).
    before: Option<Value>,
}

#[derive(Default)]
struct Store {
    version: u64,
    /// (resource, namespace, name) → object.
    objects: BTreeMap<(String, String, String), Value>,
    history: Vec<Change>,
    /// Watches from a version below this get `410 Gone`.
    compacted: u64,
    /// Resources whose lists wait until released (to hold back an initial view).
    held: BTreeSet<String>,
    /// Every request, as `path?query`.
    pub requests: Vec<String>,
}

#[derive(Clone)]
struct Shared {
    store: Arc<Mutex<Store>>,
    changes: broadcast::Sender<Change>,
    /// Fires when the server stops: every open watch ends.
    stop: broadcast::Sender<()>,
}

pub struct FakeApi {
    shared: Shared,
    pub address: SocketAddr,
    server: Option<JoinHandle<()>>,
}

impl FakeApi {
    /// Starts on a free port of 127.0.0.1 (on the current tokio runtime).
    pub async fn start() -> FakeApi {
        let (changes, _) = broadcast::channel(4096);
        let (stop, _) = broadcast::channel(4);
        let shared = Shared { store: Arc::new(Mutex::new(Store { version: 1, ..Store::default() })), changes, stop };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let mut api = FakeApi { shared, address, server: None };
        api.serve(listener);
        api
    }

    fn serve(&mut self, listener: tokio::net::TcpListener) {
        let app = Router::new().fallback(get(handle)).with_state(self.shared.clone());
        self.server = Some(tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        }));
    }

    /// The API goes away: open watches end and new connections are refused.
    pub async fn stop(&mut self) {
        let _ = self.shared.stop.send(());
        if let Some(server) = self.server.take() {
            server.abort();
            // Wait for the listener to be closed, so that the address is free again.
            let _ = server.await;
        }
    }

    /// The API comes back on the same address, with everything that changed meanwhile.
    pub async fn restart(&mut self) {
        let listener = tokio::net::TcpListener::bind(self.address).await.unwrap();
        self.serve(listener);
    }

    /// Adds or replaces an object (ADDED or MODIFIED).
    pub fn apply(&self, resource: &'static str, object: Value) {
        let mut store = self.shared.store.lock().unwrap();
        store.version += 1;
        let version = store.version;
        let mut object = object;
        object["metadata"]["resourceVersion"] = json!(version.to_string());
        let key = key_of(resource, &object);
        let before = store.objects.insert(key, object.clone());
        let change =
            Change { version, resource, kind: if before.is_some() { "MODIFIED" } else { "ADDED" }, object, before };
        store.history.push(change.clone());
        let _ = self.shared.changes.send(change);
    }

    pub fn delete(&self, resource: &'static str, namespace: &str, name: &str) {
        let mut store = self.shared.store.lock().unwrap();
        let Some(object) = store.objects.remove(&(resource.to_string(), namespace.to_string(), name.to_string()))
        else {
            return;
        };
        store.version += 1;
        let change =
            Change { version: store.version, resource, kind: "DELETED", object: object.clone(), before: Some(object) };
        store.history.push(change.clone());
        let _ = self.shared.changes.send(change);
    }

    /// Forgets all history: any watch resuming from an older version gets `410 Gone`.
    pub fn compact(&self) {
        let mut store = self.shared.store.lock().unwrap();
        store.compacted = store.version + 1;
        store.history.clear();
    }

    /// Lists of `resource` wait until [`FakeApi::release`].
    pub fn hold(&self, resource: &str) {
        self.shared.store.lock().unwrap().held.insert(resource.to_string());
    }

    pub fn release(&self, resource: &str) {
        self.shared.store.lock().unwrap().held.remove(resource);
    }

    pub fn requests(&self) -> Vec<String> {
        self.shared.store.lock().unwrap().requests.clone()
    }

    /// A kubeconfig file text pointing at this server, without authentication.
    pub fn kubeconfig(&self) -> String {
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster: {{server: \"http://{}\"}}\n\
             users:\n- name: agent\n  user: {{}}\ncontexts:\n- name: fake\n  context: {{cluster: fake, user: agent}}\ncurrent-context: fake\n",
            self.address
        )
    }
}

fn key_of(resource: &str, object: &Value) -> (String, String, String) {
    let meta = &object["metadata"];
    (
        resource.to_string(),
        meta["namespace"].as_str().unwrap_or("").to_string(),
        meta["name"].as_str().unwrap_or("").to_string(),
    )
}

/// `spec.nodeName=a`, `spec.nodeName!=a` (terms joined by commas).
fn selected(selector: Option<&str>, object: &Value) -> bool {
    let Some(selector) = selector.filter(|s| !s.is_empty()) else {
        return true;
    };
    selector.split(',').all(|term| {
        let (path, want, equal) = match term.split_once("!=") {
            Some((p, v)) => (p, v, false),
            None => match term.split_once('=') {
                Some((p, v)) => (p, v.trim_start_matches('='), true),
                None => return true,
            },
        };
        let value = path.split('.').fold(object, |v, part| &v[part]).as_str().unwrap_or("");
        (value == want) == equal
    })
}

async fn handle(State(shared): State<Shared>, uri: Uri, Query(query): Query<HashMap<String, String>>) -> Response {
    let Some(&(_, resource, api_version, kind)) = RESOURCES.iter().find(|(path, ..)| *path == uri.path()) else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    shared.store.lock().unwrap().requests.push(uri.to_string());
    let selector = query.get("fieldSelector").cloned();
    if query.get("watch").is_some_and(|w| w == "true" || w == "1") {
        let from: u64 = query.get("resourceVersion").and_then(|v| v.parse().ok()).unwrap_or(0);
        let bookmarks = query.get("allowWatchBookmarks").is_some_and(|b| b == "true");
        return watch(shared, resource, api_version, kind, selector, from, bookmarks);
    }
    while shared.store.lock().unwrap().held.contains(resource) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let store = shared.store.lock().unwrap();
    let items: Vec<Value> = store
        .objects
        .iter()
        .filter(|((r, ..), o)| r == resource && selected(selector.as_deref(), o))
        .map(|(_, o)| o.clone())
        .collect();
    let list = json!({"apiVersion": api_version, "kind": format!("{kind}List"), "metadata": {"resourceVersion": store.version.to_string()}, "items": items});
    axum::Json(list).into_response()
}

fn watch(
    shared: Shared,
    resource: &'static str,
    api_version: &str,
    kind: &str,
    selector: Option<String>,
    from: u64,
    bookmarks: bool,
) -> Response {
    let (lines, receiver) = mpsc::channel::<Result<Bytes, std::io::Error>>(256);
    let mut changes = shared.changes.subscribe();
    let mut stop = shared.stop.subscribe();
    let (replay, compacted, mut version) = {
        let store = shared.store.lock().unwrap();
        let replay: Vec<Change> =
            store.history.iter().filter(|c| c.version > from && c.resource == resource).cloned().collect();
        (replay, from != 0 && from < store.compacted, store.version)
    };
    let bookmark_object = json!({"apiVersion": api_version, "kind": kind, "metadata": {}});
    tokio::spawn(async move {
        let send = |value: Value| {
            let lines = lines.clone();
            async move { lines.send(Ok(Bytes::from(format!("{value}\n")))).await.is_ok() }
        };
        if compacted {
            let gone = json!({"type": "ERROR", "object": {"apiVersion": "v1", "kind": "Status", "status": "Failure", "reason": "Expired", "code": 410, "message": "too old resource version"}});
            send(gone).await;
            return;
        }
        for change in replay {
            if let Some(event) = event_for(&change, selector.as_deref())
                && !send(event).await
            {
                return;
            }
        }
        let end = tokio::time::sleep(WATCH_LIFETIME);
        tokio::pin!(end);
        let mut ticker = tokio::time::interval(BOOKMARK_EVERY);
        loop {
            tokio::select! {
                _ = &mut end => return,
                _ = stop.recv() => return,
                _ = ticker.tick(), if bookmarks => {
                    let mut object = bookmark_object.clone();
                    object["metadata"]["resourceVersion"] = json!(version.to_string());
                    if !send(json!({"type": "BOOKMARK", "object": object})).await { return; }
                }
                change = changes.recv() => {
                    let Ok(change) = change else { return };
                    version = version.max(change.version);
                    if change.resource != resource || change.version <= from {
                        continue;
                    }
                    if let Some(event) = event_for(&change, selector.as_deref())
                        && !send(event).await { return; }
                }
            }
        }
    });
    let mut receiver = receiver;
    Response::builder()
        .header("content-type", "application/json")
        .body(Body::from_stream(futures::stream::poll_fn(move |cx| receiver.poll_recv(cx))))
        .unwrap()
}

/// The event a watch with `selector` sees for `change`, if any.
fn event_for(change: &Change, selector: Option<&str>) -> Option<Value> {
    let now = change.kind != "DELETED" && selected(selector, &change.object);
    let was = change.before.as_ref().is_some_and(|b| selected(selector, b));
    let kind = match (was, now) {
        (false, true) => "ADDED",
        (true, true) => "MODIFIED",
        (true, false) => "DELETED",
        (false, false) => return None,
    };
    Some(json!({"type": kind, "object": change.object}))
}
