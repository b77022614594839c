//! The panels around the views: the side panel (an endpoint, a connection with its explanation, a
//! policy), the problems and lint findings, the policy list, the probe, and the changes since the
//! baseline. Every source location is a link that shows its lines in the editor.

use std::rc::Rc;

use moat_engine::Severity;
use moat_engine::query::Explanation;
use moat_engine::query::diff::ChangeKind;
use moat_engine::query::explain::{Element, SideExplanation};
use moat_engine::query::flow::SideStatus;
use moat_engine::render::describe::PolicyDescription;
use moat_engine::source::Location;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::{Snapshot, count};
use crate::analysis::{Analysis, PairExplanation, Problem};
use crate::model::{Action, Baseline, Details, LintState, Probe, Selection};

/// `shop.yaml:12-18`, a button that reveals the lines.
fn location_link(location: &Location, dispatch: &Callback<Action>) -> Html {
    let lines = if location.end_line > location.line {
        format!("{}:{}-{}", location.file, location.line, location.end_line)
    } else {
        format!("{}:{}", location.file, location.line)
    };
    let target = location.clone();
    let onclick = dispatch.reform(move |_: MouseEvent| Action::Reveal(target.clone()));
    html! { <button class="location" {onclick} title="Show in the editor">{lines}</button> }
}

