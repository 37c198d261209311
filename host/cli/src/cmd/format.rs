//! `--format human|json`: the one choice every command makes whose report a script may read.

/// How a command reports what it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// Text for people, as the command always printed it.
    #[default]
    #[value(alias = "text")]
    Human,
    /// One JSON object on stdout (files still go where `--output` says).
    Json,
}
