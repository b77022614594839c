//! Source files and positions. Spans are byte ranges; lines and columns are computed on demand, with
//! columns counted in characters (what a terminal shows) and, for editors, in UTF-16 code units.

use serde::Serialize;

/// Index of a file in [`Sources`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct FileId(pub u32);

/// A byte range in one source file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    pub file: FileId,
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Self {
        Span { file, start, end: end.max(start) }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.file, self.start.min(other.start), self.end.max(other.end))
    }
}

/// One input file: its display name and text.
#[derive(Clone, Debug)]
pub struct SourceFile {
    pub name: String,
    pub text: String,
    line_starts: Vec<usize>,
}

/// A resolved position range, 1-based, columns in characters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct Location {
    pub file: String,
    pub line: usize,
    pub column: usize,
    #[serde(rename = "endLine")]
    pub end_line: usize,
    #[serde(rename = "endColumn")]
    pub end_column: usize,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        let text = text.into();
        let line_starts = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
        SourceFile { name: name.into(), text, line_starts }
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// Byte offset where 1-based `line` starts (clamped to the text).
    pub fn line_start(&self, line: usize) -> usize {
        let idx = line.saturating_sub(1).min(self.line_starts.len() - 1);
        self.line_starts[idx]
    }

    /// The text of 1-based `line`, without its line break.
    pub fn line_text(&self, line: usize) -> &str {
        let start = self.line_start(line);
        let end = self.line_starts.get(line).copied().unwrap_or(self.text.len());
        self.text[start..end].trim_end_matches(['\n', '\r'])
    }

    /// Byte offset of the `col`-th character (0-based) of 1-based `line`.
    pub fn offset_of(&self, line: usize, col: usize) -> usize {
        let start = self.line_start(line);
        let rest = &self.text[start..];
        rest.char_indices().nth(col).map_or(self.text.len(), |(i, _)| start + i)
    }

    /// 1-based line and character column of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset);
        let start = self.line_starts[line - 1];
        let col = self.text.get(start..offset).map_or(0, |s| s.chars().count());
        (line, col + 1)
    }

    /// 1-based line and UTF-16 column (as editors in a browser count) of a byte offset.
    pub fn line_col_utf16(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset);
        let start = self.line_starts[line - 1];
        let col = self.text.get(start..offset).map_or(0, |s| s.encode_utf16().count());
        (line, col + 1)
    }
}

/// All input files of one analysis.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    files: Vec<SourceFile>,
}

impl Sources {
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> FileId {
        let id = FileId(u32::try_from(self.files.len()).unwrap_or(u32::MAX));
        self.files.push(SourceFile::new(name, text));
        id
    }

    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    pub fn files(&self) -> &[SourceFile] {
        &self.files
    }

    /// `span` without the whitespace at its end: a block mapping's span runs to the next token, on a
    /// later line, and this ends it after its last character.
    pub fn trim_end(&self, span: Span) -> Span {
        let Some(text) = self.get(span.file).and_then(|f| f.text.get(span.start..span.end)) else { return span };
        Span::new(span.file, span.start, span.start + text.trim_end().len())
    }

    pub fn location(&self, span: Span) -> Location {
        match self.get(span.file) {
            Some(file) => {
                let (line, column) = file.line_col(span.start);
                let (end_line, end_column) = file.line_col(span.end);
                Location { file: file.name.clone(), line, column, end_line, end_column }
            }
            None => Location { file: String::new(), line: 0, column: 0, end_line: 0, end_column: 0 },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_characters() {
        let f = SourceFile::new("a.yaml", "ab\nçé: x\n");
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(3), (2, 1));
        let x = f.text.find('x').unwrap_or(0);
        assert_eq!(f.line_col(x), (2, 5));
        assert_eq!(f.offset_of(2, 4), x);
        assert_eq!(f.line_text(2), "çé: x");
        assert_eq!(f.line_col_utf16(x), (2, 5));
    }
}
