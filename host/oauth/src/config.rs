//! How an integration talks to its OAuth 2.0 provider, and the client credentials of one
//! installation.

use plugboard_definition::{RESERVED_AUTHORIZATION_PARAMS, RESERVED_TOKEN_HEADERS};
use serde::Serialize;

/// The grant used to obtain access tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Grant {
    /// Authorization code (with PKCE S256): a user consents once, then refresh tokens keep the
    /// installation authorized.
    AuthorizationCode,
    /// Client credentials: the client id and secret obtain tokens directly.
    ClientCredentials,
}

/// How token request parameters are encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestFormat {
    /// `application/x-www-form-urlencoded` (RFC 6749).
    Form,
    /// `application/json`.
    Json,
}

/// The token request's HTTP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum RequestMethod {
    /// POST with the parameters in the body (RFC 6749).
    Post,
    /// GET with the parameters in the query string (some vendors).
    Get,
}

/// When a cached access token is replaced before it is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RefreshStrategy {
    /// Refresh this long before the token expires (capped at half the token's lifetime, so
    /// that a short-lived token is not refreshed on every call).
    Automatic {
        /// Refresh buffer in seconds.
        buffer_seconds: u64,
    },
    /// Refresh once the token is this old (or expired, whichever comes first).
    Interval {
        /// Refresh interval in seconds.
        every_seconds: u64,
    },
}

/// An integration's OAuth 2.0 settings (from its manifest).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OAuth2Config {
    /// Grant type.
    pub grant: Grant,
    /// Word sent before the token in `Authorization` (`Bearer`).
    pub token_scheme: String,
    /// Where users consent (authorization code only).
    pub authorization_url: String,
    /// The token endpoint.
    pub token_url: String,
    /// Dotted path of the access token in the token response.
    pub token_key: String,
    /// Dotted path of the expiry (seconds, or a date) in the token response.
    pub expiration_key: String,
    /// Dotted path of the refresh token in the token response.
    pub refresh_token_key: String,
    /// Token request encoding.
    pub request_format: RequestFormat,
    /// Token request method.
    pub request_method: RequestMethod,
    /// Space-separated scopes; empty for none.
    pub scope: String,
    /// Send the client id and secret as HTTP Basic on token requests (instead of in the
    /// parameters).
    pub basic_auth_token_exchange: bool,
    /// Send the client id and secret with refresh requests too.
    pub client_config_on_refresh: bool,
    /// Send the redirect URI with refresh requests.
    pub redirect_uri_on_refresh: bool,
    /// Refresh strategy.
    pub refresh: RefreshStrategy,
    /// Extra query parameters of the consent URL.
    pub authorization_params: Vec<(String, String)>,
    /// Extra headers of token requests.
    pub token_request_headers: Vec<(String, String)>,
    /// Response statuses that mean "token rejected": refresh once and retry once.
    pub retry_statuses: Vec<u16>,
    /// A text in a response body that means "token rejected" (any status).
    pub expired_body_marker: Option<String>,
}

impl OAuth2Config {
    /// A client-credentials configuration with the usual defaults, for `token_url`.
    pub fn client_credentials(token_url: impl Into<String>) -> OAuth2Config {
        OAuth2Config {
            grant: Grant::ClientCredentials,
            token_scheme: "Bearer".into(),
            authorization_url: String::new(),
            token_url: token_url.into(),
            token_key: "access_token".into(),
            expiration_key: "expires_in".into(),
            refresh_token_key: "refresh_token".into(),
            request_format: RequestFormat::Form,
            request_method: RequestMethod::Post,
            scope: String::new(),
            basic_auth_token_exchange: false,
            client_config_on_refresh: true,
            redirect_uri_on_refresh: false,
            refresh: RefreshStrategy::Automatic {
                buffer_seconds: 300,
            },
            authorization_params: Vec::new(),
            token_request_headers: Vec::new(),
            retry_statuses: vec![401],
            expired_body_marker: None,
        }
    }

