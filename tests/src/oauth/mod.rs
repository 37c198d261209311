//! Real OAuth 2.0 peers on `127.0.0.1` for the end-to-end tests of the host's OAuth support
//! (client credentials, authorization code with PKCE, refresh tokens):
//!
//! - [`OAuthMockServer`]: the npm package `oauth2-mock-server` 8.2.3 run as a child process (a
//!   standard authorization server issuing RS256 JWTs); installed on first use.
//! - [`JwtVerifier`]: checks the JWTs it issues against its JWKS (signature, `iss`, `exp`).
//! - [`TokenEndpoint`]: a configurable token endpoint (and `/authorize`) in-process, for the
//!   non-standard shapes vendors use (nested keys, GET, JSON bodies, date expiries, rotation,
//!   failures, delays), recording every request.
//!
//! Both validators plug into [`crate::api::AuthCheck::Bearer`] so a [`crate::api::TestApi`] can
//! require the tokens they issue.

mod jwt;
mod mock_server;
mod token_endpoint;

#[cfg(test)]
mod tests;

pub use jwt::JwtVerifier;
pub use mock_server::{MOCK_SERVER_ENV, MOCK_SERVER_VERSION, OAuthMockServer};
pub use token_endpoint::{
    AuthorizeRequest, ContentType, Expiry, TokenEndpoint, TokenEndpointConfig, TokenMethod,
    TokenRequest, TokenValidator,
};

use std::time::{SystemTime, UNIX_EPOCH};

/// `bytes` random bytes from the system's generator, as lowercase hex.
fn random_hex(bytes: usize) -> String {
    use ring::rand::SecureRandom as _;
    let mut buffer = vec![0u8; bytes];
    ring::rand::SystemRandom::new()
        .fill(&mut buffer)
        .expect("the system random generator failed");
    buffer.iter().map(|b| format!("{b:02x}")).collect()
}

/// Seconds since the Unix epoch.
fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// `secs` since the Unix epoch as an RFC 3339 UTC date, e.g. `2026-11-28T05:00:00Z`.
fn rfc3339(secs: u64) -> String {
    let days = i64::try_from(secs / 86_400).unwrap_or(i64::MAX / 2);
    let rest = secs % 86_400;
    // Howard Hinnant's `civil_from_days`.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3_600,
        rest % 3_600 / 60,
        rest % 60
    )
}
