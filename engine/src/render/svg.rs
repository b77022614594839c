//! A [`Connectivity`] graph as a standalone SVG diagram: one box per namespace (and one for the
//! address ranges outside the cluster), the endpoints stacked inside it, and one arrow per allowed
//! connection, labelled with its ports unless it allows them all (a legend then says so).
//!
//! The layout is deterministic (same graph, same bytes, natively and in wasm) and needs no font
//! metrics: labels use a monospace font whose advance is estimated. Stable attributes let tests and
//! scripts find things without parsing geometry: `data-pod="ns/name"` on pod and workload nodes,
//! `data-external="first-last"` on address-range nodes, `data-namespace` on namespace boxes, and
//! `data-from`, `data-to` (those same names) and `data-ports` on edges.
//!
//! Colours are CSS custom properties with light defaults (`--moat-bg`, `--moat-fg`, `--moat-muted`,
//! `--moat-group-bg`, `--moat-group-border`, `--moat-node-bg`, `--moat-node-border`,
//! `--moat-external-border`, `--moat-edge`, `--moat-edge-label`), so a page can theme the diagram.
//!
//! Interactive pages (the playground) decorate the same picture through [`render_with`]: classes,
//! attributes and a note (a replica count) per node and edge, and wide invisible twins of the edges
//! that a pointer can hit. Decorations never move anything but the width of a column that a note widens.
//!
//! Routing, chosen so that no edge runs under a node it does not touch: between two nodes of one
//! column, a downward edge arcs out on the right and an upward one on the left, so opposite
//! directions never share a path; between neighbouring columns, a curve across the gap, the two
//! directions a few pixels apart with their labels on opposite sides; across further columns, down
//! to a lane of its own under the boxes and back up. Labels are drawn last, over everything.

use std::fmt::Write;

use crate::query::connectivity::{Connection, Connectivity, Endpoint};

const FONT_SIZE: f64 = 12.0;
/// Advance of one character of the monospace node font (0.6 em is typical).
const CHAR_WIDTH: f64 = FONT_SIZE * 0.6;
/// The same for edge labels, which are 10 px.
const LABEL_CHAR_WIDTH: f64 = 6.0;
const MARGIN: f64 = 16.0;
const GROUP_PADDING: f64 = 12.0;
const GROUP_TITLE_HEIGHT: f64 = 20.0;
const NODE_HEIGHT: f64 = 28.0;
const NODE_GAP: f64 = 18.0;
const NODE_PADDING: f64 = 10.0;
/// Room between columns for the edges and their labels.
const COLUMN_GAP: f64 = 150.0;
/// Vertical offset between the two directions of an edge between neighbouring columns.
const LANE_OFFSET: f64 = 4.0;
/// Distance between the lanes under the boxes, and from the boxes to the first.
const LANE_SPACING: f64 = 16.0;
/// Horizontal run of the bend from a node down to its lane.
const BEND: f64 = 40.0;
/// How [`crate::model::ports::PortSet`] writes every port of every protocol.
const ALL_CONNECTIONS: &str = "All Connections";
const ARROW_LENGTH: f64 = 8.0;
const ARROW_HALF_WIDTH: f64 = 4.0;
/// Width of the invisible twin of an edge that pointers hit ([`Decorations::hit_areas`]).
const HIT_WIDTH: f64 = 10.0;

