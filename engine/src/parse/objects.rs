//! Kubernetes objects other than policies: lists, namespaces, pods, workloads and services.
//!
//! Policies are validated as strictly as the API server does (see `policy`). Pods and workloads are
//! read leniently: they come from real clusters and Helm output, so a bad container port is skipped
//! with a warning instead of dropping the whole pod.

use std::net::IpAddr;

use super::legacy::read_legacy_policy;
use super::policy::read_network_policy;
use super::reader::Reader;
use super::yaml::Node;
use super::{IsolationAnnotation, NamespaceObject, Object, ObjectMeta, PodObject, ServiceObject};
use crate::diagnostic::Diagnostic;
use crate::model::names;
use crate::model::ports::Protocol;
use crate::model::versions::{
    ALPHA_ISOLATION_ANNOTATION, BETA_ISOLATION_ANNOTATION, Feature, Features, Generation, IsolationModel, row,
};
use crate::model::workload::{ContainerPort, OwnerRef, PodKind};

/// Reads one document (an object, or a `List` of objects) into `out`, as the release of `features`
/// reads it.
pub fn read_document(doc: &Node, features: &Features, diags: &mut Vec<Diagnostic>, out: &mut Vec<Object>) {
    read_object(doc, None, features, diags, out);
}

/// Reads an object; `implied` is the (apiVersion, kind) that items of a typed list such as `PodList`
/// may leave out.
fn read_object(
    doc: &Node,
    implied: Option<(&str, &str)>,
    features: &Features,
    diags: &mut Vec<Diagnostic>,
    out: &mut Vec<Object>,
) {
    if doc.is_null() {
        return; // an empty document, e.g. after a trailing `---`
    }
    let mut r = Reader::new(diags);
    if r.mapping(doc, "document").is_none() {
        return;
    }
    let field =
        |r: &mut Reader<'_>, name: &str, implied: Option<&str>| match (doc.get(name).filter(|n| !n.is_null()), implied)
        {
            (None, Some(implied)) => Some(implied.to_string()),
            _ => field_str(r, doc, name),
        };
    let api_version = field(&mut r, "apiVersion", implied.map(|i| i.0));
    let kind = field(&mut r, "kind", implied.map(|i| i.1));
    let (Some(api_version), Some(kind)) = (api_version, kind) else { return };
    if kind == "List" || (kind.ends_with("List") && doc.get("items").is_some()) {
        let item_kind = kind.strip_suffix("List").filter(|k| !k.is_empty());
        let items = doc.get("items").and_then(|n| r.seq(n, "items")).unwrap_or_default();
        for item in items {
            read_object(item, item_kind.map(|k| (api_version.as_str(), k)), features, r.diagnostics(), out);
        }
        return;
    }
    let before = r.errors();
    let object = match kind.as_str() {
        "Namespace" => read_meta(&mut r, doc, false).map(|meta| {
            let isolation = read_isolation_annotation(&mut r, doc, features);
            Object::Namespace(NamespaceObject { meta, isolation })
        }),
        "Service" => read_service(&mut r, doc).map(Object::Service),
        "NetworkPolicy" => match Generation::from_api_version(&api_version) {
            Some(generation) if !features.serves(generation) => {
                r.push(
                    Diagnostic::error(
                        "api-not-served",
                        format!(
                            "Kubernetes {} does not serve `{api_version}` NetworkPolicy ({}); the policy is not evaluated",
                            features.release,
                            features.why_not(generation.feature())
                        ),
                    )
                    .at(doc.get("apiVersion").map_or(doc.span, |n| n.span))
                    .help(if features.release < row(generation.feature()).since {
                        format!("choose a release from {} on with `--kubernetes-version`", row(generation.feature()).since)
                    } else {
                        format!(
                            "choose its release with `--kubernetes-version`, or rewrite the policy for {} with `moat migrate`",
                            features.release
                        )
                    }),
                );
                None
            }
            Some(generation @ (Generation::Alpha | Generation::Romana)) => {
                read_legacy_policy(&mut r, doc, generation, features).map(Object::NetworkPolicy)
            }
            Some(generation) => read_meta(&mut r, doc, true)
                .and_then(|meta| read_network_policy(&mut r, doc, meta, features, generation))
                .map(Object::NetworkPolicy),
            None => {
                r.push(
                    Diagnostic::warning(
                        "unsupported-api-version",
                        format!("`NetworkPolicy` of apiVersion `{api_version}` is not evaluated"),
                    )
                    .at(doc.get("apiVersion").map_or(doc.span, |n| n.span))
                    .help("moat evaluates `networking.k8s.io/v1` NetworkPolicy objects and their ancestors (`moat versions`)"),
                );
                None
            }
        },
        other => match PodKind::from_kind(other) {
            Some(kind) => read_pod_object(&mut r, doc, kind).map(Object::Pod),
            None => {
                r.push(
                    Diagnostic::note(
                        "ignored-kind",
                        format!("kind `{other}` does not affect NetworkPolicy and is ignored"),
                    )
                    .at(doc.get("kind").map_or(doc.span, |n| n.span)),
                );
                None
            }
        },
    };
    if let Some(object) = object
        && r.errors() == before
    {
        out.push(object);
    }
}

