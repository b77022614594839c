//! Every scenario folder of np-guard/netpol-analyzer's test corpus (../shared/corpus) is ingested
//! without a panic, and the ones that are malformed on purpose are reported, not swallowed.

use std::path::{Path, PathBuf};

use moat_engine::query::{PortQuery, matrix};
use moat_engine::{Cluster, Severity};

fn corpus_dir() -> PathBuf {
    std::env::var_os("MOAT_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| moat_tests::workspace_dir().join("../../shared/corpus/netpol-analyzer"))
}

fn manifest_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            manifest_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml" || e == "json") {
            out.push(path);
        }
    }
}

#[test]
fn every_netpol_analyzer_scenario_is_ingested() {
    let root = corpus_dir().join("tests");
    let mut scenarios: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("corpus not found at {}: {e}", root.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    scenarios.sort();
    assert!(scenarios.len() >= 300, "expected the whole corpus, found {} scenarios", scenarios.len());
    let (mut with_errors, mut pods, mut policies) = (Vec::new(), 0, 0);
    for dir in &scenarios {
        let mut files = Vec::new();
        manifest_files(dir, &mut files);
        let texts = files.iter().map(|f| {
            let name = f.strip_prefix(&root).unwrap_or(f).display().to_string();
            (name, std::fs::read_to_string(f).unwrap_or_default())
        });
        let cluster = Cluster::from_texts(texts);
        // Evaluating must not panic either, whatever the input held.
        let m = matrix(&cluster, PortQuery::Any);
        assert_eq!(m.pods.len(), cluster.pods.len());
        pods += cluster.pods.len();
        policies += cluster.policies.len();
        let errors: Vec<String> = cluster
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .map(|d| {
                format!("{} {}", d.code, d.span.map(|s| cluster.sources.location(s).to_string()).unwrap_or_default())
            })
            .collect();
        if !errors.is_empty() {
            with_errors.push(format!(
                "{}: {}",
                dir.file_name().unwrap_or_default().to_string_lossy(),
                errors.join("; ")
            ));
        }
    }
    eprintln!(
        "{} scenarios, {pods} pods/workloads, {policies} policies; with errors:\n  {}",
        scenarios.len(),
        with_errors.join("\n  ")
    );
    // Scenarios that are broken on purpose must be reported as errors, with a location.
    for broken in ["bad_yamls", "bad_netpols", "malformed_pod_example", "malformed-pod-example-2"] {
        if root.join(broken).is_dir() {
            assert!(
                with_errors.iter().any(|e| e.starts_with(broken)),
                "`{broken}` is malformed on purpose but no error was reported"
            );
        }
    }
}
