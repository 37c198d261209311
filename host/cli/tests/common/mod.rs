//! Helpers shared by the CLI's test binaries (each uses some of them).
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

/// Runs the `plugboard` binary; returns (success, stdout, stderr). The token key of the
/// environment is not inherited, so key files are what a test uses.
pub fn plugboard(args: &[&str]) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_plugboard"))
        .args(args)
        .env_remove("PLUGBOARD_TOKEN_KEY")
        .output()
        .expect("run plugboard");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A path as a command-line argument.
#[allow(clippy::unwrap_used)]
pub fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}
