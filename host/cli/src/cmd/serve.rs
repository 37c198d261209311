//! `plugboard serve`: the platform's REST API with the embedded store (an SQLite file in the
//! data directory) or PostgreSQL (`--database postgres://...`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context as _, Result, bail};
use plugboard_runtime::{Runtime, RuntimeConfig};
use plugboard_store::{DbTokenStore, KEY_ENV, Sealer, Store};

/// Arguments of `plugboard serve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Settings from a TOML file, named as these flags (`max_instances = 128`); a flag or its
    /// environment variable wins over the file.
    #[arg(long, value_name = "FILE", env = "PLUGBOARD_CONFIG")]
    pub config: Option<PathBuf>,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", env = "PLUGBOARD_LISTEN")]
    pub listen: SocketAddr,
    /// Where the embedded database and the key file live (default: the user data
    /// directory's `plugboard/server`).
    #[arg(long, env = "PLUGBOARD_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Database URL (default: `sqlite://<data dir>/plugboard.db`; or `postgres://...`).
    #[arg(long, env = "PLUGBOARD_DATABASE_URL")]
    pub database: Option<String>,
    /// The address browsers reach this server at, such as `https://plugboard.example.com`:
    /// OAuth 2.0 consent sends them back to `<URL>/v1/oauth/callback` (register that redirect
    /// URI with each provider). Without it, consent on the platform is off.
    #[arg(long, env = "PLUGBOARD_PUBLIC_URL", value_name = "URL", value_parser = public_url)]
    pub public_url: Option<String>,
    /// Serve the console's files from this directory, read on each request, instead of the
    /// ones built into the binary (for developing the console: edit, reload the page).
    #[arg(
        long,
        env = "PLUGBOARD_CONSOLE_DIR",
        value_name = "DIR",
        hide_short_help = true
    )]
    pub console_dir: Option<PathBuf>,
    /// A public key file whose signatures on third-party bundles are trusted (repeatable).
    #[arg(
        long = "trusted-key",
        alias = "trust-key",
        alias = "trust",
        value_name = "KEY.pub",
        env = "PLUGBOARD_TRUSTED_KEY",
        value_delimiter = ','
    )]
    pub trusted_keys: Vec<PathBuf>,
    /// Accept third-party bundles that are unsigned or signed by untrusted keys.
    #[arg(long, env = "PLUGBOARD_ALLOW_UNTRUSTED_BUNDLES")]
    pub allow_untrusted_bundles: bool,
    /// Memory kept for loaded bundles and compiled components; the least recently used go
    /// first (and are loaded again from the database when next used).
    #[arg(long, value_name = "MIB", default_value_t = 512, value_parser = clap::value_parser!(u64).range(1..), env = "PLUGBOARD_MEMORY_CACHE_MIB")]
    pub memory_cache_mib: u64,
    /// Instances that may run at once (the pool shared by every organization).
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..=10_000), env = "PLUGBOARD_MAX_INSTANCES")]
    pub max_instances: u32,
    /// Instances kept warm after a clean call for the next call of the same installation
    /// configuration (never shared between installations; dropped after a trap); 0 starts
    /// every call in a fresh instance.
    #[arg(long, value_name = "N", default_value_t = 64, value_parser = clap::value_parser!(u32).range(0..=10_000), env = "PLUGBOARD_WARM_INSTANCES")]
    pub warm_instances: u32,
    /// Calls one organization may run at once (default: a quarter of --max-instances).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..), env = "PLUGBOARD_CALLS_PER_ORGANIZATION")]
    pub calls_per_organization: Option<u32>,
    /// Calls one installation may run at once (default: an eighth of --max-instances).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..), env = "PLUGBOARD_CALLS_PER_INSTALLATION")]
    pub calls_per_installation: Option<u32>,
    /// How long a call waits for a free slot before it is answered 429 with Retry-After.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 2.0,
        env = "PLUGBOARD_SLOT_WAIT_SECS"
    )]
    pub slot_wait_secs: f64,
    /// Spec jobs (lint, clean, import, a definition's create, update and finalize, a bundle's
    /// upload) that may run at once (default: one per core, at least 2).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1024), env = "PLUGBOARD_SPEC_JOBS")]
    pub spec_jobs: Option<u32>,
    /// Memory that running spec jobs may be estimated to take in total; a body that needs
    /// more is refused (413), one that must wait too long is answered 503.
    #[arg(long, value_name = "MIB", default_value_t = 1024, value_parser = clap::value_parser!(u64).range(16..), env = "PLUGBOARD_SPEC_MEMORY_MIB")]
    pub spec_memory_mib: u64,
    /// Largest body of a spec route.
    #[arg(long, value_name = "MIB", default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=1024), env = "PLUGBOARD_MAX_SPEC_MIB")]
    pub max_spec_mib: u64,
    /// Largest body of the other routes (an invoke's input, a configuration).
    #[arg(long, value_name = "MIB", default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=1024), env = "PLUGBOARD_MAX_BODY_MIB")]
    pub max_body_mib: u64,
    /// How long spec work waits for a job slot and for its memory before it is answered 503.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 10.0,
        env = "PLUGBOARD_SPEC_WAIT_SECS"
    )]
    pub spec_wait_secs: f64,
    /// Log lines as text (colours only on a terminal) or JSON, one object per line. The level
    /// is info (the access log) unless PLUGBOARD_LOG sets a filter (`debug`, `plugboard=debug`).
    #[arg(long, value_enum, default_value = "text", env = "PLUGBOARD_LOG_FORMAT")]
    pub log_format: LogFormat,
    /// Who may read `/metrics` (Prometheus text): `off`, `open`, or `token` (callers send
    /// `Authorization: Bearer` with --metrics-token).
    #[arg(long, value_enum, default_value = "off", env = "PLUGBOARD_METRICS")]
    pub metrics: MetricsArg,
    /// The token `/metrics` asks for with `--metrics token`.
    #[arg(long, env = "PLUGBOARD_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// On SIGTERM or SIGINT, how long calls in flight may take to finish before the server
    /// stops anyway.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 30.0,
        env = "PLUGBOARD_SHUTDOWN_TIMEOUT"
    )]
    pub shutdown_timeout: f64,
    /// API requests per second one API token may make, sustained (none: no limit); past it,
    /// 429 with Retry-After.
    #[arg(long, value_name = "PER_SECOND", env = "PLUGBOARD_RATE_LIMIT")]
    pub rate_limit: Option<f64>,
    /// Requests one API token may make at once above --rate-limit.
    #[arg(long, value_name = "N", default_value_t = 20, env = "PLUGBOARD_RATE_LIMIT_BURST", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub rate_limit_burst: u32,
}

