//! `plugboard`: build, inspect and invoke integration components.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

mod cmd;
mod credentials;
mod files;
mod help;
mod logging;

/// mimalloc: spec reading and conversion allocate millions of small values; it is markedly
/// faster than the system allocator for that.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use clap::{Parser, Subcommand};
use cmd::format::Format;
use plugboard_definition::Definition;
use plugboard_runtime::{
    CompileCache, EgressPolicy, InvokeOptions, IpNet, Limits, RateLimit, RetryPolicy, Runtime,
    RuntimeConfig,
};

/// Plugboard turns REST API definitions into sandboxed WebAssembly integrations.
#[derive(Debug, Parser)]
#[command(name = "plugboard", version = version_text(), about)]
struct Cli {
    /// Where compiled components are cached (default: the user cache directory; env
    /// PLUGBOARD_CACHE_DIR).
    #[arg(long, global = true, env = "PLUGBOARD_CACHE_DIR")]
    cache_dir: Option<PathBuf>,
    /// Most disk the compilation cache may take; the least recently used components go first.
    #[arg(long, value_name = "MIB", global = true, env = "PLUGBOARD_CACHE_MAX_MIB", default_value_t = 1024, value_parser = clap::value_parser!(u64).range(1..))]
    cache_max_mib: u64,
    /// Where OAuth 2.0 tokens are kept, encrypted (default: the user data directory's
    /// plugboard/tokens.json; key from env PLUGBOARD_TOKEN_KEY or tokens.key beside it).
    #[arg(long, global = true, env = "PLUGBOARD_TOKEN_STORE")]
    token_store: Option<PathBuf>,
    /// Also let integrations reach this network (CIDR, repeatable), such as an on-premises API
    /// at 10.20.0.0/16. Otherwise internal addresses are refused: all of them by `serve`, all
    /// but loopback by the other commands.
    #[arg(
        long = "allow-network",
        value_name = "CIDR",
        global = true,
        env = "PLUGBOARD_ALLOW_NETWORK",
        value_delimiter = ','
    )]
    allow_networks: Vec<IpNet>,
    /// Let integrations reach every private network (loopback, private, link-local and shared
    /// ranges).
    #[arg(long, global = true, env = "PLUGBOARD_ALLOW_PRIVATE_NETWORKS")]
    allow_private_networks: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Finalize a definition into a self-contained component (.wasm), or record a custom-code
    /// component's manifest (a .wasm built with the guest SDK) so that it can be signed.
    Build {
        /// The definition (JSON), or a custom-code component (.wasm).
        definition: PathBuf,
        /// Where to write the component.
        #[arg(short, long)]
        output: PathBuf,
        /// The report: `human` (a line on stderr) or `json` (on stdout: `output`, `source`,
        /// `name`, `actions`, `hosts`, `table_bytes`, `component_bytes`, `sha256`,
        /// `manifest_digest`, `elapsed_ms`).
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Print a component's manifest section as JSON: hosts, auth, config, secrets, actions and
    /// schemas, plus its signature and the limits the host applies by default.
    Inspect {
        /// The component.
        bundle: PathBuf,
        /// A trusted public key file, for the signature status (repeatable).
        #[arg(
            long = "trusted-key",
            alias = "trust-key",
            alias = "trust",
            value_name = "KEY.pub"
        )]
        trusted: Vec<PathBuf>,
        /// Accepted for symmetry with the other commands: the manifest is JSON either way.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Run one action of a component and print its JSON output.
    Invoke(InvokeArgs),
    /// The definition format, and definitions built by hand.
    Definition {
        #[command(subcommand)]
        command: DefinitionCommand,
    },
    /// Lint an OpenAPI 3.x or Swagger 2.0 spec: findings with rule, location and fix hint.
    Lint(cmd::lint::Args),
    /// Repair a spec: operationIds, trailing slashes, cycles, patterns, required names, ...
    Clean(cmd::clean::Args),
    /// Convert a Swagger 2.0 spec to OpenAPI 3.0.
    Convert(cmd::convert::Args),
    /// Import a spec as a draft definition: one action per operation.
    Import(cmd::import::Args),
    /// List and edit a definition's actions.
    Actions(cmd::actions::Args),
    /// Run actions against the live API (two pages at most) and judge auth, the results key
    /// and pagination, with the raw pages and the settings that fit (`--apply` writes them).
    Probe(cmd::probe::Args),
    /// Run the platform's REST API (organizations, integrations, installations, invoke).
    Serve(cmd::serve::Args),
    /// Print a shell completion script (`plugboard completions bash >
    /// ~/.local/share/bash-completion/completions/plugboard`).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page, roff (`plugboard man > plugboard.1; man ./plugboard.1`).
    Man,
    /// Operator commands on the server host (`admin token`: a new admin API token).
    Admin(cmd::admin::Args),
    /// Copy the server's SQLite database consistently while it runs (PostgreSQL: pg_dump),
    /// and say where the credentials key it needs is (`--with-key` copies it beside the backup).
    Backup(cmd::backup::Args),
    /// Scaffold a custom-code integration crate (typed actions with the guest SDK).
    New(cmd::new::Args),
    /// Make an Ed25519 key pair for signing bundles.
    Keygen(cmd::signing::KeygenArgs),
    /// Sign a bundle (the signature travels inside the .wasm).
    Sign(cmd::signing::SignArgs),
    /// Check a bundle's signature against trusted keys.
    Verify(cmd::signing::VerifyArgs),
    /// Load a reviewed, signed bundle into a running platform.
    Upload(cmd::upload::Args),
    /// OAuth 2.0 credentials: log in (authorization code), status, logout.
    Auth {
        #[command(subcommand)]
        command: cmd::auth::AuthCommand,
    },
}

