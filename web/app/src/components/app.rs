//! The page: the header (examples, release, baseline, share, export), the editor with its problems,
//! the views with their filters, the side panel, the changes since the baseline and a status line.
//! With `#embed`, the diagram alone.
//!
//! The [`Model`] lives outside Yew's state: every event becomes an [`Action`] applied to it, then the
//! page redraws. Views get the model's results as [`Snapshot`]s, so a view redraws only when its data
//! changed, and hovering the graph redraws only the graph.

use std::cell::RefCell;
use std::rc::Rc;

use gloo::events::EventListener;
use gloo::timers::callback::Timeout;
use moat_engine::Severity;
use moat_engine::model::versions::Release;
use moat_engine::render::connlist;
use wasm_bindgen::JsCast;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::editor::Editor;
use super::graph::GraphView;
use super::matrix::MatrixView;
use super::panels::{DetailsPanel, DiffPanel, PoliciesView, ProbeView, Problems};
use super::{Snapshot, count};
use crate::analysis::Problem;
use crate::browser;
use crate::examples;
use crate::model::{Action, Edges, Filters, LintState, Model, Selection, View};
use crate::scene::{self, Graph, Grid};

/// The playground's stylesheet.
const STYLE: &str = include_str!("../style.css");
/// How long the URL waits after the last change before it carries the new state.
const FRAGMENT_DELAY_MS: u32 = 400;
/// One frame: an analysis slower than this makes typing wait for a pause before analysing.
const FRAME_MS: f64 = 16.0;
/// The pause in typing after which a deferred analysis runs.
const ANALYSIS_DELAY_MS: u32 = 150;

