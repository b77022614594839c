//! NetworkPolicy after validation and API-server defaulting (`policyTypes`, protocol TCP). Every
//! part keeps its span so that verdicts can point at the YAML that decided them.

use serde::Serialize;

use super::ip::IpBlock;
use super::labels::LabelSelector;
use super::ports::{PortSet, Protocol};
use super::versions::{ALPHA_ISOLATION_ANNOTATION, BETA_ISOLATION_ANNOTATION, Generation};
use super::workload::ContainerPort;
use crate::source::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub enum Direction {
    Ingress,
    Egress,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        }
    }
    /// The list of peers inside a rule: `from` for ingress, `to` for egress.
    pub fn peers_field(self) -> &'static str {
        match self {
            Direction::Ingress => "from",
            Direction::Egress => "to",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct NetworkPolicy {
    pub namespace: String,
    pub name: String,
    /// The whole document.
    pub span: Span,
    pub pod_selector: LabelSelector,
    pub pod_selector_span: Span,
    /// After defaulting: `[Ingress]`, plus `Egress` when the policy has egress rules.
    pub isolates_ingress: bool,
    pub isolates_egress: bool,
    /// False when `policyTypes` was omitted and defaulted.
    pub policy_types_explicit: bool,
    pub ingress: Vec<Rule>,
    pub egress: Vec<Rule>,
    pub origin: Origin,
}

/// Where a policy comes from. Every API generation is normalized into this v1 model; what an older
/// release enforced without any policy object (namespace isolation annotations, Romana's tenancy) is
/// expressed as implied policies, so that queries need to know only one semantics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A NetworkPolicy object of this API generation, as the chosen release reads it.
    Manifest(Generation),
    /// The ingress deny-all of a namespace isolated by its annotation (`network-isolation: "on"` in
    /// 1.2, `DefaultDeny` in 1.3–1.6); its span is the annotation.
    NamespaceIsolation(Generation),
    /// Romana's tenancy: the pods of one owner and tier in a namespace reach each other, other
    /// ingress is denied; its span is the first of those pods.
    RomanaTenancy,
}

impl Origin {
    /// What the policy was read or implied from: `` `extensions/v1beta1` NetworkPolicy ``.
    pub fn describe(self) -> String {
        match self {
            Origin::Manifest(generation) => format!("`{}` NetworkPolicy", generation.api_version()),
            Origin::NamespaceIsolation(Generation::Alpha) => {
                format!("namespace annotation `{ALPHA_ISOLATION_ANNOTATION}: \"on\"`")
            }
            Origin::NamespaceIsolation(_) => {
                format!("namespace annotation `{BETA_ISOLATION_ANNOTATION}` with `DefaultDeny`")
            }
            Origin::RomanaTenancy => "Romana's tenancy: pods of one owner and tier reach each other".into(),
        }
    }
}

impl NetworkPolicy {
    /// `namespace/name`.
    pub fn id(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }

    /// Every span of the policy and its rules, peers and ports.
    pub fn visit_spans(&mut self, visit: &mut impl FnMut(&mut Span)) {
        visit(&mut self.span);
        visit(&mut self.pod_selector_span);
        for rule in self.ingress.iter_mut().chain(&mut self.egress) {
            visit(&mut rule.span);
            rule.peers.iter_mut().for_each(|p| visit(&mut p.span));
            rule.ports.iter_mut().for_each(|p| visit(&mut p.span));
        }
    }

    pub fn isolates(&self, direction: Direction) -> bool {
        match direction {
            Direction::Ingress => self.isolates_ingress,
            Direction::Egress => self.isolates_egress,
        }
    }

    pub fn rules(&self, direction: Direction) -> &[Rule] {
        match direction {
            Direction::Ingress => &self.ingress,
            Direction::Egress => &self.egress,
        }
    }
}

/// One `ingress` or `egress` entry. Empty `peers` = every peer; empty `ports` = every port.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    pub span: Span,
    pub peers: Vec<Peer>,
    pub ports: Vec<PortRule>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Peer {
    pub span: Span,
    pub kind: PeerKind,
}

#[derive(Clone, Debug, PartialEq)]
pub enum PeerKind {
    /// At least one selector is set. `pods` alone = pods of the policy's namespace; `namespaces` alone
    /// = every pod of the matching namespaces; both = pods matching `pods` in matching namespaces.
    Selectors {
        pods: Option<LabelSelector>,
        namespaces: Option<LabelSelector>,
    },
    IpBlock(IpBlock),
}

#[derive(Clone, Debug, PartialEq)]
pub struct PortRule {
    pub span: Span,
    pub protocol: Protocol,
    pub port: PortSpec,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PortSpec {
    /// No `port`: every port of the protocol.
    All,
    /// `port`, or `port`..=`endPort`.
    Range(u16, u16),
    /// A container port name, resolved on the destination pod.
    Named(String),
}

impl PortRule {
    /// The ports this entry allows towards a destination with the given container ports. Named
    /// ports match by name AND protocol; different pods may map one name to different numbers.
    pub fn ports_at(&self, destination: &[ContainerPort]) -> PortSet {
        match &self.port {
            PortSpec::All => PortSet::protocol(self.protocol),
            PortSpec::Range(lo, hi) => PortSet::range(self.protocol, *lo, *hi),
            PortSpec::Named(name) => destination
                .iter()
                .filter(|p| p.protocol == self.protocol && p.name.as_deref() == Some(name))
                .fold(PortSet::empty(), |acc, p| acc.union(&PortSet::range(self.protocol, p.port, p.port))),
        }
    }

    /// `TCP 80`, `TCP 32000-32768`, `UDP (all ports)`, `TCP port named http`.
    pub fn describe(&self) -> String {
        match &self.port {
            PortSpec::All => format!("{} (all ports)", self.protocol),
            PortSpec::Range(lo, hi) if lo == hi => format!("{} {lo}", self.protocol),
            PortSpec::Range(lo, hi) => format!("{} {lo}-{hi}", self.protocol),
            PortSpec::Named(name) => format!("{} port named `{name}`", self.protocol),
        }
    }
}

impl Rule {
    /// The ports this rule allows towards a destination (every port when `ports` is empty).
    pub fn ports_at(&self, destination: &[ContainerPort]) -> PortSet {
        if self.ports.is_empty() {
            return PortSet::all();
        }
        self.ports.iter().fold(PortSet::empty(), |acc, p| acc.union(&p.ports_at(destination)))
    }
}
