//! The release table ([`crate::model::versions::FEATURES`]) for people: `moat versions`.

use std::fmt::Write;

use serde::Serialize;

use crate::model::versions::{FEATURES, FeatureRow, Features, NEWEST, OLDEST, Release};

/// The table, and for a chosen release whether each feature is on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VersionTable {
    pub oldest: Release,
    pub newest: Release,
    /// The release asked about, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kubernetes_version: Option<Release>,
    pub features: Vec<FeatureState>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FeatureState {
    #[serde(flatten)]
    pub row: FeatureRow,
    /// On in the release asked about (with its feature gates).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
}

pub fn table(features: Option<&Features>) -> VersionTable {
    VersionTable {
        oldest: OLDEST,
        newest: NEWEST,
        kubernetes_version: features.map(|f| f.release),
        features: FEATURES
            .iter()
            .map(|row| FeatureState { row: *row, enabled: features.map(|f| f.has(row.feature)) })
            .collect(),
    }
}

/// One block per feature: the releases that have it, what it is, its gate and its source.
pub fn text(table: &VersionTable) -> String {
    let mut out = format!(
        "NetworkPolicy across Kubernetes releases (moat knows {} to {}; the default is {})\n",
        table.oldest, table.newest, table.newest
    );
    if let Some(release) = table.kubernetes_version {
        let _ = writeln!(out, "on: what Kubernetes {release} enforces with the feature gates given");
    }
    for state in &table.features {
        let row = &state.row;
        let releases = match row.until {
            Some(until) => format!("{}–{}", row.since, Release::new(until.minor - 1)),
            None => format!("{}–", row.since),
        };
        let mark = match state.enabled {
            Some(true) => "on   ",
            Some(false) => "off  ",
            None => "",
        };
        let _ = writeln!(out, "\n{mark}{releases:<10} {}", row.what);
        let pad = " ".repeat(mark.len() + 11);
        if let Some(gate) = &row.gate {
            let _ = writeln!(out, "{pad}gate {}", gate.describe());
        }
        let _ = writeln!(out, "{pad}source: {}", row.source);
    }
    out
}
