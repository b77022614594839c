//! `moat check`: the verdict on one flow, in one line.

use moat_engine::query::Explanation;
use serde::Serialize;

use super::FlowArgs;
use crate::error::CliError;
use crate::input::InputArgs;
use crate::output::{Format, write_json};
use crate::{Exit, Io};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    flow: FlowArgs,

    #[command(flatten)]
    input: InputArgs,

    /// Output format
    #[arg(short, long, value_enum, default_value_t)]
    output: Format,
}

/// `--output json`.
#[derive(Serialize)]
struct CheckOutput<'a> {
    allowed: bool,
    explanation: &'a Explanation,
}

pub fn run(args: &Args, io: &mut Io<'_>) -> Result<Exit, CliError> {
    let cluster = args.input.load(io, args.output)?;
    let verdict = args.flow.verdict(&cluster)?;
    let explanation = verdict.explain(&cluster);
    match args.output {
        Format::Text => writeln!(io.stdout, "{}", explanation.summary)?,
        Format::Json => write_json(io.stdout, &CheckOutput { allowed: verdict.allowed, explanation: &explanation })?,
    }
    Ok(Exit::verdict(verdict.allowed))
}
