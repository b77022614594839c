//! `moat versions`: what each Kubernetes release does with NetworkPolicy.

use moat_engine::Sources;
use moat_engine::model::versions::{Options, Release};
use moat_engine::render::{diagnostics, versions};

use crate::error::CliError;
use crate::input::parse_gate;
use crate::output::{Format, write_json};
use crate::{Exit, Io};

#[derive(clap::Args)]
pub struct Args {
    /// Also say, feature by feature, whether this release has it
    #[arg(long, value_name = "X.Y")]
    kubernetes_version: Option<Release>,

    /// Feature gates of that release, `Name=true|false`, comma-separated or repeated
    #[arg(long, value_name = "NAME=BOOL", value_delimiter = ',', value_parser = parse_gate, requires = "kubernetes_version")]
    feature_gates: Vec<(String, bool)>,

    /// Output format
    #[arg(short, long, value_enum, default_value_t)]
    output: Format,
}

pub fn run(args: &Args, io: &mut Io<'_>) -> Result<Exit, CliError> {
    let resolved = args.kubernetes_version.map(|release| {
        Options { kubernetes_version: release, feature_gates: args.feature_gates.iter().cloned().collect() }.resolve()
    });
    if let Some((_, problems)) = &resolved {
        write!(io.stderr, "{}", diagnostics::render_all(problems, &Sources::default()))?;
    }
    let table = versions::table(resolved.as_ref().map(|(features, _)| features));
    match args.output {
        Format::Text => write!(io.stdout, "{}", versions::text(&table))?,
        Format::Json => write_json(io.stdout, &table)?,
    }
    Ok(Exit::Success)
}
