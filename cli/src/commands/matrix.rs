//! `moat matrix`: which pods can reach which.

use moat_engine::model::ports::Protocol;
use moat_engine::model::versions::Release;
use moat_engine::query::{Matrix, PortQuery, matrix};
use moat_engine::render;
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
    let matrix = matrix(&cluster, query);
    match args.output {
        MatrixFormat::Text => write!(io.stdout, "{}", render::matrix::text(&matrix))?,
        MatrixFormat::Json => {
            write_json(io.stdout, &MatrixOutput { kubernetes_version: cluster.features.release, matrix: &matrix })?
        }
        MatrixFormat::Csv => write!(io.stdout, "{}", render::matrix::csv(&matrix))?,
        MatrixFormat::Md => write!(io.stdout, "{}", render::matrix::markdown(&matrix))?,
    }
    Ok(Exit::Success)
}

/// `--output json`: the matrix, and the release it was evaluated as.
#[derive(Serialize)]
struct MatrixOutput<'a> {
    #[serde(rename = "kubernetesVersion")]
    kubernetes_version: Release,
    #[serde(flatten)]
    matrix: &'a Matrix,
}
