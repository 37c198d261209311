//! `plugboard clean` (being written).

use std::process::ExitCode;

/// Arguments of `plugboard clean`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The spec (JSON or YAML; `-` for stdin).
    pub spec: String,
}

/// Runs the command.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`plugboard clean` is not available yet ({})", args.spec)
}
