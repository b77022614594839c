//! `moat diff`: what changed in connectivity between two versions of the manifests.

use std::path::PathBuf;

use moat_engine::Sources;
use moat_engine::query::connectivity::reachability;
use moat_engine::query::diff::diff;
use moat_engine::render;

use crate::error::CliError;
use crate::input::{ReadOptions, read_paths};
use crate::output::{DiffFormat, diagnostics_format, write_json};
use crate::{Exit, Io};

#[derive(clap::Args)]
pub struct Args {
    /// The manifests before the change: files, directories or `-`
    #[arg(long, value_name = "PATH", num_args = 1.., required = true)]
    before: Vec<PathBuf>,

    /// The manifests after the change
    #[arg(long, value_name = "PATH", num_args = 1.., required = true)]
    after: Vec<PathBuf>,

    #[command(flatten)]
    options: ReadOptions,

    /// Output format
    #[arg(short, long, value_enum, default_value_t)]
    output: DiffFormat,
}

pub fn run(args: &Args, io: &mut Io<'_>) -> Result<Exit, CliError> {
    let format = diagnostics_format(args.output == DiffFormat::Json);
    let mut sides = Vec::new();
    for paths in [&args.before, &args.after] {
        let mut sources = Sources::default();
        read_paths(paths, &mut sources, io)?;
        let cluster = args.options.cluster(sources);
        let reachability = reachability(&cluster);
        args.options.report(&cluster, &reachability.workloads.diagnostics, format, io)?;
        sides.push(reachability);
    }
    let changes = diff(&sides[0], &sides[1]);
    match args.output {
        DiffFormat::Txt => write!(io.stdout, "{}", render::diff::text(&changes))?,
        DiffFormat::Json => write_json(io.stdout, &changes)?,
        DiffFormat::Md => write!(io.stdout, "{}", render::diff::markdown(&changes))?,
        DiffFormat::Csv => write!(io.stdout, "{}", render::diff::csv(&changes))?,
    }
    Ok(Exit::found(!changes.is_empty()))
}
