//! The control loop: merge source updates, and once every source delivered its initial view, sync
//! (parse → compile → diff → apply) after each burst of changes.
//!
//! Failure behaviour:
//! - a refused transaction changes nothing (nft transactions are atomic); the agent keeps the last
//!   applied state as its diff base and retries with exponential backoff;
//! - after `fail_after` of uninterrupted failure the [`FailMode`] decides what the node enforces;
//! - every `audit_interval` the table's shape (no set elements) is compared with the last applied
//!   state; if someone deleted or changed it, the next sync replaces the whole table;
//! - the agent never removes its table on exit: a killed agent leaves the last rules enforced, and
//!   its successor replaces them in one transaction, so no packet sees an empty table.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use moat_engine::model::versions::Options as EngineOptions;
use moat_engine::render::diagnostics;
use moat_engine::{Cluster, Severity, Sources};
use serde_json::json;

use crate::compile::{self, Compiled};
use crate::log;
use crate::metrics::Metrics;
use crate::nft::kernel::{Kernel, TableShape};
use crate::nft::{Ruleset, transaction};
use crate::sources::{Change, Update};

#[derive(Clone, Debug)]
pub enum Event {
    Source(Update),
    /// Stop the loop; the table stays as it is.
    Shutdown,
}

/// What the node enforces once syncing has failed for `fail_after` without interruption.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum FailMode {
    /// Keep the last applied rules (they may be stale) and keep retrying.
    Static,
    /// Remove the table: nothing is enforced until a sync succeeds.
    Open,
    /// Deny all new connections to and from local pods until a sync succeeds.
    Closed,
}

#[derive(Clone, Debug)]
pub struct Config {
    /// The Kubernetes release (and feature gates) the policies are evaluated as.
    pub engine: EngineOptions,
    pub compile: compile::Options,
    pub fail_mode: FailMode,
    pub fail_after: Duration,
    pub audit_interval: Duration,
    /// Quiet time after a change before syncing, to coalesce bursts.
    pub debounce: Duration,
    /// Longest a change waits for coalescing while changes keep coming.
    pub max_delay: Duration,
    pub backoff_initial: Duration,
    pub backoff_max: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            engine: EngineOptions::default(),
            compile: compile::Options::default(),
            fail_mode: FailMode::Static,
            fail_after: Duration::from_secs(30),
            audit_interval: Duration::from_secs(10),
            debounce: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
            backoff_initial: Duration::from_millis(200),
            backoff_max: Duration::from_secs(30),
        }
    }
}

/// What the kernel enforces, with the cluster it was computed from (for explanations and metrics).
#[derive(Debug)]
pub struct Enforced {
    pub cluster: Cluster,
    pub compiled: Compiled,
}

/// State shared with the HTTP server and the denied-flow log.
#[derive(Debug, Default)]
pub struct Shared {
    ready: AtomicBool,
    enforced: Mutex<Option<Arc<Enforced>>>,
}

impl Shared {
    /// True once the first sync succeeded.
    pub fn ready(&self) -> bool {
        self.ready.load(Ordering::Relaxed)
    }

    pub fn enforced(&self) -> Option<Arc<Enforced>> {
        self.enforced.lock().ok().and_then(|e| e.clone())
    }

    fn set(&self, enforced: Enforced) {
        if let Ok(mut slot) = self.enforced.lock() {
            *slot = Some(Arc::new(enforced));
        }
        self.ready.store(true, Ordering::Relaxed);
    }
}

struct Failure {
    since: Instant,
    attempts: u32,
    fail_mode_engaged: bool,
}

pub struct Agent<K: Kernel> {
    config: Config,
    kernel: K,
    metrics: Arc<Metrics>,
    shared: Arc<Shared>,
    /// Texts per source; `None` until the source delivered its initial view.
    sources: BTreeMap<String, Option<BTreeMap<String, String>>>,
    /// When each change not yet committed was noticed, oldest first.
    pending: Vec<Instant>,
    last_change: Option<Instant>,
    /// A sync is needed even without a pending change (after a failure or tampering).
    dirty: bool,
    /// What the kernel holds, as far as the agent knows; `None` forces a full replacement.
    applied: Option<Ruleset>,
    failure: Option<Failure>,
    retry_at: Option<Instant>,
    next_audit: Instant,
    /// Diagnostics already logged, so that each is reported once while it persists.
    reported: BTreeSet<String>,
    syncs: u64,
}

