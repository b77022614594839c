//! What the graph and the matrix show after the filters, with the changes since the baseline: the
//! graph as the engine's SVG diagram ([`moat_engine::render::svg`]) decorated for the page, and the
//! matrix as a grid of cells.

use std::collections::{HashMap, HashSet};
use std::fmt::Write;

use moat_engine::model::labels::LabelSelector;
use moat_engine::query::connectivity::{Connection, Connectivity, Endpoint};
use moat_engine::query::diff::ChangeKind;
use moat_engine::render::svg::{self, Decoration, Decorations};

use crate::analysis::{Analysis, EndpointInfo};
use crate::model::{Baseline, Edges, Filters};

/// Above this many connections the graph is not drawn: it would take seconds and show a hairball.
pub const MAX_EDGES: usize = 2_500;
/// Above this many connections, and unless the filters say otherwise, the graph draws those that
/// rules allow and leaves out the open ones (where no policy isolates either side): those are what
/// the policies do, while the open ones would bury them.
pub const AUTO_EDGES: usize = 60;

/// Which endpoints the namespace and label filters keep. Address ranges have neither, so they are
/// kept only while neither filter is set (and, in the graph, as peers of kept endpoints).
pub struct Focus {
    namespace: Option<String>,
    selector: Option<LabelSelector>,
}

impl Focus {
    /// The focus of the filters; an invalid label selector focuses on nothing but says why.
    pub fn new(filters: &Filters) -> (Focus, Option<String>) {
        let (selector, error) = match filters.selector() {
            Ok(selector) => (selector, None),
            Err(error) => (None, Some(error)),
        };
        (Focus { namespace: filters.namespace.clone(), selector }, error)
    }

    fn narrows(&self) -> bool {
        self.namespace.is_some() || self.selector.is_some()
    }

    pub fn keeps(&self, endpoint: &EndpointInfo) -> bool {
        if endpoint.is_external() {
            return !self.narrows();
        }
        self.namespace.as_ref().is_none_or(|ns| endpoint.namespace.as_ref() == Some(ns))
            && self.selector.as_ref().is_none_or(|s| s.matches(&endpoint.labels))
    }
}

/// How a drawn edge or a matrix cell changed since the baseline.
pub fn change_class(kind: ChangeKind) -> &'static str {
    match kind {
        ChangeKind::Added => "added",
        ChangeKind::Removed => "removed",
        ChangeKind::Changed => "changed",
    }
}

/// The graph after the filters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Graph {
    /// The engine's graph: shown endpoints and connections (plus those only the baseline had).
    pub connectivity: Connectivity,
    /// Per endpoint id: what the page adds to its node.
    nodes: HashMap<String, NodeInfo>,
    /// Per (from id, to id): the edge's classes.
    edge_classes: HashMap<(String, String), String>,
    /// More connections than [`MAX_EDGES`]: not drawn.
    pub too_many: Option<usize>,
    /// The kinds of connections drawn, and how many of those the other filters keep it left out.
    pub drawn: Edges,
    pub hidden: usize,
    /// Why the label filter was ignored.
    pub filter_error: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct NodeInfo {
    class: String,
    note: Option<String>,
    label: String,
    workload: bool,
}