#[component]
pub fn App() -> Html {
    // Milliseconds the last action took in the model (the analysis, for an edit).
    let took = use_mut_ref(|| 0.0f64);
    let model = {
        let took = took.clone();
        use_mut_ref(move || {
            let start = browser::now();
            let model = Model::from_fragment(&browser::fragment());
            *took.borrow_mut() = browser::now() - start;
            model
        })
    };
    let update = use_force_update();
    // Whether the last analysis took longer than a frame: then typing defers it (see `Action::Type`).
    let slow = {
        let took = took.clone();
        use_mut_ref(move || *took.borrow() > FRAME_MS)
    };
    let deferred: Rc<RefCell<Option<Timeout>>> = use_mut_ref(|| None);
    let dispatch = {
        let (model, update, took) = (model.clone(), update.clone(), took.clone());
        use_callback((), move |action: Action, _| {
            let action = match action {
                Action::Edit(file, text) if *slow.borrow() => {
                    let (model, update, took, slow) = (model.clone(), update.clone(), took.clone(), slow.clone());
                    *deferred.borrow_mut() = Some(Timeout::new(ANALYSIS_DELAY_MS, move || {
                        let start = browser::now();
                        model.borrow_mut().apply(Action::Analyse);
                        let elapsed = browser::now() - start;
                        *took.borrow_mut() = elapsed;
                        *slow.borrow_mut() = elapsed > FRAME_MS;
                        update.force_update();
                    }));
                    Action::Type(file, text)
                }
                action => action,
            };
            let generation = model.borrow().generation;
            let start = browser::now();
            model.borrow_mut().apply(action);
            let elapsed = browser::now() - start;
            if model.borrow().generation != generation {
                *slow.borrow_mut() = elapsed > FRAME_MS;
            }
            *took.borrow_mut() = elapsed;
            update.force_update();
        })
    };
    // The share link's fragment, computed when asked for: compressing the files costs.
    let fragment = {
        let model = model.clone();
        use_callback((), move |(), _| model.borrow().fragment())
    };
    let on_export = {
        let (model, dispatch) = (model.clone(), dispatch.clone());
        use_callback((), move |format: Export, _| {
            let result = export(&model.borrow(), format);
            if let Err(error) = result {
                dispatch.emit(Action::Notice(Some(format!("the export failed: {error}"))));
            }
        })
    };
    // The URL carries the state, a moment after the last change (compressing it costs).
    let pending: Rc<RefCell<Option<Timeout>>> = use_mut_ref(|| None);
    {
        let (model, pending) = (model.clone(), pending.clone());
        let revision = model.borrow().revision;
        use_effect_with(revision, move |_| {
            let embed = model.borrow().embed;
            if revision > 0 && !embed {
                let model = model.clone();
                *pending.borrow_mut() = Some(Timeout::new(FRAGMENT_DELAY_MS, move || {
                    browser::replace_fragment(&model.borrow().fragment())
                }));
            }
        });
    }
    // A link pasted into the address bar of an open playground.
    {
        let dispatch = dispatch.clone();
        use_effect_with((), move |_| {
            let listener = web_sys::window().map(|window| {
                EventListener::new(&window, "hashchange", move |_| {
                    dispatch.emit(Action::OpenFragment(browser::fragment()))
                })
            });
            move || drop(listener)
        });
    }

    let m = model.borrow();
    let analysis = Snapshot::from(Rc::clone(&m.analysis));
    let baseline = m.baseline.clone().map(Snapshot::from);
    let view = if m.embed { View::Graph } else { m.view() };
    let order = m.stable_order();
    let graph: Rc<Graph> = use_memo(
        (analysis.clone(), m.filters.clone(), baseline.clone(), order, view == View::Graph),
        |(analysis, filters, baseline, order, needed)| {
            if *needed { scene::graph(analysis, order, filters, baseline.as_deref()) } else { Graph::default() }
        },
    );
    let grid: Rc<Grid> = use_memo(
        (analysis.clone(), m.filters.clone(), baseline.clone(), view == View::Matrix),
        |(analysis, filters, baseline, needed)| {
            if *needed { scene::grid(analysis, filters, baseline.as_deref()) } else { Grid::default() }
        },
    );
    let selected = selected_keys(&m);
    let generation = m.generation.to_string();
    let took_ms = format!("{:.1}", *took.borrow());

    if m.embed {
        let link = format!("{}#{}", browser::page_url(), crate::share::encode(&m.shared(), false));
        return html! {
            <div class="app embed" data-generation={generation} data-analysis-ms={took_ms}>
                <style>{STYLE}</style>
                <GraphView graph={Snapshot::from(graph)} analysis={analysis.clone()} {selected} dispatch={dispatch.clone()} interactive={false} legend={false} />
                <footer class="embed-bar">
                    <span>{summary(&m)}</span>
                    <a href={link} target="_blank" rel="noopener">{"Open in the playground"}</a>
                </footer>
            </div>
        };
    }

    let onkeydown = {
        let dispatch = dispatch.clone();
        Callback::from(move |event: KeyboardEvent| {
            // Escape closes the innermost thing: an open popover or menu first, then the selection.
            let popup = gloo::utils::document().query_selector(".popover, details.menu[open]").ok().flatten();
            if event.key() == "Escape" && popup.is_none() {
                dispatch.emit(Action::Select(None));
            }
        })
    };
    let problems = file_problems(&m);
    let active_name = m.files.get(m.active).map(|f| f.name.clone()).unwrap_or_default();
    let active_problems: Vec<Problem> =
        problems.iter().filter(|p| p.location.as_ref().is_some_and(|l| l.file == active_name)).cloned().collect();
    let tabs: Vec<(String, Option<Severity>)> = m
        .files
        .iter()
        .map(|f| {
            let worst = problems
                .iter()
                .filter(|p| p.location.as_ref().is_some_and(|l| l.file == f.name) && p.severity != Severity::Note)
                .map(|p| p.severity)
                .min();
            (f.name.clone(), worst)
        })
        .collect();
    let text: Rc<str> = m.files.get(m.active).map_or_else(|| Rc::from(""), |f| Rc::from(f.text.as_str()));

    let view_body = match view {
        View::Graph => {
            let filters = m.filters.clone();
            let on_edges =
                dispatch.reform(move |edges: Option<Edges>| Action::SetFilters(Filters { edges, ..filters.clone() }));
            html! {
                <GraphView graph={Snapshot::from(graph.clone())} analysis={analysis.clone()} selected={selected.clone()} dispatch={dispatch.clone()} edges={m.filters.edges} {on_edges} />
            }
        }
        View::Matrix => html! {
            <MatrixView grid={Snapshot::from(grid.clone())} analysis={analysis.clone()} ports={AttrValue::from(m.filters.ports().describe())} dispatch={dispatch.clone()} />
        },
        View::Policies => html! {
            <PoliciesView policies={Rc::clone(&m.policies)} analysis={analysis.clone()} dispatch={dispatch.clone()} />
        },
        View::Probe => {
            let endpoints: Vec<String> = m.cluster().pods.iter().map(|p| p.id.clone()).collect();
            html! {
                <ProbeView probe={m.probe.clone()} result={m.probe_result.clone()} endpoints={Rc::new(endpoints)} dispatch={dispatch.clone()} />
            }
        }
    };
    let view_tabs = View::ALL.map(|v| {
        let selected = v == view;
        let onclick = dispatch.reform(move |_: MouseEvent| Action::SetView(v));
        html! {
            <button role="tab" aria-selected={selected.to_string()} class={classes!("view-tab", selected.then_some("selected"))} data-view={v.title().to_lowercase()} {onclick}>{v.title()}</button>
        }
    });
    let filters =
        matches!(view, View::Graph | View::Matrix).then(|| filter_bar(&m, &dispatch, graph.filter_error.clone()));

    html! {
        <div class="app" {onkeydown} data-generation={generation} data-analysis-ms={took_ms} data-view={view.title().to_lowercase()}>
            <style>{STYLE}</style>
            { header(&m, &dispatch, &on_export, &fragment) }
            if let Some(notice) = &m.notice {
                <div class="notice" role="status">
                    <span>{notice}</span>
                    <button onclick={dispatch.reform(|_: MouseEvent| Action::Notice(None))} aria-label="Dismiss">{"×"}</button>
                </div>
            }
            <main class="panes">
                <section class="left" aria-label="Manifests">
                    <Editor tabs={Rc::new(tabs)} active={m.active} {text} problems={Rc::new(active_problems)} reveal={Rc::new(m.reveal.clone())} dispatch={dispatch.clone()} />
                    <Problems problems={Rc::new(m.analysis.problems.clone())} lint={m.lint.clone()} dispatch={dispatch.clone()} />
                </section>
                <section class="right" aria-label="Reachability">
                    <div class="view-bar">
                        <nav class="view-tabs" role="tablist" aria-label="Views">{ for view_tabs }</nav>
                        { filters.unwrap_or_default() }
                    </div>
                    <div class={classes!("stage", m.details.is_some().then_some("with-details"))}>
                        <div class="view">{view_body}</div>
                        if let Some(details) = &m.details {
                            <DetailsPanel details={Snapshot::from(Rc::clone(details))} analysis={analysis.clone()} dispatch={dispatch.clone()} />
                        }
                    </div>
                    if let Some(baseline) = &baseline {
                        <DiffPanel baseline={baseline.clone()} analysis={analysis.clone()} dispatch={dispatch.clone()} />
                    }
                </section>
            </main>
            <footer class="status" aria-live="polite">
                <span>{summary(&m)}</span>
                <span class="timing" title="Time of the last action: parsing the edit, re-analysing the cluster">{format!("updated in {} ms", *took.borrow() as f32)}</span>
                <span class="private">{"Runs in this tab: nothing is sent anywhere."}</span>
            </footer>
        </div>
    }
}

