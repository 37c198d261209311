//! `plugboard invoke --dry-run | --record DIR | --replay DIR`: the requests a call would send
//! (nothing sent, no token fetched), a call's exchanges kept as one JSON file each (credentials
//! redacted), or a call answered from such a recording with no network.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use plugboard_runtime::{Exchange, Replay, Tap};

/// The flags of `invoke` that choose a tap.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct TapArgs {
    /// Show the first request the call would send (credentials redacted) without sending it;
    /// no OAuth token is fetched.
    #[arg(long, conflicts_with_all = ["record", "replay"])]
    pub dry_run: bool,
    /// Keep every exchange of the call in DIR, one JSON file each, credentials redacted (for
    /// `--replay`, such as tests in CI without the vendor).
    #[arg(long, value_name = "DIR", conflicts_with = "replay")]
    pub record: Option<PathBuf>,
    /// Answer the call's requests from a recording in DIR, with no network; a request the
    /// recording does not hold fails the call.
    #[arg(long, value_name = "DIR")]
    pub replay: Option<PathBuf>,
    /// A field to redact in recordings besides credentials (a JSON key or a query parameter,
    /// any depth, case-insensitive; repeatable); give the same to --replay.
    #[arg(long = "sensitive", value_name = "FIELD")]
    pub sensitive: Vec<String>,
}

impl TapArgs {
    /// The tap `--record` or `--replay` asks for (`--dry-run` is `Runtime::dry_run`).
    pub fn tap(&self) -> Result<Tap> {
        if let Some(dir) = &self.record {
            check_empty(dir)?;
            return Ok(Tap::Record);
        }
        if let Some(dir) = &self.replay {
            return Ok(Tap::Replay(
                Replay::new(read_recording(dir)?).with_sensitive(self.sensitive.clone()),
            ));
        }
        Ok(Tap::Live)
    }
}

fn check_empty(dir: &Path) -> Result<()> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                bail!(
                    "--record {}: the directory is not empty; record into a new one",
                    dir.display()
                );
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e).with_context(|| format!("--record {}", dir.display())),
    }
}

/// Writes a call's exchanges into `dir`, `001.json`, `002.json`, ..., with the `sensitive`
/// fields redacted.
pub fn write_recording(dir: &Path, exchanges: &[Exchange], sensitive: &[String]) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("--record {}", dir.display()))?;
    for (i, exchange) in exchanges.iter().enumerate() {
        let mut exchange = exchange.clone();
        plugboard_runtime::redact_fields(&mut exchange, sensitive);
        let exchange = &exchange;
        let path = dir.join(format!("{:03}.json", i + 1));
        let text = serde_json::to_string_pretty(exchange)?;
        std::fs::write(&path, text + "\n")
            .with_context(|| format!("--record: cannot write {}", path.display()))?;
    }
    Ok(())
}

/// The exchanges of a recording, in file-name order.
fn read_recording(dir: &Path) -> Result<Vec<Exchange>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("--replay {}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    if files.is_empty() {
        bail!(
            "--replay {}: no recorded exchange (*.json) in it",
            dir.display()
        );
    }
    files
        .iter()
        .map(|path| {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("--replay: cannot read {}", path.display()))?;
            serde_json::from_str(&text)
                .with_context(|| format!("--replay: {} is not a recorded exchange", path.display()))
        })
        .collect()
}
