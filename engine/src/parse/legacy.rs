//! The NetworkPolicy shapes of the 1.2 era, read into the v1 model:
//!
//! - `net.alpha.kubernetes.io/v1alpha1` (the SIG's alpha, a ThirdPartyResource): `spec.podSelector`
//!   is a plain label map, `spec.allowIncoming` one rule or a list of rules, each with `from` (items
//!   `{pods: {labels}}`: pods of the policy's namespace, or `{namespaces: {labels}}`: every pod of the
//!   matching namespaces) and `toPorts` (`{port, protocol}`, TCP or UDP).
//! - `romana.io/demo/v1` (Romana's demo): the same shape, `pods` peers only, and tenancy by the
//!   `owner` label: a policy applies only to the pods of the owner in its own `metadata.labels` and
//!   admits only that owner's pods. The demo's loose YAML, labels written as a list of maps, is
//!   accepted with a warning.
//!
//! Whether a pod is isolated at all is not in the policy: it is the namespace annotation (alpha) or
//! the tenancy (Romana), which cluster assembly turns into implied policies.

use super::objects::read_meta;
use super::policy::{check_label, check_namespace_name_label, read_ports};
use super::reader::Reader;
use super::yaml::{Node, Value};
use crate::diagnostic::Diagnostic;
use crate::model::labels::{LabelSelector, Operator, Requirement};
use crate::model::names;
use crate::model::policy::{NetworkPolicy, Origin, Peer, PeerKind, Rule};
use crate::model::versions::{Features, Generation};

/// The pod label that names a tenant in Romana's demo.
pub const ROMANA_OWNER_LABEL: &str = "owner";
/// The pod label that names a tenant's segment in Romana's demo; pods of one segment reach each other.
pub const ROMANA_TIER_LABEL: &str = "tier";

pub fn read_legacy_policy(
    r: &mut Reader<'_>,
    doc: &Node,
    generation: Generation,
    features: &Features,
) -> Option<NetworkPolicy> {
    let loosened = (generation == Generation::Romana).then(|| loosen_labels(r, doc)).flatten();
    let doc = loosened.as_ref().unwrap_or(doc);
    let meta = read_meta(r, doc, true)?;
    let owner = match generation {
        Generation::Romana => match meta.labels.get(ROMANA_OWNER_LABEL) {
            Some(owner) => Some(owner.clone()),
            None => {
                r.push(
                    Diagnostic::warning(
                        "romana-without-owner",
                        format!(
                            "Romana policy `{}` has no `{ROMANA_OWNER_LABEL}` label, so it applies to no tenant; it is not evaluated",
                            meta.name
                        ),
                    )
                    .at(doc.get("metadata").map_or(doc.span, |m| m.span))
                    .help("add `labels: {owner: <tenant>}` to its metadata"),
                );
                return None;
            }
        },
        _ => None,
    };
    let before = r.errors();
    let empty = Node { span: doc.span, value: Value::Null };
    let spec = doc.get("spec").unwrap_or(&empty);
    r.strict_mapping(spec, "spec", &["podSelector", "allowIncoming"])?;
    let (mut pod_selector, pod_selector_span) = match spec.get("podSelector") {
        Some(node) => (read_label_map(r, node, "spec.podSelector")?, node.span),
        None => (LabelSelector::default(), spec.span),
    };
    let ingress = spec.get("allowIncoming").map(|n| read_rules(r, n, generation, features)).unwrap_or_default();
    let mut policy = NetworkPolicy {
        namespace: meta.namespace.clone().unwrap_or_else(|| "default".into()),
        name: meta.name.clone(),
        span: doc.span,
        pod_selector: LabelSelector::default(),
        pod_selector_span,
        isolates_ingress: true,
        isolates_egress: false,
        policy_types_explicit: false,
        ingress,
        egress: Vec::new(),
        origin: Origin::Manifest(generation),
    };
    if let Some(owner) = &owner {
        // A requirement, not a `matchLabels` entry, so that a selector naming another owner keeps
        // selecting nothing instead of being overwritten.
        pod_selector.match_expressions.push(owner_requirement(owner));
        for rule in &mut policy.ingress {
            for peer in &mut rule.peers {
                if let PeerKind::Selectors { pods: Some(pods), .. } = &mut peer.kind {
                    pods.match_expressions.push(owner_requirement(owner));
                }
            }
        }
    }
    policy.pod_selector = pod_selector;
    (r.errors() == before).then_some(policy)
}

fn owner_requirement(owner: &str) -> Requirement {
    Requirement { key: ROMANA_OWNER_LABEL.into(), operator: Operator::In, values: [owner.to_string()].into() }
}

