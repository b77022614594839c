//! The release history of NetworkPolicy: which API versions a Kubernetes release serves, which
//! isolation model it enforces and which fields it knows, with the feature gates that switch fields
//! on. [`FEATURES`] is the only place these facts are written down; parsing, cluster assembly,
//! migration and `moat versions` all read it.
//!
//! Sources, checked against the Kubernetes changelogs, API reference and code:
//! - 1.2 alpha: <https://kubernetes.io/blog/2016/04/kubernetes-network-policy-apis/>;
//! - Romana's demo: `kubernetes/DEMO.md` and `kubernetes/example-controller.yaml` in romana/romana;
//! - 1.3 `extensions/v1beta1` and the `DefaultDeny` annotation: kubernetes/kubernetes
//!   `docs/proposals/network-policy.md`;
//! - 1.7 `networking.k8s.io/v1`, isolation by selection, annotation removed: CHANGELOG-1.7 (#39164),
//!   and `pkg/apis/networking/validation/validation.go` of 1.7 (one peer type, TCP/UDP only);
//! - 1.8 egress, `ipBlock`, `policyTypes`: kubernetes/kubernetes#51351, kubernetes/enhancements#366,
//!   #367 and #435;
//! - 1.11 both selectors in one peer: kubernetes/kubernetes#60452;
//! - SCTP, `endPort` and the namespace name label: the feature gate pages `SCTPSupport`,
//!   `NetworkPolicyEndPort` and `NamespaceDefaultLabelName` of kubernetes/website and
//!   `pkg/features/kube_features.go` (GA gates are locked to their default);
//!   `pkg/apis/networking/validation/conditional_validation.go` (SCTP rejected while its gate is
//!   off) and `pkg/registry/networking/networkpolicy/strategy.go` (`endPort` dropped while its gate
//!   is off);
//! - 1.16 `extensions/v1beta1` no longer served:
//!   <https://kubernetes.io/blog/2019/07/18/api-deprecations-in-1-16/>;
//! - newest release 1.37: CHANGELOG-1.37 (1.38 is in alpha).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::diagnostic::Diagnostic;

/// The 1.2 alpha namespace annotation: `"on"` isolates the namespace's pods for ingress.
pub const ALPHA_ISOLATION_ANNOTATION: &str = "net.alpha.kubernetes.io/network-isolation";
/// The 1.3–1.6 namespace annotation: `{"ingress": {"isolation": "DefaultDeny"}}` isolates the
/// namespace's pods for ingress.
pub const BETA_ISOLATION_ANNOTATION: &str = "net.beta.kubernetes.io/network-policy";

/// A Kubernetes minor release, `1.<minor>`. NetworkPolicy did not exist before 1.2.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Release {
    pub minor: u16,
}

impl Release {
    pub const fn new(minor: u16) -> Release {
        Release { minor }
    }
}

/// The first release with a NetworkPolicy API.
pub const OLDEST: Release = Release::new(2);
/// The newest release whose NetworkPolicy facts are encoded here.
pub const NEWEST: Release = Release::new(37);

impl Default for Release {
    fn default() -> Self {
        NEWEST
    }
}

impl std::fmt::Display for Release {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "1.{}", self.minor)
    }
}

impl Serialize for Release {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl std::str::FromStr for Release {
    type Err = String;
    /// `1.6`, `v1.6` or `1.6.3` (the patch release changes nothing here).
    fn from_str(text: &str) -> Result<Self, String> {
        let bad = || format!("`{text}` is not a Kubernetes release; write it as `1.<minor>`, e.g. `1.6`");
        let mut parts = text.strip_prefix('v').unwrap_or(text).split('.');
        let (Some(major), Some(minor)) = (parts.next(), parts.next()) else { return Err(bad()) };
        if parts.clone().count() > 1 || parts.any(|p| p.parse::<u32>().is_err()) {
            return Err(bad());
        }
        match (major.parse::<u16>(), minor.parse::<u16>()) {
            (Ok(1), Ok(minor)) if Release::new(minor) >= OLDEST => Ok(Release::new(minor)),
            (Ok(1), Ok(_)) => {
                Err(format!("NetworkPolicy does not exist before Kubernetes {OLDEST}, so `{text}` has none"))
            }
            _ => Err(bad()),
        }
    }
}

/// What a release may or may not do with NetworkPolicy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Feature {
    /// `net.alpha.kubernetes.io/v1alpha1` policies and the `network-isolation` namespace annotation.
    AlphaApi,
    /// `romana.io/demo/v1` policies and Romana's tenancy by the `owner` label.
    RomanaDemoApi,
    ExtensionsV1beta1Api,
    /// Isolation by the `net.beta.kubernetes.io/network-policy` namespace annotation.
    DefaultDenyAnnotation,
    /// `networking.k8s.io/v1`, where a pod is isolated once a policy selects it.
    NetworkingV1Api,
    Egress,
    PolicyTypes,
    IpBlock,
    /// `namespaceSelector` and `podSelector` in one peer (AND).
    PeerSelectorsAnd,
    Sctp,
    EndPort,
    /// The automatic `kubernetes.io/metadata.name` namespace label.
    NamespaceNameLabel,
}

