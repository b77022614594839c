//! A [`Diff`] as text, CSV and Markdown.
//!
//! The text lines are netpol-analyzer's `diff` lines, with `before`/`after` where it says
//! `ref1`/`ref2`:
//!
//! ```text
//! Connectivity diff:
//! diff-type: changed, source: prod/web[Deployment], destination: prod/db[StatefulSet], before: All Connections, after: TCP 5432
//! diff-type: added, source: prod/new[Deployment], destination: prod/db[StatefulSet], before: No Connections, after: TCP 5432, workloads-diff-info: workload prod/new[Deployment] added
//! ```
//!
//! Workloads that appeared or disappeared without any connection are listed after the pairs.

use std::fmt::Write;

use super::connlist::{csv_field, md_cell};
use crate::query::diff::{Change, Diff};

pub fn text(diff: &Diff) -> String {
    if diff.is_empty() {
        return "no connectivity changes\n".into();
    }
    let mut out = String::new();
    if !diff.changes.is_empty() {
        out.push_str("Connectivity diff:\n");
    }
    for change in &diff.changes {
        let _ = write!(
            out,
            "diff-type: {}, source: {}, destination: {}, before: {}, after: {}",
            change.kind.as_str(),
            change.from,
            change.to,
            change.before,
            change.after
        );
        if let Some(info) = info(change) {
            let _ = write!(out, ", workloads-diff-info: {info}");
        }
        out.push('\n');
    }
    let silent = |names: &[String]| -> Vec<String> {
        names.iter().filter(|name| !diff.changes.iter().any(|c| c.new_endpoints.contains(name))).cloned().collect()
    };
    for (names, verb) in [(silent(&diff.added_workloads), "added"), (silent(&diff.removed_workloads), "removed")] {
        for name in names {
            let _ = writeln!(out, "workload {name} {verb}, without any connection");
        }
    }
    out
}

/// `workload a added`, `workload a and b removed`.
fn info(change: &Change) -> Option<String> {
    (!change.new_endpoints.is_empty())
        .then(|| format!("workload {} {}", change.new_endpoints.join(" and "), change.kind.as_str()))
}

/// `diff-type,source,destination,before,after,workloads-diff-info`.
pub fn csv(diff: &Diff) -> String {
    let mut out = String::from("diff-type,source,destination,before,after,workloads-diff-info\n");
    for change in &diff.changes {
        let fields = [
            change.kind.as_str().to_string(),
            change.from.clone(),
            change.to.clone(),
            change.before.clone(),
            change.after.clone(),
            info(change).unwrap_or_default(),
        ];
        out.push_str(&fields.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(","));
        out.push('\n');
    }
    out
}

/// A Markdown table with the columns of [`csv`].
pub fn markdown(diff: &Diff) -> String {
    let mut out = String::from(
        "| diff-type | source | destination | before | after | workloads-diff-info |\n|-----------|--------|-------------|--------|-------|---------------------|\n",
    );
    for change in &diff.changes {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            change.kind.as_str(),
            md_cell(&change.from),
            md_cell(&change.to),
            md_cell(&change.before),
            md_cell(&change.after),
            md_cell(&info(change).unwrap_or_default())
        );
    }
    out
}
