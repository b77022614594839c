//! Migration of NetworkPolicy manifests of any generation to `networking.k8s.io/v1` for a target
//! release, with a proof.
//!
//! The policies of a cluster read at the old release are already v1 policies, implied ones included
//! (see [`crate::generations`]), so migrating is writing them out ([`crate::render::migrate`]). The
//! proof does not trust that: it reads the written YAML back at the target release, together with
//! every other object of the input (the input's own policies left out), and compares the
//! connections of every ordered pair of endpoints (pods, workloads and the address ranges that
//! `ipBlock`s cut out), on every port of every protocol, with those of the input at the old
//! release. Where they differ, each difference says which flow changed and both verdicts.

use std::net::IpAddr;

use serde::Serialize;

use crate::cluster::{Cluster, EndpointId};
use crate::compile::addresses::AddressAtoms;
use crate::diagnostic::ResolvedDiagnostic;
use crate::model::policy::NetworkPolicy;
use crate::model::ports::{PortSet, Protocol};
use crate::model::versions::{Feature, Options, Release, row};
use crate::parse::Object;
use crate::query::flow::{self, Flow, PortRef};
use crate::source::{Location, Sources};

/// The name the written manifests get in the proof's diagnostics.
pub const OUTPUT_NAME: &str = "migrated.yaml";

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Migration {
    pub from_version: Release,
    pub to_version: Release,
    /// The `networking.k8s.io/v1` NetworkPolicy manifests for the target release, YAML.
    pub manifests: String,
    /// The policies written, in output order.
    pub policies: Vec<WrittenPolicy>,
    /// Policies of the input that the old release read but that changed nothing there, so they are not
    /// written (on the target release they would isolate pods).
    pub left_out: Vec<LeftOut>,
    pub proof: Proof,
    /// What the target release says about the written manifests (lines of [`OUTPUT_NAME`]).
    pub output_diagnostics: Vec<ResolvedDiagnostic>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WrittenPolicy {
    /// `namespace/name`.
    pub policy: String,
    /// What it was read or implied from.
    pub from: String,
    pub location: Location,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LeftOut {
    pub location: Option<Location>,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Proof {
    /// Reachability is the same, pair by pair and port by port.
    pub equivalent: bool,
    /// Endpoints compared: pods, workloads and one outside address per `ipBlock` range.
    pub endpoints: usize,
    /// Ordered pairs of distinct endpoints compared.
    pub pairs: usize,
    pub differences: Vec<Difference>,
}

/// A pair of endpoints (`namespace/name`, or an address outside the pods) whose connections changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Difference {
    pub from: String,
    pub to: String,
    /// netpol-analyzer's wording: `All Connections`, `TCP 80`, `No Connections`.
    pub before: String,
    pub after: String,
    /// One flow that changed, judged at both releases.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub why: Vec<String>,
}

/// Migrates the policies of `old` (a cluster read at the old release) to the release of `to`.
/// Errs when the target release does not serve `networking.k8s.io/v1`.
pub fn migrate(old: &Cluster, to: &Options) -> Result<Migration, String> {
    let (target, _) = to.resolve();
    if !target.has(Feature::NetworkingV1Api) {
        return Err(format!(
            "`moat migrate` writes `networking.k8s.io/v1` policies, which Kubernetes {} does not serve (from {} on)",
            target.release,
            row(Feature::NetworkingV1Api).since
        ));
    }
    let manifests = crate::render::migrate::manifests(old, &target);
    let policies = old
        .policies
        .iter()
        .map(|p| WrittenPolicy { policy: p.id(), from: p.origin.describe(), location: old.sources.location(p.span) })
        .collect();
    let left_out = old
        .diagnostics
        .iter()
        .filter(|d| d.code == crate::generations::POLICY_WITHOUT_EFFECT)
        .map(|d| LeftOut { location: d.span.map(|s| old.sources.location(s)), reason: d.message.clone() })
        .collect();
    let new = read_back(old, to, &manifests);
    let output = new.sources.files().len().saturating_sub(1);
    let output_diagnostics = new
        .diagnostics
        .iter()
        .filter(|d| d.span.is_none_or(|s| s.file.0 as usize == output))
        .map(|d| d.resolve(&new.sources))
        .collect();
    let proof = prove(old, &new);
    Ok(Migration {
        from_version: old.features.release,
        to_version: target.release,
        manifests,
        policies,
        left_out,
        proof,
        output_diagnostics,
    })
}

/// The input's objects other than policies, and the written manifests, read at the target release.
fn read_back(old: &Cluster, to: &Options, manifests: &str) -> Cluster {
    let mut sources: Sources = old.sources.clone();
    sources.add(OUTPUT_NAME, manifests);
    let output = sources.files().len() - 1;
    Cluster::from_sources_keeping(sources, to, |file, object| {
        file.0 as usize == output || !matches!(object, Object::NetworkPolicy(_))
    })
}

/// Compares the connections of every ordered pair of endpoints: pods (and workloads) by id, and one
/// address outside the pods for every range of addresses that the `ipBlock`s of either cluster cut
/// out (every address of such a range gets the same verdicts).
fn prove(old: &Cluster, new: &Cluster) -> Proof {
    let blocks: Vec<NetworkPolicy> = old.policies.iter().chain(&new.policies).cloned().collect();
    let outsiders: Vec<IpAddr> = AddressAtoms::of_policies(&blocks)
        .ranges()
        .into_iter()
        .filter_map(|(first, last)| outsider(old, first, last))
        .collect();
    let mut ends: Vec<(String, Option<EndpointId>, Option<EndpointId>)> = old
        .pods
        .iter()
        .enumerate()
        .map(|(i, pod)| (pod.id.clone(), Some(EndpointId::Pod(i)), new.find_pod(&pod.id).map(EndpointId::Pod)))
        .collect();
    ends.extend(
        new.pods
            .iter()
            .enumerate()
            .filter(|(_, p)| old.find_pod(&p.id).is_none())
            .map(|(i, pod)| (pod.id.clone(), None, Some(EndpointId::Pod(i)))),
    );
    let pods = ends.len();
    ends.extend(
        outsiders.iter().map(|&ip| (ip.to_string(), Some(EndpointId::External(ip)), Some(EndpointId::External(ip)))),
    );
    let connections = |cluster: &Cluster, from: Option<EndpointId>, to: Option<EndpointId>| match (from, to) {
        (Some(from), Some(to)) => flow::connections(cluster, from, to),
        _ => PortSet::empty(),
    };
    let mut differences = Vec::new();
    let mut pairs = 0;
    for (i, (from_name, old_from, new_from)) in ends.iter().enumerate() {
        for (j, (to_name, old_to, new_to)) in ends.iter().enumerate() {
            // Addresses outside the cluster are not subject to policies between themselves.
            if i == j || (i >= pods && j >= pods) {
                continue;
            }
            pairs += 1;
            let before = connections(old, *old_from, *old_to);
            let after = connections(new, *new_from, *new_to);
            if before != after {
                let changed = before.difference(&after).union(&after.difference(&before));
                let why = match (old_from, old_to, new_from, new_to) {
                    (Some(a), Some(b), Some(c), Some(d)) => why(&changed, [(old, *a, *b), (new, *c, *d)]),
                    _ => vec![format!("`{from_name}` or `{to_name}` is missing on one side")],
                };
                differences.push(Difference {
                    from: from_name.clone(),
                    to: to_name.clone(),
                    before: before.to_string(),
                    after: after.to_string(),
                    why,
                });
            }
        }
    }
    Proof { equivalent: differences.is_empty(), endpoints: ends.len(), pairs, differences }
}

/// An address of `first..=last` that is no pod's, if one is found among the first few.
fn outsider(cluster: &Cluster, first: IpAddr, last: IpAddr) -> Option<IpAddr> {
    let step = |ip: IpAddr| match ip {
        IpAddr::V4(a) => u32::from(a).checked_add(1).map(|n| IpAddr::V4(n.into())),
        IpAddr::V6(a) => u128::from(a).checked_add(1).map(|n| IpAddr::V6(n.into())),
    };
    std::iter::successors(Some(first), |&ip| step(ip).filter(|&next| next <= last))
        .take(64)
        .find(|&ip| cluster.pod_by_ip(ip).is_none())
}

/// The first port whose verdict changed, judged in both clusters.
fn why(changed: &PortSet, sides: [(&Cluster, EndpointId, EndpointId); 2]) -> Vec<String> {
    let Some((protocol, port)) =
        Protocol::ALL.into_iter().find_map(|p| changed.ranges(p).first().map(|&(lo, _)| (p, lo)))
    else {
        return Vec::new();
    };
    sides
        .into_iter()
        .filter_map(|(cluster, from, to)| {
            let flow = Flow { from, to, port: PortRef::Number(port), protocol };
            let verdict = flow::evaluate(cluster, &flow).ok()?;
            Some(format!("on {}: {}", cluster.features.release, verdict.explain(cluster).summary))
        })
        .collect()
}