impl<K: Kernel> Agent<K> {
    /// `sources` names every source that must deliver its initial view before anything is programmed.
    pub fn new(config: Config, kernel: K, sources: &[&str], metrics: Arc<Metrics>, shared: Arc<Shared>) -> Self {
        let next_audit = Instant::now() + config.audit_interval;
        Agent {
            config,
            kernel,
            metrics,
            shared,
            sources: sources.iter().map(|s| (s.to_string(), None)).collect(),
            pending: Vec::new(),
            last_change: None,
            dirty: false,
            applied: None,
            failure: None,
            retry_at: None,
            next_audit,
            reported: BTreeSet::new(),
            syncs: 0,
        }
    }

    /// Runs until [`Event::Shutdown`] or until every sender is gone.
    pub fn run(mut self, events: &Receiver<Event>) {
        loop {
            let now = Instant::now();
            let received = match self.next_wakeup(now) {
                Some(at) => events.recv_timeout(at.saturating_duration_since(now)),
                None => events.recv().map_err(|_| RecvTimeoutError::Disconnected),
            };
            match received {
                Ok(Event::Source(update)) => self.receive(update),
                Ok(Event::Shutdown) | Err(RecvTimeoutError::Disconnected) => return,
                Err(RecvTimeoutError::Timeout) => {}
            }
            self.tick(Instant::now());
        }
    }

    /// Does whatever is due at `now`: a sync, an audit.
    pub fn tick(&mut self, now: Instant) {
        if self.sync_due(now) {
            self.sync();
        }
        if now >= self.next_audit {
            self.audit();
        }
    }

    pub fn receive(&mut self, update: Update) {
        let files = self.sources.entry(update.source.clone()).or_default();
        match update.change {
            Change::Replace(texts) => *files = Some(texts),
            Change::Upsert(name, text) => {
                files.get_or_insert_with(BTreeMap::new).insert(name, text);
            }
            Change::Remove(name) => {
                if let Some(files) = files {
                    files.remove(&name);
                }
            }
        }
        self.pending.push(update.observed_at);
        self.last_change = Some(Instant::now());
    }

    fn complete(&self) -> bool {
        self.sources.values().all(Option::is_some)
    }

    fn sync_due(&self, now: Instant) -> bool {
        if !self.complete() || self.retry_at.is_some_and(|at| now < at) {
            return false;
        }
        if self.failure.is_some() || (self.dirty && self.pending.is_empty()) {
            return true;
        }
        let Some(&first) = self.pending.first() else {
            return false;
        };
        let quiet = self.last_change.is_none_or(|t| now.duration_since(t) >= self.config.debounce);
        quiet || now.duration_since(first) >= self.config.max_delay
    }

    fn next_wakeup(&self, now: Instant) -> Option<Instant> {
        let mut at = vec![self.next_audit];
        if self.complete() {
            if let Some(retry) = self.retry_at {
                at.push(retry);
            } else if let (Some(&first), Some(last)) = (self.pending.first(), self.last_change) {
                at.push((last + self.config.debounce).min(first + self.config.max_delay));
            } else if self.dirty {
                at.push(now);
            }
        }
        at.into_iter().min()
    }

    /// The merged texts of every source, named `source:file`.
    fn sources(&self) -> Sources {
        let mut sources = Sources::default();
        for (source, files) in &self.sources {
            for (name, text) in files.iter().flatten() {
                sources.add(format!("{source}:{name}"), text.clone());
            }
        }
        sources
    }

