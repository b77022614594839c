//! Value types of the NetworkPolicy model: label selectors, protocol/port sets, IP blocks, policies,
//! the pods they talk about, and the release history that decides what a policy means. No parsing and no I/O here; `parse` builds these, `cluster` assembles them.

pub mod ip;
pub mod labels;
pub mod names;
pub mod policy;
pub mod ports;
pub mod versions;
pub mod workload;
