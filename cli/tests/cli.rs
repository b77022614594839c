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
    insta::assert_snapshot!("matrix_summary", moat("matrix --example classic --summary").text());
    insta::assert_snapshot!("matrix_summary_json", moat("matrix --example classic --summary --port 80 -o json").text());
}

#[test]
fn generate() {
    let small = moat("gen --pods 4 --policies 2 --namespaces 2 --seed 1");
    insta::assert_snapshot!("gen_mixed", small.text());
    let burner = moat("gen --pods 4 --policies 2 --namespaces 2 --profile kube-burner");
    insta::assert_snapshot!("gen_kube_burner", burner.text());
    // Deterministic for a seed, different across seeds.
    assert_eq!(small.text(), moat("gen --pods 4 --policies 2 --namespaces 2 --seed 1").text());
    assert_ne!(small.text(), moat("gen --pods 4 --policies 2 --namespaces 2 --seed 2").text());
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

/// 1.6 manifests: an isolated namespace with a v1beta1 policy, a namespace without the annotation,
/// and a v1 policy that 1.6 does not serve.
const RELEASE_1_6: &str = r#"
apiVersion: v1
kind: Namespace
metadata:
  name: shop
  annotations:
    net.beta.kubernetes.io/network-policy: '{"ingress": {"isolation": "DefaultDeny"}}'
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: shop, labels: {app: db}}
---
apiVersion: v1
kind: Pod
metadata: {name: job, namespace: batch, labels: {app: job}}
---
apiVersion: extensions/v1beta1
kind: NetworkPolicy
metadata: {name: db-from-web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}}]
    ports: [{port: 5432}]
---
apiVersion: extensions/v1beta1
kind: NetworkPolicy
metadata: {name: lonely, namespace: batch}
spec:
  podSelector: {}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: too-new, namespace: shop}
spec:
  podSelector: {}
  ingress: [{}]
"#;

#[test]
fn releases() {
    let table = moat("versions");
    assert_eq!(table.exit, Exit::Success);
    insta::assert_snapshot!("versions", table.text());
    let at =
        moat("versions --kubernetes-version 1.21 --feature-gates NetworkPolicyEndPort=true,SCTPSupport=false -o json");
    insta::assert_snapshot!("versions_at_release_json", at.text());
    let old = moat_with_stdin("matrix - --kubernetes-version 1.6 --port 5432 -o json", RELEASE_1_6);
    insta::assert_snapshot!("matrix_1_6_json", old.text());
    let newest = moat_with_stdin("explain - --from shop/web --to shop/db --port 80", RELEASE_1_6);
    insta::assert_snapshot!("explain_newest_release", newest.text());
    let usage = moat("matrix --example docs --kubernetes-version 1.1");
    assert_eq!(usage.exit, Exit::Usage);
    assert!(usage.stderr.contains("NetworkPolicy does not exist before Kubernetes 1.2"), "{}", usage.stderr);
}

#[test]
fn migrate() {
    let run = moat_with_stdin("migrate - --from-version 1.6", RELEASE_1_6);
    assert_eq!(run.exit, Exit::Success);
    insta::assert_snapshot!("migrate_1_6", run.text());
    let json = moat_with_stdin("migrate - --from-version 1.6 --to-version 1.21 -o json", RELEASE_1_6);
    assert_eq!(json.exit, Exit::Success);
    insta::assert_snapshot!("migrate_1_6_json", json.text());
    // The newest reading (`ingress: [{}]` opens shop) cannot be written for 1.6, and a downgrade
    // from 1.22 to 1.20 loses endPort: the proof names the pairs.
    let ranged = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p}\nspec:\n  podSelector: {matchLabels: {app: db}}\n  ingress:\n  - ports: [{port: 5000, endPort: 6000}]\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: db, labels: {app: db}}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: web}\n";
    let lossy = moat_with_stdin("migrate - --from-version 1.22 --to-version 1.20", ranged);
    assert_eq!(lossy.exit, Exit::Denied);
    insta::assert_snapshot!("migrate_not_equivalent", lossy.text());
    let refused = moat_with_stdin("migrate - --from-version 1.6 --to-version 1.6", RELEASE_1_6);
    assert_eq!(refused.exit, Exit::Error);
}

