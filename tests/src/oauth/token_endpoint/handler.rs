//! The requests of a [`super::TokenEndpoint`]: `/token` and `/authorize`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Map, Value, json};

use super::{
    AccessToken, AuthorizeRequest, ContentType, Expiry, Inner, PendingCode, RefreshToken, Shared,
    TokenEndpointConfig, TokenMethod, TokenRequest,
};
use crate::oauth::{random_hex, rfc3339, unix_now};

/// Largest request body read.
const MAX_BODY: usize = 1024 * 1024;

pub(super) async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, MAX_BODY)
        .await
        .map(|b| b.to_vec())
        .unwrap_or_default();
    match parts.uri.path() {
        "/token" => {
            let response = token(&shared, &parts, &body);
            if !shared.config.delay.is_zero() {
                tokio::time::sleep(shared.config.delay).await;
            }
            response
        }
        "/authorize" => authorize(&shared, &parts),
        path => oauth_error(
            StatusCode::NOT_FOUND,
            "not_found",
            &format!("no route for {path}"),
        ),
    }
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        axum::Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

/// The media type of a `content-type` value, lowercased, without parameters.
fn essence(content_type: Option<&str>) -> Option<String> {
    content_type.map(|c| {
        c.split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
    })
}

fn form_params(raw: &[u8]) -> BTreeMap<String, String> {
    url::form_urlencoded::parse(raw).into_owned().collect()
}

/// The parameters of a JSON object body; `None` when the body is not one.
fn json_params(raw: &[u8]) -> Option<BTreeMap<String, String>> {
    let Ok(Value::Object(object)) = serde_json::from_slice::<Value>(raw) else {
        return None;
    };
    Some(
        object
            .into_iter()
            .filter_map(|(name, value)| match value {
                Value::Null => None,
                Value::String(text) => Some((name, text)),
                other => Some((name, other.to_string())),
            })
            .collect(),
    )
}

/// `(id, secret)` of an `Authorization: Basic` header.
fn basic_client(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

/// Whether `given` is `expected`, raw or form-urlencoded (RFC 6749 2.3.1 encodes Basic
/// credentials; most clients do not).
fn credential_matches(given: &str, expected: &str) -> bool {
    given == expected
        || url::form_urlencoded::parse(format!("v={given}").as_bytes())
            .any(|(_, decoded)| decoded == expected)
}

fn token(shared: &Shared, parts: &Parts, body: &[u8]) -> Response {
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let media = essence(content_type.as_deref());
    let query = parts.uri.query().map(str::to_owned);
    let mut malformed = false;
    let params = if parts.method == Method::GET {
        form_params(query.as_deref().unwrap_or_default().as_bytes())
    } else {
        match media.as_deref() {
            Some("application/json") => json_params(body).unwrap_or_else(|| {
                malformed = true;
                BTreeMap::new()
            }),
            Some("application/x-www-form-urlencoded") => form_params(body),
            _ => BTreeMap::new(),
        }
    };
    let basic = basic_client(&parts.headers);
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in &parts.headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        headers
            .entry(name.as_str().to_owned())
            .and_modify(|existing| {
                existing.push_str(", ");
                existing.push_str(&value);
            })
            .or_insert(value);
    }

    let response = answer(
        shared,
        &parts.method,
        media.as_deref(),
        malformed,
        &params,
        basic.as_ref(),
    );
    shared.lock().requests.push(TokenRequest {
        method: parts.method.as_str().to_owned(),
        query,
        content_type,
        grant_type: params.get("grant_type").cloned(),
        used_basic_auth: basic.is_some(),
        basic_client_id: basic.map(|(id, _)| id),
        has_redirect_uri: params.contains_key("redirect_uri"),
        params,
        headers,
        body: String::from_utf8_lossy(body).into_owned(),
        status: response.status().as_u16(),
    });
    response
}