/// The graph of what the filters keep: the endpoints in focus and every connection from or to them
/// that the port filter admits, with their peers; edges only the baseline had are added, marked.
pub fn graph(analysis: &Analysis, order: &[usize], filters: &Filters, baseline: Option<&Baseline>) -> Graph {
    let (focus, filter_error) = Focus::new(filters);
    let (shown, links, drawn, hidden) = kept(analysis, order, &focus, filters);
    if links.len() > MAX_EDGES {
        return Graph { too_many: Some(links.len()), filter_error, drawn, hidden, ..Graph::default() };
    }
    let mut connectivity = analysis.connectivity(&shown, &links);
    let mut nodes: HashMap<String, NodeInfo> = shown
        .iter()
        .map(|&e| {
            let endpoint = &analysis.endpoints[e];
            let note = (endpoint.replicas > 1).then(|| format!("×{}", endpoint.replicas));
            let mut class = String::new();
            if endpoint.isolated_ingress {
                class.push_str("iso-in ");
            }
            if endpoint.isolated_egress {
                class.push_str("iso-out ");
            }
            let info = NodeInfo { class, note, label: endpoint.label(), workload: !endpoint.is_external() };
            (endpoint.id.clone(), info)
        })
        .collect();
    let mut edge_classes: HashMap<(String, String), String> = links
        .iter()
        .map(|&l| {
            let link = &analysis.links[l];
            let key = (analysis.endpoints[link.from].id.clone(), analysis.endpoints[link.to].id.clone());
            (key, if link.open { "open".to_string() } else { "rule".to_string() })
        })
        .collect();
    if let Some(baseline) = baseline {
        for added in &baseline.diff.added_workloads {
            if let Some(node) = nodes.get_mut(added) {
                node.class.push_str("added ");
            }
        }
        for change in &baseline.diff.changes {
            let key = (change.from.clone(), change.to.clone());
            if let Some(classes) = edge_classes.get_mut(&key) {
                let _ = write!(classes, " {}", change_class(change.kind));
                continue;
            }
            if change.kind != ChangeKind::Removed {
                continue;
            }
            // A connection only the baseline had: drawn, with endpoints the input no longer has.
            let old = |id: &str| baseline.analysis.endpoint(id).map(|e| &baseline.analysis.endpoints[e]);
            let keep = |id: &str| {
                let current = analysis.endpoint(id).map(|e| &analysis.endpoints[e]);
                current.or_else(|| old(id)).is_some_and(|e| focus.keeps(e))
            };
            if !(keep(&change.from) || keep(&change.to)) {
                continue;
            }
            for id in [&change.from, &change.to] {
                if nodes.contains_key(id) {
                    continue;
                }
                let endpoint = old(id).map_or_else(|| ghost(id), EndpointInfo::endpoint);
                let label = old(id).map_or_else(|| endpoint.name.clone(), EndpointInfo::label);
                let info = NodeInfo { class: "removed ".into(), note: None, label, workload: endpoint.kind.is_some() };
                nodes.insert(id.clone(), info);
                connectivity.endpoints.push(endpoint);
            }
            connectivity.connections.push(Connection {
                from: change.from.clone(),
                to: change.to.clone(),
                ports: change.before.clone(),
            });
            edge_classes.insert(key, "removed".into());
        }
    }
    Graph { connectivity, nodes, edge_classes, too_many: None, drawn, hidden, filter_error }
}

/// What the filters keep, as indexes: the endpoints in focus (in `order`) with the peers of the kept
/// links, and every link from or to an endpoint in focus that the port and edge filters admit; then
/// the kinds of links kept, and how many links the automatic choice of kinds left out.
fn kept(
    analysis: &Analysis,
    order: &[usize],
    focus: &Focus,
    filters: &Filters,
) -> (Vec<usize>, Vec<usize>, Edges, usize) {
    let ports = filters.ports();
    let candidates: Vec<usize> = (0..analysis.links.len())
        .filter(|&l| {
            let link = &analysis.links[l];
            ports.admits(analysis.ports(link))
                && (focus.keeps(&analysis.endpoints[link.from]) || focus.keeps(&analysis.endpoints[link.to]))
        })
        .collect();
    let by_rules = candidates.iter().filter(|&&l| !analysis.links[l].open).count();
    let drawn =
        filters.edges.unwrap_or(if candidates.len() > AUTO_EDGES && by_rules > 0 { Edges::Rules } else { Edges::All });
    let links: Vec<usize> = candidates.iter().copied().filter(|&l| drawn.admits(analysis.links[l].open)).collect();
    let hidden = if filters.edges.is_none() { candidates.len() - links.len() } else { 0 };
    let touched: HashSet<usize> = links.iter().flat_map(|&l| [analysis.links[l].from, analysis.links[l].to]).collect();
    let shown = order
        .iter()
        .copied()
        .filter(|&e| {
            touched.contains(&e) || (!analysis.endpoints[e].is_external() && focus.keeps(&analysis.endpoints[e]))
        })
        .collect();
    (shown, links, drawn, hidden)
}

/// The connections the filters keep, however many: what the exports write.
pub fn connections(analysis: &Analysis, filters: &Filters) -> Connectivity {
    let (focus, _) = Focus::new(filters);
    let order: Vec<usize> = (0..analysis.endpoints.len()).collect();
    let (shown, links, _, _) = kept(analysis, &order, &focus, filters);
    analysis.connectivity(&shown, &links)
}

