//! `moat-agent`: the node enforcement sidecar. See the crate documentation and sidecar/README.md.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, mpsc};
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use moat_agent::agent::{Agent, Config, Event, FailMode, Shared};
use moat_agent::compile::{self, DeniedLog};
use moat_agent::metrics::Metrics;
use moat_agent::nft::kernel::{Kernel, Nft};
use moat_agent::nft::{render, transaction};
use moat_agent::sources::{kubernetes, manifests};
use moat_agent::{denied, http, log};
use moat_engine::model::versions::{Options as EngineOptions, Release};
use moat_engine::render::diagnostics;
use moat_engine::{Cluster, Severity, Sources};
use serde_json::json;

#[derive(Parser)]
#[command(
    name = "moat-agent",
    version,
    about = "Enforces Kubernetes NetworkPolicy on this node with nftables (one `inet moat` table)",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Print the nftables state for a node's pods, without touching the kernel.
    Render(RenderArgs),
    /// Remove moat's table: nothing is enforced afterwards.
    Cleanup {
        /// The nft binary.
        #[arg(long, default_value = "nft")]
        nft: PathBuf,
    },
}

#[derive(Args)]
struct DeniedLogArgs {
    /// Do not sample denied packets to NFLOG (they are still counted per pod).
    #[arg(long)]
    no_denied_log: bool,
    /// NFLOG group of the denied-packet sample.
    #[arg(long, default_value_t = 3710)]
    nflog_group: u16,
    /// Denied flows logged per second at most (the kernel samples at the same rate).
    #[arg(long, default_value_t = 20)]
    denied_log_rate: u32,
}

impl DeniedLogArgs {
    fn options(&self) -> Option<DeniedLog> {
        (!self.no_denied_log).then_some(DeniedLog { group: self.nflog_group, per_second: self.denied_log_rate })
    }
}

/// The Kubernetes release the policies are evaluated as (the same flags as `moat`).
#[derive(Args)]
struct ReleaseArgs {
    /// The Kubernetes release to enforce as: which API versions and isolation model apply
    /// [default: the newest]
    #[arg(long, value_name = "X.Y")]
    kubernetes_version: Option<Release>,
    /// Feature gates of that release, `Name=true|false`, comma-separated or repeated
    #[arg(long, value_name = "NAME=BOOL", value_delimiter = ',', value_parser = parse_gate)]
    feature_gates: Vec<(String, bool)>,
}

impl ReleaseArgs {
    fn options(&self) -> EngineOptions {
        EngineOptions {
            kubernetes_version: self.kubernetes_version.unwrap_or_default(),
            feature_gates: self.feature_gates.iter().cloned().collect(),
        }
    }
}

/// `Name=true` or `Name=false`, as kube-apiserver's `--feature-gates` takes them.
fn parse_gate(text: &str) -> Result<(String, bool), String> {
    let (name, value) = text.split_once('=').ok_or_else(|| format!("`{text}` is not `Name=true|false`"))?;
    let value = value.trim().parse::<bool>().map_err(|_| format!("`{text}`: the value must be `true` or `false`"))?;
    Ok((name.trim().to_string(), value))
}

#[derive(Args)]
struct RunArgs {
    /// Watch this directory of manifests (YAML or JSON, read recursively).
    #[arg(long, value_name = "DIR")]
    manifests: Option<PathBuf>,
    /// Watch the Kubernetes API (in-cluster configuration, or the kubeconfig).
    #[arg(long)]
    kubernetes: bool,
    /// This node's name: pods whose `spec.nodeName` is this are enforced here (default: all pods).
    #[arg(long, env = "NODE_NAME")]
    node: Option<String>,
    /// Address of the /metrics, /healthz and /readyz endpoints.
    #[arg(long, default_value = "127.0.0.1:9710")]
    listen: SocketAddr,
    /// The nft binary.
    #[arg(long, default_value = "nft")]
    nft: PathBuf,
    /// What to enforce when syncing keeps failing for --fail-after.
    #[arg(long, value_enum, default_value_t = FailMode::Static)]
    fail_mode: FailMode,
    /// How long syncing must fail without interruption before the fail mode engages.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    fail_after: Duration,
    /// How often to check that the table is as applied (deleted or flushed by someone else).
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    audit_interval: Duration,
    /// Quiet time after a change before syncing.
    #[arg(long, default_value = "10ms", value_parser = parse_duration)]
    debounce: Duration,
    /// Longest a change waits while changes keep coming.
    #[arg(long, default_value = "50ms", value_parser = parse_duration)]
    max_delay: Duration,
    #[command(flatten)]
    denied_log: DeniedLogArgs,
    #[command(flatten)]
    release: ReleaseArgs,
}