/// Maturity of a feature gate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Maturity {
    Alpha,
    Beta,
    Ga,
}

/// One stage of a feature gate, `from..=to`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct GateStage {
    pub from: Release,
    pub to: Release,
    pub maturity: Maturity,
    pub default: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Gate {
    pub name: &'static str,
    /// In release order; after the last stage the gate is gone and the feature always on.
    pub stages: &'static [GateStage],
}

/// One row of the release table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct FeatureRow {
    pub feature: Feature,
    /// What the feature is, in a few words.
    pub what: &'static str,
    pub since: Release,
    /// The first release without it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<Release>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gate: Option<Gate>,
    /// Where the fact was checked.
    pub source: &'static str,
}

const fn stage(from: u16, to: u16, maturity: Maturity, default: bool) -> GateStage {
    GateStage { from: Release::new(from), to: Release::new(to), maturity, default }
}

/// The release history of NetworkPolicy, oldest first.
pub const FEATURES: &[FeatureRow] = &[
    FeatureRow {
        feature: Feature::AlphaApi,
        what: "`net.alpha.kubernetes.io/v1alpha1` NetworkPolicy (a ThirdPartyResource read by the network plugins) and namespace isolation by the annotation `net.alpha.kubernetes.io/network-isolation: \"on\"`",
        since: Release::new(2),
        until: Some(Release::new(3)),
        gate: None,
        source: "https://kubernetes.io/blog/2016/04/kubernetes-network-policy-apis/",
    },
    FeatureRow {
        feature: Feature::RomanaDemoApi,
        what: "`romana.io/demo/v1` NetworkPolicy of Romana's demo; pods with an `owner` label are isolated tenants (moat's reading of the demo)",
        since: Release::new(2),
        until: Some(Release::new(3)),
        gate: None,
        source: "romana/romana kubernetes/DEMO.md",
    },
    FeatureRow {
        feature: Feature::ExtensionsV1beta1Api,
        what: "`extensions/v1beta1` NetworkPolicy",
        since: Release::new(3),
        until: Some(Release::new(16)),
        gate: None,
        source: "kubernetes/kubernetes docs/proposals/network-policy.md; https://kubernetes.io/blog/2019/07/18/api-deprecations-in-1-16/",
    },
    FeatureRow {
        feature: Feature::DefaultDenyAnnotation,
        what: "pods are isolated only in namespaces annotated `net.beta.kubernetes.io/network-policy: {\"ingress\": {\"isolation\": \"DefaultDeny\"}}`; policies elsewhere change nothing",
        since: Release::new(3),
        until: Some(Release::new(7)),
        gate: None,
        source: "kubernetes/kubernetes docs/proposals/network-policy.md; CHANGELOG-1.7 (#39164)",
    },
    FeatureRow {
        feature: Feature::NetworkingV1Api,
        what: "`networking.k8s.io/v1` NetworkPolicy; a pod is isolated once a policy selects it, the namespace annotation is ignored",
        since: Release::new(7),
        until: None,
        gate: None,
        source: "CHANGELOG-1.7 (#39164); pkg/apis/networking/validation/validation.go at 1.7",
    },
    FeatureRow {
        feature: Feature::Egress,
        what: "`egress` rules",
        since: Release::new(8),
        until: None,
        gate: None,
        source: "kubernetes/kubernetes#51351; kubernetes/enhancements#366",
    },
    FeatureRow {
        feature: Feature::PolicyTypes,
        what: "`policyTypes`",
        since: Release::new(8),
        until: None,
        gate: None,
        source: "kubernetes/kubernetes#51351",
    },
    FeatureRow {
        feature: Feature::IpBlock,
        what: "`ipBlock` peers",
        since: Release::new(8),
        until: None,
        gate: None,
        source: "kubernetes/enhancements#367 and #435",
    },
    FeatureRow {
        feature: Feature::PeerSelectorsAnd,
        what: "`namespaceSelector` and `podSelector` in one peer (AND)",
        since: Release::new(11),
        until: None,
        gate: None,
        source: "kubernetes/kubernetes#60452",
    },
    FeatureRow {
        feature: Feature::Sctp,
        what: "protocol `SCTP`",
        since: Release::new(12),
        until: None,
        gate: Some(Gate {
            name: "SCTPSupport",
            stages: &[
                stage(12, 18, Maturity::Alpha, false),
                stage(19, 19, Maturity::Beta, true),
                stage(20, 22, Maturity::Ga, true),
            ],
        }),
        source: "kubernetes/website feature gate SCTPSupport; pkg/apis/networking/validation/conditional_validation.go",
    },
    FeatureRow {
        feature: Feature::EndPort,
        what: "`endPort` port ranges",
        since: Release::new(21),
        until: None,
        gate: Some(Gate {
            name: "NetworkPolicyEndPort",
            stages: &[
                stage(21, 21, Maturity::Alpha, false),
                stage(22, 24, Maturity::Beta, true),
                stage(25, 26, Maturity::Ga, true),
            ],
        }),
        source: "kubernetes/website feature gate NetworkPolicyEndPort; pkg/registry/networking/networkpolicy/strategy.go",
    },
    FeatureRow {
        feature: Feature::NamespaceNameLabel,
        what: "the automatic namespace label `kubernetes.io/metadata.name`",
        since: Release::new(21),
        until: None,
        gate: Some(Gate {
            name: "NamespaceDefaultLabelName",
            stages: &[stage(21, 21, Maturity::Beta, true), stage(22, 23, Maturity::Ga, true)],
        }),
        source: "kubernetes/website feature gate NamespaceDefaultLabelName; pkg/features/kube_features.go at 1.21",
    },
];

