//! Subcommands that live in their own files: one module per command family. Each exposes an
//! `Args` type (clap) and `run(args) -> anyhow::Result<ExitCode>`.

pub mod actions;
pub mod admin;
pub mod auth;
pub mod backup;
pub mod clean;
pub mod config_file;
pub mod convert;
pub mod definition;
pub mod format;
pub mod import;
pub mod lint;
pub mod new;
pub mod oauth_flags;
pub mod probe;
pub mod serve;
pub mod signing;
pub mod tap;
pub mod upload;