/// Arguments of `plugboard invoke`.
#[derive(Debug, clap::Args)]
struct InvokeArgs {
    /// The component.
    bundle: PathBuf,
    /// The action id (see `inspect`).
    action_id: String,
    /// The input object as JSON, `@FILE` to read a file, or `-` for stdin.
    #[arg(long, default_value = "{}")]
    input: String,
    /// Dry run, record or replay.
    #[command(flatten)]
    tap: cmd::tap::TapArgs,
    /// A credential applied by the host: `api_key=...`, `username=...`, `password=...`,
    /// `client_id=...`, `client_secret=...` (and `refresh_token=...` to seed OAuth 2.0).
    /// Prefer `NAME=@FILE`, `NAME=-` (standard input) or `PLUGBOARD_CREDENTIAL_<NAME>`
    /// variables: values on the command line show in `ps` and in shell history.
    #[arg(long = "credential", value_name = "NAME=VALUE")]
    credentials: Vec<String>,
    /// The OAuth 2.0 credential's key in the token store (default: derived from the token
    /// URL, client id and scope).
    #[arg(long)]
    credential_key: Option<String>,
    /// A config value the component declares.
    #[arg(long = "config", value_name = "NAME=VALUE")]
    config: Vec<String>,
    /// Wall-time limit for the whole call.
    #[arg(long, default_value_t = 30_000)]
    timeout_ms: u64,
    /// Memory limit of the component, in MiB.
    #[arg(long, default_value_t = 64)]
    memory_mib: usize,
    /// Largest upstream response body, in MiB.
    #[arg(long, default_value_t = 16)]
    response_mib: usize,
    /// Outbound requests per call.
    #[arg(long, default_value_t = 50)]
    max_requests: u32,
    /// A trusted public key file (repeatable; for --require-signature).
    #[arg(
        long = "trusted-key",
        alias = "trust-key",
        alias = "trust",
        value_name = "KEY.pub"
    )]
    trusted: Vec<PathBuf>,
    /// Refuse a bundle that is not signed by a trusted key.
    #[arg(long)]
    require_signature: bool,
    /// Retries of an idempotent request that gets 429, a 5xx or a transport error.
    #[arg(long, default_value_t = 2)]
    retries: u32,
    /// Requests per second at most (a rate budget for this call).
    #[arg(long, value_name = "PER_SECOND")]
    rate_limit: Option<f64>,
    /// Errors: `human` (on stderr) or `json` (also on stdout, `{"error": {"kind", "message",
    /// ...}}`: `kind` is the WIT error case, with its fields; exit code 1 all the same). The
    /// output of a call that succeeds is JSON either way.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

