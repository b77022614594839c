//! One module per subcommand, and the options they share.

mod check;
mod describe;
mod diff;
pub mod examples;
mod explain;
mod generate;
mod lint;
mod list;
mod matrix;
mod migrate;
mod verify;
mod versions;

use clap::Subcommand;
use moat_engine::Cluster;
use moat_engine::model::ports::Protocol;
use moat_engine::query::{Flow, PortRef, Verdict, evaluate};

use crate::error::CliError;
use crate::{Exit, Io};

#[derive(Subcommand)]
pub enum Command {
    /// Can one endpoint reach another on a port? Prints the verdict in one line; exit status 3 when
    /// denied
    Check(check::Args),
    /// Why a flow is allowed or denied: every policy and rule on both sides, with source lines
    Explain(explain::Args),
    /// Which pods can reach which: the all-pairs reachability matrix
    Matrix(matrix::Args),
    /// The policies that isolate a pod, or the pods a policy selects and what it allows
    Describe(describe::Args),
    /// Every pair of workloads and outside address ranges that may connect, with the ports
    /// (netpol-analyzer's `list`)
    List(list::Args),
    /// What changed in connectivity between two versions of the manifests; exit status 3 when
    /// something did
    Diff(diff::Args),
    /// What is wrong or risky in the manifests: findings with a code, a location and help; exit
    /// status 3 when there is a warning or an error
    Lint(lint::Args),
    /// Do the policies allow and deny what an intents file says? Exit status 3 when an intent does
    /// not hold
    Verify(verify::Args),
    /// Rewrite old NetworkPolicy manifests (1.2 alpha, Romana, extensions/v1beta1) as v1 for a later
    /// release, with the proof that reachability is unchanged; exit status 3 when it is not
    Migrate(migrate::Args),
    /// What each Kubernetes release does with NetworkPolicy: API versions, isolation, fields, gates
    Versions(versions::Args),
    /// List the bundled example clusters, or print one
    Examples(examples::Args),
    /// Write a synthetic cluster (pods, namespaces, policies) as YAML, the same for the same seed
    Gen(generate::Args),
}

impl Command {
    pub fn run(self, io: &mut Io<'_>) -> Result<Exit, CliError> {
        match self {
            Command::Check(args) => check::run(&args, io),
            Command::Explain(args) => explain::run(&args, io),
            Command::Matrix(args) => matrix::run(&args, io),
            Command::Describe(args) => describe::run(&args, io),
            Command::List(args) => list::run(&args, io),
            Command::Diff(args) => diff::run(&args, io),
            Command::Lint(args) => lint::run(&args, io),
            Command::Verify(args) => verify::run(&args, io),
            Command::Migrate(args) => migrate::run(&args, io),
            Command::Versions(args) => versions::run(&args, io),
            Command::Examples(args) => examples::run(&args, io),
            Command::Gen(args) => generate::run(&args, io),
        }
    }
}

/// One flow: `check` and `explain` ask the same question and differ in how much they print.
#[derive(clap::Args)]
pub struct FlowArgs {
    /// The source: a pod (`namespace/name`, or `name` in `default`) or an IP address
    #[arg(long, value_name = "NS/POD|IP")]
    from: String,

    /// The destination: a pod or an IP address
    #[arg(long, value_name = "NS/POD|IP")]
    to: String,

    /// Destination port: a number, or a container port name declared by the destination pod
    #[arg(long, value_name = "N|NAME")]
    port: PortRef,

    /// Protocol
    #[arg(long, value_name = "TCP|UDP|SCTP", default_value = "TCP", value_parser = parse_protocol)]
    protocol: Protocol,
}

impl FlowArgs {
    /// Judges the flow in `cluster`; unknown endpoints and unresolvable port names are errors.
    fn verdict(&self, cluster: &Cluster) -> Result<Verdict, CliError> {
        let flow = Flow {
            from: cluster.resolve_endpoint(&self.from).map_err(CliError::Failed)?,
            to: cluster.resolve_endpoint(&self.to).map_err(CliError::Failed)?,
            port: self.port.clone(),
            protocol: self.protocol,
        };
        evaluate(cluster, &flow).map_err(|e| CliError::Failed(e.to_string()))
    }
}

/// `TCP`, `UDP` or `SCTP`, in any case (manifests must spell them in capitals; a command line need not).
fn parse_protocol(text: &str) -> Result<Protocol, String> {
    text.to_ascii_uppercase().parse().map_err(|_| format!("`{text}` is not a protocol; use TCP, UDP or SCTP"))
}