/// The matrix as a standalone SVG (its export): a square per allowed cell, the endpoints named.
pub fn grid_svg(analysis: &Analysis, grid: &Grid) -> String {
    const SIDE: f64 = 14.0;
    const CHAR: f64 = 7.2;
    let label = |e: usize| analysis.endpoints[e].key.clone();
    let left = grid.rows.iter().map(|&r| label(r).chars().count()).max().unwrap_or(0) as f64 * CHAR + 16.0;
    let top = grid.columns.iter().map(|&c| label(c).chars().count()).max().unwrap_or(0) as f64 * CHAR + 16.0;
    let (width, height) = (left + grid.columns.len() as f64 * SIDE + 16.0, top + grid.rows.len() as f64 * SIDE + 16.0);
    let mut out = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" class="moat-matrix" role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}"><title>Reachability matrix: {} sources, {} destinations</title><style>text{{font:11px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;fill:#1f2328}}.all{{fill:#2da44e}}.some{{fill:#d4a72c}}.self{{fill:#afb8c1}}.none{{fill:#eaeef2}}.added{{stroke:#1f6feb;stroke-width:2}}.removed{{stroke:#cf222e;stroke-width:2}}.changed{{stroke:#bf8700;stroke-width:2}}</style><rect width="100%" height="100%" fill="#ffffff"/>"##,
        grid.rows.len(),
        grid.columns.len()
    );
    for (r, &row) in grid.rows.iter().enumerate() {
        let y = top + r as f64 * SIDE + SIDE * 0.75;
        let _ =
            write!(out, r#"<text x="{}" y="{y}" text-anchor="end">{}</text>"#, left - 6.0, svg::escape(&label(row)));
    }
    for (c, &column) in grid.columns.iter().enumerate() {
        let x = left + c as f64 * SIDE + SIDE * 0.75;
        let _ = write!(
            out,
            r#"<text transform="translate({x} {}) rotate(-90)">{}</text>"#,
            top - 6.0,
            svg::escape(&label(column))
        );
    }
    for (i, cell) in grid.cells.iter().enumerate() {
        let (r, c) = (i / grid.columns.len().max(1), i % grid.columns.len().max(1));
        let class = match cell {
            Cell::All => "all",
            Cell::Some => "some",
            Cell::None => "none",
            Cell::Itself => "self",
        };
        let change = grid.changes[i].map(|k| format!(" {}", change_class(k))).unwrap_or_default();
        let _ = write!(
            out,
            r#"<rect class="{class}{change}" x="{}" y="{}" width="{}" height="{}"/>"#,
            left + c as f64 * SIDE,
            top + r as f64 * SIDE,
            SIDE - 2.0,
            SIDE - 2.0
        );
    }
    out.push_str("</svg>");
    out
}

/// An endpoint known only by its id (an address range the diff cut differently).
fn ghost(id: &str) -> Endpoint {
    match id.strip_suffix("[External]") {
        Some(range) => Endpoint { id: id.into(), namespace: None, name: range.into(), kind: None },
        None => {
            let (path, kind) = id.rsplit_once('[').map_or((id, "Pod"), |(p, k)| (p, k.trim_end_matches(']')));
            let (namespace, name) = path.split_once('/').unwrap_or(("default", path));
            Endpoint { id: id.into(), namespace: Some(namespace.into()), name: name.into(), kind: Some(kind.into()) }
        }
    }
}

/// The page's decorations: classes for isolation, kind of edge and changes, replica counts, and, when
/// interactive, what makes nodes and edges reachable by keyboard and pointer.
struct Page<'g> {
    graph: &'g Graph,
    interactive: bool,
}

impl Decorations for Page<'_> {
    fn node(&self, endpoint: &Endpoint) -> Decoration {
        let Some(info) = self.graph.nodes.get(&endpoint.id) else { return Decoration::default() };
        let mut attributes = Vec::new();
        if info.workload {
            attributes.push(("data-workload".to_string(), endpoint.id.clone()));
        }
        if self.interactive {
            attributes.push(("tabindex".into(), "0".into()));
            attributes.push(("role".into(), "button".into()));
            attributes.push(("aria-label".into(), info.label.clone()));
        }
        Decoration { class: info.class.trim().to_string(), attributes, note: info.note.clone() }
    }

    fn edge(&self, connection: &Connection) -> Decoration {
        let key = (connection.from.clone(), connection.to.clone());
        let class = self.graph.edge_classes.get(&key).cloned().unwrap_or_default();
        let mut attributes = Vec::new();
        if self.interactive {
            let name = |id: &str| self.graph.nodes.get(id).map_or_else(|| id.to_string(), |n| n.label.clone());
            let label = format!("{} to {}: {}", name(&connection.from), name(&connection.to), connection.ports);
            attributes.push(("tabindex".into(), "0".into()));
            attributes.push(("role".into(), "button".into()));
            attributes.push(("aria-label".into(), label));
        }
        Decoration { class, attributes, note: None }
    }

    fn hit_areas(&self) -> bool {
        self.interactive
    }
}