#[derive(Debug, Subcommand)]
enum DefinitionCommand {
    /// Print the definition's JSON Schema.
    Schema,
    /// Check a definition and list every problem with its JSON path.
    Validate {
        /// The definition (JSON).
        definition: PathBuf,
        /// The result: `human` (on stderr) or `json` (on stdout: `{"definition", "valid",
        /// "problems": [{"path", "message"}]}`; exit code 1 when not valid, as for `human`).
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Start a definition by hand (for APIs without a spec).
    New(cmd::definition::NewArgs),
    /// Set a definition's fields (auth, pagination, hostname, ...) with the import flags.
    Set(cmd::definition::SetArgs),
}

fn main() -> ExitCode {
    let args = match cmd::config_file::with_config_file(
        std::env::args_os().collect(),
        &<Cli as clap::CommandFactory>::command(),
    ) {
        Ok(args) => args,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(2);
        }
    };
    let cli = match help::command()
        .try_get_matches_from(args)
        .and_then(|matches| <Cli as clap::FromArgMatches>::from_arg_matches(&matches))
    {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    // Diagnostics on stderr: `serve` logs at info (its access log) unless PLUGBOARD_LOG says
    // otherwise; the other commands only when PLUGBOARD_LOG asks (e.g. `PLUGBOARD_LOG=debug`).
    let (default_filter, format) = match &cli.command {
        Command::Serve(args) => ("info", args.log_format),
        _ => ("off", cmd::serve::LogFormat::Text),
    };
    logging::init(default_filter, format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            if let Some(flag) = flag_for(&e) {
                eprintln!("(on the command line: {flag})");
            }
            ExitCode::FAILURE
        }
    }
}

/// The flag that sets the definition field an edit error is about: library errors name
/// definition fields, the CLI's users know flags.
fn flag_for(error: &anyhow::Error) -> Option<&'static str> {
    let plugboard_definition::Error::Edit { field, message } = error.downcast_ref()? else {
        return None;
    };
    if message.contains("`auth.type`") {
        return Some("--auth none|api-key|basic|oauth2");
    }
    if message.contains("`pagination.type`") {
        return Some("plugboard definition set <definition> --pagination index|page|link|pointer");
    }
    match field.as_str() {
        "auth.access_token_url" => Some("--access-token-url URL"),
        _ => None,
    }
}

/// `plugboard --version`: the version, the commit it was built from, the WIT contract it makes
/// and runs, and the wasmtime it runs components with.
fn version_text() -> &'static str {
    static TEXT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TEXT.get_or_init(|| {
        format!(
            "{} (commit {}, contract {}@{}, wasmtime {})",
            env!("CARGO_PKG_VERSION"),
            env!("PLUGBOARD_COMMIT"),
            plugboard_bundle::CONTRACT_PACKAGE,
            plugboard_bundle::CONTRACT_VERSION,
            env!("PLUGBOARD_WASMTIME"),
        )
    })
}

/// What every command that runs components shares: where compiled code is cached, and which
/// networks integrations may reach beyond public addresses.
#[derive(Debug, Clone)]
pub(crate) struct HostArgs {
    pub(crate) cache_dir: Option<PathBuf>,
    /// Most bytes of the compilation cache on disk.
    pub(crate) cache_max_bytes: u64,
    allow_networks: Vec<IpNet>,
    allow_private_networks: bool,
}

