//! `plugboard admin`: operator commands run on the server host, against its database.

use std::path::PathBuf;

use anyhow::{Context, Result};
use plugboard_store::Store;

/// Arguments of `plugboard admin`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Operator commands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Mint a new API token for the root organization's admin (when the only one is lost);
    /// prints it on stdout. Run it on the server host: it opens the server's database.
    Token(TokenArgs),
}

/// Arguments of `plugboard admin token`.
#[derive(Debug, clap::Args)]
pub struct TokenArgs {
    /// The server's data directory (its `plugboard.db`), as given to `plugboard serve`.
    #[arg(long, conflicts_with = "database")]
    pub data_dir: Option<PathBuf>,
    /// The server's database URL (`sqlite://...` or `postgres://...`), as given to `plugboard serve`.
    #[arg(long)]
    pub database: Option<String>,
}

/// Runs the command.
pub async fn run(args: Args) -> Result<()> {
    match args.command {
        Command::Token(args) => token(args).await,
    }
}

async fn token(args: TokenArgs) -> Result<()> {
    let url = match (args.database, args.data_dir) {
        (Some(url), _) => url,
        (None, dir) => {
            let dir = match dir {
                Some(dir) => dir,
                None => dirs::data_dir()
                    .context("no data directory; pass --data-dir or --database")?
                    .join("plugboard")
                    .join("server"),
            };
            let db = dir.join("plugboard.db");
            if !db.exists() {
                anyhow::bail!(
                    "--data-dir {}: no plugboard.db there (start `plugboard serve` with it first)",
                    dir.display()
                );
            }
            format!("sqlite://{}", db.display())
        }
    };
    let store = Store::open(&url)
        .await
        .with_context(|| format!("cannot open the database {url}"))?;
    let (user, token) = store.recover_admin_token().await?;
    eprintln!(
        "plugboard: new API token for admin `{}` of the root organization {} (shown once; audited):",
        user.name, user.organization_id
    );
    println!("{token}");
    Ok(())
}
