//! Diagnostics rendered the way cargo and rustc print them: a header with severity, code and message,
//! an arrow to `file:line:column`, the source line with a caret underline and its label, and a help
//! line.
//!
//! ```text
//! error[invalid-port]: `spec.ingress[0].ports[0].port` must be between 1 and 65535, inclusive, not 70000
//!   --> policies.yaml:14:15
//!    |
//! 14 |         port: 70000
//!    |               ^^^^^
//!    |
//!    = help: use a port number from 1 to 65535
//! ```

use std::fmt::Write;

use crate::diagnostic::{Diagnostic, Severity};
use crate::source::{SourceFile, Sources};

/// Columns a tab advances in the rendered source line. Tabs are expanded so that the caret line,
/// which is made of spaces, stays aligned with the text above it.
const TAB_WIDTH: usize = 4;

/// One diagnostic, ending with a newline.
pub fn render(diagnostic: &Diagnostic, sources: &Sources) -> String {
    let mut out = format!("{}[{}]: {}\n", diagnostic.severity, diagnostic.code, diagnostic.message);
    let snippet = diagnostic.span.and_then(|span| Some((span, sources.get(span.file)?)));
    let gutter = match snippet {
        Some((span, file)) => {
            let (line, column) = file.line_col(span.start);
            let (end_line, end_column) = file.line_col(span.end);
            let gutter = " ".repeat(line.to_string().len());
            let text = file.line_text(line);
            // A span that runs past its first line is underlined to the end of that line.
            let last_column = if end_line == line { end_column } else { text.trim_end().chars().count() + 1 };
            let _ = writeln!(out, "{gutter}--> {}:{line}:{column}", file.name);
            let _ = writeln!(out, "{gutter} |");
            let _ = writeln!(out, "{line} | {}", expand_tabs(text));
            let _ =
                writeln!(out, "{gutter} | {}", underline(file, line, column, last_column, diagnostic.label.as_deref()));
            gutter
        }
        None => String::new(),
    };
    if let Some(help) = &diagnostic.help {
        if snippet.is_some() {
            let _ = writeln!(out, "{gutter} |");
        }
        let _ = writeln!(out, "{gutter} = help: {help}");
    }
    out
}

/// Several diagnostics in [source order](in_source_order), separated by blank lines.
pub fn render_all<'d>(diagnostics: impl IntoIterator<Item = &'d Diagnostic>, sources: &Sources) -> String {
    in_source_order(diagnostics).iter().map(|d| render(d, sources)).collect::<Vec<_>>().join("\n")
}

/// Sorted by file, then position, those without a span first: the order a reader goes through the
/// input (parsing reports some problems only after reading every file).
pub fn in_source_order<'d>(diagnostics: impl IntoIterator<Item = &'d Diagnostic>) -> Vec<&'d Diagnostic> {
    let mut sorted: Vec<&Diagnostic> = diagnostics.into_iter().collect();
    sorted.sort_by_key(|d| d.span.map(|s| (s.file, s.start)));
    sorted
}

