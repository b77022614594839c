//! A [`Connectivity`] as connection lists (text, CSV, Markdown) and as graphs for other tools (DOT for
//! Graphviz, Mermaid for Markdown hosts). The SVG drawing is [`super::svg`].
//!
//! The text form is netpol-analyzer's `list` output, line for line:
//!
//! ```text
//! 0.0.0.0-255.255.255.255[External] => prod/web[Deployment] : TCP 8080
//! prod/web[Deployment] => prod/db[StatefulSet] : TCP 5432
//! ```

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::Serialize;

use crate::query::connectivity::{Connectivity, Endpoint};

/// One line per connection, `source => destination : ports`, sorted.
pub fn text(graph: &Connectivity) -> String {
    graph.connections.iter().map(|c| format!("{} => {} : {}\n", c.from, c.to, c.ports)).collect()
}

/// A connection as `moat list --output json` prints it, netpol-analyzer's JSON row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Row<'g> {
    pub src: &'g str,
    pub dst: &'g str,
    pub conn: &'g str,
}

/// The connections as JSON rows.
pub fn rows(graph: &Connectivity) -> Vec<Row<'_>> {
    graph.connections.iter().map(|c| Row { src: &c.from, dst: &c.to, conn: &c.ports }).collect()
}

/// `src,dst,conn` and one row per connection; fields with commas or quotes are quoted (RFC 4180).
pub fn csv(graph: &Connectivity) -> String {
    let mut out = String::from("src,dst,conn\n");
    for c in &graph.connections {
        let _ = writeln!(out, "{},{},{}", csv_field(&c.from), csv_field(&c.to), csv_field(&c.ports));
    }
    out
}

pub(super) fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text.to_string() }
}

/// A Markdown table with a `src | dst | conn` header.
pub fn markdown(graph: &Connectivity) -> String {
    let mut out = String::from("| src | dst | conn |\n|-----|-----|------|\n");
    for c in &graph.connections {
        let _ = writeln!(out, "| {} | {} | {} |", md_cell(&c.from), md_cell(&c.to), md_cell(&c.ports));
    }
    out
}

/// Names and port lists never hold a pipe, but a table cell must not break on one.
pub(super) fn md_cell(text: &str) -> String {
    text.replace('|', "\\|")
}

/// The endpoints of each namespace, namespaces by name; the address ranges outside the cluster
/// under `None`, which sorts first.
fn groups(graph: &Connectivity) -> BTreeMap<Option<&str>, Vec<(usize, &Endpoint)>> {
    let mut groups: BTreeMap<Option<&str>, Vec<(usize, &Endpoint)>> = BTreeMap::new();
    for (i, endpoint) in graph.endpoints.iter().enumerate() {
        groups.entry(endpoint.namespace.as_deref()).or_default().push((i, endpoint));
    }
    groups
}

/// A Graphviz digraph: one cluster per namespace, address ranges as dashed boxes, edges labelled
/// with their ports. Node ids are `n0`, `n1`, ... in endpoint order; labels carry the names.
pub fn dot(graph: &Connectivity) -> String {
    let mut out = String::from(
        "digraph moat {\n  rankdir=LR;\n  node [shape=box, style=rounded, fontname=\"monospace\"];\n  edge [fontname=\"monospace\", fontsize=10];\n",
    );
    for (namespace, endpoints) in groups(graph) {
        let indent = match namespace {
            Some(namespace) => {
                let _ = writeln!(
                    out,
                    "  subgraph \"cluster_{}\" {{\n    label=\"namespace {}\";",
                    dot_escape(namespace),
                    dot_escape(namespace)
                );
                "    "
            }
            None => "  ",
        };
        for (i, endpoint) in endpoints {
            let style = if endpoint.is_external() { ", style=dashed" } else { "" };
            let _ = writeln!(out, "{indent}n{i} [label=\"{}\"{style}];", dot_escape(&node_label(endpoint)));
        }
        if namespace.is_some() {
            out.push_str("  }\n");
        }
    }
    let index = ids(graph);
    for c in &graph.connections {
        if let (Some(from), Some(to)) = (index.get(c.from.as_str()), index.get(c.to.as_str())) {
            let _ = writeln!(out, "  n{from} -> n{to} [label=\"{}\"];", dot_escape(&c.ports));
        }
    }
    out.push_str("}\n");
    out
}

