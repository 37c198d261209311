//! `plugboard definition new` and `plugboard definition set` (being written).

use std::process::ExitCode;

/// Arguments of `plugboard definition new`.
#[derive(Debug, clap::Args)]
pub struct NewArgs {
    /// Where to write the definition.
    #[arg(short, long)]
    pub output: String,
}

/// Arguments of `plugboard definition set`.
#[derive(Debug, clap::Args)]
pub struct SetArgs {
    /// The definition.
    pub definition: String,
}

/// Runs `definition new`.
pub fn run_new(args: NewArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!(
        "`plugboard definition new` is not available yet ({})",
        args.output
    )
}

/// Runs `definition set`.
pub fn run_set(args: SetArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!(
        "`plugboard definition set` is not available yet ({})",
        args.definition
    )
}
