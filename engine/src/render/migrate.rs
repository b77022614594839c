//! `networking.k8s.io/v1` NetworkPolicy manifests written as YAML, and the migration report.
//!
//! The YAML is written by hand rather than through a serializer: the engine stays free of a YAML
//! writer (it also runs in a browser), the field order is the one of the Kubernetes documentation
//! (`podSelector`, `policyTypes`, `ingress`, `egress`; `from`/`to` before `ports`), comments can say
//! where each policy comes from, and a value is quoted exactly when Kubernetes' YAML 1.1 reader would
//! not read it back as the same string ([`crate::parse::yaml11_reading`]), so moat never warns about
//! its own output.

use std::fmt::Write;

use crate::cluster::Cluster;
use crate::migrate::Migration;
use crate::model::labels::LabelSelector;
use crate::model::policy::{Direction, NetworkPolicy, Peer, PeerKind, PortRule, PortSpec, Rule};
use crate::model::versions::{Feature, Features};

/// The cluster's policies (implied ones included) as v1 manifests for the target release, each
/// preceded by a comment naming what it was read or implied from.
pub fn manifests(cluster: &Cluster, target: &Features) -> String {
    let mut out = String::new();
    for (i, policy) in cluster.policies.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        let location = cluster.sources.location(policy.span);
        let _ = writeln!(out, "# from the {} at {}:{}", policy.origin.describe(), location.file, location.line);
        emit_entries(&mut out, &policy_node(policy, target), 0, "");
    }
    out
}

/// The manifests after a comment block with what was written, what was left out and the proof.
pub fn text(migration: &Migration) -> String {
    let (from, to) = (migration.from_version, migration.to_version);
    let mut out = format!("# moat migrate: NetworkPolicy of Kubernetes {from}, written for Kubernetes {to}\n#\n");
    let _ = writeln!(out, "# written ({}):", migration.policies.len());
    let width = migration.policies.iter().map(|p| p.policy.len()).max().unwrap_or(0);
    for policy in &migration.policies {
        let _ = writeln!(
            out,
            "#   {:<width$}  from the {} ({}:{})",
            policy.policy, policy.from, policy.location.file, policy.location.line
        );
    }
    if !migration.left_out.is_empty() {
        let _ = writeln!(out, "# left out ({}):", migration.left_out.len());
        for left in &migration.left_out {
            let at = left.location.as_ref().map(|l| format!(" ({}:{})", l.file, l.line)).unwrap_or_default();
            let _ = writeln!(out, "#   {}{at}", left.reason);
        }
    }
    let proof = &migration.proof;
    let compared = format!("{} endpoints, every port of SCTP, TCP and UDP", proof.endpoints);
    if proof.equivalent {
        let _ = writeln!(
            out,
            "#\n# proof: equivalent. The input on {from} and the input with these policies instead of its own on\n# {to} allow the same connections for all {} ordered pairs ({compared}).",
            proof.pairs
        );
    } else {
        let _ = writeln!(
            out,
            "#\n# proof: NOT equivalent. {} of the {} ordered pairs differ ({compared}):",
            proof.differences.len(),
            proof.pairs
        );
        for difference in &proof.differences {
            let _ = writeln!(
                out,
                "#   {} -> {}: {} on {from}, {} on {to}",
                difference.from, difference.to, difference.before, difference.after
            );
            for why in &difference.why {
                let _ = writeln!(out, "#     {why}");
            }
        }
    }
    if !migration.output_diagnostics.is_empty() {
        let _ = writeln!(out, "#\n# Kubernetes {to} on these manifests:");
        for d in &migration.output_diagnostics {
            let at = d.location.as_ref().map(|l| format!(" ({}:{})", l.file, l.line)).unwrap_or_default();
            let _ = writeln!(out, "#   {}[{}]: {}{at}", d.severity, d.code, d.message);
        }
    }
    out.push_str("#\n");
    out.push_str(&migration.manifests);
    out
}

/// A YAML value: block mappings and sequences, scalars already written out.
enum Yaml {
    Scalar(String),
    /// Keys already written out (quoted where needed).
    Map(Vec<(String, Yaml)>),
    Seq(Vec<Yaml>),
}

fn entry(key: &str, value: Yaml) -> (String, Yaml) {
    (quote(key), value)
}

fn policy_node(policy: &NetworkPolicy, target: &Features) -> Vec<(String, Yaml)> {
    let mut spec = vec![entry("podSelector", selector(&policy.pod_selector))];
    // Explicit `policyTypes` say what the policy isolates without relying on defaulting; a release
    // without the field gets none (and isolates ingress only).
    if target.has(Feature::PolicyTypes) {
        let types = [(policy.isolates_ingress, "Ingress"), (policy.isolates_egress, "Egress")];
        let types = types.into_iter().filter(|(on, _)| *on).map(|(_, t)| Yaml::Scalar(t.into())).collect();
        spec.push(entry("policyTypes", Yaml::Seq(types)));
    }
    for direction in [Direction::Ingress, Direction::Egress] {
        let rules = policy.rules(direction);
        if policy.isolates(direction) && !rules.is_empty() {
            spec.push(entry(direction.as_str(), Yaml::Seq(rules.iter().map(|r| rule(r, direction)).collect())));
        }
    }
    vec![
        entry("apiVersion", string("networking.k8s.io/v1")),
        entry("kind", string("NetworkPolicy")),
        entry(
            "metadata",
            Yaml::Map(vec![entry("name", string(&policy.name)), entry("namespace", string(&policy.namespace))]),
        ),
        entry("spec", Yaml::Map(spec)),
    ]
}

