//! Synthetic clusters for differential tests, benchmarks and `moat gen`: deterministic for a seed.
//!
//! Two profiles. [`Profile::Mixed`] is shaped like hand-written manifests and exercises every corner
//! of the API: a few labels per pod from small vocabularies, replica groups, named ports that map to
//! different numbers on different pods, every peer and port form, defaulted and explicit policy
//! types. [`Profile::KubeBurner`] follows the network-policy workload of kube-burner used for
//! OpenShift/OVN scale tests: N numbered pods per namespace, and per policy a few local pods chosen by
//! `matchExpressions`, remote namespaces and pods by `matchExpressions`, single ports, port ranges
//! and CIDR rules.

use std::fmt::Write;

/// Sizes of a synthetic cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    pub namespaces: usize,
    pub pods: usize,
    pub policies: usize,
}

/// SplitMix64: tiny, fast, and stable across platforms and releases (unlike `rand`'s std generators).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const APPS: &[&str] = &["web", "api", "db", "cache", "queue", "auth", "search", "report"];
const TIERS: &[&str] = &["frontend", "backend", "data"];
const TEAMS: &[&str] = &["red", "blue", "green"];
const ENVS: &[&str] = &["prod", "staging", "dev"];

/// The shape of the generated objects; see the module docs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Profile {
    #[default]
    Mixed,
    KubeBurner,
}

impl std::str::FromStr for Profile {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "mixed" => Ok(Profile::Mixed),
            "kube-burner" => Ok(Profile::KubeBurner),
            other => Err(format!("unknown profile `{other}`; use `mixed` or `kube-burner`")),
        }
    }
}

/// A multi-document YAML text describing a random cluster of the given shape and profile.
pub fn generate(shape: Shape, profile: Profile, seed: u64) -> String {
    match profile {
        Profile::Mixed => cluster_yaml(shape, seed),
        Profile::KubeBurner => kube_burner(shape, seed),
    }
}

/// Per-policy parameters of the kube-burner network-policy workload (its defaults in the published
/// OpenShift scale runs: local_pods, remote namespaces and pods, single ports, port ranges, CIDRs).
const KB_LOCAL_PODS: usize = 2;
const KB_REMOTE_NAMESPACES: usize = 2;
const KB_REMOTE_PODS: usize = 2;
const KB_SINGLE_PORTS: usize = 2;
const KB_PORT_RANGES: usize = 2;
const KB_CIDRS: usize = 2;

fn kube_burner(shape: Shape, seed: u64) -> String {
    let mut rng = Rng::new(seed);
    let mut out = String::new();
    let namespaces = shape.namespaces.max(1);
    let per_namespace = shape.pods.div_ceil(namespaces).max(1);
    for ns in 0..namespaces {
        let _ = writeln!(
            out,
            "---\napiVersion: v1\nkind: Namespace\nmetadata: {{name: network-policy-perf-{ns}, labels: {{kube-burner-job: network-policy-perf}}}}"
        );
    }
    for i in 0..shape.pods {
        let (ns, num) = (i / per_namespace, i % per_namespace + 1);
        let n = i + 1;
        let _ = writeln!(
            out,
            "---\napiVersion: v1\nkind: Pod\nmetadata: {{name: test-pod-{num}, namespace: network-policy-perf-{ns}, labels: {{num: \"{num}\"}}}}\n\
             spec: {{nodeName: node{}, containers: [{{name: server, image: netpol-server, ports: [{{containerPort: 8080}}]}}]}}\n\
             status: {{phase: Running, podIP: 10.{}.{}.{}}}",
            i % 24,
            (n >> 16) & 255,
            (n >> 8) & 255,
            n & 255
        );
    }
    let values = |rng: &mut Rng, count: usize, max: usize| -> String {
        let picked: Vec<String> = (0..count).map(|_| format!("\"{}\"", 1 + rng.below(max))).collect();
        picked.join(", ")
    };
    for i in 0..shape.policies {
        let ns = i % namespaces;
        let direction = if i % 2 == 0 { ("ingress", "from", "Ingress") } else { ("egress", "to", "Egress") };
        let remote_namespaces: Vec<String> =
            (0..KB_REMOTE_NAMESPACES).map(|_| format!("network-policy-perf-{}", rng.below(namespaces))).collect();
        let mut peers = vec![format!(
            "{{namespaceSelector: {{matchExpressions: [{{key: kubernetes.io/metadata.name, operator: In, values: [{}]}}]}}, \
             podSelector: {{matchExpressions: [{{key: num, operator: In, values: [{}]}}]}}}}",
            remote_namespaces.join(", "),
            values(&mut rng, KB_REMOTE_PODS, per_namespace)
        )];
        for _ in 0..KB_CIDRS {
            peers.push(format!(
                "{{ipBlock: {{cidr: {}.{}.{}.0/24}}}}",
                1 + rng.below(126),
                rng.below(256),
                rng.below(256)
            ));
        }
        let mut ports: Vec<String> =
            (0..KB_SINGLE_PORTS).map(|_| format!("{{port: {}, protocol: TCP}}", 8000 + rng.below(1000))).collect();
        for _ in 0..KB_PORT_RANGES {
            let lo = 9000 + rng.below(500);
            ports.push(format!("{{port: {lo}, endPort: {}, protocol: TCP}}", lo + 1 + rng.below(50)));
        }
        let _ = writeln!(
            out,
            "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: {}-{i}, namespace: network-policy-perf-{ns}}}\n\
             spec: {{podSelector: {{matchExpressions: [{{key: num, operator: In, values: [{}]}}]}}, policyTypes: [{}], {}: [{{{}: [{}], ports: [{}]}}]}}",
            direction.0,
            values(&mut rng, KB_LOCAL_PODS, per_namespace),
            direction.2,
            direction.0,
            direction.1,
            peers.join(", "),
            ports.join(", ")
        );
    }
    out
}

