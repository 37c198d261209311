//! `plugboard auth`: authorize an OAuth 2.0 credential (authorization code with PKCE, through
//! a loopback redirect), show what is stored for it, or forget it.
//!
//! Tokens live in the token store (`--token-store`, encrypted; see [`open_store`]), where
//! `plugboard invoke` finds them.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use axum::extract::{RawQuery, State};
use axum::response::Html;
use plugboard_manifest::{Auth, Grant, OAuth2};
use plugboard_oauth::{FileStore, TokenStore, authorize, credential_key};
use plugboard_runtime::{Credentials, Runtime};
use tokio::sync::oneshot;

/// Arguments naming one credential of a component.
#[derive(Debug, Clone, clap::Args)]
pub struct CredentialArgs {
    /// The component (.wasm) whose OAuth 2.0 settings apply.
    pub bundle: PathBuf,
    /// `client_id=...` and, for a confidential client, `client_secret=...`.
    /// Prefer `NAME=@FILE`, `NAME=-` (standard input) or `PLUGBOARD_CREDENTIAL_<NAME>`
    /// variables: values on the command line show in `ps` and in shell history.
    #[arg(long = "credential", value_name = "NAME=VALUE")]
    pub credentials: Vec<String>,
    /// The credential's key in the token store (default: derived from the token URL, client
    /// id and scope, as `plugboard invoke` derives it).
    #[arg(long)]
    pub credential_key: Option<String>,
}

/// `plugboard auth` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum AuthCommand {
    /// Authorize a credential: print the consent URL, wait for the redirect on a loopback
    /// port, exchange the code (PKCE S256) and store the tokens.
    Login(LoginArgs),
    /// Show what the token store holds for a credential (no secrets).
    Status(CredentialArgs),
    /// Forget a credential's tokens.
    Logout(CredentialArgs),
}

/// Arguments of `plugboard auth login`.
#[derive(Debug, Clone, clap::Args)]
pub struct LoginArgs {
    /// The credential.
    #[command(flatten)]
    pub credential: CredentialArgs,
    /// Loopback port for the redirect (`http://127.0.0.1:PORT/callback`, which must be
    /// registered with the provider); 0 picks a free one.
    #[arg(long, default_value_t = 8765)]
    pub redirect_port: u16,
    /// How long to wait for the consent, in seconds.
    #[arg(long, default_value_t = 300)]
    pub wait_seconds: u64,
}

/// The token store of the CLI: `path` (default: `<data dir>/plugboard/tokens.json`),
/// encrypted with the key in env `PLUGBOARD_TOKEN_KEY` (base64, 32 bytes) or, without it, with
/// the key file next to the store (`tokens.key`, created on first use, owner-only). Opened on
/// first use, so commands on components without OAuth 2.0 never touch it.
pub fn open_store(path: Option<PathBuf>) -> Arc<dyn TokenStore> {
    Arc::new(LazyFileStore {
        path,
        store: std::sync::OnceLock::new(),
    })
}

struct LazyFileStore {
    path: Option<PathBuf>,
    store: std::sync::OnceLock<std::result::Result<FileStore, String>>,
}

impl LazyFileStore {
    fn get(&self) -> plugboard_oauth::Result<&FileStore> {
        self.store
            .get_or_init(|| open_file_store(self.path.clone()).map_err(|e| format!("{e:#}")))
            .as_ref()
            .map_err(|e| plugboard_oauth::Error::Store(e.clone()))
    }
}

impl TokenStore for LazyFileStore {
    fn load(&self, key: &str) -> plugboard_oauth::Result<Option<plugboard_oauth::TokenRecord>> {
        self.get()?.load(key)
    }

    fn save(
        &self,
        key: &str,
        record: &plugboard_oauth::TokenRecord,
    ) -> plugboard_oauth::Result<()> {
        self.get()?.save(key, record)
    }

    fn remove(&self, key: &str) -> plugboard_oauth::Result<()> {
        self.get()?.remove(key)
    }
}

fn open_file_store(path: Option<PathBuf>) -> Result<FileStore> {
    let path = match path {
        Some(path) => path,
        None => dirs::data_dir()
            .context("no data directory; pass --token-store")?
            .join("plugboard")
            .join("tokens.json"),
    };
    Ok(match std::env::var("PLUGBOARD_TOKEN_KEY") {
        Ok(text) => {
            let key = plugboard_oauth::parse_key(text.trim())
                .map_err(|e| anyhow::anyhow!("PLUGBOARD_TOKEN_KEY: {e}"))?;
            FileStore::open(&path, &key)?
        }
        Err(_) => FileStore::open_with_key_file(&path, &path.with_extension("key"))?,
    })
}

/// The component's OAuth 2.0 settings, the client and the credential key.
async fn credential(
    runtime: &Runtime,
    args: &CredentialArgs,
) -> Result<(OAuth2, plugboard_oauth::Client, String)> {
    let bundle = crate::load(runtime, &args.bundle).await?;
    let Auth::OAuth2(config) = &bundle.header().auth else {
        bail!(
            "{} uses {} auth, not OAuth 2.0",
            args.bundle.display(),
            bundle.header().auth.label()
        );
    };
    let credentials: Credentials =
        crate::credentials::credentials(&args.credentials, "--credential")?
            .into_iter()
            .collect();
    let client = plugboard_runtime::oauth_client(&credentials)
        .context("--credential client_id=... is required")?;
    let key = args
        .credential_key
        .clone()
        .unwrap_or_else(|| credential_key(config, &client));
    Ok(((**config).clone(), client, key))
}

