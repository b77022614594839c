//! A userspace reading of a compiled [`Ruleset`]: what nftables does with one new connection's first
//! packet on one node's `forward` hook. Tests compare it with the engine's verdicts, without root;
//! the network-namespace suite then checks that the kernel agrees with it.

use std::net::IpAddr;

use moat_agent::nft::{AddressField, ChainRole, Family, Key, PeerMatch, PortMatch, Rule, Ruleset, Value};
use moat_engine::model::ports::Protocol;

#[derive(Clone, Copy, Debug)]
pub struct Packet {
    pub source: IpAddr,
    pub destination: IpAddr,
    pub protocol: Protocol,
    pub port: u16,
}

impl Packet {
    fn address(&self, field: AddressField) -> IpAddr {
        match field {
            AddressField::Source => self.source,
            AddressField::Destination => self.destination,
        }
    }
    fn family(&self) -> Family {
        Family::of(self.source)
    }
}

enum Outcome {
    Accept,
    Drop,
    /// The end of a chain: back to the caller (a base chain's policy is accept).
    Return,
}

/// Whether the node lets the packet through: every base chain must accept it.
pub fn passes(ruleset: &Ruleset, packet: &Packet) -> bool {
    let mut bases: Vec<(&String, i32)> = ruleset
        .chains
        .iter()
        .filter(|(_, c)| c.role == ChainRole::Base)
        .map(|(n, c)| (n, c.priority.unwrap_or(0)))
        .collect();
    bases.sort_by_key(|(_, p)| *p);
    bases.iter().all(|(name, _)| !matches!(run(ruleset, name, packet, 0), Outcome::Drop))
}

fn run(ruleset: &Ruleset, chain: &str, packet: &Packet, depth: usize) -> Outcome {
    assert!(depth < 16, "chain loop at {chain}");
    let chain = &ruleset.chains[chain];
    for rule in &chain.rules {
        match rule {
            Rule::AcceptEstablished | Rule::CountDenied { .. } | Rule::LogDenied { .. } => {}
            Rule::Dispatch { family, field, map } => {
                if *family != packet.family() {
                    continue;
                }
                let set = &ruleset.sets[map];
                if let Some(Some(Value::Goto(target))) = set.elements.get(&Key::Address(packet.address(*field))) {
                    return run(ruleset, target, packet, depth + 1);
                }
            }
            Rule::Allow { peer, ports, .. } => {
                if peer.as_ref().is_none_or(|p| peer_matches(ruleset, p, packet)) && ports_match(ruleset, ports, packet)
                {
                    return Outcome::Accept;
                }
            }
            Rule::Jump(target) => match run(ruleset, target, packet, depth + 1) {
                Outcome::Return => {}
                decided => return decided,
            },
            Rule::Goto(target) => return run(ruleset, target, packet, depth + 1),
            Rule::Drop => return Outcome::Drop,
        }
    }
    Outcome::Return
}

fn peer_matches(ruleset: &Ruleset, peer: &PeerMatch, packet: &Packet) -> bool {
    if peer.family != packet.family() {
        return false;
    }
    let ip = packet.address(peer.field);
    ruleset.sets[&peer.set].elements.keys().any(|k| match k {
        Key::Address(a) => *a == ip,
        Key::Range(lo, hi) => *lo <= ip && ip <= *hi,
        Key::AddressPort(..) => false,
    })
}

fn ports_match(ruleset: &Ruleset, ports: &PortMatch, packet: &Packet) -> bool {
    match ports {
        PortMatch::Any => true,
        PortMatch::Numeric(ranges) => {
            ranges.iter().any(|&(proto, lo, hi)| proto == packet.protocol && lo <= packet.port && packet.port <= hi)
        }
        PortMatch::Named { family, set } => {
            *family == packet.family()
                && ruleset.sets[set].elements.contains_key(&Key::AddressPort(
                    packet.destination,
                    packet.protocol,
                    packet.port,
                ))
        }
    }
}
