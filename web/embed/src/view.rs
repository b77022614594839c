//! The widget's markup, as text: the diagram (the engine's SVG), a caption with an "open in
//! playground" link, the allowed connections as a table (the text alternative of the picture) and
//! the diagnostics. Pure, so that it is tested natively; `crate::render_widget` puts it in the page.

use std::fmt::Write;

use moat_engine::Cluster;
use moat_engine::model::workload::PodKind;
use moat_engine::query::connectivity::{Connectivity, Endpoint, connectivity};
use moat_engine::render::diagnostics;
use moat_engine::render::svg::{self, escape};
use moat_wasm::share;
use moat_wasm::wire::ManifestFile;
use serde::Deserialize;
use tsify::Tsify;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Tsify)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    Light,
    Dark,
    /// The reader's `prefers-color-scheme`.
    #[default]
    Auto,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Tsify)]
#[serde(default)]
pub struct WidgetOptions {
    #[tsify(optional)]
    pub theme: Theme,
    /// The playground's address; the link carries the manifests in its fragment. No link when absent.
    #[tsify(optional)]
    pub playground: Option<String>,
}

/// Colours of the dark theme: the diagram's custom properties (see `moat_engine::render::svg`) and
/// the widget's own.
const DARK: &str = "--moat-bg:#0d1117;--moat-fg:#e6edf3;--moat-muted:#8d96a0;--moat-group-bg:#161b22;\
--moat-group-border:#30363d;--moat-node-bg:#0d1117;--moat-node-border:#4493f8;--moat-external-border:#ab7df8;\
--moat-edge:#3fb950;--moat-edge-label:#7ee787;--moat-link:#4493f8;--moat-error:#f85149;";

const STYLE: &str = ":host{display:block;margin:1em 0}\
.moat{--moat-link:#0969da;--moat-error:#cf222e;margin:0;padding:.75em;border:1px solid var(--moat-group-border,#d0d7de);\
border-radius:8px;background:var(--moat-bg,#fff);color:var(--moat-fg,#1f2328);font:14px/1.45 system-ui,sans-serif}\
.diagram svg{display:block;max-width:100%;height:auto}\
figcaption{display:flex;flex-wrap:wrap;gap:.25em 1em;justify-content:space-between;margin:.5em 0}\
a{color:var(--moat-link)}\
details{margin:.25em 0}summary{cursor:pointer}\
table{border-collapse:collapse;margin:.5em 0;font-size:13px}\
th,td{border:1px solid var(--moat-group-border,#d0d7de);padding:.2em .6em;text-align:left}\
td{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}\
.diagnostics pre{overflow-x:auto;margin:.5em 0;font-size:12px}\
.error{color:var(--moat-error)}";

/// The shadow root's content for one manifest file.
pub fn widget(file: &ManifestFile, options: &WidgetOptions) -> String {
    let file = ManifestFile { name: file.name.clone(), text: dedent(&file.text) };
    let cluster = Cluster::from_texts([(file.name.as_str(), file.text.as_str())]);
    let graph = connectivity(&cluster);
    let mut out = open(options.theme);
    let _ = write!(
        out,
        r#"<div class="diagram">{}</div><figcaption><span class="summary">{}</span>"#,
        svg::render(&graph),
        escape(&caption(&cluster, &graph))
    );
    if let Some(playground) = &options.playground {
        let href = format!("{}#{}", playground.split('#').next().unwrap_or_default(), share::encode(&file));
        let _ = write!(
            out,
            r#"<a class="playground" href="{}" target="_blank" rel="noopener">Open in playground</a>"#,
            escape(&href)
        );
    }
    out.push_str("</figcaption>");
    connections_table(&mut out, &graph);
    if !cluster.diagnostics.is_empty() {
        let _ = write!(
            out,
            r#"<section class="diagnostics"><pre>{}</pre></section>"#,
            escape(&diagnostics::render_all(&cluster.diagnostics, &cluster.sources))
        );
    }
    out.push_str("</figure>");
    out
}