impl HostArgs {
    /// `base` with the networks the flags allow.
    pub(crate) fn egress(&self, base: EgressPolicy) -> EgressPolicy {
        let mut policy = self
            .allow_networks
            .iter()
            .fold(base, |policy, network| policy.allow_network(*network));
        if self.allow_private_networks {
            policy = policy.allow_private_networks();
        }
        policy
    }
}

async fn run(cli: Cli) -> Result<ExitCode> {
    let host = HostArgs {
        cache_dir: cli
            .cache_dir
            .or_else(|| dirs::cache_dir().map(|d| d.join("plugboard"))),
        cache_max_bytes: cli.cache_max_mib << 20,
        allow_networks: cli.allow_networks,
        allow_private_networks: cli.allow_private_networks,
    };
    let done = |result: Result<()>| result.map(|()| ExitCode::SUCCESS);
    let token_store = cli.token_store;
    match cli.command {
        Command::Build {
            definition,
            output,
            format,
        } => done(build(&definition, &output, &host, format).await),
        // The manifest is JSON whatever the format.
        Command::Inspect {
            bundle,
            trusted,
            format: _,
        } => {
            let runtime = runtime(&host, None)?;
            let bytes = std::fs::read(&bundle)
                .with_context(|| format!("cannot read {}", bundle.display()))?;
            let trusted = cmd::signing::read_trusted(&trusted)?;
            let loaded = load(&runtime, &bundle).await?;
            let manifest = loaded
                .manifest
                .to_manifest()
                .with_context(|| format!("cannot read the manifest of {}", bundle.display()))?;
            let mut json = serde_json::to_value(&manifest)?;
            if let Some(object) = json.as_object_mut() {
                object.insert(
                    "signature".into(),
                    cmd::signing::signature_json(&bytes, &trusted),
                );
                let limits = Limits::default();
                let initial = plugboard_bundle::initial_memory(&bytes)?;
                object.insert(
                    "default_limits".into(),
                    serde_json::json!({
                        "timeout_ms": limits.timeout.as_millis(),
                        "memory_bytes": limits.memory_bytes,
                        "initial_memory_bytes": initial,
                        "response_bytes": limits.response_bytes,
                        "max_requests": limits.max_requests,
                    }),
                );
            }
            done(print_json(&json))
        }
        Command::New(args) => cmd::new::run(args),
        Command::Keygen(args) => cmd::signing::keygen(args),
        Command::Sign(args) => cmd::signing::sign_bundle(args),
        Command::Verify(args) => cmd::signing::verify(args),
        Command::Upload(args) => cmd::upload::run(args).await,
        Command::Invoke(args) => {
            let format = args.format;
            let result = invoke(args, &host, token_store).await;
            if let (Err(error), Format::Json) = (&result, format) {
                print_json(&serde_json::json!({"error": invoke_error_json(error)}))?;
            }
            done(result)
        }
        Command::Completions { shell } => {
            use clap::CommandFactory as _;
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "plugboard",
                &mut std::io::stdout(),
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Man => {
            use clap::CommandFactory as _;
            clap_mangen::Man::new(Cli::command())
                .render(&mut std::io::stdout())
                .context("cannot write the man page")?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve(args) => cmd::serve::run(args, &host).await,
        Command::Probe(args) => cmd::probe::run(args, &host, token_store).await,
        Command::Admin(args) => cmd::admin::run(args).await.map(|()| ExitCode::SUCCESS),
        Command::Backup(args) => cmd::backup::run(args).await.map(|()| ExitCode::SUCCESS),
        Command::Auth { command } => {
            let runtime = runtime(&host, Some(token_store))?;
            cmd::auth::run(command, &runtime).await
        }
        Command::Definition { command } => match command {
            DefinitionCommand::Schema => {
                println!("{}", plugboard_definition::json_schema());
                Ok(ExitCode::SUCCESS)
            }
            DefinitionCommand::Validate {
                definition,
                format: Format::Human,
            } => {
                read_definition(&definition)?;
                eprintln!("{}: valid", definition.display());
                Ok(ExitCode::SUCCESS)
            }
            DefinitionCommand::Validate {
                definition,
                format: Format::Json,
            } => validate_json(&definition),
            DefinitionCommand::New(args) => cmd::definition::run_new(args),
            DefinitionCommand::Set(args) => cmd::definition::run_set(args),
        },
        Command::Lint(args) => cmd::lint::run(args),
        Command::Clean(args) => cmd::clean::run(args),
        Command::Convert(args) => cmd::convert::run(args),
        Command::Import(args) => cmd::import::run(args),
        Command::Actions(args) => cmd::actions::run(args),
    }
}

/// `plugboard invoke`: load the component, run the action, print its output.
async fn invoke(args: InvokeArgs, host: &HostArgs, token_store: Option<PathBuf>) -> Result<()> {
    let reads_stdin = |pair: &String| pair.split_once('=').is_some_and(|(_, value)| value == "-");
    if args.input == "-" && args.credentials.iter().any(reads_stdin) {
        bail!(
            "--input - and --credential NAME=- both read standard input; give the credential as \
             NAME=@FILE or in PLUGBOARD_CREDENTIAL_<NAME>"
        );
    }
    let input = read_input(&args.input)?;
    if args.require_signature {
        let bytes = std::fs::read(&args.bundle)
            .with_context(|| format!("cannot read {}", args.bundle.display()))?;
        let trusted = cmd::signing::read_trusted(&args.trusted)?;
        cmd::signing::require_trusted(&bytes, &trusted, &args.bundle)?;
    }
    let options = InvokeOptions {
        credentials: credentials::credentials(&args.credentials, "--credential")?
            .into_iter()
            .collect(),
        config: pairs(&args.config, "--config")?.into_iter().collect(),
        limits: Limits {
            timeout: Duration::from_millis(args.timeout_ms),
            memory_bytes: mib(args.memory_mib, "--memory-mib")?,
            response_bytes: mib(args.response_mib, "--response-mib")?,
            max_requests: args.max_requests,
        },
        credential_key: args.credential_key,
        retry: RetryPolicy {
            max_retries: args.retries,
            ..RetryPolicy::default()
        },
        rate_limit: match args.rate_limit {
            Some(per_second) if per_second > 0.0 && per_second.is_finite() => Some(RateLimit {
                per_second,
                burst: 1,
            }),
            Some(other) => {
                bail!("--rate-limit must be a positive number of requests per second, got {other}")
            }
            None => None,
        },
        tenant: None,
        auth_overrides: plugboard_runtime::AuthOverrides::default(),
    };
    let runtime = runtime(host, Some(token_store))?;
    let bundle = load(&runtime, &args.bundle).await?;
    if args.tap.dry_run {
        let requests = runtime
            .dry_run(&bundle, &args.action_id, &input, &options)
            .await
            .map_err(|e| invoke_error(e, &args.bundle))?;
        return print_json(&serde_json::json!({"dry_run": true, "requests": requests}));
    }
    let (result, exchanges) = runtime
        .invoke_tapped(&bundle, &args.action_id, &input, &options, args.tap.tap()?)
        .await;
    if let Some(dir) = &args.tap.record {
        cmd::tap::write_recording(dir, &exchanges, &args.tap.sensitive)?;
        eprintln!(
            "recorded {} exchange(s) in {}",
            exchanges.len(),
            dir.display()
        );
    }
    let output = result.map_err(|e| invoke_error(e, &args.bundle))?;
    print_json(&output)
}

/// A runtime error with the CLI's advice: which flag or command supplies what is missing.
fn invoke_error(error: plugboard_runtime::Error, bundle: &Path) -> anyhow::Error {
    let advice = advice(&error, bundle);
    Advised { error, advice }.into()
}

/// An error of the call itself (not of loading the bundle or reading a flag) and the CLI's
/// advice on it, if any; shown as `error; advice`.
#[derive(Debug)]
struct Advised {
    error: plugboard_runtime::Error,
    advice: Option<String>,
}

impl std::fmt::Display for Advised {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.advice {
            Some(advice) => write!(f, "{}; {advice}", self.error),
            None => write!(f, "{}", self.error),
        }
    }
}

impl std::error::Error for Advised {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.error)
    }
}

