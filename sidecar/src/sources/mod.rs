//! Where the engine's input comes from. Every source delivers named texts (YAML or JSON documents)
//! to the agent as [`Update`]s; the agent merges them and hands them to `Cluster::from_texts`, so
//! manifests on disk and objects from the Kubernetes API go through the same parser and semantics.

pub mod kubernetes;
pub mod manifests;

use std::collections::BTreeMap;
use std::time::Instant;

/// A change of one source's texts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// The source's complete view, replacing whatever it delivered before. The first `Replace` of
    /// each source is its complete initial view: nothing is programmed before every source sent one.
    Replace(BTreeMap<String, String>),
    Upsert(String, String),
    Remove(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Update {
    /// Which source: `manifests`, `kubernetes/pods`, …
    pub source: String,
    pub change: Change,
    /// When the source first noticed what caused this change (for the event-to-commit latency).
    pub observed_at: Instant,
}
