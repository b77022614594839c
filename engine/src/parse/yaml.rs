//! YAML (and JSON, its subset) into a tree of nodes that keep their spans.
//!
//! serde_yaml and its forks deserialize without positions, and moat must point at the exact line of
//! every field, so documents are read from saphyr-parser's spanned events. Each document of a file is
//! parsed on its own: a syntax error in one does not hide the others. Depth, node count and alias
//! expansion are bounded so that hostile input (deep nesting, "billion laughs") cannot hang a browser
//! tab or the node agent.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError};

use crate::diagnostic::Diagnostic;
use crate::source::{FileId, SourceFile, Span};

/// Nesting deeper than this is rejected (Kubernetes objects need about 15 levels).
pub const MAX_DEPTH: usize = 128;
/// Nodes per document, counting alias expansions.
pub const MAX_NODES: usize = 1_000_000;

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub span: Span,
    pub value: Value,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Scalar(Scalar),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Scalar {
    pub text: String,
    /// Plain (unquoted, untagged) scalars are the ones YAML resolves to booleans, numbers and null.
    pub plain: bool,
}

impl Node {
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => {
                entries.iter().find(|(k, _)| matches!(&k.value, Value::Scalar(s) if s.text == key)).map(|(_, v)| v)
            }
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(s) => Some(&s.text),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    /// The YAML type name, for messages.
    pub fn type_name(&self) -> &'static str {
        match &self.value {
            Value::Null => "null",
            Value::Scalar(_) => "a scalar",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

/// Parses every document of `file`; syntax errors become `yaml-syntax` diagnostics.
pub fn parse_documents(id: FileId, file: &SourceFile, diags: &mut Vec<Diagnostic>) -> Vec<Node> {
    let mut docs = Vec::new();
    for_each_document(id, file, diags, |doc, _| docs.push(doc));
    docs
}

/// Parses the documents of `file` one `---` chunk at a time and hands each to `visit`, so that only
/// one chunk's node tree is in memory at once.
pub fn for_each_document(
    id: FileId,
    file: &SourceFile,
    diags: &mut Vec<Diagnostic>,
    mut visit: impl FnMut(Node, &mut Vec<Diagnostic>),
) {
    for chunk in document_chunks(&file.text) {
        parse_chunk(id, file, chunk, diags, &mut visit);
    }
}

/// A `---`-separated piece of a file: (1-based first line, byte offset, text).
pub type Chunk<'t> = (usize, usize, &'t str);

/// Parses the documents of one chunk of `file`.
pub fn parse_chunk(
    id: FileId,
    file: &SourceFile,
    (first_line, start, text): Chunk<'_>,
    diags: &mut Vec<Diagnostic>,
    visit: &mut impl FnMut(Node, &mut Vec<Diagnostic>),
) {
    let mut builder = Builder::new(id, file, first_line, start, text.is_ascii());
    let result = builder.run(text);
    for doc in builder.docs {
        visit(doc, diags);
    }
    if let Err(err) = result {
        diags.push(*err);
    }
}

/// Splits a stream at `---` lines so that each document is parsed (and fails) on its own. Every chunk
/// keeps its own `---` line, so positions inside it stay exact. Yields (1-based first line, byte
/// offset, text).
pub fn document_chunks(text: &str) -> Vec<Chunk<'_>> {
    let mut chunks = Vec::new();
    let (mut start, mut start_line, mut offset) = (0, 1, 0);
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let is_marker = line.starts_with("---") && line[3..].chars().next().is_none_or(|c| c.is_whitespace());
        if is_marker && offset > start {
            chunks.push((start_line, start, &text[start..offset]));
            start = offset;
            start_line = i + 1;
        }
        offset += line.len();
    }
    chunks.push((start_line, start, &text[start..]));
    chunks
}

enum Frame {
    Seq { start: usize, items: Vec<Node>, anchor: usize },
    Map { start: usize, entries: Vec<(Node, Node)>, key: Option<Node>, anchor: usize },
}

struct Builder<'a> {
    file_id: FileId,
    file: &'a SourceFile,
    first_line: usize,
    /// Byte offset of the chunk in the file, and whether it is ASCII (then a character index is a
    /// byte index, and positions need no line lookup).
    start: usize,
    ascii: bool,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    nodes: usize,
    docs: Vec<Node>,
}

impl<'a> Builder<'a> {
    fn new(file_id: FileId, file: &'a SourceFile, first_line: usize, start: usize, ascii: bool) -> Self {
        Builder {
            file_id,
            file,
            first_line,
            start,
            ascii,
            stack: Vec::new(),
            anchors: HashMap::new(),
            nodes: 0,
            docs: Vec::new(),
        }
    }

    /// Byte offset in the whole file of a chunk-relative marker.
    fn offset(&self, mark: saphyr_parser::Marker) -> usize {
        if self.ascii {
            return self.start + mark.index();
        }
        self.file.offset_of(self.first_line + mark.line() - 1, mark.col())
    }

    fn span(&self, span: saphyr_parser::Span) -> Span {
        Span::new(self.file_id, self.offset(span.start), self.offset(span.end))
    }

    fn syntax_error(&self, err: &ScanError) -> Diagnostic {
        let at = self.offset(*err.marker());
        Diagnostic::error("yaml-syntax", format!("malformed document: {}", err.info()))
            .at(Span::new(self.file_id, at, at + 1))
            .help("fix the YAML/JSON syntax; the other documents of the file are still evaluated")
    }

    fn limit_error(&self, at: usize, what: &str) -> Diagnostic {
        Diagnostic::error("limit-exceeded", format!("document rejected: {what}"))
            .at(Span::new(self.file_id, at, at + 1))
            .help(format!(
                "moat limits nesting to {MAX_DEPTH} levels and documents to {MAX_NODES} nodes, aliases included"
            ))
    }

