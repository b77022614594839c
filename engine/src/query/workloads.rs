//! Workloads: the endpoints of connection lists inside the cluster. Pods are grouped by the controller
//! that owns them, as people think of them and as netpol-analyzer lists them:
//!
//! - a workload manifest (Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job,
//!   CronJob) stands for its pods: `ns/name[Deployment]`;
//! - a Pod manifest whose `ownerReferences` name a controller (`controller: true`, any kind but
//!   `Node`) belongs to that owner's workload, named after the owner as written: a pod of ReplicaSet
//!   `web-5d4f` is in `ns/web-5d4f[ReplicaSet]` (a Pod manifest does not say which Deployment owns the
//!   ReplicaSet); an owner reference without a kind gives `[Pod]`;
//! - any other Pod is a workload of its own, `ns/name[Pod]`.
//!
//! One pod of each workload (its representative, the first in cluster order) stands for all of them,
//! which is exact when no policy can tell them apart. Pods of one controller normally share its
//! template's labels; when they do not, the workload is kept whole if every selector, peer and named
//! port treats its pods alike (with a warning), and split into its pods otherwise (with a warning
//! naming a policy that tells them apart), so that no connection is ever claimed for a pod that does
//! not have it.

use std::collections::BTreeMap;

use super::matching::{match_peer, selects};
use crate::cluster::{Cluster, EndpointId, PodIdx, PolicyIdx};
use crate::diagnostic::Diagnostic;
use crate::model::policy::Direction;
use crate::model::workload::{ContainerPort, PodKind};

/// The kind shown for a pod that is a workload of its own.
const POD: &str = "Pod";

/// Owners that are not workloads: static pods are owned by their Node.
const NOT_A_WORKLOAD: &str = "Node";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Workload {
    pub namespace: String,
    pub name: String,
    /// `Deployment`, `ReplicaSet`, `Pod`, ... as the owner reference or manifest names it.
    pub kind: String,
    /// The pods and workload manifests it stands for, in cluster order; never empty.
    pub pods: Vec<PodIdx>,
}

impl Workload {
    /// `namespace/name[Kind]`, netpol-analyzer's name for a workload.
    pub fn id(&self) -> String {
        format!("{}/{}[{}]", self.namespace, self.name, self.kind)
    }

    /// The pod whose verdicts stand for every pod of the workload.
    pub fn representative(&self) -> PodIdx {
        self.pods[0]
    }

    /// Whether `text` names this workload: `name`, `namespace/name` or `namespace/name[Kind]`.
    pub fn is_named(&self, text: &str) -> bool {
        text == self.name || text == format!("{}/{}", self.namespace, self.name) || text == self.id()
    }
}

/// Every workload of a cluster, sorted by id, with the diagnostics of workloads whose pods differ.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Workloads {
    pub list: Vec<Workload>,
    /// Per pod of the cluster, the index of its workload in `list`.
    pub of_pod: Vec<usize>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Groups the pods of `cluster` into workloads; see the module documentation for the rules.
