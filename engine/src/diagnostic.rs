//! Diagnostics: lowercase messages with user values in backticks, a stable code, a primary span and a
//! help line. One bad document never hides the others: everything is collected.

use serde::Serialize;

use crate::source::{Location, Sources, Span};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub enum Severity {
    /// The object is rejected, as the API server would reject it.
    Error,
    /// Accepted, but probably not what the author meant.
    Warning,
    /// Information: ignored kinds, pods that take no part.
    Note,
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable kebab-case identifier, e.g. `invalid-port`.
    pub code: &'static str,
    pub message: String,
    pub span: Option<Span>,
    /// Short text shown under the caret.
    pub label: Option<String>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn new(severity: Severity, code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic { severity, code, message: message.into(), span: None, label: None, help: None }
    }
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, code, message)
    }
    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, code, message)
    }
    pub fn note(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(Severity::Note, code, message)
    }
    pub fn at(mut self, span: Span) -> Self {
        self.span = Some(span);
        self
    }
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// A self-contained, serializable view with the span resolved to file:line:column.
    pub fn resolve(&self, sources: &Sources) -> ResolvedDiagnostic {
        ResolvedDiagnostic {
            severity: self.severity,
            code: self.code,
            message: self.message.clone(),
            location: self.span.map(|s| sources.location(s)),
            label: self.label.clone(),
            help: self.help.clone(),
        }
    }
}

/// The wire form of a diagnostic (`--output json`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ResolvedDiagnostic {
    pub severity: Severity,
    pub code: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}
