//! The cluster: every namespace, pod (or workload) and valid policy of the input, in a deterministic
//! order (namespace, then name), with the diagnostics of everything that was rejected.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

use crate::diagnostic::Diagnostic;
use crate::model::labels::Labels;
pub use crate::model::labels::NAMESPACE_NAME_LABEL;
use crate::model::policy::NetworkPolicy;
use crate::model::versions::{Feature, Features, Options};
use crate::model::workload::{ContainerPort, OwnerRef, PodKind};
use crate::parse::{self, IsolationAnnotation, Object, ServiceObject};
use crate::source::{Sources, Span};

pub type PodIdx = usize;
pub type PolicyIdx = usize;

#[derive(Clone, Debug, PartialEq)]
pub struct Namespace {
    pub name: String,
    pub labels: Labels,
    pub annotations: BTreeMap<String, String>,
    /// The pre-1.7 isolation annotation the chosen release reads (see [`crate::generations`]).
    pub isolation: Option<IsolationAnnotation>,
    /// `None` for namespaces known only from objects inside them.
    pub span: Option<Span>,
}

/// A pod, or a workload standing for its pods.
#[derive(Clone, Debug, PartialEq)]
pub struct Pod {
    /// `namespace/name`; a workload that shares its name with a pod gets `[Kind]` appended.
    pub id: String,
    pub namespace: String,
    pub name: String,
    pub kind: PodKind,
    pub labels: Labels,
    pub ips: Vec<IpAddr>,
    pub ports: Vec<ContainerPort>,
    pub host_network: bool,
    pub node: Option<String>,
    pub replicas: Option<u32>,
    pub owners: Vec<OwnerRef>,
    pub span: Span,
}

/// One side of a flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EndpointId {
    Pod(PodIdx),
    /// An address that belongs to no pod of the input.
    External(IpAddr),
}

#[derive(Clone, Debug, Default)]
pub struct Cluster {
    pub sources: Sources,
    /// What the release (with its feature gates) the cluster is evaluated as does with NetworkPolicy.
    pub features: Features,
    pub diagnostics: Vec<Diagnostic>,
    pub namespaces: Vec<Namespace>,
    pub pods: Vec<Pod>,
    pub policies: Vec<NetworkPolicy>,
    pub services: Vec<ServiceObject>,
    /// Pods in phase Succeeded or Failed: they take no part, unless [`Cluster::terminal_pods_as_running`].
    pub terminal_pods: Vec<Pod>,
    namespace_index: HashMap<String, usize>,
    pod_index: HashMap<String, PodIdx>,
    ip_index: HashMap<IpAddr, PodIdx>,
    /// Namespace index of each pod.
    pod_namespace: Vec<usize>,
}

impl Cluster {
    /// Parses and assembles `(file name, text)` inputs, as the newest release reads them.
    pub fn from_texts<N: Into<String>, T: Into<String>>(files: impl IntoIterator<Item = (N, T)>) -> Cluster {
        let mut sources = Sources::default();
        for (name, text) in files {
            sources.add(name, text);
        }
        Cluster::from_sources(sources)
    }

    /// Parses and assembles the inputs as the newest release reads them.
    pub fn from_sources(sources: Sources) -> Cluster {
        Cluster::from_sources_with(sources, &Options::default())
    }

    /// Parses and assembles the inputs as the release of `options`, with its feature gates, reads
    /// and enforces them: every API generation is normalized into the v1 model.
    pub fn from_sources_with(sources: Sources, options: &Options) -> Cluster {
        Cluster::from_sources_keeping(sources, options, |_, _| true)
    }

    /// [`Cluster::from_sources_with`] with only the objects `keep` accepts: migration proofs read the
    /// input without its own policies.
    pub(crate) fn from_sources_keeping(
        sources: Sources,
        options: &Options,
        keep: impl Fn(crate::source::FileId, &Object) -> bool,
    ) -> Cluster {
        let (features, mut diagnostics) = options.resolve();
        let mut objects = Vec::new();
        for (i, file) in sources.files().iter().enumerate() {
            let id = crate::source::FileId(u32::try_from(i).unwrap_or(u32::MAX));
            let parsed = parse::parse_file(id, file, &features, &mut diagnostics);
            objects.extend(parsed.into_iter().filter(|object| keep(id, object)));
        }
        Cluster::from_objects(sources, features, objects, diagnostics)
    }

