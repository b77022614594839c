//! A small cluster for behaviour tests: a few pods on one node, a manifests directory the test
//! edits, and the agent. Probes are TCP connections to port 80 (named `http` on every pod).

use std::net::IpAddr;
use std::time::{Duration, Instant};

use moat_engine::model::ports::Protocol;

use super::agent::{Agent, TempDir};
use super::netns::Netns;
use super::topology::{PodSpec, Topology};
use super::traffic::{Probe, Servers, probe_within};

pub const PORT: u16 = 80;
/// Longest a test waits for a verdict to change.
pub const PATIENCE: Duration = Duration::from_secs(10);
/// Connections between pods of one node complete in about a millisecond; a denied one times out.
pub const QUICK_TIMEOUT: Duration = Duration::from_millis(100);

/// `namespace/name`, address, labels (`key: value, …` in flow style).
pub struct PodDef {
    pub id: &'static str,
    pub address: &'static str,
    pub labels: &'static str,
}

pub const CLIENT: PodDef = PodDef { id: "default/client", address: "10.250.0.10", labels: "role: client" };
pub const WEB: PodDef = PodDef { id: "default/web", address: "10.250.0.11", labels: "app: web" };
pub const OTHER: PodDef = PodDef { id: "default/other", address: "10.250.0.12", labels: "role: other" };

/// A Pod manifest: running on `node0`, `http` on port 80.
pub fn pod_yaml(id: &str, address: &str, labels: &str, phase: &str) -> String {
    let (namespace, name) = id.split_once('/').unwrap_or(("default", id));
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: {namespace}, labels: {{{labels}}}}}\n\
         spec: {{nodeName: node0, containers: [{{name: main, image: app, ports: [{{name: http, containerPort: {PORT}}}]}}]}}\n\
         status: {{phase: {phase}, podIP: {address}}}\n"
    )
}

/// Ingress to `app: web` from pods matching `from` (`None`: from nothing).
pub fn web_policy(name: &str, from: Option<&str>) -> String {
    let ingress = match from {
        Some(labels) => {
            format!("[{{from: [{{podSelector: {{matchLabels: {{{labels}}}}}}}], ports: [{{port: http}}]}}]")
        }
        None => "[]".into(),
    };
    format!(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: {name}, namespace: default}}\n\
         spec: {{podSelector: {{matchLabels: {{app: web}}}}, policyTypes: [Ingress], ingress: {ingress}}}\n"
    )
}

pub struct Fixture {
    pub agent: Option<Agent>,
    _servers: Vec<Servers>,
    pub topology: Topology,
    pub manifests: TempDir,
    pub logs: TempDir,
}

impl Fixture {
    /// Namespaces for `pods` (each also written to the manifests), and `files`; no agent yet.
    pub fn new(pods: &[&PodDef], files: &[(&str, String)]) -> Result<Fixture, String> {
        let specs: Vec<PodSpec> = pods
            .iter()
            .map(|p| {
                Ok(PodSpec {
                    id: p.id.into(),
                    addresses: vec![p.address.parse::<IpAddr>().map_err(|e| e.to_string())?],
                    node: 0,
                })
            })
            .collect::<Result<_, String>>()?;
        let topology = Topology::build(1, &specs)?;
        let manifests = TempDir::new("manifests")?;
        for p in pods {
            manifests.write(
                &format!("pod-{}.yaml", p.id.replace('/', "-")),
                &pod_yaml(p.id, p.address, p.labels, "Running"),
            )?;
        }
        for (name, text) in files {
            manifests.write(name, text)?;
        }
        let servers = topology
            .pods
            .iter()
            .map(|p| Servers::start(&p.ns.name, &p.id, &[(Protocol::Tcp, PORT)]))
            .collect::<Result<_, _>>()?;
        Ok(Fixture { agent: None, _servers: servers, topology, manifests, logs: TempDir::new("logs")? })
    }

    pub fn node(&self) -> &Netns {
        &self.topology.nodes[0].ns
    }

