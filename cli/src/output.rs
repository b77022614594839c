//! Output formats and writing.

use std::io::{self, Write};

use clap::ValueEnum;
use serde::Serialize;

/// `--output` of every command but `matrix`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    #[default]
    Text,
    Json,
}

/// `--output` of `matrix`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum MatrixFormat {
    #[default]
    Text,
    Json,
    Csv,
    Md,
}

impl MatrixFormat {
    /// The format of the input diagnostics that go with this output: JSON with JSON, text otherwise.
    pub fn diagnostics(self) -> Format {
        diagnostics_format(self == MatrixFormat::Json)
    }
}

/// `--output` of `list`: netpol-analyzer's formats, and drawings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// `source => destination : connections`, one line per pair (netpol-analyzer's `txt`)
    #[default]
    #[value(alias = "text")]
    Txt,
    Json,
    Csv,
    /// Markdown table
    Md,
    /// Graphviz
    Dot,
    /// drawn by moat, namespaces as groups
    Svg,
    /// Mermaid flowchart
    Mermaid,
}

/// `--output` of `diff`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    #[default]
    #[value(alias = "text")]
    Txt,
    Json,
    /// Markdown table
    Md,
    Csv,
}

/// `--output` of `lint`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum LintFormat {
    #[default]
    Text,
    Json,
    /// SARIF 2.1.0, which code hosts read to annotate pull requests
    Sarif,
}

/// The format of the input diagnostics that go with an output: JSON with JSON, text otherwise.
pub fn diagnostics_format(json: bool) -> Format {
    if json { Format::Json } else { Format::Text }
}

/// Pretty-printed JSON and a final newline.
pub fn write_json(out: &mut dyn Write, value: &impl Serialize) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    writeln!(out)
}

/// A writer that takes a closed pipe (`moat matrix ... | head`) as the reader having seen enough:
/// that write and every later one succeed without output, so the command ends normally with its
/// own exit status. Other errors pass through.
pub struct QuietPipe<W> {
    inner: W,
    closed: bool,
}

impl<W: Write> QuietPipe<W> {
    pub fn new(inner: W) -> Self {
        QuietPipe { inner, closed: false }
    }

    fn guard<T>(&mut self, result: io::Result<T>, on_close: T) -> io::Result<T> {
        match result {
            Err(error) if error.kind() == io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(on_close)
            }
            other => other,
        }
    }
}

impl<W: Write> Write for QuietPipe<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.closed {
            return Ok(buf.len());
        }
        let result = self.inner.write(buf);
        self.guard(result, buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.closed {
            return Ok(());
        }
        let result = self.inner.flush();
        self.guard(result, ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Accepts `capacity` bytes, then behaves like a pipe whose reader has gone.
    struct ClosingPipe {
        written: Vec<u8>,
        capacity: usize,
    }

    impl Write for ClosingPipe {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.written.len() + buf.len() > self.capacity {
                return Err(io::ErrorKind::BrokenPipe.into());
            }
            self.written.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_closed_pipe_ends_the_output_quietly() -> io::Result<()> {
        let mut pipe = ClosingPipe { written: Vec::new(), capacity: 4 };
        let mut quiet = QuietPipe::new(&mut pipe);
        quiet.write_all(b"abc")?;
        quiet.write_all(b"def")?;
        quiet.write_all(b"g")?;
        quiet.flush()?;
        assert_eq!(pipe.written, b"abc");
        Ok(())
    }
}