/// A failed `invoke` as JSON: an error of the call as [`plugboard_runtime::Error::to_json`]
/// says, with the CLI's advice as `hint`; any other failure (a flag, a file, the input, a
/// bundle that does not load, a refused signature: the call never started) is kind `usage`
/// with the message stderr shows. Only the errors [`invoke_error`] made are the call's: a
/// runtime error under a context (`cannot load X: ...`) is not.
fn invoke_error_json(error: &anyhow::Error) -> serde_json::Value {
    let Some(advised) = error.downcast_ref::<Advised>() else {
        return serde_json::json!({"kind": "usage", "message": format!("{error:#}")});
    };
    let mut json = advised.error.to_json();
    if let (Some(hint), Some(object)) = (&advised.advice, json.as_object_mut()) {
        object.insert("hint".into(), hint.clone().into());
    }
    json
}

/// What the CLI advises for a runtime error: which flag or command supplies what is missing.
fn advice(error: &plugboard_runtime::Error, bundle: &Path) -> Option<String> {
    use plugboard_runtime::Error as E;
    match error {
        E::MissingCredentials { names, .. } => Some(format!(
            "pass {}",
            names
                .iter()
                .map(|n| format!("--credential {n}=VALUE"))
                .collect::<Vec<_>>()
                .join(" ")
        )),
        E::NeedsConsent(_) => Some(format!(
            "authorize it: plugboard auth login {} --credential client_id=...",
            bundle.display()
        )),
        E::MemoryLimit { .. } => Some("raise the limit with --memory-mib".to_string()),
        E::Hostname(_) => Some("give the hostname's parts with --config NAME=VALUE".to_string()),
        E::UnknownAction { .. } => Some(format!(
            "`plugboard inspect {}` lists the actions",
            bundle.display()
        )),
        _ => None,
    }
}