/// Workloads in two namespaces for the connectivity commands: a Deployment and a StatefulSet with
/// named ports, a pod of a ReplicaSet, an ipBlock with an `except`, a port range and UDP.
const SHOP: &str = "\
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {team: shop}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 2
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, ports: [{name: http, containerPort: 8080}]}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: shop}
spec:
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: pg, ports: [{name: postgres, containerPort: 5432}]}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: worker-7d4f-x2k9p
  namespace: batch
  labels: {app: worker}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: worker-7d4f, controller: true}]
status: {podIP: 10.1.0.5}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  policyTypes: [Ingress, Egress]
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}}]
    ports: [{port: postgres}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}}]
    ports: [{port: http}]
  - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: batch}}}]
    ports: [{port: 9000, endPort: 9100}, {protocol: UDP, port: 53}]
";

/// `SHOP` after a change: the database also takes the worker, the web tier no longer takes traffic
/// from outside the cluster, and a cache appears.
fn shop_changed() -> String {
    let changed = SHOP
        .replace(
            "  - from: [{podSelector: {matchLabels: {app: web}}}]\n    ports: [{port: postgres}]",
            "  - from:\n    - podSelector: {matchLabels: {app: web}}\n    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: batch}}\n    ports: [{port: postgres}]",
        )
        .replace("  - from: [{ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}}]\n    ports: [{port: http}]\n", "");
    changed
        + "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: cache, namespace: shop}\nspec: {template: {metadata: {labels: {app: cache}}}}\n"
}

/// Writes `files` into a temporary directory; the transcripts show it as `[dir]`.
fn fixture(files: &[(&str, &str)]) -> io::Result<tempfile::TempDir> {
    let dir = tempfile::tempdir()?;
    for (name, text) in files {
        let path = dir.path().join(name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(path, text)?;
    }
    Ok(dir)
}

/// `moat` with `{dir}` in the command line standing for `dir`, and `[dir]` for it in the transcript.
fn moat_in(dir: &Path, command_line: &str) -> String {
    let shown = dir.display().to_string();
    let args: Vec<String> = command_line.split_whitespace().map(|a| a.replace("{dir}", &shown)).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run_moat(&args, "").text().replace(&shown, "[dir]")
}

#[test]
fn list_in_every_format() -> io::Result<()> {
    let dir = fixture(&[("shop.yaml", SHOP)])?;
    for format in ["txt", "json", "csv", "md", "dot", "svg", "mermaid"] {
        let run = moat_in(dir.path(), &format!("list {{dir}}/shop.yaml -o {format}"));
        assert!(run.contains("exit: 0 (Success)"), "{run}");
        insta::assert_snapshot!(format!("list_{format}"), run);
    }
    let focused =
        moat_in(dir.path(), "list {dir}/shop.yaml --focus-workload shop/db,worker-7d4f --focus-direction ingress");
    insta::assert_snapshot!("list_focus", focused);
    let unknown = moat_in(dir.path(), "list {dir}/shop.yaml --focus-workload nope");
    assert!(
        unknown.contains("exit: 1 (Error)") && unknown.contains("error: no workload `nope`; workloads include"),
        "{unknown}"
    );
    // The policies select hostNetwork pods only when told that the plugin does that.
    let host = "apiVersion: v1\nkind: Pod\nmetadata: {name: agent, labels: {app: agent}}\nspec: {hostNetwork: true}\n---\n\
                apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny}\nspec: {podSelector: {}}\n";
    let as_node = moat_with_stdin("list -", host);
    assert!(
        as_node.stdout.contains("0.0.0.0-255.255.255.255[External] => default/agent[Pod] : All Connections"),
        "{}",
        as_node.stdout
    );
    let as_pod = moat_with_stdin("list - --host-network pod", host);
    assert!(!as_pod.stdout.contains("=> default/agent[Pod]"), "{}", as_pod.stdout);
    Ok(())
}

#[test]
fn diff_in_every_format() -> io::Result<()> {
    let changed = shop_changed();
    let dir = fixture(&[("before/shop.yaml", SHOP), ("after/shop.yaml", &changed)])?;
    for format in ["txt", "json", "md", "csv"] {
        let run = moat_in(dir.path(), &format!("diff --before {{dir}}/before --after {{dir}}/after -o {format}"));
        assert!(run.contains("exit: 3 (Denied)"), "{run}");
        insta::assert_snapshot!(format!("diff_{format}"), run);
    }
    let same = moat_in(dir.path(), "diff --before {dir}/before --after {dir}/before");
    assert!(same.contains("exit: 0 (Success)") && same.contains("no connectivity changes"), "{same}");
    Ok(())
}

/// Policies with one of each problem `moat lint` finds.
const FLAWED_POLICIES: &str = "\
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: prod, labels: {app: web}}
spec: {containers: [{name: c, ports: [{name: http, containerPort: 8080}]}]}
status: {podIP: 10.0.0.1}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: prod, labels: {app: db}}
status: {podIP: 10.0.0.2}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: prod}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress, Egress]
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {team: a}}
    - podSelector: {matchLabels: {app: db}}
    ports: [{port: http}, {port: metrics}]
  - from: [{podSelector: {matchLabels: {app: db}}}]
    ports: [{port: 8080}]
  - {}
  egress:
  - to: [{ipBlock: {cidr: 10.0.0.0/24}}]
    ports: [{port: 443}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: ghost, namespace: prod}
