//! The all-pairs reachability matrix, computed over pod classes ([`crate::compile`]): reachability is
//! decided once per pair of classes with bitsets, then every pod pair is a lookup. Tested cell by cell
//! against the reference evaluator ([`super::flow`]).

use serde::Serialize;

use super::matching::node_local;
use crate::cluster::Cluster;
use crate::cluster::PodIdx;
use crate::compile::{ClassReach, Compiled};
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

/// Reachability between every pair of pods, answered a row at a time from class reachability, so
/// that big clusters can be printed or counted without an N×N table in memory.
pub struct Reachability<'c> {
    cluster: &'c Cluster,
    compiled: Compiled<'c>,
    reach: ClassReach,
    query: PortQuery,
    /// Host-network pods: the only ones with node-local pairs.
    host_network: Vec<PodIdx>,
}

/// Counts instead of cells (`moat matrix --summary`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub port: Option<u16>,
    pub protocol: Option<Protocol>,
    pub pods: usize,
    /// Classes of pods that no policy can tell apart.
    pub classes: usize,
    /// Ordered pairs of pods, each pod with itself included.
    pub pairs: u64,
    pub allowed: u64,
}

impl<'c> Reachability<'c> {
    pub fn new(cluster: &'c Cluster, query: PortQuery) -> Self {
        let compiled = Compiled::new(cluster);
        let reach = match query {
            PortQuery::One(port, protocol) => compiled.reach_port(port, protocol),
            PortQuery::Any => compiled.reach_any(),
        };
        let host_network = (0..cluster.pods.len()).filter(|&p| cluster.pods[p].host_network).collect();
        Reachability { cluster, compiled, reach, query, host_network }
    }

    pub fn port(&self) -> Option<u16> {
        match self.query {
            PortQuery::One(port, _) => Some(port),
            PortQuery::Any => None,
        }
    }

    pub fn protocol(&self) -> Option<Protocol> {
        match self.query {
            PortQuery::One(_, protocol) => Some(protocol),
            PortQuery::Any => None,
        }
    }

    pub fn len(&self) -> usize {
        self.cluster.pods.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cluster.pods.is_empty()
    }

    /// Pod ids in row and column order.
    pub fn pods(&self) -> impl ExactSizeIterator<Item = &'c str> + Clone {
        self.cluster.pods.iter().map(|p| p.id.as_str())
    }

    /// Whether `source` may reach `destination`: itself and its own node always, otherwise as the
    /// classes allow.
    pub fn allows(&self, source: PodIdx, destination: PodIdx) -> bool {
        let class = &self.compiled.class_of;
        source == destination
            || self.reach.allows(class[source], class[destination])
            || node_local(self.cluster, source, destination)
    }

    /// The destinations `source` may reach, in pod order.
    pub fn row(&self, source: PodIdx) -> Vec<bool> {
        let class = &self.compiled.class_of;
        let from = class[source];
        let by_class: Vec<bool> = (0..self.compiled.class_count()).map(|to| self.reach.allows(from, to)).collect();
        let mut row: Vec<bool> = class.iter().map(|&to| by_class[to]).collect();
        row[source] = true;
        let local: Box<dyn Iterator<Item = PodIdx>> = if self.cluster.pods[source].host_network {
            Box::new(0..self.len())
        } else {
            Box::new(self.host_network.iter().copied())
        };
        for d in local {
            if node_local(self.cluster, source, d) {
                row[d] = true;
            }
        }
        row
    }

    /// The number of allowed ordered pairs, counted per pair of classes and corrected for the pairs
    /// that are always allowed (a pod with itself, a pod with its own node).
    pub fn summary(&self) -> Summary {
        let classes = &self.compiled.classes;
        let size = |c: usize| classes[c].members.len() as u64;
        let mut allowed: u64 = 0;
        for from in 0..classes.len() {
            for to in self.reach.egress[from].ones() {
                if self.reach.ingress[to].contains(from) {
                    // Within one class the pods' pairs with themselves are counted below.
                    allowed += if from == to { size(from) * (size(from) - 1) } else { size(from) * size(to) };
                }
            }
        }
        let n = self.len() as u64;
        allowed += n;
        let class = &self.compiled.class_of;
        for &h in &self.host_network {
            for p in (0..self.len()).filter(|&p| p != h) {
                for (s, d) in [(h, p), (p, h)] {
                    // A pair of two host-network pods is visited from both; count it once.
                    let counted_already = self.cluster.pods[p].host_network && p < h;
                    if !counted_already && node_local(self.cluster, s, d) && !self.reach.allows(class[s], class[d]) {
                        allowed += 1;
                    }
                }
            }
        }
        Summary {
            port: self.port(),
            protocol: self.protocol(),
            pods: self.len(),
            classes: classes.len(),
            pairs: n * n,
            allowed,
        }
    }
}

pub fn matrix(cluster: &Cluster, query: PortQuery) -> Matrix {
    let reachability = Reachability::new(cluster, query);
    Matrix {
        port: reachability.port(),
        protocol: reachability.protocol(),
        pods: reachability.pods().map(str::to_string).collect(),
        allowed: (0..reachability.len()).map(|s| reachability.row(s)).collect(),
    }
}