/// The answer to a token request: checks method, content type, client, then the grant.
fn answer(
    shared: &Shared,
    method: &Method,
    media: Option<&str>,
    malformed: bool,
    params: &BTreeMap<String, String>,
    basic: Option<&(String, String)>,
) -> Response {
    let config = &shared.config;
    let allowed = match config.method {
        TokenMethod::Post => Method::POST,
        TokenMethod::Get => Method::GET,
    };
    if *method != allowed {
        let mut response = oauth_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "invalid_request",
            &format!("the token endpoint accepts {allowed} only"),
        );
        let allow = match config.method {
            TokenMethod::Post => "POST",
            TokenMethod::Get => "GET",
        };
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static(allow));
        return response;
    }
    if allowed == Method::POST {
        let expected = match config.content_type {
            ContentType::Form => "application/x-www-form-urlencoded",
            ContentType::Json => "application/json",
        };
        if media != Some(expected) {
            return oauth_error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "invalid_request",
                &format!("the body must be {expected}, got {media:?}"),
            );
        }
        if malformed {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "the body is not a JSON object",
            );
        }
    }
    if shared.unavailable.load(Ordering::SeqCst) {
        return oauth_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
            "the token service is down for maintenance",
        );
    }
    let anonymous_refresh = config.refresh_without_client_auth
        && params.get("grant_type").map(String::as_str) == Some("refresh_token")
        && basic.is_none()
        && !params.contains_key("client_id")
        && !params.contains_key("client_secret");
    if !anonymous_refresh && let Err(reason) = authenticate_client(config, params, basic) {
        return invalid_client(reason);
    }
    let mut inner = shared.lock();
    match params.get("grant_type").map(String::as_str) {
        None => oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "grant_type is missing",
        ),
        Some("client_credentials") => {
            let scope = params.get("scope").cloned();
            issue(&mut inner, config, scope, None)
        }
        Some("refresh_token") => {
            if shared.failing.load(Ordering::SeqCst) {
                return invalid_grant("the refresh token was revoked");
            }
            refresh_grant(&mut inner, config, params)
        }
        Some("authorization_code") => code_grant(&mut inner, config, params),
        Some(other) => oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            &format!("grant_type {other:?} is not supported"),
        ),
    }
}

fn invalid_grant(description: &str) -> Response {
    oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", description)
}

fn invalid_client(description: &str) -> Response {
    let mut response = oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", description);
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"token-endpoint\""),
    );
    response
}

/// Checks the client's credentials (Basic or parameters); the reason when they are refused.
fn authenticate_client(
    config: &TokenEndpointConfig,
    params: &BTreeMap<String, String>,
    basic: Option<&(String, String)>,
) -> Result<(), &'static str> {
    let body_id = params.get("client_id");
    let body_secret = params.get("client_secret");
    if config.require_basic_auth && body_secret.is_some() {
        return Err("client_secret in the parameters is not accepted: use HTTP Basic");
    }
    let expected_secret = config.client_secret.as_deref();
    match basic {
        Some((id, secret)) => {
            let secret_ok = match expected_secret {
                Some(expected) => credential_matches(secret, expected),
                None => secret.is_empty(),
            };
            if !credential_matches(id, &config.client_id) || !secret_ok {
                return Err("wrong client credentials (Basic)");
            }
            if body_id.is_some_and(|id| *id != config.client_id) {
                return Err("client_id differs from the Basic client");
            }
            Ok(())
        }
        None if config.require_basic_auth => Err("HTTP Basic client auth required"),
        None => {
            if body_id != Some(&config.client_id) {
                return Err("missing or wrong client_id");
            }
            if body_secret.map(String::as_str) != expected_secret {
                return Err("missing or wrong client_secret");
            }
            Ok(())
        }
    }
}

fn refresh_grant(
    inner: &mut Inner,
    config: &TokenEndpointConfig,
    params: &BTreeMap<String, String>,
) -> Response {
    let Some(presented) = params.get("refresh_token") else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "refresh_token is missing",
        );
    };
    let Some(state) = inner.refresh.get_mut(presented) else {
        return invalid_grant("unknown refresh token");
    };
    if state.revoked {
        return invalid_grant("the refresh token was revoked");
    }
    if state.used {
        return invalid_grant("refresh token already used");
    }
    let scope = params.get("scope").cloned().or_else(|| state.scope.clone());
    let refresh = if config.rotate_refresh_tokens {
        state.used = true;
        Some(new_refresh_token(inner, scope.clone()))
    } else if config.echo_refresh_token {
        Some(presented.clone())
    } else {
        None
    };
    issue(inner, config, scope, refresh)
}

fn code_grant(
    inner: &mut Inner,
    config: &TokenEndpointConfig,
    params: &BTreeMap<String, String>,
) -> Response {
    let Some(code) = params.get("code") else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "code is missing",
        );
    };
    let Some(pending) = inner.codes.get_mut(code) else {
        return invalid_grant("unknown authorization code");
    };
    if pending.used {
        return invalid_grant("authorization code already used");
    }
    pending.used = true;
    if params.get("redirect_uri") != Some(&pending.redirect_uri) {
        return invalid_grant("redirect_uri does not match the authorization request");
    }
    let verifier = params.get("code_verifier");
    match (&pending.challenge, verifier) {
        (None, None) => {}
        (None, Some(_)) => {
            return invalid_grant("code_verifier sent but no code_challenge was registered");
        }
        (Some(_), None) => return invalid_grant("code_verifier is missing"),
        (Some((method, challenge)), Some(verifier)) => {
            let well_formed = (43..=128).contains(&verifier.len())
                && verifier
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
            if !well_formed {
                return invalid_grant("code_verifier does not conform to RFC 7636");
            }
            let computed = if method == "S256" {
                URL_SAFE_NO_PAD.encode(ring::digest::digest(
                    &ring::digest::SHA256,
                    verifier.as_bytes(),
                ))
            } else {
                verifier.clone()
            };
            if computed != *challenge {
                return invalid_grant("code_verifier does not match the code_challenge");
            }
        }
    }
    let scope = params
        .get("scope")
        .cloned()
        .or_else(|| pending.scope.clone());
    let refresh = config
        .issue_refresh_token
        .then(|| new_refresh_token(inner, scope.clone()));
    issue(inner, config, scope, refresh)
}