/// The compilation cache the flags say, vouched for by the key `cache.key` in `key_dir` (a
/// data directory, never the cache directory itself).
pub(crate) fn compile_cache(host: &HostArgs, key_dir: &Path) -> Result<Option<CompileCache>> {
    let Some(dir) = host.cache_dir.clone() else {
        return Ok(None);
    };
    let key_file = key_dir.join("cache.key");
    let cache = CompileCache::open(dir, &key_file).with_context(|| {
        format!(
            "cannot open the compilation cache key {}",
            key_file.display()
        )
    })?;
    Ok(Some(cache.with_max_bytes(host.cache_max_bytes)))
}

/// The CLI's data directory (the cache key lives there).
fn data_dir() -> Result<PathBuf> {
    Ok(dirs::data_dir()
        .context("no user data directory (set HOME or XDG_DATA_HOME)")?
        .join("plugboard"))
}

/// A runtime for the CLI (public addresses and loopback, plus what the flags allow);
/// `token_store: Some(path)` opens the (file) token store for OAuth 2.0 components, `None`
/// keeps tokens in memory.
fn runtime(host: &HostArgs, token_store: Option<Option<PathBuf>>) -> Result<Runtime> {
    let mut config = RuntimeConfig {
        cache: compile_cache(host, &data_dir()?)?,
        egress: host.egress(EgressPolicy::with_loopback()),
        // One call at a time from the CLI: a small pool.
        max_instances: 4,
        pooling: true,
        ..RuntimeConfig::default()
    };
    if let Some(path) = token_store {
        config.token_store = cmd::auth::open_store(path);
    }
    Ok(Runtime::new(config)?)
}