/// `allowIncoming`: one rule, or a list of rules.
fn read_rules(r: &mut Reader<'_>, node: &Node, generation: Generation, features: &Features) -> Vec<Rule> {
    let items: Vec<(&Node, String)> = match &node.value {
        Value::Seq(items) => items.iter().enumerate().map(|(i, n)| (n, format!("spec.allowIncoming[{i}]"))).collect(),
        Value::Null => Vec::new(),
        _ => vec![(node, "spec.allowIncoming".to_string())],
    };
    let peer_fields: &[&str] = match generation {
        Generation::Romana => &["pods"],
        _ => &["pods", "namespaces"],
    };
    let mut rules = Vec::new();
    for (rule, path) in items {
        if r.strict_mapping(rule, &path, &["from", "toPorts"]).is_none() {
            continue;
        }
        let peers = rule.get("from").map(|n| read_peers(r, n, &format!("{path}.from"), peer_fields, features));
        let ports = rule.get("toPorts").map(|n| read_ports(r, n, &format!("{path}.toPorts"), features));
        rules.push(Rule { span: rule.span, peers: peers.unwrap_or_default(), ports: ports.unwrap_or_default() });
    }
    rules
}

/// `from`: items with exactly one of `pods` (pods of the policy's namespace) and `namespaces` (every
/// pod of the matching namespaces), each a plain label map.
fn read_peers(r: &mut Reader<'_>, node: &Node, path: &str, fields: &[&str], features: &Features) -> Vec<Peer> {
    let mut peers = Vec::new();
    for (i, peer) in r.seq(node, path).unwrap_or_default().iter().enumerate() {
        let path = format!("{path}[{i}]");
        if r.strict_mapping(peer, &path, fields).is_none() {
            continue;
        }
        let present: Vec<&str> = fields.iter().copied().filter(|f| peer.get(f).is_some()).collect();
        let [field] = present.as_slice() else {
            let wanted = fields.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(" or ");
            r.push(
                Diagnostic::error("invalid-peer", format!("`{path}` must have exactly one of {wanted}"))
                    .at(peer.span)
                    .help("write one peer per list item"),
            );
            continue;
        };
        let Some(value) = peer.get(field) else { continue };
        let Some(selector) = read_label_map(r, value, &format!("{path}.{field}")) else { continue };
        let kind = if *field == "pods" {
            PeerKind::Selectors { pods: Some(selector), namespaces: None }
        } else {
            check_namespace_name_label(r, &selector, value.span, features);
            PeerKind::Selectors { pods: None, namespaces: Some(selector) }
        };
        peers.push(Peer { span: peer.span, kind });
    }
    peers
}

/// A plain label map used as a selector: every label must match; empty selects everything.
fn read_label_map(r: &mut Reader<'_>, node: &Node, path: &str) -> Option<LabelSelector> {
    let before = r.errors();
    let mut selector = LabelSelector::default();
    for (key, value) in r.string_map(node, path)? {
        let span = node.get(&key).map_or(node.span, |n| n.span);
        check_label(r, &key, span, names::label_key, "label key");
        check_label(r, &value, span, names::label_value, "label value");
        selector.match_labels.insert(key, value);
    }
    (r.errors() == before).then_some(selector)
}

/// Romana's demo wrote `metadata.labels` as a list of one-entry maps (`labels: [{owner: t1}]`). Such a
/// document is read as if the maps were merged, with a warning; `None` when there is nothing to fix.
fn loosen_labels(r: &mut Reader<'_>, doc: &Node) -> Option<Node> {
    let labels = doc.get("metadata")?.get("labels")?;
    let Value::Seq(items) = &labels.value else { return None };
    let mut entries = Vec::new();
    for item in items {
        let Value::Map(pairs) = &item.value else { return None };
        entries.extend(pairs.iter().cloned());
    }
    r.push(
        Diagnostic::warning("loose-yaml", "`metadata.labels` is a list of maps, as in Romana's demo; moat merges them")
            .at(labels.span)
            .label("a list, not a map")
            .help("write the labels as one map, e.g. `labels: {owner: t1}`; the API server would reject a list"),
    );
    let mut fixed = doc.clone();
    let merged = Node { span: labels.span, value: Value::Map(entries) };
    if let Some(slot) = entry_mut(&mut fixed, "metadata").and_then(|m| entry_mut(m, "labels")) {
        *slot = merged;
    }
    Some(fixed)
}

fn entry_mut<'n>(node: &'n mut Node, key: &str) -> Option<&'n mut Node> {
    match &mut node.value {
        Value::Map(entries) => entries.iter_mut().find(|(k, _)| k.as_str() == Some(key)).map(|(_, v)| v),
        _ => None,
    }
}
