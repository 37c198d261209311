//! `plugboard upload`: loads a reviewed (signed) bundle into a running platform, where it is
//! listed, installed and invoked like an integration finalized there.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};

/// Arguments of `plugboard upload`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The bundle (.wasm), signed with `plugboard sign`.
    pub bundle: PathBuf,
    /// The platform's URL.
    #[arg(
        long,
        env = "PLUGBOARD_SERVER",
        default_value = "http://127.0.0.1:8080"
    )]
    pub server: String,
    /// An admin's API token.
    #[arg(long, env = "PLUGBOARD_TOKEN", hide_env_values = true)]
    pub token: String,
    /// The organization that owns it.
    #[arg(long)]
    pub organization: String,
    /// Upload it hidden instead of published.
    #[arg(long)]
    pub hidden: bool,
}

/// Runs the command; prints the platform's answer.
pub async fn run(args: Args) -> Result<ExitCode> {
    plugboard_runtime::install_crypto_provider();
    let bytes = std::fs::read(&args.bundle)
        .with_context(|| format!("cannot read {}", args.bundle.display()))?;
    let url = format!(
        "{}/v1/organizations/{}/integrations/bundle?status={}",
        args.server.trim_end_matches('/'),
        args.organization,
        if args.hidden { "hidden" } else { "published" }
    );
    let response = reqwest::Client::new()
        .post(&url)
        .header("authorization", format!("Bearer {}", args.token))
        .header("content-type", "application/wasm")
        .body(bytes)
        .send()
        .await
        .with_context(|| format!("cannot reach {}", args.server))?;
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    if !status.is_success() {
        let detail = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v["detail"].as_str().map(str::to_string))
            .unwrap_or(text);
        bail!("the platform refused the bundle ({status}): {detail}");
    }
    println!("{text}");
    Ok(ExitCode::SUCCESS)
}