/// Reads and loads a component file, with a clear error for files that are not components.
async fn load(runtime: &Runtime, path: &Path) -> Result<std::sync::Arc<plugboard_runtime::Bundle>> {
    let mut preamble = Vec::with_capacity(8);
    std::fs::File::open(path)
        .and_then(|file| {
            std::io::Read::read_to_end(&mut std::io::Read::take(file, 8), &mut preamble)
        })
        .with_context(|| format!("cannot read {}", path.display()))?;
    // `\0asm`, then version 1 for a core module or 0x0d with layer 1 for a component.
    match preamble.get(..8) {
        Some([0, b'a', b's', b'm', 0x0d, 0, 1, 0]) => {}
        Some([0, b'a', b's', b'm', 1, 0, 0, 0]) => bail!(
            "{} is a core WebAssembly module, not a component; `plugboard build` makes components",
            path.display()
        ),
        _ => bail!(
            "{} is not a WebAssembly component; `plugboard build` makes one from a definition",
            path.display()
        ),
    }
    runtime
        .load_file(path)
        .await
        .with_context(|| format!("cannot load {}", path.display()))
}

/// `value` MiB in bytes.
fn mib(value: usize, flag: &str) -> Result<usize> {
    value
        .checked_mul(1 << 20)
        .with_context(|| format!("{flag} {value} is too large"))
}

fn read_definition(path: &Path) -> Result<Definition> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    Definition::from_json(&text)
        .with_context(|| format!("{} is not a valid definition", path.display()))
}

