//! The JavaScript-facing types that the engine has no equivalent for: what callers pass in, the
//! verdict of `check`, and diagnostics and errors with editor positions. Results that the engine
//! already defines (explanations, matrices, descriptions, the connectivity graph) cross the
//! boundary as the engine's own serde types, so their JSON is the CLI's `--output json`.
//!
//! Everything is plain JSON-compatible data: `None` becomes `null` or an absent key (as the
//! TypeScript declarations say), maps become objects.

use std::collections::BTreeMap;

use moat_engine::Severity;
use moat_engine::model::ports::Protocol;
use moat_engine::model::versions::{Options, Release};
use moat_engine::query::flow::PortRef;
use moat_engine::source::{Sources, Span};
use serde::{Deserialize, Serialize};
use tsify::{Ts, Tsify};
use wasm_bindgen::prelude::*;

/// Manifests: one YAML or JSON text, or several named files.
#[derive(Clone, Debug, Deserialize, Tsify)]
#[serde(untagged)]
pub enum Manifests {
    Text(String),
    Files(Vec<ManifestFile>),
}

/// One input file. `name` is what diagnostics and explanations point at.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Tsify)]
pub struct ManifestFile {
    pub name: String,
    pub text: String,
}

#[derive(Clone, Debug, Default, Deserialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct ClusterOptions {
    /// The name given to manifests passed as one text (default `manifests.yaml`).
    #[tsify(optional)]
    pub file_name: Option<String>,
    /// The Kubernetes release whose API and enforcement to model, `1.<minor>` (default: the newest
    /// the engine knows). Older releases reject or ignore newer fields, with diagnostics saying so.
    #[tsify(optional)]
    pub kubernetes_version: Option<String>,
    /// Feature gates as the API server's `--feature-gates` sets them; others keep the release's default.
    #[serde(default)]
    #[tsify(optional, type = "Record<string, boolean>")]
    pub feature_gates: BTreeMap<String, bool>,
}

impl ClusterOptions {
    /// The engine's options; an unknown release is an `invalid-kubernetes-version` error.
    pub fn engine_options(&self) -> Result<Options, ApiError> {
        let kubernetes_version = match &self.kubernetes_version {
            Some(text) => text.parse::<Release>().map_err(|e| ApiError::new("invalid-kubernetes-version", e))?,
            None => Release::default(),
        };
        Ok(Options { kubernetes_version, feature_gates: self.feature_gates.clone() })
    }
}

/// A flow to judge: endpoints as `namespace/name`, `name` (namespace `default`) or an IP address; a
/// port number or a container port name (resolved on the destination); protocol `TCP` by default.
#[derive(Clone, Debug, Deserialize, Tsify)]
pub struct FlowQuery {
    pub from: String,
    pub to: String,
    pub port: PortInput,
    #[tsify(optional, type = "Protocol")]
    pub protocol: Option<String>,
}

#[derive(Clone, Debug, Deserialize, Tsify)]
#[serde(untagged)]
pub enum PortInput {
    Number(f64),
    Name(String),
}

/// The answer of `check`: the verdict, one sentence why, and the policies whose rules allowed it.
#[derive(Clone, Debug, Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct FlowVerdict {
    pub from: String,
    pub to: String,
    /// The port number, after resolving a name on the destination.
    pub port: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port_name: Option<String>,
    pub protocol: Protocol,
    pub allowed: bool,
    pub summary: String,
    /// `namespace/name` of every policy with a rule that allowed the flow, on either side.
    pub allowed_by: Vec<String>,
}

