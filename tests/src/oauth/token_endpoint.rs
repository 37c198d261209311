//! [`TokenEndpoint`]: a configurable OAuth 2.0 token endpoint (and `/authorize`) in-process.

mod handler;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Router;

use crate::api::{BearerValidator, ServerThread, TokenStatus};

/// The HTTP method the token endpoint accepts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TokenMethod {
    /// `POST` with the parameters in the body (the standard).
    #[default]
    Post,
    /// `GET` with the parameters in the query string.
    Get,
}

/// The body format a `POST` token request must use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ContentType {
    /// `application/x-www-form-urlencoded` (the standard).
    #[default]
    Form,
    /// `application/json` with an object of parameters.
    Json,
}

/// How a token response states when the access token expires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// A number of seconds, e.g. `"expires_in": 3600` (advertised only; the real validity is
    /// [`TokenEndpointConfig::lifetime`]).
    Seconds(u64),
    /// A number of seconds written as a string, e.g. `"expires_in": "3600"`.
    SecondsString(u64),
    /// An RFC 3339 UTC date, now + [`TokenEndpointConfig::lifetime`], e.g.
    /// `"2026-11-28T05:00:00Z"`.
    Date,
    /// No expiry field at all.
    Absent,
}

impl Default for Expiry {
    fn default() -> Self {
        Expiry::Seconds(3600)
    }
}

/// The behaviour of a [`TokenEndpoint`]; start from `TokenEndpointConfig::default()` and set
/// the fields that matter.
#[derive(Debug, Clone)]
pub struct TokenEndpointConfig {
    /// The client id expected (default `client-1`).
    pub client_id: String,
    /// The client secret expected (default `secret-1`); `None` for a public client that
    /// authenticates with its `client_id` alone (PKCE).
    pub client_secret: Option<String>,
    /// Require `Authorization: Basic base64(id:secret)`; a `client_secret` in the parameters
    /// is then refused with 401 `invalid_client` (default false: either way is accepted).
    pub require_basic_auth: bool,
    /// The method accepted (default POST); the other gets 405.
    pub method: TokenMethod,
    /// The body format a POST must use (default form); another gets 415.
    pub content_type: ContentType,
    /// Dotted path of the access token in the response (default `access_token`; e.g.
    /// `data.auth.token` gives `{"data": {"auth": {"token": ...}}}`).
    pub token_key: String,
    /// Dotted path of the expiry (default `expires_in`).
    pub expiry_key: String,
    /// Dotted path of the refresh token (default `refresh_token`).
    pub refresh_key: String,
    /// The top-level `token_type` value, if any (default `Bearer`).
    pub token_type: Option<String>,
    /// How the expiry is written (default 3600 seconds).
    pub expiry: Expiry,
    /// How long access tokens really are valid (default 3600 s); see also
    /// [`TokenEndpoint::expire_all`].
    pub lifetime: Duration,
    /// Issue refresh tokens with `authorization_code` grants (default true; never with
    /// `client_credentials`).
    pub issue_refresh_token: bool,
    /// Each `refresh_token` grant returns a new refresh token and invalidates the old one
    /// (default false; reuse gets 400 `invalid_grant` "refresh token already used").
    pub rotate_refresh_tokens: bool,
    /// Without rotation, repeat the same refresh token in refresh responses (default false:
    /// such responses carry no refresh token).
    pub echo_refresh_token: bool,
    /// Wait this long before answering each token request (default 0), so concurrent callers
    /// pile up.
    pub delay: Duration,
    /// Accept `refresh_token` grants that carry no client authentication at all (default
    /// false); client credentials that are sent are still checked.
    pub refresh_without_client_auth: bool,
}

impl Default for TokenEndpointConfig {
    fn default() -> Self {
        TokenEndpointConfig {
            client_id: "client-1".to_owned(),
            client_secret: Some("secret-1".to_owned()),
            require_basic_auth: false,
            method: TokenMethod::Post,
            content_type: ContentType::Form,
            token_key: "access_token".to_owned(),
            expiry_key: "expires_in".to_owned(),
            refresh_key: "refresh_token".to_owned(),
            token_type: Some("Bearer".to_owned()),
            expiry: Expiry::default(),
            lifetime: Duration::from_secs(3600),
            issue_refresh_token: true,
            rotate_refresh_tokens: false,
            echo_refresh_token: false,
            delay: Duration::ZERO,
            refresh_without_client_auth: false,
        }
    }
}

