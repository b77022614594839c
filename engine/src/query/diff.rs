//! What changed between two configurations: the pairs whose connections were added, removed or
//! changed, and the workloads that appeared or disappeared. The categories are netpol-analyzer's
//! semantic diff:
//!
//! - address ranges are first cut so that both sides use the same ranges (a range of one side that
//!   holds several of the other's is split), then pairs are matched by their endpoints' names;
//! - a pair allowed on one side only is `added` or `removed`, one allowed on both with different
//!   connection sets is `changed`; an endpoint that exists on one side only is named with it;
//! - touching ranges whose pairs changed alike towards the same endpoint are merged back into one.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use super::connectivity::{AddressRange, Link, Node, Reachability};
use crate::model::ports::PortSet;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub enum ChangeKind {
    Changed,
    Added,
    Removed,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Changed => "changed",
            ChangeKind::Added => "added",
            ChangeKind::Removed => "removed",
        }
    }
}

/// One pair whose connections differ.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct Change {
    #[serde(rename = "type")]
    pub kind: ChangeKind,
    /// Endpoint names, as `moat list` prints them.
    pub from: String,
    pub to: String,
    /// The connections before and after, `No Connections` where the pair was not allowed.
    pub before: String,
    pub after: String,
    /// The endpoints of this pair that exist on one side only (added with an `added` pair, removed
    /// with a `removed` one).
    #[serde(rename = "newEndpoints", skip_serializing_if = "Vec::is_empty")]
    pub new_endpoints: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct Diff {
    /// Changed pairs, then added, then removed; each group sorted by source and destination.
    pub changes: Vec<Change>,
    /// Workloads of the second configuration only, and of the first only, by name.
    #[serde(rename = "addedWorkloads")]
    pub added_workloads: Vec<String>,
    #[serde(rename = "removedWorkloads")]
    pub removed_workloads: Vec<String>,
}

impl Diff {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty() && self.added_workloads.is_empty() && self.removed_workloads.is_empty()
    }
}

/// Both sides of one pair: the connections before and after (`None`: not allowed).
type Sides = (Option<PortSet>, Option<PortSet>);

/// A pair's endpoints by name, with the range kept when one side is outside the cluster.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum End {
    Workload(String),
    Range(AddressRange),
}

impl End {
    fn name(&self) -> String {
        match self {
            End::Workload(name) => name.clone(),
            End::Range(range) => range.id(),
        }
    }
}

/// The differences from `before` to `after`.
pub fn diff(before: &Reachability, after: &Reachability) -> Diff {
    let ranges: Vec<AddressRange> =
        [before, after].iter().flat_map(|r| r.links.iter()).flat_map(|l| [l.from, l.to]).filter_map(range_of).collect();
    let refined = refinement(&ranges);
    let mut pairs: BTreeMap<(End, End), Sides> = BTreeMap::new();
    for (side, reachability) in [before, after].into_iter().enumerate() {
        for link in &reachability.links {
            for (from, to) in refine(reachability, link, &refined) {
                let entry = pairs.entry((from, to)).or_default();
                let slot = if side == 0 { &mut entry.0 } else { &mut entry.1 };
                *slot = Some(link.ports.clone());
            }
        }
    }
    let names = |r: &Reachability| -> BTreeSet<String> { r.workloads.list.iter().map(|w| w.id()).collect() };
    let (before_names, after_names) = (names(before), names(after));
    let mut changes: Vec<(String, Change)> = merge_ranges(pairs)
        .into_iter()
        .filter_map(|((from, to), sides)| {
            let (kind, other_side) = match &sides {
                (Some(a), Some(b)) if a != b => (ChangeKind::Changed, None),
                (Some(_), None) => (ChangeKind::Removed, Some(&after_names)),
                (None, Some(_)) => (ChangeKind::Added, Some(&before_names)),
                _ => return None,
            };
            let new_endpoints = [&from, &to]
                .into_iter()
                .filter_map(|end| match end {
                    End::Workload(name) if other_side.is_some_and(|names| !names.contains(name)) => Some(name.clone()),
                    _ => None,
                })
                .collect();
            let text = |set: &Option<PortSet>| set.as_ref().map_or("No Connections".to_string(), ToString::to_string);
            let change = Change {
                kind,
                from: from.name(),
                to: to.name(),
                before: text(&sides.0),
                after: text(&sides.1),
                new_endpoints,
            };
            Some((format!("{} {} {}", change.from, change.to, change.before), change))
        })
        .collect();
    changes.sort_by(|a, b| (a.1.kind, &a.0).cmp(&(b.1.kind, &b.0)));
    Diff {
        changes: changes.into_iter().map(|(_, c)| c).collect(),
        added_workloads: after_names.difference(&before_names).cloned().collect(),
        removed_workloads: before_names.difference(&after_names).cloned().collect(),
    }
}

fn range_of(node: Node) -> Option<AddressRange> {
    match node {
        Node::Range(range) => Some(range),
        Node::Workload(_) => None,
    }
}

/// The ranges of both sides cut at each other's boundaries, per family, in address order.
fn refinement(ranges: &[AddressRange]) -> Vec<AddressRange> {
    let mut starts: [BTreeSet<u128>; 2] = [BTreeSet::new(), BTreeSet::new()];
    for range in ranges {
        range.cut(&mut starts[usize::from(range.v6)]);
    }
    [false, true]
        .into_iter()
        .flat_map(|v6| {
            let starts = &starts[usize::from(v6)];
            let covered =
                |r: &AddressRange| ranges.iter().any(|c| c.v6 == v6 && c.first <= r.first && r.last <= c.last);
            let mut all = starts.clone();
            all.insert(0);
            AddressRange::between(v6, &all).into_iter().filter(covered).collect::<Vec<_>>()
        })
        .collect()
}

