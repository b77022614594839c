//! Every API generation under one semantics. Parsing already reads each generation's policies into
//! the v1 model as the chosen release reads them; what remains is what an older release enforced
//! without any policy object. It is expressed here as implied v1 policies, so the query layer (the
//! reference evaluator and every fast path) needs no semantics of its own for old releases:
//!
//! - 1.2 and 1.3–1.6, isolation by namespace annotation: a namespace whose annotation isolates it
//!   gets a `default-deny` policy (every pod, ingress, no rule); the policies of the other namespaces
//!   change nothing on those releases and are left out, with a warning;
//! - Romana's demo (1.2): pods with an `owner` label are tenants; the pods of one owner and tier in a
//!   namespace reach each other and nothing else does, unless a Romana policy of that owner allows it.
//!   This is moat's reading of Romana's demo, where tenancy came from the plugin, not from a policy.
//!
//! The implied policies are exactly what `moat migrate` writes for a later release.

use std::collections::{BTreeMap, BTreeSet};

use crate::cluster::Cluster;
use crate::diagnostic::Diagnostic;
use crate::model::labels::{LabelSelector, Operator, Requirement};
use crate::model::policy::{NetworkPolicy, Origin, Peer, PeerKind, Rule};
use crate::model::versions::{ALPHA_ISOLATION_ANNOTATION, BETA_ISOLATION_ANNOTATION, Generation, IsolationModel};
use crate::parse::{ROMANA_OWNER_LABEL, ROMANA_TIER_LABEL};

/// The code of the warning on a policy that its release reads but that changes nothing there.
pub const POLICY_WITHOUT_EFFECT: &str = "policy-without-effect";

/// Applies the release's isolation model to an assembled cluster (see the module docs).
pub(crate) fn normalize(cluster: &mut Cluster, diags: &mut Vec<Diagnostic>) {
    let release = cluster.features.release;
    let mut names: BTreeSet<(String, String)> =
        cluster.policies.iter().map(|p| (p.namespace.clone(), p.name.clone())).collect();
    let mut implied = Vec::new();
    if let Some(generation) = match cluster.features.isolation() {
        IsolationModel::AlphaAnnotation => Some(Generation::Alpha),
        IsolationModel::DefaultDenyAnnotation => Some(Generation::ExtensionsV1beta1),
        IsolationModel::Selection => None,
    } {
        let annotation = match generation {
            Generation::Alpha => format!("`{ALPHA_ISOLATION_ANNOTATION}: \"on\"`"),
            _ => format!("`{BETA_ISOLATION_ANNOTATION}` with `DefaultDeny`"),
        };
        let isolated: BTreeMap<&str, _> = cluster
            .namespaces
            .iter()
            .filter_map(|ns| ns.isolation.filter(|i| i.isolated).map(|i| (ns.name.as_str(), i)))
            .collect();
        cluster.policies.retain(|policy| {
            // Romana's tenancy isolates its pods whatever the namespace says.
            let keep = policy.origin == Origin::Manifest(Generation::Romana)
                || isolated.contains_key(policy.namespace.as_str());
            if !keep {
                diags.push(
                    Diagnostic::warning(
                        POLICY_WITHOUT_EFFECT,
                        format!(
                            "namespace `{}` is not isolated, so on Kubernetes {release} policy `{}` changes nothing",
                            policy.namespace, policy.name
                        ),
                    )
                    .at(policy.span)
                    .help(format!(
                        "a namespace is isolated by the annotation {annotation}; from 1.7 on, this policy would isolate the pods it selects"
                    )),
                );
            }
            keep
        });
        for (namespace, isolation) in isolated {
            implied.push(NetworkPolicy {
                namespace: namespace.to_string(),
                name: unique_name(&mut names, namespace, "default-deny"),
                span: isolation.span,
                pod_selector: LabelSelector::default(),
                pod_selector_span: isolation.span,
                isolates_ingress: true,
                isolates_egress: false,
                policy_types_explicit: false,
                ingress: Vec::new(),
                egress: Vec::new(),
                origin: Origin::NamespaceIsolation(isolation.generation),
            });
        }
    }
    if cluster.features.serves(Generation::Romana) {
        let tenancy = romana_tenancy(cluster, &mut names);
        let has_romana_policies = cluster.policies.iter().any(|p| p.origin == Origin::Manifest(Generation::Romana));
        if let (Some(first), false) = (tenancy.first(), has_romana_policies) {
            diags.push(
                Diagnostic::warning(
                    "romana-tenancy",
                    format!(
                        "on Kubernetes {release} moat reads pods with an `{ROMANA_OWNER_LABEL}` label as tenants of Romana's demo: only pods of the same owner and `{ROMANA_TIER_LABEL}` reach them"
                    ),
                )
                .at(first.span)
                .help("this is moat's reading of the 1.2 era, when Romana's demo isolated tenants by these labels; without Romana they were not isolated"),
            );
        }
        implied.extend(tenancy);
    }
    if !implied.is_empty() {
        cluster.policies.extend(implied);
        cluster.policies.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    }
}