/// A problem in the manifests (from `diagnostics()`), or the fields of a thrown `MoatError`.
///
/// Positions are 1-based; columns count UTF-16 code units, as JavaScript strings and browser editors
/// do. `file` and the positions are absent when the problem has no place in a file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable kebab-case identifier, e.g. `invalid-port`.
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_column: Option<usize>,
    /// Short text for the marked range.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn from_engine(diagnostic: &moat_engine::Diagnostic, sources: &Sources) -> Diagnostic {
        let mut out = Diagnostic {
            severity: diagnostic.severity,
            code: diagnostic.code.into(),
            message: diagnostic.message.clone(),
            file: None,
            line: None,
            column: None,
            end_line: None,
            end_column: None,
            label: diagnostic.label.clone(),
            help: diagnostic.help.clone(),
        };
        if let Some(span) = diagnostic.span {
            out.locate(span, sources);
        }
        out
    }

    fn locate(&mut self, span: Span, sources: &Sources) {
        if let Some(file) = sources.get(span.file) {
            let (line, column) = file.line_col_utf16(span.start);
            let (end_line, end_column) = file.line_col_utf16(span.end);
            self.file = Some(file.name.clone());
            (self.line, self.column) = (Some(line), Some(column));
            (self.end_line, self.end_column) = (Some(end_line), Some(end_column));
        }
    }

    /// The thrown form: a JavaScript `Error` named `MoatError` (with a stack) carrying every field of
    /// the diagnostic, so `catch (e)` gets both `e instanceof Error` and `e.code`, `e.line`, ...
    pub fn into_error(self) -> JsValue {
        let error = js_sys::Error::new(&self.message);
        error.set_name("MoatError");
        // Serializing this plain struct cannot fail; the Error would still carry its message.
        if let Ok(fields) = serialize(&self) {
            js_sys::Object::assign(&error, fields.unchecked_ref());
        }
        error.into()
    }
}

/// An error of the API itself (bad arguments, unknown pods), which has no place in a file. `?` in an
/// exported function throws it as a `MoatError`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { code, message: message.into() }
    }
}

impl From<ApiError> for JsValue {
    fn from(error: ApiError) -> JsValue {
        let diagnostic = Diagnostic {
            severity: Severity::Error,
            code: error.code.into(),
            message: error.message,
            file: None,
            line: None,
            column: None,
            end_line: None,
            end_column: None,
            label: None,
            help: None,
        };
        diagnostic.into_error()
    }
}

/// Plain JSON-compatible JavaScript values (`null` for `None`, objects for maps), made by the
/// browser's `JSON.parse` from serde_json's text: for large results (a matrix of a thousand pods has
/// a million cells) that is many times faster than building the objects one call at a time.
fn serialize<T: Serialize>(value: &T) -> Result<JsValue, String> {
    let text = serde_json::to_string(value).map_err(|e| e.to_string())?;
    js_sys::JSON::parse(&text).map_err(|e| format!("{e:?}"))
}

/// A result for JavaScript, typed by its TypeScript declaration.
pub fn to_js<T: Serialize + Tsify>(value: &T) -> Result<Ts<T>, JsValue> {
    serialize(value)
        .map(Ts::new_unchecked)
        .map_err(|e| ApiError::new("internal", format!("cannot convert a result for JavaScript: {e}")).into())
}

/// An argument from JavaScript; a value of the wrong shape is an `invalid-argument` error.
pub fn from_js<T>(value: Ts<T>, what: &str) -> Result<T, JsValue>
where
    T: for<'de> Deserialize<'de> + Tsify,
    T::JsType: Clone,
{
    value.to_rust().map_err(|e| ApiError::new("invalid-argument", format!("{what}: {e}")).into())
}

impl PortInput {
    /// The engine's port. A string is read as the CLI reads `--port`: digits are a number, anything
    /// else a container port name.
    pub fn to_port(&self) -> Result<PortRef, ApiError> {
        match self {
            PortInput::Number(n) => port_number(*n).map(PortRef::Number),
            PortInput::Name(name) => name.parse().map_err(|e| ApiError::new("invalid-port", e)),
        }
    }
}

/// A port number from JavaScript, where every number is a float.
pub fn port_number(n: f64) -> Result<u16, ApiError> {
    if n.fract() == 0.0 && (1.0..=65535.0).contains(&n) {
        Ok(n as u16)
    } else {
        Err(ApiError::new("invalid-port", format!("port `{n}` is out of range 1-65535")))
    }
}

/// `TCP` when absent; otherwise exactly `TCP`, `UDP` or `SCTP`, as the API server accepts.
pub fn protocol(text: Option<&str>) -> Result<Protocol, ApiError> {
    text.unwrap_or("TCP").parse().map_err(|e| ApiError::new("invalid-protocol", e))
}

#[wasm_bindgen(typescript_custom_section)]
const MOAT_ERROR: &str = r#"
/** What the API throws: an `Error` with the fields of a `Diagnostic` (`code`, `severity`, positions). */
export type MoatError = Error & Diagnostic;
"#;