    fn run(&mut self, chunk: &str) -> Result<(), Box<Diagnostic>> {
        let mut parser = Parser::new_from_str(chunk).keep_tags(true);
        while let Some(event) = parser.next_event() {
            let (event, span) = event.map_err(|e| Box::new(self.syntax_error(&e)))?;
            let span = self.span(span);
            match event {
                Event::DocumentStart(_) => {
                    self.anchors.clear();
                    self.nodes = 0;
                }
                Event::Scalar(text, style, anchor, tag) => {
                    let tagged_str = tag.as_ref().is_some_and(|t| t.is_yaml_core_schema() && t.suffix == "str");
                    let plain = style == ScalarStyle::Plain && tag.is_none();
                    let value = if plain && matches!(&*text, "" | "~" | "null" | "Null" | "NULL") {
                        Value::Null
                    } else {
                        Value::Scalar(Scalar { text: text.into_owned(), plain: plain && !tagged_str })
                    };
                    self.complete(Node { span, value }, anchor)?;
                }
                Event::Alias(id) => {
                    let node = self.anchors.get(&id).cloned().ok_or_else(|| {
                        Box::new(Diagnostic::error("yaml-syntax", "malformed document: unknown alias").at(span))
                    })?;
                    self.nodes += count_nodes(&node);
                    if self.nodes > MAX_NODES {
                        return Err(Box::new(self.limit_error(span.start, "too many nodes after expanding aliases")));
                    }
                    self.complete(Node { span, value: node.value }, 0)?;
                }
                Event::SequenceStart(anchor, _) => {
                    self.open(span.start)?;
                    self.stack.push(Frame::Seq { start: span.start, items: Vec::new(), anchor });
                }
                Event::MappingStart(anchor, _) => {
                    self.open(span.start)?;
                    self.stack.push(Frame::Map { start: span.start, entries: Vec::new(), key: None, anchor });
                }
                Event::SequenceEnd | Event::MappingEnd => {
                    let Some(frame) = self.stack.pop() else { continue };
                    let (start, value, anchor) = match frame {
                        Frame::Seq { start, items, anchor } => (start, Value::Seq(items), anchor),
                        Frame::Map { start, entries, anchor, .. } => (start, Value::Map(entries), anchor),
                    };
                    let end = span.end.max(start);
                    self.complete(Node { span: Span::new(self.file_id, start, end), value }, anchor)?;
                }
                Event::StreamEnd => break,
                Event::StreamStart | Event::DocumentEnd | Event::Nothing => {}
            }
        }
        Ok(())
    }

    fn open(&mut self, at: usize) -> Result<(), Box<Diagnostic>> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(Box::new(self.limit_error(at, "nesting too deep")));
        }
        Ok(())
    }

    /// Attaches a finished node to its parent, or makes it a document.
    fn complete(&mut self, mut node: Node, anchor: usize) -> Result<(), Box<Diagnostic>> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(Box::new(self.limit_error(node.span.start, "too many nodes")));
        }
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => self.docs.push(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, .. }) => match key.take() {
                None => *key = Some(node),
                Some(k) => {
                    // A block mapping's end event sits where the next token starts; keep the span tight.
                    if node.span.end < k.span.start {
                        node.span.end = k.span.end;
                    }
                    entries.push((k, node));
                }
            },
        }
        Ok(())
    }
}

fn count_nodes(node: &Node) -> usize {
    let mut count = 0;
    let mut todo = vec![node];
    while let Some(n) = todo.pop() {
        count += 1;
        match &n.value {
            Value::Seq(items) => todo.extend(items),
            Value::Map(entries) => todo.extend(entries.iter().flat_map(|(k, v)| [k, v])),
            Value::Null | Value::Scalar(_) => {}
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> (SourceFile, Vec<Node>, Vec<Diagnostic>) {
        let file = SourceFile::new("t.yaml", text);
        let mut diags = Vec::new();
        let docs = parse_documents(FileId(0), &file, &mut diags);
        (file, docs, diags)
    }

    #[test]
    fn keeps_spans_and_plainness() {
        let (file, docs, diags) = parse("a: 1\nb:\n  c: 'on'\n  d: on\n");
        assert!(diags.is_empty());
        let b = docs[0].get("b").unwrap();
        let c = b.get("c").unwrap();
        assert_eq!(file.line_col(c.span.start), (3, 6));
        assert!(!matches!(&c.value, Value::Scalar(s) if s.plain));
        assert!(matches!(&b.get("d").unwrap().value, Value::Scalar(s) if s.plain && s.text == "on"));
    }

    #[test]
    fn one_bad_document_does_not_hide_the_others() {
        let (file, docs, diags) = parse("a: 1\n---\nb: [1, 2\n---\n{c: 3}\n");
        assert_eq!(docs.len(), 2);
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].code, "yaml-syntax");
        let (line, _) = file.line_col(diags[0].span.unwrap().start);
        assert!((3..=4).contains(&line), "line {line}");
        assert_eq!(docs[1].get("c").unwrap().as_str(), Some("3"));
    }

    #[test]
    fn aliases_are_bounded() {
        let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 0..8 {
            let prev = if i == 0 { "a".to_string() } else { format!("l{}", i - 1) };
            text.push_str(&format!("l{i}: &l{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
        }
        let (_, _, diags) = parse(&text);
        assert_eq!(diags[0].code, "limit-exceeded");
    }

    #[test]
    fn deep_nesting_is_rejected() {
        let text = "[".repeat(10_000);
        let (_, docs, diags) = parse(&text);
        assert!(docs.is_empty());
        assert_eq!(diags.len(), 1);
    }
}
