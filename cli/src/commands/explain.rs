//! `moat explain`: a verdict with every reason behind it.

use moat_engine::render;

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

pub fn run(args: &Args, io: &mut Io<'_>) -> Result<Exit, CliError> {
    let cluster = args.input.load(io, args.output)?;
    let verdict = args.flow.verdict(&cluster)?;
    let explanation = verdict.explain(&cluster);
    match args.output {
        Format::Text => write!(io.stdout, "{}", render::explain::text(&explanation))?,
        Format::Json => write_json(io.stdout, &explanation)?,
    }
    Ok(Exit::verdict(verdict.allowed))
}
