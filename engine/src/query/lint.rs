//! What is wrong or risky in the policies of an input, beyond what the API server rejects: each
//! finding is a [`Diagnostic`] with a stable code from [`RULES`], a severity, the span of the YAML it
//! is about and a help line, so that the text, JSON and SARIF views and editors all read one shape.
//!
//! Findings about selection and reachability are judged against the pods and workloads of the input
//! (with [`super::matching`] and [`super::flow`]): a selector that matches nothing here may match pods
//! that are not part of the input. When the input has no pods at all, those checks are skipped with
//! a note. Policies that an older release implies (namespace isolation annotations) have no YAML of
//! their own and are not linted; the problems of API versions are reported when the input is read.

use std::collections::BTreeSet;

use super::connectivity::address_ranges;
use super::flow::policy_connections;
use super::matching::{match_peer, selects};
use super::workloads::{Workloads, workloads};
use crate::cluster::{Cluster, EndpointId, PodIdx, PolicyIdx};
use crate::diagnostic::{Diagnostic, Severity};
use crate::model::policy::{Direction, NetworkPolicy, Origin, PeerKind, PortSpec, Rule};
use crate::model::ports::{PortSet, Protocol};

/// A check of `moat lint`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LintRule {
    pub code: &'static str,
    pub severity: Severity,
    /// One line on what the check finds (SARIF `shortDescription`).
    pub summary: &'static str,
}

pub const SELECTS_NOTHING: &str = "policy-selects-nothing";
pub const PEER_MATCHES_NOTHING: &str = "peer-matches-nothing";
pub const NAMED_PORT_UNDECLARED: &str = "named-port-undeclared";
pub const EGRESS_WITHOUT_DNS: &str = "egress-without-dns";
pub const ACCIDENTAL_OR: &str = "accidental-or";
pub const REDUNDANT_RULE: &str = "redundant-rule";
pub const ALLOW_ALL_RULE: &str = "allow-all-rule";
pub const IP_BLOCK_MATCHES_PODS: &str = "ipblock-matches-pods";
pub const UNPROTECTED_WORKLOAD: &str = "unprotected-workload";
pub const DEPRECATED_API_VERSION: &str = "deprecated-api-version";
pub const UNSERVED_API_VERSION: &str = "unserved-api-version";
pub const NO_PODS: &str = "no-pods";

/// Every check, in the order they run.
pub const RULES: &[LintRule] = &[
    LintRule { code: SELECTS_NOTHING, severity: Severity::Warning, summary: "a policy selects no pod of the input" },
    LintRule {
        code: PEER_MATCHES_NOTHING,
        severity: Severity::Warning,
        summary: "a rule peer matches no pod or namespace of the input",
    },
    LintRule {
        code: NAMED_PORT_UNDECLARED,
        severity: Severity::Warning,
        summary: "a named port that no destination pod of the rule declares",
    },
    LintRule {
        code: EGRESS_WITHOUT_DNS,
        severity: Severity::Warning,
        summary: "egress-isolated pods that may open connections but cannot reach DNS (port 53)",
    },
    LintRule {
        code: ACCIDENTAL_OR,
        severity: Severity::Warning,
        summary: "a namespaceSelector item followed by a podSelector item: two alternatives where one peer may have been meant",
    },
    LintRule {
        code: REDUNDANT_RULE,
        severity: Severity::Warning,
        summary: "a rule that allows nothing beyond the other rules for the pods it applies to",
    },
    LintRule {
        code: ALLOW_ALL_RULE,
        severity: Severity::Warning,
        summary: "an empty rule (`{}`) that allows every peer on every port, outside the cluster too",
    },
    LintRule {
        code: IP_BLOCK_MATCHES_PODS,
        severity: Severity::Warning,
        summary: "an ipBlock that contains IP addresses of pods of the input",
    },
    LintRule { code: UNPROTECTED_WORKLOAD, severity: Severity::Warning, summary: "a workload that no policy selects" },
    LintRule {
        code: DEPRECATED_API_VERSION,
        severity: Severity::Warning,
        summary: "a workload of an API version that the chosen release deprecates",
    },
    LintRule {
        code: UNSERVED_API_VERSION,
        severity: Severity::Warning,
        summary: "a workload of an API version that the chosen release no longer serves",
    },
    LintRule {
        code: NO_PODS,
        severity: Severity::Note,
        summary: "the input has no pods, so checks that need them were skipped",
    },
];

