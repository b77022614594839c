//! nft syntax: the whole table as one `table inet moat { … }` block (what `moat-agent render`
//! prints and what a full transaction loads), and the pieces incremental transactions are made of.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::Serializer;

use super::{Chain, ChainRole, FAMILY, Key, PortMatch, Rule, Ruleset, Set, SetKind, TABLE, Value};

/// Elements per `add element` / `delete element` command: keeps lines and netlink messages small.
pub const ELEMENTS_PER_COMMAND: usize = 1000;

/// The table as one nft block, objects ordered so that every reference points to something already
/// declared: counters, sets, counter maps, deny/policy/group chains, verdict maps, base chains.
pub fn table(ruleset: &Ruleset) -> String {
    let mut out = format!("table {FAMILY} {TABLE} {{\n");
    for (name, counter) in &ruleset.counters {
        let _ = writeln!(out, "\tcounter {name} {{\n\t\tcomment {}\n\t}}", quote(&counter.comment));
    }
    let (verdict_maps, other_sets): (Vec<_>, Vec<_>) =
        ruleset.sets.iter().partition(|(_, s)| matches!(s.kind, SetKind::VerdictMap(_)));
    for (name, set) in other_sets {
        out.push_str(&set_block(name, set));
    }
    let mut chains: Vec<(&String, &Chain)> = ruleset.chains.iter().collect();
    chains.sort_by_key(|(name, chain)| (chain.role, *name));
    let (base, inner): (Vec<_>, Vec<_>) = chains.into_iter().partition(|(_, c)| c.role == ChainRole::Base);
    for (name, chain) in inner {
        out.push_str(&chain_block(name, chain));
    }
    for (name, set) in verdict_maps {
        out.push_str(&set_block(name, set));
    }
    for (name, chain) in base {
        out.push_str(&chain_block(name, chain));
    }
    out.push_str("}\n");
    out
}

fn set_block(name: &str, set: &Set) -> String {
    let keyword = if set.kind.is_map() { "map" } else { "set" };
    let mut out = format!("\t{keyword} {name} {{\n\t\t{}\n", set_declaration(set).join("\n\t\t"));
    if !set.elements.is_empty() {
        let elements: Vec<String> = set.elements.iter().map(|(k, v)| element(k, v.as_ref())).collect();
        let _ = writeln!(out, "\t\telements = {{ {} }}", elements.join(",\n\t\t\t     "));
    }
    out.push_str("\t}\n");
    out
}

/// The statements inside a set's braces, without elements.
pub fn set_declaration(set: &Set) -> Vec<String> {
    let family = set.kind.family();
    let addr = family.address_type();
    let mut lines = vec![match set.kind {
        SetKind::Addresses(_) | SetKind::AddressRanges(_) => format!("type {addr};"),
        SetKind::AddressPorts(_) => format!("type {addr} . inet_proto . inet_service;"),
        SetKind::VerdictMap(_) => format!("type {addr} : verdict;"),
        SetKind::CounterMap(_) => format!("type {addr} : counter;"),
    }];
    if matches!(set.kind, SetKind::AddressRanges(_)) {
        lines.push("flags interval;".into());
    }
    lines.push(format!("comment {};", quote(&set.comment)));
    lines
}

fn chain_block(name: &str, chain: &Chain) -> String {
    let mut out = format!("\tchain {name} {{\n");
    for line in chain_declaration(chain) {
        let _ = writeln!(out, "\t\t{line}");
    }
    for rule in &chain.rules {
        let _ = writeln!(out, "\t\t{}", self::rule(rule));
    }
    out.push_str("\t}\n");
    out
}

/// The statements that declare a chain: hook and policy for base chains, and a comment.
pub fn chain_declaration(chain: &Chain) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(priority) = chain.priority {
        lines.push(format!("type filter hook forward priority {priority}; policy accept;"));
    }
    lines.push(format!("comment {};", quote(&chain.comment)));
    lines
}

pub fn rule(rule: &Rule) -> String {
    match rule {
        Rule::AcceptEstablished => "ct state established,related accept".into(),
        Rule::Dispatch { family, field, map } => {
            format!("{} {} vmap @{map}", family.keyword(), field.keyword())
        }
        Rule::Allow { peer, ports, comment } => {
            let mut parts = Vec::new();
            if let Some(peer) = peer {
                parts.push(format!("{} {} @{}", peer.family.keyword(), peer.field.keyword(), peer.set));
            }
            match ports {
                PortMatch::Any => {}
                PortMatch::Numeric(ranges) => {
                    let items: Vec<String> = ranges
                        .iter()
                        .map(|&(protocol, lo, hi)| {
                            let proto = protocol.as_str().to_ascii_lowercase();
                            if lo == hi { format!("{proto} . {lo}") } else { format!("{proto} . {lo}-{hi}") }
                        })
                        .collect();
                    parts.push(format!("meta l4proto . th dport {{ {} }}", items.join(", ")));
                }
                PortMatch::Named { family, set } => {
                    parts.push(format!("{} daddr . meta l4proto . th dport @{set}", family.keyword()));
                }
            }
            parts.push("accept".into());
            parts.push(format!("comment {}", quote(comment)));
            parts.join(" ")
        }
        Rule::Jump(chain) => format!("jump {chain}"),
        Rule::Goto(chain) => format!("goto {chain}"),
        Rule::CountDenied { family, field, map } => {
            format!("counter name {} {} map @{map}", family.keyword(), field.keyword())
        }
        Rule::LogDenied { group, prefix, per_second } => {
            format!("limit rate {per_second}/second log prefix {} group {group}", quote(prefix))
        }
        Rule::Drop => "drop".into(),
    }
}

/// One element in nft syntax: `10.0.0.1`, `10.0.0.0-10.0.0.127`, `10.0.0.1 . tcp . 80`,
/// `10.0.0.1 : goto ingress-group-…`, `10.0.0.1 : "denied-…"`.
pub fn element(key: &Key, value: Option<&Value>) -> String {
    let key = key_text(key);
    match value {
        None => key,
        Some(Value::Goto(chain)) => format!("{key} : goto {chain}"),
        Some(Value::Counter(counter)) => format!("{key} : {}", quote(counter)),
    }
}

pub fn key_text(key: &Key) -> String {
    match key {
        Key::Address(ip) => ip.to_string(),
        Key::Range(lo, hi) if lo == hi => lo.to_string(),
        Key::Range(lo, hi) => format!("{lo}-{hi}"),
        Key::AddressPort(ip, protocol, port) => {
            format!("{ip} . {} . {port}", protocol.as_str().to_ascii_lowercase())
        }
    }
}

/// nft strings: comments and names come from Kubernetes names, which never contain quotes; any
/// that slipped through are dropped rather than breaking the transaction.
pub fn quote(text: &str) -> String {
    let clean: String = text.chars().filter(|c| *c != '"' && *c != '\\' && !c.is_control()).collect();
    format!("\"{clean}\"")
}

/// JSON form of a set's elements: the nft text of each, in order.
pub fn serialize_elements<S: Serializer>(elements: &BTreeMap<Key, Option<Value>>, s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(elements.iter().map(|(k, v)| element(k, v.as_ref())))
}

/// The JSON form of the table (`moat-agent render --output json`).
pub fn json(ruleset: &Ruleset) -> String {
    let doc = serde_json::json!({ "family": FAMILY, "table": TABLE, "ruleset": ruleset });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}
