//! nft scripts that move the kernel from one [`Ruleset`] to another in a single atomic transaction
//! (`nft -f -` applies a whole script or nothing).
//!
//! The diff is computed against the last applied ruleset, never against a listing of the kernel:
//! listing a table with a million set elements takes far longer than applying a small change.

use std::fmt::Write;

use super::render::{self, ELEMENTS_PER_COMMAND};
use super::{Chain, FAMILY, Key, Ruleset, Set, TABLE, Value};

/// Replaces the whole table, whatever the kernel holds (or not). Creating the table first makes the
/// `delete` valid when it is missing; both happen in the same transaction, so no packet ever sees
/// the table absent.
pub fn replace(ruleset: &Ruleset, headline: &str) -> String {
    format!("# moat {headline}\ntable {FAMILY} {TABLE} {{}}\ndelete table {FAMILY} {TABLE}\n{}", render::table(ruleset))
}

/// Removes the table (`moat-agent cleanup`, `--fail-mode open`). Creating it first makes the
/// script succeed when it is already gone.
pub fn delete(headline: &str) -> String {
    format!("# moat {headline}\ntable {FAMILY} {TABLE} {{}}\ndelete table {FAMILY} {TABLE}\n")
}

/// The commands that turn `old` into `new`, or `None` when they are equal. Objects whose definition
/// changed in place (which names make impossible unless the naming scheme changes) cause a full
/// replacement.
pub fn update(old: &Ruleset, new: &Ruleset, headline: &str) -> Option<String> {
    if old == new {
        return None;
    }
    if redefined(old, new) {
        return Some(replace(new, headline));
    }
    let mut out = format!("# moat {headline}\n");
    let prefix = format!("{FAMILY} {TABLE}");

    // 1. Declare new objects (empty), so that everything below may refer to them.
    for (name, counter) in new.counters.iter().filter(|(n, _)| !old.counters.contains_key(*n)) {
        let _ = writeln!(out, "add counter {prefix} {name} {{ comment {} }}", render::quote(&counter.comment));
    }
    for (name, set) in new.sets.iter().filter(|(n, _)| !old.sets.contains_key(*n)) {
        let keyword = if set.kind.is_map() { "map" } else { "set" };
        let _ = writeln!(out, "add {keyword} {prefix} {name} {{ {} }}", render::set_declaration(set).join(" "));
    }
    for (name, chain) in new.chains.iter().filter(|(n, _)| !old.chains.contains_key(*n)) {
        let _ = writeln!(out, "add chain {prefix} {name} {{ {} }}", render::chain_declaration(chain).join(" "));
    }

    // 2. Element changes of sets that stay: removals first, because interval sets reject a new
    //    range that overlaps an old one, and a changed map value is a removal plus an addition.
    for (name, set) in &new.sets {
        if let Some(before) = old.sets.get(name) {
            let gone = before.elements.iter().filter(|(k, v)| new_value(set, k) != Some(v.as_ref())).map(|(k, _)| k);
            element_commands(&mut out, "delete", &prefix, name, gone.map(render::key_text));
        }
    }
    for (name, set) in &new.sets {
        let before = old.sets.get(name);
        let added = set.elements.iter().filter(|(k, v)| before.and_then(|b| new_value(b, k)) != Some(v.as_ref()));
        element_commands(&mut out, "add", &prefix, name, added.map(|(k, v)| render::element(k, v.as_ref())));
    }

    // 3. Rewrite chains whose rules changed (new chains are empty so far).
    for (name, chain) in &new.chains {
        if old.chains.get(name).map(|c| &c.rules) == Some(&chain.rules) {
            continue;
        }
        if old.chains.contains_key(name) {
            let _ = writeln!(out, "flush chain {prefix} {name}");
        }
        for rule in &chain.rules {
            let _ = writeln!(out, "add rule {prefix} {name} {}", render::rule(rule));
        }
    }

    // 4. Remove what is gone, once nothing refers to it: chains are flushed before any is deleted
    //    because removed chains may jump to each other; sets and counters go last.
    let removed_chains: Vec<&String> = old.chains.keys().filter(|n| !new.chains.contains_key(*n)).collect();
    for name in &removed_chains {
        let _ = writeln!(out, "flush chain {prefix} {name}");
    }
    for name in &removed_chains {
        let _ = writeln!(out, "delete chain {prefix} {name}");
    }
    for (name, set) in old.sets.iter().filter(|(n, _)| !new.sets.contains_key(*n)) {
        let keyword = if set.kind.is_map() { "map" } else { "set" };
        let _ = writeln!(out, "delete {keyword} {prefix} {name}");
    }
    for name in old.counters.keys().filter(|n| !new.counters.contains_key(*n)) {
        let _ = writeln!(out, "delete counter {prefix} {name}");
    }
    Some(out)
}

/// The value `set` holds for `key`: `Some(None)` for a plain set member, `None` when absent.
fn new_value<'s>(set: &'s Set, key: &Key) -> Option<Option<&'s Value>> {
    set.elements.get(key).map(Option::as_ref)
}

fn element_commands(out: &mut String, verb: &str, prefix: &str, set: &str, items: impl Iterator<Item = String>) {
    let items: Vec<String> = items.collect();
    for chunk in items.chunks(ELEMENTS_PER_COMMAND) {
        let _ = writeln!(out, "{verb} element {prefix} {set} {{ {} }}", chunk.join(", "));
    }
}

/// Whether an object kept its name but changed what it is (set type, comment, chain hook): nft
/// cannot alter those in place.
fn redefined(old: &Ruleset, new: &Ruleset) -> bool {
    let sets =
        old.sets.iter().any(|(n, s)| new.sets.get(n).is_some_and(|t| t.kind != s.kind || t.comment != s.comment));
    let chains = old.chains.iter().any(|(n, c)| new.chains.get(n).is_some_and(|d| declaration_differs(c, d)));
    let counters = old.counters.iter().any(|(n, c)| new.counters.get(n).is_some_and(|d| d != c));
    sets || chains || counters
}

fn declaration_differs(a: &Chain, b: &Chain) -> bool {
    a.role != b.role || a.priority != b.priority || a.comment != b.comment
}