/// The [`LintRule`] of a code.
pub fn rule(code: &str) -> Option<&'static LintRule> {
    RULES.iter().find(|r| r.code == code)
}

/// The findings of every check, in source order of the policies (pods for workload findings).
pub fn lint(cluster: &Cluster) -> Vec<Diagnostic> {
    let linter = Linter { cluster, workloads: workloads(cluster) };
    let mut out = Vec::new();
    for (pi, policy) in cluster.policies.iter().enumerate() {
        if !matches!(policy.origin, Origin::Manifest(_)) {
            continue;
        }
        linter.allow_all_rules(policy, &mut out);
        linter.accidental_or(policy, &mut out);
        if !cluster.pods.is_empty() {
            linter.selects_nothing(policy, &mut out);
            linter.peers_matching_nothing(policy, &mut out);
            linter.undeclared_named_ports(policy, &mut out);
            linter.ip_blocks_matching_pods(policy, &mut out);
            linter.redundant_rules(pi, &mut out);
        }
    }
    api_versions(cluster, &mut out);
    if cluster.pods.is_empty() {
        out.push(
            Diagnostic::note(NO_PODS, "the input has no pods or workloads, so checks that need them were skipped")
                .help("add the manifests of the workloads the policies are for"),
        );
    } else {
        linter.egress_without_dns(&mut out);
        linter.unprotected_workloads(&mut out);
    }
    out
}

/// Workload API versions that releases stopped serving: (apiVersion, kinds, deprecated in 1.x,
/// removed in 1.x), from the Kubernetes deprecation guide. The API versions of NetworkPolicy are
/// judged when the input is read (`parse`), as they change what is evaluated.
const WORKLOAD_API_VERSIONS: &[(&str, &[&str], u16, u16)] = &[
    ("extensions/v1beta1", &["DaemonSet", "Deployment", "ReplicaSet"], 9, 16),
    ("apps/v1beta1", &["Deployment", "StatefulSet"], 9, 16),
    ("apps/v1beta2", &["DaemonSet", "Deployment", "ReplicaSet", "StatefulSet"], 9, 16),
    ("batch/v2alpha1", &["CronJob"], 8, 21),
    ("batch/v1beta1", &["CronJob"], 21, 25),
];

/// Workload manifests of an API version that the cluster's release deprecates or no longer serves.
/// moat reads them anyway (the pods they stand for are what matters), but `kubectl apply` would fail.
fn api_versions(cluster: &Cluster, out: &mut Vec<Diagnostic>) {
    let release = cluster.features.release;
    for (i, file) in cluster.sources.files().iter().enumerate() {
        let id = crate::source::FileId(u32::try_from(i).unwrap_or(u32::MAX));
        // Syntax errors were reported when the input was read.
        let mut ignored = Vec::new();
        for doc in crate::parse::yaml::parse_documents(id, file, &mut ignored) {
            let items = doc.get("items").and_then(|items| match &items.value {
                crate::parse::yaml::Value::Seq(items) => Some(items.as_slice()),
                _ => None,
            });
            for object in items.unwrap_or(std::slice::from_ref(&doc)) {
                let (Some(version), Some(kind)) =
                    (object.get("apiVersion"), object.get("kind").and_then(|k| k.as_str()))
                else {
                    continue;
                };
                let Some(&(api, _, deprecated, removed)) = WORKLOAD_API_VERSIONS
                    .iter()
                    .find(|(api, kinds, _, _)| version.as_str() == Some(*api) && kinds.contains(&kind))
                else {
                    continue;
                };
                let (code, what) = if release.minor >= removed {
                    (UNSERVED_API_VERSION, format!("no longer serves `{api}` {kind} (removed in 1.{removed})"))
                } else if release.minor >= deprecated {
                    (DEPRECATED_API_VERSION, format!("deprecates `{api}` {kind} (removed in 1.{removed})"))
                } else {
                    continue;
                };
                let replacement = if kind == "CronJob" { "batch/v1" } else { "apps/v1" };
                out.push(
                    Diagnostic::warning(code, format!("Kubernetes {release} {what}"))
                        .at(version.span)
                        .help(format!("write `apiVersion: {replacement}`; moat reads the manifest anyway, but `kubectl apply` would refuse it once the version is gone")),
                );
            }
        }
    }
}