fn severity_class(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

#[derive(Properties, PartialEq)]
pub struct ProblemsProps {
    pub problems: Rc<Vec<Problem>>,
    pub lint: LintState,
    pub dispatch: Callback<Action>,
}

/// Diagnostics of the input and lint findings, in two tabs.
#[component]
pub fn Problems(props: &ProblemsProps) -> Html {
    let tab = use_state(|| 0usize);
    let lint_count = match &props.lint {
        LintState::Done(findings) => findings.len().to_string(),
        LintState::Pending => "…".into(),
    };
    let list = |problems: &[Problem], empty: &str| -> Html {
        if problems.is_empty() {
            return html! { <p class="empty">{empty.to_string()}</p> };
        }
        let items = problems.iter().map(|p| {
            html! {
                <li class={severity_class(p.severity)}>
                    <span class={classes!("badge", severity_class(p.severity))}>{p.severity.to_string()}</span>
                    <code class="code-name">{p.code}</code>
                    if let Some(location) = &p.location { {location_link(location, &props.dispatch)} }
                    <div class="message">{&p.message}</div>
                    if let Some(help) = &p.help { <div class="help">{format!("help: {help}")}</div> }
                </li>
            }
        });
        html! { <ul class="problems">{ for items }</ul> }
    };
    let choose = |i: usize| {
        let tab = tab.clone();
        Callback::from(move |_: MouseEvent| tab.set(i))
    };
    let errors = props.problems.iter().filter(|p| p.severity == Severity::Error).count();
    html! {
        <section class="problems-panel" aria-label="Problems">
            <div class="panel-tabs" role="tablist">
                <button role="tab" aria-selected={(*tab == 0).to_string()} class={classes!((*tab == 0).then_some("selected"))} onclick={choose(0)}>
                    { format!("Problems ({})", props.problems.len()) }
                    if errors > 0 { <span class="dot error"></span> }
                </button>
                <button role="tab" aria-selected={(*tab == 1).to_string()} class={classes!((*tab == 1).then_some("selected"))} onclick={choose(1)}>
                    { format!("Lint ({lint_count})") }
                </button>
            </div>
            <div class="panel-body">
                if *tab == 0 {
                    { list(&props.problems, "No problems: every object was read.") }
                } else {
                    { match &props.lint {
                        LintState::Done(findings) => list(findings, "No lint findings."),
                        LintState::Pending => html! {
                            <p class="empty">
                                {"This input is large: lint runs on request, as its checks judge many flows. "}
                                <button onclick={props.dispatch.reform(|_: MouseEvent| Action::RunLint)}>{"Run lint"}</button>
                            </p>
                        },
                    } }
                }
            </div>
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct DetailsProps {
    pub details: Snapshot<Details>,
    pub analysis: Snapshot<Analysis>,
    pub dispatch: Callback<Action>,
}

/// The side panel: what is selected.
#[component]
pub fn DetailsPanel(props: &DetailsProps) -> Html {
    let dispatch = &props.dispatch;
    let analysis = &props.analysis;
    let close = dispatch.reform(|_: MouseEvent| Action::Select(None));
    let body = match &*props.details {
        Details::Gone(message) => html! { <p class="empty">{message}</p> },
        Details::Policy(policy) => policy_card(policy, dispatch, analysis),
        Details::Node { endpoint, pod, incoming, outgoing } => {
            let info = &analysis.endpoints[*endpoint];
            let peers = |list: &[(usize, String)], outgoing: bool| -> Html {
                let items = list.iter().map(|(peer, ports)| {
                    let (from, to) = if outgoing { (*endpoint, *peer) } else { (*peer, *endpoint) };
                    let selection = Selection::Edge {
                        from: analysis.endpoints[from].id.clone(),
                        to: analysis.endpoints[to].id.clone(),
                    };
                    let onclick = dispatch.reform(move |_: MouseEvent| Action::Select(Some(selection.clone())));
                    html! { <li><button class="peer" {onclick}>{analysis.endpoints[*peer].label()}</button><span class="ports">{ports}</span></li> }
                });
                html! { <ul class="peers">{ for items }</ul> }
            };
            let isolation = |mentions: &[moat_engine::query::explain::PolicyMention], direction: &str| -> Html {
                if info.is_external() {
                    return html! { <p>{format!("{direction}: outside the cluster, no policy applies")}</p> };
                }
                if mentions.is_empty() {
                    return html! { <p>{format!("{direction}: not isolated (no policy selects it), everything is allowed")}</p> };
                }
                let items = mentions.iter().map(|m| {
                    let id = m.policy.clone();
                    let onclick = dispatch.reform(move |_: MouseEvent| Action::Select(Some(Selection::Policy { id: id.clone() })));
                    html! { <li><button class="policy-link" {onclick}>{&m.policy}</button>{" "}{location_link(&m.location, dispatch)}</li> }
                });
                html! { <><p>{format!("{direction}: isolated by")}</p><ul class="policies-of">{ for items }</ul></> }
            };
            html! {
                <>
                    <h3>{info.label()}</h3>
                    if let Some(pod) = pod {
                        <p class="where">{location_link(&pod.location, dispatch)}</p>
                        <dl>
                            <dt>{"Labels"}</dt>
                            <dd>
                                if pod.labels.is_empty() { {"none"} }
                                { for pod.labels.iter().map(|(k, v)| html! { <code class="chip">{format!("{k}={v}")}</code> }) }
                            </dd>
                            if !pod.ips.is_empty() {
                                <dt>{"IPs"}</dt><dd>{pod.ips.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")}</dd>
                            }
                            if !pod.ports.is_empty() {
                                <dt>{"Ports"}</dt>
                                <dd>{pod.ports.iter().map(|p| match &p.name {
                                    Some(name) => format!("{} {} ({name})", p.protocol, p.port),
                                    None => format!("{} {}", p.protocol, p.port),
                                }).collect::<Vec<_>>().join(", ")}</dd>
                            }
                            if pod.host_network { <dt>{"Network"}</dt><dd>{"host network: policies never select it"}</dd> }
                        </dl>
                        { isolation(&pod.ingress, "Ingress") }
                        { isolation(&pod.egress, "Egress") }
                    } else {
                        { isolation(&[], "Ingress") }
                    }
                    <h4>{format!("Can reach ({})", outgoing.len())}</h4>
                    { peers(outgoing, true) }
                    <h4>{format!("Reached from ({})", incoming.len())}</h4>
                    { peers(incoming, false) }
                </>
            }
        }
        Details::Edge { from, to, forward, backward } => {
            let (a, b) = (&analysis.endpoints[*from], &analysis.endpoints[*to]);
            html! {
                <>
                    <h3 class="edge-title">{a.label()}<span class="arrow">{" → "}</span>{b.label()}</h3>
                    { pair(forward, dispatch) }
                    <details class="reverse">
                        <summary>{format!("The other direction: {} → {}", b.label(), a.label())}</summary>
                        { pair(backward, dispatch) }
                    </details>
                </>
            }
        }
    };
    html! {
        <aside class="details" aria-label="Details" aria-live="polite">
            <button class="close" onclick={close} aria-label="Close the details" title="Close (Esc)">{"×"}</button>
            {body}
        </aside>
    }
}

fn pair(pair: &Result<PairExplanation, String>, dispatch: &Callback<Action>) -> Html {
    match pair {
        Err(error) => html! { <p class="error">{error}</p> },
        Ok(pair) => html! {
            <>
                <p class="allowed-ports">{"Allowed: "}<strong>{&pair.allowed}</strong></p>
                <p class="asked">{format!("Explained on {} {} ({}):", pair.explanation.protocol, pair.explanation.port, pair.port_reason)}</p>
                { explanation(&pair.explanation, dispatch) }
            </>
        },
    }
}

/// An explanation: the verdict, then each side with its policies, rules, peers and ports.
pub fn explanation(explanation: &Explanation, dispatch: &Callback<Action>) -> Html {
    let verdict = if explanation.allowed { "allowed" } else { "denied" };
    html! {
        <div class={classes!("explanation", verdict)}>
            <p class="summary"><span class={classes!("verdict", verdict)}>{verdict}</span>{" "}{
                explanation.summary.strip_prefix(&format!("{verdict}: ")).unwrap_or(&explanation.summary)
            }</p>
            if explanation.shortcut.is_none() {
                { side(&explanation.egress, dispatch) }
                { side(&explanation.ingress, dispatch) }
            }
        </div>
    }
}

fn side(side: &SideExplanation, dispatch: &Callback<Action>) -> Html {
    let direction = side.direction.as_str();
    let verdict = if side.allowed { "allowed" } else { "denied" };
    let status = match side.status {
        SideStatus::External => "not a pod of the input: NetworkPolicy does not restrict it".to_string(),
        SideStatus::HostNetwork => "uses the host network: policies never select it".to_string(),
        SideStatus::NotIsolated => format!("not isolated: no policy selects it for {direction}"),
        SideStatus::Isolated => format!("isolated for {direction}"),
    };
    let element = |e: &Element| {
        html! {
            <li>
                <code>{&e.field}</code>
                if let Some(location) = &e.location { {" "}{location_link(location, dispatch)} }
                {" "}{&e.text}
            </li>
        }
    };
    let rules = side.rules.iter().map(|rule| {
        let class = if rule.allowed { "rule allows" } else { "rule misses" };
        html! {
            <li class={class}>
                <span class="rule-name">{format!("{} {}", rule.policy, rule.rule)}</span>{" "}
                {location_link(&rule.location, dispatch)}
                <span class="rule-verdict">{ if rule.allowed { " allows it" } else { " does not match" } }</span>
                <ul class="elements">{ for rule.matched.iter().chain(&rule.missed).map(element) }</ul>
            </li>
        }
    });
    html! {
        <section class={classes!("side", verdict)}>
            <h4>{format!("{direction} at {}: ", side.endpoint)}<span class={classes!("verdict", verdict)}>{verdict}</span></h4>
            <p>{status}</p>
            if !side.isolated_by.is_empty() {
                <p class="isolated-by">{"isolated by "}
                    { for side.isolated_by.iter().map(|m| html! { <>{&m.policy}{" "}{location_link(&m.location, dispatch)}{" "}</> }) }
                </p>
            }
            if side.status == SideStatus::Isolated && side.rules.is_empty() {
                <p>{format!("no {direction} rule at all: nothing is allowed")}</p>
            }
            <ul class="rules">{ for rules }</ul>
        </section>
    }
}

fn policy_card(policy: &PolicyDescription, dispatch: &Callback<Action>, analysis: &Analysis) -> Html {
    let id = policy.policy.clone();
    let select = dispatch.reform(move |_: MouseEvent| Action::Select(Some(Selection::Policy { id: id.clone() })));
    let pods = policy.pods.iter().map(|pod| {
        // The pod's workload, to select it in the pictures.
        match analysis.endpoint_of_pod(pod) {
            Some(e) => {
                let id = analysis.endpoints[e].id.clone();
                let onclick =
                    dispatch.reform(move |_: MouseEvent| Action::Select(Some(Selection::Node { id: id.clone() })));
                html! { <button class="chip" {onclick}>{pod}</button> }
            }
            None => html! { <code class="chip">{pod}</code> },
        }
    });
    html! {
        <article class="policy" data-policy={policy.policy.clone()}>
            <h3><button class="policy-link" onclick={select}>{&policy.policy}</button>{" "}{location_link(&policy.location, dispatch)}</h3>
            <p><strong>{"Selects "}</strong>{&policy.selects}</p>
            <p><strong>{"Ingress: "}</strong>{ policy.ingress.clone().unwrap_or_else(|| "not isolated by this policy".into()) }</p>
            <p><strong>{"Egress: "}</strong>{ policy.egress.clone().unwrap_or_else(|| "not isolated by this policy".into()) }</p>
            <p class="pods"><strong>{format!("Selected ({}): ", policy.pods.len())}</strong>
                if policy.pods.is_empty() { {"no pod of the input"} }
                { for pods }
            </p>
        </article>
    }
}

#[derive(Properties, PartialEq)]
pub struct PoliciesProps {
    pub policies: Rc<Vec<PolicyDescription>>,
    pub analysis: Snapshot<Analysis>,
    pub dispatch: Callback<Action>,
}

/// Every policy: the pods it selects and what it allows, in words.
#[component]
pub fn PoliciesView(props: &PoliciesProps) -> Html {
    if props.policies.is_empty() {
        return html! { <p class="empty">{"No NetworkPolicy in the input: every pod accepts and opens every connection."}</p> };
    }
    html! {
        <div class="policies-view">
            { for props.policies.iter().map(|p| policy_card(p, &props.dispatch, &props.analysis)) }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct ProbeProps {
    pub probe: Probe,
    pub result: Option<Result<Explanation, String>>,
    /// Pod ids and workloads, for the pickers.
    pub endpoints: Rc<Vec<String>>,
    pub dispatch: Callback<Action>,
}

/// Asks about one flow: a source, a destination (pods, workloads or IP addresses), a port (a
/// number or a name) and a protocol.
#[component]
pub fn ProbeView(props: &ProbeProps) -> Html {
    let from = use_node_ref();
    let to = use_node_ref();
    let port = use_node_ref();
    let protocol = use_node_ref();
    let onsubmit = {
        let (from, to, port, protocol, dispatch) =
            (from.clone(), to.clone(), port.clone(), protocol.clone(), props.dispatch.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let value = |node: &NodeRef| node.cast::<HtmlInputElement>().map(|i| i.value()).unwrap_or_default();
            let protocol = protocol.cast::<HtmlSelectElement>().map(|s| s.value()).unwrap_or_default();
            dispatch.emit(Action::SetProbe(Probe { from: value(&from), to: value(&to), port: value(&port), protocol }));
        })
    };
    let options = props.endpoints.iter().map(|e| html! { <option value={e.clone()} /> });
    let protocols = ["TCP", "UDP", "SCTP"].map(|p| {
        let selected = props.probe.protocol == p || (p == "TCP" && props.probe.protocol.is_empty());
        html! { <option value={p} {selected}>{p}</option> }
    });
    html! {
        <div class="probe-view">
            <form class="probe" {onsubmit} aria-label="Probe a flow">
                <datalist id="probe-endpoints">{ for options }</datalist>
                <label>{"From"}<input ref={from} list="probe-endpoints" value={props.probe.from.clone()} placeholder="namespace/pod or an IP" required=true /></label>
                <label>{"To"}<input ref={to} list="probe-endpoints" value={props.probe.to.clone()} placeholder="namespace/pod or an IP" required=true /></label>
                <label>{"Port"}<input ref={port} value={props.probe.port.clone()} placeholder="80 or a port name" required=true size="10" /></label>
                <label>{"Protocol"}<select ref={protocol}>{ for protocols }</select></label>
                <button type="submit" class="primary">{"Check"}</button>
            </form>
            { match &props.result {
                None => html! { <p class="empty">{"Pick a source and a destination (a pod, a workload, or an IP address outside the cluster), a port and a protocol: the verdict comes with every reason, and the lines that decided it are shown in the editor."}</p> },
                Some(Err(error)) => html! { <p class="error" role="alert">{error}</p> },
                Some(Ok(result)) => explanation(result, &props.dispatch),
            } }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct DiffProps {
    pub baseline: Snapshot<Baseline>,
    pub analysis: Snapshot<Analysis>,
    pub dispatch: Callback<Action>,
}

/// The changes since the pinned baseline.
#[component]
pub fn DiffPanel(props: &DiffProps) -> Html {
    let open = use_state(|| true);
    let diff = &props.baseline.diff;
    let analysis = &props.analysis;
    let name = |id: &str| analysis.endpoint(id).map_or_else(|| id.to_string(), |e| analysis.endpoints[e].label());
    let rows = diff.changes.iter().map(|change| {
        let kind = match change.kind {
            ChangeKind::Added => "added",
            ChangeKind::Removed => "removed",
            ChangeKind::Changed => "changed",
        };
        let selection = Selection::Edge { from: change.from.clone(), to: change.to.clone() };
        let onclick = props.dispatch.reform(move |_: MouseEvent| Action::Select(Some(selection.clone())));
        html! {
            <tr class={kind} data-from={change.from.clone()} data-to={change.to.clone()}>
                <td><span class={classes!("badge", kind)}>{kind}</span></td>
                <td><button class="peer" {onclick}>{format!("{} → {}", name(&change.from), name(&change.to))}</button></td>
                <td>{&change.before}</td><td>{&change.after}</td>
            </tr>
        }
    });
    let toggle = {
        let open = open.clone();
        Callback::from(move |_: MouseEvent| open.set(!*open))
    };
    let summary = if diff.is_empty() {
        "No change since the baseline".to_string()
    } else {
        format!("Since the baseline: {}", count(diff.changes.len(), "changed connection", "changed connections"))
    };
    html! {
        <section class="diff-panel" aria-label="Changes since the baseline">
            <div class="diff-head">
                <button class="toggle" onclick={toggle} aria-expanded={open.to_string()}>{summary}</button>
                if !diff.added_workloads.is_empty() { <span class="badge added">{format!("new: {}", diff.added_workloads.join(", "))}</span> }
                if !diff.removed_workloads.is_empty() { <span class="badge removed">{format!("gone: {}", diff.removed_workloads.join(", "))}</span> }
                <button class="unpin" onclick={props.dispatch.reform(|_: MouseEvent| Action::ClearBaseline)}>{"Unpin"}</button>
            </div>
            if *open && !diff.changes.is_empty() {
                <div class="diff-body">
                    <table class="changes">
                        <thead><tr><th scope="col">{"Change"}</th><th scope="col">{"Connection"}</th><th scope="col">{"Before"}</th><th scope="col">{"After"}</th></tr></thead>
                        <tbody>{ for rows }</tbody>
                    </table>
                </div>
            }
        </section>
    }
}