pub fn workloads(cluster: &Cluster) -> Workloads {
    let mut groups: BTreeMap<(String, String, String), Vec<PodIdx>> = BTreeMap::new();
    for (i, pod) in cluster.pods.iter().enumerate() {
        let (name, kind) = match pod.kind {
            PodKind::Pod => pod
                .owners
                .iter()
                .find(|o| o.controller && o.kind != NOT_A_WORKLOAD)
                .map_or((pod.name.as_str(), POD), |o| (o.name.as_str(), if o.kind.is_empty() { POD } else { &o.kind })),
            kind => (pod.name.as_str(), kind.as_str()),
        };
        groups.entry((pod.namespace.clone(), name.to_string(), kind.to_string())).or_default().push(i);
    }
    let signatures = Signatures::new(cluster);
    let mut list = Vec::new();
    let mut diagnostics = Vec::new();
    for ((namespace, name, kind), pods) in groups {
        let workload = Workload { namespace, name, kind, pods };
        match signatures.first_difference(&workload.pods) {
            None => {
                if let Some(diagnostic) = labels_differ(cluster, &workload) {
                    diagnostics.push(diagnostic);
                }
                list.push(workload);
            }
            Some((a, b, policy)) => {
                diagnostics.push(split(cluster, &workload, a, b, policy));
                list.extend(workload.pods.iter().map(|&p| {
                    let pod = &cluster.pods[p];
                    Workload {
                        namespace: pod.namespace.clone(),
                        name: pod.name.clone(),
                        kind: POD.into(),
                        pods: vec![p],
                    }
                }));
            }
        }
    }
    list.sort_by_key(Workload::id);
    let mut of_pod = vec![0; cluster.pods.len()];
    for (w, workload) in list.iter().enumerate() {
        for &p in &workload.pods {
            of_pod[p] = w;
        }
    }
    Workloads { list, of_pod, diagnostics }
}

/// What policies see of a pod: whether each policy selects it and each rule peer matches it, and its
/// named ports (numbers do not matter: only names are resolved on a pod). Two pods with equal
/// signatures get equal verdicts from and to every endpoint (traffic between a pod and its own node
/// aside, which workload-level lists leave out).
struct Signatures<'c> {
    cluster: &'c Cluster,
    /// The policy each position of a signature comes from.
    owners: Vec<PolicyIdx>,
}

#[derive(PartialEq, Eq)]
struct Signature<'c> {
    matches: Vec<bool>,
    named_ports: Vec<&'c ContainerPort>,
}

impl<'c> Signatures<'c> {
    fn new(cluster: &'c Cluster) -> Self {
        let mut owners = Vec::new();
        for (pi, policy) in cluster.policies.iter().enumerate() {
            owners.push(pi);
            for direction in [Direction::Ingress, Direction::Egress] {
                owners.extend(policy.rules(direction).iter().flat_map(|r| &r.peers).map(|_| pi));
            }
        }
        Signatures { cluster, owners }
    }

    fn of(&self, pod: PodIdx) -> Signature<'c> {
        let cluster = self.cluster;
        let mut matches = Vec::with_capacity(self.owners.len());
        for policy in &cluster.policies {
            matches.push(selects(cluster, policy, pod));
            for direction in [Direction::Ingress, Direction::Egress] {
                for peer in policy.rules(direction).iter().flat_map(|r| &r.peers) {
                    matches.push(match_peer(cluster, policy, peer, EndpointId::Pod(pod)).is_ok());
                }
            }
        }
        let p = &cluster.pods[pod];
        let mut named_ports: Vec<&ContainerPort> = p.ports.iter().filter(|port| port.name.is_some()).collect();
        named_ports.sort();
        named_ports.dedup();
        Signature { matches, named_ports }
    }

    /// Two pods of the group that policies treat differently, and a policy that tells them apart
    /// (`None` when it is their named ports that differ).
    fn first_difference(&self, pods: &[PodIdx]) -> Option<(PodIdx, PodIdx, Option<PolicyIdx>)> {
        let (&first, rest) = pods.split_first()?;
        if rest.is_empty() {
            return None;
        }
        let reference = self.of(first);
        rest.iter().find_map(|&other| {
            let signature = self.of(other);
            if signature == reference {
                return None;
            }
            let position = reference.matches.iter().zip(&signature.matches).position(|(a, b)| a != b);
            Some((first, other, position.map(|i| self.owners[i])))
        })
    }
}

/// `app=web, tier=front`, or `no labels`.
fn labels_text(labels: &crate::model::labels::Labels) -> String {
    if labels.is_empty() {
        return "no labels".into();
    }
    labels.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ")
}