fn new_refresh_token(inner: &mut Inner, scope: Option<String>) -> String {
    let token = format!("rt_{}", random_hex(16));
    inner.refresh.insert(
        token.clone(),
        RefreshToken {
            scope,
            used: false,
            revoked: false,
        },
    );
    inner.refresh_order.push(token.clone());
    token
}

/// Issues an access token and answers with it (and `refresh`, if any).
fn issue(
    inner: &mut Inner,
    config: &TokenEndpointConfig,
    scope: Option<String>,
    refresh: Option<String>,
) -> Response {
    let access = format!("at_{}", random_hex(16));
    inner.access.insert(
        access.clone(),
        AccessToken {
            expires_at: Instant::now() + config.lifetime,
            expired: false,
            revoked: false,
        },
    );
    inner.access_order.push(access.clone());

    let mut body = Value::Object(Map::new());
    if let Some(token_type) = &config.token_type {
        body["token_type"] = Value::String(token_type.clone());
    }
    if let Some(scope) = scope {
        body["scope"] = Value::String(scope);
    }
    set_path(&mut body, &config.token_key, Value::String(access));
    let expiry = match config.expiry {
        Expiry::Seconds(secs) => Some(json!(secs)),
        Expiry::SecondsString(secs) => Some(json!(secs.to_string())),
        Expiry::Date => Some(json!(rfc3339(unix_now() + config.lifetime.as_secs()))),
        Expiry::Absent => None,
    };
    if let Some(expiry) = expiry {
        set_path(&mut body, &config.expiry_key, expiry);
    }
    if let Some(refresh) = refresh {
        set_path(&mut body, &config.refresh_key, Value::String(refresh));
    }
    (
        StatusCode::OK,
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(body),
    )
        .into_response()
}

/// Sets `value` at the dotted `path` of `target`, creating (or replacing non-object) parents.
fn set_path(target: &mut Value, path: &str, value: Value) {
    let mut node = target;
    let mut segments = path.split('.').peekable();
    while let Some(segment) = segments.next() {
        if !node.is_object() {
            *node = Value::Object(Map::new());
        }
        let Value::Object(object) = node else {
            unreachable!("just made an object")
        };
        if segments.peek().is_none() {
            object.insert(segment.to_owned(), value);
            return;
        }
        node = object
            .entry(segment.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
    }
}

/// `/authorize`: auto-approves and redirects with a code.
fn authorize(shared: &Shared, parts: &Parts) -> Response {
    let query = parts.uri.query().map(str::to_owned);
    let params = form_params(query.as_deref().unwrap_or_default().as_bytes());
    let mut inner = shared.lock();
    inner.authorizations.push(AuthorizeRequest {
        query,
        params: params.clone(),
    });
    let Some(redirect_uri) = params.get("redirect_uri") else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "redirect_uri is missing",
        );
    };
    let Ok(mut target) = url::Url::parse(redirect_uri) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "redirect_uri is not an absolute URL",
        );
    };
    if params.get("client_id") != Some(&shared.config.client_id) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_client",
            "missing or unknown client_id",
        );
    }
    let challenge = params.get("code_challenge").map(|challenge| {
        let method = params
            .get("code_challenge_method")
            .cloned()
            .unwrap_or_else(|| "plain".to_owned());
        (method, challenge.clone())
    });
    let refused = if params.get("response_type").map(String::as_str) != Some("code") {
        Some("unsupported_response_type")
    } else if challenge
        .as_ref()
        .is_some_and(|(method, _)| method != "S256" && method != "plain")
    {
        Some("invalid_request")
    } else {
        None
    };
    {
        let mut pairs = target.query_pairs_mut();
        match refused {
            Some(error) => {
                pairs.append_pair("error", error);
            }
            None => {
                let code = format!("code_{}", random_hex(16));
                inner.codes.insert(
                    code.clone(),
                    PendingCode {
                        redirect_uri: redirect_uri.clone(),
                        challenge,
                        scope: params.get("scope").cloned(),
                        used: false,
                    },
                );
                pairs.append_pair("code", &code);
            }
        }
        if let Some(state) = params.get("state") {
            pairs.append_pair("state", state);
        }
    }
    let location =
        HeaderValue::from_str(target.as_str()).unwrap_or_else(|_| HeaderValue::from_static("/"));
    (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
}