/// A multi-document YAML text describing a random cluster of the given shape ([`Profile::Mixed`]).
pub fn cluster_yaml(shape: Shape, seed: u64) -> String {
    let mut rng = Rng::new(seed);
    let mut out = String::new();
    let namespaces = shape.namespaces.max(1);
    for ns in 0..namespaces {
        let _ = writeln!(
            out,
            "---\napiVersion: v1\nkind: Namespace\nmetadata: {{name: ns{ns}, labels: {{team: {}, env: {}}}}}",
            rng.pick(TEAMS),
            rng.pick(ENVS)
        );
    }
    // Pods come in replica groups, as workloads create them: same namespace, labels and ports.
    let mut template = None;
    let mut remaining = 0;
    for i in 0..shape.pods {
        if remaining == 0 {
            template = Some(PodTemplate::random(&mut rng, namespaces));
            remaining = 1 + rng.below(4);
        }
        remaining -= 1;
        if let Some(template) = &template {
            pod(&mut out, &mut rng, i, template);
        }
    }
    for i in 0..shape.policies {
        policy(&mut out, &mut rng, i, namespaces);
    }
    out
}

/// What the replicas of one workload share.
struct PodTemplate {
    namespace: usize,
    labels: String,
    ports: String,
}

impl PodTemplate {
    fn random(rng: &mut Rng, namespaces: usize) -> Self {
        let namespace = rng.below(namespaces);
        let mut labels = format!("app: {}", rng.pick(APPS));
        if rng.chance(60) {
            let _ = write!(labels, ", tier: {}", rng.pick(TIERS));
        }
        if rng.chance(30) {
            let _ = write!(labels, ", team: {}", rng.pick(TEAMS));
        }
        // The same port names map to different numbers on different pods.
        let http = if rng.chance(50) { 80 } else { 8080 };
        let metrics = if rng.chance(50) { 9090 } else { 9091 };
        let mut ports = format!("{{name: http, containerPort: {http}}}, {{name: metrics, containerPort: {metrics}}}");
        if rng.chance(30) {
            ports.push_str(", {name: dns, containerPort: 53, protocol: UDP}");
        }
        if rng.chance(15) {
            ports.push_str(", {name: diameter, containerPort: 3868, protocol: SCTP}");
        }
        PodTemplate { namespace, labels, ports }
    }
}

fn pod(out: &mut String, rng: &mut Rng, i: usize, template: &PodTemplate) {
    let PodTemplate { namespace: ns, labels, ports } = template;
    let host_network = rng.chance(3);
    let node = rng.below(3);
    let n = i + 1;
    let ip = if host_network {
        format!("192.168.0.{}", node + 1)
    } else {
        format!("10.{}.{}.{}", (n >> 16) & 255, (n >> 8) & 255, n & 255)
    };
    let status = if rng.chance(5) && !host_network {
        "{phase: Pending}".to_string()
    } else {
        format!("{{phase: Running, podIP: {ip}}}")
    };
    let _ = writeln!(
        out,
        "---\napiVersion: v1\nkind: Pod\nmetadata: {{name: pod{i}, namespace: ns{ns}, labels: {{{labels}}}}}\n\
         spec: {{nodeName: node{node}, hostNetwork: {host_network}, containers: [{{name: main, image: app, ports: [{ports}]}}]}}\n\
         status: {status}"
    );
}

fn selector(rng: &mut Rng, keys: &[(&str, &[&str])]) -> String {
    let (key, values) = keys[rng.below(keys.len())];
    match rng.below(6) {
        0 => "{}".into(),
        1 => format!(
            "{{matchExpressions: [{{key: {key}, operator: In, values: [{}, {}]}}]}}",
            rng.pick(values),
            rng.pick(values)
        ),
        2 => format!("{{matchExpressions: [{{key: {key}, operator: NotIn, values: [{}]}}]}}", rng.pick(values)),
        3 => format!(
            "{{matchExpressions: [{{key: {key}, operator: {}}}]}}",
            if rng.chance(50) { "Exists" } else { "DoesNotExist" }
        ),
        _ => format!("{{matchLabels: {{{key}: {}}}}}", rng.pick(values)),
    }
}