/// A warning when pods of one workload carry different labels that no policy looks at.
fn labels_differ(cluster: &Cluster, workload: &Workload) -> Option<Diagnostic> {
    let first = &cluster.pods[workload.representative()];
    let other = workload.pods[1..].iter().map(|&p| &cluster.pods[p]).find(|p| p.labels != first.labels)?;
    Some(
        Diagnostic::warning(
            "workload-labels-differ",
            format!(
                "pods of `{}` have different labels: `{}` has {}, `{}` has {}",
                workload.id(),
                first.id,
                labels_text(&first.labels),
                other.id,
                labels_text(&other.labels)
            ),
        )
        .at(other.span)
        .help("no policy tells them apart, so they are analyzed as one workload; pods of one controller normally share its template's labels"),
    )
}

/// A warning when a workload is split because policies treat its pods differently.
fn split(cluster: &Cluster, workload: &Workload, a: PodIdx, b: PodIdx, policy: Option<PolicyIdx>) -> Diagnostic {
    let (a, b) = (&cluster.pods[a], &cluster.pods[b]);
    let why = match policy {
        Some(policy) => format!("policy `{}` tells `{}` and `{}` apart", cluster.policies[policy].id(), a.id, b.id),
        None => format!("`{}` and `{}` declare different named ports", a.id, b.id),
    };
    Diagnostic::warning(
        "workload-split",
        format!("the pods of `{}` are not alike to policies: {why}", workload.id()),
    )
    .at(b.span)
    .help("each of its pods is listed as a workload of its own; pods of one controller normally share its template's labels")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(name: &str, labels: &str, owner: &str) -> String {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  labels: {{{labels}}}\n{owner}status: {{podIP: 10.0.0.{}}}\n---\n",
            name.len()
        )
    }

    fn owner(kind: Option<&str>, name: &str, controller: bool) -> String {
        let kind = kind.map(|k| format!("kind: {k}, ")).unwrap_or_default();
        format!("  ownerReferences: [{{{kind}name: {name}, controller: {controller}}}]\n")
    }

    fn ids(text: &str) -> (Vec<String>, Vec<&'static str>) {
        let cluster = Cluster::from_texts([("w.yaml", text)]);
        let w = workloads(&cluster);
        (w.list.iter().map(Workload::id).collect(), w.diagnostics.iter().map(|d| d.code).collect())
    }

    #[test]
    fn pods_are_grouped_by_their_controller() {
        let text = pod("a-1", "app: a", &owner(Some("ReplicaSet"), "a-5d4f", true))
            + &pod("a-22", "app: a", &owner(Some("ReplicaSet"), "a-5d4f", true))
            + &pod("b", "app: b", &owner(Some("ReplicaSet"), "x", false))
            + &pod("static", "app: s", &owner(Some("Node"), "node-1", true))
            + &pod("c", "app: c", &owner(None, "c-owner", true))
            + "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {template: {metadata: {labels: {app: d}}}}\n";
        assert_eq!(
            ids(&text),
            (
                vec![
                    "default/a-5d4f[ReplicaSet]".to_string(),
                    "default/b[Pod]".into(),
                    "default/c-owner[Pod]".into(),
                    "default/d[Deployment]".into(),
                    "default/static[Pod]".into()
                ],
                vec![]
            )
        );
    }

    const SPLITTING_POLICY: &str = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p}\n\
        spec:\n  podSelector: {matchLabels: {tier: x}}\n  ingress: [{}]\n---\n";

    #[test]
    fn pods_with_different_labels_stay_one_workload_unless_a_policy_tells_them_apart() {
        let rs = owner(Some("ReplicaSet"), "r", true);
        let pods = pod("r-1", "app: r, tier: x", &rs) + &pod("r-22", "app: r, tier: y", &rs);
        assert_eq!(ids(&pods), (vec!["default/r[ReplicaSet]".to_string()], vec!["workload-labels-differ"]));
        let (split, codes) = ids(&(pods + SPLITTING_POLICY));
        assert_eq!(
            (split, codes),
            (vec!["default/r-1[Pod]".to_string(), "default/r-22[Pod]".into()], vec!["workload-split"])
        );
    }
}