/// Styles of the classes the page adds, for the exported SVG (the page has its own).
pub const EXPORT_STYLE: &str = "\
.moat-graph .edge.open .line{stroke:#8c959f;stroke-dasharray:5 4}.moat-graph .edge.open .arrow{fill:#8c959f}\
.moat-graph .node.iso-in rect{stroke-width:3}\
.moat-graph .edge.added .line{stroke:#1f6feb;stroke-width:3}.moat-graph .edge.added .arrow{fill:#1f6feb}\
.moat-graph .edge.changed .line{stroke:#bf8700;stroke-width:3}.moat-graph .edge.changed .arrow{fill:#bf8700}\
.moat-graph .edge.removed .line{stroke:#cf222e;stroke-width:2;stroke-dasharray:3 3}.moat-graph .edge.removed .arrow{fill:#cf222e}\
.moat-graph .node.added rect{stroke:#1f6feb;stroke-width:3}\
.moat-graph .node.removed rect{stroke:#cf222e;stroke-dasharray:3 3}";

impl Graph {
    /// The SVG for the page (`interactive`) or for a file.
    pub fn svg(&self, interactive: bool) -> String {
        let svg = svg::render_with(&self.connectivity, &Page { graph: self, interactive });
        if interactive {
            return svg;
        }
        // A file has no page stylesheet: its own styles go with it.
        match svg.find("</style>") {
            Some(at) => format!("{}{EXPORT_STYLE}{}", &svg[..at], &svg[at..]),
            None => svg,
        }
    }
}

/// The style that brings forward one endpoint, what it reaches and what reaches it (hover), and marks
/// the selection.
pub fn focus_style(analysis: &Analysis, hovered: Option<&str>, selected: &[String]) -> String {
    let mut css = String::new();
    // An id, not an index: the pointer may rest on a node while an edit changes the analysis.
    if let Some(h) = hovered.and_then(|id| analysis.endpoint(id)) {
        let key = attribute(&analysis.endpoints[h].key);
        let mut related: Vec<&str> = vec![&analysis.endpoints[h].key];
        for link in &analysis.links {
            if link.from == h {
                related.push(&analysis.endpoints[link.to].key);
            } else if link.to == h {
                related.push(&analysis.endpoints[link.from].key);
            }
        }
        css.push_str(".graph svg .node,.graph svg .edge{opacity:.15}");
        let nodes: Vec<String> = related
            .iter()
            .map(|k| format!(".graph svg [data-pod=\"{0}\"],.graph svg [data-external=\"{0}\"]", attribute(k)))
            .collect();
        let _ = write!(
            css,
            "{},.graph svg .edge[data-from=\"{key}\"],.graph svg .edge[data-to=\"{key}\"]{{opacity:1}}",
            nodes.join(",")
        );
        let _ = write!(css, ".graph svg .edge[data-from=\"{key}\"] .line{{stroke-width:2.5}}");
        let _ = write!(css, ".graph svg .edge[data-to=\"{key}\"] .line{{stroke-width:2.5}}");
    }
    for key in selected {
        let key = attribute(key);
        let _ = write!(
            css,
            ".graph svg [data-pod=\"{key}\"] rect,.graph svg [data-external=\"{key}\"] rect{{stroke:var(--accent);stroke-width:3}}"
        );
    }
    css
}