/// Diagnostics of the input and lint findings, for the editor's marks.
fn file_problems(model: &Model) -> Vec<Problem> {
    let mut problems = model.analysis.problems.clone();
    if let LintState::Done(findings) = &model.lint {
        problems.extend(findings.iter().cloned());
    }
    problems
}

/// `1 file · 16 pods and workloads, 6 policies, 6 namespaces · 197 allowed connections · Kubernetes 1.37`.
fn summary(model: &Model) -> String {
    let analysis = &model.analysis;
    let errors = analysis.problems.iter().filter(|p| p.severity == Severity::Error).count();
    let warnings = analysis.problems.iter().filter(|p| p.severity == Severity::Warning).count();
    let mut text = format!(
        "{} · {}, {}, {} · {} · Kubernetes {}",
        count(model.files.len(), "file", "files"),
        count(analysis.workloads().count(), "pod or workload", "pods and workloads"),
        count(analysis.policies, "policy", "policies"),
        count(analysis.namespaces.len(), "namespace", "namespaces"),
        count(analysis.links.len(), "allowed connection", "allowed connections"),
        model.release
    );
    if errors + warnings > 0 {
        text.push_str(&format!(" · {}, {}", count(errors, "error", "errors"), count(warnings, "warning", "warnings")));
    }
    text
}