const STYLE: &str = "\
.moat-graph{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}\
.moat-graph .background{fill:var(--moat-bg,#ffffff)}\
.moat-graph .group rect{fill:var(--moat-group-bg,#f6f8fa);stroke:var(--moat-group-border,#d0d7de)}\
.moat-graph .group text{fill:var(--moat-muted,#57606a);font-size:11px}\
.moat-graph .node rect{fill:var(--moat-node-bg,#ffffff);stroke:var(--moat-node-border,#0969da);stroke-width:1.5}\
.moat-graph .node.external rect{stroke:var(--moat-external-border,#8250df);stroke-dasharray:4 3}\
.moat-graph .node text{fill:var(--moat-fg,#1f2328)}\
.moat-graph .edge .line{fill:none;stroke:var(--moat-edge,#1a7f37);stroke-width:1.5}\
.moat-graph .edge .arrow{fill:var(--moat-edge,#1a7f37)}\
.moat-graph .labels text{fill:var(--moat-edge-label,#116329);font-size:10px;paint-order:stroke;stroke:var(--moat-bg,#ffffff);stroke-width:3px}\
.moat-graph .labels .legend{fill:var(--moat-muted,#57606a);stroke:none;font-size:11px}";

/// What an interactive page adds to the picture. Every method has a default that adds nothing, so
/// [`render`] is [`render_with`] of [`Plain`].
pub trait Decorations {
    /// Classes, attributes and a note for the node of an endpoint.
    fn node(&self, _endpoint: &Endpoint) -> Decoration {
        Decoration::default()
    }
    /// Classes and attributes for the edge of a connection (its note is not shown).
    fn edge(&self, _connection: &Connection) -> Decoration {
        Decoration::default()
    }
    /// Whether every edge gets a wide transparent twin, so that a pointer can hit thin lines.
    fn hit_areas(&self) -> bool {
        false
    }
}

/// No decorations: the standalone diagram.
pub struct Plain;

impl Decorations for Plain {}

/// Additions to one node or edge.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Decoration {
    /// Classes added to the element's own, space-separated.
    pub class: String,
    /// More attributes, such as `data-workload` or `tabindex`; the values are escaped here, the names
    /// must be valid attribute names.
    pub attributes: Vec<(String, String)>,
    /// Text shown after a node's name, e.g. a replica count.
    pub note: Option<String>,
}