/// One implied policy per namespace, owner and tier: it selects those pods and admits them.
fn romana_tenancy(cluster: &Cluster, names: &mut BTreeSet<(String, String)>) -> Vec<NetworkPolicy> {
    let mut groups: BTreeMap<(&str, &str, Option<&str>), crate::source::Span> = BTreeMap::new();
    for pod in cluster.pods.iter().filter(|p| !p.host_network) {
        if let Some(owner) = pod.labels.get(ROMANA_OWNER_LABEL) {
            let tier = pod.labels.get(ROMANA_TIER_LABEL).map(String::as_str);
            groups.entry((pod.namespace.as_str(), owner.as_str(), tier)).or_insert(pod.span);
        }
    }
    groups
        .into_iter()
        .map(|((namespace, owner, tier), span)| {
            let mut selector = LabelSelector::default();
            selector.match_labels.insert(ROMANA_OWNER_LABEL.into(), owner.into());
            match tier {
                Some(tier) => {
                    selector.match_labels.insert(ROMANA_TIER_LABEL.into(), tier.into());
                }
                None => selector.match_expressions.push(Requirement {
                    key: ROMANA_TIER_LABEL.into(),
                    operator: Operator::DoesNotExist,
                    values: BTreeSet::new(),
                }),
            }
            let base = match tier {
                Some(tier) => format!("romana-{owner}-{tier}"),
                None => format!("romana-{owner}"),
            };
            let peer = Peer { span, kind: PeerKind::Selectors { pods: Some(selector.clone()), namespaces: None } };
            NetworkPolicy {
                namespace: namespace.to_string(),
                name: unique_name(names, namespace, &dns_name(&base)),
                span,
                pod_selector: selector,
                pod_selector_span: span,
                isolates_ingress: true,
                isolates_egress: false,
                policy_types_explicit: false,
                ingress: vec![Rule { span, peers: vec![peer], ports: Vec::new() }],
                egress: Vec::new(),
                origin: Origin::RomanaTenancy,
            }
        })
        .collect()
}

/// A DNS subdomain made of label values: lowercase, other characters replaced by `-`.
fn dns_name(text: &str) -> String {
    let name: String = text
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '.' { c.to_ascii_lowercase() } else { '-' })
        .collect();
    let name = name.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    name.chars().take(200).collect()
}

/// `base`, or `base-2`, `base-3`… when a policy of the namespace already has that name.
fn unique_name(names: &mut BTreeSet<(String, String)>, namespace: &str, base: &str) -> String {
    let mut name = base.to_string();
    let mut n = 1;
    while names.contains(&(namespace.to_string(), name.clone())) {
        n += 1;
        name = format!("{base}-{n}");
    }
    names.insert((namespace.to_string(), name.clone()));
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(dns_name("romana-T_1-Front end"), "romana-t-1-front-end");
        let mut names = BTreeSet::from([("a".to_string(), "default-deny".to_string())]);
        assert_eq!(unique_name(&mut names, "a", "default-deny"), "default-deny-2");
        assert_eq!(unique_name(&mut names, "b", "default-deny"), "default-deny");
    }
}
