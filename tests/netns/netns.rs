//! Network namespaces for the harness: created with `ip netns add`, entered per thread with
//! `setns(2)`, deleted on drop. Every name starts with [`PREFIX`], so leftovers of a crashed run
//! can be found and removed.

use std::fs::File;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use nix::sched::{CloneFlags, setns};

/// Every namespace this harness creates starts with this.
pub const PREFIX: &str = "moat-e2e-";

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A fresh, unique namespace name: prefix, process id, counter, and a hint for humans.
pub fn unique_name(hint: &str) -> String {
    format!("{PREFIX}{}-{}-{hint}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// Runs a command, failing with its stderr.
pub fn run(program: &str, args: &[&str]) -> Result<String, String> {
    let output = Command::new(program).args(args).output().map_err(|e| format!("{program}: {e}"))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(format!("{program} {}: {}", args.join(" "), String::from_utf8_lossy(&output.stderr).trim()))
    }
}

/// `ip -n <ns> <args…>`.
pub fn ip_in(ns: &str, args: &[&str]) -> Result<String, String> {
    let mut all = vec!["-n", ns];
    all.extend_from_slice(args);
    run("ip", &all)
}

/// Deletes namespaces left by earlier runs (this harness never shares names with anything else).
pub fn remove_leftovers() {
    let Ok(list) = run("ip", &["netns", "list"]) else {
        return;
    };
    for line in list.lines() {
        let name = line.split_whitespace().next().unwrap_or("");
        if name.starts_with(PREFIX) {
            let _ = run("ip", &["netns", "del", name]);
        }
    }
}

/// A namespace that is deleted (with every interface in it) when dropped.
pub struct Netns {
    pub name: String,
}

impl Netns {
    pub fn create(hint: &str) -> Result<Netns, String> {
        let name = unique_name(hint);
        run("ip", &["netns", "add", &name])?;
        let ns = Netns { name };
        ip_in(&ns.name, &["link", "set", "lo", "up"])?;
        Ok(ns)
    }

    pub fn ip(&self, args: &[&str]) -> Result<String, String> {
        ip_in(&self.name, args)
    }

    /// `ip netns exec <ns> <program> <args…>`.
    pub fn exec(&self, program: &str, args: &[&str]) -> Result<String, String> {
        let mut all = vec!["netns", "exec", self.name.as_str(), program];
        all.extend_from_slice(args);
        run("ip", &all)
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = run("ip", &["netns", "del", &self.name]);
    }
}

/// Runs `f` on a scoped thread inside namespace `name`.
pub fn enter_and_run<T: Send>(name: &str, f: impl FnOnce() -> T + Send) -> Result<T, String> {
    let file = File::open(format!("/var/run/netns/{name}")).map_err(|e| format!("netns {name}: {e}"))?;
    std::thread::scope(|scope| {
        scope
            .spawn(move || {
                setns(&file, CloneFlags::CLONE_NEWNET).map_err(|e| format!("setns {name}: {e}"))?;
                Ok(f())
            })
            .join()
            .map_err(|_| format!("thread in {name} panicked"))?
    })
}
