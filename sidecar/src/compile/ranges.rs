//! `ipBlock` as address ranges: the CIDR minus its exceptions, as sorted, disjoint, inclusive
//! ranges. nft interval sets reject overlapping elements, so the subtraction happens here.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;
use moat_engine::model::ip::IpBlock;

/// The addresses of `block`, as inclusive ranges in ascending order. Exceptions of the other family
/// cannot occur (the engine rejects them) and would remove nothing.
pub fn block_ranges(block: &IpBlock) -> Vec<(IpAddr, IpAddr)> {
    let (lo, hi) = bounds(&block.cidr);
    let mut holes: Vec<(u128, u128)> = block
        .except
        .iter()
        .filter(|e| is_v4(e) == is_v4(&block.cidr))
        .map(bounds)
        .map(|(a, b)| (a.max(lo), b.min(hi)))
        .filter(|(a, b)| a <= b)
        .collect();
    holes.sort_unstable();
    let mut out = Vec::new();
    let mut next = Some(lo);
    for (a, b) in holes {
        let Some(start) = next else { break };
        if a > start {
            out.push((start, a - 1));
        }
        if b >= start {
            next = b.checked_add(1).filter(|&n| n <= hi);
        }
    }
    if let Some(start) = next {
        out.push((start, hi));
    }
    let v4 = is_v4(&block.cidr);
    out.into_iter().map(|(a, b)| (address(a, v4), address(b, v4))).collect()
}

fn is_v4(net: &IpNet) -> bool {
    matches!(net, IpNet::V4(_))
}

fn bounds(net: &IpNet) -> (u128, u128) {
    match net {
        IpNet::V4(n) => (u128::from(u32::from(n.network())), u128::from(u32::from(n.broadcast()))),
        IpNet::V6(n) => (u128::from(n.network()), u128::from(n.broadcast())),
    }
}

fn address(value: u128, v4: bool) -> IpAddr {
    if v4 {
        IpAddr::V4(Ipv4Addr::from(u32::try_from(value).unwrap_or(u32::MAX)))
    } else {
        IpAddr::V6(Ipv6Addr::from(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(cidr: &str, except: &[&str]) -> IpBlock {
        IpBlock { cidr: cidr.parse().unwrap(), except: except.iter().map(|e| e.parse().unwrap()).collect() }
    }

    fn text(ranges: &[(IpAddr, IpAddr)]) -> Vec<String> {
        ranges.iter().map(|(a, b)| format!("{a}-{b}")).collect()
    }

    #[test]
    fn subtracts_exceptions() {
        assert_eq!(text(&block_ranges(&block("10.0.0.0/24", &[]))), ["10.0.0.0-10.0.0.255"]);
        assert_eq!(
            text(&block_ranges(&block("10.0.0.0/16", &["10.0.1.0/24", "10.0.0.0/24", "10.0.1.128/25"]))),
            ["10.0.2.0-10.0.255.255"]
        );
        assert_eq!(
            text(&block_ranges(&block("10.0.0.0/8", &["10.255.0.0/16", "10.1.0.0/16"]))),
            ["10.0.0.0-10.0.255.255", "10.2.0.0-10.254.255.255"]
        );
        assert_eq!(text(&block_ranges(&block("0.0.0.0/0", &[]))), ["0.0.0.0-255.255.255.255"]);
        assert_eq!(text(&block_ranges(&block("::/0", &["::/1"]))), ["8000::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"]);
        assert!(block_ranges(&block("10.0.0.0/24", &["10.0.0.0/24"])).is_empty());
    }

    #[test]
    fn agrees_with_the_engine_on_membership() {
        let b = block("172.17.0.0/16", &["172.17.1.0/24", "172.17.3.0/24", "172.17.3.64/26"]);
        let ranges = block_ranges(&b);
        for third in 0..=4u8 {
            for last in [0u8, 1, 63, 64, 127, 128, 255] {
                let ip = IpAddr::V4(Ipv4Addr::new(172, 17, third, last));
                let inside = ranges.iter().any(|(a, z)| *a <= ip && ip <= *z);
                assert_eq!(inside, b.contains(ip), "{ip}");
            }
        }
    }
}
