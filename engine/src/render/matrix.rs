//! The all-pairs matrix as an aligned text table, CSV and Markdown, and `--summary` counts. Rows are
//! sources, columns destinations, both in pod order.
//!
//! Every format is produced line by line from an iterator of rows ([`Reachability::row`]), so that a
//! big cluster's matrix streams to the output instead of being held in memory; the `&Matrix`
//! functions are the same views of a materialized matrix.
//!
//! Pod ids are validated Kubernetes names (`namespace/name`, maybe `[Kind]`), so they never contain
//! the commas, quotes or pipes that would need escaping in CSV or Markdown.

use crate::model::ports::Protocol;
use crate::query::{Matrix, Reachability, Summary};

/// What a matrix asks about: `TCP/80`, or `any port` for the any-port matrix.
fn subject(port: Option<u16>, protocol: Option<Protocol>) -> String {
    match (protocol, port) {
        (Some(protocol), Some(port)) => format!("{protocol}/{port}"),
        _ => "any port".into(),
    }
}

/// Tables wider than this get numbered columns instead of a header of pod names.
const MAX_NAMED_WIDTH: usize = 100;

/// The header of a matrix and its rows, whichever way they are produced.
pub struct Rows<'a, I: Iterator<Item = Vec<bool>>> {
    pub port: Option<u16>,
    pub protocol: Option<Protocol>,
    pub pods: Vec<&'a str>,
    pub rows: I,
}

impl<'a> Rows<'a, std::iter::Cloned<std::slice::Iter<'a, Vec<bool>>>> {
    pub fn of_matrix(matrix: &'a Matrix) -> Self {
        Rows {
            port: matrix.port,
            protocol: matrix.protocol,
            pods: matrix.pods.iter().map(String::as_str).collect(),
            rows: matrix.allowed.iter().cloned(),
        }
    }
}

impl<'a, 'c: 'a> Rows<'a, Box<dyn Iterator<Item = Vec<bool>> + 'a>> {
    pub fn of_reachability(reachability: &'a Reachability<'c>) -> Self {
        Rows {
            port: reachability.port(),
            protocol: reachability.protocol(),
            pods: reachability.pods().collect(),
            rows: Box::new((0..reachability.len()).map(|s| reachability.row(s))),
        }
    }
}

/// The truth table of the upstream Kubernetes network policy e2e tests: a legend line, then a header
/// of `-` and the destinations, then one row per source with `.` for allowed and `X` for denied.
///
/// ```text
/// reachability on TCP/80 (rows: from, columns: to; . allowed, X denied)
/// -     x/a x/b
/// x/a   .   X
/// x/b   .   .
/// ```
///
/// When pod names would make it wider than [`MAX_NAMED_WIDTH`], rows are numbered and the header
/// lists the numbers, so that real clusters stay readable in a terminal.
pub fn text_lines<'a>(table: Rows<'a, impl Iterator<Item = Vec<bool>> + 'a>) -> impl Iterator<Item = String> + 'a {
    let legend = format!(
        "reachability on {} (rows: from, columns: to; . allowed, X denied)",
        subject(table.port, table.protocol)
    );
    let pods = table.pods;
    let name_width = pods.iter().map(|p| p.chars().count()).max().unwrap_or(0).max(1);
    let named_width = name_width + pods.iter().map(|p| p.chars().count() + 1).sum::<usize>();
    let numbered = named_width > MAX_NAMED_WIDTH;
    let number_width = pods.len().to_string().len();
    let (first_width, headers): (usize, Vec<String>) = if numbered {
        (number_width + 1 + name_width, (1..=pods.len()).map(|i| i.to_string()).collect())
    } else {
        (name_width, pods.iter().map(|p| p.to_string()).collect())
    };
    let widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    let line = move |first: &str, cells: &mut dyn Iterator<Item = &str>| {
        let mut line = format!("{first:<first_width$}");
        for (cell, width) in cells.zip(&widths) {
            line.push(' ');
            line.push_str(&format!("{cell:<width$}"));
        }
        line.trim_end().to_string()
    };
    let header = if pods.is_empty() {
        "no pods".to_string()
    } else {
        line(if numbered { "" } else { "-" }, &mut headers.iter().map(String::as_str))
    };
    let body = pods.into_iter().zip(table.rows).enumerate().map(move |(i, (source, cells))| {
        let label = if numbered { format!("{:>number_width$} {source}", i + 1) } else { source.to_string() };
        line(&label, &mut cells.iter().map(|&allowed| if allowed { "." } else { "X" }))
    });
    [legend, header].into_iter().chain(body)
}

