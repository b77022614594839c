//! The agent's metrics, rendered in the Prometheus text exposition format (version 0.0.4).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use moat_engine::model::policy::Direction;

use crate::compile::{Compiled, DIRECTIONS};

/// Phases of one sync, in order.
pub const PHASES: [&str; 4] = ["parse", "compile", "diff", "apply"];

/// Bucket bounds in seconds: fine below 100 ms, where the latency goals are.
const BUCKETS: [f64; 19] = [
    0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5,
    5.0,
];

#[derive(Clone, Debug, Default)]
pub struct Histogram {
    /// Per bucket, not cumulative; the last slot counts observations above every bound.
    counts: [u64; BUCKETS.len() + 1],
    sum: f64,
    count: u64,
}

impl Histogram {
    pub fn observe(&mut self, value: Duration) {
        let v = value.as_secs_f64();
        let slot = BUCKETS.iter().position(|&b| v <= b).unwrap_or(BUCKETS.len());
        self.counts[slot] += 1;
        self.sum += v;
        self.count += 1;
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        let mut cumulative = 0;
        for (bound, count) in BUCKETS.iter().zip(self.counts) {
            cumulative += count;
            let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {cumulative}");
        }
        let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}", self.count);
        let braces = if labels.is_empty() { String::new() } else { format!("{{{labels}}}") };
        let _ = writeln!(out, "{name}_sum{braces} {}", self.sum);
        let _ = writeln!(out, "{name}_count{braces} {}", self.count);
    }
}

/// Everything the agent reports. One lock: updates happen once per sync, reads once per scrape.
#[derive(Debug, Default)]
pub struct Metrics {
    state: Mutex<State>,
}

#[derive(Clone, Debug, Default)]
pub struct State {
    pub sync_phase: BTreeMap<&'static str, Histogram>,
    pub event_to_commit: Histogram,
    pub syncs: u64,
    pub last_success: Option<SystemTime>,
    pub transaction_failures: u64,
    pub tamper_detected: u64,
    pub fail_mode_engaged: u64,
    pub chains: usize,
    pub sets: usize,
    pub set_elements: usize,
    pub local_pods: usize,
    pub isolated_ingress: usize,
    pub isolated_egress: usize,
    pub invalid_objects: usize,
    pub denied_flows_logged: u64,
    pub denied_flows_suppressed: u64,
}

impl Metrics {
    pub fn update(&self, change: impl FnOnce(&mut State)) {
        if let Ok(mut state) = self.state.lock() {
            change(&mut state);
        }
    }