impl Decoration {
    /// ` class="base extra" name="value"...`
    fn open(&self, base: &str) -> String {
        let mut out = if self.class.is_empty() {
            format!(r#" class="{base}""#)
        } else {
            format!(r#" class="{base} {}""#, escape(&self.class))
        };
        for (name, value) in &self.attributes {
            let _ = write!(out, r#" {name}="{}""#, escape(value));
        }
        out
    }
}

/// A column of the layout: a namespace, or the outside of the cluster.
struct Column<'g> {
    title: String,
    namespace: Option<&'g str>,
    endpoints: Vec<(&'g Endpoint, Decoration)>,
    x: f64,
    width: f64,
}

/// Where an endpoint was placed.
#[derive(Clone, Copy)]
struct Placed {
    column: usize,
    row: usize,
    left: f64,
    right: f64,
    /// Vertical centre.
    y: f64,
}

type Point = (f64, f64);

/// An edge's route: a start point and cubic Bézier segments (two control points and an end each),
/// and where its label goes.
struct Route {
    start: Point,
    segments: Vec<[Point; 3]>,
    label: Point,
    anchor: Anchor,
}

#[derive(Clone, Copy)]
enum Anchor {
    Start,
    Middle,
    End,
}

impl Anchor {
    fn as_str(self) -> &'static str {
        match self {
            Anchor::Start => "start",
            Anchor::Middle => "middle",
            Anchor::End => "end",
        }
    }
}

/// How far the drawing reaches: arcs, lanes and labels may stick out of the columns.
struct Bounds {
    left: f64,
    right: f64,
    bottom: f64,
}

pub fn render(graph: &Connectivity) -> String {
    render_with(graph, &Plain)
}

/// The diagram with the additions of `decorations`.
pub fn render_with(graph: &Connectivity, decorations: &dyn Decorations) -> String {
    let columns = layout(graph, decorations);
    let placed = |id: &str| -> Option<Placed> {
        columns.iter().enumerate().find_map(|(c, column)| {
            let row = column.endpoints.iter().position(|(e, _)| e.id == id)?;
            Some(Placed {
                column: c,
                row,
                left: column.x + GROUP_PADDING,
                right: column.x + column.width - GROUP_PADDING,
                y: node_top(row) + NODE_HEIGHT / 2.0,
            })
        })
    };
    let key_of = |id: &str| graph.endpoints.iter().find(|e| e.id == id).map_or_else(|| id.to_string(), key);
    let rows = columns.iter().map(|c| c.endpoints.len()).max().unwrap_or(0);
    let boxes_bottom = if rows == 0 { MARGIN + NODE_HEIGHT } else { column_bottom(rows) };
    let mut bounds = Bounds {
        left: 0.0,
        right: columns.last().map_or(160.0, |c| c.x + c.width) + MARGIN,
        bottom: boxes_bottom + MARGIN,
    };

    // Paint order: boxes, edges, nodes over the ends of the edges, labels over everything.
    let mut body = String::new();
    let mut labels = String::new();
    if graph.endpoints.is_empty() {
        let _ = write!(body, r#"<text x="{m}" y="{y}">no pods</text>"#, m = num(MARGIN), y = num(MARGIN + 18.0));
    }
    for column in &columns {
        group(&mut body, column, column_bottom(column.endpoints.len()));
    }
    let mut lanes = 0;
    let mut unlabelled = false;
    for connection in &graph.connections {
        let (Some(from), Some(to)) = (placed(&connection.from), placed(&connection.to)) else {
            continue;
        };
        let route = if from.column.abs_diff(to.column) > 1 {
            lanes += 1;
            let lane = boxes_bottom + LANE_SPACING * lanes as f64;
            bounds.bottom = bounds.bottom.max(lane + MARGIN);
            under_the_boxes(from, to, lane)
        } else if from.column == to.column {
            within_a_column(from, to)
        } else {
            across_the_gap(from, to)
        };
        let (from_key, to_key) = (key_of(&connection.from), key_of(&connection.to));
        let title = format!("{from_key} → {to_key}: {}", connection.ports);
        let _ = write!(
            body,
            r#"<g{} data-from="{}" data-to="{}" data-ports="{}"><title>{}</title>"#,
            decorations.edge(connection).open("edge"),
            escape(&from_key),
            escape(&to_key),
            escape(&connection.ports),
            escape(&title)
        );
        if decorations.hit_areas() {
            let _ = write!(
                body,
                r#"<path class="hit" d="{}" fill="none" stroke="transparent" stroke-width="{}"/>"#,
                path_data(&route),
                num(HIT_WIDTH)
            );
        }
        line_and_arrow(&mut body, &route);
        body.push_str("</g>");
        // Unrestricted connections are the common case: their arrows go unlabelled, and a legend says so.
        if connection.ports == ALL_CONNECTIONS {
            unlabelled = true;
        } else {
            label(&mut labels, &mut bounds, &route, &connection.ports);
        }
    }
    if unlabelled {
        let y = bounds.bottom + 4.0;
        let _ = write!(
            labels,
            r#"<text class="legend" x="{}" y="{}">Arrows without a label allow every port and protocol.</text>"#,
            num(MARGIN),
            num(y)
        );
        bounds.bottom = y + MARGIN;
    }
    for column in &columns {
        for (row, (endpoint, decoration)) in column.endpoints.iter().enumerate() {
            node(&mut body, column, row, endpoint, decoration);
        }
    }

    let (x, width, height) = (bounds.left, bounds.right - bounds.left, bounds.bottom);
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="moat-graph" role="img" width="{w}" height="{h}" viewBox="{x} 0 {w} {h}">"#,
        x = num(x),
        w = num(width),
        h = num(height)
    );
    let _ = write!(out, "<title>{}</title><style>{STYLE}</style>", escape(&summary(graph)));
    let _ = write!(out, r#"<rect class="background" x="{}" width="100%" height="100%"/>"#, num(x));
    out.push_str(&body);
    let _ = write!(out, r#"<g class="labels">{labels}</g></svg>"#);
    out
}

/// `3 pods in 2 namespaces, 1 address range outside the cluster, 4 allowed connections`.
fn summary(graph: &Connectivity) -> String {
    let count = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let pods = graph.endpoints.iter().filter(|e| !e.is_external()).count();
    let externals = graph.endpoints.len() - pods;
    let mut namespaces: Vec<&str> = graph.endpoints.iter().filter_map(|e| e.namespace.as_deref()).collect();
    namespaces.dedup();
    let mut parts =
        vec![format!("{} in {}", count(pods, "pod", "pods"), count(namespaces.len(), "namespace", "namespaces"))];
    if externals > 0 {
        parts.push(format!("{} outside the cluster", count(externals, "address range", "address ranges")));
    }
    parts.push(count(graph.connections.len(), "allowed connection", "allowed connections"));
    format!("Reachability: {}", parts.join(", "))
}

/// Columns left to right: the outside of the cluster, then the namespaces in endpoint order.
fn layout<'g>(graph: &'g Connectivity, decorations: &dyn Decorations) -> Vec<Column<'g>> {
    let mut columns: Vec<Column<'g>> = Vec::new();
    for endpoint in &graph.endpoints {
        let namespace = endpoint.namespace.as_deref();
        let decorated = (endpoint, decorations.node(endpoint));
        match columns.iter_mut().find(|c| c.namespace == namespace) {
            Some(column) => column.endpoints.push(decorated),
            None => columns.push(Column {
                title: namespace.map_or("outside the cluster".into(), |ns| format!("namespace {ns}")),
                namespace,
                endpoints: vec![decorated],
                x: 0.0,
                width: 0.0,
            }),
        }
    }
    columns.sort_by_key(|c| c.namespace.is_some());
    let mut x = MARGIN;
    for column in &mut columns {
        let widest_label = column.endpoints.iter().map(|(e, d)| node_text(e, d).chars().count()).max().unwrap_or(0);
        let node_width = text_width(widest_label) + 2.0 * NODE_PADDING;
        column.width = node_width.max(text_width(column.title.chars().count())) + 2.0 * GROUP_PADDING;
        column.x = x;
        x += column.width + COLUMN_GAP;
    }
    columns
}

fn text_width(chars: usize) -> f64 {
    (chars as f64 * CHAR_WIDTH).ceil()
}

fn node_top(row: usize) -> f64 {
    MARGIN + GROUP_TITLE_HEIGHT + GROUP_PADDING + row as f64 * (NODE_HEIGHT + NODE_GAP)
}

fn column_bottom(rows: usize) -> f64 {
    node_top(rows) - NODE_GAP + GROUP_PADDING
}

/// How the diagram's attributes name an endpoint: `namespace/name` for a pod or workload, the address
/// range outside the cluster.
pub fn key(endpoint: &Endpoint) -> String {
    match &endpoint.namespace {
        Some(namespace) => format!("{namespace}/{}", endpoint.name),
        None => endpoint.name.clone(),
    }
}

/// The name shown in a node: the pod's name, a workload's name and kind, or the address ranges, then
/// the decoration's note.
fn node_text(endpoint: &Endpoint, decoration: &Decoration) -> String {
    let name = match endpoint.kind.as_deref() {
        Some(kind) if kind != "Pod" => format!("{} ({kind})", endpoint.name),
        _ => endpoint.name.clone(),
    };
    match &decoration.note {
        Some(note) => format!("{name} {note}"),
        None => name,
    }
}

fn group(out: &mut String, column: &Column<'_>, bottom: f64) {
    let attribute = match column.namespace {
        Some(ns) => format!(r#" data-namespace="{}""#, escape(ns)),
        None => r#" data-outside="true""#.to_string(),
    };
    let _ = write!(
        out,
        r#"<g class="group"{attribute}><rect x="{x}" y="{y}" width="{w}" height="{h}" rx="8"/><text x="{tx}" y="{ty}">{title}</text></g>"#,
        x = num(column.x),
        y = num(MARGIN),
        w = num(column.width),
        h = num(bottom - MARGIN),
        tx = num(column.x + GROUP_PADDING),
        ty = num(MARGIN + 15.0),
        title = escape(&column.title)
    );
}

fn node(out: &mut String, column: &Column<'_>, row: usize, endpoint: &Endpoint, decoration: &Decoration) {
    let (class, attribute) = if endpoint.is_external() {
        ("node external", format!(r#"data-external="{}""#, escape(&key(endpoint))))
    } else {
        ("node", format!(r#"data-pod="{}""#, escape(&key(endpoint))))
    };
    let title = match (&endpoint.namespace, &endpoint.kind) {
        (Some(namespace), Some(kind)) => format!("{namespace}/{} ({kind})", endpoint.name),
        _ => format!("{} (outside the cluster)", endpoint.name),
    };
    let (x, y) = (column.x + GROUP_PADDING, node_top(row));
    let _ = write!(
        out,
        r#"<g{open} {attribute}><title>{title}</title><rect x="{x}" y="{y}" width="{w}" height="{h}" rx="6"/><text x="{tx}" y="{ty}">{label}</text></g>"#,
        open = decoration.open(class),
        title = escape(&title),
        x = num(x),
        y = num(y),
        w = num(column.width - 2.0 * GROUP_PADDING),
        h = num(NODE_HEIGHT),
        tx = num(x + NODE_PADDING),
        ty = num(y + NODE_HEIGHT / 2.0 + FONT_SIZE * 0.35),
        label = escape(&node_text(endpoint, decoration))
    );
}

/// Two nodes of one column: an arc out on the right going down, on the left going up.
fn within_a_column(from: Placed, to: Placed) -> Route {
    let rows_apart = from.row.abs_diff(to.row) as f64;
    let bulge = (24.0 + 12.0 * rows_apart).min(COLUMN_GAP / 2.0 - 10.0);
    let downwards = to.row > from.row;
    let (side, out) = if downwards { (from.right, bulge) } else { (from.left, -bulge) };
    let segment = [(side + out, from.y), (side + out, to.y), (side, to.y)];
    let apex = (side + 0.75 * out, (from.y + to.y) / 2.0);
    let (dx, anchor) = if downwards { (4.0, Anchor::Start) } else { (-4.0, Anchor::End) };
    Route { start: (side, from.y), segments: vec![segment], label: (apex.0 + dx, apex.1 + 4.0), anchor }
}

/// Neighbouring columns: one curve across the gap. The two directions of a pair run a few pixels
/// apart, with their labels on opposite sides.
fn across_the_gap(from: Placed, to: Placed) -> Route {
    let rightwards = to.column > from.column;
    let (x1, x2, lane, label_dy) =
        if rightwards { (from.right, to.left, -LANE_OFFSET, -4.0) } else { (from.left, to.right, LANE_OFFSET, 12.0) };
    let reach = (x2 - x1) / 2.0;
    let (y1, y2) = (from.y + lane, to.y + lane);
    Route {
        start: (x1, y1),
        segments: vec![[(x1 + reach, y1), (x2 - reach, y2), (x2, y2)]],
        label: ((x1 + x2) / 2.0, (y1 + y2) / 2.0 + label_dy),
        anchor: Anchor::Middle,
    }
}

/// Columns further apart: down into a lane of its own under the boxes, along it, and back up.
fn under_the_boxes(from: Placed, to: Placed, lane: f64) -> Route {
    let rightwards = to.column > from.column;
    let (x1, x2, bend) = if rightwards { (from.right, to.left, BEND) } else { (from.left, to.right, -BEND) };
    Route {
        start: (x1, from.y),
        segments: vec![
            [(x1 + bend, from.y), (x1 + bend, lane), (x1 + 2.0 * bend, lane)],
            [(x1 + 2.0 * bend, lane), (x2 - 2.0 * bend, lane), (x2 - 2.0 * bend, lane)],
            [(x2 - bend, lane), (x2 - bend, to.y), (x2, to.y)],
        ],
        label: ((x1 + x2) / 2.0, lane - 4.0),
        anchor: Anchor::Middle,
    }
}

/// The `d` of a route's path.
fn path_data(route: &Route) -> String {
    let mut d = format!("M{} {}", num(route.start.0), num(route.start.1));
    for [c1, c2, end] in &route.segments {
        let _ = write!(d, " C{} {} {} {} {} {}", num(c1.0), num(c1.1), num(c2.0), num(c2.1), num(end.0), num(end.1));
    }
    d
}

fn line_and_arrow(out: &mut String, route: &Route) {
    let _ = write!(out, r#"<path class="line" d="{}"/>"#, path_data(route));
    // The arrow points along the last control point -> end.
    let Some(&[_, c2, end]) = route.segments.last() else {
        return;
    };
    let (dx, dy) = (end.0 - c2.0, end.1 - c2.1);
    let length = dx.hypot(dy).max(f64::EPSILON);
    let (ux, uy) = (dx / length, dy / length);
    let base = (end.0 - ux * ARROW_LENGTH, end.1 - uy * ARROW_LENGTH);
    let _ = write!(
        out,
        r#"<path class="arrow" d="M{} {} L{} {} L{} {} Z"/>"#,
        num(end.0),
        num(end.1),
        num(base.0 - uy * ARROW_HALF_WIDTH),
        num(base.1 + ux * ARROW_HALF_WIDTH),
        num(base.0 + uy * ARROW_HALF_WIDTH),
        num(base.1 - ux * ARROW_HALF_WIDTH)
    );
}

fn label(out: &mut String, bounds: &mut Bounds, route: &Route, ports: &str) {
    let (x, y) = route.label;
    let width = ports.chars().count() as f64 * LABEL_CHAR_WIDTH;
    let (left, right) = match route.anchor {
        Anchor::Start => (x, x + width),
        Anchor::Middle => (x - width / 2.0, x + width / 2.0),
        Anchor::End => (x - width, x),
    };
    bounds.left = bounds.left.min(left - MARGIN);
    bounds.right = bounds.right.max(right + MARGIN);
    let _ = write!(
        out,
        r#"<text x="{}" y="{}" text-anchor="{}">{}</text>"#,
        num(x),
        num(y),
        route.anchor.as_str(),
        escape(ports)
    );
}

/// Coordinates with at most one decimal, without a trailing `.0`.
fn num(value: f64) -> String {
    // Adding 0.0 turns -0.0 into 0.0.
    let tenths = (value * 10.0).round() / 10.0 + 0.0;
    if tenths.fract() == 0.0 { format!("{tenths:.0}") } else { format!("{tenths:.1}") }
}

/// Escapes text for XML or HTML element content and double- or single-quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::connectivity::Connection;

    /// Ids as the connectivity query makes them: `ns/name[Kind]`, `first-last[External]`.
    fn endpoint(namespace: Option<&str>, name: &str, kind: Option<&str>) -> Endpoint {
        Endpoint {
            id: match namespace {
                Some(ns) => format!("{ns}/{name}[{}]", kind.unwrap_or_default()),
                None => format!("{name}[External]"),
            },
            namespace: namespace.map(str::to_string),
            name: name.into(),
            kind: kind.map(str::to_string),
        }
    }

    fn connection(from: &str, to: &str, ports: &str) -> Connection {
        Connection { from: from.into(), to: to.into(), ports: ports.into() }
    }

    /// Every kind of node and edge: an external range, a workload, two namespaces, an edge within a
    /// column in each direction and edges across columns both ways.
    fn graph() -> Connectivity {
        Connectivity {
            endpoints: vec![
                endpoint(None, "0.0.0.0-255.255.255.255", None),
                endpoint(Some("dev"), "api", Some("Deployment")),
                endpoint(Some("prod"), "db", Some("Pod")),
                endpoint(Some("prod"), "web", Some("Pod")),
            ],
            connections: vec![
                connection("0.0.0.0-255.255.255.255[External]", "prod/web[Pod]", "TCP 443"),
                connection("dev/api[Deployment]", "prod/web[Pod]", "All Connections"),
                connection("prod/db[Pod]", "prod/web[Pod]", "All Connections"),
                connection("prod/web[Pod]", "dev/api[Deployment]", "TCP 8080,UDP 53"),
                connection("prod/web[Pod]", "prod/db[Pod]", "TCP 5432"),
            ],
        }
    }

    #[test]
    fn scene() {
        insta::assert_snapshot!(render(&graph()));
    }

    #[test]
    fn stable_attributes_name_every_node_and_edge() {
        let svg = render(&graph());
        for pod in ["dev/api", "prod/db", "prod/web"] {
            assert_eq!(svg.matches(&format!(r#"data-pod="{pod}""#)).count(), 1, "{pod}");
        }
        assert!(svg.contains(r#"data-external="0.0.0.0-255.255.255.255""#));
        assert!(svg.contains(r#"data-from="prod/web" data-to="dev/api" data-ports="TCP 8080,UDP 53""#));
        assert_eq!(svg.matches(r#"class="edge""#).count(), 5);
        assert!(svg.contains(
            "<title>Reachability: 3 pods in 2 namespaces, 1 address range outside the cluster, 5 allowed connections</title>"
        ));
        assert_eq!(render(&graph()), svg, "deterministic");
    }

    #[test]
    fn text_is_escaped() {
        let graph = Connectivity {
            endpoints: vec![endpoint(Some("<ns>"), "a&'\"", Some("Pod"))],
            connections: vec![connection("<ns>/a&'\"[Pod]", "<ns>/a&'\"[Pod]", "<b>")],
        };
        let svg = render(&graph);
        assert!(svg.contains(r#"data-pod="&lt;ns&gt;/a&amp;&#39;&quot;""#));
        assert!(svg.contains("namespace &lt;ns&gt;"));
        assert!(svg.contains(">&lt;b&gt;</text>"));
        assert!(!svg.contains("<ns>") && !svg.contains("<b>"));
    }

    #[test]
    fn an_empty_graph_says_so() {
        let svg = render(&Connectivity::default());
        assert!(svg.contains(">no pods</text><g class=\"labels\"></g></svg>"));
        assert!(svg.contains("Reachability: 0 pods in 0 namespaces, 0 allowed connections"));
    }

    struct Marked;

    impl Decorations for Marked {
        fn node(&self, endpoint: &Endpoint) -> Decoration {
            Decoration {
                class: "selected".into(),
                attributes: vec![("data-workload".into(), endpoint.id.clone())],
                note: (endpoint.name == "api").then(|| "×3".to_string()),
            }
        }
        fn edge(&self, connection: &Connection) -> Decoration {
            Decoration { class: format!("ports-{}", connection.ports.len()), ..Decoration::default() }
        }
        fn hit_areas(&self) -> bool {
            true
        }
    }

    #[test]
    fn decorations_add_classes_attributes_notes_and_hit_areas() {
        let svg = render_with(&graph(), &Marked);
        assert!(svg.contains(r#"<g class="node selected" data-workload="dev/api[Deployment]" data-pod="dev/api">"#));
        assert!(svg.contains(">api (Deployment) ×3</text>"));
        assert!(svg.contains(r#"<g class="edge ports-7" data-from="0.0.0.0-255.255.255.255" data-to="prod/web""#));
        assert_eq!(svg.matches(r#"<path class="hit" d="M"#).count(), 5);
        assert_eq!(render_with(&graph(), &Plain), render(&graph()), "plain adds nothing");
    }

    #[test]
    fn numbers_have_at_most_one_decimal() {
        assert_eq!(num(12.0), "12");
        assert_eq!(num(12.345), "12.3");
        assert_eq!(num(-0.01), "0");
    }
}
