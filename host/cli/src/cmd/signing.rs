//! `plugboard keygen`, `sign` and `verify`: Ed25519 signatures carried inside bundles, so an
//! operator can check who made a third-party bundle before loading it.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use plugboard_bundle::sign::{self, Verified};

/// Arguments of `plugboard keygen`.
#[derive(Debug, clap::Args)]
pub struct KeygenArgs {
    /// Writes `<NAME>.key` (private, owner-only) and `<NAME>.pub`.
    #[arg(short, long, value_name = "NAME")]
    pub output: PathBuf,
    /// Overwrite the key pair if it exists (bundles signed with the old key no longer verify
    /// against the new `.pub`).
    #[arg(long)]
    pub force: bool,
}

/// Arguments of `plugboard sign`.
#[derive(Debug, clap::Args)]
pub struct SignArgs {
    /// The bundle (.wasm).
    pub bundle: PathBuf,
    /// The private key file (from `plugboard keygen`).
    #[arg(long)]
    pub key: PathBuf,
    /// Where to write the signed bundle (default: replace the input).
    #[arg(short, long)]
    pub output: Option<PathBuf>,
}

/// Arguments of `plugboard verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The bundle (.wasm).
    pub bundle: PathBuf,
    /// A trusted public key file (repeatable).
    #[arg(
        long = "trusted-key",
        alias = "trust",
        alias = "trust-key",
        value_name = "KEY.pub"
    )]
    pub trusted: Vec<PathBuf>,
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

/// Reads public key files.
pub fn read_trusted(paths: &[PathBuf]) -> Result<Vec<String>> {
    paths
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read {}", p.display()))?;
            sign::key_id(&text).with_context(|| format!("{} is not a public key", p.display()))?;
            Ok(text.trim().to_string())
        })
        .collect()
}

/// Runs `keygen`.
pub fn keygen(args: KeygenArgs) -> Result<ExitCode> {
    let (private, public) = sign::generate_key()?;
    let private_path = args.output.with_extension("key");
    let public_path = args.output.with_extension("pub");
    if private_path.exists() {
        if !args.force {
            bail!(
                "{} exists; not overwriting a key (use --force to replace it)",
                private_path.display()
            );
        }
        std::fs::remove_file(&private_path)
            .with_context(|| format!("cannot replace {}", private_path.display()))?;
    }
    crate::files::write_new_private(&private_path, format!("{private}\n").as_bytes())?;
    crate::files::write_atomically(&public_path, format!("{public}\n").as_bytes())?;
    eprintln!(
        "wrote {} (keep it secret) and {} (key id {})",
        private_path.display(),
        public_path.display(),
        sign::key_id(&public)?
    );
    Ok(ExitCode::SUCCESS)
}

/// Runs `sign`.
pub fn sign_bundle(args: SignArgs) -> Result<ExitCode> {
    let component = read(&args.bundle)?;
    let key = std::fs::read_to_string(&args.key)
        .with_context(|| format!("cannot read {}", args.key.display()))?;
    let signed = sign::sign(&component, &key)?;
    let output = args.output.unwrap_or(args.bundle);
    crate::files::write_atomically(&output, &signed)?;
    if let Verified::Untrusted(id) = sign::verify(&signed, &[])? {
        eprintln!("signed {} with key {id}", output.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `verify`: exit 0 for a valid signature by a trusted key, 1 otherwise.
pub fn verify(args: VerifyArgs) -> Result<ExitCode> {
    let component = read(&args.bundle)?;
    let trusted = read_trusted(&args.trusted)?;
    match sign::verify(&component, &trusted)? {
        Verified::Trusted(id) => {
            println!("signed by trusted key {id}");
            Ok(ExitCode::SUCCESS)
        }
        Verified::Untrusted(id) => {
            println!("signed by key {id}, which is not trusted (pass --trusted-key KEY.pub)");
            Ok(ExitCode::FAILURE)
        }
        Verified::Unsigned => {
            println!("not signed");
            Ok(ExitCode::FAILURE)
        }
    }
}

/// The signature status as JSON (for `inspect`).
pub fn signature_json(component: &[u8], trusted: &[String]) -> serde_json::Value {
    match sign::verify(component, trusted) {
        Ok(Verified::Unsigned) => serde_json::json!({"status": "unsigned"}),
        Ok(Verified::Trusted(id)) => serde_json::json!({"status": "trusted", "key_id": id}),
        Ok(Verified::Untrusted(id)) => serde_json::json!({"status": "untrusted", "key_id": id}),
        Err(e) => serde_json::json!({"status": "invalid", "error": e.to_string()}),
    }
}

/// Refuses a bundle that is not signed by a trusted key (for `--require-signature`).
pub fn require_trusted(component: &[u8], trusted: &[String], path: &Path) -> Result<()> {
    match sign::verify(component, trusted)? {
        Verified::Trusted(_) => Ok(()),
        Verified::Untrusted(id) => bail!(
            "{} is signed by key {id}, which is not trusted (--trusted-key KEY.pub)",
            path.display()
        ),
        Verified::Unsigned => bail!(
            "{} is not signed; sign it with `plugboard sign` or drop --require-signature",
            path.display()
        ),
    }
}