fn rule(rule: &Rule, direction: Direction) -> Yaml {
    let mut entries = Vec::new();
    if !rule.peers.is_empty() {
        entries.push(entry(direction.peers_field(), Yaml::Seq(rule.peers.iter().map(peer).collect())));
    }
    if !rule.ports.is_empty() {
        entries.push(entry("ports", Yaml::Seq(rule.ports.iter().map(port).collect())));
    }
    Yaml::Map(entries)
}

fn peer(peer: &Peer) -> Yaml {
    match &peer.kind {
        PeerKind::Selectors { pods, namespaces } => {
            let mut entries = Vec::new();
            if let Some(pods) = pods {
                entries.push(entry("podSelector", selector(pods)));
            }
            if let Some(namespaces) = namespaces {
                entries.push(entry("namespaceSelector", selector(namespaces)));
            }
            Yaml::Map(entries)
        }
        PeerKind::IpBlock(block) => {
            let mut entries = vec![entry("cidr", string(&block.cidr.to_string()))];
            if !block.except.is_empty() {
                entries.push(entry("except", Yaml::Seq(block.except.iter().map(|e| string(&e.to_string())).collect())));
            }
            Yaml::Map(vec![entry("ipBlock", Yaml::Map(entries))])
        }
    }
}

fn port(port: &PortRule) -> Yaml {
    let mut entries = vec![entry("protocol", string(port.protocol.as_str()))];
    match &port.port {
        PortSpec::All => {}
        PortSpec::Range(lo, hi) => {
            // Numbers, unquoted: a quoted port is a port name to the API server.
            entries.push(entry("port", Yaml::Scalar(lo.to_string())));
            if hi > lo {
                entries.push(entry("endPort", Yaml::Scalar(hi.to_string())));
            }
        }
        PortSpec::Named(name) => entries.push(entry("port", string(name))),
    }
    Yaml::Map(entries)
}

fn selector(selector: &LabelSelector) -> Yaml {
    let mut entries = Vec::new();
    if !selector.match_labels.is_empty() {
        let labels = selector.match_labels.iter().map(|(k, v)| entry(k, string(v))).collect();
        entries.push(entry("matchLabels", Yaml::Map(labels)));
    }
    if !selector.match_expressions.is_empty() {
        let expressions = selector
            .match_expressions
            .iter()
            .map(|r| {
                let mut entries =
                    vec![entry("key", string(&r.key)), entry("operator", string(&format!("{:?}", r.operator)))];
                if !r.values.is_empty() {
                    entries.push(entry("values", Yaml::Seq(r.values.iter().map(|v| string(v)).collect())));
                }
                Yaml::Map(entries)
            })
            .collect();
        entries.push(entry("matchExpressions", Yaml::Seq(expressions)));
    }
    Yaml::Map(entries)
}

fn string(text: &str) -> Yaml {
    Yaml::Scalar(quote(text))
}

/// `text` plain when it reads back as the same string, double-quoted (JSON escaping, which YAML
/// reads alike) otherwise.
fn quote(text: &str) -> String {
    let plain = text.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && text.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/'))
        && crate::parse::yaml11_reading(text).is_none()
        && !matches!(text, "null" | "Null" | "NULL");
    if plain { text.to_string() } else { serde_json::to_string(text).unwrap_or_else(|_| format!("\"{text}\"")) }
}

/// Writes mapping entries at `indent`; the first line starts with `first` instead of spaces (a list
/// item's `- `).
fn emit_entries(out: &mut String, entries: &[(String, Yaml)], indent: usize, first: &str) {
    let pad = " ".repeat(indent);
    for (i, (key, value)) in entries.iter().enumerate() {
        let start = if i == 0 && !first.is_empty() { first.to_string() } else { pad.clone() };
        match value {
            Yaml::Scalar(s) => {
                let _ = writeln!(out, "{start}{key}: {s}");
            }
            Yaml::Map(m) if m.is_empty() => {
                let _ = writeln!(out, "{start}{key}: {{}}");
            }
            Yaml::Seq(s) if s.is_empty() => {
                let _ = writeln!(out, "{start}{key}: []");
            }
            Yaml::Map(m) => {
                let _ = writeln!(out, "{start}{key}:");
                emit_entries(out, m, indent + 2, "");
            }
            Yaml::Seq(items) => {
                let _ = writeln!(out, "{start}{key}:");
                for item in items {
                    emit_item(out, item, indent);
                }
            }
        }
    }
}

/// A list item, its dash at the indent of the list's key (as `kubectl` writes them).
fn emit_item(out: &mut String, item: &Yaml, indent: usize) {
    let dash = format!("{}- ", " ".repeat(indent));
    match item {
        Yaml::Scalar(s) => {
            let _ = writeln!(out, "{dash}{s}");
        }
        Yaml::Map(m) if m.is_empty() => {
            let _ = writeln!(out, "{dash}{{}}");
        }
        Yaml::Map(m) => emit_entries(out, m, indent + 2, &dash),
        Yaml::Seq(s) => {
            for item in s {
                emit_item(out, item, indent + 2);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_follows_yaml_1_1() {
        assert_eq!(quote("web"), "web");
        assert_eq!(quote("kubernetes.io/metadata.name"), "kubernetes.io/metadata.name");
        assert_eq!(quote("on"), "\"on\"");
        assert_eq!(quote("80"), "\"80\"");
        assert_eq!(quote(""), "\"\"");
        assert_eq!(quote("a b"), "\"a b\"");
        assert_eq!(quote("null"), "\"null\"");
    }
}