/// `source,<destinations...>` then one row per source with `true`/`false` cells.
pub fn csv_lines<'a>(table: Rows<'a, impl Iterator<Item = Vec<bool>> + 'a>) -> impl Iterator<Item = String> + 'a {
    let header = std::iter::once("source").chain(table.pods.iter().copied()).collect::<Vec<_>>().join(",");
    let body = table.pods.into_iter().zip(table.rows).map(|(source, cells)| {
        let mut line = source.to_string();
        for allowed in cells {
            line.push_str(if allowed { ",true" } else { ",false" });
        }
        line
    });
    std::iter::once(header).chain(body)
}

/// A caption line and a GitHub-flavoured Markdown table with ✅ for allowed and ❌ for denied.
pub fn markdown_lines<'a>(table: Rows<'a, impl Iterator<Item = Vec<bool>> + 'a>) -> impl Iterator<Item = String> + 'a {
    let caption = format!(
        "Reachability on {} (rows: from, columns: to; ✅ allowed, ❌ denied)",
        subject(table.port, table.protocol)
    );
    let head: Vec<String> = if table.pods.is_empty() {
        vec![String::new(), "No pods.".into()]
    } else {
        let names: String = table.pods.iter().map(|p| format!(" {p} |")).collect();
        vec![String::new(), format!("| from \\ to |{names}"), format!("|---|{}", "---|".repeat(table.pods.len()))]
    };
    let body = table.pods.into_iter().zip(table.rows).map(|(source, cells)| {
        let cells: String = cells.iter().map(|&allowed| if allowed { " ✅ |" } else { " ❌ |" }).collect();
        format!("| **{source}** |{cells}")
    });
    std::iter::once(caption).chain(head).chain(body)
}

fn joined(lines: impl Iterator<Item = String>) -> String {
    lines.map(|l| l + "\n").collect()
}

/// [`text_lines`] of a materialized matrix.
pub fn text(matrix: &Matrix) -> String {
    joined(text_lines(Rows::of_matrix(matrix)))
}

/// [`csv_lines`] of a materialized matrix.
pub fn csv(matrix: &Matrix) -> String {
    joined(csv_lines(Rows::of_matrix(matrix)))
}

/// [`markdown_lines`] of a materialized matrix.
pub fn markdown(matrix: &Matrix) -> String {
    joined(markdown_lines(Rows::of_matrix(matrix)))
}

/// `moat matrix --summary`: the counts, one per line.
pub fn summary(summary: &Summary) -> String {
    let percent = if summary.pairs == 0 { 0.0 } else { 100.0 * summary.allowed as f64 / summary.pairs as f64 };
    format!(
        "reachability on {}\npods: {}\nclasses: {} (pods that no policy can tell apart)\npairs: {}\nallowed: {} ({percent:.1}%)\ndenied: {}\n",
        subject(summary.port, summary.protocol),
        summary.pods,
        summary.classes,
        summary.pairs,
        summary.allowed,
        summary.pairs - summary.allowed
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ports::Protocol;

    fn matrix() -> Matrix {
        Matrix {
            port: Some(80),
            protocol: Some(Protocol::Tcp),
            pods: vec!["x/a".into(), "prod/frontend".into()],
            allowed: vec![vec![true, false], vec![true, true]],
        }
    }

    #[test]
    fn text_is_an_aligned_truth_table() {
        assert_eq!(
            text(&matrix()),
            "reachability on TCP/80 (rows: from, columns: to; . allowed, X denied)\n\
             -             x/a prod/frontend\n\
             x/a           .   X\n\
             prod/frontend .   .\n"
        );
        let any = Matrix { port: None, protocol: None, pods: vec![], allowed: vec![] };
        assert_eq!(text(&any), "reachability on any port (rows: from, columns: to; . allowed, X denied)\nno pods\n");
    }

    #[test]
    fn csv_and_markdown() {
        assert_eq!(csv(&matrix()), "source,x/a,prod/frontend\nx/a,true,false\nprod/frontend,true,true\n");
        assert_eq!(
            markdown(&matrix()),
            "Reachability on TCP/80 (rows: from, columns: to; ✅ allowed, ❌ denied)\n\n\
             | from \\ to | x/a | prod/frontend |\n\
             |---|---|---|\n\
             | **x/a** | ✅ | ❌ |\n\
             | **prod/frontend** | ✅ | ✅ |\n"
        );
    }
}
