//! Ingestion and evaluation never panic, whatever the text: random mutations of a valid manifest
//! (characters deleted, duplicated, replaced by YAML punctuation) and arbitrary strings.

use moat_engine::Cluster;
use moat_engine::query::{PortQuery, matrix};
use proptest::prelude::*;

const SEED: &str = r#"
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: prod, labels: {app: web}}
spec: {containers: [{name: c, ports: [{name: http, containerPort: 8080}]}]}
status: {phase: Running, podIP: 10.0.0.1}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow
  namespace: prod
spec:
  podSelector:
    matchLabels: {app: web}
  policyTypes: [Ingress, Egress]
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {team: a}}
      podSelector: {matchExpressions: [{key: app, operator: In, values: [web]}]}
    - ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}
    ports:
    - {port: http}
    - {port: 80, endPort: 90, protocol: UDP}
  egress:
  - to: [{podSelector: {}}]
---
kind: List
apiVersion: v1
items:
- {apiVersion: v1, kind: Namespace, metadata: {name: prod, labels: {team: a}}}
"#;

const PUNCTUATION: &[char] =
    &[':', '-', '{', '}', '[', ']', '&', '*', '!', '|', '>', '\'', '"', '#', '\t', '\n', ' ', '%', '@', '`', 'é'];

fn evaluate(text: &str) {
    let cluster = Cluster::from_texts([("fuzz.yaml", text)]);
    let m = matrix(&cluster, PortQuery::Any);
    assert_eq!(m.allowed.len(), cluster.pods.len());
    for d in &cluster.diagnostics {
        // Every span must resolve inside the file.
        if let Some(span) = d.span {
            let loc = cluster.sources.location(span);
            assert!(loc.line >= 1 && loc.line <= text.lines().count() + 1, "{loc}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn mutated_manifests_never_panic(edits in proptest::collection::vec((0usize..SEED.len(), 0usize..3, 0usize..PUNCTUATION.len()), 1..8)) {
        let mut text: Vec<char> = SEED.chars().collect();
        for (at, op, c) in edits {
            let at = at % text.len().max(1);
            match op {
                0 => { text.remove(at); }
                1 => text.insert(at, PUNCTUATION[c]),
                _ => text[at] = PUNCTUATION[c],
            }
        }
        evaluate(&text.into_iter().collect::<String>());
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        evaluate(&text);
    }
}
