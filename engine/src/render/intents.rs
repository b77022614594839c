//! The outcomes of `moat verify` as text: one line per intent, and under each broken one the pairs
//! that break it, each with the explanation of its actual verdict.
//!
//! ```text
//! ok   intents.yaml:2 web reaches the database: prod/web -> {namespace: prod, workload: db} port postgres: allow, 1 pair
//! FAIL intents.yaml:7: {namespace: prod} -> 0.0.0.0/0: deny, broken by 1 of 2 pairs
//!   prod/web[Pod] -> 0.0.0.0-255.255.255.255[External]: All Connections
//!     allowed: prod/web -> 0.0.0.0 TCP/1: source not isolated for egress; destination not a pod
//!     ...
//!
//! 1 of 2 intents hold
//! ```

use std::fmt::Write;

use super::explain;
use crate::model::ports::Protocol;
use crate::query::flow::PortRef;
use crate::query::intents::{Expect, Outcome};

pub fn text(outcomes: &[Outcome]) -> String {
    let mut out = String::new();
    for outcome in outcomes {
        let status = if outcome.holds { "ok  " } else { "FAIL" };
        let name = outcome.name.as_ref().map(|n| format!(" {n}")).unwrap_or_default();
        let ports = match (&outcome.port, outcome.protocol) {
            (Some(PortRef::Number(port)), protocol) => format!(" {} {port}", protocol.unwrap_or(Protocol::Tcp)),
            (Some(PortRef::Name(name)), protocol) => format!(" {} port {name}", protocol.unwrap_or(Protocol::Tcp)),
            (None, Some(protocol)) => format!(" {protocol}"),
            (None, None) => String::new(),
        };
        let expect = match outcome.expect {
            Expect::Allow => "allow",
            Expect::Deny => "deny",
        };
        let detail = match (&outcome.problem, outcome.violations.len()) {
            (Some(problem), _) => problem.clone(),
            (None, 0) => format!("{} pair{}", outcome.pairs, plural(outcome.pairs)),
            (None, broken) => format!("broken by {broken} of {} pair{}", outcome.pairs, plural(outcome.pairs)),
        };
        let _ = writeln!(
            out,
            "{status} {}:{}{name}: {} -> {}{ports}: {expect}, {detail}",
            outcome.location.file, outcome.location.line, outcome.from, outcome.to
        );
        for violation in &outcome.violations {
            let _ = writeln!(out, "  {} -> {}: {}", violation.from, violation.to, violation.connections);
            if let Some(reason) = &violation.reason {
                let _ = writeln!(out, "    {reason}");
            }
            if let Some(explanation) = &violation.explanation {
                for line in explain::text(explanation).lines() {
                    if line.is_empty() {
                        continue;
                    }
                    let _ = writeln!(out, "    {line}");
                }
            }
        }
    }
    let holding = outcomes.iter().filter(|o| o.holds).count();
    let _ = match outcomes.len() {
        0 => writeln!(out, "no intents"),
        n => writeln!(out, "\n{holding} of {n} intent{} hold{}", plural(n), if n == 1 { "s" } else { "" }),
    };
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
