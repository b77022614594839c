//! `moat verify`: do the policies do what the intents file says they should?

use std::fs;
use std::path::PathBuf;

use moat_engine::Sources;
use moat_engine::query::intents::{Outcome, parse, verify};
use moat_engine::query::workloads::workloads;
use moat_engine::render;
use serde::Serialize;

use crate::error::CliError;
use crate::input::InputArgs;
use crate::output::{Format, write_json};
use crate::{Exit, Io};

#[derive(clap::Args)]
pub struct Args {
    /// The intents: a YAML list of `{from, to, port?, protocol?, expect: allow|deny}` (see the README)
    #[arg(long, value_name = "FILE")]
    intents: PathBuf,

    #[command(flatten)]
    input: InputArgs,

    /// Output format
    #[arg(short, long, value_enum, default_value_t)]
    output: Format,
}

/// `--output json`.
#[derive(Serialize)]
struct VerifyOutput<'a> {
    holds: bool,
    intents: &'a [Outcome],
}

pub fn run(args: &Args, io: &mut Io<'_>) -> Result<Exit, CliError> {
    let text = fs::read_to_string(&args.intents)
        .map_err(|e| CliError::Failed(format!("cannot read `{}`: {e}", args.intents.display())))?;
    let cluster = args.input.read(io)?;
    let workloads = workloads(&cluster);
    args.input.options.report(&cluster, &workloads.diagnostics, args.output, io)?;
    let mut sources = Sources::default();
    let file = sources.add(args.intents.display().to_string(), text);
    let (intents, problems) = parse(&sources, file, &cluster.features);
    if !problems.is_empty() {
        writeln!(io.stderr, "{}", render::diagnostics::render_all(&problems, &sources))?;
        return Err(CliError::Failed(format!("`{}` has invalid intents; nothing was checked", args.intents.display())));
    }
    let outcomes = verify(&cluster, &workloads, &intents, &sources);
    let holds = outcomes.iter().all(|o| o.holds);
    match args.output {
        Format::Text => write!(io.stdout, "{}", render::intents::text(&outcomes))?,
        Format::Json => write_json(io.stdout, &VerifyOutput { holds, intents: &outcomes })?,
    }
    Ok(Exit::found(!holds))
}
