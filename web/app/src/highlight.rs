//! YAML colouring for the editor, one line at a time (the editor draws only the lines in view), and
//! the diagnostics' underlines laid over it.
//!
//! It is a highlighter, not a parser: it recognises keys, quoted and plain scalars, numbers,
//! keywords, comments, document markers, anchors and tags, flow punctuation, and the lines of block
//! scalars (`|`, `>`), which [`block_lines`] finds in one pass over the text. Anything it does not
//! recognise stays plain, so a broken document still reads well.

use std::ops::Range;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Token {
    Plain,
    Key,
    String,
    Number,
    /// `true`, `false`, `null`, `~`, and the YAML 1.1 booleans Kubernetes reads (`yes`, `on`, ...).
    Keyword,
    Comment,
    /// `-`, `:`, `{`, `}`, `[`, `]`, `,`, `|`, `>`, `?`.
    Punct,
    /// `---` and `...`.
    Document,
    /// `&anchor`, `*alias`, `!tag`.
    Anchor,
    /// A line of a block scalar.
    Block,
}

impl Token {
    /// The CSS class of the token (`None`: no class).
    pub fn class(self) -> Option<&'static str> {
        Some(match self {
            Token::Plain => return None,
            Token::Key => "k",
            Token::String | Token::Block => "s",
            Token::Number => "n",
            Token::Keyword => "b",
            Token::Comment => "c",
            Token::Punct => "p",
            Token::Document => "d",
            Token::Anchor => "a",
        })
    }
}

/// For each line of `text`, whether it belongs to a block scalar (and so is text, not YAML).
pub fn block_lines(text: &str) -> Vec<bool> {
    let mut out = Vec::new();
    // The indentation a block scalar's lines must exceed, while in one.
    let mut block: Option<usize> = None;
    for line in text.split('\n') {
        let line = line.trim_end_matches('\r');
        let indent = line.len() - line.trim_start_matches(' ').len();
        let blank = line.trim().is_empty();
        if let Some(parent) = block {
            if blank || indent > parent {
                out.push(true);
                continue;
            }
            block = None;
        }
        out.push(false);
        if opens_block(line) {
            block = Some(indent);
        }
    }
    out
}

/// Whether a line ends with a block scalar indicator: `key: |`, `- >-`, `text: |2 # comment`.
fn opens_block(line: &str) -> bool {
    // Most lines have no indicator at all: skip tokenizing them (the editor runs this on every edit).
    if !line.contains(['|', '>']) {
        return false;
    }
    let tokens = tokens(line);
    let last = tokens
        .iter()
        .rev()
        .find(|(token, range)| !matches!(token, Token::Comment) && !line[range.clone()].trim().is_empty());
    matches!(last, Some((Token::Punct, range)) if matches!(line[range.clone()].chars().next(), Some('|' | '>')))
}

