//! `plugboard actions ...` (being written).

use std::process::ExitCode;

/// Arguments of `plugboard actions`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The definition.
    pub definition: String,
}

/// Runs the command.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!(
        "`plugboard actions` is not available yet ({})",
        args.definition
    )
}
