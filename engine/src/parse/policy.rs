//! `networking.k8s.io/v1` and `extensions/v1beta1` NetworkPolicy, validated as the API server of the
//! chosen release validates it (`ValidateNetworkPolicySpec`) and defaulted as it defaults it
//! (`policyTypes`, protocol TCP). A policy with any error is rejected, exactly as `kubectl apply`
//! would fail on it. Fields the release does not know yet (or whose feature gate is off) are dropped
//! as its API server drops them, with a warning that says what the policy then does.

use std::net::IpAddr;

use ipnet::IpNet;

use super::ObjectMeta;
use super::reader::Reader;
use super::yaml::{Node, Value};
use crate::diagnostic::Diagnostic;
use crate::model::ip::IpBlock;
use crate::model::labels::{LabelSelector, NAMESPACE_NAME_LABEL, Operator, Requirement};
use crate::model::names;
use crate::model::policy::{Direction, NetworkPolicy, Origin, Peer, PeerKind, PortRule, PortSpec, Rule};
use crate::model::ports::Protocol;
use crate::model::versions::{Feature, Features, Generation};

const SPEC_FIELDS: &[&str] = &["podSelector", "policyTypes", "ingress", "egress"];
const SELECTOR_FIELDS: &[&str] = &["matchLabels", "matchExpressions"];
const REQUIREMENT_FIELDS: &[&str] = &["key", "operator", "values"];
const PEER_FIELDS: &[&str] = &["podSelector", "namespaceSelector", "ipBlock"];
const PORT_FIELDS: &[&str] = &["protocol", "port", "endPort"];
const IPBLOCK_FIELDS: &[&str] = &["cidr", "except"];

pub fn read_network_policy(
    r: &mut Reader<'_>,
    doc: &Node,
    meta: ObjectMeta,
    features: &Features,
    generation: Generation,
) -> Option<NetworkPolicy> {
    let namespace = meta.namespace.clone().unwrap_or_else(|| "default".into());
    let empty = Node { span: doc.span, value: Value::Null };
    let spec = match doc.get("spec") {
        Some(spec) => spec,
        None => {
            r.push(
                Diagnostic::warning(
                    "missing-field",
                    "the policy has no `spec`; it selects every pod of its namespace and allows no ingress",
                )
                .at(doc.span)
                .help("write `spec: {podSelector: {}}` to say this on purpose"),
            );
            &empty
        }
    };
    r.strict_mapping(spec, "spec", SPEC_FIELDS)?;
    let (pod_selector, pod_selector_span) = match spec.get("podSelector") {
        Some(node) => (read_selector(r, node, "spec.podSelector", features)?, node.span),
        None => {
            if !std::ptr::eq(spec, &empty) {
                r.push(
                    Diagnostic::warning(
                        "missing-field",
                        "`spec.podSelector` is missing; it reads as `{}`, every pod of the namespace",
                    )
                    .at(spec.span)
                    .help("write `podSelector: {}` to select every pod on purpose"),
                );
            }
            (LabelSelector::default(), spec.span)
        }
    };
    let ingress = read_rules(r, spec, Direction::Ingress, features);
    // Before 1.8 the API server has no `egress` and no `policyTypes`, and drops them.
    let dropped: Vec<&Node> = [("egress", Feature::Egress), ("policyTypes", Feature::PolicyTypes)]
        .into_iter()
        .filter(|&(_, feature)| !features.has(feature))
        .filter_map(|(field, _)| spec_key(spec, field))
        .collect();
    if let Some(first) = dropped.first() {
        let rules = ingress.as_ref().map_or(0, Vec::len);
        let effect = if rules == 0 {
            "this policy denies all ingress to the pods it selects and restricts no egress".to_string()
        } else {
            format!(
                "this policy isolates the pods it selects for ingress (only its {rules} ingress rule(s) allow traffic) and restricts no egress"
            )
        };
        let fields: Vec<String> = dropped.iter().map(|k| format!("`spec.{}`", k.as_str().unwrap_or(""))).collect();
        r.push(
            Diagnostic::warning(
                "field-not-in-release",
                format!(
                    "Kubernetes {} has no {} ({}); its API server drops them, so {effect}",
                    features.release,
                    fields.join(" or "),
                    features.why_not(Feature::Egress)
                ),
            )
            .at(first.span)
            .label("dropped")
            .help("choose a later release with `--kubernetes-version`, or write the policy as this release reads it"),
        );
    }
    let egress = if features.has(Feature::Egress) { read_rules(r, spec, Direction::Egress, features) } else { None };
    let (types, explicit) =
        if features.has(Feature::PolicyTypes) { read_policy_types(r, spec) } else { ((false, false), false) };
    let (isolates_ingress, isolates_egress) = if explicit {
        types
    } else {
        // SetDefaults_NetworkPolicy: Ingress, plus Egress only when there is at least one egress rule.
        (true, !egress.as_ref().is_none_or(Vec::is_empty))
    };
    Some(NetworkPolicy {
        namespace,
        name: meta.name,
        span: doc.span,
        pod_selector,
        pod_selector_span,
        isolates_ingress,
        isolates_egress,
        policy_types_explicit: explicit,
        ingress: ingress.unwrap_or_default(),
        egress: egress.unwrap_or_default(),
        origin: Origin::Manifest(generation),
    })
}

