//! The all-pairs [`Matrix`] as an aligned text table, CSV and Markdown. Rows are sources, columns
//! destinations, both in the matrix's pod order.
//!
//! Pod ids are validated Kubernetes names (`namespace/name`, maybe `[Kind]`), so they never contain
//! the commas, quotes or pipes that would need escaping in CSV or Markdown.

use crate::query::Matrix;

/// What the matrix asks about: `TCP/80`, or `any port` for the any-port matrix.
fn subject(matrix: &Matrix) -> String {
    match (matrix.protocol, matrix.port) {
        (Some(protocol), Some(port)) => format!("{protocol}/{port}"),
        _ => "any port".into(),
    }
}

/// Tables wider than this get numbered columns instead of a header of pod names.
const MAX_NAMED_WIDTH: usize = 100;

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
pub fn text(matrix: &Matrix) -> String {
    let mut out = format!("reachability on {} (rows: from, columns: to; . allowed, X denied)\n", subject(matrix));
    if matrix.pods.is_empty() {
        out.push_str("no pods\n");
        return out;
    }
    let name_width = matrix.pods.iter().map(|p| p.chars().count()).max().unwrap_or(0).max(1);
    let named_width = name_width + matrix.pods.iter().map(|p| p.chars().count() + 1).sum::<usize>();
    let numbered = named_width > MAX_NAMED_WIDTH;
    let number_width = matrix.pods.len().to_string().len();
    let (first_width, headers): (usize, Vec<String>) = if numbered {
        (number_width + 1 + name_width, (1..=matrix.pods.len()).map(|i| i.to_string()).collect())
    } else {
        (name_width, matrix.pods.clone())
    };
    let widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    let mut row = |first: &str, cells: Vec<&str>| {
        let mut line = format!("{first:<first_width$}");
        for (cell, width) in cells.into_iter().zip(&widths) {
            line.push(' ');
            line.push_str(&format!("{cell:<width$}"));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    };
    row(if numbered { "" } else { "-" }, headers.iter().map(String::as_str).collect());
    for (i, (source, cells)) in matrix.pods.iter().zip(&matrix.allowed).enumerate() {
        let label = if numbered { format!("{:>number_width$} {source}", i + 1) } else { source.clone() };
        row(&label, cells.iter().map(|&allowed| if allowed { "." } else { "X" }).collect());
    }
    out
}

/// `source,<destinations...>` then one row per source with `true`/`false` cells.
pub fn csv(matrix: &Matrix) -> String {
    let mut out = String::from("source");
    for pod in &matrix.pods {
        out.push(',');
        out.push_str(pod);
    }
    out.push('\n');
    for (source, cells) in matrix.pods.iter().zip(&matrix.allowed) {
        out.push_str(source);
        for &allowed in cells {
            out.push_str(if allowed { ",true" } else { ",false" });
        }
        out.push('\n');
    }
    out
}

/// A caption line and a GitHub-flavoured Markdown table with ✅ for allowed and ❌ for denied.
pub fn markdown(matrix: &Matrix) -> String {
    let mut out = format!("Reachability on {} (rows: from, columns: to; ✅ allowed, ❌ denied)\n\n", subject(matrix));
    if matrix.pods.is_empty() {
        out.push_str("No pods.\n");
        return out;
    }
    out.push_str("| from \\ to |");
    for pod in &matrix.pods {
        out.push_str(&format!(" {pod} |"));
    }
    out.push_str("\n|---|");
    out.push_str(&"---|".repeat(matrix.pods.len()));
    out.push('\n');
    for (source, cells) in matrix.pods.iter().zip(&matrix.allowed) {
        out.push_str(&format!("| **{source}** |"));
        for &allowed in cells {
            out.push_str(if allowed { " ✅ |" } else { " ❌ |" });
        }
        out.push('\n');
    }
    out
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
