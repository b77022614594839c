//! Manifests in a directory (for example a mounted ConfigMap), read recursively and watched with
//! inotify. Bursts of file events are debounced into one update.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use notify::{RecommendedWatcher, RecursiveMode, Watcher};
use serde_json::json;

use super::{Change, Update};
use crate::agent::Event;
use crate::log;

pub const SOURCE: &str = "manifests";

/// Every `*.yaml`, `*.yml` and `*.json` file below `dir`, by path relative to it. Hidden entries are
/// skipped: a ConfigMap volume keeps each file twice, once behind `..data/`.
pub fn read_dir(dir: &Path) -> std::io::Result<BTreeMap<String, String>> {
    let mut files = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current)? {
            let path = entry?.path();
            let hidden = path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'));
            if hidden {
                continue;
            }
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml" || e == "json") {
                let name = path.strip_prefix(dir).unwrap_or(&path).to_string_lossy().into_owned();
                match std::fs::read_to_string(&path) {
                    Ok(text) => {
                        files.insert(name, text);
                    }
                    // Deleted between listing and reading: the next event brings the new state.
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => log::warn("cannot read manifest", json!({"file": name, "error": e.to_string()})),
                }
            }
        }
    }
    Ok(files)
}

/// Watches `dir` until the agent goes away: the complete view first, then a new view after each
/// burst of changes (quiet for `debounce`, or `max_delay` after the burst began when changes keep
/// coming). Returns once the initial view was sent.
pub fn watch(dir: PathBuf, debounce: Duration, max_delay: Duration, agent: Sender<Event>) -> Result<(), String> {
    let (tx, rx) = mpsc::channel();
    let mut watcher = RecommendedWatcher::new(
        move |event: notify::Result<notify::Event>| {
            let _ = tx.send((Instant::now(), event));
        },
        notify::Config::default(),
    )
    .map_err(|e| format!("cannot watch `{}`: {e}", dir.display()))?;
    watcher.watch(&dir, RecursiveMode::Recursive).map_err(|e| format!("cannot watch `{}`: {e}", dir.display()))?;
    let initial = read_dir(&dir).map_err(|e| format!("cannot read `{}`: {e}", dir.display()))?;
    let send = move |files, observed_at| {
        agent.send(Event::Source(Update { source: SOURCE.into(), change: Change::Replace(files), observed_at })).is_ok()
    };
    if !send(initial.clone(), Instant::now()) {
        return Ok(());
    }
    std::thread::Builder::new()
        .name("manifests".into())
        .spawn(move || {
            // The watcher lives as long as this thread.
            let _watcher = watcher;
            let mut last = initial;
            while let Some(first) = next_burst(&rx, debounce, max_delay) {
                match read_dir(&dir) {
                    Ok(files) if files != last => {
                        last = files.clone();
                        if !send(files, first) {
                            return;
                        }
                    }
                    Ok(_) => {}
                    // Keep enforcing the last view rather than an empty one.
                    Err(e) => log::error(
                        "cannot read manifests",
                        json!({"dir": dir.display().to_string(), "error": e.to_string()}),
                    ),
                }
            }
        })
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// Waits for a file event, then for `debounce` of quiet (at most until `max_delay` after the first
/// event); returns when the burst began, or `None` when the watcher is gone.
fn next_burst(
    rx: &Receiver<(Instant, notify::Result<notify::Event>)>,
    debounce: Duration,
    max_delay: Duration,
) -> Option<Instant> {
    let (first, _) = rx.recv().ok()?;
    loop {
        let left = (first + max_delay).saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Some(first);
        }
        match rx.recv_timeout(debounce.min(left)) {
            Ok(_) => {}
            Err(RecvTimeoutError::Timeout) => return Some(first),
            Err(RecvTimeoutError::Disconnected) => return None,
        }
    }
}
