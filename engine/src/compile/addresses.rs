//! The address space cut at every `ipBlock` boundary (each `cidr` and `except` range) into atoms:
//! every address of an atom is inside or outside each block alike, so pods whose IPs fall in the same
//! atoms are indistinguishable to ipBlock peers, and a block is a union of atoms.

use std::net::IpAddr;

use ipnet::IpNet;

use crate::model::ip::IpBlock;
use crate::model::policy::{NetworkPolicy, PeerKind};

/// Atom boundaries per family, as integers: atom `i` of a family starts at `starts[i]`. Atom ids are
/// global: IPv4 atoms first, then IPv6.
#[derive(Clone, Debug, Default)]
pub struct AddressAtoms {
    v4: Vec<u128>,
    v6: Vec<u128>,
}

fn range(net: &IpNet) -> (u128, u128) {
    match net {
        IpNet::V4(n) => (u128::from(u32::from(n.network())), u128::from(u32::from(n.broadcast()))),
        IpNet::V6(n) => (u128::from(n.network()), u128::from(n.broadcast())),
    }
}

fn number(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(a) => u128::from(u32::from(a)),
        IpAddr::V6(a) => u128::from(a),
    }
}

impl AddressAtoms {
    pub fn of_policies(policies: &[NetworkPolicy]) -> Self {
        Self::of_blocks(
            policies.iter().flat_map(|p| p.ingress.iter().chain(&p.egress)).flat_map(|r| &r.peers).filter_map(|peer| {
                match &peer.kind {
                    PeerKind::IpBlock(block) => Some(block),
                    PeerKind::Selectors { .. } => None,
                }
            }),
        )
    }

    pub fn of_blocks<'b>(blocks: impl IntoIterator<Item = &'b IpBlock>) -> Self {
        let mut atoms = AddressAtoms { v4: vec![0], v6: vec![0] };
        for block in blocks {
            for net in std::iter::once(&block.cidr).chain(&block.except) {
                let (lo, hi) = range(net);
                let starts = if net.addr().is_ipv4() { &mut atoms.v4 } else { &mut atoms.v6 };
                starts.push(lo);
                if let Some(next) = hi.checked_add(1) {
                    let max = if net.addr().is_ipv4() { u128::from(u32::MAX) } else { u128::MAX };
                    if hi < max {
                        starts.push(next);
                    }
                }
            }
        }
        for starts in [&mut atoms.v4, &mut atoms.v6] {
            starts.sort_unstable();
            starts.dedup();
        }
        atoms
    }

    /// How many atoms there are (ids are `0..len`).
    pub fn len(&self) -> usize {
        self.v4.len() + self.v6.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn atom(&self, ip: IpAddr) -> usize {
        let x = number(ip);
        match ip {
            IpAddr::V4(_) => self.v4.partition_point(|&s| s <= x) - 1,
            IpAddr::V6(_) => self.v4.len() + self.v6.partition_point(|&s| s <= x) - 1,
        }
    }

    /// The atoms of a pod's addresses, sorted.
    pub fn atoms_of(&self, ips: &[IpAddr]) -> Vec<usize> {
        let mut atoms: Vec<usize> = ips.iter().map(|&ip| self.atom(ip)).collect();
        atoms.sort_unstable();
        atoms.dedup();
        atoms
    }

    /// Every atom as its first and last address, in atom id order (IPv4, then IPv6).
    pub fn ranges(&self) -> Vec<(IpAddr, IpAddr)> {
        // IPv4 boundaries fit in 32 bits.
        let v4 = |n: u128| IpAddr::from(u32::try_from(n).unwrap_or(u32::MAX).to_be_bytes());
        let v6 = |n: u128| IpAddr::from(n.to_be_bytes());
        let last = |starts: &[u128], i: usize, max: u128| starts.get(i + 1).map_or(max, |next| next - 1);
        let v4_ranges = (0..self.v4.len()).map(|i| (v4(self.v4[i]), v4(last(&self.v4, i, u128::from(u32::MAX)))));
        let v6_ranges = (0..self.v6.len()).map(|i| (v6(self.v6[i]), v6(last(&self.v6, i, u128::MAX))));
        v4_ranges.chain(v6_ranges).collect()
    }

    /// The atoms that make up `cidr` minus `except`.
    pub fn atoms_within(&self, block: &IpBlock) -> Vec<usize> {
        let (lo, hi) = range(&block.cidr);
        let (starts, offset) = if block.cidr.addr().is_ipv4() { (&self.v4, 0) } else { (&self.v6, self.v4.len()) };
        let first = starts.partition_point(|&s| s < lo);
        let last = starts.partition_point(|&s| s <= hi);
        (first..last)
            .filter(|&i| {
                let start = starts[i];
                !block.except.iter().any(|e| {
                    let (elo, ehi) = range(e);
                    (elo..=ehi).contains(&start)
                })
            })
            .map(|i| i + offset)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atoms_split_at_block_boundaries() {
        let block = IpBlock { cidr: "10.0.0.0/16".parse().unwrap(), except: vec!["10.0.1.0/24".parse().unwrap()] };
        let policy_atoms = AddressAtoms::of_blocks([&block]);
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let inside = policy_atoms.atoms_within(&block);
        for (addr, expected) in
            [("10.0.0.5", true), ("10.0.1.5", false), ("10.0.2.0", true), ("10.1.0.0", false), ("9.0.0.0", false)]
        {
            assert_eq!(inside.contains(&policy_atoms.atom(ip(addr))), expected, "{addr}");
            assert_eq!(block.contains(ip(addr)), expected);
        }
        assert!(policy_atoms.atom(ip("::1")) >= policy_atoms.v4.len());
    }
}
