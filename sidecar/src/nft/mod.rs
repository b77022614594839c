//! The nftables state moat owns: one `inet moat` table, described as plain data so that it can be
//! rendered for humans ([`render`]), diffed against what was applied last ([`transaction`]) and
//! applied through the `nft` binary ([`kernel`]).

pub mod kernel;
pub mod render;
pub mod transaction;

use std::collections::BTreeMap;
use std::net::IpAddr;

use moat_engine::model::ports::Protocol;
use serde::Serialize;

/// The table every transaction touches; nothing outside it is ever changed.
pub const TABLE: &str = "moat";
/// `inet` covers IPv4 and IPv6 with one set of chains.
pub const FAMILY: &str = "inet";

/// The whole desired (or applied) content of the table. Maps keyed by name keep rendering and
/// diffing deterministic.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Ruleset {
    pub counters: BTreeMap<String, Counter>,
    /// Sets and maps (a map is a set whose elements carry a value).
    pub sets: BTreeMap<String, Set>,
    pub chains: BTreeMap<String, Chain>,
}

impl Ruleset {
    pub fn element_count(&self) -> usize {
        self.sets.values().map(|s| s.elements.len()).sum()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Counter {
    pub comment: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// `ip`
    V4,
    /// `ip6`
    V6,
}

impl Family {
    pub const BOTH: [Family; 2] = [Family::V4, Family::V6];

    pub fn of(ip: IpAddr) -> Family {
        match ip {
            IpAddr::V4(_) => Family::V4,
            IpAddr::V6(_) => Family::V6,
        }
    }

    /// The nft payload protocol keyword: `ip` or `ip6`.
    pub fn keyword(self) -> &'static str {
        match self {
            Family::V4 => "ip",
            Family::V6 => "ip6",
        }
    }

    /// The nft address type: `ipv4_addr` or `ipv6_addr`.
    pub fn address_type(self) -> &'static str {
        match self {
            Family::V4 => "ipv4_addr",
            Family::V6 => "ipv6_addr",
        }
    }

    /// Suffix of object names, so that both halves of one logical set sort together.
    pub fn suffix(self) -> &'static str {
        match self {
            Family::V4 => "v4",
            Family::V6 => "v6",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AddressField {
    Source,
    Destination,
}

impl AddressField {
    pub fn keyword(self) -> &'static str {
        match self {
            AddressField::Source => "saddr",
            AddressField::Destination => "daddr",
        }
    }
}

/// What a set holds. Every kind is keyed by addresses of one family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind", content = "family")]
pub enum SetKind {
    /// Single addresses (pod IPs of a selector peer).
    Addresses(Family),
    /// Disjoint address ranges (an ipBlock minus its exceptions).
    AddressRanges(Family),
    /// `address . protocol . port` (named ports resolved per pod).
    AddressPorts(Family),
    /// Address to `goto chain` (pod IP to the chain of its policy group).
    VerdictMap(Family),
    /// Address to a named counter (pod IP to its denied-packets counter).
    CounterMap(Family),
}

impl SetKind {
    pub fn family(self) -> Family {
        match self {
            SetKind::Addresses(f)
            | SetKind::AddressRanges(f)
            | SetKind::AddressPorts(f)
            | SetKind::VerdictMap(f)
            | SetKind::CounterMap(f) => f,
        }
    }

    pub fn is_map(self) -> bool {
        matches!(self, SetKind::VerdictMap(_) | SetKind::CounterMap(_))
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Set {
    #[serde(flatten)]
    pub kind: SetKind,
    pub comment: String,
    #[serde(serialize_with = "render::serialize_elements")]
    pub elements: BTreeMap<Key, Option<Value>>,
}

impl Set {
    pub fn new(kind: SetKind, comment: impl Into<String>) -> Set {
        Set { kind, comment: comment.into(), elements: BTreeMap::new() }
    }
}

/// An element's key. Ranges are inclusive and never overlap within a set.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Key {
    Address(IpAddr),
    Range(IpAddr, IpAddr),
    AddressPort(IpAddr, Protocol, u16),
}

/// A map element's value.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Value {
    Goto(String),
    Counter(String),
}

/// The part a chain plays; rendering orders chains by role so that every reference points back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChainRole {
    /// Counts, logs and drops what no policy allowed.
    Deny,
    /// The rules of one policy for one direction.
    Policy,
    /// Jumps to the policies of one group of pods, then to the deny chain.
    Group,
    /// Hooked on `forward`: established traffic, then dispatch by pod address.
    Base,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Chain {
    pub role: ChainRole,
    /// Base chains only: the priority on the forward hook.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<i32>,
    pub comment: String,
    pub rules: Vec<Rule>,
}

/// One nft rule, typed so that rendering is the only place that knows nft syntax.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum Rule {
    /// `ct state established,related accept`: replies and ongoing connections skip policy.
    AcceptEstablished,
    /// `ip daddr vmap @map`: pods that policies isolate go to their group chain.
    Dispatch {
        family: Family,
        field: AddressField,
        map: String,
    },
    /// `[peer] [ports] accept`.
    Allow {
        #[serde(skip_serializing_if = "Option::is_none")]
        peer: Option<PeerMatch>,
        ports: PortMatch,
        comment: String,
    },
    Jump(String),
    Goto(String),
    /// `counter name ip daddr map @map`: the denied-packets counter of the pod at that address.
    CountDenied {
        family: Family,
        field: AddressField,
        map: String,
    },
    /// `limit rate N/second log prefix "…" group G`: a sample of denied packets to userspace.
    LogDenied {
        group: u16,
        prefix: String,
        per_second: u32,
    },
    Drop,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PeerMatch {
    pub family: Family,
    pub field: AddressField,
    pub set: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum PortMatch {
    /// No `ports` in the policy rule: every protocol and port.
    Any,
    /// Inclusive port ranges per protocol.
    Numeric(Vec<(Protocol, u16, u16)>),
    /// `ip daddr . meta l4proto . th dport @set`: named ports resolved on each destination pod.
    Named { family: Family, set: String },
}
