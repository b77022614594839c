//! What the engine needs to know of a pod: identity, labels, addresses, declared ports.

use serde::Serialize;

use super::ports::Protocol;

/// The kind of object an endpoint comes from. A workload stands for the pods its template describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub enum PodKind {
    Pod,
    Deployment,
    ReplicaSet,
    StatefulSet,
    DaemonSet,
    ReplicationController,
    Job,
    CronJob,
}

impl PodKind {
    pub fn from_kind(kind: &str) -> Option<PodKind> {
        Some(match kind {
            "Pod" => PodKind::Pod,
            "Deployment" => PodKind::Deployment,
            "ReplicaSet" => PodKind::ReplicaSet,
            "StatefulSet" => PodKind::StatefulSet,
            "DaemonSet" => PodKind::DaemonSet,
            "ReplicationController" => PodKind::ReplicationController,
            "Job" => PodKind::Job,
            "CronJob" => PodKind::CronJob,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PodKind::Pod => "Pod",
            PodKind::Deployment => "Deployment",
            PodKind::ReplicaSet => "ReplicaSet",
            PodKind::StatefulSet => "StatefulSet",
            PodKind::DaemonSet => "DaemonSet",
            PodKind::ReplicationController => "ReplicationController",
            PodKind::Job => "Job",
            PodKind::CronJob => "CronJob",
        }
    }
}

/// A `containers[].ports[]` entry; protocol defaults to TCP.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct ContainerPort {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub port: u16,
    pub protocol: Protocol,
}

/// A pod's `metadata.ownerReferences[]` entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OwnerRef {
    /// As written; empty when the reference leaves it out.
    pub kind: String,
    pub name: String,
    /// `controller: true`: this owner manages the pod, so the pod belongs to its workload.
    pub controller: bool,
}
