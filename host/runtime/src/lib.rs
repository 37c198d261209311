//! The Plugboard host runtime.
//!
//! [`Runtime`] owns one wasmtime engine (pooling allocator, epoch interruption), the outbound
//! HTTP client and a cache of loaded bundles. Loading a bundle compiles it once (precompiled
//! artifacts are cached on disk by content hash), reads its manifest and keeps an
//! `InstancePre`. Each invocation gets a fresh store with its own [`Limits`], and the store is
//! dropped afterwards, trap or not.
//!
//! Credentials ([`Credentials`]) are applied by the host to requests to the integration's
//! primary origin; they never enter the component.

mod bindings;
mod cache;
mod host;
mod limits;
pub mod manifest;
mod outbound;
mod resilience;
mod runtime;

use std::time::Duration;

use serde::Serialize;

pub use limits::Limits;
pub use manifest::Manifest;
pub use outbound::Credentials;
pub use resilience::{RateLimit, RetryPolicy};
pub use runtime::{Bundle, HeldInstance, InvokeOptions, Runtime, RuntimeConfig, oauth_client};

/// Errors from loading or invoking a component.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// wasmtime could not be set up.
    #[error("runtime setup failed: {0}")]
    Setup(String),
    /// The bytes are not a valid component, or it does not compile.
    #[error("cannot compile the component: {0}")]
    Compile(String),
    /// The component does not implement the `plugboard:integration@0.1.0` world.
    #[error("the component does not fit plugboard:integration@0.1.0: {0}")]
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
    /// The component's manifest could not be read or is inconsistent.
    #[error("the component's manifest is invalid: {0}")]
    Manifest(String),
    /// No action has this id.
    #[error("unknown action `{id}`; `plugboard inspect` lists the {available} action(s)")]
    UnknownAction {
        /// The id asked for.
        id: String,
        /// How many actions exist.
        available: usize,
    },
    /// Credentials the integration's auth needs were not given.
    #[error("missing credential(s) for {auth} auth: {}; pass --credential NAME=VALUE", .names.join(", "))]
    MissingCredentials {
        /// Auth method.
        auth: &'static str,
        /// Missing names.
        names: Vec<&'static str>,
    },
    /// The component reported a typed error.
    #[error("{0}")]
    Guest(GuestFailure),
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
    /// The component returned output that is not JSON.
    #[error("the component returned output that is not JSON: {0}")]
    BadOutput(String),
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A typed error from the component (the WIT `error` variant), serializable for callers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum GuestFailure {
    /// The input does not fit the action.
    InvalidInput {
        /// Explanation.
        message: String,
    },
    /// The upstream answered with a non-success status.
    UpstreamStatus {
        /// Status code.
        status: u16,
        /// Start of the body.
        body_excerpt: String,
        /// Explanation.
        message: String,
    },
    /// No response from upstream.
    Transport {
        /// Explanation.
        message: String,
    },
    /// The host refused something.
    Denied {
        /// Explanation.
        message: String,
    },
    /// A per-call limit was reached.
    LimitExceeded {
        /// Explanation.
        message: String,
    },
    /// Anything else.
    Internal {
        /// Explanation.
        message: String,
    },
}

impl std::fmt::Display for GuestFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GuestFailure::InvalidInput { message } => write!(f, "invalid input: {message}"),
            GuestFailure::UpstreamStatus {
                message,
                body_excerpt,
                ..
            } => {
                write!(f, "upstream error: {message}")?;
                if !body_excerpt.is_empty() {
                    write!(f, "\nresponse body: {body_excerpt}")?;
                }
                Ok(())
            }
            GuestFailure::Transport { message } => write!(f, "transport error: {message}"),
            GuestFailure::Denied { message } => write!(f, "denied: {message}"),
            GuestFailure::LimitExceeded { message } => write!(f, "limit exceeded: {message}"),
            GuestFailure::Internal { message } => write!(f, "internal error: {message}"),
        }
    }
}

impl From<bindings::GuestError> for GuestFailure {
    fn from(error: bindings::GuestError) -> Self {
        use bindings::GuestError as E;
        match error {
            E::InvalidInput(message) => GuestFailure::InvalidInput { message },
            E::UpstreamStatus(s) => GuestFailure::UpstreamStatus {
                status: s.status,
                body_excerpt: s.body_excerpt,
                message: s.message,
            },
            E::Transport(message) => GuestFailure::Transport { message },
            E::Denied(message) => GuestFailure::Denied { message },
            E::LimitExceeded(message) => GuestFailure::LimitExceeded { message },
            E::Internal(message) => GuestFailure::Internal { message },
        }
    }
}

/// Installs the process-wide TLS crypto provider (ring). Idempotent; [`Runtime::new`] calls it.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
