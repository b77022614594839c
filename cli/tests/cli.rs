//! The command line, run in-process: every output format as a snapshot (`cli/tests/snapshots/`),
//! exit statuses, input handling and diagnostics.
//!
//! Update the snapshots with `INSTA_UPDATE=always cargo test -p moat`, then review the diff.

use std::ffi::OsString;
use std::fs;
use std::io;
use std::path::Path;
use std::process::{Command, Stdio};

use moat::{Exit, run};
use moat_engine::examples::EXAMPLES;

/// What one invocation did.
struct Transcript {
    args: Vec<String>,
    exit: Exit,
    stdout: String,
    stderr: String,
}

impl Transcript {
    /// The command line, the exit status and both streams, for a snapshot.
    fn text(&self) -> String {
        format!(
            "$ moat {}\nexit: {} ({:?})\n--- stdout\n{}--- stderr\n{}",
            self.args.join(" "),
            self.exit.code(),
            self.exit,
            self.stdout,
            self.stderr
        )
    }
}

fn run_moat(args: &[&str], stdin: &str) -> Transcript {
    let argv = std::iter::once("moat").chain(args.iter().copied()).map(OsString::from);
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let exit = run(argv, &mut stdin.as_bytes(), &mut stdout, &mut stderr);
    Transcript {
        args: args.iter().map(|a| a.to_string()).collect(),
        exit,
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

/// `moat` with a command line of space-separated arguments and `stdin`.
fn moat_with_stdin(command_line: &str, stdin: &str) -> Transcript {
    run_moat(&command_line.split_whitespace().collect::<Vec<_>>(), stdin)
}

fn moat(command_line: &str) -> Transcript {
    moat_with_stdin(command_line, "")
}

/// A pod, a policy with two errors, a document that is not YAML, a YAML 1.1 boolean, a CIDR with
/// host bits and a kind moat ignores: everything but the valid pod and `host-bits` is rejected or
/// noted, and the rest is still analyzed.
const FLAWED: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: prod
  labels: {app: web, enabled: on}
status: {podIP: 10.0.0.2}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: bad-port, namespace: prod}
spec:
  podSelector: {}
  ingress:
  - ports:
    - port: 70000
---
apiVersion: v1
kind: Pod
metadata: {name: broken, namespace: prod
  labels: [
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: bad-operator, namespace: prod}
spec:
  podSelector:
    matchExpressions:
    - {key: app, operator: in, values: [web]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: host-bits, namespace: prod}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from:
    - ipBlock: {cidr: 10.0.1.1/24}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: prod}
";

#[test]
fn check() {
    let allowed = moat("check --example docs --from myproject/worker --to default/db --port 6379");
    assert_eq!(allowed.exit, Exit::Success);
    insta::assert_snapshot!("check_allowed", allowed.text());
    let denied = moat("check --example docs --from other/frontend --to default/db --port redis");
    assert_eq!(denied.exit, Exit::Denied);
    insta::assert_snapshot!("check_denied", denied.text());
    let json = moat("check --example docs --from 172.17.1.10 --to default/db --port 6379 -o json");
    insta::assert_snapshot!("check_json", json.text());
}

#[test]
fn explain() {
    let denied = moat("explain --example classic --from payments/billing-2 --to payments/billing-1 --port http");
    assert_eq!(denied.exit, Exit::Denied);
    insta::assert_snapshot!("explain_denied", denied.text());
    let allowed = moat("explain --example docs --from default/db --to default/backup --port 5978");
    assert_eq!(allowed.exit, Exit::Success);
    insta::assert_snapshot!("explain_allowed_both_sides", allowed.text());
    let json = moat("explain --example docs --from default/frontend --to default/db --port 6379 --output json");
    insta::assert_snapshot!("explain_json", json.text());
}

#[test]
fn matrix_in_every_format() {
    for format in ["text", "csv", "md", "json"] {
        let run = moat(&format!("matrix --example docs --port 6379 --output {format}"));
        assert_eq!(run.exit, Exit::Success);
        insta::assert_snapshot!(format!("matrix_{format}"), run.text());
    }
    let any_port = moat("matrix --example classic");
    insta::assert_snapshot!("matrix_any_port_classic", any_port.text());
    let udp = moat("matrix --example docs --port 6379 --protocol udp");
    insta::assert_snapshot!("matrix_udp", udp.text());
}

#[test]
fn describe() {
    let pod = moat("describe --example classic --pod shop/db-0");
    insta::assert_snapshot!("describe_pod", pod.text());
    let policy = moat("describe --example classic --policy payments/billing-allow-shop");
    insta::assert_snapshot!("describe_policy", policy.text());
    let policy_json = moat("describe --example docs --policy test-network-policy -o json");
    insta::assert_snapshot!("describe_policy_json", policy_json.text());
    let pod_json = moat("describe --example docs --pod default/db -o json");
    insta::assert_snapshot!("describe_pod_json", pod_json.text());
}

#[test]
fn examples() {
    insta::assert_snapshot!("examples_list", moat("examples").text());
    insta::assert_snapshot!("examples_list_json", moat("examples -o json").text());
    for example in EXAMPLES {
        let run = moat(&format!("examples {}", example.name));
        assert_eq!((run.exit, run.stdout.as_str()), (Exit::Success, example.text));
        let json = moat(&format!("examples {} -o json", example.name));
        assert!(json.stdout.starts_with(&format!("{{\n  \"name\": \"{}\",", example.name)));
    }
}

#[test]
fn diagnostics_are_rendered_and_the_valid_rest_is_analyzed() {
    let run = moat_with_stdin("matrix -", FLAWED);
    assert_eq!(run.exit, Exit::Success);
    insta::assert_snapshot!("diagnostics_text", run.text());
    let verbose = moat_with_stdin("matrix --verbose -", FLAWED);
    for expected in ["note[ignored-kind]: kind `ConfigMap`", "3 errors, 2 warnings, 1 note in the input"] {
        assert!(verbose.stderr.contains(expected), "{}", verbose.stderr);
    }
    let json = moat_with_stdin("check - --from prod/web --to 10.0.1.7 --port 80 -o json", FLAWED);
    insta::assert_snapshot!("diagnostics_json", json.text());
}

#[test]
fn exit_statuses() {
    let docs = |command_line: &str| moat(&format!("{command_line} --example docs"));
    let unknown_pod = docs("check --from default/nope --to default/db --port 80");
    assert_eq!(unknown_pod.exit, Exit::Error);
    assert_eq!(
        unknown_pod.stderr,
        "error: no pod `default/nope`; pods include default/backup, default/db, default/frontend, \
         myproject/worker, other/frontend\n"
    );
    let unresolved = docs("explain --from default/db --to default/frontend --port postgres");
    assert_eq!(unresolved.exit, Exit::Error);
    assert_eq!(
        unresolved.stderr,
        "error: destination `default/frontend` declares no TCP container port named `postgres`\n"
    );
    assert_eq!(docs("describe --policy default/nope").exit, Exit::Error);
    assert_eq!(docs("describe --pod 192.0.2.1").stderr, "error: no pod has the address `192.0.2.1`\n");
    assert_eq!(moat("examples nope").stderr, "error: no example `nope`; examples: classic, docs\n");
    assert_eq!(moat("matrix --example nope").exit, Exit::Error);
    assert_eq!(moat("matrix /nonexistent/moat-input.yaml").exit, Exit::Error);

    for usage in [
        "check --from a --to b --example docs",
        "check --from a --to b --port 70000 --example docs",
        "check --from a --to b --port 80 --protocol ICMP --example docs",
        "matrix --protocol UDP --example docs",
        "matrix --example docs policies.yaml",
        "describe --example docs",
        "describe --example docs --pod db --policy p",
        "matrix",
        "frobnicate",
        "",
    ] {
        let run = moat(usage);
        assert_eq!(run.exit, Exit::Usage, "{}", run.text());
        assert!(run.stdout.is_empty() && !run.stderr.is_empty(), "{}", run.text());
    }
    let help = moat("--help");
    assert_eq!(help.exit, Exit::Success);
    assert!(help.stdout.starts_with("Kubernetes NetworkPolicy analyzer"), "{}", help.stdout);
    let codes = [Exit::Success, Exit::Error, Exit::Usage, Exit::Denied].map(Exit::code);
    assert_eq!(codes, [0, 1, 2, 3]);
}

#[test]
fn directories_are_walked_in_order_and_named_as_given() -> io::Result<()> {
    let dir = tempfile::tempdir()?;
    let root = dir.path();
    fs::create_dir_all(root.join("b/nested"))?;
    fs::create_dir_all(root.join(".git"))?;
    // `on` draws a warning, so stderr shows each YAML file's name and the order of reading.
    let pod = |name: &str, ip: &str| {
        format!(
            "apiVersion: v1\nkind: Pod\n\
             metadata: {{name: {name}, namespace: prod, labels: {{app: {name}, enabled: on}}}}\n\
             status: {{podIP: {ip}}}\n"
        )
    };
    let policy = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n\
                  metadata: {name: only-a, namespace: prod}\n\
                  spec:\n  podSelector: {matchLabels: {app: c}}\n\
                  \x20 ingress:\n  - from: [{podSelector: {matchLabels: {app: a}}}]\n";
    let json_pod = r#"{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "d", "namespace": "prod"}, "status": {"podIP": "10.0.0.4"}}"#;
    fs::write(root.join("a.yaml"), pod("a", "10.0.0.1"))?;
    fs::write(root.join("b/nested/c.yml"), pod("c", "10.0.0.3"))?;
    fs::write(root.join("b/d.json"), json_pod)?;
    fs::write(root.join("b/policy.yaml"), policy)?;
    for ignored in ["b/notes.txt", ".hidden.yaml", ".git/config.yaml"] {
        fs::write(root.join(ignored), "not: [a manifest")?;
    }
    let shown = root.display().to_string();
    let run = run_moat(&["explain", &shown, "--from", "prod/d", "--to", "prod/c", "--port", "80"], "");
    insta::assert_snapshot!("directory_input", run.text().replace(&shown, "[dir]"));

    // A file named on the command line is read whatever its extension; `-` mixes in stdin.
    let listed = root.join("b/notes.txt").display().to_string();
    let run = run_moat(&["matrix", &listed, "-"], &pod("e", "10.0.0.5"));
    assert!(run.stderr.contains(&format!("--> {listed}:1:")), "{}", run.stderr);
    assert!(run.stdout.contains("prod/e"), "{}", run.stdout);

    let empty = tempfile::tempdir()?;
    let shown = empty.path().display().to_string();
    let run = run_moat(&["matrix", &shown], "");
    assert_eq!(run.exit, Exit::Success);
    assert_eq!(run.stderr, format!("warning: `{shown}` holds no .yaml, .yml or .json files\n"));
    Ok(())
}

/// The real binary, its stdout closed before it writes: no panic, no message, normal exit status.
#[test]
fn a_closed_stdout_is_not_an_error() -> io::Result<()> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_moat"))
        .args(["matrix", "--example", "classic", "--output", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    drop(child.stdout.take());
    let output = child.wait_with_output()?;
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
    Ok(())
}

#[test]
fn the_binary_reports_the_exit_status() -> io::Result<()> {
    let manifests = Path::new(env!("CARGO_MANIFEST_DIR")).join("../engine/src/examples/docs.yaml");
    let status = Command::new(env!("CARGO_BIN_EXE_moat"))
        .args(["check", "--from", "other/frontend", "--to", "default/db", "--port", "6379"])
        .arg(manifests)
        .stdout(Stdio::null())
        .status()?;
    assert_eq!(status.code(), Some(3));
    Ok(())
}