/// The key node of a mapping entry (its span is where a dropped field is reported).
fn spec_key<'n>(spec: &'n Node, field: &str) -> Option<&'n Node> {
    match &spec.value {
        Value::Map(entries) => entries.iter().map(|(k, _)| k).find(|k| k.as_str() == Some(field)),
        _ => None,
    }
}

/// ((ingress, egress), explicit). An omitted or empty list is defaulted by the caller.
fn read_policy_types(r: &mut Reader<'_>, spec: &Node) -> ((bool, bool), bool) {
    let Some(node) = spec.get("policyTypes") else { return ((false, false), false) };
    let items = r.seq(node, "spec.policyTypes").unwrap_or_default();
    if items.len() > 2 {
        r.push(
            Diagnostic::error("invalid-policy-type", "`spec.policyTypes` may not have more than two entries")
                .at(node.span),
        );
    }
    let (mut ingress, mut egress) = (false, false);
    for (i, item) in items.iter().enumerate() {
        match r.string(item, &format!("spec.policyTypes[{i}]")).as_deref() {
            Some("Ingress") => ingress = true,
            Some("Egress") => egress = true,
            Some(other) => r.push(
                Diagnostic::error("invalid-policy-type", format!("`{other}` is not a policy type"))
                    .at(item.span)
                    .help("use `Ingress` and/or `Egress` (capitalized)"),
            ),
            None => {}
        }
    }
    ((ingress, egress), !items.is_empty())
}

fn read_rules(r: &mut Reader<'_>, spec: &Node, direction: Direction, features: &Features) -> Option<Vec<Rule>> {
    let field = direction.as_str();
    let node = spec.get(field)?;
    let peers_field = direction.peers_field();
    let mut rules = Vec::new();
    for (i, rule) in r.seq(node, &format!("spec.{field}"))?.iter().enumerate() {
        let path = format!("spec.{field}[{i}]");
        if r.strict_mapping(rule, &path, &[peers_field, "ports"]).is_none() {
            continue;
        }
        let peers = rule
            .get(peers_field)
            .map(|n| read_peers(r, n, &format!("{path}.{peers_field}"), features))
            .unwrap_or_default();
        let ports = rule.get("ports").map(|n| read_ports(r, n, &format!("{path}.ports"), features)).unwrap_or_default();
        rules.push(Rule { span: rule.span, peers, ports });
    }
    Some(rules)
}