/// The pre-1.7 isolation annotation of a Namespace that the release reads; an annotation that would
/// isolate but that the release ignores gets a warning.
fn read_isolation_annotation(r: &mut Reader<'_>, doc: &Node, features: &Features) -> Option<IsolationAnnotation> {
    let annotations = doc.get("metadata").and_then(|m| m.get("annotations"))?;
    let mut read = None;
    for (key, generation) in
        [(ALPHA_ISOLATION_ANNOTATION, Generation::Alpha), (BETA_ISOLATION_ANNOTATION, Generation::ExtensionsV1beta1)]
    {
        let Some(node) = annotations.get(key) else { continue };
        let value = node.as_str().unwrap_or("");
        let isolated = match generation {
            Generation::Alpha => match value {
                "on" | "yes" => Some(true),
                "off" | "no" => Some(false),
                _ => None,
            },
            _ => serde_json::from_str::<serde_json::Value>(value)
                .ok()
                .map(|v| v.pointer("/ingress/isolation").and_then(|i| i.as_str()) == Some("DefaultDeny")),
        };
        let Some(isolated) = isolated else {
            let expected = match generation {
                Generation::Alpha => "`\"on\"` or `\"off\"`",
                _ => "JSON such as `{\"ingress\": {\"isolation\": \"DefaultDeny\"}}`",
            };
            r.push(
                Diagnostic::warning(
                    "invalid-annotation",
                    format!("annotation `{key}` is `{value}`; the namespace is not isolated by it"),
                )
                .at(node.span)
                .help(format!("the value must be {expected}")),
            );
            continue;
        };
        let model = match generation {
            Generation::Alpha => IsolationModel::AlphaAnnotation,
            _ => IsolationModel::DefaultDenyAnnotation,
        };
        if features.isolation() == model {
            read = Some(IsolationAnnotation { generation, isolated, span: node.span });
        } else if isolated {
            let feature = match generation {
                Generation::Alpha => Feature::AlphaApi,
                _ => Feature::DefaultDenyAnnotation,
            };
            let help = if features.isolation() == IsolationModel::Selection {
                "from 1.7 a pod is isolated once a policy selects it: a policy with `podSelector: {}` and no rules isolates the whole namespace (`moat migrate` writes it)"
            } else {
                "the namespace is not isolated by it"
            };
            r.push(
                Diagnostic::warning(
                    "annotation-ignored",
                    format!(
                        "Kubernetes {} ignores the namespace annotation `{key}` ({})",
                        features.release,
                        features.why_not(feature)
                    ),
                )
                .at(node.span)
                .help(help),
            );
        }
    }
    read
}

fn field_str(r: &mut Reader<'_>, doc: &Node, field: &str) -> Option<String> {
    match doc.get(field) {
        Some(node) if !node.is_null() => r.string(node, field),
        _ => {
            r.push(
                Diagnostic::error("missing-field", format!("the object has no `{field}`"))
                    .at(doc.span)
                    .help("every Kubernetes object needs `apiVersion`, `kind` and `metadata.name`"),
            );
            None
        }
    }
}

