//! The manifest editor: a tab per file, line numbers with the diagnostics' markers, YAML colouring
//! with the diagnostics underlined, the lines an explanation points at highlighted, and files
//! dropped from the desktop.
//!
//! The text is a transparent `<textarea>` over a `<pre>` that draws it coloured; both sit in one
//! scrolling box, sized to the whole text, so the browser keeps them aligned. Only the lines in view
//! are drawn (a manifest set can have thousands), so typing costs the same on any file.

use std::collections::HashMap;
use std::ops::Range;
use std::rc::Rc;

use moat_engine::Severity;
use wasm_bindgen::JsCast;
use web_sys::{DragEvent, Element, HtmlInputElement, HtmlTextAreaElement};
use yew::prelude::*;

use crate::analysis::Problem;
use crate::browser;
use crate::highlight::{block_lines, byte_of_column, paint};
use crate::model::{Action, Reveal};

/// Height of a line, in CSS pixels (the stylesheet's `--line-height`).
pub const LINE_HEIGHT: f64 = 20.0;
/// Padding around the text (the stylesheet's `--code-padding`).
const PADDING: f64 = 8.0;
/// Lines drawn beyond those in view, so that scrolling shows no gap.
const OVERSCAN: usize = 20;

#[derive(Properties, PartialEq)]
pub struct EditorProps {
    /// Every file's name, and the worst severity of its problems.
    pub tabs: Rc<Vec<(String, Option<Severity>)>>,
    pub active: usize,
    pub text: Rc<str>,
    /// The problems of the active file.
    pub problems: Rc<Vec<Problem>>,
    pub reveal: Rc<Reveal>,
    pub dispatch: Callback<Action>,
}

