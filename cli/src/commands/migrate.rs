//! `moat migrate`: NetworkPolicy manifests of an old release rewritten as `networking.k8s.io/v1` for
//! a later one, with the proof that reachability is unchanged.

use std::path::PathBuf;

use moat_engine::model::versions::Release;
use moat_engine::{Cluster, Sources, migrate, render};

use super::examples;
use crate::error::CliError;
use crate::input::{options, parse_gate, read_paths, report};
use crate::output::{diagnostics_format, write_json};
use crate::{Exit, Io};

#[derive(clap::Args)]
pub struct Args {
    /// Manifest files, directories or `-` for stdin, as for the other commands
    #[arg(value_name = "PATH", required_unless_present = "example", conflicts_with = "example")]
    paths: Vec<PathBuf>,

    /// Migrate a bundled example cluster instead of files
    #[arg(long, value_name = "NAME")]
    example: Option<String>,

    /// The release the manifests were written for (and are evaluated as)
    #[arg(long, value_name = "X.Y")]
    from_version: Release,

    /// The release to write them for [default: the newest]
    #[arg(long, value_name = "X.Y")]
    to_version: Option<Release>,

    /// Feature gates of the old release, `Name=true|false`
    #[arg(long, value_name = "NAME=BOOL", value_delimiter = ',', value_parser = parse_gate)]
    from_feature_gates: Vec<(String, bool)>,

    /// Feature gates of the new release, `Name=true|false`
    #[arg(long, value_name = "NAME=BOOL", value_delimiter = ',', value_parser = parse_gate)]
    to_feature_gates: Vec<(String, bool)>,

    /// Also report notes about the input
    #[arg(short, long)]
    verbose: bool,

    /// Output format: `yaml` is the manifests after a comment block with the proof; `json` has the
    /// manifests, what was written and left out, and the proof
    #[arg(short, long, value_enum, default_value_t)]
    output: MigrateFormat,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum MigrateFormat {
    #[default]
    Yaml,
    Json,
}

/// Exit status 0 when the proof holds, 3 when some pair's connections differ.
pub fn run(args: &Args, io: &mut Io<'_>) -> Result<Exit, CliError> {
    let mut sources = Sources::default();
    if let Some(name) = &args.example {
        let example = examples::find(name)?;
        sources.add(format!("{}.yaml", example.name), example.text);
    }
    read_paths(&args.paths, &mut sources, io)?;
    let old = Cluster::from_sources_with(sources, &options(Some(args.from_version), &args.from_feature_gates));
    let json = args.output == MigrateFormat::Json;
    report(&old, &[], args.verbose, diagnostics_format(json), io.stderr)?;
    let migration =
        migrate::migrate(&old, &options(args.to_version, &args.to_feature_gates)).map_err(CliError::Failed)?;
    if json {
        write_json(io.stdout, &migration)?;
    } else {
        write!(io.stdout, "{}", render::migrate::text(&migration))?;
    }
    Ok(Exit::found(!migration.proof.equivalent))
}
