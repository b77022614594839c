//! The graph view: the engine's diagram of what the filters keep, decorated for the page. Hovering
//! (or focusing) a node brings forward what it reaches and what reaches it; clicking a node or an
//! edge selects it. Under it, the same connections as a table: the text alternative of the picture.

use gloo::events::{EventListener, EventListenerOptions};
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement, WheelEvent};
use yew::prelude::*;

use super::{Snapshot, closest, count};
use crate::analysis::Analysis;
use crate::model::{Action, Edges, Selection};
use crate::scene::{Graph, MAX_EDGES, focus_style};

/// Rows of the text alternative drawn at most; the export holds them all.
const MAX_ROWS: usize = 500;

#[derive(Properties, PartialEq)]
pub struct GraphProps {
    pub graph: Snapshot<Graph>,
    pub analysis: Snapshot<Analysis>,
    /// Keys (`ns/name`, ranges) of the selected endpoints.
    pub selected: Vec<String>,
    pub dispatch: Callback<Action>,
    /// Clicks select (off in embed mode, where there is no panel to show the selection).
    #[prop_or(true)]
    pub interactive: bool,
    #[prop_or(true)]
    pub legend: bool,
    /// The kinds of connections the filters ask for (`None`: by their number), and how to change it.
    #[prop_or_default]
    pub edges: Option<Edges>,
    #[prop_or_default]
    pub on_edges: Callback<Option<Edges>>,
}

/// Zoom limits (1 is the diagram's own size).
const MIN_ZOOM: f64 = 0.2;
const MAX_ZOOM: f64 = 4.0;

/// The scale the diagram is drawn at in `container` (in "Fit", whatever fits).
fn scale_of(container: &Element) -> Option<f64> {
    let svg = container.query_selector("svg").ok()??;
    let natural: f64 = svg.get_attribute("width")?.parse().ok()?;
    Some(svg.get_bounding_client_rect().width() / natural)
}

/// The endpoint id a node element stands for.
fn node_id(analysis: &Analysis, node: &web_sys::Element) -> Option<String> {
    if let Some(id) = node.get_attribute("data-workload") {
        return Some(id);
    }
    let key = node.get_attribute("data-external")?;
    analysis.by_key(&key).map(|e| analysis.endpoints[e].id.clone())
}

/// The ids of an edge element's ends.
fn edge_ids(analysis: &Analysis, edge: &web_sys::Element) -> Option<(String, String)> {
    let id = |attribute| {
        let key = edge.get_attribute(attribute)?;
        analysis.by_key(&key).map(|e| analysis.endpoints[e].id.clone())
    };
    Some((id("data-from")?, id("data-to")?))
}

