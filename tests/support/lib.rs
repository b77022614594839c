//! Test support shared by the workspace-level tests: the scenario file format and its checks.
//!
//! A scenario is one YAML file under `tests/scenarios/` (format: `tests/scenarios/README.md`). Each is
//! checked three ways: its expected diagnostics, its single flows through the reference evaluator
//! (with the deciding policies), and its truth tables through both the reference evaluator and the
//! fast matrix.

use std::path::{Path, PathBuf};

use std::collections::BTreeMap;

use moat_engine::cluster::EndpointId;
use moat_engine::model::ports::Protocol;
use moat_engine::model::versions::{Options, Release};
use moat_engine::query::{self, Flow, PortQuery, PortRef};
use moat_engine::{Cluster, Severity, Sources};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Scenario {
    pub title: String,
    pub source: String,
    pub description: String,
    /// The release the scenario is evaluated as (`"1.6"`); the newest when omitted.
    #[serde(default)]
    pub kubernetes_version: Option<String>,
    #[serde(default)]
    pub feature_gates: BTreeMap<String, bool>,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub manifests: Option<String>,
    #[serde(default)]
    pub files: Vec<NamedFile>,
    #[serde(default)]
    pub diagnostics: Vec<ExpectedDiagnostic>,
    #[serde(default)]
    pub flows: Vec<ExpectedFlow>,
    #[serde(default)]
    pub tables: Vec<TruthTable>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamedFile {
    pub name: String,
    pub text: String,
}

#[derive(Debug, Deserialize, PartialEq, Eq, PartialOrd, Ord, Clone)]
#[serde(deny_unknown_fields)]
pub struct ExpectedDiagnostic {
    pub severity: String,
    pub code: String,
    #[serde(default)]
    pub line: Option<usize>,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(untagged)]
pub enum PortValue {
    Number(u16),
    Name(String),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ExpectedFlow {
    pub from: String,
    pub to: String,
    pub port: PortValue,
    #[serde(default)]
    pub protocol: Option<String>,
    pub allowed: bool,
    #[serde(default)]
    pub allowed_by: Option<Vec<String>>,
    #[serde(default)]
    pub denied_at: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TruthTable {
    pub port: u16,
    #[serde(default)]
    pub protocol: Option<String>,
    pub table: String,
}

pub fn workspace_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

pub fn scenario_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(workspace_dir().join("scenarios"))
        .map(|dir| dir.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "yaml"));
    files.sort();
    files
}

fn protocol(text: &Option<String>) -> Result<Protocol, String> {
    text.as_deref().unwrap_or("TCP").parse()
}

impl Scenario {
    pub fn load(path: &Path) -> Result<Scenario, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        serde_norway::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// The release and feature gates of the scenario.
    pub fn options(&self) -> Result<Options, String> {
        let kubernetes_version = match &self.kubernetes_version {
            Some(text) => text.parse::<Release>()?,
            None => Release::default(),
        };
        Ok(Options { kubernetes_version, feature_gates: self.feature_gates.clone() })
    }

    /// The input files of the scenario; `file_name` names the `manifests` text in diagnostics.
    pub fn sources(&self, file_name: &str) -> Result<Sources, String> {
        let mut files: Vec<(String, String)> = Vec::new();
        if let Some(model) = &self.model {
            let path = workspace_dir().join("models").join(format!("{model}.yaml"));
            let text = std::fs::read_to_string(&path).map_err(|e| format!("model `{model}`: {e}"))?;
            files.push((format!("models/{model}.yaml"), text));
        }
        if let Some(text) = &self.manifests {
            files.push((file_name.to_string(), text.clone()));
        }
        files.extend(self.files.iter().map(|f| (f.name.clone(), f.text.clone())));
        let mut sources = Sources::default();
        for (name, text) in files {
            sources.add(name, text);
        }
        Ok(sources)
    }

    /// The cluster of the scenario, at its release; `file_name` names the `manifests` text.
    pub fn cluster(&self, file_name: &str) -> Result<Cluster, String> {
        Ok(Cluster::from_sources_with(self.sources(file_name)?, &self.options()?))
    }

    /// Runs every check; returns all failures, not just the first.
    pub fn check(&self, file_name: &str) -> Result<(), String> {
        if self.flows.is_empty() && self.tables.is_empty() {
            return Err("a scenario needs at least one flow or table".into());
        }
        let cluster = self.cluster(file_name)?;
        let mut failures = Vec::new();
        self.check_diagnostics(&cluster, &mut failures);
        for flow in &self.flows {
            if let Err(e) = check_flow(&cluster, flow) {
                failures.push(e);
            }
        }
        for table in &self.tables {
            if let Err(e) = check_table(&cluster, table) {
                failures.push(e);
            }
        }
        if failures.is_empty() { Ok(()) } else { Err(failures.join("\n")) }
    }

    fn check_diagnostics(&self, cluster: &Cluster, failures: &mut Vec<String>) {
        let mut actual: Vec<ExpectedDiagnostic> = cluster
            .diagnostics
            .iter()
            .filter(|d| d.severity != Severity::Note)
            .map(|d| {
                let location = d.span.map(|s| cluster.sources.location(s));
                ExpectedDiagnostic {
                    severity: d.severity.to_string(),
                    code: d.code.to_string(),
                    line: location.map(|l| l.line),
                }
            })
            .collect();
        let mut expected = self.diagnostics.clone();
        // An expectation without a line matches any line: it takes an actual diagnostic of its severity
        // and code that no expectation with a line claims.
        let mut unclaimed: Vec<&ExpectedDiagnostic> =
            actual.iter().filter(|a| !expected.iter().any(|e| e.line.is_some() && e == *a)).collect();
        for e in expected.iter_mut().filter(|e| e.line.is_none()) {
            if let Some(i) = unclaimed.iter().position(|a| a.severity == e.severity && a.code == e.code) {
                e.line = unclaimed.remove(i).line;
            }
        }
        actual.sort();
        expected.sort();
        if actual != expected {
            let all: Vec<String> = cluster
                .diagnostics
                .iter()
                .map(|d| {
                    format!(
                        "  {} {} at {:?}: {}",
                        d.severity,
                        d.code,
                        d.span.map(|s| cluster.sources.location(s).to_string()),
                        d.message
                    )
                })
                .collect();
            failures.push(format!("diagnostics: expected {expected:?}\n  got {actual:?}\n{}", all.join("\n")));
        }
    }
}

fn endpoint(cluster: &Cluster, text: &str) -> Result<EndpointId, String> {
    cluster.resolve_endpoint(text)
}

fn check_flow(cluster: &Cluster, f: &ExpectedFlow) -> Result<(), String> {
    let flow = Flow {
        from: endpoint(cluster, &f.from)?,
        to: endpoint(cluster, &f.to)?,
        port: match &f.port {
            PortValue::Number(n) => PortRef::Number(*n),
            PortValue::Name(n) => PortRef::Name(n.clone()),
        },
        protocol: protocol(&f.protocol)?,
    };
    let what = format!("flow {} -> {} {:?}/{:?}", f.from, f.to, flow.protocol, f.port);
    let verdict = query::evaluate(cluster, &flow).map_err(|e| format!("{what}: {e}"))?;
    let explanation = verdict.explain(cluster);
    let mut problems = Vec::new();
    if verdict.allowed != f.allowed {
        problems.push(format!("allowed = {}, expected {}", verdict.allowed, f.allowed));
    }
    if let Some(expected) = &f.allowed_by {
        let mut expected = expected.clone();
        expected.sort();
        let actual = verdict.allowed_by(cluster);
        if actual != expected {
            problems.push(format!("allowedBy = {actual:?}, expected {expected:?}"));
        }
    }
    if let Some(side) = &f.denied_at {
        let actual = match (verdict.egress.allowed, verdict.ingress.allowed) {
            (false, false) => "both",
            (false, true) => "egress",
            (true, false) => "ingress",
            (true, true) => "nowhere",
        };
        if actual != side {
            problems.push(format!("deniedAt = {actual}, expected {side}"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("{what}: {}\n  engine says: {}", problems.join("; "), explanation.summary))
    }
}

/// Checks a truth table cell by cell with the reference evaluator, and, when every row and column is a
/// pod, against the fast matrix too.
pub fn check_table(cluster: &Cluster, t: &TruthTable) -> Result<(), String> {
    let protocol = protocol(&t.protocol)?;
    let mut lines = t.table.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<&str> = lines.next().ok_or("empty table")?.split_whitespace().collect();
    if header.first() != Some(&"-") {
        return Err("a table header starts with `-`".into());
    }
    let columns = &header[1..];
    let fast = query::matrix(cluster, PortQuery::One(t.port, protocol));
    let mut wrong = Vec::new();
    for line in lines {
        let cells: Vec<&str> = line.split_whitespace().collect();
        if cells.len() != columns.len() + 1 {
            return Err(format!("row `{line}` has {} cells, expected {}", cells.len() - 1, columns.len()));
        }
        let from = endpoint(cluster, cells[0])?;
        for (to_name, cell) in columns.iter().zip(&cells[1..]) {
            let expected = match *cell {
                "." => true,
                "X" => false,
                other => return Err(format!("cell `{other}`: use `.` (allowed) or `X` (denied)")),
            };
            let to = endpoint(cluster, to_name)?;
            let flow = Flow { from, to, port: PortRef::Number(t.port), protocol };
            let verdict = query::evaluate(cluster, &flow).map_err(|e| e.to_string())?;
            if verdict.allowed != expected {
                wrong.push(format!(
                    "  {} -> {to_name}: expected {cell}; engine: {}",
                    cells[0],
                    verdict.explain(cluster).summary
                ));
            }
            if let (EndpointId::Pod(s), EndpointId::Pod(d)) = (from, to)
                && fast.allowed[s][d] != verdict.allowed
            {
                wrong.push(format!(
                    "  {} -> {to_name}: fast matrix says {}, reference says {}",
                    cells[0], fast.allowed[s][d], verdict.allowed
                ));
            }
        }
    }
    if wrong.is_empty() { Ok(()) } else { Err(format!("table {protocol}/{}:\n{}", t.port, wrong.join("\n"))) }
}