    /// Starts the agent on the manifests (plus `extra` arguments) and waits until it is ready.
    pub fn start_agent(&mut self, extra: &[&str]) -> Result<(), String> {
        self.start_agent_unready(extra)?;
        self.agent_mut()?.wait_ready()
    }

    pub fn start_agent_unready(&mut self, extra: &[&str]) -> Result<(), String> {
        let dir = self.manifests.path.to_string_lossy().into_owned();
        let mut args = vec!["--manifests", dir.as_str(), "--audit-interval", "1s"];
        args.extend_from_slice(extra);
        self.agent = Some(Agent::start(&self.node().name, &args, &self.logs.path)?);
        Ok(())
    }

    pub fn agent(&self) -> Result<&Agent, String> {
        self.agent.as_ref().ok_or_else(|| "no agent".to_string())
    }

    pub fn agent_mut(&mut self) -> Result<&mut Agent, String> {
        self.agent.as_mut().ok_or_else(|| "no agent".to_string())
    }

    /// A TCP probe from `from` to `to` on port 80.
    pub fn probe(&self, from: &PodDef, to: &PodDef) -> Result<Probe, String> {
        let source = self.topology.pod(from.id).ok_or("no such pod")?;
        let destination = to.address.parse().map_err(|e: std::net::AddrParseError| e.to_string())?;
        Ok(Probe {
            from_ns: source.ns.name.clone(),
            to: destination,
            protocol: Protocol::Tcp,
            port: PORT,
            expect: to.id.into(),
        })
    }

    /// Whether `from` reaches `to` on TCP port 80 now.
    pub fn reaches(&self, from: &PodDef, to: &PodDef) -> Result<bool, String> {
        Ok(probe_within(&self.probe(from, to)?, QUICK_TIMEOUT))
    }

    /// Probes until the verdict is `want`, for at most [`PATIENCE`]; returns how long it took.
    pub fn wait_for(&self, from: &PodDef, to: &PodDef, want: bool) -> Result<Duration, String> {
        let start = Instant::now();
        while start.elapsed() < PATIENCE {
            if self.reaches(from, to)? == want {
                return Ok(start.elapsed());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let log = self.agent.as_ref().map(Agent::log_tail).unwrap_or_default();
        Err(format!(
            "{} -> {} still {} after {PATIENCE:?}\nagent log:\n{log}",
            from.id,
            to.id,
            if want { "denied" } else { "allowed" }
        ))
    }

    /// Fails unless `from` -> `to` is `want` now.
    pub fn expect(&self, from: &PodDef, to: &PodDef, want: bool) -> Result<(), String> {
        if self.reaches(from, to)? == want {
            Ok(())
        } else {
            let log = self.agent.as_ref().map(Agent::log_tail).unwrap_or_default();
            Err(format!(
                "{} -> {} should be {}\nagent log:\n{log}",
                from.id,
                to.id,
                if want { "allowed" } else { "denied" }
            ))
        }
    }

    /// An `nft` stand-in that fails every transaction (not the listings) while `flag` exists,
    /// except fail-mode transactions; returns its path.
    pub fn failing_nft(&self, flag: &str) -> Result<String, String> {
        let path = self.logs.path.join("nft-failing");
        let flag = self.logs.path.join(flag);
        let script = format!(
            "#!/bin/sh\nif [ \"$1\" = \"-f\" ]; then\n  script=$(cat)\n  if [ -e '{}' ] && ! printf '%s' \"$script\" | head -n1 | grep -q '^# moat fail-'; then\n    echo 'injected failure' >&2\n    exit 1\n  fi\n  printf '%s\\n' \"$script\" | exec nft \"$@\"\nfi\nexec nft \"$@\"\n",
            flag.display()
        );
        std::fs::write(&path, script).map_err(|e| e.to_string())?;
        super::netns::run("chmod", &["+x", &path.to_string_lossy()])?;
        Ok(path.to_string_lossy().into_owned())
    }

    pub fn set_flag(&self, flag: &str, on: bool) -> Result<(), String> {
        let path = self.logs.path.join(flag);
        if on {
            std::fs::write(path, "").map_err(|e| e.to_string())
        } else {
            std::fs::remove_file(path).map_err(|e| e.to_string())
        }
    }
}
