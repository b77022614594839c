//! `moat matrix`: which pods can reach which.

use moat_engine::model::ports::Protocol;
use moat_engine::model::versions::Release;
use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use moat_engine::query::{PortQuery, Reachability, Summary};
use moat_engine::render;
use moat_engine::render::matrix::Rows;
use serde::Serialize;

use super::parse_protocol;
use crate::error::CliError;
use crate::input::InputArgs;
use crate::output::{MatrixFormat, write_json};
use crate::{Exit, Io};

#[derive(clap::Args)]
pub struct Args {
    /// Only this destination port; without it a cell is allowed when any port of any protocol is
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    port: Option<u16>,

    /// The protocol of --port [default: TCP]
    #[arg(long, value_name = "TCP|UDP|SCTP", requires = "port", value_parser = parse_protocol)]
    protocol: Option<Protocol>,

    #[command(flatten)]
    input: InputArgs,

    /// Print counts (pods, classes, allowed pairs) instead of the table; nothing N×N is built
    #[arg(long)]
    summary: bool,

    /// Output format (`md`: Markdown)
    #[arg(short, long, value_enum, default_value_t)]
    output: MatrixFormat,
}

pub fn run(args: &Args, io: &mut Io<'_>) -> Result<Exit, CliError> {
    let cluster = args.input.load(io, args.output.diagnostics())?;
    let query = match args.port {
        Some(port) => PortQuery::One(port, args.protocol.unwrap_or(Protocol::Tcp)),
        None => PortQuery::Any,
    };
    let reachability = Reachability::new(&cluster, query);
    let release = cluster.features.release;
    if args.summary {
        let summary = reachability.summary();
        match args.output {
            MatrixFormat::Json => {
                write_json(io.stdout, &SummaryOutput { kubernetes_version: release, summary: &summary })?
            }
            _ => write!(io.stdout, "{}", render::matrix::summary(&summary))?,
        }
        return Ok(Exit::Success);
    }
    // Rows are computed and written one at a time: a big cluster's matrix never sits in memory.
    let progress = RowProgress::new(reachability.len());
    let mut table = Rows::of_reachability(&reachability);
    table.rows = Box::new(table.rows.inspect(|_| progress.row()));
    match args.output {
        MatrixFormat::Text => write_lines(io, render::matrix::text_lines(table))?,
        MatrixFormat::Csv => write_lines(io, render::matrix::csv_lines(table))?,
        MatrixFormat::Md => write_lines(io, render::matrix::markdown_lines(table))?,
        MatrixFormat::Json => {
            // The `Matrix` JSON, written row by row: `{"kubernetesVersion", "port", "protocol", "pods", "allowed"}`.
            let header = MatrixHeader {
                kubernetes_version: release,
                port: reachability.port(),
                protocol: reachability.protocol(),
                pods: &table.pods,
            };
            let header = serde_json::to_string_pretty(&header).map_err(|e| CliError::Failed(e.to_string()))?;
            write!(io.stdout, "{},\n  \"allowed\": [", header.trim_end().trim_end_matches('}').trim_end())?;
            for (i, row) in table.rows.enumerate() {
                let row = serde_json::to_string(&row).map_err(|e| CliError::Failed(e.to_string()))?;
                write!(io.stdout, "{}\n    {row}", if i == 0 { "" } else { "," })?;
            }
            writeln!(io.stdout, "{}]\n}}", if reachability.is_empty() { "" } else { "\n  " })?;
        }
    }
    progress.finish();
    Ok(Exit::Success)
}

fn write_lines(io: &mut Io<'_>, lines: impl Iterator<Item = String>) -> std::io::Result<()> {
    for line in lines {
        writeln!(io.stdout, "{line}")?;
    }
    Ok(())
}

/// A progress bar on stderr for matrices that take more than a second, when stderr is a terminal.
struct RowProgress {
    bar: ProgressBar,
    started: Instant,
}

impl RowProgress {
    fn new(rows: usize) -> Self {
        let bar = ProgressBar::with_draw_target(Some(rows as u64), ProgressDrawTarget::hidden());
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} rows, {eta} left")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        RowProgress { bar, started: Instant::now() }
    }

    fn row(&self) {
        self.bar.inc(1);
        if self.bar.is_hidden() && self.started.elapsed() > Duration::from_secs(1) && std::io::stderr().is_terminal() {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// The fields of the matrix JSON before `allowed`, in the documented order.
#[derive(Serialize)]
struct MatrixHeader<'a> {
    #[serde(rename = "kubernetesVersion")]
    kubernetes_version: Release,
    port: Option<u16>,
    protocol: Option<Protocol>,
    pods: &'a [&'a str],
}

/// `--summary --output json`: the counts, and the release they were evaluated as.
#[derive(Serialize)]
struct SummaryOutput<'a> {
    #[serde(rename = "kubernetesVersion")]
    kubernetes_version: Release,
    #[serde(flatten)]
    summary: &'a Summary,
}