struct Linter<'c> {
    cluster: &'c Cluster,
    workloads: Workloads,
}

/// `from[1]` or `to[0]`.
fn peer_field(direction: Direction, index: usize) -> String {
    format!("{}[{index}]", direction.peers_field())
}

/// `prod/db ingress[0]`.
fn rule_name(policy: &NetworkPolicy, direction: Direction, index: usize) -> String {
    format!("{} {}[{index}]", policy.id(), direction.as_str())
}

const DIRECTIONS: [Direction; 2] = [Direction::Ingress, Direction::Egress];

impl Linter<'_> {
    /// The representative pod of every workload: pods of one workload are alike to every policy.
    fn representatives(&self) -> impl Iterator<Item = PodIdx> + '_ {
        self.workloads.list.iter().map(|w| w.representative())
    }

    fn allow_all_rules(&self, policy: &NetworkPolicy, out: &mut Vec<Diagnostic>) {
        for direction in DIRECTIONS.into_iter().filter(|&d| policy.isolates(d)) {
            for (i, rule) in policy.rules(direction).iter().enumerate() {
                if !rule.peers.is_empty() || !rule.ports.is_empty() {
                    continue;
                }
                let (what, field) = match direction {
                    Direction::Ingress => ("from every source", "from"),
                    Direction::Egress => ("to every destination", "to"),
                };
                out.push(
                    Diagnostic::warning(
                        ALLOW_ALL_RULE,
                        format!(
                            "`{}` allows all traffic {what} on every port, outside the cluster too",
                            rule_name(policy, direction, i)
                        ),
                    )
                    .at(rule.span)
                    .help(format!(
                        "if only the cluster's pods are meant, write `{field}: [{{namespaceSelector: {{}}}}]`; if all is meant, this is fine"
                    )),
                );
            }
        }
    }

    fn accidental_or(&self, policy: &NetworkPolicy, out: &mut Vec<Diagnostic>) {
        for direction in DIRECTIONS {
            for rule in policy.rules(direction) {
                for (i, pair) in rule.peers.windows(2).enumerate() {
                    let (
                        PeerKind::Selectors { pods: None, namespaces: Some(namespaces) },
                        PeerKind::Selectors { pods: Some(pods), namespaces: None },
                    ) = (&pair[0].kind, &pair[1].kind)
                    else {
                        continue;
                    };
                    out.push(
                        Diagnostic::warning(
                            ACCIDENTAL_OR,
                            format!(
                                "`{}` and `{}` are two alternatives: every pod of the namespaces matching `{}`, or the pods matching `{}` in `{}`",
                                peer_field(direction, i),
                                peer_field(direction, i + 1),
                                namespaces.describe(),
                                pods.describe(),
                                policy.namespace
                            ),
                        )
                        .at(pair[1].span)
                        .label("a new list item")
                        .help("to allow only the matching pods of those namespaces, make it one item with both selectors: remove the `-` before `podSelector`"),
                    );
                }
            }
        }
    }

    fn selects_nothing(&self, policy: &NetworkPolicy, out: &mut Vec<Diagnostic>) {
        if (0..self.cluster.pods.len()).any(|p| selects(self.cluster, policy, p)) {
            return;
        }
        out.push(
            Diagnostic::warning(
                SELECTS_NOTHING,
                format!(
                    "policy `{}` selects no pod: no pod of namespace `{}` matches `{}`",
                    policy.id(),
                    policy.namespace,
                    policy.pod_selector.describe()
                ),
            )
            .at(policy.pod_selector_span)
            .help("check the labels, or add the manifests of the pods it is meant for"),
        );
    }

    fn peers_matching_nothing(&self, policy: &NetworkPolicy, out: &mut Vec<Diagnostic>) {
        let cluster = self.cluster;
        for direction in DIRECTIONS {
            for rule in policy.rules(direction) {
                for (i, peer) in rule.peers.iter().enumerate() {
                    let PeerKind::Selectors { namespaces, .. } = &peer.kind else { continue };
                    if (0..cluster.pods.len()).any(|p| match_peer(cluster, policy, peer, EndpointId::Pod(p)).is_ok()) {
                        continue;
                    }
                    let no_namespace = namespaces
                        .as_ref()
                        .filter(|selector| !cluster.namespaces.iter().any(|ns| selector.matches(&ns.labels)));
                    let message = match no_namespace {
                        Some(selector) => format!(
                            "`{}` matches nothing: no namespace matches namespaceSelector `{}`",
                            peer_field(direction, i),
                            selector.describe()
                        ),
                        None => format!(
                            "`{}` matches nothing: no pod of the input is {}",
                            peer_field(direction, i),
                            super::explain::describe_peer(policy, peer)
                        ),
                    };
                    out.push(
                        Diagnostic::warning(PEER_MATCHES_NOTHING, message)
                            .at(peer.span)
                            .help("check the labels (namespaces carry `kubernetes.io/metadata.name`), or add the manifests of the pods it is meant for"),
                    );
                }
            }
        }
    }

    /// The pods a rule's traffic goes to: the selected pods for ingress, the peers' pods for egress.
    fn destinations(&self, policy: &NetworkPolicy, direction: Direction, rule: &Rule) -> Vec<PodIdx> {
        let cluster = self.cluster;
        (0..cluster.pods.len())
            .filter(|&p| match direction {
                Direction::Ingress => selects(cluster, policy, p),
                Direction::Egress => {
                    rule.peers.is_empty()
                        || rule.peers.iter().any(|peer| match_peer(cluster, policy, peer, EndpointId::Pod(p)).is_ok())
                }
            })
            .collect()
    }

    fn undeclared_named_ports(&self, policy: &NetworkPolicy, out: &mut Vec<Diagnostic>) {
        for direction in DIRECTIONS {
            for rule in policy.rules(direction) {
                let named = rule.ports.iter().filter(|p| matches!(p.port, PortSpec::Named(_)));
                let mut destinations = None;
                for port in named {
                    let PortSpec::Named(name) = &port.port else { continue };
                    let destinations = destinations.get_or_insert_with(|| self.destinations(policy, direction, rule));
                    // No destination at all is a selection problem, reported on its own.
                    if destinations.is_empty()
                        || destinations.iter().any(|&p| !port.ports_at(&self.cluster.pods[p].ports).is_empty())
                    {
                        continue;
                    }
                    out.push(
                        Diagnostic::warning(
                            NAMED_PORT_UNDECLARED,
                            format!(
                                "no destination of this rule declares a {} container port named `{name}`, so this entry allows nothing",
                                port.protocol
                            ),
                        )
                        .at(port.span)
                        .help("a named port is resolved on each destination pod, by name and protocol; check the name, the protocol and the pods' `containers[].ports`"),
                    );
                }
            }
        }
    }

    fn ip_blocks_matching_pods(&self, policy: &NetworkPolicy, out: &mut Vec<Diagnostic>) {
        for direction in DIRECTIONS {
            for rule in policy.rules(direction) {
                for peer in &rule.peers {
                    let PeerKind::IpBlock(block) = &peer.kind else { continue };
                    let pods: Vec<String> = self
                        .cluster
                        .pods
                        .iter()
                        .filter_map(|pod| {
                            pod.ips.iter().find(|&&ip| block.contains(ip)).map(|ip| format!("`{}` ({ip})", pod.id))
                        })
                        .collect();
                    let Some(first) = pods.first() else { continue };
                    let others = match pods.len() {
                        1 => String::new(),
                        n => format!(" and {} other pod{}", n - 1, if n == 2 { "" } else { "s" }),
                    };
                    out.push(
                        Diagnostic::warning(
                            IP_BLOCK_MATCHES_PODS,
                            format!("ipBlock `{}` contains the address of {first}{others}", block.describe()),
                        )
                        .at(peer.span)
                        .help("pod addresses change as pods come and go, and some network plugins apply ipBlock only to traffic from outside the cluster; select pods with podSelector and namespaceSelector"),
                    );
                }
            }
        }
    }

    /// A rule is redundant when, for every workload the policy selects and every endpoint of the
    /// input (workloads and address ranges), what it allows is allowed by the other rules of that
    /// direction that apply to the workload. Rules are taken from last to first, and one found
    /// redundant no longer counts for the others, so of two equal rules the first is kept.
    fn redundant_rules(&self, policy_index: PolicyIdx, out: &mut Vec<Diagnostic>) {
        let cluster = self.cluster;
        let policy = &cluster.policies[policy_index];
        let subjects: Vec<PodIdx> = self.representatives().filter(|&p| selects(cluster, policy, p)).collect();
        if subjects.is_empty() {
            return;
        }
        for direction in DIRECTIONS.into_iter().filter(|&d| policy.isolates(d)) {
            let peers: Vec<EndpointId> = self
                .representatives()
                .map(EndpointId::Pod)
                .chain(address_ranges(cluster, direction).iter().map(|r| r.endpoint()))
                .collect();
            // Every rule of this direction that applies to some subject, as (policy, rule index).
            let mut pool: BTreeSet<(PolicyIdx, usize)> = BTreeSet::new();
            for (pi, other) in cluster.policies.iter().enumerate() {
                if other.isolates(direction) && subjects.iter().any(|&s| selects(cluster, other, s)) {
                    pool.extend((0..other.rules(direction).len()).map(|ri| (pi, ri)));
                }
            }
            let mut found = Vec::new();
            for ri in (0..policy.rules(direction).len()).rev() {
                pool.remove(&(policy_index, ri));
                if self.covered(policy_index, direction, ri, &subjects, &peers, &pool).0 {
                    found.push(ri);
                } else {
                    pool.insert((policy_index, ri));
                }
            }
            for ri in found.into_iter().rev() {
                // The rules that are kept cover every redundant one: name those that overlap it.
                let (_, covering) = self.covered(policy_index, direction, ri, &subjects, &peers, &pool);
                let covering: Vec<String> = covering
                    .iter()
                    .map(|&(pi, r)| format!("`{}`", rule_name(&cluster.policies[pi], direction, r)))
                    .collect();
                out.push(
                    Diagnostic::warning(
                        REDUNDANT_RULE,
                        format!(
                            "`{}` allows nothing that {} do{} not already allow to the pods it applies to",
                            rule_name(policy, direction, ri),
                            covering.join(", "),
                            if covering.len() == 1 { "es" } else { "" }
                        ),
                    )
                    .at(policy.rules(direction)[ri].span)
                    .help("remove it, or check whether one of its selectors or ports is not what was meant (judged with the pods of the input)"),
                );
            }
        }
    }

    /// What a rule allows between a selected pod and an endpoint: the connection set of the rule
    /// alone, on the side of the pod.
    fn rule_allows(
        &self,
        policy: &NetworkPolicy,
        direction: Direction,
        rule: &Rule,
        subject: PodIdx,
        peer: EndpointId,
    ) -> PortSet {
        let cluster = self.cluster;
        if !rule.peers.is_empty() && !rule.peers.iter().any(|p| match_peer(cluster, policy, p, peer).is_ok()) {
            return PortSet::empty();
        }
        let destination = match direction {
            Direction::Ingress => EndpointId::Pod(subject),
            Direction::Egress => peer,
        };
        rule.ports_at(super::matching::ports_of(cluster, destination))
    }

    /// Whether the pool covers the rule everywhere it allows something (and it allows something
    /// somewhere), and the pool's rules that overlap it.
    fn covered(
        &self,
        policy_index: PolicyIdx,
        direction: Direction,
        rule_index: usize,
        subjects: &[PodIdx],
        peers: &[EndpointId],
        pool: &BTreeSet<(PolicyIdx, usize)>,
    ) -> (bool, Vec<(PolicyIdx, usize)>) {
        let cluster = self.cluster;
        let policy = &cluster.policies[policy_index];
        let rule = &policy.rules(direction)[rule_index];
        let mut allows_something = false;
        let mut covering = BTreeSet::new();
        for &subject in subjects {
            let applying: Vec<(PolicyIdx, usize)> =
                pool.iter().copied().filter(|&(pi, _)| selects(cluster, &cluster.policies[pi], subject)).collect();
            for &peer in peers {
                if peer == EndpointId::Pod(subject) {
                    continue;
                }
                let mine = self.rule_allows(policy, direction, rule, subject, peer);
                if mine.is_empty() {
                    continue;
                }
                allows_something = true;
                let mut others = PortSet::empty();
                for &(pi, ri) in &applying {
                    let other = &cluster.policies[pi];
                    let theirs = self.rule_allows(other, direction, &other.rules(direction)[ri], subject, peer);
                    if theirs.intersects(&mine) {
                        covering.insert((pi, ri));
                    }
                    others = others.union(&theirs);
                }
                if !mine.difference(&others).is_empty() {
                    return (false, Vec::new());
                }
            }
        }
        (allows_something, covering.into_iter().collect())
    }

    /// Egress-isolated workloads that may open some connection but none to port 53 (UDP or TCP) of
    /// any workload or address: name resolution fails there, the classic forgotten rule.
    fn egress_without_dns(&self, out: &mut Vec<Diagnostic>) {
        let cluster = self.cluster;
        let dns = PortSet::range(Protocol::Udp, 53, 53).union(&PortSet::range(Protocol::Tcp, 53, 53));
        let destinations: Vec<EndpointId> = self
            .representatives()
            .map(EndpointId::Pod)
            .chain(address_ranges(cluster, Direction::Egress).iter().map(|r| r.endpoint()))
            .collect();
        for workload in &self.workloads.list {
            let pod = workload.representative();
            let Some(policy) = cluster.policies.iter().find(|p| p.isolates_egress && selects(cluster, p, pod)) else {
                continue;
            };
            let reachable: Vec<PortSet> = destinations
                .iter()
                .filter(|&&d| d != EndpointId::Pod(pod))
                .map(|&d| policy_connections(cluster, EndpointId::Pod(pod), d))
                .collect();
            if reachable.iter().all(PortSet::is_empty) || reachable.iter().any(|set| set.intersects(&dns)) {
                continue;
            }
            out.push(
                Diagnostic::warning(
                    EGRESS_WITHOUT_DNS,
                    format!(
                        "`{}` is isolated for egress (by `{}` and maybe others) and cannot reach DNS: no connection to port 53 is allowed",
                        workload.id(),
                        policy.id()
                    ),
                )
                .at(policy.span)
                .help("allow DNS, e.g. an egress rule `- to: [{namespaceSelector: {}, podSelector: {matchLabels: {k8s-app: kube-dns}}}]` with `ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]`"),
            );
        }
    }

    fn unprotected_workloads(&self, out: &mut Vec<Diagnostic>) {
        let cluster = self.cluster;
        for workload in &self.workloads.list {
            let pod = workload.representative();
            // Policies never select hostNetwork pods: there is nothing to add for them.
            if cluster.pods[pod].host_network || cluster.policies.iter().any(|p| selects(cluster, p, pod)) {
                continue;
            }
            out.push(
                Diagnostic::warning(
                    UNPROTECTED_WORKLOAD,
                    format!("`{}` is selected by no policy: all traffic to and from it is allowed", workload.id()),
                )
                .at(cluster.pods[pod].span)
                .help(format!(
                    "add a default-deny policy to namespace `{}` (`podSelector: {{}}`, `policyTypes: [Ingress, Egress]`), then allow what it needs",
                    workload.namespace
                )),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(text: &str) -> Vec<(&'static str, usize)> {
        let cluster = Cluster::from_texts([("l.yaml", text)]);
        let errors: Vec<_> = cluster.diagnostics.iter().filter(|d| d.severity == Severity::Error).collect();
        assert!(errors.is_empty(), "{errors:?}");
        lint(&cluster).iter().map(|d| (d.code, d.span.map_or(0, |s| cluster.sources.location(s).line))).collect()
    }

    const PODS: &str = "\
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: prod, labels: {app: web}}
spec: {containers: [{name: c, ports: [{name: http, containerPort: 8080}]}]}
status: {podIP: 10.0.0.1}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: prod, labels: {app: db}}
status: {podIP: 10.0.0.2}
---
";

    #[test]
    fn every_check_finds_its_problem() {
        let text = format!(
            "{PODS}\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: web, namespace: prod}}
spec:
  podSelector: {{matchLabels: {{app: web}}}}
  policyTypes: [Ingress, Egress]
  ingress:
  - from:
    - namespaceSelector: {{matchLabels: {{team: a}}}}
    - podSelector: {{matchLabels: {{app: db}}}}
    ports: [{{port: http}}, {{port: metrics}}]
  - from: [{{podSelector: {{matchLabels: {{app: db}}}}}}]
    ports: [{{port: 8080}}]
  - {{}}
  egress:
  - to: [{{ipBlock: {{cidr: 10.0.0.0/24}}}}]
    ports: [{{port: 443}}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: ghost, namespace: prod}}
spec:
  podSelector: {{matchLabels: {{app: ghost}}}}
"
        );
        assert_eq!(
            codes(&text),
            [
                (SELECTS_NOTHING, 34),
                (ALLOW_ALL_RULE, 25),
                (ACCIDENTAL_OR, 21),
                (PEER_MATCHES_NOTHING, 20),
                (NAMED_PORT_UNDECLARED, 22),
                (IP_BLOCK_MATCHES_PODS, 27),
                // Both are covered by the allow-all `ingress[2]`.
                (REDUNDANT_RULE, 19),
                (REDUNDANT_RULE, 23),
                (EGRESS_WITHOUT_DNS, 12),
                (UNPROTECTED_WORKLOAD, 7),
            ]
        );
    }

    #[test]
    fn a_clean_input_has_no_findings_and_no_pods_gives_a_note() {
        let text = format!(
            "{PODS}\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: default-deny, namespace: prod}}
spec:
  podSelector: {{}}
  policyTypes: [Ingress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: web, namespace: prod}}
spec:
  podSelector: {{matchLabels: {{app: web}}}}
  ingress:
  - from: [{{podSelector: {{matchLabels: {{app: db}}}}}}]
    ports: [{{port: http}}]
"
        );
        assert_eq!(codes(&text), []);
        assert_eq!(codes("apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n"), [(NO_PODS, 0)]);
        let old = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: apps/v1beta2\n  kind: Deployment\n  metadata: {name: a}\n\
                   - apiVersion: batch/v1beta1\n  kind: CronJob\n  metadata: {name: b}\n";
        let findings = codes(old);
        assert!(findings.starts_with(&[(UNSERVED_API_VERSION, 4), (UNSERVED_API_VERSION, 7)]), "{findings:?}");
        assert!(RULES.iter().all(|r| rule(r.code) == Some(r)));
    }
}
