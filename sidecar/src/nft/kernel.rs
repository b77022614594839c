//! The kernel side: running nft scripts, a cheap look at the table's shape for tamper detection,
//! and the denied-packet counters. [`Kernel`] is a trait so the agent's control loop can be tested
//! without root.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::Value as Json;

use super::{FAMILY, Ruleset, TABLE};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KernelError(pub String);

impl std::fmt::Display for KernelError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for KernelError {}

/// What the table looks like without its set elements: objects by name, with the rule count of
/// each chain. Enough to notice a deleted table, a flushed chain or a removed set.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TableShape {
    /// Counters, sets, maps and chains; chains map to their rule count, the others to zero.
    pub objects: BTreeMap<String, usize>,
}

impl TableShape {
    /// The shape the kernel should show after `ruleset` was applied.
    pub fn of(ruleset: &Ruleset) -> TableShape {
        let mut objects: BTreeMap<String, usize> = BTreeMap::new();
        objects.extend(ruleset.counters.keys().map(|n| (n.clone(), 0)));
        objects.extend(ruleset.sets.keys().map(|n| (n.clone(), 0)));
        objects.extend(ruleset.chains.iter().map(|(n, c)| (n.clone(), c.rules.len())));
        TableShape { objects }
    }

    /// A one-line account of how `actual` differs from `self`, or `None` when they agree.
    pub fn difference(&self, actual: &TableShape) -> Option<String> {
        let missing: Vec<&String> = self.objects.keys().filter(|n| !actual.objects.contains_key(*n)).collect();
        let changed: Vec<&String> = self
            .objects
            .iter()
            .filter(|(n, c)| actual.objects.get(*n).is_some_and(|a| a != *c))
            .map(|(n, _)| n)
            .collect();
        let extra: Vec<&String> = actual.objects.keys().filter(|n| !self.objects.contains_key(*n)).collect();
        if missing.is_empty() && changed.is_empty() && extra.is_empty() {
            return None;
        }
        let show = |names: &[&String]| names.iter().take(5).map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
        let mut parts = Vec::new();
        if !missing.is_empty() {
            parts.push(format!("{} missing ({})", missing.len(), show(&missing)));
        }
        if !changed.is_empty() {
            parts.push(format!("{} chains with other rules ({})", changed.len(), show(&changed)));
        }
        if !extra.is_empty() {
            parts.push(format!("{} unexpected ({})", extra.len(), show(&extra)));
        }
        Some(parts.join("; "))
    }
}

pub trait Kernel: Send {
    /// Applies a script as one transaction: all of it, or nothing.
    fn apply(&mut self, script: &str) -> Result<(), KernelError>;
    /// The table's shape, or `None` when the table does not exist.
    fn shape(&mut self) -> Result<Option<TableShape>, KernelError>;
    /// Packet counts of the table's named counters.
    fn counters(&mut self) -> Result<BTreeMap<String, u64>, KernelError>;
}

/// The `nft` command line tool.
#[derive(Clone, Debug)]
pub struct Nft {
    pub binary: PathBuf,
}

impl Nft {
    pub fn new(binary: impl Into<PathBuf>) -> Nft {
        Nft { binary: binary.into() }
    }

    fn run(&self, args: &[&str], stdin: Option<&str>) -> Result<String, KernelError> {
        let mut child = Command::new(&self.binary)
            .args(args)
            .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| KernelError(format!("cannot run `{}`: {e}", self.binary.display())))?;
        if let (Some(script), Some(mut pipe)) = (stdin, child.stdin.take()) {
            // A failed write shows up as nft's own error below.
            let _ = pipe.write_all(script.as_bytes());
        }
        let output = child.wait_with_output().map_err(|e| KernelError(format!("nft: {e}")))?;
        if output.status.success() {
            Ok(String::from_utf8_lossy(&output.stdout).into_owned())
        } else {
            let stderr = String::from_utf8_lossy(&output.stderr);
            Err(KernelError(format!("nft {} failed ({}): {}", args.join(" "), output.status, first_lines(&stderr, 12))))
        }
    }
}

fn first_lines(text: &str, n: usize) -> String {
    text.lines().take(n).collect::<Vec<_>>().join("\n")
}

impl Kernel for Nft {
    fn apply(&mut self, script: &str) -> Result<(), KernelError> {
        self.run(&["-f", "-"], Some(script)).map(drop)
    }

    fn shape(&mut self) -> Result<Option<TableShape>, KernelError> {
        // `-t` (terse) leaves out set elements: the listing stays small however big the sets are.
        match self.run(&["-t", "-j", "list", "table", FAMILY, TABLE], None) {
            Ok(json) => parse_shape(&json).map(Some),
            Err(e) if e.0.contains("No such file or directory") => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn counters(&mut self) -> Result<BTreeMap<String, u64>, KernelError> {
        match self.run(&["-j", "list", "counters", "table", FAMILY, TABLE], None) {
            Ok(json) => parse_counters(&json),
            Err(e) if e.0.contains("No such file or directory") => Ok(BTreeMap::new()),
            Err(e) => Err(e),
        }
    }
}

fn objects(json: &str) -> Result<Vec<Json>, KernelError> {
    let doc: Json = serde_json::from_str(json).map_err(|e| KernelError(format!("unreadable nft JSON: {e}")))?;
    Ok(doc.get("nftables").and_then(Json::as_array).cloned().unwrap_or_default())
}

/// Reads `nft -t -j list table` output.
pub fn parse_shape(json: &str) -> Result<TableShape, KernelError> {
    let mut shape = TableShape::default();
    for object in objects(json)? {
        for kind in ["counter", "set", "map", "chain"] {
            if let Some(name) = object.get(kind).and_then(|o| o.get("name")).and_then(Json::as_str) {
                shape.objects.entry(name.to_string()).or_insert(0);
            }
        }
        if let Some(chain) = object.get("rule").and_then(|r| r.get("chain")).and_then(Json::as_str) {
            *shape.objects.entry(chain.to_string()).or_insert(0) += 1;
        }
    }
    Ok(shape)
}

/// Reads `nft -j list counters` output: packets per counter name.
pub fn parse_counters(json: &str) -> Result<BTreeMap<String, u64>, KernelError> {
    Ok(objects(json)?
        .iter()
        .filter_map(|o| o.get("counter"))
        .filter(|c| c.get("table").and_then(Json::as_str) == Some(TABLE))
        .filter_map(|c| Some((c.get("name")?.as_str()?.to_string(), c.get("packets")?.as_u64()?)))
        .collect())
}
