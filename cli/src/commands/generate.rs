//! `moat gen`: a synthetic cluster as YAML, for benchmarks and for trying moat at scale.

use moat_engine::synth::{Profile, Shape, generate};

use crate::error::CliError;
use crate::{Exit, Io};

#[derive(clap::Args)]
pub struct Args {
    /// Pods (in replica groups of one to four)
    #[arg(long, default_value_t = 300)]
    pods: usize,

    /// NetworkPolicies
    #[arg(long, default_value_t = 100)]
    policies: usize,

    /// Namespaces
    #[arg(long, default_value_t = 10)]
    namespaces: usize,

    /// The same seed gives the same cluster
    #[arg(long, default_value_t = 1)]
    seed: u64,

    /// `mixed`: every peer and port form, named ports, ipBlocks, defaulted and explicit policyTypes;
    /// `kube-burner`: the shape of kube-burner's network-policy scale workload
    #[arg(long, default_value = "mixed", value_parser = clap::builder::ValueParser::new(|s: &str| s.parse::<Profile>()))]
    profile: Profile,
}

pub fn run(args: &Args, io: &mut Io<'_>) -> Result<Exit, CliError> {
    let shape = Shape { pods: args.pods, policies: args.policies, namespaces: args.namespaces };
    write!(io.stdout, "{}", generate(shape, args.profile, args.seed))?;
    Ok(Exit::Success)
}
