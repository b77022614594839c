//! moat-agent: enforces Kubernetes NetworkPolicy on one node with nftables, using the same engine
//! as the `moat` CLI and the browser playground, so that what they show is what the node does.
//!
//! The modules follow the data:
//!
//! - [`sources`]: manifests on disk, or the Kubernetes API, as named texts for the engine;
//! - the engine ([`moat_engine`]) parses them into a [`moat_engine::Cluster`];
//! - [`compile`]: the desired nftables state for the node's pods;
//! - [`nft`]: that state rendered as nft text and JSON, diffed into atomic transactions, applied;
//! - [`agent`]: the control loop tying them together (coalescing, retries, fail modes, tamper checks);
//! - [`metrics`] and [`http`]: Prometheus metrics, health and readiness;
//! - [`denied`]: the denied-flow log, each flow explained by the engine.

pub mod agent;
pub mod compile;
pub mod denied;
pub mod http;
pub mod log;
pub mod metrics;
pub mod nft;
pub mod sources;