fn read_peers(r: &mut Reader<'_>, node: &Node, path: &str, features: &Features) -> Vec<Peer> {
    let mut peers = Vec::new();
    for (i, peer) in r.seq(node, path).unwrap_or_default().iter().enumerate() {
        let path = format!("{path}[{i}]");
        if r.strict_mapping(peer, &path, PEER_FIELDS).is_none() {
            continue;
        }
        let present = |f: &str| peer.get(f).filter(|n| !n.is_null());
        let (pods, namespaces) = (present("podSelector"), present("namespaceSelector"));
        // Before 1.8 `ipBlock` is unknown to the API server, which drops it.
        let (ip_block, dropped_block) = match present("ipBlock") {
            Some(block) if !features.has(Feature::IpBlock) => (None, Some(block)),
            block => (block, None),
        };
        let no_ip_block =
            || format!("Kubernetes {} has no `ipBlock` ({})", features.release, features.why_not(Feature::IpBlock));
        if let (Some(block), true) = (dropped_block, pods.is_some() || namespaces.is_some()) {
            r.push(
                Diagnostic::warning(
                    "field-not-in-release",
                    format!("{}; its API server drops it from `{path}`", no_ip_block()),
                )
                .at(block.span)
                .label("dropped"),
            );
        }
        if let (Some(p), Some(_)) = (pods, namespaces)
            && !features.has(Feature::PeerSelectorsAnd)
        {
            r.push(
                Diagnostic::error(
                    "invalid-peer",
                    format!(
                        "`{path}` may not specify more than 1 from type in Kubernetes {} (both selectors in one peer came in {})",
                        features.release,
                        crate::model::versions::row(Feature::PeerSelectorsAnd).since
                    ),
                )
                .at(p.span)
                .help("put `podSelector` and `namespaceSelector` in separate peers (OR), or choose a later release"),
            );
            continue;
        }
        let kind = match (pods, namespaces, ip_block) {
            (None, None, None) => {
                let (message, help) = match dropped_block {
                    Some(_) => (
                        format!("`{path}` must specify a peer: {}", no_ip_block()),
                        "choose a later release with `--kubernetes-version`",
                    ),
                    None => (
                        format!("`{path}` must specify a peer"),
                        "set `podSelector`, `namespaceSelector` or `ipBlock`; to allow every source, leave the whole list out",
                    ),
                };
                r.push(Diagnostic::error("invalid-peer", message).at(peer.span).label("empty peer").help(help));
                continue;
            }
            (_, _, Some(block)) if pods.is_some() || namespaces.is_some() => {
                r.push(
                    Diagnostic::error(
                        "invalid-peer",
                        format!("`{path}` may not specify both `ipBlock` and another peer"),
                    )
                    .at(block.span)
                    .help("put the `ipBlock` in its own list item (`- ipBlock: ...`)"),
                );
                continue;
            }
            (_, _, Some(block)) => match read_ip_block(r, block, &format!("{path}.ipBlock")) {
                Some(block) => PeerKind::IpBlock(block),
                None => continue,
            },
            (pods, namespaces, None) => {
                let pods = pods.and_then(|n| read_selector(r, n, &format!("{path}.podSelector"), features));
                let namespaces =
                    namespaces.and_then(|n| read_selector(r, n, &format!("{path}.namespaceSelector"), features));
                PeerKind::Selectors { pods, namespaces }
            }
        };
        peers.push(Peer { span: peer.span, kind });
    }
    peers
}