    pub fn snapshot(&self) -> State {
        self.state.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Records a successful sync's resulting state.
    pub fn record_state(&self, compiled: &Compiled) {
        self.update(|s| {
            s.chains = compiled.ruleset.chains.len();
            s.sets = compiled.ruleset.sets.len();
            s.set_elements = compiled.ruleset.element_count();
            s.local_pods = compiled.local_pods.len();
            s.isolated_ingress = compiled.local_pods.iter().filter(|p| p.isolated(Direction::Ingress)).count();
            s.isolated_egress = compiled.local_pods.iter().filter(|p| p.isolated(Direction::Egress)).count();
        });
    }

    /// The exposition text; `denied` holds packets denied per (pod, direction), from nft counters.
    pub fn render(&self, denied: &BTreeMap<(String, Direction), u64>) -> String {
        let s = self.snapshot();
        let mut out = String::new();
        let header = |out: &mut String, name: &str, kind: &str, help: &str| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        };
        header(&mut out, "moat_sync_duration_seconds", "histogram", "Duration of each phase of a sync.");
        for phase in PHASES {
            s.sync_phase.get(phase).cloned().unwrap_or_default().render(
                &mut out,
                "moat_sync_duration_seconds",
                &format!("phase=\"{phase}\""),
            );
        }
        header(
            &mut out,
            "moat_event_to_commit_seconds",
            "histogram",
            "Time from a source noticing a change to its nftables commit.",
        );
        s.event_to_commit.render(&mut out, "moat_event_to_commit_seconds", "");
        let scalar = |out: &mut String, name: &str, kind: &str, help: &str, value: String| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}");
        };
        scalar(&mut out, "moat_syncs_total", "counter", "Successful syncs.", s.syncs.to_string());
        let last = s.last_success.and_then(|t| t.duration_since(UNIX_EPOCH).ok()).map_or(0.0, |d| d.as_secs_f64());
        scalar(
            &mut out,
            "moat_last_successful_sync_timestamp_seconds",
            "gauge",
            "Unix time of the last successful sync.",
            format!("{last:.3}"),
        );
        scalar(
            &mut out,
            "moat_transaction_failures_total",
            "counter",
            "nft transactions the kernel refused.",
            s.transaction_failures.to_string(),
        );
        scalar(
            &mut out,
            "moat_tamper_detected_total",
            "counter",
            "Times the table was found changed by someone else.",
            s.tamper_detected.to_string(),
        );
        scalar(
            &mut out,
            "moat_fail_mode_engaged_total",
            "counter",
            "Times persistent failure engaged the fail mode.",
            s.fail_mode_engaged.to_string(),
        );
        scalar(&mut out, "moat_chains", "gauge", "Chains in the table.", s.chains.to_string());
        scalar(&mut out, "moat_sets", "gauge", "Sets and maps in the table.", s.sets.to_string());
        scalar(&mut out, "moat_set_elements", "gauge", "Elements of all sets and maps.", s.set_elements.to_string());
        scalar(&mut out, "moat_local_pods", "gauge", "Pods of this node with an address.", s.local_pods.to_string());
        scalar(
            &mut out,
            "moat_invalid_objects",
            "gauge",
            "Objects rejected with an error and skipped.",
            s.invalid_objects.to_string(),
        );
        scalar(
            &mut out,
            "moat_denied_flows_logged_total",
            "counter",
            "Denied flows written to the denied-flow log.",
            s.denied_flows_logged.to_string(),
        );
        scalar(
            &mut out,
            "moat_denied_flows_suppressed_total",
            "counter",
            "Denied flows not logged because of the rate limit.",
            s.denied_flows_suppressed.to_string(),
        );
        header(&mut out, "moat_local_pods_isolated", "gauge", "Local pods isolated by some policy, per direction.");
        for direction in DIRECTIONS {
            let n = match direction {
                Direction::Ingress => s.isolated_ingress,
                Direction::Egress => s.isolated_egress,
            };
            let _ = writeln!(out, "moat_local_pods_isolated{{direction=\"{}\"}} {n}", direction.as_str());
        }
        header(
            &mut out,
            "moat_denied_packets_total",
            "counter",
            "Packets dropped because no policy allows them, per local pod.",
        );
        for ((pod, direction), packets) in denied {
            let _ = writeln!(
                out,
                "moat_denied_packets_total{{pod=\"{}\",direction=\"{}\"}} {packets}",
                escape(pod),
                direction.as_str()
            );
        }
        out
    }
}

fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative() {
        let mut h = Histogram::default();
        for _ in 0..99 {
            h.observe(Duration::from_micros(1500));
        }
        h.observe(Duration::from_millis(40));
        h.observe(Duration::from_secs(60));
        let mut text = String::new();
        h.render(&mut text, "x", "");
        assert!(text.contains("x_bucket{le=\"0.001\"} 0\n"));
        assert!(text.contains("x_bucket{le=\"0.002\"} 99\n"));
        assert!(text.contains("x_bucket{le=\"0.05\"} 100\n"));
        assert!(text.contains("x_bucket{le=\"5\"} 100\n"));
        assert!(text.contains("x_bucket{le=\"+Inf\"} 101\n"));
        assert!(text.contains("x_count 101\n"));
    }

    #[test]
    fn renders_prometheus_text() {
        let m = Metrics::default();
        m.update(|s| {
            s.event_to_commit.observe(Duration::from_millis(4));
            s.syncs = 2;
        });
        let text = m.render(&[(("default/web".to_string(), Direction::Ingress), 7)].into());
        assert!(text.contains("moat_event_to_commit_seconds_bucket{le=\"0.005\"} 1"));
        assert!(text.contains("moat_event_to_commit_seconds_count 1"));
        assert!(text.contains("moat_sync_duration_seconds_bucket{phase=\"apply\",le=\"+Inf\"} 0"));
        assert!(text.contains("moat_denied_packets_total{pod=\"default/web\",direction=\"ingress\"} 7"));
        assert!(text.contains("moat_syncs_total 2"));
    }
}