/// A Mermaid flowchart: one subgraph per namespace, edges labelled with their ports.
pub fn mermaid(graph: &Connectivity) -> String {
    let mut out = String::from("flowchart LR\n");
    for (namespace, endpoints) in groups(graph) {
        let indent = match namespace {
            Some(namespace) => {
                let _ = writeln!(
                    out,
                    "  subgraph ns_{}[\"namespace {}\"]",
                    mermaid_id(namespace),
                    mermaid_escape(namespace)
                );
                "    "
            }
            None => "  ",
        };
        for (i, endpoint) in endpoints {
            let label = mermaid_escape(&node_label(endpoint));
            // Stadium-shaped ranges outside the cluster, boxes for workloads.
            if endpoint.is_external() {
                let _ = writeln!(out, "{indent}n{i}([\"{label}\"])");
            } else {
                let _ = writeln!(out, "{indent}n{i}[\"{label}\"]");
            }
        }
        if namespace.is_some() {
            out.push_str("  end\n");
        }
    }
    let index = ids(graph);
    for c in &graph.connections {
        if let (Some(from), Some(to)) = (index.get(c.from.as_str()), index.get(c.to.as_str())) {
            let _ = writeln!(out, "  n{from} -->|\"{}\"| n{to}", mermaid_escape(&c.ports));
        }
    }
    out
}

/// Endpoint id to its position, which names its node.
fn ids(graph: &Connectivity) -> BTreeMap<&str, usize> {
    graph.endpoints.iter().enumerate().map(|(i, e)| (e.id.as_str(), i)).collect()
}

/// `name (Kind)` for workloads other than bare pods, the name otherwise (ranges: `first-last`).
fn node_label(endpoint: &Endpoint) -> String {
    match endpoint.kind.as_deref() {
        Some(kind) if kind != "Pod" => format!("{} ({kind})", endpoint.name),
        _ => endpoint.name.clone(),
    }
}

fn dot_escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Mermaid labels in double quotes take HTML entities for the characters that would end them.
fn mermaid_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;").replace('>', "&gt;")
}

/// A subgraph id from a namespace name (letters, digits, `-`): `-` is not allowed in ids everywhere.
fn mermaid_id(text: &str) -> String {
    text.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Cluster;
    use crate::query::connectivity::connectivity;

    fn graph() -> Connectivity {
        let cluster = Cluster::from_texts([(
            "c.yaml",
            "\
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: prod, labels: {app: web}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: db, namespace: data}
spec: {template: {metadata: {labels: {app: db}}}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: data}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
  ingress: [{ports: [{port: 5432}, {port: 5433, protocol: UDP}]}]
",
        )]);
        connectivity(&cluster)
    }

    #[test]
    fn every_format() {
        let graph = graph();
        assert_eq!(
            text(&graph),
            "\
0.0.0.0-255.255.255.255[External] => data/db[Deployment] : TCP 5432,UDP 5433
0.0.0.0-255.255.255.255[External] => prod/web[Pod] : All Connections
prod/web[Pod] => 0.0.0.0-255.255.255.255[External] : All Connections
prod/web[Pod] => data/db[Deployment] : TCP 5432,UDP 5433
"
        );
        assert!(csv(&graph).contains("prod/web[Pod],data/db[Deployment],\"TCP 5432,UDP 5433\"\n"));
        assert!(markdown(&graph).ends_with("| prod/web[Pod] | data/db[Deployment] | TCP 5432,UDP 5433 |\n"));
        let dot = dot(&graph);
        assert!(dot.contains("  n0 [label=\"0.0.0.0-255.255.255.255\", style=dashed];\n"), "{dot}");
        assert!(dot.contains(
            "  subgraph \"cluster_data\" {\n    label=\"namespace data\";\n    n1 [label=\"db (Deployment)\"];\n  }\n"
        ));
        assert!(dot.contains("  n2 -> n1 [label=\"TCP 5432,UDP 5433\"];\n"));
        let mermaid = mermaid(&graph);
        assert!(mermaid.contains("  n0([\"0.0.0.0-255.255.255.255\"])\n"), "{mermaid}");
        assert!(mermaid.contains("  subgraph ns_prod[\"namespace prod\"]\n    n2[\"web\"]\n  end\n"));
        assert!(mermaid.contains("  n2 -->|\"TCP 5432,UDP 5433\"| n1\n"));
        assert_eq!(csv_field("a\"b"), "\"a\"\"b\"");
    }
}
