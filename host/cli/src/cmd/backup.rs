//! `plugboard backup`: a consistent copy of the server's embedded database while it runs, and
//! a reminder (or a copy) of the key its credentials are sealed with.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use plugboard_store::{KEY_ENV, Sealer};

/// Arguments of `plugboard backup`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The server's data directory (its `plugboard.db` and `secret.key`), as given to
    /// `plugboard serve` (default: the same as `serve`'s).
    #[arg(long, env = "PLUGBOARD_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// The server's database URL when it is not `<data dir>/plugboard.db` (`sqlite://...`; a
    /// PostgreSQL database is backed up with pg_dump).
    #[arg(long, env = "PLUGBOARD_DATABASE_URL")]
    pub database: Option<String>,
    /// The backup file to write (an SQLite database); an existing file is never overwritten.
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// Also write the credentials key beside the backup, as `<FILE>.secret.key` (readable by
    /// its owner only): from env PLUGBOARD_SECRET_KEY, else the data directory's `secret.key`.
    #[arg(long)]
    pub with_key: bool,
}

/// Where the server's credentials key is.
enum Key {
    /// Env `PLUGBOARD_SECRET_KEY` (the server prefers it to the file).
    Env(String),
    /// The data directory's `secret.key` and its content.
    File(PathBuf, String),
    /// Neither here.
    Unknown,
}

/// Runs the command.
pub async fn run(args: Args) -> Result<()> {
    let data_dir = match args.data_dir {
        Some(dir) => dir,
        None => dirs::data_dir()
            .context("no data directory; pass --data-dir")?
            .join("plugboard")
            .join("server"),
    };
    let url = match args.database {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => bail!(
            "--database is a PostgreSQL URL: back it up with PostgreSQL's tools, e.g. \
             `pg_dump --format=custom --file plugboard.dump \"$DATABASE_URL\"` (restore with \
             pg_restore), and keep {KEY_ENV} with the dump: the credentials in it open with that \
             key only"
        ),
        Some(url) if url.starts_with("sqlite:") => url,
        Some(_) => bail!("--database takes an sqlite:// URL (or use --data-dir)"),
        None => {
            let db = data_dir.join("plugboard.db");
            if !db.is_file() {
                bail!(
                    "--data-dir {}: no plugboard.db there (the directory given to `plugboard serve`)",
                    data_dir.display()
                );
            }
            format!("sqlite://{}", db.display())
        }
    };
    let key = find_key(&data_dir)?;
    let key_copy = PathBuf::from(format!("{}.secret.key", args.output.display()));
    if args.with_key {
        if matches!(key, Key::Unknown) {
            bail!(
                "--with-key: no key to copy: {KEY_ENV} is not set and there is no secret.key in \
                 --data-dir {}",
                data_dir.display()
            );
        }
        if key_copy.symlink_metadata().is_ok() {
            bail!(
                "--with-key: {} exists; it is never overwritten",
                key_copy.display()
            );
        }
    }
    if args.output.symlink_metadata().is_ok() {
        bail!(
            "-o {}: the file exists; a backup never overwrites one (choose a new name)",
            args.output.display()
        );
    }

    let backup = plugboard_store::backup(&url, &args.output)
        .await
        .with_context(|| format!("backup to -o {}", args.output.display()))?;
    eprintln!(
        "plugboard: backed up {} to {} ({} bytes; schema version {}; {} organizations, {} \
         integrations, {} installations), a consistent snapshot taken while the server may run",
        url.trim_start_matches("sqlite://"),
        backup.path.display(),
        backup.bytes,
        backup.schema_version,
        backup.organizations,
        backup.integrations,
        backup.installations,
    );
    if args.with_key {
        let text = match &key {
            Key::Env(text) | Key::File(_, text) => text.trim(),
            Key::Unknown => "",
        };
        crate::files::write_new_private(&key_copy, text.as_bytes())
            .context("--with-key: the backup is written, but not the key")?;
    }
    match (&key, args.with_key) {
        (_, true) => eprintln!(
            "note: the credentials key is in {} (owner-only); it opens every credential in the \
             backup: keep the two together, and as safe as the key itself",
            key_copy.display()
        ),
        (Key::Env(_), false) => eprintln!(
            "note: the credentials in the backup are sealed with the key in {KEY_ENV}: a restore \
             needs that same key, so keep it with the backup (--with-key writes it beside it)"
        ),
        (Key::File(path, _), false) => eprintln!(
            "note: the credentials in the backup are sealed with the key in {}: a restore needs \
             that same file, so copy it with the backup (--with-key writes it beside it)",
            path.display()
        ),
        (Key::Unknown, false) => eprintln!(
            "warning: {KEY_ENV} is not set and there is no secret.key in {}: the credentials in \
             the backup open only with the key the server was started with; keep that key with \
             the backup",
            data_dir.display()
        ),
    }
    eprintln!(
        "restore: stop the server, put the backup in place of plugboard.db (remove any \
         plugboard.db-wal and plugboard.db-shm beside it) and its key as secret.key (or in \
         {KEY_ENV}), then start the server"
    );
    Ok(())
}

/// The key the server would use: env first, then `secret.key` in the data directory (as
/// `plugboard serve` reads it). A key that does not parse is an error now, not at restore.
fn find_key(data_dir: &Path) -> Result<Key> {
    if let Ok(text) = std::env::var(KEY_ENV) {
        Sealer::from_base64(&text).with_context(|| KEY_ENV.to_string())?;
        return Ok(Key::Env(text));
    }
    let path = data_dir.join("secret.key");
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            Sealer::from_base64(&text).with_context(|| path.display().to_string())?;
            Ok(Key::File(path, text))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Key::Unknown),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}