/// `plugboard definition validate --format json`: the problems as JSON on stdout; exit code 1
/// when there are any (a file that cannot be read is an error, as for `human`).
fn validate_json(path: &Path) -> Result<ExitCode> {
    use plugboard_definition::Error as E;
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let problems = match Definition::from_json(&text) {
        Ok(_) => Vec::new(),
        Err(E::Invalid(problems)) => problems
            .iter()
            .map(|p| serde_json::json!({"path": p.path, "message": p.message}))
            .collect(),
        Err(E::Parse {
            path,
            message,
            line,
            column,
        }) => vec![serde_json::json!({
            "path": path, "message": message, "line": line, "column": column,
        })],
        Err(other) => vec![serde_json::json!({
            "path": "$.definition_version", "message": other.to_string(),
        })],
    };
    let valid = problems.is_empty();
    print_json(&serde_json::json!({
        "definition": path,
        "valid": valid,
        "problems": problems,
    }))?;
    Ok(if valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Hex SHA-256 of a component: the hash the platform keeps it under (`bundle_sha256`).
fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// `plugboard build`: finalize a definition, or record a custom-code component's manifest.
async fn build(input: &Path, output: &Path, host: &HostArgs, format: Format) -> Result<()> {
    let started = Instant::now();
    let bytes = std::fs::read(input).with_context(|| format!("cannot read {}", input.display()))?;
    if bytes.starts_with(b"\0asm") {
        let runtime = runtime(host, None)?;
        let manifest = runtime
            .describe(&bytes)
            .await
            .with_context(|| format!("cannot record the manifest of {}", input.display()))?;
        let component = plugboard_bundle::embed_manifest(&bytes, &manifest)
            .with_context(|| format!("cannot record the manifest of {}", input.display()))?;
        files::write_atomically(output, &component)?;
        let hosts =
            std::iter::once(&manifest.header.hostname).chain(&manifest.header.allowed_hosts);
        if format == Format::Json {
            let section = plugboard_bundle::read_manifest(&component)?;
            return print_json(&serde_json::json!({
                "output": output,
                "source": "custom-code",
                "name": manifest.header.name,
                "actions": manifest.actions.len(),
                "hosts": hosts.collect::<Vec<_>>(),
                "table_bytes": null,
                "component_bytes": component.len(),
                "sha256": sha256_hex(&component),
                "manifest_digest": plugboard_bundle::manifest_digest(&section),
                "elapsed_ms": started.elapsed().as_secs_f64() * 1000.0,
            }));
        }
        eprintln!(
            "built {} from custom code `{}`: {} action(s), manifest recorded (hosts: {}), {} byte component, {:.1} ms",
            output.display(),
            manifest.header.name,
            manifest.actions.len(),
            hosts.map(String::as_str).collect::<Vec<_>>().join(", "),
            component.len(),
            started.elapsed().as_secs_f64() * 1000.0
        );
        return Ok(());
    }
    let text = String::from_utf8(bytes).with_context(|| {
        format!(
            "{} is neither a definition (JSON) nor a component",
            input.display()
        )
    })?;
    let definition = Definition::from_json(&text)
        .with_context(|| format!("{} is not a valid definition", input.display()))?;
    let bundle = match plugboard_bundle::finalize(&definition) {
        Err(e @ plugboard_bundle::Error::NoHostname) => bail!(
            "cannot build {}: {e} (`plugboard definition set {} --hostname api.example.com`)",
            input.display(),
            input.display()
        ),
        result => result?,
    };
    let elapsed = started.elapsed();
    files::write_atomically(output, &bundle.component)?;
    if format == Format::Json {
        return print_json(&serde_json::json!({
            "output": output,
            "source": "definition",
            "name": definition.name,
            "actions": bundle.actions,
            "hosts": std::iter::once(&definition.hostname)
                .chain(&definition.extra_hosts)
                .collect::<Vec<_>>(),
            "table_bytes": bundle.table_bytes,
            "component_bytes": bundle.component.len(),
            "sha256": sha256_hex(&bundle.component),
            "manifest_digest": bundle.manifest_digest,
            "elapsed_ms": elapsed.as_secs_f64() * 1000.0,
        }));
    }
    eprintln!(
        "built {} from `{}`: {} action(s), {} byte table, {} byte component, {:.1} ms",
        output.display(),
        definition.name,
        bundle.actions,
        bundle.table_bytes,
        bundle.component.len(),
        elapsed.as_secs_f64() * 1000.0
    );
    Ok(())
}

/// Prints pretty JSON on stdout; a closed pipe (`| head`) is not an error.
fn print_json(value: &impl serde::Serialize) -> Result<()> {
    use std::io::Write;
    let text = serde_json::to_string_pretty(value)?;
    match writeln!(std::io::stdout().lock(), "{text}") {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

fn read_input(input: &str) -> Result<String> {
    let text = if input == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read the input from stdin")?;
        text
    } else if let Some(path) = input.strip_prefix('@') {
        std::fs::read_to_string(path).with_context(|| format!("cannot read input file {path}"))?
    } else {
        input.to_string()
    };
    serde_json::from_str::<serde_json::Value>(&text).context("--input is not valid JSON")?;
    Ok(text)
}

/// Splits `NAME=VALUE` flags. Errors never repeat the text: for `--credential` it may well be
/// the secret itself (`--credential sk-live-...`).
fn pairs(values: &[String], flag: &str) -> Result<Vec<(String, String)>> {
    values
        .iter()
        .enumerate()
        .map(|(index, pair)| match pair.split_once('=') {
            Some((name, value)) if !name.is_empty() => Ok((name.to_string(), value.to_string())),
            Some(_) => bail!(
                "{flag} takes NAME=VALUE; {flag} number {} has an empty NAME",
                index + 1
            ),
            None => bail!(
                "{flag} takes NAME=VALUE; {flag} number {} has no `=`",
                index + 1
            ),
        })
        .collect()
}
