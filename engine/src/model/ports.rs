//! Protocols and port sets. A [`PortSet`] is a set of (protocol, port) pairs stored as sorted, disjoint,
//! non-adjacent inclusive ranges per protocol, which makes union, intersection and complement linear
//! and equality structural.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub enum Protocol {
    // Declared in name order: output lists protocols sorted by name.
    #[serde(rename = "SCTP")]
    Sctp,
    #[serde(rename = "TCP")]
    Tcp,
    #[serde(rename = "UDP")]
    Udp,
}

impl Protocol {
    pub const ALL: [Protocol; 3] = [Protocol::Sctp, Protocol::Tcp, Protocol::Udp];

    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Sctp => "SCTP",
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl std::str::FromStr for Protocol {
    type Err = String;
    /// Exact, as the API server compares (`tcp` is rejected there too).
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "TCP" => Ok(Protocol::Tcp),
            "UDP" => Ok(Protocol::Udp),
            "SCTP" => Ok(Protocol::Sctp),
            other => Err(format!("`{other}` is not a supported protocol; use `TCP`, `UDP` or `SCTP`")),
        }
    }
}

impl std::fmt::Display for Protocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

pub const MIN_PORT: u16 = 1;
pub const MAX_PORT: u16 = 65535;

/// Inclusive port ranges per protocol; see the module docs for the invariants.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct PortSet {
    ranges: [Vec<(u16, u16)>; 3],
}

impl PortSet {
    pub fn empty() -> Self {
        PortSet::default()
    }

    /// Every port of every protocol ("All Connections").
    pub fn all() -> Self {
        let full = vec![(MIN_PORT, MAX_PORT)];
        PortSet { ranges: [full.clone(), full.clone(), full] }
    }

    /// Ports `lo..=hi` of one protocol (empty when `lo > hi`).
    pub fn range(protocol: Protocol, lo: u16, hi: u16) -> Self {
        let mut set = PortSet::empty();
        let (lo, hi) = (lo.max(MIN_PORT), hi);
        if lo <= hi {
            set.ranges[protocol.index()].push((lo, hi));
        }
        set
    }

    pub fn protocol(protocol: Protocol) -> Self {
        Self::range(protocol, MIN_PORT, MAX_PORT)
    }

    pub fn contains(&self, protocol: Protocol, port: u16) -> bool {
        let ranges = &self.ranges[protocol.index()];
        let i = ranges.partition_point(|&(_, hi)| hi < port);
        ranges.get(i).is_some_and(|&(lo, _)| lo <= port)
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.iter().all(Vec::is_empty)
    }

    pub fn is_all(&self) -> bool {
        *self == PortSet::all()
    }

    pub fn ranges(&self, protocol: Protocol) -> &[(u16, u16)] {
        &self.ranges[protocol.index()]
    }

    /// Whether the sets share a port, without building the intersection.
    pub fn intersects(&self, other: &PortSet) -> bool {
        self.ranges.iter().zip(&other.ranges).any(|(a, b)| {
            let (mut i, mut j) = (0, 0);
            while i < a.len() && j < b.len() {
                if a[i].1 < b[j].0 {
                    i += 1;
                } else if b[j].1 < a[i].0 {
                    j += 1;
                } else {
                    return true;
                }
            }
            false
        })
    }

    pub fn union(&self, other: &PortSet) -> PortSet {
        self.zip(other, |a, b| a || b)
    }

    pub fn intersect(&self, other: &PortSet) -> PortSet {
        self.zip(other, |a, b| a && b)
    }

    pub fn difference(&self, other: &PortSet) -> PortSet {
        self.zip(other, |a, b| a && !b)
    }

    pub fn complement(&self) -> PortSet {
        PortSet::all().difference(self)
    }

    /// Combines two sets protocol by protocol with a boolean operator, sweeping over range boundaries.
    fn zip(&self, other: &PortSet, op: impl Fn(bool, bool) -> bool) -> PortSet {
        let mut out = PortSet::empty();
        for p in 0..3 {
            out.ranges[p] = sweep(&self.ranges[p], &other.ranges[p], &op);
        }
        out
    }
}

