//! `moat lint`: what is wrong or risky in the manifests, as findings with a code, a location and help.

use moat_engine::query::lint::lint;
use moat_engine::query::workloads::workloads;
use moat_engine::render::{diagnostics, sarif};
use moat_engine::{Diagnostic, Severity};

use crate::error::CliError;
use crate::input::InputArgs;
use crate::output::{LintFormat, write_json};
use crate::{Exit, Io};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    input: InputArgs,

    /// Output format
    #[arg(short, long, value_enum, default_value_t)]
    output: LintFormat,
}

/// Every finding goes to stdout, the problems met while reading the input first among them (in
/// source order): for `lint` they are the answer, not a side note. Notes about the input (ignored
/// kinds, terminated pods) only with `--verbose`.
pub fn run(args: &Args, io: &mut Io<'_>) -> Result<Exit, CliError> {
    let cluster = args.input.read(io)?;
    let verbose = args.input.options.verbose();
    let mut findings: Vec<Diagnostic> =
        cluster.diagnostics.iter().filter(|d| verbose || d.severity != Severity::Note).cloned().collect();
    findings.extend(workloads(&cluster).diagnostics);
    findings.extend(lint(&cluster));
    match args.output {
        LintFormat::Text => match diagnostics::summary(&findings) {
            Some(summary) => {
                writeln!(io.stdout, "{}", diagnostics::render_all(&findings, &cluster.sources))?;
                writeln!(io.stdout, "{summary}")?;
            }
            None => writeln!(io.stdout, "no findings")?,
        },
        LintFormat::Json => {
            let resolved: Vec<_> =
                diagnostics::in_source_order(&findings).into_iter().map(|d| d.resolve(&cluster.sources)).collect();
            write_json(io.stdout, &resolved)?;
        }
        LintFormat::Sarif => {
            write!(io.stdout, "{}", sarif::render(&findings, &cluster.sources, env!("CARGO_PKG_VERSION")))?
        }
    }
    Ok(Exit::found(findings.iter().any(|d| d.severity != Severity::Note)))
}
