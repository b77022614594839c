//! Ingestion: YAML/JSON text into typed, validated Kubernetes objects, one result per object. A
//! malformed document or a rejected object produces diagnostics and never stops the rest.

mod legacy;
mod objects;
mod policy;
mod reader;
pub mod yaml;

use std::collections::BTreeMap;
use std::net::IpAddr;

use crate::diagnostic::Diagnostic;
use crate::model::labels::Labels;
use crate::model::policy::NetworkPolicy;
use crate::model::versions::{Features, Generation};
use crate::model::workload::{ContainerPort, OwnerRef, PodKind};
use crate::source::{FileId, SourceFile, Span};

pub use legacy::{ROMANA_OWNER_LABEL, ROMANA_TIER_LABEL};
pub use reader::yaml11_reading;

/// Largest input file accepted (bytes); bigger inputs are refused with a diagnostic.
pub const MAX_FILE_BYTES: usize = 64 * 1024 * 1024;

#[derive(Clone, Debug, PartialEq)]
pub struct ObjectMeta {
    pub name: String,
    /// `None` when omitted (the object lands in `default`).
    pub namespace: Option<String>,
    pub labels: Labels,
    pub annotations: BTreeMap<String, String>,
    pub owners: Vec<OwnerRef>,
    /// The whole document.
    pub span: Span,
}

/// A Pod, or a workload standing for the pods of its template.
#[derive(Clone, Debug, PartialEq)]
pub struct PodObject {
    pub kind: PodKind,
    pub meta: ObjectMeta,
    /// The pod's labels (for a workload: its template's).
    pub labels: Labels,
    pub ports: Vec<ContainerPort>,
    pub host_network: bool,
    pub node_name: Option<String>,
    pub phase: Option<String>,
    pub ips: Vec<IpAddr>,
    /// Replica count of a workload, as written (defaulted where Kubernetes defaults it).
    pub replicas: Option<u32>,
}

/// A Namespace, with the isolation annotation the chosen release reads, if it has one.
#[derive(Clone, Debug, PartialEq)]
pub struct NamespaceObject {
    pub meta: ObjectMeta,
    pub isolation: Option<IsolationAnnotation>,
}

/// A pre-1.7 namespace isolation annotation: `net.alpha.kubernetes.io/network-isolation` (1.2) or
/// `net.beta.kubernetes.io/network-policy` (1.3–1.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IsolationAnnotation {
    /// [`Generation::Alpha`] or [`Generation::ExtensionsV1beta1`].
    pub generation: Generation,
    /// `on`, or `DefaultDeny` for ingress.
    pub isolated: bool,
    /// The annotation's value.
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ServiceObject {
    pub meta: ObjectMeta,
    pub selector: Labels,
    pub ports: Vec<ContainerPort>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Object {
    Namespace(NamespaceObject),
    Pod(PodObject),
    Service(ServiceObject),
    NetworkPolicy(NetworkPolicy),
}

impl Object {
    pub fn kind(&self) -> &'static str {
        match self {
            Object::Namespace(_) => "Namespace",
            Object::Pod(p) => p.kind.as_str(),
            Object::Service(_) => "Service",
            Object::NetworkPolicy(_) => "NetworkPolicy",
        }
    }

    /// (kind, namespace, name), for duplicate detection.
    pub fn key(&self) -> (&'static str, String, String) {
        let (ns, name) = match self {
            Object::Namespace(n) => (None, n.meta.name.clone()),
            Object::Pod(p) => (p.meta.namespace.clone(), p.meta.name.clone()),
            Object::Service(s) => (s.meta.namespace.clone(), s.meta.name.clone()),
            Object::NetworkPolicy(p) => (Some(p.namespace.clone()), p.name.clone()),
        };
        let ns =
            if matches!(self, Object::Namespace(_)) { String::new() } else { ns.unwrap_or_else(|| "default".into()) };
        (self.kind(), ns, name)
    }

    /// Every span the object holds, for [`ParsedChunk::relocate`].
    pub fn visit_spans(&mut self, visit: &mut impl FnMut(&mut Span)) {
        match self {
            Object::Namespace(ns) => {
                visit(&mut ns.meta.span);
                if let Some(annotation) = &mut ns.isolation {
                    visit(&mut annotation.span);
                }
            }
            Object::Pod(p) => visit(&mut p.meta.span),
            Object::Service(s) => visit(&mut s.meta.span),
            Object::NetworkPolicy(p) => p.visit_spans(visit),
        }
    }

    pub fn span(&self) -> Span {
        match self {
            Object::Namespace(n) => n.meta.span,
            Object::Pod(p) => p.meta.span,
            Object::Service(s) => s.meta.span,
            Object::NetworkPolicy(p) => p.span,
        }
    }
}