fn severity_class(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

#[component]
pub fn Editor(props: &EditorProps) -> Html {
    let scroller = use_node_ref();
    let textarea = use_node_ref();
    let view = use_state(|| (0.0f64, 600.0f64));
    let dragging = use_state(|| false);
    let text = props.text.clone();
    let blocks = use_memo(text.clone(), |text| block_lines(text));
    let longest = use_memo(text.clone(), |text| text.split('\n').map(|l| l.chars().count()).max().unwrap_or(0));
    let lines: Vec<&str> = text.split('\n').collect();

    // Scroll to revealed lines, and put the caret there.
    {
        let (scroller, textarea, text, reveal, active) =
            (scroller.clone(), textarea.clone(), text.clone(), props.reveal.clone(), props.active);
        use_effect_with((reveal.serial, active), move |_| {
            if let Some((file, line, column)) = reveal.focus
                && file == active
            {
                if let Some(box_) = scroller.cast::<Element>() {
                    let top = (line.saturating_sub(1) as f64) * LINE_HEIGHT - f64::from(box_.client_height()) / 3.0;
                    box_.set_scroll_top(top.max(0.0) as i32);
                }
                if let Some(area) = textarea.cast::<HtmlTextAreaElement>() {
                    let offset = utf16_offset(&text, line, column);
                    let _ = area.set_selection_range(offset, offset);
                }
            }
        });
    }
    // The viewport, measured once drawn, so that the first paint shows enough lines.
    {
        let (scroller, view) = (scroller.clone(), view.clone());
        use_effect_with((), move |_| {
            if let Some(box_) = scroller.cast::<Element>() {
                view.set((f64::from(box_.scroll_top()), f64::from(box_.client_height())));
            }
        });
    }

    let onscroll = {
        let view = view.clone();
        Callback::from(move |event: Event| {
            if let Some(box_) = event.target().and_then(|t| t.dyn_into::<Element>().ok()) {
                let next = (f64::from(box_.scroll_top()), f64::from(box_.client_height()));
                // Redraw only when another line comes into view.
                if (next.0 / LINE_HEIGHT).floor() != (view.0 / LINE_HEIGHT).floor() || next.1 != view.1 {
                    view.set(next);
                }
            }
        })
    };
    let oninput = {
        let (dispatch, active) = (props.dispatch.clone(), props.active);
        Callback::from(move |event: InputEvent| {
            if let Some(area) = event.target().and_then(|t| t.dyn_into::<HtmlTextAreaElement>().ok()) {
                // The box scrolls, never the textarea itself (it is as large as its text).
                area.set_scroll_top(0);
                dispatch.emit(Action::Edit(active, area.value()));
            }
        })
    };
    let ondragover = {
        let dragging = dragging.clone();
        Callback::from(move |event: DragEvent| {
            event.prevent_default();
            if !*dragging {
                dragging.set(true);
            }
        })
    };
    let ondragleave = {
        let dragging = dragging.clone();
        Callback::from(move |_: DragEvent| dragging.set(false))
    };
    let ondrop = {
        let (dragging, dispatch) = (dragging.clone(), props.dispatch.clone());
        Callback::from(move |event: DragEvent| {
            event.prevent_default();
            dragging.set(false);
            if let Some(files) = event.data_transfer().and_then(|d| d.files()) {
                read_files(files, dispatch.clone());
            }
        })
    };
    let onopen = {
        let dispatch = props.dispatch.clone();
        Callback::from(move |event: Event| {
            if let Some(input) = event.target().and_then(|t| t.dyn_into::<HtmlInputElement>().ok()) {
                if let Some(files) = input.files() {
                    read_files(files, dispatch.clone());
                }
                input.set_value("");
            }
        })
    };

    let (top, height) = *view;
    let first = ((top / LINE_HEIGHT) as usize).saturating_sub(OVERSCAN).min(lines.len());
    let last = (first + (height / LINE_HEIGHT) as usize + 2 * OVERSCAN).min(lines.len());
    let marks = marks(&props.problems, &lines, first..last);
    let highlighted: Vec<(usize, usize)> = props.reveal.lines.get(&props.active).cloned().unwrap_or_default();
    let is_highlighted = |line: usize| highlighted.iter().any(|&(a, b)| (a..=b).contains(&line));
    let offset = format!("top:{}px", first as f64 * LINE_HEIGHT + PADDING);
    let full_height = lines.len() as f64 * LINE_HEIGHT + 2.0 * PADDING;
    let size = format!("height:{full_height}px;width:calc({}ch + {}px)", *longest + 2, 2.0 * PADDING);

    let gutter = (first..last).map(|i| {
        let number = i + 1;
        let (severity, title) = match marks.get(&i) {
            Some(line) => (line.worst, line.messages.join("\n")),
            None => (None, String::new()),
        };
        let class = classes!("number", severity.map(severity_class), is_highlighted(number).then_some("revealed"));
        html! { <div {class} title={(!title.is_empty()).then_some(title)}>{number}</div> }
    });
    let painted = (first..last).map(|i| {
        let line = lines[i];
        let line_marks = marks.get(&i).map(|m| m.ranges.as_slice()).unwrap_or_default();
        let in_block = blocks.get(i).copied().unwrap_or(false);
        let segments = paint(line, in_block, line_marks);
        let class = classes!("line", is_highlighted(i + 1).then_some("revealed"));
        html! {
            <div {class}>
                { for segments.into_iter().map(|s| if s.class.is_empty() {
                    html! { {s.text} }
                } else {
                    html! { <span class={s.class}>{s.text}</span> }
                }) }
                { "\n" }
            </div>
        }
    });

    let tabs = props.tabs.iter().enumerate().map(|(i, (name, severity))| {
        let selected = i == props.active;
        let select = props.dispatch.reform(move |_: MouseEvent| Action::SelectFile(i));
        let close = props.dispatch.reform(move |event: MouseEvent| {
            event.stop_propagation();
            Action::CloseFile(i)
        });
        let rename = {
            let (dispatch, name) = (props.dispatch.clone(), name.clone());
            Callback::from(move |_: MouseEvent| {
                let answer = web_sys::window().and_then(|w| w.prompt_with_message_and_default("Rename the file", &name).ok());
                if let Some(Some(new_name)) = answer {
                    dispatch.emit(Action::RenameFile(i, new_name));
                }
            })
        };
        html! {
            <div class={classes!("tab", selected.then_some("selected"))} role="tab" aria-selected={selected.to_string()}>
                <button class="name" onclick={select} ondblclick={rename} title="Double-click to rename">
                    if let Some(severity) = severity {
                        <span class={classes!("dot", severity_class(*severity))} aria-label={severity.to_string()}></span>
                    }
                    {name}
                </button>
                <button class="close" onclick={close} aria-label={format!("Close {name}")} title="Close">{"×"}</button>
            </div>
        }
    });
    let file_name = props.tabs.get(props.active).map(|(n, _)| n.clone()).unwrap_or_default();

    html! {
        <div class={classes!("editor", dragging.then_some("dragging"))} {ondragover} {ondragleave} {ondrop}>
            <div class="tabs" role="tablist" aria-label="Files">
                { for tabs }
                <button class="new" onclick={props.dispatch.reform(|_: MouseEvent| Action::NewFile)} title="New file" aria-label="New file">{"+"}</button>
                <label class="open" title="Open .yaml or .json files (or drop them here)">
                    {"Open…"}
                    <input type="file" multiple=true accept=".yaml,.yml,.json" onchange={onopen} />
                </label>
            </div>
            if props.tabs.is_empty() {
                <div class="empty">
                    <p>{"No files. Paste manifests into a new file, drop .yaml or .json files here, or pick an example."}</p>
                    <button onclick={props.dispatch.reform(|_: MouseEvent| Action::NewFile)}>{"New file"}</button>
                </div>
            } else {
                <div class="code">
                    <div class="gutter" aria-hidden="true">
                        <div class="numbers" style={format!("transform:translateY({}px)", first as f64 * LINE_HEIGHT + PADDING - top)}>
                            { for gutter }
                        </div>
                    </div>
                    <div class="scroller" ref={scroller} {onscroll}>
                        <div class="sizer" style={size.clone()}>
                            <pre class="paint" aria-hidden="true" style={offset}>{ for painted }</pre>
                            <textarea
                                ref={textarea}
                                class="input"
                                style={size}
                                spellcheck="false"
                                autocomplete="off"
                                autocapitalize="off"
                                wrap="off"
                                aria-label={format!("Manifests: {file_name}")}
                                value={text.to_string()}
                                {oninput}
                            />
                        </div>
                    </div>
                </div>
            }
        </div>
    }
}

/// The marks of one line: the diagnostics' underlines, their worst severity and messages.
#[derive(Default)]
struct LineMarks {
    ranges: Vec<(Range<usize>, &'static str)>,
    worst: Option<Severity>,
    messages: Vec<String>,
}

/// The problems that start on lines `range` (0-based), by line. A problem is underlined from its
/// column to its end, or to the end of its first line when it spans several.
fn marks(problems: &[Problem], lines: &[&str], range: Range<usize>) -> HashMap<usize, LineMarks> {
    let mut out: HashMap<usize, LineMarks> = HashMap::new();
    for problem in problems {
        let Some(location) = &problem.location else { continue };
        let index = location.line.saturating_sub(1);
        if !range.contains(&index) {
            continue;
        }
        let line = lines.get(index).copied().unwrap_or_default();
        let start = byte_of_column(line, location.column);
        let mut end =
            if location.end_line == location.line { byte_of_column(line, location.end_column) } else { line.len() };
        if end <= start {
            // An empty span: underline the character there, or the line's text.
            end = line[start..].chars().next().map_or(line.len(), |c| start + c.len_utf8());
        }
        let (start, end) = if start >= end { (line.len() - line.trim_start().len(), line.len()) } else { (start, end) };
        let entry = out.entry(index).or_default();
        entry.ranges.push((start..end, severity_class(problem.severity)));
        entry.worst = Some(entry.worst.map_or(problem.severity, |w| w.min(problem.severity)));
        entry.messages.push(format!("{}: {}", problem.severity, problem.message));
    }
    out
}

/// The UTF-16 offset (what a textarea's selection counts) of a 1-based line and character column.
fn utf16_offset(text: &str, line: usize, column: usize) -> u32 {
    let mut offset = 0usize;
    for (i, content) in text.split('\n').enumerate() {
        if i + 1 == line {
            offset += content.chars().take(column.saturating_sub(1)).map(char::len_utf16).sum::<usize>();
            break;
        }
        offset += content.encode_utf16().count() + 1;
    }
    u32::try_from(offset).unwrap_or(u32::MAX)
}

/// Reads dropped or chosen files, keeping the YAML and JSON ones.
fn read_files(files: web_sys::FileList, dispatch: Callback<Action>) {
    let files: Vec<web_sys::File> = (0..files.length()).filter_map(|i| files.get(i)).collect();
    wasm_bindgen_futures::spawn_local(async move {
        let mut read = Vec::new();
        let mut skipped = Vec::new();
        for file in files {
            let name = file.name();
            if ![".yaml", ".yml", ".json"].iter().any(|ext| name.to_lowercase().ends_with(ext)) {
                skipped.push(name);
                continue;
            }
            match browser::read_text(file).await {
                Ok(pair) => read.push(pair),
                Err(error) => skipped.push(format!("{name} ({error})")),
            }
        }
        if !read.is_empty() {
            dispatch.emit(Action::AddFiles(read));
        }
        if !skipped.is_empty() {
            dispatch.emit(Action::Notice(Some(format!(
                "not opened (only .yaml, .yml and .json files are read): {}",
                skipped.join(", ")
            ))));
        }
    });
}
