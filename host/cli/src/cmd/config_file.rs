//! `plugboard serve --config FILE` (env `PLUGBOARD_CONFIG`): settings from a TOML file, named as
//! the flags are (`listen = "0.0.0.0:8080"`, `max_instances = 128`, `trusted_key = ["a.pub"]`,
//! `allow_untrusted_bundles = true`). A flag on the command line wins over its environment
//! variable, which wins over the file. Unknown settings are an error that lists the known ones.

use std::ffi::OsString;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};

/// The command line with the file's settings added as flags (those the command line or the
/// environment do not already set); unchanged without `--config`.
pub fn with_config_file(mut args: Vec<OsString>, root: &clap::Command) -> Result<Vec<OsString>> {
    // Only `serve` reads a file (`invoke --config NAME=VALUE` is something else).
    let Some(at) = subcommand_at(&args, root) else {
        return Ok(args);
    };
    if args[at] != "serve" {
        return Ok(args);
    }
    let Some(file) = config_path(&args[at + 1..]) else {
        return Ok(args);
    };
    let serve = root
        .find_subcommand("serve")
        .context("the serve command is missing")?;
    let text = std::fs::read_to_string(&file)
        .with_context(|| format!("--config: cannot read {}", file.display()))?;
    let table: toml::Table =
        toml::from_str(&text).with_context(|| format!("--config {}", file.display()))?;
    let known: Vec<&clap::Arg> = serve
        .get_arguments()
        .chain(root.get_arguments())
        .filter(|a| {
            a.get_long()
                .is_some_and(|l| l != "config" && l != "help" && l != "version")
        })
        .collect();
    let mut added = Vec::new();
    for (key, value) in &table {
        let name = key.replace('_', "-");
        let Some(arg) = known.iter().find(|a| a.get_long() == Some(name.as_str())) else {
            let mut names: Vec<String> = known
                .iter()
                .filter_map(|a| a.get_long())
                .map(|l| l.replace('-', "_"))
                .collect();
            names.sort();
            names.dedup();
            bail!(
                "--config {}: unknown setting `{key}`; known: {}",
                file.display(),
                names.join(", ")
            );
        };
        let flag = format!("--{name}");
        // Given on the command line under its name or any alias (`--trust` for `--trusted-key`).
        let spellings: Vec<String> = std::iter::once(name.clone())
            .chain(
                arg.get_all_aliases()
                    .into_iter()
                    .flatten()
                    .map(str::to_string),
            )
            .map(|long| format!("--{long}"))
            .collect();
        let on_command_line = args.iter().any(|a| {
            a.to_str().is_some_and(|a| {
                spellings.iter().any(|s| {
                    a == s
                        || a.strip_prefix(s.as_str())
                            .is_some_and(|r| r.starts_with('='))
                })
            })
        });
        let in_environment = arg
            .get_env()
            .is_some_and(|env| std::env::var_os(env).is_some());
        if on_command_line || in_environment {
            continue;
        }
        let values = match value {
            toml::Value::Array(items) => items.iter().collect(),
            other => vec![other],
        };
        for value in values {
            match value {
                toml::Value::Boolean(true) => added.push(OsString::from(&flag)),
                toml::Value::Boolean(false) => {}
                toml::Value::String(text) => added.push(OsString::from(format!("{flag}={text}"))),
                toml::Value::Integer(n) => added.push(OsString::from(format!("{flag}={n}"))),
                toml::Value::Float(x) => added.push(OsString::from(format!("{flag}={x}"))),
                other => bail!(
                    "--config {}: `{key}` is a {}; use a string, number, boolean or a list of them",
                    file.display(),
                    other.type_str()
                ),
            }
        }
    }
    args.extend(added);
    Ok(args)
}

/// Where the subcommand is in the command line: the first word that is neither a global flag
/// nor the value of one.
fn subcommand_at(args: &[OsString], root: &clap::Command) -> Option<usize> {
    let mut i = 1;
    while i < args.len() {
        let text = args[i].to_str()?;
        let Some(flag) = text.strip_prefix("--") else {
            return Some(i);
        };
        let takes_value = !flag.contains('=')
            && root
                .get_arguments()
                .find(|a| a.get_long() == Some(flag))
                .is_some_and(|a| a.get_action().takes_values());
        i += if takes_value { 2 } else { 1 };
    }
    None
}

/// The file `--config FILE`, `--config=FILE` or env `PLUGBOARD_CONFIG` names.
fn config_path(args: &[OsString]) -> Option<PathBuf> {
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        let Some(text) = arg.to_str() else { continue };
        if text == "--config" {
            return iter.next().map(PathBuf::from);
        }
        if let Some(path) = text.strip_prefix("--config=") {
            return Some(PathBuf::from(path));
        }
    }
    std::env::var_os("PLUGBOARD_CONFIG").map(PathBuf::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flag_given_under_an_alias_wins_over_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("plugboard.toml");
        std::fs::write(
            &file,
            "trusted_key = [\"from-file.pub\"]\nmax_instances = 7\n",
        )
        .unwrap();
        let command = <crate::Cli as clap::CommandFactory>::command();
        let args: Vec<OsString> = ["plugboard", "serve", "--config"]
            .into_iter()
            .map(OsString::from)
            .chain([file.clone().into_os_string()])
            .chain(["--trust=given.pub".into()])
            .collect();
        let out = with_config_file(args, &command).unwrap();
        let out: Vec<String> = out
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert!(!out.iter().any(|a| a.contains("from-file.pub")), "{out:?}");
        assert!(out.contains(&"--max-instances=7".to_string()), "{out:?}");
    }
}