/// The diagram keys (`ns/name`, ranges) of what is selected, to outline in the graph.
fn selected_keys(model: &Model) -> Vec<String> {
    let analysis = &model.analysis;
    let key = |id: &str| analysis.endpoint(id).map(|e| analysis.endpoints[e].key.clone());
    match &model.selection {
        None => Vec::new(),
        Some(Selection::Node { id }) => key(id).into_iter().collect(),
        Some(Selection::Edge { from, to }) => [key(from), key(to)].into_iter().flatten().collect(),
        Some(Selection::Policy { id }) => model
            .policies
            .iter()
            .filter(|p| &p.policy == id)
            .flat_map(|p| &p.pods)
            .filter_map(|pod| analysis.endpoint_of_pod(pod))
            .map(|e| analysis.endpoints[e].key.clone())
            .collect(),
    }
}

fn header(
    model: &Model,
    dispatch: &Callback<Action>,
    on_export: &Callback<Export>,
    fragment: &Callback<(), String>,
) -> Html {
    let fragment = fragment.clone();
    let catalog = examples::catalog();
    let mut groups: Vec<(&str, Vec<&examples::Entry>)> = Vec::new();
    for entry in &catalog {
        match groups.iter_mut().find(|(g, _)| *g == entry.group) {
            Some((_, entries)) => entries.push(entry),
            None => groups.push((entry.group, vec![entry])),
        }
    }
    let current = model.example.clone().unwrap_or_default();
    let on_example = dispatch.reform(|event: Event| {
        let value = event.target_unchecked_into::<HtmlSelectElement>().value();
        Action::LoadExample(value)
    });
    let on_release = {
        let dispatch = dispatch.clone();
        Callback::from(move |event: Event| {
            let value = event.target_unchecked_into::<HtmlSelectElement>().value();
            if let Ok(release) = value.parse::<Release>() {
                dispatch.emit(Action::SetRelease(release));
            }
        })
    };
    let baseline = if model.baseline.is_some() {
        html! { <button class="baseline pinned" onclick={dispatch.reform(|_: MouseEvent| Action::ClearBaseline)} title="Stop comparing with the pinned configuration">{"Unpin baseline"}</button> }
    } else {
        html! { <button class="baseline" onclick={dispatch.reform(|_: MouseEvent| Action::PinBaseline)} title="Remember the current configuration: later edits are compared with it">{"Pin as baseline"}</button> }
    };
    html! {
        <header class="bar">
            <h1 class="brand">{ logo() }{"moat"}<span class="sub">{"playground"}</span></h1>
            <label class="examples">
                <span>{"Example"}</span>
                <select onchange={on_example} aria-label="Load an example">
                    if current.is_empty() { <option value="" selected=true disabled=true>{"Your manifests"}</option> }
                    { for groups.iter().map(|(group, entries)| html! {
                        <optgroup label={*group}>
                            { for entries.iter().map(|e| html! { <option value={e.id} selected={e.id == current}>{&e.title}</option> }) }
                        </optgroup>
                    }) }
                </select>
            </label>
            <label class="release">
                <span>{"Kubernetes"}</span>
                <select onchange={on_release} aria-label="Kubernetes release">
                    { for Model::releases().into_iter().map(|r| html! { <option value={r.to_string()} selected={r == model.release}>{r.to_string()}</option> }) }
                </select>
            </label>
            <span class="spacer"></span>
            { baseline }
            <ShareButton {fragment} />
            <ExportMenu on_export={on_export.clone()} />
        </header>
    }
}

