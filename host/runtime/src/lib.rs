//! The Plugboard host runtime.
//!
//! [`Runtime`] owns one wasmtime engine (pooling allocator, epoch interruption), the outbound
//! HTTP client and a cache of loaded bundles. Loading a bundle reads its manifest section (static
//! data covered by its signature; no guest code runs), compiles the component once (precompiled
//! artifacts are cached on disk, checked with a keyed MAC before use) and keeps an
//! `InstancePre`. Each invocation gets a fresh store with its own [`Limits`], and the store is
//! dropped afterwards, trap or not.
//!
//! What a bundle may reach is its manifest: the host enforces it. Credentials ([`Credentials`])
//! are applied by the host to requests to the manifest's primary origin; they never enter the
//! component.

mod bindings;
mod body_check;
mod cache;
mod describe;
mod error_json;
mod host;
mod limits;
mod loaded;
mod oauth_call;
mod outbound;
mod overrides;
mod resilience;
mod runtime;
mod scrub;
mod slots;
mod tap;
mod warm;

use std::time::Duration;

pub use cache::{CompileCache, DEFAULT_COMPILE_CACHE_BYTES};
pub use limits::Limits;
pub use loaded::CacheUsage;
pub use oauth_call::oauth_client;
pub use outbound::Credentials;
pub use overrides::{AuthOverrides, OverrideProblem};
pub use plugboard_egress::{EgressPolicy, IpNet};
pub use plugboard_manifest::Auth as ManifestAuth;
pub use plugboard_manifest::Failure;
pub use plugboard_manifest::section::{ManifestSection, SharedBytes};
pub use resilience::{RateLimit, RetryPolicy};
pub use runtime::{
    Bundle, DEFAULT_MEMORY_CACHE_BYTES, HeldInstance, InvokeOptions, Runtime, RuntimeConfig,
    parse_output,
};
pub use slots::{Shares, Tenant};
pub use tap::{Body, Exchange, ReceivedResponse, Replay, SentRequest, Tap, redact_fields};

/// Errors from loading or invoking a component.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// wasmtime could not be set up.
    #[error("runtime setup failed: {0}")]
    Setup(String),
    /// The bytes are not a valid component, or it does not compile.
    #[error("cannot compile the component: {0}")]
    Compile(String),
    /// The component's manifest is missing, malformed or unacceptable, or it was built for
    /// another contract.
    #[error(transparent)]
    Bundle(#[from] plugboard_bundle::Error),
    /// The component does not implement the `integration` world.
    #[error("the component does not fit the `integration` world: {0}")]
    Incompatible(String),
    /// Reading or writing the compilation cache or a bundle file failed.
    #[error("cannot read or write {path}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// OAuth 2.0 token state could not be read or written.
    #[error("OAuth 2.0 tokens: {0}")]
    Tokens(String),
    /// The OAuth 2.0 credential needs a user's consent (first, or again after the provider
    /// refused its refresh token).
    #[error("the OAuth 2.0 credential needs consent: {0}")]
    NeedsConsent(String),
    /// A custom-code component could not describe itself (`plugboard build`).
    #[error("the component could not describe itself: {0}")]
    Describe(String),
    /// No action has this id.
    #[error("unknown action `{id}` (the integration has {available} action(s))")]
    UnknownAction {
        /// The id asked for.
        id: String,
        /// How many actions exist.
        available: usize,
    },
    /// Credentials the integration's auth needs were not given.
    #[error("missing credential(s) for {auth} auth: {}", .names.join(", "))]
    MissingCredentials {
        /// Auth method.
        auth: &'static str,
        /// Missing names.
        names: Vec<&'static str>,
    },
    /// The request body does not fit the action's body schema (checked before the component
    /// runs).
    #[error("invalid input: `{field}`: {message}")]
    InvalidBody {
        /// Where, as a dotted path from `body` (`body.items.0.price`).
        field: String,
        /// What is wrong.
        message: String,
    },
    /// The hostname is a template (`{account}.blob.core.windows.net`) and the installation's
    /// config does not give a usable value for a placeholder.
    #[error("{0}")]
    Hostname(String),
    /// The component reported a typed failure.
    #[error("{0}")]
    Guest(Failure),
    /// The call ran past its wall-time limit.
    #[error("time limit of {} ms exceeded; the call was stopped", .0.as_millis())]
    Timeout(Duration),
    /// The component tried to grow its memory past the limit.
    #[error(
        "memory limit of {limit} bytes exceeded (the component asked for {requested} bytes); the call was stopped"
    )]
    MemoryLimit {
        /// The limit.
        limit: usize,
        /// What the component asked for.
        requested: usize,
    },
    /// The component trapped (crashed).
    #[error("the component crashed: {message}{}", if .stderr.is_empty() { String::new() } else { format!("\ncomponent stderr: {}", .stderr) })]
    Trap {
        /// wasmtime's description.
        message: String,
        /// What the component wrote to stderr.
        stderr: String,
    },
    /// No instance slot came free in time: the host, or the caller's share of it, is busy.
    #[error("busy: {message}; try again in {} s", .retry_after.as_secs().max(1))]
    Busy {
        /// What is busy.
        message: String,
        /// When to try again.
        retry_after: Duration,
    },
    /// The component returned output that is not JSON.
    #[error("the component returned output that is not JSON: {0}")]
    BadOutput(String),
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The value under `key`, made by `make` and inserted when there is none. The key is copied
/// only then: the hot paths look up the same few keys (credentials, tenants) on every call.
pub(crate) fn shared_entry<V: Clone>(
    map: &mut std::collections::HashMap<String, V>,
    key: &str,
    make: impl FnOnce() -> V,
) -> V {
    match map.get(key) {
        Some(value) => value.clone(),
        None => map.entry(key.to_string()).or_insert_with(make).clone(),
    }
}

/// Installs the process-wide TLS crypto provider (ring). Idempotent; [`Runtime::new`] calls it.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