    fn sync(&mut self) {
        self.syncs += 1;
        let started = Instant::now();
        let cluster = Cluster::from_sources_with(self.sources(), &self.config.engine);
        let parsed = Instant::now();
        self.report_diagnostics(&cluster);
        let compiled = compile::compile(&cluster, &self.config.compile);
        let compiled_at = Instant::now();
        let headline = format!("sync {}", self.syncs);
        let script = match &self.applied {
            Some(old) => transaction::update(old, &compiled.ruleset, &headline),
            None => Some(transaction::replace(&compiled.ruleset, &headline)),
        };
        let diffed = Instant::now();
        let result = script.as_deref().map_or(Ok(()), |s| self.kernel.apply(s));
        let done = Instant::now();
        self.metrics.update(|m| {
            for (phase, from, to) in [
                ("parse", started, parsed),
                ("compile", parsed, compiled_at),
                ("diff", compiled_at, diffed),
                ("apply", diffed, done),
            ] {
                m.sync_phase.entry(phase).or_default().observe(to - from);
            }
        });
        match result {
            Ok(()) => self.succeeded(cluster, compiled, script.is_some(), done - started),
            Err(e) => self.failed(&compiled, &e.0),
        }
    }

    fn succeeded(&mut self, cluster: Cluster, compiled: Compiled, changed: bool, took: Duration) {
        let committed = Instant::now();
        let pending = std::mem::take(&mut self.pending);
        self.metrics.update(|m| {
            for noticed in &pending {
                m.event_to_commit.observe(committed.saturating_duration_since(*noticed));
            }
            m.syncs += 1;
            m.last_success = Some(SystemTime::now());
        });
        self.metrics.record_state(&compiled);
        if changed || self.failure.is_some() {
            log::info(
                "synced",
                json!({
                    "changes": pending.len(),
                    "applied": changed,
                    "ms": took.as_secs_f64() * 1000.0,
                    "chains": compiled.ruleset.chains.len(),
                    "sets": compiled.ruleset.sets.len(),
                    "elements": compiled.ruleset.element_count(),
                    "localPods": compiled.local_pods.len(),
                }),
            );
        }
        self.applied = Some(compiled.ruleset.clone());
        self.shared.set(Enforced { cluster, compiled });
        self.failure = None;
        self.retry_at = None;
        self.dirty = false;
    }

    fn failed(&mut self, compiled: &Compiled, error: &str) {
        let now = Instant::now();
        let failure = self.failure.get_or_insert(Failure { since: now, attempts: 0, fail_mode_engaged: false });
        failure.attempts += 1;
        let shift = failure.attempts.saturating_sub(1).min(16);
        let backoff = self.config.backoff_initial.saturating_mul(1 << shift).min(self.config.backoff_max);
        self.retry_at = Some(now + backoff);
        self.dirty = true;
        self.metrics.update(|m| m.transaction_failures += 1);
        log::error(
            "transaction failed; nothing changed",
            json!({"attempt": failure.attempts, "retryInMs": backoff.as_millis() as u64, "error": error}),
        );
        if !failure.fail_mode_engaged && now.duration_since(failure.since) >= self.config.fail_after {
            failure.fail_mode_engaged = true;
            self.engage_fail_mode(compiled);
        }
    }

    fn engage_fail_mode(&mut self, compiled: &Compiled) {
        self.metrics.update(|m| m.fail_mode_engaged += 1);
        let (script, state) = match self.config.fail_mode {
            FailMode::Static => {
                log::warn("syncing keeps failing; the last applied rules stay enforced (fail static)", json!({}));
                return;
            }
            FailMode::Open => (transaction::delete("fail-open: syncing keeps failing"), None),
            FailMode::Closed => {
                let lockdown = compile::lockdown(compiled);
                (transaction::replace(&lockdown, "fail-closed: syncing keeps failing"), Some(lockdown))
            }
        };
        match self.kernel.apply(&script) {
            Ok(()) => {
                log::warn(
                    "syncing keeps failing; fail mode engaged",
                    json!({"failMode": format!("{:?}", self.config.fail_mode).to_lowercase()}),
                );
                self.applied = state;
            }
            Err(e) => log::error("cannot engage the fail mode", json!({"error": e.0})),
        }
    }