/// A tower in its moat.
fn logo() -> Html {
    html! {
        <svg class="logo" viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
            <circle cx="12" cy="12" r="10.5" fill="none" stroke="currentColor" stroke-width="2" />
            <path d="M7.5 17V7.5h2v2h1.5v-2h2v2h1.5v-2h2V17z" fill="currentColor" />
        </svg>
    }
}

fn filter_bar(model: &Model, dispatch: &Callback<Action>, filter_error: Option<String>) -> Html {
    let filters = model.filters.clone();
    let set = |change: fn(&mut Filters, String)| {
        let (dispatch, filters) = (dispatch.clone(), filters.clone());
        Callback::from(move |event: Event| {
            let value = match event.target_dyn_into::<HtmlInputElement>() {
                Some(input) => input.value(),
                None => event.target_unchecked_into::<HtmlSelectElement>().value(),
            };
            let mut next = filters.clone();
            change(&mut next, value);
            dispatch.emit(Action::SetFilters(next));
        })
    };
    let on_port = set(|f, v| f.port = v.trim().parse().ok());
    let on_protocol = set(|f, v| f.protocol = (!v.is_empty()).then_some(v));
    let on_namespace = set(|f, v| f.namespace = (!v.is_empty()).then_some(v));
    let on_labels = set(|f, v| f.labels = v);
    let protocol = filters.protocol.clone().unwrap_or_default();
    let namespace = filters.namespace.clone().unwrap_or_default();
    let clear = dispatch.reform(|_: MouseEvent| Action::SetFilters(Filters::default()));
    html! {
        <form class="filters" aria-label="Filters" onsubmit={Callback::from(|e: SubmitEvent| e.prevent_default())}>
            <label>{"Port"}<input class="port" type="number" min="1" max="65535" placeholder="any" value={filters.port.map(|p| p.to_string()).unwrap_or_default()} onchange={on_port} /></label>
            <label>{"Protocol"}
                <select class="protocol" onchange={on_protocol}>
                    <option value="" selected={protocol.is_empty()}>{"any"}</option>
                    { for ["TCP", "UDP", "SCTP"].map(|p| html! { <option value={p} selected={protocol == p}>{p}</option> }) }
                </select>
            </label>
            <label>{"Namespace"}
                <select class="namespace" onchange={on_namespace}>
                    <option value="" selected={namespace.is_empty()}>{"all"}</option>
                    { for model.analysis.namespaces.iter().map(|ns| html! { <option value={ns.clone()} selected={&namespace == ns}>{ns}</option> }) }
                </select>
            </label>
            <label>{"Labels"}<input class={classes!("labels", filter_error.is_some().then_some("invalid"))} placeholder="app=web,tier!=db" value={filters.labels.clone()} onchange={on_labels} title={filter_error.clone()} aria-invalid={filter_error.is_some().to_string()} /></label>
            if !filters.is_empty() { <button type="button" class="clear" onclick={clear}>{"Clear"}</button> }
            if let Some(error) = filter_error { <span class="filter-error" role="alert">{error}</span> }
        </form>
    }
}

#[derive(Properties, PartialEq)]
struct ShareProps {
    /// The current state's fragment.
    fragment: Callback<(), String>,
}