/// Escapes a value for a double-quoted CSS attribute selector.
fn attribute(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\a ")
}

/// One cell of the matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cell {
    /// Every port of every protocol (or, with a port filter, the port asked about).
    All,
    /// Some ports only.
    Some,
    None,
    /// A workload with itself: its pods reach themselves, whatever the policies.
    Itself,
}

/// The matrix after the filters: rows are sources, columns destinations (endpoint indexes).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Grid {
    pub rows: Vec<usize>,
    pub columns: Vec<usize>,
    /// Row-major.
    pub cells: Vec<Cell>,
    /// Row-major changes since the baseline.
    pub changes: Vec<Option<ChangeKind>>,
}

pub fn grid(analysis: &Analysis, filters: &Filters, baseline: Option<&Baseline>) -> Grid {
    let (focus, _) = Focus::new(filters);
    let ports = filters.ports();
    let kept = |e: &&EndpointInfo| focus.keeps(e);
    let rows: Vec<usize> = analysis
        .endpoints
        .iter()
        .enumerate()
        .filter(|(_, e)| e.source)
        .filter(|(_, e)| kept(e))
        .map(|(i, _)| i)
        .collect();
    let columns: Vec<usize> = analysis
        .endpoints
        .iter()
        .enumerate()
        .filter(|(_, e)| e.destination)
        .filter(|(_, e)| kept(e))
        .map(|(i, _)| i)
        .collect();
    let mut cells = Vec::with_capacity(rows.len() * columns.len());
    let mut changes = Vec::with_capacity(rows.len() * columns.len());
    for &from in &rows {
        for &to in &columns {
            let cell = if from == to {
                Cell::Itself
            } else {
                match analysis.link(from, to) {
                    Some(link) if !ports.admits(analysis.ports(link)) => Cell::None,
                    Some(link) if ports.port.is_some() || analysis.ports(link).is_all() => Cell::All,
                    Some(link) => match ports.protocol {
                        Some(protocol) if analysis.ports(link).ranges(protocol) == [(1, 65535)] => Cell::All,
                        _ => Cell::Some,
                    },
                    None => Cell::None,
                }
            };
            cells.push(cell);
            changes.push(baseline.and_then(|b| {
                b.marks.get(&(analysis.endpoints[from].id.clone(), analysis.endpoints[to].id.clone())).copied()
            }));
        }
    }
    Grid { rows, columns, cells, changes }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Model;
    use moat_engine::Cluster;

    const SHOP: &str = "\
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: db, namespace: shop}
spec: {replicas: 2, template: {metadata: {labels: {app: db}}}}
---
apiVersion: v1
kind: Pod
metadata: {name: job, namespace: batch, labels: {app: job}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}}]
    ports: [{port: 5432}]
