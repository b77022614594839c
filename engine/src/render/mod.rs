//! Views of query results for people and programs: text (terminal), CSV, Markdown and SVG. Every function
//! here is pure: it takes engine values and returns a `String`, so the CLI, the playground and the
//! snapshot tests print exactly the same thing. JSON is the `serde` form of the query types (and of
//! the description types in [`describe`]) and needs no renderer.

pub mod connlist;
pub mod describe;
pub mod diagnostics;
pub mod diff;
pub mod explain;
pub mod intents;
pub mod matrix;
pub mod migrate;
pub mod sarif;
pub mod svg;
pub mod versions;

/// `file:line`, how the text views point at a manifest.
fn file_line(location: &crate::source::Location) -> String {
    format!("{}:{}", location.file, location.line)
}

/// `file:line` for a one-line span, `file:first-last` for a longer one: what an explanation names, so
/// that a reader (or an editor) finds the whole policy, rule, peer or port entry.
fn file_lines(location: &crate::source::Location) -> String {
    if location.end_line <= location.line {
        file_line(location)
    } else {
        format!("{}:{}-{}", location.file, location.line, location.end_line)
    }
}
