//! OAuth 2.0 for Plugboard hosts.
//!
//! - An integration's OAuth settings are its manifest's [`plugboard_manifest::OAuth2`];
//!   [`rejects_token`] says what counts as a rejected token.
//! - [`TokenManager`]: access tokens per credential key, cached in memory and in a
//!   [`TokenStore`]; refreshed before they expire and after an API rejects one; one token
//!   request in flight per credential; a rotated refresh token saved with its access token in
//!   one write (a response without one keeps the old); a failed request recorded with the
//!   provider's error and a cooldown before the next try.
//! - [`authorize`]: the consent URL (state + PKCE S256) and the callback check of the
//!   authorization code grant.
//! - [`FileStore`] (encrypted, AES-256-GCM) and [`MemoryStore`].
//!
//! Tokens and secrets never appear in `Debug` output or errors.

pub mod authorize;
mod config;
mod exchange;
mod manager;
mod store;

pub use config::{Client, rejects_token};
pub use exchange::DEFAULT_LIFETIME;
pub use manager::{
    CredentialStatus, DEFAULT_COOLDOWN, TOKEN_REQUEST_TIMEOUT, TokenManager, credential_key,
};
pub use store::{
    Failure, FileStore, KEY_LEN, MemoryStore, TokenRecord, TokenStore, load_or_create_key,
    parse_key,
};

/// Errors of OAuth token handling.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The integration's OAuth settings cannot be used.
    #[error("invalid OAuth configuration: {0}")]
    Config(String),
    /// The token endpoint answered with an error (RFC 6749 section 5.2).
    #[error("the token endpoint refused the request (HTTP {status}): {error}{}", description.as_ref().map(|d| format!(": {d}")).unwrap_or_default())]
    Provider {
        /// HTTP status.
        status: u16,
        /// The provider's `error` code (or a body excerpt).
        error: String,
        /// The provider's `error_description`.
        description: Option<String>,
    },
    /// The token endpoint's answer cannot be used.
    #[error("{0}")]
    BadResponse(String),
    /// The egress policy refuses the token endpoint's address.
    #[error("{0}")]
    Denied(String),
    /// The token endpoint could not be reached.
    #[error("token endpoint {url}: {detail}")]
    Transport {
        /// The endpoint (without query).
        url: String,
        /// What happened.
        detail: String,
    },
    /// The credential must be authorized (again) by a user.
    #[error("{0}")]
    NeedsAuthorization(String),
    /// A recent token request failed; the next try waits for the cooldown.
    #[error("the last token request failed ({message}); next try in {retry_in} s")]
    CoolingDown {
        /// The failure.
        message: String,
        /// Seconds until the next try.
        retry_in: u64,
    },
    /// The consent step failed.
    #[error("authorization failed: {0}")]
    Authorization(String),
    /// Reading or writing token state failed.
    #[error("token store: {0}")]
    Store(String),
}

/// Result with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
