//! The matrix view: sources down, destinations across, each cell coloured by what the source may
//! open towards the destination (every port, some ports, nothing), with the changes since the
//! baseline outlined. Small matrices are tables of focusable cells; large ones are drawn on a canvas,
//! one pixel block per cell, and name the cell under the pointer. A cell opens the explanation.

use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData};
use yew::prelude::*;

use super::{Snapshot, closest, count};
use crate::analysis::Analysis;
use crate::model::{Action, Selection};
use crate::scene::{Cell, Grid, change_class};
use moat_engine::query::diff::ChangeKind;

/// Up to this many columns, the matrix is a table.
const TABLE_LIMIT: usize = 60;
/// Width the canvas aims at, in CSS pixels.
const CANVAS_WIDTH: usize = 900;

#[derive(Properties, PartialEq)]
pub struct MatrixProps {
    pub grid: Snapshot<Grid>,
    pub analysis: Snapshot<Analysis>,
    /// `any port`, `TCP 80`: what the cells answer.
    pub ports: AttrValue,
    pub dispatch: Callback<Action>,
}

fn cell_class(cell: Cell) -> &'static str {
    match cell {
        Cell::All => "all",
        Cell::Some => "some",
        Cell::None => "none",
        Cell::Itself => "self",
    }
}

/// `shop/web → shop/db: TCP 5432`.
fn cell_text(analysis: &Analysis, from: usize, to: usize) -> String {
    let ports = if from == to {
        "itself".to_string()
    } else {
        analysis.link(from, to).map_or_else(|| "No Connections".to_string(), |l| analysis.text(l))
    };
    format!("{} → {}: {ports}", analysis.endpoints[from].label(), analysis.endpoints[to].label())
}

fn select_cell(analysis: &Analysis, grid: &Grid, row: usize, column: usize) -> Option<Action> {
    let (&from, &to) = (grid.rows.get(row)?, grid.columns.get(column)?);
    let (from, to) = (analysis.endpoints[from].id.clone(), analysis.endpoints[to].id.clone());
    Some(Action::Select(Some(Selection::Edge { from, to })))
}

#[component]
pub fn MatrixView(props: &MatrixProps) -> Html {
    let grid = &props.grid;
    let legend = html! {
        <ul class="legend" aria-label="Legend">
            <li><span class="swatch cell all"></span>{ if props.ports == "any port" { "every port".to_string() } else { format!("allowed on {}", props.ports) } }</li>
            if props.ports == "any port" || !props.ports.chars().any(|c| c.is_ascii_digit()) {
                <li><span class="swatch cell some"></span>{"some ports"}</li>
            }
            <li><span class="swatch cell none"></span>{"nothing"}</li>
            <li><span class="swatch cell self"></span>{"itself"}</li>
            if grid.changes.iter().any(Option::is_some) {
                <li><span class="swatch cell added"></span>{"added"}</li>
                <li><span class="swatch cell removed"></span>{"removed"}</li>
                <li><span class="swatch cell changed"></span>{"changed"}</li>
            }
        </ul>
    };
    let caption = format!(
        "{} × {}: what each source may open towards each destination ({})",
        count(grid.rows.len(), "source", "sources"),
        count(grid.columns.len(), "destination", "destinations"),
        props.ports
    );
    if grid.rows.is_empty() || grid.columns.is_empty() {
        return html! { <div class="matrix-view"><p class="empty">{"No endpoint matches the filters."}</p></div> };
    }
    let body = if grid.columns.len() <= TABLE_LIMIT {
        table(props)
    } else {
        html! { <MatrixCanvas grid={props.grid.clone()} analysis={props.analysis.clone()} dispatch={props.dispatch.clone()} /> }
    };
    html! {
        <div class="matrix-view">
            <div class="toolbar">{legend}<span class="caption">{caption}</span></div>
            {body}
        </div>
    }
}