/// `metadata`: name (required), namespace, labels, annotations, ownerReferences.
pub fn read_meta(r: &mut Reader<'_>, doc: &Node, namespaced: bool) -> Option<ObjectMeta> {
    let meta = doc.get("metadata");
    let name_node = meta.and_then(|m| m.get("name")).filter(|n| !n.is_null());
    let Some(name_node) = name_node else {
        r.push(
            Diagnostic::error("missing-field", "the object has no `metadata.name`")
                .at(meta.map_or(doc.span, |m| m.span))
                .help("add `metadata: {name: ...}`"),
        );
        return None;
    };
    let name = r.string(name_node, "metadata.name")?;
    let check = if namespaced { names::dns1123_subdomain(&name) } else { names::dns1123_label(&name) };
    if let Err(why) = check {
        invalid_name(r, format!("name `{name}` is invalid: {why}"), name_node.span);
    }
    let meta = meta.filter(|m| r.mapping(m, "metadata").is_some());
    let namespace = match meta.and_then(|m| m.get("namespace")).filter(|n| !n.is_null()) {
        Some(node) => {
            let ns = r.string(node, "metadata.namespace")?;
            if let Err(why) = names::dns1123_label(&ns) {
                invalid_name(r, format!("namespace `{ns}` is invalid: {why}"), node.span);
            }
            Some(ns)
        }
        None => None,
    };
    let labels = meta.and_then(|m| m.get("labels")).map(|n| read_labels(r, n, "metadata.labels")).unwrap_or_default();
    let annotations = meta
        .and_then(|m| m.get("annotations"))
        .and_then(|n| r.string_map(n, "metadata.annotations"))
        .unwrap_or_default();
    let owners = meta
        .and_then(|m| m.get("ownerReferences"))
        .and_then(|n| r.seq(n, "metadata.ownerReferences"))
        .unwrap_or_default()
        .iter()
        .filter_map(|o| {
            let name = o.get("name").and_then(|n| n.as_str())?;
            let kind = o.get("kind").and_then(|n| n.as_str()).unwrap_or_default();
            let controller = o.get("controller").and_then(|n| n.as_str()) == Some("true");
            Some(OwnerRef { kind: kind.into(), name: name.into(), controller })
        })
        .collect();
    Some(ObjectMeta { name, namespace, labels, annotations, owners, span: doc.span })
}

/// An invalid object or namespace name: an error, since the API server rejects the object, but one
/// that does not exclude it from the analysis. A name changes nothing about what a policy selects or
/// allows, and manifests that tools and tests evaluate anyway (netpol-analyzer's among them) should
/// give the same answers here, with the error shown beside them.
fn invalid_name(r: &mut Reader<'_>, message: String, span: crate::source::Span) {
    // Straight into the sink: errors pushed through the reader would reject the object.
    r.diagnostics().push(
        Diagnostic::error("invalid-name", message)
            .at(span)
            .help("`kubectl apply` would refuse this object; moat analyzes it anyway, since a name does not change what it selects or allows"),
    );
}

/// Labels with key and value syntax checked (an invalid label is reported and dropped).
pub fn read_labels(r: &mut Reader<'_>, node: &Node, path: &str) -> crate::model::labels::Labels {
    let mut labels = r.string_map(node, path).unwrap_or_default();
    labels.retain(|key, value| {
        let problem = names::label_key(key)
            .map_err(|e| format!("label key `{key}`: {e}"))
            .and_then(|()| names::label_value(value).map_err(|e| format!("label value `{value}`: {e}")));
        match problem {
            Ok(()) => true,
            Err(why) => {
                let span = node.get(key).map_or(node.span, |n| n.span);
                r.push(Diagnostic::warning("invalid-label", format!("{why}; the label is ignored")).at(span));
                false
            }
        }
    });
    labels
}

