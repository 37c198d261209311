//! The command line as clap sees it, with the global flags (`--cache-dir`, `--token-store`,
//! `--allow-network`, ...) listed once, in `plugboard --help`, rather than in every
//! subcommand's help. They are still accepted anywhere on the line.

use clap::{Arg, Command, CommandFactory as _};

/// The root command with the global flags hidden below the root.
pub fn command() -> Command {
    let root = crate::Cli::command();
    let globals: Vec<Arg> = root
        .get_arguments()
        .filter(|arg| arg.is_global_set())
        .cloned()
        .collect();
    let note =
        "Global options (--cache-dir, --token-store, --allow-network, ...): plugboard --help";
    root.mut_subcommands(|sub| hide_below(sub, &globals, note))
}

/// Gives `command` and every command below it a hidden copy of each global flag: clap then
/// leaves its own (shown) copy out, and a value given there still reaches the root.
fn hide_below(mut command: Command, globals: &[Arg], note: &'static str) -> Command {
    for arg in globals {
        command = command.arg(arg.clone().hide(true));
    }
    if command.get_after_help().is_none() {
        command = command.after_help(note);
    }
    command.mut_subcommands(|sub| hide_below(sub, globals, note))
}