#[component]
pub fn GraphView(props: &GraphProps) -> Html {
    let hovered = use_state(|| None::<String>);
    let zoom = use_state(|| None::<f64>);
    let svg = use_memo(props.graph.clone(), |graph| AttrValue::from(graph.svg(true)));
    let container = use_node_ref();
    // Where to scroll once a zoom is drawn, so that the point under the pointer stays there.
    let anchor = use_mut_ref(|| None::<(f64, f64)>);
    // Ctrl + wheel (and a trackpad's pinch) zooms around the pointer. Yew's wheel listeners are
    // passive, and this one must prevent the page's own zoom.
    {
        let (container, zoom, anchor) = (container.clone(), zoom.clone(), anchor.clone());
        // Attached again when the diagram's box comes back (it is not drawn while too big).
        use_effect_with(props.graph.too_many.is_some(), move |_| {
            let listener = container.cast::<HtmlElement>().map(|element| {
                let target = element.clone();
                EventListener::new_with_options(
                    &target,
                    "wheel",
                    EventListenerOptions::enable_prevent_default(),
                    move |event| {
                        let Some(wheel) = event.dyn_ref::<WheelEvent>().filter(|w| w.ctrl_key()) else { return };
                        event.prevent_default();
                        let current = scale_of(&element).unwrap_or(1.0);
                        let next = (current * (-wheel.delta_y() * 0.0015).exp()).clamp(MIN_ZOOM, MAX_ZOOM);
                        let rect = element.get_bounding_client_rect();
                        let (x, y) =
                            (f64::from(wheel.client_x()) - rect.left(), f64::from(wheel.client_y()) - rect.top());
                        let content = (
                            (f64::from(element.scroll_left()) + x) / current,
                            (f64::from(element.scroll_top()) + y) / current,
                        );
                        *anchor.borrow_mut() = Some((content.0 * next - x, content.1 * next - y));
                        zoom.set(Some(next));
                    },
                )
            });
            move || drop(listener)
        });
    }
    {
        let (container, anchor) = (container.clone(), anchor.clone());
        use_effect_with(*zoom, move |_| {
            if let (Some((x, y)), Some(element)) = (anchor.borrow_mut().take(), container.cast::<Element>()) {
                element.set_scroll_left(x.round() as i32);
                element.set_scroll_top(y.round() as i32);
            }
        });
    }
    // Dragging the background pans: the pointer's start and the scroll position then.
    let drag = use_mut_ref(|| None::<(i32, i32, i32, i32)>);
    let onmousedown = {
        let (drag, container) = (drag.clone(), container.clone());
        Callback::from(move |event: MouseEvent| {
            if event.button() != 0 || closest(&event, ".node, .edge").is_some() {
                return;
            }
            if let Some(element) = container.cast::<Element>() {
                *drag.borrow_mut() =
                    Some((event.client_x(), event.client_y(), element.scroll_left(), element.scroll_top()));
            }
        })
    };
    let onmousemove = {
        let (drag, container) = (drag.clone(), container.clone());
        Callback::from(move |event: MouseEvent| {
            let (Some((x, y, left, top)), Some(element)) = (*drag.borrow(), container.cast::<Element>()) else {
                return;
            };
            if event.buttons() & 1 == 0 {
                return;
            }
            event.prevent_default();
            element.set_scroll_left(left - (event.client_x() - x));
            element.set_scroll_top(top - (event.client_y() - y));
        })
    };
    let onmouseup = {
        let drag = drag.clone();
        Callback::from(move |_: MouseEvent| *drag.borrow_mut() = None)
    };

    let hover_at = {
        let (hovered, analysis) = (hovered.clone(), props.analysis.clone());
        move |event: &Event| {
            let next = closest(event, ".node").and_then(|node| node_id(&analysis, &node));
            if next != *hovered {
                hovered.set(next);
            }
        }
    };
    let onmouseover = {
        let hover_at = hover_at.clone();
        Callback::from(move |event: MouseEvent| hover_at(&event))
    };
    let onfocusin = Callback::from(move |event: FocusEvent| hover_at(&event));
    let onmouseleave = {
        let hovered = hovered.clone();
        Callback::from(move |_: MouseEvent| hovered.set(None))
    };
    let select = {
        let (dispatch, analysis, interactive) = (props.dispatch.clone(), props.analysis.clone(), props.interactive);
        move |event: &Event| {
            if !interactive {
                return;
            }
            let selection = match closest(event, ".node") {
                Some(node) => node_id(&analysis, &node).map(|id| Selection::Node { id }),
                None => closest(event, ".edge")
                    .and_then(|edge| edge_ids(&analysis, &edge))
                    .map(|(from, to)| Selection::Edge { from, to }),
            };
            if selection.is_some() {
                dispatch.emit(Action::Select(selection));
            }
        }
    };
    let onclick = {
        let select = select.clone();
        Callback::from(move |event: MouseEvent| select(&event))
    };
    let onkeydown = Callback::from(move |event: KeyboardEvent| {
        if event.key() == "Enter" || event.key() == " " {
            event.prevent_default();
            select(&event);
        }
    });
    // The buttons zoom from the scale the diagram is drawn at, "Fit" included.
    let zoom_by = |factor: Option<f64>| {
        let (zoom, container) = (zoom.clone(), container.clone());
        Callback::from(move |_: MouseEvent| match factor {
            None => zoom.set(None),
            Some(factor) => {
                let current = container.cast::<Element>().as_ref().and_then(scale_of).unwrap_or(1.0);
                zoom.set(Some((current * factor).clamp(MIN_ZOOM, MAX_ZOOM)));
            }
        })
    };
    let actual_size = {
        let zoom = zoom.clone();
        Callback::from(move |_: MouseEvent| zoom.set(Some(1.0)))
    };
    let scale = zoom.unwrap_or(1.0);
    let edges = match props.edges {
        None => "",
        Some(Edges::All) => "all",
        Some(Edges::Rules) => "rules",
        Some(Edges::Open) => "open",
    };
    let on_edges = props.on_edges.reform(|event: Event| {
        match event.target_unchecked_into::<web_sys::HtmlSelectElement>().value().as_str() {
            "all" => Some(Edges::All),
            "rules" => Some(Edges::Rules),
            "open" => Some(Edges::Open),
            _ => None,
        }
    });

    let graph = &props.graph;
    let body = if let Some(edges) = graph.too_many {
        html! {
            <p class="too-many" role="status">
                { format!("{edges} connections are too many to draw (the limit is {MAX_EDGES}). Narrow the graph with the filters above (a namespace, labels or a port), or use the matrix.") }
            </p>
        }
    } else {
        let style = focus_style(&props.analysis, hovered.as_deref(), &props.selected);
        let class = classes!("graph", zoom.is_none().then_some("fit"), props.interactive.then_some("interactive"));
        html! {
            <>
                <style>{style}</style>
                <div {class} ref={container.clone()} style={format!("--zoom:{scale}")}
                    {onmouseover} {onmouseleave} {onclick} {onkeydown} {onfocusin} {onmousedown} {onmousemove} {onmouseup}>
                    { Html::from_html_unchecked((*svg).clone()) }
                </div>
            </>
        }
    };
    let connections = &graph.connectivity.connections;
    let name =
        |id: &str| props.analysis.endpoint(id).map_or_else(|| id.to_string(), |e| props.analysis.endpoints[e].label());
    let rows = connections.iter().take(MAX_ROWS).map(|c| {
        let how = edge_kind(&props.analysis, &c.from, &c.to);
        html! {
            <tr data-from={c.from.clone()} data-to={c.to.clone()}>
                <td>{name(&c.from)}</td><td>{name(&c.to)}</td><td>{c.ports.clone()}</td><td>{how}</td>
            </tr>
        }
    });
    html! {
        <div class="graph-view">
            if props.legend {
                <div class="toolbar">
                    <div class="zoom" role="group" aria-label="Zoom" title="Ctrl + wheel zooms too; dragging the background pans">
                        <button onclick={zoom_by(None)} aria-pressed={zoom.is_none().to_string()}>{"Fit"}</button>
                        <button onclick={zoom_by(Some(1.0 / 1.25))} aria-label="Zoom out">{"−"}</button>
                        <button onclick={actual_size} aria-pressed={(*zoom == Some(1.0)).to_string()}>{"100%"}</button>
                        <button onclick={zoom_by(Some(1.25))} aria-label="Zoom in">{"+"}</button>
                    </div>
                    <label class="draw">{"Draw"}
                        <select class="edges" onchange={on_edges}>
                            { for [("", "auto"), ("all", "all"), ("rules", "by rules"), ("open", "open")].map(|(value, label)| html! {
                                <option {value} selected={edges == value}>{label}</option>
                            }) }
                        </select>
                    </label>
                    <ul class="legend" aria-label="Legend">
                        <li title="A policy isolates a side, and one of its rules allows the connection"><span class="swatch rule"></span>{"allowed by a rule"}</li>
                        <li title="No policy isolates either side: nothing restricts it"><span class="swatch open"></span>{"open"}</li>
                        <li title="Some policy selects these pods for ingress"><span class="swatch isolated"></span>{"isolated"}</li>
                    </ul>
                </div>
                if graph.hidden > 0 {
                    <p class="hidden-note">
                        { format!("{} open connections (no policy isolates either side) are not drawn, so that what the rules allow stands out. ", graph.hidden) }
                        <button class="link" onclick={props.on_edges.reform(|_: MouseEvent| Some(Edges::All))}>{"Draw them too"}</button>
                    </p>
                }
            }
            { body }
            <details class="alternative">
                <summary>{ format!("The picture as a table: {}", count(connections.len(), "connection", "connections")) }</summary>
                <table>
                    <thead><tr><th scope="col">{"From"}</th><th scope="col">{"To"}</th><th scope="col">{"Ports"}</th><th scope="col">{"Why"}</th></tr></thead>
                    <tbody>
                        { for rows }
                        if connections.is_empty() {
                            <tr><td colspan="4">{"No connection is allowed between the endpoints shown."}</td></tr>
                        }
                        if connections.len() > MAX_ROWS {
                            <tr><td colspan="4">{ format!("… and {} more: export the connections as CSV or JSON for all of them.", connections.len() - MAX_ROWS) }</td></tr>
                        }
                    </tbody>
                </table>
            </details>
        </div>
    }
}

/// `allowed by a rule`, `open (no policy)`, or `removed` for a connection only the baseline had.
fn edge_kind(analysis: &Analysis, from: &str, to: &str) -> &'static str {
    match (analysis.endpoint(from), analysis.endpoint(to)) {
        (Some(f), Some(t)) => match analysis.link(f, t) {
            Some(link) if link.open => "open: no policy isolates either side",
            Some(_) => "allowed by a rule",
            None => "removed since the baseline",
        },
        _ => "removed since the baseline",
    }
}