/// Log line formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Who may read `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MetricsArg {
    /// Not served.
    Off,
    /// Anyone who reaches the server.
    Open,
    /// Callers with --metrics-token.
    Token,
}

/// An absolute `http(s)` URL without query or fragment, kept without a trailing `/`.
fn public_url(text: &str) -> Result<String, String> {
    let url = url::Url::parse(text).map_err(|e| format!("not an absolute URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err("use an http:// or https:// URL with a host".into());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("a query or fragment is not allowed (the callback path is appended)".into());
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

impl Args {
    /// The limits on spec work from the flags.
    fn spec_limits(&self) -> Result<plugboard_server::SpecLimits> {
        if !(0.0..=600.0).contains(&self.spec_wait_secs) {
            bail!("--spec-wait-secs must be between 0 and 600");
        }
        let defaults = plugboard_server::SpecLimits::default();
        Ok(plugboard_server::SpecLimits {
            max_body_bytes: (self.max_spec_mib << 20) as usize,
            jobs: self.spec_jobs.unwrap_or(defaults.jobs),
            memory_bytes: self.spec_memory_mib << 20,
            wait: std::time::Duration::from_secs_f64(self.spec_wait_secs),
        })
    }

    /// The pool's shares from the flags.
    fn shares(&self) -> Result<plugboard_runtime::Shares> {
        let defaults = plugboard_runtime::Shares::for_pool(self.max_instances);
        if !(0.0..=600.0).contains(&self.slot_wait_secs) {
            bail!("--slot-wait-secs must be between 0 and 600");
        }
        Ok(plugboard_runtime::Shares {
            per_organization: self
                .calls_per_organization
                .unwrap_or(defaults.per_organization),
            per_installation: self
                .calls_per_installation
                .unwrap_or(defaults.per_installation),
            wait: std::time::Duration::from_secs_f64(self.slot_wait_secs),
        })
    }
}

/// Runs the server until the process ends.
pub async fn run(args: Args, host: &crate::HostArgs) -> Result<ExitCode> {
    let shares = args.shares()?;
    let metrics = match (args.metrics, args.metrics_token.clone()) {
        (MetricsArg::Off, _) => plugboard_server::MetricsAccess::Off,
        (MetricsArg::Open, _) => plugboard_server::MetricsAccess::Open,
        (MetricsArg::Token, Some(token)) if token.len() >= 16 => {
            plugboard_server::MetricsAccess::Token(token)
        }
        (MetricsArg::Token, _) => {
            bail!(
                "--metrics token needs --metrics-token (env PLUGBOARD_METRICS_TOKEN) of at least 16 characters"
            )
        }
    };
    if !(0.0..=3600.0).contains(&args.shutdown_timeout) {
        bail!("--shutdown-timeout must be between 0 and 3600 seconds");
    }
    let rate_limits = match args.rate_limit {
        None => None,
        Some(rate) if rate > 0.0 && rate.is_finite() => Some(plugboard_server::RateLimits {
            per_second: rate,
            burst: args.rate_limit_burst,
        }),
        Some(other) => {
            bail!("--rate-limit must be a positive number of requests per second, got {other}")
        }
    };
    let spec_limits = args.spec_limits()?;
    let max_body = (args.max_body_mib << 20) as usize;
    // Everything that can fail is checked before the database is created or bootstrapped: a
    // failed start must not spend the one-time admin token.
    let trust = plugboard_server::BundleTrust {
        keys: crate::cmd::signing::read_trusted(&args.trusted_keys)?,
        allow_untrusted: args.allow_untrusted_bundles,
    };
    let listener = plugboard_server::bind(args.listen)
        .await
        .with_context(|| format!("--listen {}", args.listen))?;
    let data_dir = match args.data_dir {
        Some(dir) => dir,
        None => dirs::data_dir()
            .context("no data directory; pass --data-dir")?
            .join("plugboard")
            .join("server"),
    };
    std::fs::create_dir_all(&data_dir)
        .with_context(|| format!("cannot create {}", data_dir.display()))?;
    let url = args
        .database
        .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("plugboard.db").display()));
    let store = Store::open(&url).await.context("cannot open the store")?;
    let sealer = sealer(&store, &data_dir).await?;
    let mut config = RuntimeConfig {
        cache: crate::compile_cache(host, &data_dir)?,
        memory_cache_bytes: args.memory_cache_mib << 20,
        // Integrations are untrusted: public addresses only, unless the operator allows more.
        egress: host.egress(plugboard_runtime::EgressPolicy::public_only()),
        max_instances: args.max_instances,
        warm_instances: args.warm_instances,
        shares: Some(shares),
        ..RuntimeConfig::default()
    };
    // OAuth 2.0 tokens live in the store, sealed, with a lock across hosts on PostgreSQL.
    config.token_store = Arc::new(DbTokenStore::new(store.clone(), sealer.clone()));
    let runtime = Arc::new(Runtime::new(config)?);
    if let Some(token) = plugboard_server::bootstrap(&store).await? {
        eprintln!(
            "plugboard: new database: created the root organization and its admin; API token (shown once):\n{token}"
        );
    }
    let mut state = plugboard_server::AppState::new(store, runtime, sealer)
        .with_trust(trust)
        .with_spec_limits(spec_limits)
        .with_max_body(max_body);
    if let Some(url) = &args.public_url {
        state = state.with_public_url(url);
    }
    if let Some(dir) = &args.console_dir {
        state = state.with_console_dir(dir.clone());
    }
    state = state.with_metrics(metrics);
    if let Some(limits) = rate_limits {
        state = state.with_rate_limits(limits);
    }
    plugboard_server::serve_until(
        state,
        listener,
        stop_signal(),
        std::time::Duration::from_secs_f64(args.shutdown_timeout),
    )
    .await?;
    Ok(ExitCode::SUCCESS)
}

/// SIGTERM or SIGINT (Ctrl-C): the start of a graceful stop.
async fn stop_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let terminate = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut signal) => {
                    signal.recv().await;
                }
                Err(error) => {
                    tracing::warn!(%error, "cannot listen for SIGTERM");
                    std::future::pending::<()>().await;
                }
            }
        };
        tokio::select! {
            _ = interrupt => tracing::info!("SIGINT"),
            () = terminate => tracing::info!("SIGTERM"),
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}

/// The credentials key: env `PLUGBOARD_SECRET_KEY`, else `secret.key` in the data directory,
/// created for a new database only (an existing one with a lost key is a clear error, not a
/// silent new key that cannot open what is stored).
async fn sealer(store: &Store, data_dir: &std::path::Path) -> Result<Sealer> {
    if let Ok(text) = std::env::var(KEY_ENV) {
        return Sealer::from_base64(&text).with_context(|| KEY_ENV.to_string());
    }
    if store.backend() == plugboard_store::Backend::Postgres {
        // Hosts sharing a database must share the key; a key file per host would differ.
        bail!("with PostgreSQL, set {KEY_ENV} (32 bytes, base64) to the same key on every host");
    }
    let path = data_dir.join("secret.key");
    match std::fs::read_to_string(&path) {
        Ok(text) => Sealer::from_base64(&text).with_context(|| path.display().to_string()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if !store.is_empty().await? {
                bail!(
                    "the database holds sealed credentials but there is no key: set {KEY_ENV} or restore {}",
                    path.display()
                );
            }
            let key = Sealer::generate_key()?;
            crate::files::write_new_private(&path, key.as_bytes())?;
            Ok(Sealer::from_base64(&key)?)
        }
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}