/// The tokens of one line (not of a block scalar), as byte ranges covering the whole line.
pub fn tokens(line: &str) -> Vec<(Token, Range<usize>)> {
    let mut out: Vec<(Token, Range<usize>)> = Vec::new();
    let bytes = line.as_bytes();
    let mut push = |token: Token, range: Range<usize>| {
        if range.is_empty() {
            return;
        }
        match out.last_mut() {
            Some((last, previous)) if *last == token && previous.end == range.start => previous.end = range.end,
            _ => out.push((token, range)),
        }
    };
    let mut i = 0;
    let mut flow = 0usize;
    // Whether a value may start here: the start of the line, after `- `, `: `, `? ` or a flow opener.
    let mut value_start = true;
    let is_space = |i: usize| bytes.get(i).is_none_or(|b| *b == b' ' || *b == b'\t');
    if (line.starts_with("---") || line.starts_with("...")) && is_space(3) {
        push(Token::Document, 0..3);
        i = 3;
    }
    while i < bytes.len() {
        let b = bytes[i];
        let start = i;
        match b {
            b' ' | b'\t' => {
                while i < bytes.len() && (bytes[i] == b' ' || bytes[i] == b'\t') {
                    i += 1;
                }
                push(Token::Plain, start..i);
                continue;
            }
            b'#' if start == 0 || bytes[start - 1] == b' ' || bytes[start - 1] == b'\t' => {
                push(Token::Comment, start..bytes.len());
                break;
            }
            b'-' | b'?' | b':' if is_space(i + 1) => {
                push(Token::Punct, start..i + 1);
                i += 1;
                value_start = true;
                continue;
            }
            b'{' | b'[' => {
                flow += 1;
                push(Token::Punct, start..i + 1);
                i += 1;
                value_start = true;
                continue;
            }
            b'}' | b']' | b',' if flow > 0 => {
                if b != b',' {
                    flow -= 1;
                }
                push(Token::Punct, start..i + 1);
                i += 1;
                value_start = b == b',';
                continue;
            }
            b'|' | b'>' if value_start && flow == 0 => {
                i += 1;
                while i < bytes.len() && matches!(bytes[i], b'-' | b'+' | b'0'..=b'9') {
                    i += 1;
                }
                if is_space(i) {
                    push(Token::Punct, start..i);
                    value_start = false;
                    continue;
                }
                i = start;
            }
            b'&' | b'*' | b'!' if value_start => {
                while i < bytes.len() && !matches!(bytes[i], b' ' | b'\t' | b',' | b'{' | b'}' | b'[' | b']') {
                    i += 1;
                }
                push(Token::Anchor, start..i);
                continue;
            }
            _ => {}
        }
        // A scalar: quoted, or plain up to `: `, ` #` or (in flow) a flow indicator.
        let end = match b {
            b'"' => quoted(bytes, i, b'"'),
            b'\'' => quoted(bytes, i, b'\''),
            _ => plain(bytes, i, flow > 0),
        };
        let end = end.max(start + 1).min(bytes.len());
        let mut after = end;
        while after < bytes.len() && bytes[after] == b' ' {
            after += 1;
        }
        let is_key =
            bytes.get(after) == Some(&b':') && (is_space(after + 1) || (flow > 0 && is_flow(bytes, after + 1)));
        let text = &line[start..end];
        let token = if is_key {
            Token::Key
        } else if b == b'"' || b == b'\'' {
            Token::String
        } else {
            scalar(text)
        };
        push(token, start..end);
        i = end;
        value_start = false;
    }
    out
}

fn is_flow(bytes: &[u8], i: usize) -> bool {
    matches!(bytes.get(i), Some(b',' | b'}' | b']'))
}

/// The end of a quoted scalar starting at `start` (after its closing quote, or the end of the line).
fn quoted(bytes: &[u8], start: usize, quote: u8) -> usize {
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if quote == b'"' => i += 2,
            b if b == quote => {
                if quote == b'\'' && bytes.get(i + 1) == Some(&b'\'') {
                    i += 2;
                } else {
                    return i + 1;
                }
            }
            _ => i += 1,
        }
    }
    bytes.len()
}

/// The end of a plain scalar starting at `start`, without trailing spaces.
fn plain(bytes: &[u8], start: usize, flow: bool) -> usize {
    let mut i = start;
    while i < bytes.len() {
        match bytes[i] {
            b':' if bytes.get(i + 1).is_none_or(|b| *b == b' ' || *b == b'\t') || (flow && is_flow(bytes, i + 1)) => {
                break;
            }
            b'#' if i > start && (bytes[i - 1] == b' ' || bytes[i - 1] == b'\t') => break,
            b',' | b'}' | b']' | b'{' | b'[' if flow => break,
            _ => i += 1,
        }
    }
    while i > start && (bytes[i - 1] == b' ' || bytes[i - 1] == b'\t') {
        i -= 1;
    }
    i
}

/// The token of a plain scalar value.
fn scalar(text: &str) -> Token {
    const KEYWORDS: &[&str] = &[
        "true", "false", "True", "False", "TRUE", "FALSE", "null", "Null", "NULL", "~", "yes", "no", "Yes", "No",
        "YES", "NO", "on", "off", "On", "Off", "ON", "OFF", "y", "n", "Y", "N",
    ];
    if KEYWORDS.contains(&text) {
        Token::Keyword
    } else if text.parse::<f64>().is_ok() || (text.starts_with("0x") && text.len() > 2) {
        Token::Number
    } else {
        Token::String
    }
}

