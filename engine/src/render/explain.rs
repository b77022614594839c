//! An [`Explanation`] as text: the summary, then each side of the flow (egress at the source,
//! ingress at the destination) with its status, the policies that isolate it and every rule of
//! those policies, allowing or not, down to the peer and port entries with the file and the lines
//! they span.
//!
//! ```text
//! denied: other/frontend -> default/db TCP/6379: source not isolated for egress; destination ...
//!
//! egress at other/frontend: allowed
//!   not isolated: no policy selects it for egress
//!
//! ingress at default/db: denied
//!   isolated by default/test-network-policy (docs.yaml:103-136)
//!   default/test-network-policy ingress[0] (docs.yaml:116-129): no match
//!     from[0] (docs.yaml:117-120): `10.244.3.10` is outside ipBlock `172.17.0.0/16`
//!     from[1] (docs.yaml:121-123): namespace `other` (kubernetes.io/metadata.name=other) does not ...
//! ```

use std::fmt::Write;

use super::file_lines;
use crate::query::Explanation;
use crate::query::explain::{Element, SideExplanation};
use crate::query::flow::SideStatus;

pub fn text(explanation: &Explanation) -> String {
    let mut out = format!("{}\n", explanation.summary);
    if let Some(name) = &explanation.port_name {
        let _ = writeln!(out, "port `{name}` is {}/{} on {}", explanation.protocol, explanation.port, explanation.to);
    }
    // Same-pod and node-local traffic never consults policies; the summary already says why.
    if explanation.shortcut.is_some() {
        return out;
    }
    for side in [&explanation.egress, &explanation.ingress] {
        out.push('\n');
        side_text(&mut out, side);
    }
    out
}

fn side_text(out: &mut String, side: &SideExplanation) {
    let verdict = if side.allowed { "allowed" } else { "denied" };
    let _ = writeln!(out, "{} at {}: {verdict}", side.direction.as_str(), side.endpoint);
    let direction = side.direction.as_str();
    match side.status {
        SideStatus::External => {
            let _ = writeln!(out, "  not a pod of the input: NetworkPolicy does not restrict its {direction}");
        }
        SideStatus::HostNetwork => {
            let _ = writeln!(out, "  uses the host network: policies never select it");
        }
        SideStatus::NotIsolated => {
            let _ = writeln!(out, "  not isolated: no policy selects it for {direction}");
        }
        SideStatus::Isolated => {
            for mention in &side.isolated_by {
                let _ = writeln!(out, "  isolated by {} ({})", mention.policy, file_lines(&mention.location));
            }
            if side.rules.is_empty() {
                let _ = writeln!(out, "  no {direction} rule in these policies: nothing is allowed");
            }
            for rule in &side.rules {
                let outcome = if rule.allowed { "allows" } else { "no match" };
                let _ = writeln!(out, "  {} {} ({}): {outcome}", rule.policy, rule.rule, file_lines(&rule.location));
                for element in rule.matched.iter().chain(&rule.missed) {
                    let _ = writeln!(out, "    {}", element_text(element));
                }
            }
        }
    }
}

fn element_text(element: &Element) -> String {
    match &element.location {
        Some(location) => format!("{} ({}): {}", element.field, file_lines(location), element.text),
        // An absent `from`/`to`/`ports` list has no line of its own; its text says what it means.
        None => format!("{}: {}", element.field, element.text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Cluster;
    use crate::query::{Flow, PortRef, evaluate};

    const MANIFESTS: &str = "\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: prod}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from:
    - podSelector: {matchLabels: {app: api}}
    ports:
    - port: 5432
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: prod, labels: {app: db}}
spec: {containers: [{name: pg, ports: [{name: postgres, containerPort: 5432}]}]}
status: {podIP: 10.0.0.1}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: prod, labels: {app: web}}
status: {podIP: 10.0.0.2}
---
apiVersion: v1
kind: Pod
metadata: {name: api, namespace: prod, labels: {app: api}}
status: {podIP: 10.0.0.3}
";

    fn explain(from: &str, to: &str, port: &str) -> Result<String, String> {
        let cluster = Cluster::from_texts([("p.yaml", MANIFESTS)]);
        assert!(cluster.diagnostics.is_empty(), "{:?}", cluster.diagnostics);
        let flow = Flow {
            from: cluster.resolve_endpoint(from)?,
            to: cluster.resolve_endpoint(to)?,
            port: port.parse::<PortRef>()?,
            protocol: crate::model::ports::Protocol::Tcp,
        };
        let verdict = evaluate(&cluster, &flow).map_err(|e| e.to_string())?;
        Ok(text(&verdict.explain(&cluster)))
    }

    #[test]
    fn denied_flow_lists_every_miss() -> Result<(), String> {
        assert_eq!(
            explain("prod/web", "prod/db", "5432")?,
            "denied: prod/web -> prod/db TCP/5432: source not isolated for egress; destination isolated for ingress by prod/db and no rule allows it

egress at prod/web: allowed
  not isolated: no policy selects it for egress

ingress at prod/db: denied
  isolated by prod/db (p.yaml:1-10)
  prod/db ingress[0] (p.yaml:7-10): no match
    from[0] (p.yaml:8): `prod/web` (app=web) does not match podSelector `app=api`
"
        );
        Ok(())
    }

    #[test]
    fn allowed_flow_shows_the_matching_entries_and_the_resolved_port_name() -> Result<(), String> {
        assert_eq!(
            explain("prod/api", "prod/db", "postgres")?,
            "allowed: prod/api -> prod/db TCP/5432: source not isolated for egress; destination ingress allowed by prod/db ingress[0]
port `postgres` is TCP/5432 on prod/db

egress at prod/api: allowed
  not isolated: no policy selects it for egress

ingress at prod/db: allowed
  isolated by prod/db (p.yaml:1-10)
  prod/db ingress[0] (p.yaml:7-10): allows
    from[0] (p.yaml:8): pods matching `app=api` in namespace `prod` matches prod/api
    ports[0] (p.yaml:10): TCP 5432 matches TCP/5432
"
        );
        Ok(())
    }

    #[test]
    fn same_pod_needs_no_sides() -> Result<(), String> {
        assert_eq!(
            explain("prod/db", "prod/db", "1")?,
            "allowed: prod/db -> prod/db TCP/1: traffic from a pod to itself is always allowed\n"
        );
        Ok(())
    }
}