/// One request to `/token` as the endpoint received it, with the status it answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    /// `POST` or `GET` (or whatever was sent).
    pub method: String,
    /// The raw query string, if any.
    pub query: Option<String>,
    /// The `content-type` header, if any.
    pub content_type: Option<String>,
    /// The `grant_type` parameter, if any.
    pub grant_type: Option<String>,
    /// Whether the client authenticated with `Authorization: Basic`.
    pub used_basic_auth: bool,
    /// The client id of the Basic credentials, if any.
    pub basic_client_id: Option<String>,
    /// The parameters: from the query for GET, else from the body (form or JSON object, as the
    /// request's `content-type` says; JSON numbers and booleans as text).
    pub params: BTreeMap<String, String>,
    /// Whether a `redirect_uri` parameter was sent.
    pub has_redirect_uri: bool,
    /// The headers, names lowercased, repeated ones joined with `, `.
    pub headers: BTreeMap<String, String>,
    /// The body, decoded lossily as UTF-8.
    pub body: String,
    /// The status the endpoint answered.
    pub status: u16,
}

impl TokenRequest {
    /// The parameter `name`, if sent.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }
}

/// One request to `/authorize`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizeRequest {
    /// The raw query string, if any.
    pub query: Option<String>,
    /// The decoded query parameters.
    pub params: BTreeMap<String, String>,
}

impl AuthorizeRequest {
    /// The parameter `name`, if sent.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }
}

#[derive(Debug)]
struct AccessToken {
    expires_at: Instant,
    expired: bool,
    revoked: bool,
}

#[derive(Debug)]
struct RefreshToken {
    scope: Option<String>,
    used: bool,
    revoked: bool,
}

#[derive(Debug)]
struct PendingCode {
    redirect_uri: String,
    /// (method, challenge).
    challenge: Option<(String, String)>,
    scope: Option<String>,
    used: bool,
}

#[derive(Debug, Default)]
struct Inner {
    access: HashMap<String, AccessToken>,
    access_order: Vec<String>,
    refresh: HashMap<String, RefreshToken>,
    refresh_order: Vec<String>,
    codes: HashMap<String, PendingCode>,
    requests: Vec<TokenRequest>,
    authorizations: Vec<AuthorizeRequest>,
}

struct Shared {
    config: TokenEndpointConfig,
    base_url: String,
    failing: AtomicBool,
    unavailable: AtomicBool,
    inner: Mutex<Inner>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().expect("token endpoint state poisoned")
    }

    fn status(&self, token: &str) -> TokenStatus {
        match self.lock().access.get(token) {
            None => TokenStatus::Invalid,
            Some(t) if t.revoked => TokenStatus::Invalid,
            Some(t) if t.expired || Instant::now() >= t.expires_at => TokenStatus::Expired,
            Some(_) => TokenStatus::Valid,
        }
    }
}

/// Judges access tokens by the [`TokenEndpoint`] that issued them (valid: issued, not expired
/// by `lifetime` or [`TokenEndpoint::expire_all`], not revoked). Cheap to clone; works after
/// the endpoint is dropped. Use it with `AuthCheck::bearer(endpoint.validator())`.
#[derive(Clone)]
pub struct TokenValidator(Arc<Shared>);

impl std::fmt::Debug for TokenValidator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("TokenValidator")
            .field(&self.0.base_url)
            .finish()
    }
}

impl BearerValidator for TokenValidator {
    fn status(&self, token: &str) -> TokenStatus {
        self.0.status(token)
    }
}

/// A running OAuth 2.0 token endpoint on `127.0.0.1` with an ephemeral port, configured by a
/// [`TokenEndpointConfig`]. Dropping it stops the server.
///
/// - `/token`: grants `client_credentials`, `refresh_token` and `authorization_code` (with
///   `code`, `redirect_uri` and, when `/authorize` got a `code_challenge`, a `code_verifier`
///   checked with S256 or plain). Tokens are opaque (`at_` / `rt_` + 32 hex digits). Errors are
///   RFC 6749 JSON: `{"error": ..., "error_description": ...}` (400 `invalid_request`,
///   `invalid_grant`, `unsupported_grant_type`; 401 `invalid_client`; 405; 415).
/// - `/authorize`: auto-approves: 302 to `redirect_uri?code=..&state=..` (or `?error=..` for a
///   `response_type` other than `code` or an unknown `code_challenge_method`); 400 without a
///   `redirect_uri` or with a `client_id` other than the configured one.
///
/// Every request is recorded ([`TokenEndpoint::requests`], [`TokenEndpoint::authorize_requests`]).
pub struct TokenEndpoint {
    shared: Arc<Shared>,
    server: ServerThread,
}