    /// Assembles already parsed objects (with the diagnostics of parsing them) into a cluster.
    pub(crate) fn from_objects(
        sources: Sources,
        features: Features,
        objects: Vec<Object>,
        mut diagnostics: Vec<Diagnostic>,
    ) -> Cluster {
        let mut cluster = Cluster { sources, features, ..Cluster::default() };
        cluster.assemble(objects, &mut diagnostics);
        crate::generations::normalize(&mut cluster, &mut diagnostics);
        cluster.diagnostics = diagnostics;
        cluster
    }

    fn assemble(&mut self, objects: Vec<Object>, diags: &mut Vec<Diagnostic>) {
        // Later definitions replace earlier ones, as repeated `kubectl apply` would.
        let mut latest: BTreeMap<(&'static str, String, String), Object> = BTreeMap::new();
        for object in objects {
            let key = object.key();
            if let Some(previous) = latest.get(&key) {
                diags.push(
                    Diagnostic::warning(
                        "duplicate-object",
                        format!(
                            "{} `{}` is defined more than once; the last definition wins",
                            key.0,
                            display_key(&key)
                        ),
                    )
                    .at(object.span())
                    .help(format!("the earlier definition starts at {}", self.sources.location(previous.span()))),
                );
            }
            latest.insert(key, object);
        }
        let mut namespaces: BTreeMap<String, Namespace> = BTreeMap::new();
        let mut pods = Vec::new();
        for object in latest.into_values() {
            match object {
                Object::Namespace(parse::NamespaceObject { meta, isolation }) => {
                    let ns = namespaces.entry(meta.name.clone()).or_insert_with(|| implied_namespace(&meta.name));
                    ns.labels.extend(meta.labels);
                    ns.annotations = meta.annotations;
                    ns.isolation = isolation;
                    ns.span = Some(meta.span);
                }
                Object::Pod(pod) => {
                    let terminal =
                        pod.kind == PodKind::Pod && matches!(pod.phase.as_deref(), Some("Succeeded" | "Failed"));
                    if terminal {
                        diags.push(
                            Diagnostic::note(
                                "terminal-pod",
                                format!(
                                    "pod `{}` is {}; it takes no part in networking",
                                    pod.meta.name,
                                    pod.phase.as_deref().unwrap_or("")
                                ),
                            )
                            .at(pod.meta.span),
                        );
                    }
                    let namespace = pod.meta.namespace.clone().unwrap_or_else(|| "default".into());
                    namespaces.entry(namespace.clone()).or_insert_with(|| implied_namespace(&namespace));
                    let list = if terminal { &mut self.terminal_pods } else { &mut pods };
                    list.push(Pod {
                        id: format!("{namespace}/{}", pod.meta.name),
                        namespace,
                        name: pod.meta.name,
                        kind: pod.kind,
                        labels: pod.labels,
                        ips: pod.ips,
                        ports: pod.ports,
                        host_network: pod.host_network,
                        node: pod.node_name,
                        replicas: pod.replicas,
                        owners: pod.meta.owners,
                        span: pod.meta.span,
                    });
                }
                Object::Service(service) => {
                    let ns = service.meta.namespace.clone().unwrap_or_else(|| "default".into());
                    namespaces.entry(ns.clone()).or_insert_with(|| implied_namespace(&ns));
                    self.services.push(service);
                }
                Object::NetworkPolicy(policy) => {
                    namespaces.entry(policy.namespace.clone()).or_insert_with(|| implied_namespace(&policy.namespace));
                    self.policies.push(policy);
                }
            }
        }
        self.policies.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
        if self.features.has(Feature::NamespaceNameLabel) {
            for ns in namespaces.values_mut() {
                ns.labels.insert(NAMESPACE_NAME_LABEL.into(), ns.name.clone());
            }
        }
        self.namespaces = namespaces.into_values().collect();
        self.namespace_index = self.namespaces.iter().enumerate().map(|(i, ns)| (ns.name.clone(), i)).collect();
        self.index_pods(pods, diags);
    }

    /// Orders the pods, gives workloads that share a pod's name distinct ids, and indexes them by
    /// id, address and namespace.
    fn index_pods(&mut self, mut pods: Vec<Pod>, diags: &mut Vec<Diagnostic>) {
        // Pods first, then workloads of the same name, which get their kind appended to stay distinct.
        pods.sort_by(|a, b| (&a.namespace, &a.name, a.kind).cmp(&(&b.namespace, &b.name, b.kind)));
        for i in 1..pods.len() {
            if pods[i].namespace == pods[i - 1].namespace && pods[i].name == pods[i - 1].name {
                pods[i].id = format!("{}[{}]", pods[i].id, pods[i].kind.as_str());
            }
        }
        pods.sort_by(|a, b| (&a.namespace, &a.id).cmp(&(&b.namespace, &b.id)));
        self.pod_index = pods.iter().enumerate().map(|(i, p)| (p.id.clone(), i)).collect();
        self.pod_namespace =
            pods.iter().map(|p| self.namespace_index.get(&p.namespace).copied().unwrap_or(0)).collect();
        self.ip_index.clear();
        for (i, pod) in pods.iter().enumerate() {
            for ip in &pod.ips {
                if let Some(&other) = self.ip_index.get(ip) {
                    // Host-network pods all carry their node's address.
                    if pod.host_network && pods[other].host_network {
                        continue;
                    }
                    diags.push(
                        Diagnostic::warning(
                            "duplicate-ip",
                            format!("pods `{}` and `{}` both report IP `{ip}`", pods[other].id, pod.id),
                        )
                        .at(pod.span)
                        .help("flows from or to this address are attributed to the first pod"),
                    );
                } else {
                    self.ip_index.insert(*ip, i);
                }
            }
        }
        self.pods = pods;
    }

    pub fn namespace(&self, name: &str) -> Option<&Namespace> {
        self.namespace_index.get(name).map(|&i| &self.namespaces[i])
    }

    /// The namespace a pod lives in.
    pub fn pod_namespace(&self, pod: PodIdx) -> &Namespace {
        &self.namespaces[self.pod_namespace[pod]]
    }

    /// A pod by `namespace/name` (or `name` in `default`).
    pub fn find_pod(&self, id: &str) -> Option<PodIdx> {
        if id.contains('/') {
            self.pod_index.get(id).copied()
        } else {
            self.pod_index.get(&format!("default/{id}")).copied()
        }
    }

    pub fn pod_by_ip(&self, ip: IpAddr) -> Option<PodIdx> {
        self.ip_index.get(&ip).copied()
    }

    /// `ns/name`, `name` (namespace `default`) or an IP address; an address of a pod means that pod.
    pub fn resolve_endpoint(&self, text: &str) -> Result<EndpointId, String> {
        if let Ok(ip) = text.parse::<IpAddr>() {
            return Ok(self.pod_by_ip(ip).map_or(EndpointId::External(ip), EndpointId::Pod));
        }
        self.find_pod(text).map(EndpointId::Pod).ok_or_else(|| {
            let known: Vec<&str> = self.pods.iter().take(8).map(|p| p.id.as_str()).collect();
            if known.is_empty() {
                format!("no pod `{text}`: the input has no pods")
            } else {
                format!("no pod `{text}`; pods include {}", known.join(", "))
            }
        })
    }

    /// `ns/name` of a pod, or the address of an external endpoint.
    pub fn endpoint_name(&self, endpoint: EndpointId) -> String {
        match endpoint {
            EndpointId::Pod(p) => self.pods[p].id.clone(),
            EndpointId::External(ip) => ip.to_string(),
        }
    }

    /// Evaluates hostNetwork pods like any other pod, for network plugins that tell their traffic
    /// apart from the node's and apply policies to them. Kubernetes leaves this to the plugin; by
    /// default moat does what most plugins do and treats such a pod as its node (never selected).
    /// Evaluates finished pods as if they still ran, as netpol-analyzer does (a Job whose pods have
    /// all completed is still listed there); by default they take no part.
    pub fn terminal_pods_as_running(&mut self) {
        let mut pods = std::mem::take(&mut self.pods);
        pods.append(&mut self.terminal_pods);
        let mut diags = Vec::new();
        self.index_pods(pods, &mut diags);
        self.diagnostics.extend(diags);
    }

    pub fn host_network_as_pods(&mut self) {
        for pod in &mut self.pods {
            pod.host_network = false;
        }
    }

    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| d.severity == crate::Severity::Error)
    }
}

fn implied_namespace(name: &str) -> Namespace {
    Namespace { name: name.into(), labels: Labels::new(), annotations: BTreeMap::new(), isolation: None, span: None }
}

fn display_key(key: &(&'static str, String, String)) -> String {
    if key.1.is_empty() { key.2.clone() } else { format!("{}/{}", key.1, key.2) }
}