fn table(props: &MatrixProps) -> Html {
    let (grid, analysis) = (&props.grid, &props.analysis);
    let width = grid.columns.len();
    let onclick = {
        let (grid, analysis, dispatch) = (props.grid.clone(), props.analysis.clone(), props.dispatch.clone());
        move |event: &Event| {
            let Some(cell) = closest(event, "td[data-r]") else { return };
            let index = |name| cell.get_attribute(name).and_then(|v| v.parse::<usize>().ok());
            if let (Some(r), Some(c)) = (index("data-r"), index("data-c"))
                && let Some(action) = select_cell(&analysis, &grid, r, c)
            {
                dispatch.emit(action);
            }
        }
    };
    let onkeydown = {
        let onclick = onclick.clone();
        Callback::from(move |event: KeyboardEvent| {
            if event.key() == "Enter" || event.key() == " " {
                event.prevent_default();
                onclick(&event);
            }
        })
    };
    let onclick = Callback::from(move |event: MouseEvent| onclick(&event));
    let header = grid.columns.iter().map(|&c| {
        let endpoint = &analysis.endpoints[c];
        html! { <th scope="col" title={endpoint.label()}><span>{endpoint.key.clone()}</span></th> }
    });
    let rows = grid.rows.iter().enumerate().map(|(r, &from)| {
        let endpoint = &analysis.endpoints[from];
        let cells = grid.columns.iter().enumerate().map(|(c, &to)| {
            let index = r * width + c;
            let cell = grid.cells[index];
            let change = grid.changes[index].map(change_class);
            let text = cell_text(analysis, from, to);
            html! {
                <td class={classes!(cell_class(cell), change)} data-r={r.to_string()} data-c={c.to_string()}
                    tabindex="0" title={text.clone()} aria-label={text}></td>
            }
        });
        html! { <tr><th scope="row" title={endpoint.label()}>{endpoint.key.clone()}</th>{ for cells }</tr> }
    });
    html! {
        <div class="matrix-scroll">
            <table class="matrix" {onclick} {onkeydown}>
                <thead><tr><th class="corner">{"from ↓ to →"}</th>{ for header }</tr></thead>
                <tbody>{ for rows }</tbody>
            </table>
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct CanvasProps {
    grid: Snapshot<Grid>,
    analysis: Snapshot<Analysis>,
    dispatch: Callback<Action>,
}

/// RGBA of a cell (the same colours in both themes: the canvas has a neutral background).
fn colour(cell: Cell, change: Option<ChangeKind>) -> [u8; 4] {
    match (change, cell) {
        (Some(ChangeKind::Added), _) => [31, 111, 235, 255],
        (Some(ChangeKind::Removed), _) => [207, 34, 46, 255],
        (Some(ChangeKind::Changed), _) => [191, 135, 0, 255],
        (None, Cell::All) => [45, 164, 78, 255],
        (None, Cell::Some) => [212, 167, 44, 255],
        (None, Cell::None) => [140, 149, 159, 40],
        (None, Cell::Itself) => [140, 149, 159, 140],
    }
}

#[component]
fn MatrixCanvas(props: &CanvasProps) -> Html {
    let canvas = use_node_ref();
    let hovered = use_state(|| None::<(usize, usize)>);
    let grid = props.grid.clone();
    let side = (CANVAS_WIDTH / grid.columns.len().max(grid.rows.len()).max(1)).clamp(2, 8);
    let (width, height) = (grid.columns.len() * side, grid.rows.len() * side);
    {
        let canvas = canvas.clone();
        use_effect_with(props.grid.clone(), move |grid| {
            let mut pixels = vec![0u8; width * height * 4];
            for r in 0..grid.rows.len() {
                for c in 0..grid.columns.len() {
                    let i = r * grid.columns.len() + c;
                    let rgba = colour(grid.cells[i], grid.changes[i]);
                    // A one-pixel gap between cells, when there is room for it.
                    let inner = if side > 3 { side - 1 } else { side };
                    for y in r * side..r * side + inner {
                        for x in c * side..c * side + inner {
                            let at = (y * width + x) * 4;
                            pixels[at..at + 4].copy_from_slice(&rgba);
                        }
                    }
                }
            }
            if let Some(canvas) = canvas.cast::<HtmlCanvasElement>()
                && let Ok(Some(context)) = canvas.get_context("2d")
                && let Ok(context) = context.dyn_into::<CanvasRenderingContext2d>()
                && let Ok(image) = ImageData::new_with_u8_clamped_array_and_sh(
                    Clamped(&pixels),
                    u32::try_from(width).unwrap_or(0),
                    u32::try_from(height).unwrap_or(0),
                )
            {
                context.clear_rect(0.0, 0.0, width as f64, height as f64);
                let _ = context.put_image_data(&image, 0.0, 0.0);
            }
        });
    }
    let at = move |event: &MouseEvent| -> Option<(usize, usize)> {
        let (x, y) = (usize::try_from(event.offset_x()).ok()?, usize::try_from(event.offset_y()).ok()?);
        Some((y / side, x / side))
    };
    let onmousemove = {
        let hovered = hovered.clone();
        Callback::from(move |event: MouseEvent| {
            let next = at(&event);
            if next != *hovered {
                hovered.set(next);
            }
        })
    };
    let onclick = {
        let (grid, analysis, dispatch) = (props.grid.clone(), props.analysis.clone(), props.dispatch.clone());
        Callback::from(move |event: MouseEvent| {
            if let Some((r, c)) = at(&event)
                && let Some(action) = select_cell(&analysis, &grid, r, c)
            {
                dispatch.emit(action);
            }
        })
    };
    let readout = hovered.and_then(|(r, c)| Some((*grid.rows.get(r)?, *grid.columns.get(c)?))).map_or_else(
        || "Point at a cell to name it; click it for the explanation.".to_string(),
        |(f, t)| cell_text(&props.analysis, f, t),
    );
    let label = format!(
        "Reachability matrix of {} and {}; the table under the graph view lists the same connections",
        count(grid.rows.len(), "source", "sources"),
        count(grid.columns.len(), "destination", "destinations")
    );
    html! {
        <div class="matrix-canvas">
            <p class="readout" aria-live="polite">{readout}</p>
            <div class="matrix-scroll">
                <canvas ref={canvas} width={width.to_string()} height={height.to_string()} role="img" aria-label={label} {onmousemove} {onclick}
                    onmouseleave={let hovered = hovered.clone(); Callback::from(move |_: MouseEvent| hovered.set(None))}></canvas>
            </div>
        </div>
    }
}
