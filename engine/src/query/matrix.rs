//! The all-pairs reachability matrix, computed over pod classes ([`crate::compile`]): reachability is
//! decided once per pair of classes with bitsets, then every pod pair is a lookup. Tested cell by cell
//! against the reference evaluator ([`super::flow`]).

use serde::Serialize;

use super::matching::node_local;
use crate::cluster::Cluster;
use crate::compile::Compiled;
use crate::model::ports::Protocol;

/// Rows are sources, columns destinations, both in `pods` order (namespace, then name).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null))]
pub struct Matrix {
    /// `None`: a cell is true when some port of some protocol is allowed.
    pub port: Option<u16>,
    pub protocol: Option<Protocol>,
    pub pods: Vec<String>,
    pub allowed: Vec<Vec<bool>>,
}

/// Which ports a matrix asks about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PortQuery {
    One(u16, Protocol),
    Any,
}

pub fn matrix(cluster: &Cluster, query: PortQuery) -> Matrix {
    let compiled = Compiled::new(cluster);
    let reach = match query {
        PortQuery::One(port, protocol) => compiled.reach_port(port, protocol),
        PortQuery::Any => compiled.reach_any(),
    };
    let n = cluster.pods.len();
    let class = &compiled.class_of;
    // One row per source class; pods then copy their class's row and add what is always allowed:
    // themselves, and their own node (host-network pods on the same node).
    let class_rows: Vec<Vec<bool>> = (0..compiled.class_count())
        .map(|cs| (0..compiled.class_count()).map(|cd| reach.allows(cs, cd)).collect())
        .collect();
    let host_network: Vec<usize> = (0..n).filter(|&p| cluster.pods[p].host_network).collect();
    let allowed = (0..n)
        .map(|s| {
            let mut row: Vec<bool> = class.iter().map(|&cd| class_rows[class[s]][cd]).collect();
            row[s] = true;
            if cluster.pods[s].host_network {
                (0..n).filter(|&d| node_local(cluster, s, d)).for_each(|d| row[d] = true);
            } else {
                host_network.iter().filter(|&&d| node_local(cluster, s, d)).for_each(|&d| row[d] = true);
            }
            row
        })
        .collect();
    let (port, protocol) = match query {
        PortQuery::One(port, protocol) => (Some(port), Some(protocol)),
        PortQuery::Any => (None, None),
    };
    Matrix { port, protocol, pods: cluster.pods.iter().map(|p| p.id.clone()).collect(), allowed }
}
