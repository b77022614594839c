//! `moat list`: every pair of endpoints that may connect, with the ports, as netpol-analyzer lists them.

use moat_engine::model::policy::Direction;
use moat_engine::query::connectivity::reachability;
use moat_engine::render;

use crate::error::CliError;
use crate::input::InputArgs;
use crate::output::{ListFormat, diagnostics_format, write_json};
use crate::{Exit, Io};

#[derive(clap::Args)]
pub struct Args {
    /// Only the connections of these workloads (`name`, `namespace/name` or `namespace/name[Kind]`;
    /// repeat the option or separate with commas)
    #[arg(long, value_name = "WORKLOAD", value_delimiter = ',')]
    focus_workload: Vec<String>,

    /// With --focus-workload: only connections into the workloads (`ingress`) or out of them
    /// (`egress`)
    #[arg(long, value_enum, value_name = "ingress|egress", requires = "focus_workload")]
    focus_direction: Option<FocusDirection>,

    #[command(flatten)]
    input: InputArgs,

    /// Output format
    #[arg(short, long, value_enum, default_value_t)]
    output: ListFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum FocusDirection {
    Ingress,
    Egress,
}

pub fn run(args: &Args, io: &mut Io<'_>) -> Result<Exit, CliError> {
    let cluster = args.input.read(io)?;
    let all = reachability(&cluster);
    args.input.options.report(
        &cluster,
        &all.workloads.diagnostics,
        diagnostics_format(args.output == ListFormat::Json),
        io,
    )?;
    let shown = if args.focus_workload.is_empty() {
        all
    } else {
        let direction = args.focus_direction.map(|d| match d {
            FocusDirection::Ingress => Direction::Ingress,
            FocusDirection::Egress => Direction::Egress,
        });
        all.focus(&args.focus_workload, direction).map_err(|unknown| {
            let known: Vec<String> = all.workloads.list.iter().take(8).map(|w| w.id()).collect();
            CliError::Failed(format!(
                "no workload `{}`; workloads include {}",
                unknown.join("`, `"),
                if known.is_empty() { "none".to_string() } else { known.join(", ") }
            ))
        })?
    };
    let graph = shown.connectivity();
    match args.output {
        ListFormat::Txt => write!(io.stdout, "{}", render::connlist::text(&graph))?,
        ListFormat::Json => write_json(io.stdout, &render::connlist::rows(&graph))?,
        ListFormat::Csv => write!(io.stdout, "{}", render::connlist::csv(&graph))?,
        ListFormat::Md => write!(io.stdout, "{}", render::connlist::markdown(&graph))?,
        ListFormat::Dot => write!(io.stdout, "{}", render::connlist::dot(&graph))?,
        ListFormat::Svg => writeln!(io.stdout, "{}", render::svg::render(&graph))?,
        ListFormat::Mermaid => write!(io.stdout, "{}", render::connlist::mermaid(&graph))?,
    }
    Ok(Exit::Success)
}