#[derive(Args)]
struct RenderArgs {
    /// Directory of manifests (YAML or JSON, read recursively).
    #[arg(long, value_name = "DIR")]
    manifests: PathBuf,
    /// Pods whose `spec.nodeName` is this are local (default: all pods).
    #[arg(long)]
    node: Option<String>,
    #[arg(long, value_enum, default_value_t = Output::Text)]
    output: Output,
    #[command(flatten)]
    denied_log: DeniedLogArgs,
    #[command(flatten)]
    release: ReleaseArgs,
}

#[derive(Clone, Copy, ValueEnum)]
enum Output {
    /// The table as an nft script (`nft -f` loads it).
    Text,
    /// The table as JSON: sets with their elements, chains with typed rules.
    Json,
}

/// `250ms`, `10s`, `2m`.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number.parse().map_err(|_| format!("`{text}` is not a duration such as 250ms, 10s or 2m"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "s" => Ok(Duration::from_secs(n)),
        "m" => Ok(Duration::from_secs(n * 60)),
        _ => Err(format!("`{text}` is not a duration such as 250ms, 10s or 2m")),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Render(args)) => render_command(&args),
        Some(Command::Cleanup { nft }) => match Nft::new(nft).apply(&transaction::delete("cleanup")) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        },
        None => match run(cli.run) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                log::error("cannot run", json!({"error": e}));
                ExitCode::FAILURE
            }
        },
    }
}

fn render_command(args: &RenderArgs) -> ExitCode {
    let files = match manifests::read_dir(&args.manifests) {
        Ok(files) => files,
        Err(e) => {
            eprintln!("error: cannot read `{}`: {e}", args.manifests.display());
            return ExitCode::FAILURE;
        }
    };
    let mut sources = Sources::default();
    for (name, text) in files {
        sources.add(name, text);
    }
    let cluster = Cluster::from_sources_with(sources, &args.release.options());
    let shown: Vec<_> = cluster.diagnostics.iter().filter(|d| d.severity != Severity::Note).collect();
    if !shown.is_empty() {
        eprintln!("{}", diagnostics::render_all(shown, &cluster.sources));
    }
    let options = compile::Options { node: args.node.clone(), denied_log: args.denied_log.options() };
    let compiled = compile::compile(&cluster, &options);
    match args.output {
        Output::Text => print!("{}", render::table(&compiled.ruleset)),
        Output::Json => println!("{}", render::json(&compiled.ruleset)),
    }
    ExitCode::SUCCESS
}

fn run(args: RunArgs) -> Result<(), String> {
    if args.manifests.is_none() && !args.kubernetes {
        return Err("give --manifests DIR, --kubernetes, or both".into());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("tokio runtime: {e}"))?;
    let _context = runtime.enter();
    let (events, received) = mpsc::channel();
    let metrics = Arc::new(Metrics::default());
    let shared = Arc::new(Shared::default());
    let nft = Nft::new(&args.nft);

    let listener =
        runtime.block_on(http::bind(args.listen)).map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    runtime.spawn(http::serve(listener, metrics.clone(), shared.clone(), nft.clone()));

    let mut denied_log = args.denied_log.options();
    if let Some(options) = denied_log {
        match denied::start(options.group, options.per_second, shared.clone(), metrics.clone()) {
            Ok(()) => log::info("denied-flow log on NFLOG", json!({"group": options.group})),
            Err(e) => {
                log::warn("NFLOG unavailable: denied packets are only counted", json!({"error": e}));
                denied_log = None;
            }
        }
    }

    let mut sources = Vec::new();
    if let Some(dir) = &args.manifests {
        manifests::watch(dir.clone(), args.debounce, args.max_delay, events.clone())?;
        sources.push(manifests::SOURCE);
    }
    if args.kubernetes {
        let client = runtime.block_on(kube::Client::try_default()).map_err(|e| format!("kubernetes client: {e}"))?;
        kubernetes::start(&client, args.node.as_deref(), &events);
        sources.extend(kubernetes::SOURCES);
    }

    let stop = events.clone();
    runtime.spawn(async move {
        let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            Some(()) = async { match terminate.as_mut() { Some(s) => s.recv().await, None => std::future::pending().await } } => {}
        }
        let _ = stop.send(Event::Shutdown);
    });
    drop(events);

    let config = Config {
        engine: args.release.options(),
        compile: compile::Options { node: args.node.clone(), denied_log },
        fail_mode: args.fail_mode,
        fail_after: args.fail_after,
        audit_interval: args.audit_interval,
        debounce: args.debounce,
        max_delay: args.max_delay,
        ..Config::default()
    };
    log::info("started", json!({"node": args.node, "sources": sources, "listen": args.listen.to_string()}));
    Agent::new(config, nft, &sources, metrics, shared).run(&received);
    log::info("stopped; the table stays in place and enforced", json!({}));
    Ok(())
}