/// `2 errors, 1 warning`, counting each severity present; `None` when there are no diagnostics.
pub fn summary<'d>(diagnostics: impl IntoIterator<Item = &'d Diagnostic>) -> Option<String> {
    let diagnostics: Vec<&Diagnostic> = diagnostics.into_iter().collect();
    let parts: Vec<String> = [Severity::Error, Severity::Warning, Severity::Note]
        .into_iter()
        .filter_map(|severity| {
            let n = diagnostics.iter().filter(|d| d.severity == severity).count();
            (n > 0).then(|| format!("{n} {severity}{}", if n == 1 { "" } else { "s" }))
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// The caret line under `line` from `column` up to (not including) `end_column`, at least one caret,
/// followed by the label.
fn underline(file: &SourceFile, line: usize, column: usize, end_column: usize, label: Option<&str>) -> String {
    let text = file.line_text(line);
    let before: String = text.chars().take(column - 1).collect();
    let marked: String = text.chars().skip(column - 1).take(end_column.saturating_sub(column)).collect();
    let carets = "^".repeat(display_width(&marked).max(1));
    let mut out = format!("{}{carets}", " ".repeat(display_width(&before)));
    if let Some(label) = label {
        out.push(' ');
        out.push_str(label);
    }
    out
}

fn expand_tabs(text: &str) -> String {
    text.replace('\t', &" ".repeat(TAB_WIDTH))
}

fn display_width(text: &str) -> usize {
    text.chars().map(|c| if c == '\t' { TAB_WIDTH } else { 1 }).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{FileId, Span};

    fn sources(text: &str) -> Sources {
        let mut sources = Sources::default();
        sources.add("policies.yaml", text);
        sources
    }

    fn span_of(text: &str, needle: &str) -> Span {
        let start = text.find(needle).unwrap_or(0);
        Span::new(FileId(0), start, start + needle.len())
    }

    #[test]
    fn single_line_span_with_label_and_help() {
        let text = "a: 1\n".repeat(13) + "        port: 70000\n";
        let diagnostic = Diagnostic::error("invalid-port", "`port` must be between 1 and 65535, inclusive, not 70000")
            .at(span_of(&text, "70000"))
            .label("out of range")
            .help("use a port number from 1 to 65535");
        assert_eq!(
            render(&diagnostic, &sources(&text)),
            "error[invalid-port]: `port` must be between 1 and 65535, inclusive, not 70000\n\
             \x20 --> policies.yaml:14:15\n\
             \x20  |\n\
             14 |         port: 70000\n\
             \x20  |               ^^^^^ out of range\n\
             \x20  |\n\
             \x20  = help: use a port number from 1 to 65535\n"
        );
    }

    #[test]
    fn multi_line_span_is_underlined_to_the_end_of_its_first_line() {
        let text = "spec:\n  podSelector:   \n    app: db\n";
        let start = text.find("podSelector").unwrap_or(0);
        let diagnostic = Diagnostic::warning("w", "message").at(Span::new(FileId(0), start, text.len()));
        assert_eq!(
            render(&diagnostic, &sources(text)),
            "warning[w]: message\n --> policies.yaml:2:3\n  |\n2 |   podSelector:   \n  |   ^^^^^^^^^^^^\n"
        );
    }

    #[test]
    fn empty_spans_get_one_caret_and_tabs_stay_aligned() {
        let text = "a:\tb\n";
        let diagnostic = Diagnostic::note("n", "message").at(Span::new(FileId(0), 3, 3));
        assert_eq!(
            render(&diagnostic, &sources(text)),
            "note[n]: message\n --> policies.yaml:1:4\n  |\n1 | a:    b\n  |       ^\n"
        );
    }

    #[test]
    fn without_a_span_only_the_header_and_help_remain() {
        let diagnostic = Diagnostic::error("limit-exceeded", "file `big.yaml` is too large").help("split it");
        assert_eq!(
            render(&diagnostic, &sources("")),
            "error[limit-exceeded]: file `big.yaml` is too large\n = help: split it\n"
        );
    }

    #[test]
    fn render_all_sorts_by_position_and_summary_counts() {
        let text = "first\nsecond\n";
        let later = Diagnostic::warning("b", "later").at(span_of(text, "second"));
        let earlier = Diagnostic::error("a", "earlier").at(span_of(text, "first"));
        let note = Diagnostic::note("c", "note");
        let rendered = render_all([&later, &earlier, &note], &sources(text));
        let headers: Vec<&str> = rendered.lines().filter(|l| l.contains('[')).collect();
        assert_eq!(headers, ["note[c]: note", "error[a]: earlier", "warning[b]: later"]);
        assert_eq!(summary([&later, &earlier, &later]).as_deref(), Some("1 error, 2 warnings"));
        assert_eq!(summary([&note]).as_deref(), Some("1 note"));
        assert_eq!(summary([]), None);
    }
}
