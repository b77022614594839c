//! The native half of the wasm/native parity test: for every scenario of the corpus
//! (tests/scenarios/*.yaml), the input files and options the scenario harness uses, and the native
//! engine's `moat_engine::query::matrix` as JSON on every port the scenario asks about and on any
//! port. `tests/browser/parity.mjs` builds the same clusters through the JavaScript API and compares.
//!
//! `cargo run --release -p moat-wasm --example native_matrices -- OUT_DIR`

use std::path::PathBuf;

use moat_engine::model::ports::Protocol;
use moat_engine::query::{PortQuery, matrix};
use moat_tests::{PortValue, Scenario, scenario_files};
use serde_json::{Value, json};

fn main() -> Result<(), String> {
    let out = PathBuf::from(std::env::args().nth(1).ok_or("usage: native_matrices OUT_DIR")?);
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let scenarios = scenario_files();
    for path in &scenarios {
        let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let scenario = Scenario::load(path)?;
        let cluster = scenario.cluster(&file_name)?;
        let files: Vec<Value> =
            scenario.sources(&file_name)?.files().iter().map(|f| json!({ "name": f.name, "text": f.text })).collect();
        let protocol = |text: &Option<String>| text.as_deref().unwrap_or("TCP").parse::<Protocol>();
        let mut queries = vec![PortQuery::Any];
        let tables = scenario.tables.iter().map(|t| Ok(PortQuery::One(t.port, protocol(&t.protocol)?)));
        let flows = scenario.flows.iter().filter_map(|f| match f.port {
            PortValue::Number(port) => Some(protocol(&f.protocol).map(|p| PortQuery::One(port, p))),
            PortValue::Name(_) => None,
        });
        for query in tables.chain(flows) {
            let query = query?;
            if !queries.contains(&query) {
                queries.push(query);
            }
        }
        let matrices: Vec<Value> = queries
            .into_iter()
            .map(|query| serde_json::to_value(matrix(&cluster, query)).map_err(|e| e.to_string()))
            .collect::<Result<_, _>>()?;
        let fixture = json!({
            "scenario": file_name,
            "files": files,
            "options": { "kubernetesVersion": scenario.kubernetes_version, "featureGates": scenario.feature_gates },
            "matrices": matrices,
        });
        let target = out.join(path.with_extension("json").file_name().unwrap_or_default());
        std::fs::write(&target, fixture.to_string()).map_err(|e| format!("{}: {e}", target.display()))?;
    }
    println!("{} scenarios", scenarios.len());
    Ok(())
}
