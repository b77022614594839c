//! The denied-flow log: the deny chains send a rate-limited sample of dropped packets to an NFLOG
//! group; each becomes one JSON line on stdout naming the pods, the port and the engine's
//! explanation of why no policy allows the flow. Lines are rate-limited again here, and a flow
//! already logged in the last [`REPEAT_WINDOW`] is only counted.

mod nflog;
mod packet;

use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use moat_engine::Cluster;
use moat_engine::query::{Flow, PortRef, evaluate};
use serde_json::{Value, json};

use crate::agent::Shared;
use crate::log;
use crate::metrics::Metrics;
pub use packet::{Header, parse};

/// A flow logged once is not logged again within this window.
pub const REPEAT_WINDOW: Duration = Duration::from_secs(10);

/// Starts listening on `group` in a background thread; fails where NFLOG is unavailable, in which
/// case denied packets are still counted per pod.
pub fn start(group: u16, per_second: u32, shared: Arc<Shared>, metrics: Arc<Metrics>) -> Result<(), String> {
    let listener = nflog::Listener::bind(group)?;
    let mut limiter = Limiter::new(per_second);
    std::thread::Builder::new()
        .name("denied-log".into())
        .spawn(move || {
            loop {
                let batch = match listener.receive() {
                    Ok(batch) => batch,
                    Err(e) => {
                        log::warn("denied-flow log: receive failed", json!({"error": e}));
                        std::thread::sleep(Duration::from_millis(100));
                        continue;
                    }
                };
                for logged in batch {
                    let Some(header) = parse(&logged.payload) else {
                        continue;
                    };
                    let direction = logged.prefix.split_whitespace().nth(1).unwrap_or("").to_string();
                    if !limiter.admit(&header, &direction, Instant::now()) {
                        metrics.update(|m| m.denied_flows_suppressed += 1);
                        continue;
                    }
                    let cluster = shared.enforced();
                    let line = describe(cluster.as_ref().map(|e| &e.cluster), &header, &direction);
                    let mut stdout = std::io::stdout().lock();
                    let _ = writeln!(stdout, "{line}");
                    let _ = stdout.flush();
                    metrics.update(|m| m.denied_flows_logged += 1);
                }
            }
        })
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// One log line: the flow, and the engine's verdict with its reasons.
pub fn describe(cluster: Option<&Cluster>, header: &Header, direction: &str) -> Value {
    let mut line = json!({
        "time": log::timestamp(SystemTime::now()),
        "msg": "denied",
        "deniedAt": direction,
        "sourceAddress": header.source.to_string(),
        "destinationAddress": header.destination.to_string(),
        "port": header.port,
        "protocol": header.protocol().map_or_else(|| header.protocol_number.to_string(), |p| p.as_str().to_string()),
    });
    let Some(cluster) = cluster else { return line };
    let from = cluster.resolve_endpoint(&header.source.to_string());
    let to = cluster.resolve_endpoint(&header.destination.to_string());
    if let (Ok(from), Ok(to)) = (&from, &to) {
        line["source"] = json!(cluster.endpoint_name(*from));
        line["destination"] = json!(cluster.endpoint_name(*to));
    }
    let (Ok(from), Ok(to), Some(protocol), Some(port)) = (from, to, header.protocol(), header.port) else {
        line["reason"] = json!("not a TCP, UDP or SCTP flow: only policy rules without `ports` allow it");
        return line;
    };
    if let Ok(verdict) = evaluate(cluster, &Flow { from, to, port: PortRef::Number(port), protocol }) {
        let explanation = verdict.explain(cluster);
        line["reason"] = json!(explanation.summary);
        line["explanation"] = serde_json::to_value(&explanation).unwrap_or(Value::Null);
    }
    line
}

/// A token bucket (`per_second` lines, bursts of as many) plus suppression of repeats.
struct Limiter {
    per_second: f64,
    tokens: f64,
    refilled: Instant,
    recent: HashMap<(Header, String), Instant>,
}

impl Limiter {
    fn new(per_second: u32) -> Self {
        let per_second = f64::from(per_second.max(1));
        Limiter { per_second, tokens: per_second, refilled: Instant::now(), recent: HashMap::new() }
    }

    fn admit(&mut self, header: &Header, direction: &str, now: Instant) -> bool {
        // Source ports differ per connection; the flow is what repeats.
        let key = (*header, direction.to_string());
        if self.recent.get(&key).is_some_and(|&at| now.duration_since(at) < REPEAT_WINDOW) {
            return false;
        }
        self.tokens =
            (self.tokens + now.duration_since(self.refilled).as_secs_f64() * self.per_second).min(self.per_second);
        self.refilled = now;
        if self.tokens < 1.0 {
            return false;
        }
        self.tokens -= 1.0;
        if self.recent.len() > 10_000 {
            self.recent.retain(|_, &mut at| now.duration_since(at) < REPEAT_WINDOW);
        }
        self.recent.insert(key, now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(port: u16) -> Header {
        Header {
            source: "10.244.0.13".parse().unwrap(),
            destination: "10.244.0.11".parse().unwrap(),
            protocol_number: 6,
            port: Some(port),
        }
    }

    #[test]
    fn repeats_and_bursts_are_limited() {
        let mut limiter = Limiter::new(2);
        let t = Instant::now();
        assert!(limiter.admit(&header(1), "ingress", t));
        assert!(!limiter.admit(&header(1), "ingress", t), "repeat");
        assert!(limiter.admit(&header(2), "ingress", t));
        assert!(!limiter.admit(&header(3), "ingress", t), "bucket empty");
        assert!(limiter.admit(&header(3), "ingress", t + Duration::from_secs(1)));
        assert!(limiter.admit(&header(1), "ingress", t + REPEAT_WINDOW + Duration::from_secs(1)));
    }

    #[test]
    fn lines_carry_the_engines_explanation() {
        let manifests = "
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: app, labels: {app: web}}
spec: {containers: [{name: c, image: i}]}
status: {phase: Running, podIP: 10.244.0.11}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: app}
spec: {containers: [{name: c, image: i}]}
status: {phase: Running, podIP: 10.244.0.13}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: app}
spec: {podSelector: {}}
";
        let cluster = Cluster::from_texts([("m.yaml", manifests)]);
        let line = describe(Some(&cluster), &header(80), "ingress");
        assert_eq!(line["source"], "app/client");
        assert_eq!(line["destination"], "app/web");
        assert_eq!(line["explanation"]["allowed"], false);
        let reason = line["reason"].as_str().unwrap_or("");
        assert!(reason.contains("app/deny-all"), "{reason}");
    }
}
