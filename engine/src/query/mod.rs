//! Questions asked of a [`Cluster`](crate::Cluster): one flow with its explanation, the all-pairs
//! matrix, the connections between [`workloads`] and address ranges ([`connectivity`]), what changed
//! between two clusters ([`diff`]), what is risky in the policies ([`lint`]), whether intents hold
//! ([`intents`]), and which policies select which pods.
//!
//! [`matching`] holds the semantics (selection, peer and port matching); [`flow`] applies them to a
//! single flow, literally and pair by pair, recording every reason: it is the reference evaluator that
//! the fast [`matrix`] is tested against.

pub mod connectivity;
pub mod describe;
pub mod diff;
pub mod explain;
pub mod flow;
pub mod intents;
pub mod lint;
pub mod matching;
pub mod matrix;
pub mod workloads;

pub use explain::Explanation;
pub use flow::{Flow, PortRef, QueryError, Verdict, evaluate};
pub use matrix::{Matrix, PortQuery, Reachability, Summary, matrix};