/// The table row of a feature.
pub fn row(feature: Feature) -> &'static FeatureRow {
    // Every feature has a row (checked by a test), so the fallback is never taken.
    FEATURES.iter().find(|r| r.feature == feature).unwrap_or(&FEATURES[0])
}

/// The API generations of NetworkPolicy moat reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Generation {
    /// `net.alpha.kubernetes.io/v1alpha1` (1.2).
    Alpha,
    /// `romana.io/demo/v1` (Romana's 1.2 demo).
    Romana,
    /// `extensions/v1beta1` (1.3–1.15).
    ExtensionsV1beta1,
    /// `networking.k8s.io/v1` (1.7 on).
    NetworkingV1,
}

impl Generation {
    pub const ALL: [Generation; 4] =
        [Generation::Alpha, Generation::Romana, Generation::ExtensionsV1beta1, Generation::NetworkingV1];

    pub fn from_api_version(api_version: &str) -> Option<Generation> {
        Generation::ALL.into_iter().find(|g| g.api_version() == api_version)
    }

    pub fn api_version(self) -> &'static str {
        match self {
            Generation::Alpha => "net.alpha.kubernetes.io/v1alpha1",
            Generation::Romana => "romana.io/demo/v1",
            Generation::ExtensionsV1beta1 => "extensions/v1beta1",
            Generation::NetworkingV1 => "networking.k8s.io/v1",
        }
    }

    /// The feature that serves this API version.
    pub fn feature(self) -> Feature {
        match self {
            Generation::Alpha => Feature::AlphaApi,
            Generation::Romana => Feature::RomanaDemoApi,
            Generation::ExtensionsV1beta1 => Feature::ExtensionsV1beta1Api,
            Generation::NetworkingV1 => Feature::NetworkingV1Api,
        }
    }
}

/// How a release decides which pods are isolated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IsolationModel {
    /// 1.2: namespaces annotated `net.alpha.kubernetes.io/network-isolation: "on"` isolate ingress.
    AlphaAnnotation,
    /// 1.3–1.6: namespaces annotated with `DefaultDeny` isolate ingress.
    DefaultDenyAnnotation,
    /// 1.7 on: a pod is isolated for a direction once a policy of that type selects it.
    Selection,
}

/// Evaluation options: the Kubernetes release and its feature gates.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Options {
    pub kubernetes_version: Release,
    /// `--feature-gates Name=true|false`; gates not given keep the release's default.
    pub feature_gates: BTreeMap<String, bool>,
}

impl Options {
    pub fn at(kubernetes_version: Release) -> Options {
        Options { kubernetes_version, feature_gates: BTreeMap::new() }
    }