fn pod_selector(rng: &mut Rng) -> String {
    selector(rng, &[("app", APPS), ("tier", TIERS), ("team", TEAMS)])
}

fn namespace_selector(rng: &mut Rng, namespaces: usize) -> String {
    if rng.chance(25) {
        return format!("{{matchLabels: {{kubernetes.io/metadata.name: ns{}}}}}", rng.below(namespaces));
    }
    selector(rng, &[("team", TEAMS), ("env", ENVS)])
}

fn peer(rng: &mut Rng, namespaces: usize) -> String {
    match rng.below(5) {
        0 => format!("{{podSelector: {}}}", pod_selector(rng)),
        1 => format!("{{namespaceSelector: {}}}", namespace_selector(rng, namespaces)),
        2 => format!(
            "{{namespaceSelector: {}, podSelector: {}}}",
            namespace_selector(rng, namespaces),
            pod_selector(rng)
        ),
        3 => {
            let a = rng.below(2);
            if rng.chance(50) {
                format!("{{ipBlock: {{cidr: 10.0.0.0/{}, except: [10.0.{}.0/24]}}}}", 8 + 8 * a, rng.below(4))
            } else {
                format!("{{ipBlock: {{cidr: 10.0.{}.0/{}}}}}", rng.below(3), 24 + rng.below(5))
            }
        }
        _ => format!("{{ipBlock: {{cidr: 192.168.0.0/24, except: [192.168.0.{}/32]}}}}", 1 + rng.below(3)),
    }
}

fn port(rng: &mut Rng) -> String {
    match rng.below(9) {
        0 => "{port: 80}".into(),
        1 => "{port: 8080, protocol: TCP}".into(),
        2 => "{port: http}".into(),
        3 => "{port: metrics}".into(),
        4 => "{port: 53, protocol: UDP}".into(),
        5 => "{port: dns, protocol: UDP}".into(),
        6 => format!("{{port: {}, endPort: {}}}", 70 + rng.below(20), 80 + rng.below(9100)),
        7 => "{protocol: SCTP}".into(),
        _ => "{protocol: UDP}".into(),
    }
}

fn list(rng: &mut Rng, max: usize, item: &mut dyn FnMut(&mut Rng) -> String) -> String {
    let n = 1 + rng.below(max);
    let items: Vec<String> = (0..n).map(|_| item(rng)).collect();
    format!("[{}]", items.join(", "))
}

fn rules(rng: &mut Rng, peers_field: &str, namespaces: usize) -> String {
    match rng.below(8) {
        0 => "[]".into(),
        1 => "[{}]".into(),
        _ => list(rng, 3, &mut |rng| {
            let mut parts = Vec::new();
            if rng.chance(80) {
                parts.push(format!("{peers_field}: {}", list(rng, 3, &mut |rng| peer(rng, namespaces))));
            }
            if rng.chance(70) {
                parts.push(format!("ports: {}", list(rng, 3, &mut port)));
            }
            format!("{{{}}}", parts.join(", "))
        }),
    }
}

fn policy(out: &mut String, rng: &mut Rng, i: usize, namespaces: usize) {
    let ns = rng.below(namespaces);
    let mut spec = vec![format!("podSelector: {}", pod_selector(rng))];
    let (ingress, egress) = match rng.below(10) {
        0..=4 => (true, false),
        5..=6 => (false, true),
        _ => (true, true),
    };
    if ingress {
        spec.push(format!("ingress: {}", rules(rng, "from", namespaces)));
    }
    if egress {
        spec.push(format!("egress: {}", rules(rng, "to", namespaces)));
    }
    // Explicit types sometimes differ from what the rules suggest, e.g. Egress-only with ingress rules.
    match rng.below(5) {
        0 | 1 => {}
        2 => spec.push("policyTypes: [Ingress]".into()),
        3 => spec.push("policyTypes: [Egress]".into()),
        _ => spec.push("policyTypes: [Ingress, Egress]".into()),
    }
    let _ = writeln!(
        out,
        "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: policy{i}, namespace: ns{ns}}}\nspec: {{{}}}",
        spec.join(", ")
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Cluster, Severity};

    #[test]
    fn profiles_are_valid_and_deterministic() {
        let shape = Shape { namespaces: 5, pods: 60, policies: 20 };
        for profile in [Profile::Mixed, Profile::KubeBurner] {
            let text = generate(shape, profile, 3);
            assert_eq!(text, generate(shape, profile, 3));
            let cluster = Cluster::from_texts([("gen.yaml", text.as_str())]);
            let problems: Vec<_> = cluster.diagnostics.iter().filter(|d| d.severity != Severity::Note).collect();
            assert!(problems.is_empty(), "{profile:?}: {problems:?}");
            assert_eq!((cluster.pods.len(), cluster.policies.len()), (60, 20), "{profile:?}");
        }
    }
}