/// "Share link": the page's URL with the whole state in its fragment, copied to the clipboard and
/// shown, so that it can also be copied by hand.
#[component]
fn ShareButton(props: &ShareProps) -> Html {
    let shown = use_state(|| None::<(String, bool)>);
    let area = use_node_ref();
    // While open, a click elsewhere or Escape closes it.
    {
        let (shown, area) = (shown.clone(), area.clone());
        use_effect_with(shown.is_some(), move |open| {
            let listeners = open.then(|| {
                let document = gloo::utils::document();
                let close = shown.clone();
                let click = EventListener::new(&document, "click", move |event| {
                    let inside = area.cast::<web_sys::Node>().is_some_and(|a| {
                        event
                            .target()
                            .and_then(|t| t.dyn_into::<web_sys::Node>().ok())
                            .is_some_and(|t| a.contains(Some(&t)))
                    });
                    if !inside {
                        close.set(None);
                    }
                });
                let key = EventListener::new(&document, "keydown", move |event| {
                    if event.dyn_ref::<web_sys::KeyboardEvent>().is_some_and(|k| k.key() == "Escape") {
                        shown.set(None);
                    }
                });
                (click, key)
            });
            move || drop(listeners)
        });
    }
    let onclick = {
        let (shown, fragment) = (shown.clone(), props.fragment.clone());
        Callback::from(move |_: MouseEvent| {
            if shown.is_some() {
                shown.set(None);
                return;
            }
            let url = format!("{}#{}", browser::page_url(), fragment.emit(()));
            shown.set(Some((url.clone(), false)));
            let shown = shown.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let copied = browser::copy(url.clone()).await.is_ok();
                shown.set(Some((url, copied)));
            });
        })
    };
    html! {
        <div class="share" ref={area}>
            <button class="share-button" {onclick} aria-expanded={shown.is_some().to_string()} title="A link with the manifests and the view in its fragment, which is never sent to a server">{"Share link"}</button>
            if let Some((url, copied)) = &*shown {
                <div class="popover" role="dialog" aria-label="Share link">
                    <input class="share-url" readonly=true value={url.clone()} aria-label="Link to this state" onfocus={Callback::from(|e: FocusEvent| {
                        if let Some(input) = e.target_dyn_into::<HtmlInputElement>() { input.select(); }
                    })} />
                    <p>{ if *copied { "Copied to the clipboard. " } else { "" } }{"The manifests travel in the part after #, which browsers never send to a server."}</p>
                </div>
            }
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct ExportProps {
    on_export: Callback<Export>,
}

/// The export formats of the current view.
#[component]
fn ExportMenu(props: &ExportProps) -> Html {
    let menu = use_node_ref();
    let item = |format: Export, label: &'static str| {
        let (menu, on_export) = (menu.clone(), props.on_export.clone());
        let onclick = Callback::from(move |_: MouseEvent| {
            if let Some(menu) = menu.cast::<web_sys::Element>() {
                let _ = menu.remove_attribute("open");
            }
            on_export.emit(format);
        });
        html! { <button class="export-item" data-format={label.to_lowercase()} {onclick}>{label}</button> }
    };
    let items = [(Export::Svg, "SVG"), (Export::Png, "PNG"), (Export::Csv, "CSV"), (Export::Json, "JSON")]
        .into_iter()
        .map(|(format, label)| item(format, label))
        .collect::<Html>();
    html! {
        <details class="menu export" ref={menu.clone()}>
            <summary>{"Export"}</summary>
            <div class="menu-items">{items}</div>
        </details>
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Export {
    /// The picture of the view (graph or matrix).
    Svg,
    Png,
    /// The connections the filters keep.
    Csv,
    Json,
}

/// Writes the current view (the graph or the matrix, after the filters) or its connections to a file.
pub fn export(model: &Model, format: Export) -> Result<(), String> {
    let view = model.view();
    let base = model
        .files
        .first()
        .map_or("moat".to_string(), |f| f.name.trim_end_matches(".yaml").trim_end_matches(".json").to_string());
    let picture = || -> String {
        if view == View::Matrix {
            scene::grid_svg(&model.analysis, &scene::grid(&model.analysis, &model.filters, model.baseline.as_deref()))
        } else {
            scene::graph(&model.analysis, &model.stable_order(), &model.filters, model.baseline.as_deref()).svg(false)
        }
    };
    let connectivity = || scene::connections(&model.analysis, &model.filters);
    match format {
        Export::Svg => browser::download(&format!("{base}.svg"), "image/svg+xml", &picture()),
        Export::Png => {
            let (name, svg) = (format!("{base}.png"), picture());
            wasm_bindgen_futures::spawn_local(async move {
                if let Err(error) = browser::download_png(&name, &svg, 2.0).await {
                    web_sys::console::error_1(&error.into());
                }
            });
            Ok(())
        }
        Export::Csv => {
            browser::download(&format!("{base}-connections.csv"), "text/csv", &connlist::csv(&connectivity()))
        }
        Export::Json => {
            let json = serde_json::to_string_pretty(&connectivity()).map_err(|e| e.to_string())?;
            browser::download(&format!("{base}-connections.json"), "application/json", &json)
        }
    }
}
