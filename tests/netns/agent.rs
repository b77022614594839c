//! moat-agent as a real process in a node namespace, with its manifests directory, its logs, and a
//! small HTTP client for /readyz and /metrics.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::netns::{enter_and_run, unique_name};

/// Where the agent listens inside its node namespace (each namespace has its own loopback).
pub const LISTEN: &str = "127.0.0.1:9710";
/// How long an agent may take to program its first state.
const READY_TIMEOUT: Duration = Duration::from_secs(20);

pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_moat-agent")
}

/// A scratch directory, removed on drop.
pub struct TempDir {
    pub path: PathBuf,
}

impl TempDir {
    pub fn new(hint: &str) -> Result<TempDir, String> {
        let path = std::env::temp_dir().join(unique_name(hint));
        std::fs::create_dir_all(&path).map_err(|e| e.to_string())?;
        Ok(TempDir { path })
    }

    /// Writes a file atomically (write, then rename), as a ConfigMap update would appear.
    pub fn write(&self, name: &str, text: &str) -> Result<(), String> {
        let target = self.path.join(name);
        let staging = self.path.join(format!(".{name}.tmp"));
        std::fs::write(&staging, text).map_err(|e| e.to_string())?;
        std::fs::rename(&staging, &target).map_err(|e| e.to_string())
    }

    pub fn remove(&self, name: &str) -> Result<(), String> {
        std::fs::remove_file(self.path.join(name)).map_err(|e| e.to_string())
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// A running agent; killed on drop (which leaves its table in place, like a crash).
pub struct Agent {
    pub node_ns: String,
    child: Option<Child>,
    pub stdout: PathBuf,
    pub stderr: PathBuf,
}

impl Agent {
    /// Starts `moat-agent <args>` in `node_ns`, logs going to files in `logs`.
    pub fn start(node_ns: &str, args: &[&str], logs: &Path) -> Result<Agent, String> {
        let tag = unique_name("agent");
        let stdout = logs.join(format!("{tag}.out"));
        let stderr = logs.join(format!("{tag}.err"));
        let file = |p: &Path| std::fs::File::create(p).map_err(|e| e.to_string());
        let child = Command::new("ip")
            .args(["netns", "exec", node_ns, binary(), "--listen", LISTEN])
            .args(args)
            .stdin(Stdio::null())
            .stdout(file(&stdout)?)
            .stderr(file(&stderr)?)
            .spawn()
            .map_err(|e| format!("cannot start moat-agent: {e}"))?;
        Ok(Agent { node_ns: node_ns.to_string(), child: Some(child), stdout, stderr })
    }

    /// Waits until /readyz answers 200.
    pub fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + READY_TIMEOUT;
        while Instant::now() < deadline {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                return Err(format!("moat-agent exited ({status}):\n{}", self.log_tail()));
            }
            if self.get("/readyz").is_ok_and(|(status, _)| status == 200) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(format!("moat-agent not ready after {READY_TIMEOUT:?}:\n{}", self.log_tail()))
    }

    /// A plain HTTP/1.0 GET on the agent's endpoint: (status, body).
    pub fn get(&self, path: &str) -> Result<(u16, String), String> {
        let path = path.to_string();
        enter_and_run(&self.node_ns, move || -> Result<(u16, String), String> {
            let mut stream = TcpStream::connect(LISTEN).map_err(|e| e.to_string())?;
            stream.set_read_timeout(Some(Duration::from_secs(5))).map_err(|e| e.to_string())?;
            write!(stream, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").map_err(|e| e.to_string())?;
            let mut response = String::new();
            stream.read_to_string(&mut response).map_err(|e| e.to_string())?;
            let status = response.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
            let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
            Ok((status, body))
        })?
    }

    /// The value of an unlabelled metric, or of the first sample whose labels contain `labels`.
    pub fn metric(&self, name: &str, labels: &str) -> Option<f64> {
        let (_, body) = self.get("/metrics").ok()?;
        body.lines().filter(|l| !l.starts_with('#')).find_map(|line| {
            let (key, value) = line.rsplit_once(' ')?;
            let matches = if labels.is_empty() {
                key == name
            } else {
                key.starts_with(&format!("{name}{{")) && key.contains(labels)
            };
            if matches { value.parse().ok() } else { None }
        })
    }

    /// Kills the agent at once (SIGKILL), as a crash or an OOM kill would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn stderr_text(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    pub fn stdout_text(&self) -> String {
        std::fs::read_to_string(&self.stdout).unwrap_or_default()
    }

    pub fn log_tail(&self) -> String {
        let text = self.stderr_text();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(15)..].join("\n")
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        self.kill();
    }
}
