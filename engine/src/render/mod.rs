//! Views of query results for people and programs: text (terminal), CSV, Markdown and SVG. Every function
//! here is pure: it takes engine values and returns a `String`, so the CLI, the playground and the
//! snapshot tests print exactly the same thing. JSON is the `serde` form of the query types (and of
//! the description types in [`describe`]) and needs no renderer.

pub mod describe;
pub mod diagnostics;
pub mod explain;
pub mod matrix;
pub mod svg;

/// `file:line`, how the text views point at a manifest.
fn file_line(location: &crate::source::Location) -> String {
    format!("{}:{}", location.file, location.line)
}
