//! Which policies select a pod, and which pods a policy selects.

use serde::Serialize;

use super::matching::selects;
use crate::cluster::{Cluster, PodIdx, PolicyIdx};
use crate::model::policy::Direction;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PodPolicies {
    pub pod: String,
    /// Policies that isolate the pod for ingress (select it with `Ingress` in `policyTypes`).
    pub ingress: Vec<String>,
    pub egress: Vec<String>,
}

pub fn policies_of_pod(cluster: &Cluster, pod: PodIdx) -> PodPolicies {
    let of = |direction| {
        cluster.policies.iter().filter(|p| p.isolates(direction) && selects(cluster, p, pod)).map(|p| p.id()).collect()
    };
    PodPolicies { pod: cluster.pods[pod].id.clone(), ingress: of(Direction::Ingress), egress: of(Direction::Egress) }
}

pub fn pods_of_policy(cluster: &Cluster, policy: PolicyIdx) -> Vec<PodIdx> {
    let p = &cluster.policies[policy];
    (0..cluster.pods.len()).filter(|&pod| selects(cluster, p, pod)).collect()
}