impl std::fmt::Debug for TokenEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenEndpoint")
            .field("base_url", &self.shared.base_url)
            .field("config", &self.shared.config)
            .finish_non_exhaustive()
    }
}

impl TokenEndpoint {
    /// Starts the endpoint on `127.0.0.1` with an ephemeral port, on a thread with its own
    /// runtime (like [`crate::api::TestApi`]); usable from async and plain tests alike. It is
    /// listening when this returns.
    ///
    /// # Panics
    ///
    /// When no loopback port can be bound.
    pub fn start(config: TokenEndpointConfig) -> TokenEndpoint {
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0))
            .expect("bind the token endpoint on 127.0.0.1");
        let addr = listener.local_addr().expect("the token endpoint's address");
        let shared = Arc::new(Shared {
            config,
            base_url: format!("http://{addr}"),
            failing: AtomicBool::new(false),
            unavailable: AtomicBool::new(false),
            inner: Mutex::new(Inner::default()),
        });
        let app = Router::new()
            .fallback(handler::handle)
            .with_state(Arc::clone(&shared));
        let server = ServerThread::spawn(listener, app, "token-endpoint")
            .expect("start the token endpoint's server thread");
        TokenEndpoint { shared, server }
    }

    /// The socket address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// `http://127.0.0.1:PORT/token`.
    pub fn token_url(&self) -> String {
        format!("{}/token", self.shared.base_url)
    }

    /// `http://127.0.0.1:PORT/authorize`.
    pub fn authorize_url(&self) -> String {
        format!("{}/authorize", self.shared.base_url)
    }

    /// Its configuration.
    pub fn config(&self) -> &TokenEndpointConfig {
        &self.shared.config
    }

    /// A validator of the access tokens it issues, for `AuthCheck::bearer`.
    pub fn validator(&self) -> TokenValidator {
        TokenValidator(Arc::clone(&self.shared))
    }

    /// Whether `token` is an access token it issued that is neither expired nor revoked.
    pub fn is_valid(&self, token: &str) -> bool {
        self.shared.status(token) == TokenStatus::Valid
    }

    /// The status of `token` (valid, known but expired, or invalid).
    pub fn status(&self, token: &str) -> TokenStatus {
        self.shared.status(token)
    }

    /// Makes every access token issued so far expired (later ones are valid again).
    pub fn expire_all(&self) {
        for token in self.shared.lock().access.values_mut() {
            token.expired = true;
        }
    }

    /// Revokes an access or refresh token: invalid from now on.
    pub fn revoke(&self, token: &str) {
        let mut inner = self.shared.lock();
        if let Some(access) = inner.access.get_mut(token) {
            access.revoked = true;
        }
        if let Some(refresh) = inner.refresh.get_mut(token) {
            refresh.revoked = true;
        }
    }

    /// While `failing`, every `refresh_token` grant gets 400
    /// `{"error": "invalid_grant", "error_description": "the refresh token was revoked"}`.
    pub fn set_failing(&self, failing: bool) {
        self.shared.failing.store(failing, Ordering::SeqCst);
    }

    /// While `unavailable`, every token request gets 503 `temporarily_unavailable` (an outage,
    /// not a verdict on the credential).
    pub fn set_unavailable(&self, unavailable: bool) {
        self.shared.unavailable.store(unavailable, Ordering::SeqCst);
    }

    /// Every `/token` request so far, oldest first (rejected ones included).
    pub fn requests(&self) -> Vec<TokenRequest> {
        self.shared.lock().requests.clone()
    }

    /// Number of `/token` requests so far with `grant_type` `grant` (rejected ones included).
    pub fn count(&self, grant: &str) -> usize {
        self.shared
            .lock()
            .requests
            .iter()
            .filter(|r| r.grant_type.as_deref() == Some(grant))
            .count()
    }

    /// Every `/authorize` request so far, oldest first.
    pub fn authorize_requests(&self) -> Vec<AuthorizeRequest> {
        self.shared.lock().authorizations.clone()
    }

    /// Every access token issued so far, oldest first.
    pub fn access_tokens(&self) -> Vec<String> {
        self.shared.lock().access_order.clone()
    }

    /// Every refresh token issued so far, oldest first.
    pub fn refresh_tokens(&self) -> Vec<String> {
        self.shared.lock().refresh_order.clone()
    }
}
