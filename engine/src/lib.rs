//! moat-engine: Kubernetes NetworkPolicy semantics with explained verdicts.
//!
//! The engine takes text and file names, never paths, clocks, sockets or the environment, so the same
//! code runs in the CLI, in the node agent and in a browser tab. Layers, each using only those above it:
//!
//! - [`source`]: file texts, byte spans, line/column lookups;
//! - [`diagnostic`]: errors, warnings and notes with spans and help;
//! - [`model`]: value types: label selectors, port sets, IP blocks, normalized policies;
//! - [`parse`]: YAML/JSON documents into typed, validated Kubernetes objects (one result per object);
//! - [`cluster`]: the objects assembled into namespaces, pods (or workloads) and policies;
//! - [`generations`]: what older releases enforced without a policy object, as implied v1 policies;
//! - [`compile`]: pods grouped into classes no policy can tell apart, rule peers as class bitsets;
//! - [`query`]: single flows with explanations, all-pairs matrices, connection lists, diff, lint,
//!   intents, describe;
//! - [`render`]: text, JSON, CSV, Markdown, DOT, Mermaid, SVG and SARIF views of query results;
//! - [`migrate`]: manifests of any generation rewritten for a later release, with a proof.
//!
//! [`synth`] generates deterministic synthetic clusters for tests and benchmarks.

pub mod cluster;
pub mod compile;
pub mod diagnostic;
pub mod examples;
pub mod generations;
pub mod migrate;
pub mod model;
pub mod parse;
pub mod query;
pub mod render;
pub mod source;
pub mod synth;
pub mod workspace;

pub use cluster::{Cluster, EndpointId, PodIdx, PolicyIdx};
pub use diagnostic::{Diagnostic, Severity};
pub use source::{FileId, Location, SourceFile, Sources, Span};