    /// Checks settings a component declared (a hand-written component is not validated as a
    /// definition is): URLs, the scheme word, intervals, statuses, headers and consent
    /// parameters that would break or weaken the flow.
    pub fn check(&self) -> std::result::Result<(), String> {
        check_url("token URL", &self.token_url)?;
        if self.grant == Grant::AuthorizationCode {
            check_url("authorization URL", &self.authorization_url)?;
        }
        if self.token_scheme.is_empty() || !self.token_scheme.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(format!(
                "the token scheme `{}` is not one word",
                self.token_scheme
            ));
        }
        match self.refresh {
            RefreshStrategy::Automatic { buffer_seconds } if buffer_seconds > 86_400 => {
                return Err(format!(
                    "a refresh buffer of {buffer_seconds} s is too long"
                ));
            }
            RefreshStrategy::Interval { every_seconds } if every_seconds < 60 => {
                return Err(format!(
                    "a refresh interval of {every_seconds} s is too short (at least 60 s)"
                ));
            }
            _ => {}
        }
        if let Some(status) = self
            .retry_statuses
            .iter()
            .find(|s| !(400..=599).contains(*s))
        {
            return Err(format!("refresh on status {status}: not an error status"));
        }
        for (name, value) in &self.token_request_headers {
            let header = reqwest::header::HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| format!("token request header `{name}` is not a header name"))?;
            if RESERVED_TOKEN_HEADERS.contains(&header.as_str()) {
                return Err(format!(
                    "token request header `{name}` is set by the host and cannot be replaced"
                ));
            }
            reqwest::header::HeaderValue::from_str(value)
                .map_err(|_| format!("token request header `{name}` has an invalid value"))?;
        }
        if let Some((name, _)) = self
            .authorization_params
            .iter()
            .find(|(name, _)| RESERVED_AUTHORIZATION_PARAMS.contains(&name.as_str()))
        {
            return Err(format!(
                "authorization parameter `{name}` is set by the host and cannot be replaced"
            ));
        }
        Ok(())
    }

    /// Whether a response with this status and body means the token was rejected: a retry
    /// status, or the body marker. A success that carries the marker counts only for an
    /// idempotent request (`idempotent`): a POST whose data merely contains the marker text
    /// must not run twice.
    pub fn rejects_token(&self, status: u16, body: &[u8], idempotent: bool) -> bool {
        if self.retry_statuses.contains(&status) {
            return true;
        }
        let success = (200..300).contains(&status);
        (idempotent || !success)
            && self
                .expired_body_marker
                .as_deref()
                .is_some_and(|marker| !marker.is_empty() && contains(body, marker.as_bytes()))
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(haystack, needle).is_some()
}

/// An OAuth endpoint URL by the definition's rule (https; plain http only for loopback hosts,
/// as a client secret must not cross a network unencrypted).
fn check_url(what: &str, text: &str) -> std::result::Result<(), String> {
    match plugboard_definition::oauth_url_problem(text) {
        Some(problem) => Err(format!("the {what} `{text}` {problem}")),
        None => Ok(()),
    }
}

/// The OAuth client of one installation. The secret never appears in `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct Client {
    /// Client id.
    pub id: String,
    /// Client secret; `None` for a public client (PKCE only).
    pub secret: Option<String>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("id", &self.id)
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejection_by_status_or_marker() {
        let mut config = OAuth2Config::client_credentials("http://t/token");
        assert!(config.rejects_token(401, b"", false));
        assert!(!config.rejects_token(403, b"", true));
        config.expired_body_marker = Some("token_expired".into());
        assert!(config.rejects_token(200, br#"{"error":"token_expired"}"#, true));
        assert!(!config.rejects_token(200, br#"{"items":[]}"#, true));
        // A POST that succeeded is not sent again because its data contains the marker.
        assert!(!config.rejects_token(201, br#"{"note":"token_expired"}"#, false));
        assert!(config.rejects_token(400, br#"{"error":"token_expired"}"#, false));
    }

    #[test]
    fn declared_settings_are_checked() {
        let mut config = OAuth2Config::client_credentials("https://auth.example.com/token");
        assert_eq!(config.check(), Ok(()));
        config.token_url = "http://auth.example.com/token".into();
        assert!(config.check().unwrap_err().contains("must use https"));
        config.token_url = "http://127.0.0.1:8080/token".into();
        assert_eq!(config.check(), Ok(()));
        config.token_request_headers = vec![("Authorization".into(), "x".into())];
        assert!(config.check().unwrap_err().contains("set by the host"));
        config.token_request_headers = vec![("X-Tenant".into(), "a\u{7}b".into())];
        assert!(config.check().unwrap_err().contains("invalid value"));
        config.token_request_headers.clear();
        config.authorization_params = vec![("code_challenge_method".into(), "plain".into())];
        assert!(
            config
                .check()
                .unwrap_err()
                .contains("code_challenge_method")
        );
        config.authorization_params.clear();
        config.refresh = RefreshStrategy::Interval { every_seconds: 0 };
        assert!(config.check().unwrap_err().contains("too short"));
        config.refresh = RefreshStrategy::Automatic { buffer_seconds: 30 };
        config.token_scheme = String::new();
        assert!(config.check().is_err());
    }

    #[test]
    fn secret_is_redacted() {
        let client = Client {
            id: "c".into(),
            secret: Some("s3cret".into()),
        };
        assert!(!format!("{client:?}").contains("s3cret"));
    }
}