/// The shadow root's content when there is nothing to analyse (the manifests could not be fetched).
pub fn failure(message: &str, theme: Theme) -> String {
    format!(r#"{}<p class="error" role="alert">{}</p></figure>"#, open(theme), escape(message))
}

fn open(theme: Theme) -> String {
    let theme = match theme {
        Theme::Light => "light",
        Theme::Dark => "dark",
        Theme::Auto => "auto",
    };
    format!(
        r#"<style>{STYLE}.moat[data-theme=dark]{{{DARK}}}@media (prefers-color-scheme:dark){{.moat[data-theme=auto]{{{DARK}}}}}</style><figure class="moat" data-theme="{theme}">"#
    )
}

/// `3 pods, 1 workload, 1 policy, 4 allowed connections; 1 warning`.
fn caption(cluster: &Cluster, graph: &Connectivity) -> String {
    let count = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let pods = cluster.pods.iter().filter(|p| p.kind == PodKind::Pod).count();
    let workloads = cluster.pods.len() - pods;
    let mut parts = vec![count(pods, "pod", "pods")];
    if workloads > 0 {
        parts.push(count(workloads, "workload", "workloads"));
    }
    parts.push(count(cluster.policies.len(), "policy", "policies"));
    parts.push(count(graph.connections.len(), "allowed connection", "allowed connections"));
    let mut text = parts.join(", ");
    if let Some(summary) = diagnostics::summary(&cluster.diagnostics) {
        let _ = write!(text, "; {summary}");
    }
    text
}

/// The text alternative of the diagram: every allowed connection as a row, its endpoints named as in
/// the diagram's attributes.
fn connections_table(out: &mut String, graph: &Connectivity) {
    let _ = write!(
        out,
        r#"<details class="connections"><summary>Allowed connections as a table ({})</summary><table><thead><tr><th scope="col">From</th><th scope="col">To</th><th scope="col">Ports</th></tr></thead><tbody>"#,
        graph.connections.len()
    );
    let name = |id: &str| graph.endpoints.iter().find(|e| e.id == id).map(|e| (svg::key(e), shown(e)));
    for c in &graph.connections {
        let (Some((from, from_shown)), Some((to, to_shown))) = (name(&c.from), name(&c.to)) else {
            continue;
        };
        let _ = write!(
            out,
            r#"<tr data-from="{}" data-to="{}"><td>{}</td><td>{}</td><td>{}</td></tr>"#,
            escape(&from),
            escape(&to),
            escape(&from_shown),
            escape(&to_shown),
            escape(&c.ports),
        );
    }
    if graph.connections.is_empty() {
        out.push_str(r#"<tr><td colspan="3">No connection is allowed.</td></tr>"#);
    }
    out.push_str("</tbody></table></details>");
}

/// `shop/web`, `team-a/api (Deployment)`, `10.0.0.0-10.255.255.255 (outside the cluster)`.
fn shown(endpoint: &Endpoint) -> String {
    match endpoint.kind.as_deref() {
        None => format!("{} (outside the cluster)", endpoint.name),
        Some("Pod") => svg::key(endpoint),
        Some(kind) => format!("{} ({kind})", svg::key(endpoint)),
    }
}

/// Manifests written inside an HTML element come indented like the page around them: removes the
/// indentation all lines share, and the blank lines around the text.
pub fn dedent(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let first = lines.iter().position(|l| !l.trim().is_empty()).unwrap_or(lines.len());
    let last = lines.iter().rposition(|l| !l.trim().is_empty()).map_or(first, |i| i + 1);
    let lines = &lines[first..last];
    let indent = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start_matches([' ', '\t']).len())
        .min()
        .unwrap_or(0);
    let mut out = String::with_capacity(text.len());
    for line in lines {
        out.push_str(line.get(indent..).unwrap_or(""));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFESTS: &str = "
        apiVersion: v1
        kind: Pod
        metadata: {name: web, namespace: shop, labels: {app: web}}
        status: {podIP: 10.0.0.1}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: db, namespace: shop, labels: {app: db}}
        status: {podIP: 10.0.0.2}
        ---
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: db, namespace: shop}
        spec:
          podSelector: {matchLabels: {app: db}}
          ingress: [{from: [{podSelector: {matchLabels: {app: web}}}], ports: [{port: 5432}]}]
    ";

    fn file(text: &str) -> ManifestFile {
        ManifestFile { name: "inline.yaml".into(), text: text.into() }
    }

    #[test]
    fn dedent_keeps_relative_indentation() {
        assert_eq!(dedent("\n    a:\n      b: 1\n\n    c: 2\n  "), "a:\n  b: 1\n\nc: 2\n");
        assert_eq!(dedent("a: 1"), "a: 1\n");
        assert_eq!(dedent("  \n"), "");
    }

    #[test]
    fn diagram_caption_link_and_table() {
        let options = WidgetOptions { theme: Theme::Dark, playground: Some("https://moat.example/play/#old".into()) };
        let html = widget(&file(MANIFESTS), &options);
        assert!(html.contains(r#"<figure class="moat" data-theme="dark">"#));
        assert!(html.contains(r#"data-pod="shop/web""#) && html.contains(r#"data-pod="shop/db""#));
        assert!(html.contains(">2 pods, 1 policy, 5 allowed connections</span>"), "{html}");
        assert!(html.contains(
            r#"<tr data-from="shop/web" data-to="shop/db"><td>shop/web</td><td>shop/db</td><td>TCP 5432</td></tr>"#
        ));
        assert!(!html.contains(r#"<section class="diagnostics">"#));
        let href =
            html.split(r#"class="playground" href=""#).nth(1).and_then(|h| h.split('"').next()).unwrap_or_default();
        let fragment = href.strip_prefix("https://moat.example/play/#").unwrap_or_else(|| panic!("{href}"));
        let shared = share::decode(&fragment.replace("&amp;", "&")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(shared.name, "inline.yaml");
        assert!(shared.text.starts_with("apiVersion: v1\nkind: Pod\n"), "dedented: {}", shared.text);
    }

    #[test]
    fn problems_are_shown_and_escaped() {
        let html = widget(&file("apiVersion: v1\nkind: Pod\nmetadata: {name: <b>}\n"), &WidgetOptions::default());
        assert!(html.contains(r#"data-theme="auto""#) && !html.contains("playground"));
        assert!(html.contains(r#"<section class="diagnostics"><pre>error[invalid-name]"#), "{html}");
        assert!(html.contains("&lt;b&gt;") && !html.contains("<b>"));
        assert!(widget(&file("# nothing yet\n"), &WidgetOptions::default()).contains("No connection is allowed."));
        assert_eq!(failure("cannot fetch `<x>`", Theme::Light).matches("&lt;x&gt;").count(), 1);
    }
}
