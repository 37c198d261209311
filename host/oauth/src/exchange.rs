//! One token request and its response: the grant's parameters encoded as the integration
//! says (form or JSON, POST or GET, client credentials in the parameters or as Basic), and the
//! token, expiry and refresh token read from (possibly nested) keys of the answer.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use serde_json::Value;

use crate::config::Client;
use crate::{Error, Result};
use plugboard_manifest::{OAuth2, RequestFormat, RequestMethod};

/// Largest token response read (a token response is a few KiB).
const MAX_RESPONSE_BYTES: usize = 256 << 10;
/// Lifetime assumed when the response has no expiry (a rejected token is still refreshed at
/// once, so this only bounds how long an unannounced lifetime is trusted).
pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(3600);
/// An expiry number at least this large is read as a Unix time, not as seconds from now
/// (about 31 years).
const ABSOLUTE_EXPIRY_FROM: u64 = 1_000_000_000;

/// The grant-specific parameters of one token request.
#[derive(Debug, Clone, Copy)]
pub(crate) enum GrantRequest<'a> {
    /// `client_credentials`.
    ClientCredentials,
    /// `authorization_code` (with the PKCE verifier).
    AuthorizationCode {
        code: &'a str,
        redirect_uri: &'a str,
        verifier: &'a str,
    },
    /// `refresh_token`.
    Refresh {
        refresh_token: &'a str,
        redirect_uri: Option<&'a str>,
    },
}

impl<'a> GrantRequest<'a> {
    /// The secret values the grant sends (code, verifier, refresh token).
    fn secret(&self) -> Option<Vec<&'a str>> {
        match *self {
            GrantRequest::ClientCredentials => None,
            GrantRequest::AuthorizationCode { code, verifier, .. } => Some(vec![code, verifier]),
            GrantRequest::Refresh { refresh_token, .. } => Some(vec![refresh_token]),
        }
    }
}

/// The error with every sent secret replaced by `<redacted>`.
fn scrub(error: Error, sent: &[&str]) -> Error {
    let clean = |mut text: String| {
        for secret in sent {
            text = text.replace(secret, "<redacted>");
        }
        text
    };
    match error {
        Error::Provider {
            status,
            error,
            description,
        } => Error::Provider {
            status,
            error: clean(error),
            description: description.map(clean),
        },
        other => other,
    }
}

/// What a successful token response gave (`Debug` shows no token).
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Issued {
    pub(crate) access_token: String,
    pub(crate) obtained_at: u64,
    pub(crate) expires_at: u64,
    pub(crate) refresh_token: Option<String>,
}

impl std::fmt::Debug for Issued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issued")
            .field("obtained_at", &self.obtained_at)
            .field("expires_at", &self.expires_at)
            .field("refresh_token", &self.refresh_token.is_some())
            .finish_non_exhaustive()
    }
}