pub(super) fn read_selector(r: &mut Reader<'_>, node: &Node, path: &str, features: &Features) -> Option<LabelSelector> {
    r.strict_mapping(node, path, SELECTOR_FIELDS)?;
    let before = r.errors();
    let mut selector = LabelSelector::default();
    if let Some(labels) = node.get("matchLabels") {
        let field = format!("{path}.matchLabels");
        for (key, value) in r.string_map(labels, &field).unwrap_or_default() {
            let span = labels.get(&key).map_or(labels.span, |n| n.span);
            check_label(r, &key, span, names::label_key, "label key");
            check_label(r, &value, span, names::label_value, "label value");
            selector.match_labels.insert(key, value);
        }
    }
    if let Some(exprs) = node.get("matchExpressions") {
        let field = format!("{path}.matchExpressions");
        for (i, expr) in r.seq(exprs, &field).unwrap_or_default().iter().enumerate() {
            let path = format!("{field}[{i}]");
            if r.strict_mapping(expr, &path, REQUIREMENT_FIELDS).is_none() {
                continue;
            }
            if let Some(req) = read_requirement(r, expr, &path) {
                selector.match_expressions.push(req);
            }
        }
    }
    if path.ends_with("namespaceSelector") {
        check_namespace_name_label(r, &selector, node.span, features);
    }
    (r.errors() == before).then_some(selector)
}

/// Before 1.21 (or with its gate off) namespaces do not carry `kubernetes.io/metadata.name` unless
/// they set it themselves: a selector on it is worth a warning.
pub(super) fn check_namespace_name_label(
    r: &mut Reader<'_>,
    selector: &LabelSelector,
    span: crate::source::Span,
    features: &Features,
) {
    let uses = selector.match_labels.contains_key(NAMESPACE_NAME_LABEL)
        || selector.match_expressions.iter().any(|e| e.key == NAMESPACE_NAME_LABEL);
    if uses && !features.has(Feature::NamespaceNameLabel) {
        r.push(
            Diagnostic::warning(
                "field-not-in-release",
                format!(
                    "Kubernetes {} does not label namespaces with `{NAMESPACE_NAME_LABEL}` ({}); this selector only matches namespaces that set the label themselves",
                    features.release,
                    features.why_not(Feature::NamespaceNameLabel)
                ),
            )
            .at(span),
        );
    }
}

pub(super) fn check_label(
    r: &mut Reader<'_>,
    text: &str,
    span: crate::source::Span,
    check: fn(&str) -> Result<(), String>,
    what: &str,
) {
    if let Err(why) = check(text) {
        r.push(Diagnostic::error("invalid-selector", format!("{what} `{text}` is invalid: {why}")).at(span));
    }
}

fn read_requirement(r: &mut Reader<'_>, expr: &Node, path: &str) -> Option<Requirement> {
    let key_node = expr.get("key");
    let key = key_node.and_then(|n| r.string(n, &format!("{path}.key"))).unwrap_or_default();
    check_label(r, &key, key_node.map_or(expr.span, |n| n.span), names::label_key, "label key");
    let op_node = expr.get("operator");
    let operator = match op_node.and_then(|n| r.string(n, &format!("{path}.operator"))) {
        Some(op) => match Operator::try_from(op.as_str()) {
            Ok(op) => Some(op),
            Err(why) => {
                r.push(
                    Diagnostic::error("invalid-selector", why)
                        .at(op_node.map_or(expr.span, |n| n.span))
                        .label("unknown operator"),
                );
                None
            }
        },
        None => {
            r.push(Diagnostic::error("invalid-selector", format!("`{path}.operator` is required")).at(expr.span));
            None
        }
    };
    let values_node = expr.get("values");
    let mut values = std::collections::BTreeSet::new();
    if let Some(node) = values_node {
        for (i, v) in r.seq(node, &format!("{path}.values")).unwrap_or_default().iter().enumerate() {
            if let Some(v) = r.string(v, &format!("{path}.values[{i}]")) {
                check_label(r, &v, node.span, names::label_value, "label value");
                values.insert(v);
            }
        }
    }
    let operator = operator?;
    let span = values_node.map_or(expr.span, |n| n.span);
    if operator.needs_values() && values.is_empty() {
        r.push(
            Diagnostic::error(
                "invalid-selector",
                format!("operator `{operator:?}` needs at least one value at `{path}.values`"),
            )
            .at(span)
            .help("list the values, or use `Exists` / `DoesNotExist`"),
        );
        return None;
    }
    if !operator.needs_values() && !values.is_empty() {
        r.push(
            Diagnostic::error(
                "invalid-selector",
                format!("operator `{operator:?}` takes no values, but `{path}.values` has some"),
            )
            .at(span)
            .help("remove `values`, or use `In` / `NotIn`"),
        );
        return None;
    }
    Some(Requirement { key, operator, values })
}

