//! `moat describe`: the policies of a pod, or the pods and rules of a policy.

use moat_engine::render::describe::{describe_pod, describe_policy, pod_text, policy_text};
use moat_engine::{Cluster, EndpointId, PolicyIdx};

use crate::error::CliError;
use crate::input::InputArgs;
use crate::output::{Format, write_json};
use crate::{Exit, Io};

#[derive(clap::Args)]
#[group(id = "subject", required = true, multiple = false, args = ["pod", "policy"])]
pub struct Args {
    /// A pod (`namespace/name`, or `name` in `default`): the policies that isolate it
    #[arg(long, value_name = "NS/NAME")]
    pod: Option<String>,

    /// A policy (`namespace/name`, or `name` in `default`): what it selects and allows
    #[arg(long, value_name = "NS/NAME")]
    policy: Option<String>,

    #[command(flatten)]
    input: InputArgs,

    /// Output format
    #[arg(short, long, value_enum, default_value_t)]
    output: Format,
}

pub fn run(args: &Args, io: &mut Io<'_>) -> Result<Exit, CliError> {
    let cluster = args.input.load(io, args.output)?;
    if let Some(pod) = &args.pod {
        let pod = match cluster.resolve_endpoint(pod).map_err(CliError::Failed)? {
            EndpointId::Pod(pod) => pod,
            EndpointId::External(ip) => {
                return Err(CliError::Failed(format!("no pod has the address `{ip}`")));
            }
        };
        let description = describe_pod(&cluster, pod);
        match args.output {
            Format::Text => write!(io.stdout, "{}", pod_text(&description))?,
            Format::Json => write_json(io.stdout, &description)?,
        }
    }
    if let Some(policy) = &args.policy {
        let description = describe_policy(&cluster, find_policy(&cluster, policy)?);
        match args.output {
            Format::Text => write!(io.stdout, "{}", policy_text(&description))?,
            Format::Json => write_json(io.stdout, &description)?,
        }
    }
    Ok(Exit::Success)
}

/// A policy by `namespace/name`, or `name` in `default` (as pods are found).
fn find_policy(cluster: &Cluster, name: &str) -> Result<PolicyIdx, CliError> {
    let id = if name.contains('/') { name.to_string() } else { format!("default/{name}") };
    cluster.policies.iter().position(|p| p.id() == id).ok_or_else(|| {
        let known: Vec<String> = cluster.policies.iter().take(8).map(|p| p.id()).collect();
        CliError::Failed(if known.is_empty() {
            format!("no policy `{name}`: the input has no valid policies")
        } else {
            format!("no policy `{name}`; policies include {}", known.join(", "))
        })
    })
}