    fn audit(&mut self) {
        self.next_audit = Instant::now() + self.config.audit_interval;
        let Some(applied) = &self.applied else { return };
        let problem = match self.kernel.shape() {
            Ok(None) => Some("the table was deleted".to_string()),
            Ok(Some(shape)) => {
                TableShape::of(applied).difference(&shape).map(|d| format!("the table was changed: {d}"))
            }
            Err(e) => {
                log::warn("cannot inspect the table", json!({"error": e.0}));
                None
            }
        };
        if let Some(problem) = problem {
            log::warn("table tampered with; reprogramming it whole", json!({"problem": problem}));
            self.metrics.update(|m| m.tamper_detected += 1);
            self.applied = None;
            self.dirty = true;
            if self.sync_due(Instant::now()) {
                self.sync();
            }
        }
    }

    /// Logs errors and warnings once each (errors mean the object was skipped); the count of
    /// rejected objects goes to the metrics.
    fn report_diagnostics(&mut self, cluster: &Cluster) {
        let mut current = BTreeSet::new();
        let mut errors = 0;
        for d in cluster.diagnostics.iter().filter(|d| d.severity != Severity::Note) {
            errors += usize::from(d.severity == Severity::Error);
            let text = diagnostics::render(d, &cluster.sources);
            if !self.reported.contains(&text) {
                let message =
                    if d.severity == Severity::Error { "object rejected and skipped" } else { "suspicious input" };
                let location = d.span.map(|s| cluster.sources.location(s).to_string());
                log::emit(
                    if d.severity == Severity::Error { log::Level::Error } else { log::Level::Warn },
                    message,
                    json!({"code": d.code, "problem": d.message, "location": location, "diagnostic": text}),
                );
            }
            current.insert(text);
        }
        self.reported = current;
        self.metrics.update(|m| m.invalid_objects = errors);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::nft::kernel::KernelError;

    /// Records scripts; fails them while `failing`; reports `shape` when audited.
    #[derive(Clone, Default)]
    struct FakeKernel {
        scripts: Arc<Mutex<Vec<String>>>,
        failing: Arc<Mutex<bool>>,
        shape: Arc<Mutex<Option<TableShape>>>,
    }

    impl Kernel for FakeKernel {
        fn apply(&mut self, script: &str) -> Result<(), crate::nft::kernel::KernelError> {
            let failing = *self.failing.lock().unwrap();
            // Fail-mode transactions go through, as they are what a failing sync falls back to.
            if failing && !script.starts_with("# moat fail-") {
                return Err(KernelError("refused".into()));
            }
            self.scripts.lock().unwrap().push(script.to_string());
            Ok(())
        }
        fn shape(&mut self) -> Result<Option<TableShape>, KernelError> {
            Ok(self.shape.lock().unwrap().clone())
        }
        fn counters(&mut self) -> Result<BTreeMap<String, u64>, KernelError> {
            Ok(BTreeMap::new())
        }
    }

    const PODS: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: default, labels: {app: web}}\n\
                        spec: {containers: [{name: c, image: i}]}\nstatus: {phase: Running, podIP: 10.0.0.1}\n";
    const DENY: &str = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: default}\nspec: {podSelector: {}}\n";

    fn update(source: &str, files: &[(&str, &str)]) -> Update {
        let files = files.iter().map(|(n, t)| (n.to_string(), t.to_string())).collect();
        Update { source: source.into(), change: Change::Replace(files), observed_at: Instant::now() }
    }

    fn agent(config: Config, kernel: &FakeKernel) -> (Agent<FakeKernel>, Arc<Shared>) {
        let shared = Arc::new(Shared::default());
        (Agent::new(config, kernel.clone(), &["a", "b"], Arc::new(Metrics::default()), shared.clone()), shared)
    }

    fn later() -> Instant {
        Instant::now() + Duration::from_secs(1)
    }

    #[test]
    fn waits_for_every_source_then_coalesces_a_burst() {
        let kernel = FakeKernel::default();
        let (mut agent, shared) = agent(Config::default(), &kernel);
        agent.receive(update("a", &[("pods.yaml", PODS)]));
        agent.tick(later());
        assert!(kernel.scripts.lock().unwrap().is_empty(), "source b has not delivered its initial view");
        agent.receive(update("b", &[]));
        agent.receive(update("b", &[("deny.yaml", DENY)]));
        agent.tick(later());
        let scripts = kernel.scripts.lock().unwrap().clone();
        assert_eq!(scripts.len(), 1, "one transaction for the burst");
        assert!(scripts[0].contains("delete table inet moat") && scripts[0].contains("ingress/default/deny"));
        assert!(shared.ready());
        // Nothing changed: no transaction.
        agent.receive(update("b", &[("deny.yaml", DENY)]));
        agent.tick(later());
        assert_eq!(kernel.scripts.lock().unwrap().len(), 1);
    }

    #[test]
    fn a_refused_transaction_keeps_the_diff_base_and_is_retried_with_backoff() {
        let kernel = FakeKernel::default();
        let (mut agent, _) = agent(Config::default(), &kernel);
        agent.receive(update("a", &[("pods.yaml", PODS)]));
        agent.receive(update("b", &[]));
        agent.tick(later());
        *kernel.failing.lock().unwrap() = true;
        agent.receive(update("b", &[("deny.yaml", DENY)]));
        agent.tick(later());
        assert_eq!(kernel.scripts.lock().unwrap().len(), 1, "the refused transaction left no trace");
        let first_retry = agent.retry_at.expect("a retry is scheduled");
        agent.tick(first_retry);
        let second_retry = agent.retry_at.expect("still failing");
        assert!(second_retry.duration_since(first_retry) > agent.config.backoff_initial, "backoff grows");
        *kernel.failing.lock().unwrap() = false;
        agent.tick(second_retry);
        let scripts = kernel.scripts.lock().unwrap().clone();
        assert_eq!(scripts.len(), 2);
        assert!(!scripts[1].contains("delete table"), "an incremental update from the last applied state");
        assert!(scripts[1].contains("add chain inet moat ingress/default/deny"));
        assert!(agent.failure.is_none());
    }

    #[test]
    fn persistent_failure_engages_the_fail_mode() {
        for (mode, expect) in [(FailMode::Closed, "# moat fail-closed"), (FailMode::Open, "# moat fail-open")] {
            let kernel = FakeKernel::default();
            let config = Config { fail_mode: mode, fail_after: Duration::ZERO, ..Config::default() };
            let (mut agent, _) = agent(config, &kernel);
            *kernel.failing.lock().unwrap() = true;
            agent.receive(update("a", &[("pods.yaml", PODS)]));
            agent.receive(update("b", &[]));
            agent.tick(later());
            let scripts = kernel.scripts.lock().unwrap().clone();
            assert_eq!(scripts.len(), 1, "{mode:?}");
            assert!(scripts[0].starts_with(expect), "{mode:?}: {}", scripts[0]);
            if mode == FailMode::Closed {
                assert!(scripts[0].contains("10.0.0.1 : goto ingress-deny"), "every local pod denied");
            }
        }
    }

    #[test]
    fn a_tampered_table_is_replaced_whole() {
        let kernel = FakeKernel::default();
        let (mut agent, _) = agent(Config::default(), &kernel);
        agent.receive(update("a", &[("pods.yaml", PODS)]));
        agent.receive(update("b", &[("deny.yaml", DENY)]));
        agent.tick(later());
        let applied = agent.applied.clone().expect("applied");
        *kernel.shape.lock().unwrap() = Some(TableShape::of(&applied));
        agent.next_audit = Instant::now();
        agent.tick(later());
        assert_eq!(kernel.scripts.lock().unwrap().len(), 1, "an intact table is left alone");
        *kernel.shape.lock().unwrap() = None;
        agent.next_audit = Instant::now();
        agent.tick(later());
        let scripts = kernel.scripts.lock().unwrap().clone();
        assert_eq!(scripts.len(), 2);
        assert!(scripts[1].contains("delete table inet moat"), "reprogrammed whole");
    }
}