/// Unix seconds now.
pub(crate) fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Sends one token request and reads the answer.
pub(crate) async fn request_token(
    http: &plugboard_egress::EgressClient,
    config: &OAuth2,
    client: &Client,
    grant: GrantRequest<'_>,
    timeout: Duration,
) -> Result<Issued> {
    let mut params: Vec<(&str, &str)> = Vec::new();
    let mut send_client = true;
    match grant {
        GrantRequest::ClientCredentials => {
            params.push(("grant_type", "client_credentials"));
            if !config.scope.is_empty() {
                params.push(("scope", &config.scope));
            }
        }
        GrantRequest::AuthorizationCode {
            code,
            redirect_uri,
            verifier,
        } => {
            params.push(("grant_type", "authorization_code"));
            params.push(("code", code));
            params.push(("redirect_uri", redirect_uri));
            params.push(("code_verifier", verifier));
        }
        GrantRequest::Refresh {
            refresh_token,
            redirect_uri,
        } => {
            params.push(("grant_type", "refresh_token"));
            params.push(("refresh_token", refresh_token));
            if config.redirect_uri_on_refresh
                && let Some(redirect_uri) = redirect_uri
            {
                params.push(("redirect_uri", redirect_uri));
            }
            send_client = config.client_config_on_refresh;
        }
    }
    let mut basic = None;
    if send_client {
        if config.basic_auth_token_exchange {
            // RFC 6749 section 2.3.1: both parts form-encoded before Basic.
            let encode = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect();
            let id: String = encode(&client.id);
            let secret: String = encode(client.secret.as_deref().unwrap_or(""));
            basic =
                Some(base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}")));
        } else {
            params.push(("client_id", &client.id));
            if let Some(secret) = &client.secret {
                params.push(("client_secret", secret));
            }
        }
    }

    let url = url::Url::parse(&config.token_url)
        .map_err(|e| Error::Config(format!("token URL `{}`: {e}", config.token_url)))?;
    let denied = |e: plugboard_egress::Denied| Error::Denied(format!("token endpoint: {e}"));
    let mut request = match config.request_method {
        RequestMethod::Get => {
            let mut url = url.clone();
            url.query_pairs_mut().extend_pairs(params.iter());
            http.request(reqwest::Method::GET, url).map_err(denied)?
        }
        RequestMethod::Post => {
            let request = http
                .request(reqwest::Method::POST, url.clone())
                .map_err(denied)?;
            match config.request_format {
                RequestFormat::Form => request
                    .header(
                        reqwest::header::CONTENT_TYPE,
                        "application/x-www-form-urlencoded",
                    )
                    .body(
                        url::form_urlencoded::Serializer::new(String::new())
                            .extend_pairs(params.iter())
                            .finish(),
                    ),
                RequestFormat::Json => {
                    let body: serde_json::Map<String, Value> = params
                        .iter()
                        .map(|(k, v)| ((*k).to_string(), Value::String((*v).to_string())))
                        .collect();
                    request
                        .header(reqwest::header::CONTENT_TYPE, "application/json")
                        .body(Value::Object(body).to_string())
                }
            }
        }
    };
    request = request.timeout(timeout);
    if !config
        .token_request_headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("accept"))
    {
        request = request.header(reqwest::header::ACCEPT, "application/json");
    }
    for (name, value) in &config.token_request_headers {
        request = request.header(name.as_str(), value.as_str());
    }
    if let Some(basic) = basic {
        let mut value = reqwest::header::HeaderValue::from_str(&format!("Basic {basic}"))
            .map_err(|_| Error::Config("the client id or secret cannot be sent as Basic".into()))?;
        value.set_sensitive(true);
        request = request.header(reqwest::header::AUTHORIZATION, value);
    }

    let endpoint = endpoint_name(&url);
    let transport = |e: reqwest::Error| match plugboard_egress::denied_in(&e) {
        Some(refused) => Error::Denied(format!("token endpoint: {refused}")),
        None => Error::Transport {
            url: endpoint.clone(),
            detail: if e.is_timeout() {
                "timed out".into()
            } else if e.is_connect() {
                "could not connect".into()
            } else {
                "the request failed".into()
            },
        },
    };
    let mut response = request.send().await.map_err(transport)?;
    let status = response.status();
    let form_response = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(transport)? {
        if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(Error::BadResponse(format!(
                "the token response from {endpoint} is larger than {MAX_RESPONSE_BYTES} bytes"
            )));
        }
        body.extend_from_slice(&chunk);
    }
    let value = parse_body(&body, form_response);
    if !status.is_success() {
        // Providers that echo the request must not carry what was sent into messages.
        let sent: Vec<&str> = client
            .secret
            .as_deref()
            .into_iter()
            .chain(grant.secret().unwrap_or_default())
            .filter(|s| s.len() >= 4)
            .collect();
        return Err(scrub(
            provider_error(status.as_u16(), value.as_ref(), &body),
            &sent,
        ));
    }
    let value = value.ok_or_else(|| {
        Error::BadResponse(format!(
            "the token response from {endpoint} is neither JSON nor a form"
        ))
    })?;
    issued_from(config, &value, now())
}