/// Walks the boundaries of two range lists and keeps the stretches where `op` holds, merging
/// adjacent output ranges so the representation stays canonical.
fn sweep(a: &[(u16, u16)], b: &[(u16, u16)], op: &impl Fn(bool, bool) -> bool) -> Vec<(u16, u16)> {
    // Boundaries as u32 so that MAX_PORT + 1 is representable.
    let mut cuts: Vec<u32> = a
        .iter()
        .chain(b)
        .flat_map(|&(lo, hi)| [u32::from(lo), u32::from(hi) + 1])
        .chain([u32::from(MIN_PORT), u32::from(MAX_PORT) + 1])
        .collect();
    cuts.sort_unstable();
    cuts.dedup();
    let inside = |ranges: &[(u16, u16)], x: u32| {
        let i = ranges.partition_point(|&(_, hi)| u32::from(hi) < x);
        ranges.get(i).is_some_and(|&(lo, _)| u32::from(lo) <= x)
    };
    let mut out: Vec<(u16, u16)> = Vec::new();
    for w in cuts.windows(2) {
        let (lo, next) = (w[0], w[1]);
        if lo > u32::from(MAX_PORT) || !op(inside(a, lo), inside(b, lo)) {
            continue;
        }
        let (lo, hi) = (lo as u16, (next - 1) as u16);
        match out.last_mut() {
            Some(last) if u32::from(last.1) + 1 == u32::from(lo) => last.1 = hi,
            _ => out.push((lo, hi)),
        }
    }
    out
}

impl std::fmt::Display for PortSet {
    /// netpol-analyzer's wording: `All Connections`, `No Connections`, or
    /// `SCTP 1-9002,9004-65535,TCP 80,UDP 53` (protocols by name, ranges ascending).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_all() {
            return f.write_str("All Connections");
        }
        if self.is_empty() {
            return f.write_str("No Connections");
        }
        let mut first = true;
        for protocol in Protocol::ALL {
            let ranges = self.ranges(protocol);
            if ranges.is_empty() {
                continue;
            }
            if !first {
                f.write_str(",")?;
            }
            first = false;
            write!(f, "{protocol} ")?;
            for (i, &(lo, hi)) in ranges.iter().enumerate() {
                if i > 0 {
                    f.write_str(",")?;
                }
                if lo == hi {
                    write!(f, "{lo}")?;
                } else {
                    write!(f, "{lo}-{hi}")?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn arb_set() -> impl Strategy<Value = PortSet> {
        proptest::collection::vec((0usize..3, 1u16..=65535, 0u16..2000), 0..6).prop_map(|parts| {
            parts.into_iter().fold(PortSet::empty(), |acc, (p, lo, len)| {
                acc.union(&PortSet::range(Protocol::ALL[p], lo, lo.saturating_add(len)))
            })
        })
    }

    fn probe_ports() -> Vec<u16> {
        vec![1, 2, 52, 53, 54, 79, 80, 81, 999, 1000, 1001, 2999, 3000, 32767, 32768, 65534, 65535]
    }

    proptest! {
        #[test]
        fn algebra_agrees_with_membership(a in arb_set(), b in arb_set(), extra in 1u16..=65535) {
            let u = a.union(&b);
            let i = a.intersect(&b);
            let d = a.difference(&b);
            let c = a.complement();
            let mut ports = probe_ports();
            ports.push(extra);
            for p in Protocol::ALL {
                for &(lo, hi) in a.ranges(p).iter().chain(b.ranges(p)) {
                    ports.extend([lo, hi, lo.saturating_sub(1).max(1), hi.saturating_add(1)]);
                }
                for &port in &ports {
                    let (x, y) = (a.contains(p, port), b.contains(p, port));
                    prop_assert_eq!(u.contains(p, port), x || y);
                    prop_assert_eq!(i.contains(p, port), x && y);
                    prop_assert_eq!(d.contains(p, port), x && !y);
                    prop_assert_eq!(c.contains(p, port), !x);
                    prop_assert_eq!(a.intersects(&b), !i.is_empty());
                }
            }
            prop_assert_eq!(c.complement(), a.clone());
            prop_assert_eq!(a.union(&a.complement()), PortSet::all());
            prop_assert!(a.intersect(&c).is_empty());
            prop_assert_eq!(u.clone(), b.union(&a));
            prop_assert_eq!(i.clone(), b.intersect(&a));
            // canonical form: sorted, disjoint, non-adjacent
            for p in Protocol::ALL {
                for w in u.ranges(p).windows(2) {
                    prop_assert!(u32::from(w[0].1) + 1 < u32::from(w[1].0));
                }
            }
        }
    }

    #[test]
    fn display_matches_netpol_analyzer() {
        let s = PortSet::range(Protocol::Tcp, 80, 80)
            .union(&PortSet::range(Protocol::Udp, 53, 53))
            .union(&PortSet::protocol(Protocol::Sctp).difference(&PortSet::range(Protocol::Sctp, 9003, 9003)));
        assert_eq!(s.to_string(), "SCTP 1-9002,9004-65535,TCP 80,UDP 53");
        assert_eq!(PortSet::all().to_string(), "All Connections");
        assert_eq!(PortSet::empty().to_string(), "No Connections");
    }
}