pub(super) fn read_ports(r: &mut Reader<'_>, node: &Node, path: &str, features: &Features) -> Vec<PortRule> {
    let mut ports = Vec::new();
    for (i, entry) in r.seq(node, path).unwrap_or_default().iter().enumerate() {
        let path = format!("{path}[{i}]");
        if r.strict_mapping(entry, &path, PORT_FIELDS).is_none() {
            continue;
        }
        if let Some(port) = read_port(r, entry, &path, features) {
            ports.push(port);
        }
    }
    ports
}

fn read_port(r: &mut Reader<'_>, entry: &Node, path: &str, features: &Features) -> Option<PortRule> {
    let before = r.errors();
    let present = |f: &str| entry.get(f).filter(|n| !n.is_null());
    let protocol = match present("protocol") {
        None => Some(Protocol::Tcp),
        Some(node) => r.string(node, &format!("{path}.protocol")).and_then(|p| match p.parse::<Protocol>() {
            Ok(Protocol::Sctp) if !features.has(Feature::Sctp) => {
                r.push(
                    Diagnostic::error(
                        "invalid-protocol",
                        format!(
                            "`SCTP` is not a supported protocol in Kubernetes {} ({}); use `TCP` or `UDP`",
                            features.release,
                            features.why_not(Feature::Sctp)
                        ),
                    )
                    .at(node.span)
                    .label("unsupported protocol"),
                );
                None
            }
            Ok(p) => Some(p),
            Err(why) => {
                r.push(Diagnostic::error("invalid-protocol", why).at(node.span).label("unsupported protocol"));
                None
            }
        }),
    };
    let end_port = match present("endPort") {
        // Before 1.21, or with the NetworkPolicyEndPort gate off, the API server drops `endPort`.
        Some(node) if !features.has(Feature::EndPort) => {
            r.push(
                Diagnostic::warning(
                    "field-not-in-release",
                    format!(
                        "Kubernetes {} drops `{path}.endPort` ({}); the entry allows only its `port`",
                        features.release,
                        features.why_not(Feature::EndPort)
                    ),
                )
                .at(node.span)
                .label("dropped"),
            );
            None
        }
        node => node.and_then(|n| r.int(n, &format!("{path}.endPort")).map(|v| (v, n.span))),
    };
    let port_error = |r: &mut Reader<'_>, span, msg: String, help: &str| {
        r.push(Diagnostic::error("invalid-port", msg).at(span).help(help.to_string()));
    };
    let spec = match present("port") {
        None => {
            if let Some((_, span)) = end_port {
                port_error(
                    r,
                    span,
                    format!("`{path}.endPort` may not be specified when `port` is not specified"),
                    "add a numeric `port` where the range starts",
                );
            }
            Some(PortSpec::All)
        }
        Some(node) => match &node.value {
            Value::Scalar(s) if s.plain && s.text.parse::<i64>().is_ok() => {
                let port = s.text.parse::<i64>().unwrap_or(0);
                if !(1..=65535).contains(&port) {
                    port_error(
                        r,
                        node.span,
                        format!("`{path}.port` must be between 1 and 65535, inclusive, not {port}"),
                        "use a port number from 1 to 65535",
                    );
                }
                let end = match end_port {
                    None => port,
                    Some((end, span)) => {
                        if end < port {
                            port_error(
                                r,
                                span,
                                format!("`{path}.endPort` ({end}) must be greater than or equal to `port` ({port})"),
                                "swap the numbers, or drop `endPort` for a single port",
                            );
                        } else if end > 65535 {
                            port_error(
                                r,
                                span,
                                format!("`{path}.endPort` must be between 1 and 65535, inclusive, not {end}"),
                                "use a port number from 1 to 65535",
                            );
                        }
                        end
                    }
                };
                Some(PortSpec::Range(u16::try_from(port).unwrap_or(0), u16::try_from(end).unwrap_or(0)))
            }
            Value::Scalar(_) => {
                let name = r.string(node, &format!("{path}.port"))?;
                if let Err(why) = names::port_name(&name) {
                    port_error(
                        r,
                        node.span,
                        format!("`{path}.port` `{name}` is not a valid port number or name: {why}"),
                        "use a number, or the `name` of a container port",
                    );
                }
                if let Some((_, span)) = end_port {
                    port_error(
                        r,
                        span,
                        format!("`{path}.endPort` may not be specified when `port` is non-numeric"),
                        "named ports cannot start a range; use a numeric `port`",
                    );
                }
                Some(PortSpec::Named(name))
            }
            _ => {
                r.type_error(node, &format!("{path}.port"), "a port number or name");
                None
            }
        },
    };
    let (protocol, port) = (protocol?, spec?);
    (r.errors() == before).then_some(PortRule { span: entry.span, protocol, port })
}