/// `scheme://host[:port]/path` of the token endpoint, for messages (no query: GET requests
/// carry the client secret there).
fn endpoint_name(url: &url::Url) -> String {
    let mut name = url.clone();
    name.set_query(None);
    name.set_fragment(None);
    let _ = name.set_username("");
    let _ = name.set_password(None);
    name.to_string()
}

fn parse_body(body: &[u8], form: bool) -> Option<Value> {
    if !form && let Ok(value) = serde_json::from_slice::<Value>(body) {
        return Some(value);
    }
    let text = std::str::from_utf8(body).ok()?;
    if !text.contains('=') {
        return None;
    }
    let map: serde_json::Map<String, Value> = url::form_urlencoded::parse(text.as_bytes())
        .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
        .collect();
    Some(Value::Object(map))
}

/// The provider's `error` / `error_description` (RFC 6749 section 5.2), or a short excerpt.
fn provider_error(status: u16, value: Option<&Value>, body: &[u8]) -> Error {
    let text = |key: &str| {
        value
            .and_then(|v| v.get(key))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let error = text("error").unwrap_or_else(|| {
        let excerpt: String = String::from_utf8_lossy(body).chars().take(200).collect();
        if excerpt.trim().is_empty() {
            "no error given".into()
        } else {
            format!("body: {excerpt}")
        }
    });
    Error::Provider {
        status,
        error,
        description: text("error_description"),
    }
}

/// Reads the token, expiry and refresh token from a token response.
pub(crate) fn issued_from(config: &OAuth2, value: &Value, now: u64) -> Result<Issued> {
    let access_token = match lookup(value, &config.token_key) {
        Some(Value::String(token)) if !token.is_empty() => token.clone(),
        Some(_) => {
            return Err(Error::BadResponse(format!(
                "`{}` in the token response is not a non-empty string",
                config.token_key
            )));
        }
        None => {
            let keys = value
                .as_object()
                .map(|m| m.keys().cloned().collect::<Vec<_>>().join(", "))
                .unwrap_or_default();
            return Err(Error::BadResponse(format!(
                "the token response has no `{}` (its keys: {keys})",
                config.token_key
            )));
        }
    };
    let expires_at = match lookup(value, &config.expiration_key) {
        None | Some(Value::Null) => now + DEFAULT_LIFETIME.as_secs(),
        Some(expiry) => expiry_time(expiry, now).ok_or_else(|| {
            Error::BadResponse(format!(
                "`{}` in the token response is neither seconds nor a date (it is {})",
                config.expiration_key,
                plugboard_manifest::rules::json_kind(expiry)
            ))
        })?,
    };
    let refresh_token = match lookup(value, &config.refresh_token_key) {
        Some(Value::String(token)) if !token.is_empty() => Some(token.clone()),
        _ => None,
    };
    Ok(Issued {
        access_token,
        obtained_at: now,
        expires_at,
        refresh_token,
    })
}

/// A value at a dotted path (`data.auth.token`); an exact key with dots wins over nesting.
fn lookup<'v>(value: &'v Value, path: &str) -> Option<&'v Value> {
    if let Some(found) = value.get(path) {
        return Some(found);
    }
    path.split('.').try_fold(value, |v, key| v.get(key))
}