fn read_pod_object(r: &mut Reader<'_>, doc: &Node, kind: PodKind) -> Option<PodObject> {
    let meta = read_meta(r, doc, true)?;
    let spec = doc.get("spec");
    // Where the pod template lives for each kind.
    let template = match kind {
        PodKind::Pod => None,
        PodKind::CronJob => {
            spec.and_then(|s| s.get("jobTemplate")).and_then(|j| j.get("spec")).and_then(|s| s.get("template"))
        }
        _ => spec.and_then(|s| s.get("template")),
    };
    let (labels, pod_spec) = match kind {
        PodKind::Pod => (meta.labels.clone(), spec),
        _ => (
            template
                .and_then(|t| t.get("metadata"))
                .and_then(|m| m.get("labels"))
                .map(|n| read_labels(r, n, "spec.template.metadata.labels"))
                .unwrap_or_default(),
            template.and_then(|t| t.get("spec")),
        ),
    };
    let replicas = match kind {
        PodKind::Pod => None,
        PodKind::DaemonSet => None,
        PodKind::CronJob | PodKind::Job => Some(1),
        _ => Some(
            spec.and_then(|s| s.get("replicas"))
                .filter(|n| !n.is_null())
                .and_then(|n| r.int(n, "spec.replicas"))
                .map_or(1, |n| u32::try_from(n).unwrap_or(0)),
        ),
    };
    let host_network = pod_spec
        .and_then(|s| s.get("hostNetwork"))
        .filter(|n| !n.is_null())
        .and_then(|n| r.bool(n, "spec.hostNetwork"))
        .unwrap_or(false);
    let node_name =
        pod_spec.and_then(|s| s.get("nodeName")).filter(|n| !n.is_null()).and_then(|n| r.string(n, "spec.nodeName"));
    let ports = pod_spec.map(|s| read_container_ports(r, s)).unwrap_or_default();
    let status = doc.get("status").filter(|_| kind == PodKind::Pod);
    let phase = status.and_then(|s| s.get("phase")).and_then(|n| n.as_str()).map(str::to_string);
    let mut ips: Vec<IpAddr> = Vec::new();
    let ip_nodes = status.and_then(|s| s.get("podIP")).into_iter().chain(
        status
            .and_then(|s| s.get("podIPs"))
            .and_then(|n| r.seq(n, "status.podIPs"))
            .unwrap_or_default()
            .iter()
            .filter_map(|p| p.get("ip")),
    );
    for node in ip_nodes.filter(|n| !n.is_null()) {
        match node.as_str().map(str::parse::<IpAddr>) {
            Some(Ok(ip)) if !ips.contains(&ip) => ips.push(ip),
            Some(Ok(_)) => {}
            _ => r.push(
                Diagnostic::warning(
                    "invalid-ip",
                    format!("`{}` is not an IP address; it is ignored", node.as_str().unwrap_or("")),
                )
                .at(node.span),
            ),
        }
    }
    Some(PodObject { kind, meta, labels, ports, host_network, node_name, phase, ips, replicas })
}

/// `containers[].ports[]`; entries without a valid number are skipped with a warning.
fn read_container_ports(r: &mut Reader<'_>, pod_spec: &Node) -> Vec<ContainerPort> {
    let mut ports = Vec::new();
    let containers = pod_spec.get("containers").and_then(|n| r.seq(n, "spec.containers")).unwrap_or_default();
    for (ci, container) in containers.iter().enumerate() {
        let list = container.get("ports").and_then(|n| r.seq(n, "ports")).unwrap_or_default();
        for (pi, port) in list.iter().enumerate() {
            let path = format!("spec.containers[{ci}].ports[{pi}]");
            let number = port
                .get("containerPort")
                .filter(|n| !n.is_null())
                .and_then(|n| r.int(n, &format!("{path}.containerPort")));
            let Some(number) = number.and_then(|n| u16::try_from(n).ok()).filter(|&n| n > 0) else {
                r.push(
                    Diagnostic::warning(
                        "invalid-port",
                        format!("`{path}` has no valid `containerPort`; the port is ignored"),
                    )
                    .at(port.span)
                    .help("`containerPort` must be a number from 1 to 65535"),
                );
                continue;
            };
            let protocol = match port.get("protocol").filter(|n| !n.is_null()).and_then(|n| n.as_str()) {
                None => Some(Protocol::Tcp),
                Some(p) => p.parse().ok(),
            };
            let Some(protocol) = protocol else {
                r.push(
                    Diagnostic::warning(
                        "invalid-protocol",
                        format!("`{path}.protocol` is not TCP, UDP or SCTP; the port is ignored"),
                    )
                    .at(port.span),
                );
                continue;
            };
            let name = port.get("name").and_then(|n| n.as_str()).map(str::to_string);
            ports.push(ContainerPort { name, port: number, protocol });
        }
    }
    ports
}

fn read_service(r: &mut Reader<'_>, doc: &Node) -> Option<ServiceObject> {
    let meta = read_meta(r, doc, true)?;
    let spec = doc.get("spec");
    let selector =
        spec.and_then(|s| s.get("selector")).and_then(|n| r.string_map(n, "spec.selector")).unwrap_or_default();
    let ports = spec
        .and_then(|s| s.get("ports"))
        .and_then(|n| r.seq(n, "spec.ports"))
        .unwrap_or_default()
        .iter()
        .filter_map(|p| {
            let port = p.get("port").and_then(|n| n.as_str()).and_then(|s| s.parse().ok())?;
            let protocol =
                p.get("protocol").and_then(|n| n.as_str()).map_or(Some(Protocol::Tcp), |s| s.parse().ok())?;
            let name = p.get("name").and_then(|n| n.as_str()).map(str::to_string);
            Some(ContainerPort { name, port, protocol })
        })
        .collect();
    Some(ServiceObject { meta, selector, ports })
}
