//! `plugboard lint` (being written).

use std::process::ExitCode;

/// Arguments of `plugboard lint`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The spec (JSON or YAML; `-` for stdin).
    pub spec: String,
}

/// Runs the command.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`plugboard lint` is not available yet ({})", args.spec)
}