/// A label selector (`matchLabels`, `matchExpressions`) validated as in a NetworkPolicy read by the
/// release of `features`, for other inputs that select pods and namespaces (`moat verify`'s
/// intents). `path` names it in messages; `None` when it has errors.
pub fn label_selector(
    node: &yaml::Node,
    path: &str,
    features: &Features,
    diags: &mut Vec<Diagnostic>,
) -> Option<crate::model::labels::LabelSelector> {
    policy::read_selector(&mut reader::Reader::new(diags), node, path, features)
}

/// Parses one file into the objects it holds (valid ones only, read as the release of `features`
/// reads them) and the diagnostics of the rest.
pub fn parse_file(id: FileId, file: &SourceFile, features: &Features, diags: &mut Vec<Diagnostic>) -> Vec<Object> {
    let mut objects = Vec::new();
    for chunk in parse_chunks(id, file, features, |_| None) {
        diags.extend(chunk.diagnostics);
        objects.extend(chunk.objects);
    }
    objects
}

/// What one `---` chunk of a file holds: its valid objects and the diagnostics of the rest.
#[derive(Clone, Debug, PartialEq)]
pub struct ParsedChunk {
    /// Byte range of the chunk in its file.
    pub start: usize,
    pub len: usize,
    pub objects: Vec<Object>,
    pub diagnostics: Vec<Diagnostic>,
}

impl ParsedChunk {
    /// Moves every span to `file`, `delta` bytes later (the chunk moved within, or to, that file).
    pub fn relocate(&mut self, file: FileId, delta: isize) {
        self.start = self.start.saturating_add_signed(delta);
        let mut move_span = |span: &mut Span| {
            *span = Span::new(file, span.start.saturating_add_signed(delta), span.end.saturating_add_signed(delta));
        };
        for object in &mut self.objects {
            object.visit_spans(&mut move_span);
        }
        for diagnostic in &mut self.diagnostics {
            if let Some(span) = &mut diagnostic.span {
                move_span(span);
            }
        }
    }
}

/// Parses `file` chunk by chunk. `reuse` may return the already parsed chunk for a chunk text (with
/// spans for wherever it was); it is then relocated instead of parsed again, which is what makes
/// incremental re-analysis cheap (see [`crate::workspace`]).
pub fn parse_chunks(
    id: FileId,
    file: &SourceFile,
    features: &Features,
    mut reuse: impl FnMut(&str) -> Option<ParsedChunk>,
) -> Vec<ParsedChunk> {
    if file.text.len() > MAX_FILE_BYTES {
        let too_big = Diagnostic::error(
            "limit-exceeded",
            format!("file `{}` is larger than {} MiB", file.name, MAX_FILE_BYTES >> 20),
        )
        .help("split the manifests into several files");
        return vec![ParsedChunk { start: 0, len: 0, objects: Vec::new(), diagnostics: vec![too_big] }];
    }
    yaml::document_chunks(&file.text)
        .into_iter()
        .map(|chunk @ (_, start, text)| {
            if let Some(mut parsed) = reuse(text) {
                let delta = start as isize - parsed.start as isize;
                parsed.relocate(id, delta);
                return parsed;
            }
            let mut parsed = ParsedChunk { start, len: text.len(), objects: Vec::new(), diagnostics: Vec::new() };
            yaml::parse_chunk(id, file, chunk, &mut parsed.diagnostics, &mut |doc, diags| {
                objects::read_document(&doc, features, diags, &mut parsed.objects)
            });
            parsed
        })
        .collect()
}