/// The expiry as Unix seconds: a number (or numeric string) of seconds from now, a Unix time
/// when it is that large, or a date (RFC 3339, RFC 2822 or HTTP date).
fn expiry_time(value: &Value, now: u64) -> Option<u64> {
    let seconds = match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    if let Some(seconds) = seconds {
        if !seconds.is_finite() || seconds < 0.0 {
            return None;
        }
        let seconds = seconds as u64;
        return Some(if seconds >= ABSOLUTE_EXPIRY_FROM {
            seconds
        } else {
            now + seconds
        });
    }
    let text = value.as_str()?.trim();
    let timestamp = text
        .parse::<jiff::Timestamp>()
        .ok()
        .or_else(|| jiff::fmt::rfc2822::parse(text).ok().map(|z| z.timestamp()))
        .or_else(|| {
            jiff::civil::DateTime::strptime("%a, %d %b %Y %H:%M:%S GMT", text)
                .ok()
                .and_then(|dt| dt.to_zoned(jiff::tz::TimeZone::UTC).ok())
                .map(|z| z.timestamp())
        })?;
    u64::try_from(timestamp.as_second()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config() -> OAuth2 {
        OAuth2::new(
            plugboard_manifest::Grant::ClientCredentials,
            "http://127.0.0.1/token",
        )
    }

    #[test]
    fn standard_response() {
        let issued = issued_from(
            &config(),
            &json!({"access_token": "a", "expires_in": 60, "refresh_token": "r"}),
            1000,
        )
        .unwrap();
        assert_eq!(issued.access_token, "a");
        assert_eq!(issued.expires_at, 1060);
        assert_eq!(issued.refresh_token.as_deref(), Some("r"));
    }

    #[test]
    fn nested_keys_and_dates() {
        let mut config = config();
        config.token_key = "data.auth.token".into();
        config.expiration_key = "data.auth.expires".into();
        config.refresh_token_key = "data.auth.refresh".into();
        let issued = issued_from(
            &config,
            &json!({"data": {"auth": {"token": "n", "expires": "2026-11-28T06:00:00Z"}}}),
            0,
        )
        .unwrap();
        assert_eq!(issued.access_token, "n");
        assert_eq!(issued.expires_at, 1_795_845_600);
        assert_eq!(issued.refresh_token, None);
        assert_eq!(
            expiry_time(&json!("Sat, 28 Nov 2026 06:00:00 GMT"), 0),
            Some(1_795_845_600)
        );
        assert_eq!(expiry_time(&json!("120"), 5), Some(125));
        assert_eq!(
            expiry_time(&json!(1_795_845_600u64), 5),
            Some(1_795_845_600)
        );
        assert_eq!(expiry_time(&json!("soon"), 5), None);
        let error = issued_from(
            &config,
            &json!({"data": {"auth": {"token": "n", "expires": {"t": "hidden"}}}}),
            0,
        )
        .unwrap_err()
        .to_string();
        assert!(error.contains("(it is an object)"), "{error}");
        assert!(!error.contains("hidden"), "{error}");
        assert_eq!(expiry_time(&json!(-1), 5), None);
    }

    #[test]
    fn missing_token_names_the_key_not_values() {
        let error = issued_from(&config(), &json!({"token": "secret-value"}), 0)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("`access_token`") && error.contains("token"),
            "{error}"
        );
        assert!(!error.contains("secret-value"), "{error}");
    }

    #[test]
    fn absent_expiry_uses_the_default_lifetime() {
        let issued = issued_from(&config(), &json!({"access_token": "a"}), 10).unwrap();
        assert_eq!(issued.expires_at, 10 + DEFAULT_LIFETIME.as_secs());
    }

    #[test]
    fn provider_errors_are_read() {
        let error = provider_error(
            400,
            Some(&json!({"error": "invalid_grant", "error_description": "revoked"})),
            b"",
        );
        assert_eq!(
            error.to_string(),
            "the token endpoint refused the request (HTTP 400): invalid_grant: revoked"
        );
        let echoed = scrub(
            provider_error(
                400,
                Some(
                    &json!({"error": "invalid_grant", "error_description": "unknown token rt-123456"}),
                ),
                b"",
            ),
            &["rt-123456"],
        );
        assert!(!echoed.to_string().contains("rt-123456"), "{echoed}");
        let form = parse_body(b"access_token=x&expires_in=5", true).unwrap();
        assert_eq!(form["access_token"], "x");
    }
}