fn read_ip_block(r: &mut Reader<'_>, node: &Node, path: &str) -> Option<IpBlock> {
    r.strict_mapping(node, path, IPBLOCK_FIELDS)?;
    let before = r.errors();
    let Some(cidr_node) = node.get("cidr").filter(|n| !n.is_null()) else {
        r.push(Diagnostic::error("missing-field", format!("`{path}.cidr` is required")).at(node.span));
        return None;
    };
    let cidr = read_cidr(r, cidr_node, &format!("{path}.cidr"))?;
    let mut except = Vec::new();
    if let Some(list) = node.get("except") {
        for (i, item) in r.seq(list, &format!("{path}.except")).unwrap_or_default().iter().enumerate() {
            let Some(net) = read_cidr(r, item, &format!("{path}.except[{i}]")) else { continue };
            let same_family = matches!((cidr, net), (IpNet::V4(_), IpNet::V4(_)) | (IpNet::V6(_), IpNet::V6(_)));
            if !same_family || net.prefix_len() <= cidr.prefix_len() || !cidr.contains(&net.network()) {
                r.push(
                    Diagnostic::error(
                        "except-outside-cidr",
                        format!("`{path}.except[{i}]` `{net}` must be a strict subset of `cidr` `{cidr}`"),
                    )
                    .at(item.span)
                    .help("each `except` range must lie inside `cidr` and be smaller than it"),
                );
                continue;
            }
            except.push(net);
        }
    }
    (r.errors() == before).then_some(IpBlock { cidr, except })
}

/// A CIDR; host bits are accepted and masked, with a warning (`10.0.1.1/24` → `10.0.1.0/24`).
fn read_cidr(r: &mut Reader<'_>, node: &Node, path: &str) -> Option<IpNet> {
    let text = r.string(node, path)?;
    match text.parse::<IpNet>() {
        Ok(net) => {
            let masked = net.trunc();
            if masked != net {
                r.push(
                    Diagnostic::warning(
                        "cidr-host-bits",
                        format!("`{text}` has host bits set; it is read as `{masked}`"),
                    )
                    .at(node.span)
                    .help(format!(
                        "write `{masked}`, or `{}/{}` for the single address",
                        net.addr(),
                        net.max_prefix_len()
                    )),
                );
            }
            Some(masked)
        }
        Err(_) => {
            let help = if text.parse::<IpAddr>().is_ok() {
                format!("add a prefix length, e.g. `{text}/{}`", if text.contains(':') { 128 } else { 32 })
            } else {
                "write an address and a prefix length, e.g. `10.0.0.0/16` or `2001:db8::/64`".into()
            };
            r.push(
                Diagnostic::error("invalid-cidr", format!("`{path}` `{text}` is not a valid CIDR"))
                    .at(node.span)
                    .help(help),
            );
            None
        }
    }
}
