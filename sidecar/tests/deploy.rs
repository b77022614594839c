//! The deployment manifests in `deploy/` parse with moat's own parser without errors, and grant
//! the agent exactly what it needs: read access to pods, namespaces and NetworkPolicies, a host
//! network DaemonSet with NET_ADMIN only.
// Test code: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use moat_engine::model::workload::PodKind;
use moat_engine::parse::yaml::{Node, Value, parse_documents};
use moat_engine::{Cluster, FileId, Severity, SourceFile};

fn deploy_files() -> Vec<(String, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../deploy");
    let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read_to_string(&p).unwrap()))
        .collect();
    files.sort();
    assert!(files.len() >= 2, "deploy/ has the DaemonSet and the RBAC objects");
    files
}

fn documents() -> Vec<Node> {
    let mut diagnostics = Vec::new();
    let docs: Vec<Node> = deploy_files()
        .iter()
        .flat_map(|(name, text)| {
            parse_documents(FileId(0), &SourceFile::new(name.clone(), text.clone()), &mut diagnostics)
        })
        .collect();
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    docs
}

fn strings(node: Option<&Node>) -> Vec<String> {
    match node.map(|n| &n.value) {
        Some(Value::Seq(items)) => items.iter().filter_map(|i| i.as_str().map(str::to_string)).collect(),
        _ => Vec::new(),
    }
}

fn kind(doc: &Node) -> &str {
    doc.get("kind").and_then(Node::as_str).unwrap_or("")
}

#[test]
fn manifests_parse_without_errors() {
    let cluster = Cluster::from_texts(deploy_files());
    let errors: Vec<_> = cluster.diagnostics.iter().filter(|d| d.severity != Severity::Note).collect();
    assert!(errors.is_empty(), "{errors:?}");
    let agent = cluster.pods.iter().find(|p| p.kind == PodKind::DaemonSet).expect("the DaemonSet");
    assert_eq!(agent.id, "moat-system/moat-agent");
    assert!(agent.host_network, "the agent programs the node's own network namespace");
    assert!(cluster.namespace("moat-system").is_some());
}

#[test]
fn the_cluster_role_only_reads_pods_namespaces_and_policies() {
    let docs = documents();
    let role = docs.iter().find(|d| kind(d) == "ClusterRole").expect("a ClusterRole");
    let Some(Value::Seq(rules)) = role.get("rules").map(|r| &r.value) else { panic!("rules") };
    let mut granted = Vec::new();
    for rule in rules {
        assert_eq!(strings(rule.get("verbs")), ["get", "list", "watch"], "read-only");
        for group in strings(rule.get("apiGroups")) {
            granted.extend(strings(rule.get("resources")).into_iter().map(|r| format!("{group}/{r}")));
        }
    }
    granted.sort();
    assert_eq!(granted, ["/namespaces", "/pods", "networking.k8s.io/networkpolicies"]);
    let binding = docs.iter().find(|d| kind(d) == "ClusterRoleBinding").expect("a ClusterRoleBinding");
    assert_eq!(binding.get("roleRef").and_then(|r| r.get("name")).and_then(Node::as_str), Some("moat-agent"));
    assert!(docs.iter().any(|d| kind(d) == "ServiceAccount"));
}

#[test]
fn the_daemonset_runs_with_net_admin_only_and_requests_resources() {
    let docs = documents();
    let daemonset = docs.iter().find(|d| kind(d) == "DaemonSet").expect("a DaemonSet");
    let spec = daemonset.get("spec").and_then(|s| s.get("template")).and_then(|t| t.get("spec")).expect("pod spec");
    assert_eq!(spec.get("serviceAccountName").and_then(Node::as_str), Some("moat-agent"));
    let Some(Value::Seq(containers)) = spec.get("containers").map(|c| &c.value) else { panic!("containers") };
    let container = &containers[0];
    let capabilities = container.get("securityContext").and_then(|s| s.get("capabilities")).expect("capabilities");
    assert_eq!(strings(capabilities.get("add")), ["NET_ADMIN"]);
    assert_eq!(strings(capabilities.get("drop")), ["ALL"]);
    let requests = container.get("resources").and_then(|r| r.get("requests")).expect("requests");
    assert!(requests.get("cpu").is_some() && requests.get("memory").is_some());
    assert!(strings(container.get("args")).contains(&"--kubernetes".to_string()));
}
