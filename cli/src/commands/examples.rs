//! `moat examples`: the bundled example clusters.

use moat_engine::examples::{self, EXAMPLES, Example};
use serde::Serialize;

use crate::error::CliError;
use crate::output::{Format, write_json};
use crate::{Exit, Io};

#[derive(clap::Args)]
pub struct Args {
    /// Print this example's manifests instead of the list
    name: Option<String>,

    /// Output format
    #[arg(short, long, value_enum, default_value_t)]
    output: Format,
}

/// One entry of the JSON list: an example without its manifests.
#[derive(Serialize)]
struct Listing {
    name: &'static str,
    title: &'static str,
}

pub fn run(args: &Args, io: &mut Io<'_>) -> Result<Exit, CliError> {
    match (&args.name, args.output) {
        (None, Format::Text) => {
            let width = EXAMPLES.iter().map(|e| e.name.len()).max().unwrap_or(0);
            for example in EXAMPLES {
                writeln!(io.stdout, "{:<width$}  {}", example.name, example.title)?;
            }
        }
        (None, Format::Json) => {
            let listing: Vec<Listing> = EXAMPLES.iter().map(|e| Listing { name: e.name, title: e.title }).collect();
            write_json(io.stdout, &listing)?;
        }
        (Some(name), Format::Text) => write!(io.stdout, "{}", find(name)?.text)?,
        (Some(name), Format::Json) => write_json(io.stdout, find(name)?)?,
    }
    Ok(Exit::Success)
}

/// The example called `name`, or an error that lists them all.
pub fn find(name: &str) -> Result<&'static Example, CliError> {
    examples::find(name).ok_or_else(|| {
        let names: Vec<&str> = EXAMPLES.iter().map(|e| e.name).collect();
        CliError::Failed(format!("no example `{name}`; examples: {}", names.join(", ")))
    })
}