spec:
  podSelector: {matchLabels: {app: ghost}}
";

#[test]
fn lint_in_every_format() -> io::Result<()> {
    let dir = fixture(&[("policies.yaml", FLAWED_POLICIES)])?;
    for format in ["text", "json", "sarif"] {
        let run = moat_in(dir.path(), &format!("lint {{dir}}/policies.yaml -o {format}"));
        assert!(run.contains("exit: 3 (Denied)"), "{run}");
        insta::assert_snapshot!(format!("lint_{format}"), run.replace(env!("CARGO_PKG_VERSION"), "[version]"));
    }
    let clean = moat("lint --example docs");
    insta::assert_snapshot!("lint_docs", clean.text());
    Ok(())
}

const INTENTS: &str = "\
intents:
- name: the web tier reaches the database
  from: shop/web
  to: {namespace: shop, workload: db}
  port: postgres
  expect: allow
- name: nothing outside the cluster reaches the database
  from: 0.0.0.0/0
  to: {podSelector: {matchLabels: {app: db}}}
  expect: deny
- name: the worker cannot reach the database
  from: {namespace: batch}
  to: shop/db
  port: 5432
  expect: deny
- name: the worker reaches the web tier on DNS
  from: batch/worker-7d4f
  to: shop/web
  port: 53
  protocol: udp
  expect: allow
- from: shop/web
  to: 10.1.0.5
  expect: deny
- from: shop/cache
  to: shop/db
  expect: allow
";

#[test]
fn verify_intents() -> io::Result<()> {
    let changed = shop_changed();
    let dir = fixture(&[("before/shop.yaml", SHOP), ("after/shop.yaml", &changed), ("intents.yaml", INTENTS)])?;
    let holding = moat_in(dir.path(), "verify {dir}/before --intents {dir}/intents.yaml");
    insta::assert_snapshot!("verify_text", holding);
    let json = moat_in(dir.path(), "verify {dir}/after --intents {dir}/intents.yaml -o json");
    assert!(json.contains("exit: 3 (Denied)"), "{json}");
    insta::assert_snapshot!("verify_json", json);
    let bad = fixture(&[(
        "intents.yaml",
        "- {from: a, to: b, expect: perhaps}\n- {from: a, to: b, port: http, expect: deny, when: now}\n",
    )])?;
    let invalid = moat_in(bad.path(), "verify --example docs --intents {dir}/intents.yaml");
    insta::assert_snapshot!("verify_invalid_intents", invalid);
    Ok(())
}
