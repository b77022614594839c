//! Example clusters bundled with the engine: the CLI's `--example` inputs and the playground's
//! starting points. Each is one YAML file that begins with a comment explaining it.

use serde::Serialize;

/// A bundled example cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Example {
    /// Short identifier (`moat --example NAME`).
    pub name: &'static str,
    /// One line saying what it shows.
    pub title: &'static str,
    /// The manifests.
    pub text: &'static str,
}

/// Every example; the first is the default.
pub const EXAMPLES: &[Example] = &[
    Example {
        name: "classic",
        title: "the six classic NetworkPolicy use cases in one cluster of six namespaces",
        text: include_str!("classic.yaml"),
    },
    Example {
        name: "docs",
        title: "the Kubernetes documentation's test-network-policy, in a small cluster",
        text: include_str!("docs.yaml"),
    },
];

/// The example called `name`.
pub fn find(name: &str) -> Option<&'static Example> {
    EXAMPLES.iter().find(|example| example.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Cluster;
    use crate::query::{PortQuery, matrix};

    #[test]
    fn every_example_loads_without_errors_or_warnings() {
        for example in EXAMPLES {
            let cluster = Cluster::from_texts([(example.name, example.text)]);
            assert!(cluster.diagnostics.is_empty(), "{}: {:?}", example.name, cluster.diagnostics);
            assert!(!cluster.pods.is_empty() && !cluster.policies.is_empty(), "{}", example.name);
            assert!(example.text.starts_with("# "), "{} must begin with a comment explaining it", example.name);
        }
    }

    #[test]
    fn classic_is_the_default_and_has_a_non_trivial_matrix() {
        assert_eq!(EXAMPLES[0].name, "classic");
        let cluster = Cluster::from_texts([("classic.yaml", EXAMPLES[0].text)]);
        assert!((15..=25).contains(&cluster.pods.len()), "{} pods", cluster.pods.len());
        let cells: Vec<bool> = matrix(&cluster, PortQuery::Any).allowed.into_iter().flatten().collect();
        assert!(cells.contains(&true) && cells.contains(&false));
        assert_eq!(find("docs").map(|e| e.name), Some("docs"));
        assert_eq!(find("nope"), None);
    }
}