/// A link's pairs over the common refinement: one per refined range inside its range.
fn refine(reachability: &Reachability, link: &Link, refined: &[AddressRange]) -> Vec<(End, End)> {
    let end = |node: &Node| -> Vec<End> {
        match node {
            Node::Workload(_) => vec![End::Workload(reachability.name(node))],
            Node::Range(range) => refined
                .iter()
                .filter(|r| r.v6 == range.v6 && range.first <= r.first && r.last <= range.last)
                .map(|r| End::Range(*r))
                .collect(),
        }
    };
    let (from, to) = (end(&link.from), end(&link.to));
    from.iter().flat_map(|f| to.iter().map(move |t| (f.clone(), t.clone()))).collect()
}

/// The pairs of one endpoint with address ranges on one side (`true`: the ranges are the sources)
/// that changed alike.
type RangeGroup = (End, bool, Sides);

/// Pairs of a range and one endpoint, merged across touching ranges that have the same sides.
fn merge_ranges(pairs: BTreeMap<(End, End), Sides>) -> BTreeMap<(End, End), Sides> {
    let mut grouped: HashMap<RangeGroup, Vec<AddressRange>> = HashMap::new();
    let mut merged = BTreeMap::new();
    for ((from, to), sides) in pairs {
        let (range, group) = match (&from, &to) {
            (End::Range(range), other) => (*range, (other.clone(), true, sides)),
            (other, End::Range(range)) => (*range, (other.clone(), false, sides)),
            _ => {
                merged.insert((from, to), sides);
                continue;
            }
        };
        grouped.entry(group).or_default().push(range);
    }
    // The result is keyed by pair, so the order of the groups does not matter.
    for ((other, range_is_source, sides), ranges) in grouped {
        for range in touching(ranges) {
            let pair =
                if range_is_source { (End::Range(range), other.clone()) } else { (other.clone(), End::Range(range)) };
            merged.insert(pair, sides.clone());
        }
    }
    merged
}

/// Sorted ranges with touching neighbours joined.
fn touching(mut ranges: Vec<AddressRange>) -> Vec<AddressRange> {
    ranges.sort();
    let mut out: Vec<AddressRange> = Vec::new();
    for range in ranges {
        match out.last_mut() {
            Some(last) if last.v6 == range.v6 && last.last.checked_add(1) == Some(range.first) => {
                last.last = range.last
            }
            _ => out.push(range),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Cluster;
    use crate::query::connectivity::reachability;

    const PODS: &str = "\
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: prod, labels: {app: web}}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: prod, labels: {app: db}}
---
";

    fn reach(text: &str) -> Reachability {
        reachability(&Cluster::from_texts([("c.yaml", text)]))
    }

    fn lines(diff: &Diff) -> Vec<String> {
        diff.changes
            .iter()
            .map(|c| {
                format!("{} {} -> {}: {} => {} {:?}", c.kind.as_str(), c.from, c.to, c.before, c.after, c.new_endpoints)
            })
            .collect()
    }

    #[test]
    fn changed_added_removed_and_new_workloads() {
        let before = reach(PODS);
        let after = reach(&format!(
            "{PODS}\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: db, namespace: prod}}
spec:
  podSelector: {{matchLabels: {{app: db}}}}
  ingress:
  - from: [{{podSelector: {{matchLabels: {{app: web}}}}}}]
    ports: [{{port: 5432}}]
  - from: [{{ipBlock: {{cidr: 10.0.0.0/8}}}}]
---
apiVersion: v1
kind: Pod
metadata: {{name: new, namespace: prod}}
"
        ));
        let diff = diff(&before, &after);
        assert_eq!(
            lines(&diff),
            [
                "changed prod/web[Pod] -> prod/db[Pod]: All Connections => TCP 5432 []",
                "added 0.0.0.0-255.255.255.255[External] -> prod/new[Pod]: No Connections => All Connections [\"prod/new[Pod]\"]",
                "added prod/db[Pod] -> prod/new[Pod]: No Connections => All Connections [\"prod/new[Pod]\"]",
                "added prod/new[Pod] -> 0.0.0.0-255.255.255.255[External]: No Connections => All Connections [\"prod/new[Pod]\"]",
                "added prod/new[Pod] -> prod/web[Pod]: No Connections => All Connections [\"prod/new[Pod]\"]",
                "added prod/web[Pod] -> prod/new[Pod]: No Connections => All Connections [\"prod/new[Pod]\"]",
                // The ranges were cut at 10.0.0.0/8 to compare, and merged back where they agree.
                "removed 0.0.0.0-9.255.255.255[External] -> prod/db[Pod]: All Connections => No Connections []",
                "removed 11.0.0.0-255.255.255.255[External] -> prod/db[Pod]: All Connections => No Connections []",
            ]
        );
        assert_eq!(diff.added_workloads, ["prod/new[Pod]"]);
        assert!(diff.removed_workloads.is_empty());
        assert!(super::diff(&before, &before).is_empty());
    }

    #[test]
    fn refinement_cuts_and_merging_joins() {
        let r = |first, last| AddressRange { v6: false, first, last };
        assert_eq!(refinement(&[r(0, 99), r(0, 9), r(50, 59)]), [r(0, 9), r(10, 49), r(50, 59), r(60, 99)]);
        assert_eq!(touching(vec![r(10, 19), r(0, 9), r(30, 39)]), [r(0, 19), r(30, 39)]);
    }
}