    /// The features of the release with its gates, and what is wrong with the options: errors for
    /// gates the release does not have or locks (the API server refuses to start with them; they are
    /// ignored here), warnings for gates that do not concern NetworkPolicy and releases newer than
    /// [`NEWEST`].
    pub fn resolve(&self) -> (Features, Vec<Diagnostic>) {
        let release = self.kubernetes_version;
        let mut diagnostics = Vec::new();
        if release > NEWEST {
            diagnostics.push(
                Diagnostic::warning(
                    "unknown-release",
                    format!("Kubernetes {release} is newer than the newest release moat knows ({NEWEST})"),
                )
                .help(format!("it is evaluated with the NetworkPolicy semantics of {NEWEST}")),
            );
        }
        for (name, &value) in &self.feature_gates {
            let Some(gate) = FEATURES.iter().filter_map(|r| r.gate.as_ref()).find(|g| g.name == name) else {
                diagnostics.push(
                    Diagnostic::warning(
                        "unknown-feature-gate",
                        format!("feature gate `{name}` does not change NetworkPolicy; it is ignored"),
                    )
                    .help(gate_names()),
                );
                continue;
            };
            match gate.stage(release) {
                None => diagnostics.push(
                    Diagnostic::error(
                        "invalid-feature-gate",
                        format!("Kubernetes {release} has no feature gate `{name}`; it is ignored"),
                    )
                    .help(gate.describe()),
                ),
                Some(stage) if stage.maturity == Maturity::Ga && value != stage.default => diagnostics.push(
                    Diagnostic::error(
                        "invalid-feature-gate",
                        format!(
                            "feature gate `{name}` is GA and locked to `{}` in Kubernetes {release}; `{value}` is ignored",
                            stage.default
                        ),
                    )
                    .help(gate.describe()),
                ),
                Some(_) => {}
            }
        }
        let mut enabled = 0u32;
        for row in FEATURES {
            let available = release >= row.since && row.until.is_none_or(|until| release < until);
            let on = available
                && row.gate.as_ref().is_none_or(|gate| match gate.stage(release) {
                    // A GA gate is locked: a contrary value was reported above and is ignored.
                    Some(stage) if stage.maturity == Maturity::Ga => stage.default,
                    Some(stage) => self.feature_gates.get(gate.name).copied().unwrap_or(stage.default),
                    // Past its last stage the gate is gone and the feature always on.
                    None => true,
                });
            if on {
                enabled |= 1 << row.feature as u32;
            }
        }
        (Features { release, enabled }, diagnostics)
    }
}

fn gate_names() -> String {
    let names: Vec<&str> = FEATURES.iter().filter_map(|r| r.gate.as_ref().map(|g| g.name)).collect();
    format!("the gates that change NetworkPolicy are {}", names.join(", "))
}

impl Gate {
    fn stage(&self, release: Release) -> Option<&GateStage> {
        self.stages.iter().find(|s| (s.from..=s.to).contains(&release))
    }

    /// `` `SCTPSupport`: Alpha 1.12–1.18 (default false), Beta 1.19 (default true), … ``
    pub fn describe(&self) -> String {
        let stages: Vec<String> = self
            .stages
            .iter()
            .map(|s| {
                let releases = if s.from == s.to { s.from.to_string() } else { format!("{}–{}", s.from, s.to) };
                let lock = if s.maturity == Maturity::Ga { ", locked" } else { "" };
                let maturity = match s.maturity {
                    Maturity::Alpha => "alpha",
                    Maturity::Beta => "beta",
                    Maturity::Ga => "GA",
                };
                format!("{maturity} {releases} (default {}{lock})", s.default)
            })
            .collect();
        format!("`{}`: {}", self.name, stages.join(", "))
    }
}

/// What one release, with its feature gates, does with NetworkPolicy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Features {
    pub release: Release,
    /// One bit per [`Feature`].
    enabled: u32,
}

impl Default for Features {
    fn default() -> Self {
        Options::default().resolve().0
    }
}

impl Features {
    pub fn has(&self, feature: Feature) -> bool {
        self.enabled & (1 << feature as u32) != 0
    }

    /// Whether this release serves (and its plugins enforce) policies of a generation.
    pub fn serves(&self, generation: Generation) -> bool {
        self.has(generation.feature())
    }

    pub fn isolation(&self) -> IsolationModel {
        if self.has(Feature::AlphaApi) {
            IsolationModel::AlphaAnnotation
        } else if self.has(Feature::DefaultDenyAnnotation) {
            IsolationModel::DefaultDenyAnnotation
        } else {
            IsolationModel::Selection
        }
    }