";

    fn analysis() -> Analysis {
        Analysis::new(&Cluster::from_texts([("shop.yaml", SHOP)]))
    }

    fn order(analysis: &Analysis) -> Vec<usize> {
        (0..analysis.endpoints.len()).collect()
    }

    #[test]
    fn graph_nodes_edges_and_decorations() {
        let analysis = analysis();
        let graph = graph(&analysis, &order(&analysis), &Filters::default(), None);
        assert_eq!(graph.connectivity.endpoints.len(), 4);
        let svg = graph.svg(true);
        assert!(svg.contains(r#"<g class="node iso-in" data-workload="shop/db[Deployment]" tabindex="0" role="button" aria-label="shop/db (Deployment ×2)" data-pod="shop/db">"#), "{svg}");
        assert!(svg.contains(">db (Deployment) ×2</text>"));
        assert!(svg.contains(r#"<g class="edge rule" tabindex="0" role="button" aria-label="shop/web to shop/db (Deployment ×2): TCP 5432" data-from="shop/web" data-to="shop/db" data-ports="TCP 5432""#));
        assert!(svg.contains(r#"<g class="edge open" tabindex="0" role="button" aria-label="shop/db (Deployment ×2) to shop/web: All Connections" data-from="shop/db" data-to="shop/web""#));
        assert!(svg.contains(r#"<path class="hit""#));
        let file = graph.svg(false);
        assert!(!file.contains("tabindex") && !file.contains(r#"class="hit""#) && file.contains(".edge.open .line"));
    }

    #[test]
    fn filters_keep_what_they_name_and_its_peers() {
        let analysis = analysis();
        let port = Filters { port: Some(5432), ..Filters::default() };
        let kept = graph(&analysis, &order(&analysis), &port, None);
        let edges: Vec<String> = kept.connectivity.connections.iter().map(|c| format!("{} {}", c.from, c.to)).collect();
        assert!(edges.contains(&"shop/web[Pod] shop/db[Deployment]".to_string()));
        assert!(!edges.contains(&"batch/job[Pod] shop/db[Deployment]".to_string()));
        let batch = Filters { namespace: Some("batch".into()), ..Filters::default() };
        let kept = graph(&analysis, &order(&analysis), &batch, None);
        assert!(
            kept.connectivity.connections.iter().all(|c| c.from.starts_with("batch/") || c.to.starts_with("batch/"))
        );
        let labels = Filters { labels: "app in (web)".into(), ..Filters::default() };
        let grid = grid(&analysis, &labels, None);
        assert_eq!((grid.rows.len(), grid.columns.len()), (1, 1));
        let broken = Filters { labels: "a b".into(), ..Filters::default() };
        assert!(graph(&analysis, &order(&analysis), &broken, None).filter_error.is_some());
    }

    #[test]
    fn matrix_cells() {
        let analysis = analysis();
        let grid = grid(&analysis, &Filters::default(), None);
        let at = |from: &str, to: &str| {
            let r = grid.rows.iter().position(|&e| analysis.endpoints[e].id == from)?;
            let c = grid.columns.iter().position(|&e| analysis.endpoints[e].id == to)?;
            Some(grid.cells[r * grid.columns.len() + c])
        };
        assert_eq!(at("shop/web[Pod]", "shop/db[Deployment]"), Some(Cell::Some));
        assert_eq!(at("batch/job[Pod]", "shop/db[Deployment]"), Some(Cell::None));
        assert_eq!(at("shop/db[Deployment]", "shop/web[Pod]"), Some(Cell::All));
        assert_eq!(at("shop/db[Deployment]", "shop/db[Deployment]"), Some(Cell::Itself));
        let port = grid_with_port(&analysis);
        assert!(port.cells.contains(&Cell::All) && !port.cells.contains(&Cell::Some));
    }

    fn grid_with_port(analysis: &Analysis) -> Grid {
        grid(analysis, &Filters { port: Some(5432), protocol: Some("TCP".into()), ..Filters::default() }, None)
    }

    #[test]
    fn changes_since_the_baseline_are_marked_and_removed_edges_drawn() {
        let mut model = Model::new();
        model.open(vec![crate::model::File { name: "shop.yaml".into(), text: SHOP.into() }]);
        model.pin_baseline();
        model.edit(
            0,
            SHOP.replace(
                "[{podSelector: {matchLabels: {app: web}}}]",
                "[{namespaceSelector: {}, podSelector: {matchLabels: {app: job}}}]",
            ),
        );
        let baseline = model.baseline.clone();
        let graph = graph(&model.analysis, &model.stable_order(), &Filters::default(), baseline.as_deref());
        let svg = graph.svg(false);
        assert!(svg.contains(r#"<g class="edge removed" data-from="shop/web" data-to="shop/db""#), "{svg}");
        assert!(svg.contains(r#"<g class="edge rule added" data-from="batch/job" data-to="shop/db""#), "{svg}");
        let grid = grid(&model.analysis, &Filters::default(), baseline.as_deref());
        assert_eq!(grid.changes.iter().flatten().count(), 2);
    }

    #[test]
    fn focus_style_names_the_neighbours() {
        let analysis = analysis();
        let css = focus_style(&analysis, Some("shop/web[Pod]"), &["shop/db".into()]);
        assert_eq!(focus_style(&analysis, Some("gone/x[Pod]"), &[]), "");
        assert!(css.contains(r#"[data-pod="shop/db"]"#) && css.contains(r#".edge[data-from="shop/web"]"#));
        assert!(css.contains("stroke:var(--accent)"));
        assert_eq!(attribute("a\"b\\"), "a\\\"b\\\\");
    }
}