/// A piece of a painted line: its text and its classes (space-separated, possibly empty).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment<'l> {
    pub class: String,
    pub text: &'l str,
}

/// One line's tokens with marks laid over them: each mark is a byte range of the line and a class
/// (an underline of a diagnostic). The segments cover the line in order.
pub fn paint<'l>(line: &'l str, in_block: bool, marks: &[(Range<usize>, &'static str)]) -> Vec<Segment<'l>> {
    let tokens = if in_block { vec![(Token::Block, 0..line.len())] } else { tokens(line) };
    let mut cuts: Vec<usize> = tokens.iter().flat_map(|(_, r)| [r.start, r.end]).collect();
    for (range, _) in marks {
        cuts.extend([range.start.min(line.len()), range.end.min(line.len())]);
    }
    cuts.push(0);
    cuts.push(line.len());
    cuts.retain(|&c| line.is_char_boundary(c));
    cuts.sort_unstable();
    cuts.dedup();
    let mut out = Vec::new();
    for pair in cuts.windows(2) {
        let range = pair[0]..pair[1];
        let mut classes: Vec<&str> = Vec::new();
        if let Some(class) =
            tokens.iter().find(|(_, r)| r.start <= range.start && range.end <= r.end).and_then(|(t, _)| t.class())
        {
            classes.push(class);
        }
        for (mark, class) in marks {
            if mark.start <= range.start && range.end <= mark.end && !classes.contains(class) {
                classes.push(class);
            }
        }
        out.push(Segment { class: classes.join(" "), text: &line[range] });
    }
    out
}

/// The byte offset of the `column`-th character (1-based) of a line, clamped to its end.
pub fn byte_of_column(line: &str, column: usize) -> usize {
    line.char_indices().nth(column.saturating_sub(1)).map_or(line.len(), |(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(line: &str) -> String {
        tokens(line)
            .into_iter()
            .filter(|(t, _)| *t != Token::Plain)
            .map(|(t, r)| format!("{}:{}", t.class().unwrap_or("?"), &line[r]))
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn block_mappings_and_sequences() {
        assert_eq!(show("apiVersion: networking.k8s.io/v1"), "k:apiVersion p:: s:networking.k8s.io/v1");
        assert_eq!(
            show("  - {port: 80, protocol: TCP}  # web"),
            "p:- p:{ k:port p:: n:80 p:, k:protocol p:: s:TCP p:} c:# web"
        );
        assert_eq!(show("  isolation: on"), "k:isolation p:: b:on");
        assert_eq!(show("--- # next"), "d:--- c:# next");
        assert_eq!(show("\"quoted key\": 'it''s'"), "k:\"quoted key\" p:: s:'it''s'");
        assert_eq!(show("ref: &a {x: *a}"), "k:ref p:: a:&a p:{ k:x p:: a:*a p:}");
        assert_eq!(show("url: http://x:80/a#b"), "k:url p:: s:http://x:80/a#b");
        assert_eq!(show("ingress: []"), "k:ingress p:: p:[]");
    }

    #[test]
    fn block_scalars_are_text() {
        let text = "a: |\n  x: 1\n\n  y\nb: >-\n  z\nc: 1\n";
        assert_eq!(block_lines(text), [false, true, true, true, false, true, false, false]);
        assert!(!block_lines("a: '|'\nb: 1\n")[1]);
    }

    #[test]
    fn marks_split_tokens() {
        let painted = paint("port: 70000", false, &[(6..11, "error")]);
        let pieces: Vec<(&str, &str)> = painted.iter().map(|s| (s.class.as_str(), s.text)).collect();
        assert_eq!(pieces, [("k", "port"), ("p", ":"), ("", " "), ("n error", "70000")]);
        assert_eq!(paint("", false, &[]), []);
        assert_eq!(byte_of_column("çé: x", 5), "çé: ".len());
        assert_eq!(byte_of_column("ab", 9), 2);
    }
}