    /// Why a feature is off in this release, for messages: `it came in 1.8`, `it needs the feature
    /// gate NetworkPolicyEndPort (off by default in 1.21)`, `it was served until 1.15`.
    pub fn why_not(&self, feature: Feature) -> String {
        let row = row(feature);
        if self.release < row.since {
            return format!("it came in {}", row.since);
        }
        if let Some(until) = row.until.filter(|&until| self.release >= until) {
            return format!("it was there until {}", Release::new(until.minor - 1));
        }
        match row.gate.as_ref() {
            Some(gate) => format!(
                "it needs the feature gate `{}`, off by default in {} (`--feature-gates {}=true`)",
                gate.name, self.release, gate.name
            ),
            None => "this release does not have it".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn features(minor: u16, gates: &[(&str, bool)]) -> (Features, Vec<Diagnostic>) {
        Options {
            kubernetes_version: Release::new(minor),
            feature_gates: gates.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        }
        .resolve()
    }

    #[test]
    fn releases_parse() {
        assert_eq!("1.6".parse::<Release>(), Ok(Release::new(6)));
        assert_eq!("v1.21.3".parse::<Release>(), Ok(Release::new(21)));
        assert!("1.1".parse::<Release>().is_err());
        assert!("2.0".parse::<Release>().is_err());
        assert!("1".parse::<Release>().is_err());
        assert!("1.x".parse::<Release>().is_err());
        assert!("1.6.3.4".parse::<Release>().is_err());
        assert_eq!(Release::new(6).to_string(), "1.6");
    }

    #[test]
    fn every_feature_has_one_row_in_release_order() {
        for row in FEATURES {
            assert_eq!(FEATURES.iter().filter(|r| r.feature == row.feature).count(), 1);
            assert_eq!(super::row(row.feature).feature, row.feature);
        }
        assert!(FEATURES.windows(2).all(|w| w[0].since <= w[1].since));
    }

    #[test]
    fn the_history() {
        let at = |minor| features(minor, &[]).0;
        assert_eq!(at(2).isolation(), IsolationModel::AlphaAnnotation);
        assert!(at(2).serves(Generation::Romana) && !at(2).serves(Generation::ExtensionsV1beta1));
        assert_eq!(at(6).isolation(), IsolationModel::DefaultDenyAnnotation);
        assert!(!at(6).serves(Generation::NetworkingV1) && !at(6).serves(Generation::Alpha));
        assert_eq!(at(7).isolation(), IsolationModel::Selection);
        assert!(at(7).serves(Generation::ExtensionsV1beta1) && !at(7).has(Feature::Egress));
        assert!(at(8).has(Feature::IpBlock) && !at(8).has(Feature::PeerSelectorsAnd));
        assert!(at(11).has(Feature::PeerSelectorsAnd) && !at(11).has(Feature::Sctp));
        assert!(!at(18).has(Feature::Sctp) && at(19).has(Feature::Sctp));
        assert!(at(15).serves(Generation::ExtensionsV1beta1) && !at(16).serves(Generation::ExtensionsV1beta1));
        assert!(!at(21).has(Feature::EndPort) && at(21).has(Feature::NamespaceNameLabel));
        assert!(at(22).has(Feature::EndPort) && !at(20).has(Feature::NamespaceNameLabel));
        assert!(at(37).has(Feature::EndPort) && at(37).has(Feature::Sctp));
        assert_eq!(Features::default(), at(37));
    }

    #[test]
    fn gates() {
        let (f, d) = features(15, &[("SCTPSupport", true)]);
        assert!(f.has(Feature::Sctp) && d.is_empty());
        let (f, d) = features(21, &[("NetworkPolicyEndPort", true), ("NamespaceDefaultLabelName", false)]);
        assert!(f.has(Feature::EndPort) && !f.has(Feature::NamespaceNameLabel) && d.is_empty());
        let (f, d) = features(25, &[("NetworkPolicyEndPort", false)]);
        assert!(f.has(Feature::EndPort));
        assert_eq!(d[0].code, "invalid-feature-gate");
        let (_, d) = features(11, &[("SCTPSupport", true)]);
        assert_eq!(d[0].code, "invalid-feature-gate");
        let (_, d) = features(30, &[("MemoryQoS", true)]);
        assert_eq!(d[0].code, "unknown-feature-gate");
        let (_, d) = features(40, &[]);
        assert_eq!(d[0].code, "unknown-release");
        assert_eq!(features(7, &[]).0.why_not(Feature::Egress), "it came in 1.8");
        assert_eq!(features(16, &[]).0.why_not(Feature::ExtensionsV1beta1Api), "it was there until 1.15");
        assert!(features(21, &[]).0.why_not(Feature::EndPort).contains("NetworkPolicyEndPort"));
    }
}