/// Runs an `auth` subcommand.
pub async fn run(command: AuthCommand, runtime: &Runtime) -> Result<ExitCode> {
    match command {
        AuthCommand::Login(args) => login(args, runtime).await,
        AuthCommand::Status(args) => {
            let (_, _, key) = credential(runtime, &args).await?;
            let status = runtime.tokens().status(&key).await?;
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            let json = match status {
                None => serde_json::json!({"credential_key": key, "authorized": false}),
                Some(s) => serde_json::json!({
                    "credential_key": key,
                    "authorized": s.authorized(now),
                    "has_access_token": s.has_access_token,
                    "expires_at": s.expires_at,
                    "has_refresh_token": s.has_refresh_token,
                    "failure": s.failure.map(|f| serde_json::json!({
                        "message": f.message,
                        "at": f.at,
                        "needs_reauthorization": f.needs_reauthorization,
                    })),
                }),
            };
            crate::print_json(&json)?;
            Ok(ExitCode::SUCCESS)
        }
        AuthCommand::Logout(args) => {
            let (_, _, key) = credential(runtime, &args).await?;
            runtime.tokens().forget(&key).await?;
            eprintln!("forgot the tokens of credential {key}");
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The callback route's state: the login it waits for, and where the matching query goes.
#[derive(Clone)]
struct Callback {
    pending: Arc<authorize::PendingAuthorization>,
    sender: Arc<Mutex<Option<oneshot::Sender<String>>>>,
}

/// Hands the redirect's query to the login, if it carries the login's `state`; anything else
/// (a stray or forged request) gets a 400 and the login keeps waiting.
async fn callback(
    State(callback): State<Callback>,
    RawQuery(query): RawQuery,
) -> (axum::http::StatusCode, Html<&'static str>) {
    let query = query.unwrap_or_default();
    if !authorize::callback_matches(&callback.pending, &query) {
        return (
            axum::http::StatusCode::BAD_REQUEST,
            Html(
                "<!doctype html><title>Plugboard</title><p>This is not the redirect of the login in progress.</p>",
            ),
        );
    }
    let refused = query.split('&').any(|pair| pair.starts_with("error="));
    if let Some(sender) = callback.sender.lock().ok().and_then(|mut s| s.take()) {
        let _ = sender.send(query);
    }
    let page = if refused {
        "<!doctype html><title>Plugboard</title><p>The provider refused the authorization; see the terminal.</p>"
    } else {
        "<!doctype html><title>Plugboard</title><p>Plugboard received the authorization; you can close this tab.</p>"
    };
    (axum::http::StatusCode::OK, Html(page))
}

async fn login(args: LoginArgs, runtime: &Runtime) -> Result<ExitCode> {
    let (config, client, key) = credential(runtime, &args.credential).await?;
    if config.grant != Grant::AuthorizationCode {
        bail!(
            "{} uses the client credentials grant: no login is needed, `plugboard invoke` obtains tokens itself",
            args.credential.bundle.display()
        );
    }
    let listener =
        tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], args.redirect_port)))
            .await
            .with_context(|| format!("cannot listen on 127.0.0.1:{}", args.redirect_port))?;
    let port = listener.local_addr()?.port();
    let redirect_uri = format!("http://127.0.0.1:{port}/callback");
    let pending = Arc::new(authorize::begin(&config, &client, &redirect_uri)?);
    let (sender, receiver) = oneshot::channel::<String>();
    let app = axum::Router::new()
        .route("/callback", axum::routing::get(callback))
        .with_state(Callback {
            pending: pending.clone(),
            sender: Arc::new(Mutex::new(Some(sender))),
        });
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    println!("{}", pending.consent_url);
    eprintln!("open the URL above to authorize; waiting for the redirect to {redirect_uri}");
    let query = tokio::time::timeout(Duration::from_secs(args.wait_seconds), receiver).await;
    server.abort();
    let query = match query {
        Ok(Ok(query)) => query,
        Ok(Err(_)) => bail!("the redirect listener stopped before a callback arrived"),
        Err(_) => bail!(
            "no authorization arrived within {} s; run the login again",
            args.wait_seconds
        ),
    };
    let code = authorize::code_from_callback(&pending, &query)?;
    runtime
        .tokens()
        .complete_authorization(&key, &config, &client, &pending, &code)
        .await?;
    let status = runtime.tokens().status(&key).await?;
    let refresh = status.as_ref().is_some_and(|s| s.has_refresh_token);
    eprintln!(
        "authorized credential {key}: access token stored{}",
        if refresh {
            ", refresh token stored"
        } else {
            "; the provider gave no refresh token, so log in again when the token expires"
        }
    );
    Ok(ExitCode::SUCCESS)
}
