//! A real HTTP server on loopback that serves one data set ([`all_items`]) in every pagination
//! style Plugboard understands, plus a few utility routes (echo, status, text, empty, big, slow).
//!
//! The server runs on its own thread with its own tokio runtime, so it keeps answering while the
//! test's thread blocks in other code, and it works the same from `#[tokio::test]` and from plain
//! `#[test]` functions. Every request is recorded (rejected ones included) for [`TestApi::hits`]
//! and [`TestApi::last_request`]. Dropping the [`TestApi`] stops the server.
//!
//! Routes (page size defaults to 10 and is clamped to `1..=100`; page numbers start at 1):
//!
//! | route | response |
//! | --- | --- |
//! | `GET /index/items?offset=N&limit=M` | `{"data": {"items": [...]}}` |
//! | `GET /page/items?page=P&per_page=M` | `{"items": [...]}` |
//! | `GET /link-header/items?page=P&per_page=M` | bare array; `Link: <abs first>; rel="first", <abs next>; rel="next"` |
//! | `GET /link-header-custom/items?page=P&per_page=M` | bare array; `x-next-page: </link-header-custom/items?...>; rel="forward"` |
//! | `GET /link-body/items?page=P&per_page=M` | `{"results": [...], "links": {"next": abs url or null}}` |
//! | `GET /link-body-relative/items?page=P&per_page=M` | like link-body; `next` is `/path?query` for odd P, `?query` for even P |
//! | `GET /cursor/items?after=C&limit=M` | `{"items": [...], "meta": {"next_cursor": opaque or null}}` |
//! | `GET /cursor-loop/items?after=C&limit=M` | full page every time, `next_cursor` always `"stuck"` |
//! | `GET /same-page/items?page=P&per_page=M` | always the first M items |
//! | `GET /link-foreign/items?page=P&per_page=M` | like link-body, `next` points at `http://foreign.invalid:9/...` |
//! | `ANY /echo/{*rest}` | the request as JSON |
//! | `ANY /echo-error/{code}/{*rest}` | that status, with the whole request (headers included) as JSON, as some error pages do |
//! | `ANY /status/{code}` | that status, `{"error": "status <code> on purpose"}` |
//! | `GET /text` | `text/plain` `hello, plain text` |
//! | `GET /pdf` | `application/pdf` bytes that are not UTF-8 ([`PDF_BYTES`]) |
//! | `GET /empty` | 204 |
//! | `GET /open/items` | no auth check; `{"items": all_items()}` |
//! | `GET /big?bytes=N` | a JSON string `"aa…a"`; the whole body is exactly `max(N, 2)` bytes (N ≤ 64 MiB) |
//! | `GET /slow?ms=N` | sleeps N ms (at most 30 s), `{"slept": N}` |
//!
//! With [`AuthCheck::Bearer`] the routes are protected by OAuth 2.0 access tokens that a
//! [`BearerValidator`] judges (the [`crate::oauth::TokenEndpoint`]'s tokens or JWTs from the
//! [`crate::oauth::OAuthMockServer`]).

use std::collections::BTreeMap;
use std::future::IntoFuture;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use tokio::sync::oneshot;

/// Number of items in the data set served by every pagination route.
pub const ITEM_COUNT: usize = 23;

/// Page size used when the request does not name one.
pub const DEFAULT_PAGE_SIZE: usize = 10;

/// Largest page size the server honours; larger requests are clamped to it.
pub const MAX_PAGE_SIZE: usize = 100;

/// Longest sleep `/slow` performs, in milliseconds.
pub const MAX_SLOW_MS: u64 = 30_000;

/// Largest body `/big` produces, in bytes.
pub const MAX_BIG_BYTES: usize = 64 * 1024 * 1024;

/// Largest request body the server reads; longer bodies are answered with 413.
const MAX_REQUEST_BODY: usize = 64 * 1024 * 1024;

/// The `next_cursor` that `/cursor-loop/items` always returns.
pub const STUCK_CURSOR: &str = "stuck";

/// Base URL that `/link-foreign/items` points its `next` links at.
pub const FOREIGN_BASE: &str = "http://foreign.invalid:9";

/// The whole data set: `[{"id": 1, "name": "item-1"}, ..., {"id": 23, "name": "item-23"}]`.
pub fn all_items() -> Vec<Value> {
    (1..=ITEM_COUNT)
        .map(|id| json!({"id": id, "name": format!("item-{id}")}))
        .collect()
}

/// How the server authenticates requests (every route except `/open/...`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthCheck {
    /// Every request is accepted.
    None,
    /// The request must carry header `name` (case-insensitive) with exactly `value`.
    Header {
        /// Header name, e.g. `x-api-key` or `authorization`.
        name: String,
        /// The exact value expected, e.g. `secret` or `Bearer secret`.
        value: String,
    },
    /// The request must carry `Authorization: Basic base64(username:password)`.
    Basic {
        /// Expected user name.
        username: String,
        /// Expected password.
        password: String,
    },
    /// The request must carry `Authorization: <scheme> <token>` with a token its validator accepts.
    Bearer(BearerCheck),
}

impl AuthCheck {
    /// Shorthand for [`AuthCheck::Header`].
    pub fn header(name: impl Into<String>, value: impl Into<String>) -> Self {
        AuthCheck::Header {
            name: name.into(),
            value: value.into(),
        }
    }

    /// Shorthand for [`AuthCheck::Basic`].
    pub fn basic(username: impl Into<String>, password: impl Into<String>) -> Self {
        AuthCheck::Basic {
            username: username.into(),
            password: password.into(),
        }
    }

    /// Shorthand for [`AuthCheck::Bearer`] with the default options of [`BearerCheck::new`].
    pub fn bearer(validator: impl BearerValidator + 'static) -> Self {
        AuthCheck::Bearer(BearerCheck::new(validator))
    }

    /// The (lowercased) name of the header that carries the credentials, if any.
    fn header_name(&self) -> Option<String> {
        match self {
            AuthCheck::None => None,
            AuthCheck::Header { name, .. } => Some(name.to_ascii_lowercase()),
            AuthCheck::Basic { .. } | AuthCheck::Bearer(_) => {
                Some(header::AUTHORIZATION.as_str().to_owned())
            }
        }
    }

    /// `None` when `headers` satisfy this check, else the response that rejects the request.
    fn rejection(&self, headers: &HeaderMap) -> Option<Response> {
        if let AuthCheck::Bearer(check) = self {
            return check.rejection(headers);
        }
        if self.accepts(headers) {
            return None;
        }
        let mut response = error(StatusCode::UNAUTHORIZED, "invalid credentials");
        if let Ok(challenge) = HeaderValue::from_str(&self.challenge()) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, challenge);
        }
        Some(response)
    }

    /// Whether `headers` satisfy this check (every variant but [`AuthCheck::Bearer`]).
    fn accepts(&self, headers: &HeaderMap) -> bool {
        match self {
            AuthCheck::None => true,
            AuthCheck::Bearer(_) => false,
            AuthCheck::Header { name, value } => {
                let Ok(name) = HeaderName::from_bytes(name.as_bytes()) else {
                    return false;
                };
                headers
                    .get_all(&name)
                    .iter()
                    .any(|v| v.as_bytes() == value.as_bytes())
            }
            AuthCheck::Basic { username, password } => {
                let expected = format!("{username}:{password}");
                headers
                    .get_all(header::AUTHORIZATION)
                    .iter()
                    .any(|v| basic_credentials(v).is_some_and(|c| c == expected.as_bytes()))
            }
        }
    }

    /// The `www-authenticate` challenge sent with a 401.
    fn challenge(&self) -> String {
        match self {
            AuthCheck::Basic { .. } => "Basic realm=\"plugboard-tests\"".to_owned(),
            AuthCheck::Header { name, .. } => {
                format!("ApiKey realm=\"plugboard-tests\", header=\"{name}\"")
            }
            AuthCheck::Bearer(check) => check.challenge(None),
            AuthCheck::None => "None realm=\"plugboard-tests\"".to_owned(),
        }
    }
}

/// Decodes the `user:password` bytes of a `Basic` authorization value.
fn basic_credentials(value: &HeaderValue) -> Option<Vec<u8>> {
    let value = value.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    STANDARD.decode(encoded.trim()).ok()
}

/// What a [`BearerValidator`] thinks of an access token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenStatus {
    /// Issued, not expired, not revoked: the request is served.
    Valid,
    /// Known but expired: answered as [`BearerCheck::on_expired`] says.
    Expired,
    /// Unknown, revoked, malformed or badly signed: always 401.
    Invalid,
}

/// Judges bearer tokens for [`AuthCheck::Bearer`]; implemented by
/// [`crate::oauth::TokenValidator`] (from a [`crate::oauth::TokenEndpoint`]) and
/// [`crate::oauth::JwtVerifier`].
pub trait BearerValidator: Send + Sync + std::fmt::Debug {
    /// The status of `token` (the part after the scheme, trimmed).
    fn status(&self, token: &str) -> TokenStatus;
}

/// How [`AuthCheck::Bearer`] answers a known but expired token (vendor quirks the host must
/// recognise as "refresh and retry").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpiredAnswer {
    /// This status (403 if it is not a valid status code) with body
    /// `{"error": "token_expired"}`; a 401 also carries
    /// `www-authenticate: <scheme> error="invalid_token", error_description="the access token expired"`.
    Status(u16),
    /// 200 with this JSON body (e.g. `{"error": "token_expired"}`) instead of the data.
    OkWithBody(Value),
}

impl Default for ExpiredAnswer {
    fn default() -> Self {
        ExpiredAnswer::Status(401)
    }
}

/// The options of [`AuthCheck::Bearer`]. Clones share the validator and the accepted-token log.
#[derive(Clone)]
pub struct BearerCheck {
    /// The scheme expected before the token (compared case-insensitively); default `Bearer`.
    pub scheme: String,
    /// The answer to a known but expired token; default 401.
    pub on_expired: ExpiredAnswer,
    validator: Arc<dyn BearerValidator>,
    accepted: Arc<Mutex<Vec<String>>>,
}

impl std::fmt::Debug for BearerCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BearerCheck")
            .field("scheme", &self.scheme)
            .field("on_expired", &self.on_expired)
            .field("validator", &self.validator)
            .finish_non_exhaustive()
    }
}

impl PartialEq for BearerCheck {
    fn eq(&self, other: &Self) -> bool {
        self.scheme == other.scheme
            && self.on_expired == other.on_expired
            && Arc::ptr_eq(&self.validator, &other.validator)
            && Arc::ptr_eq(&self.accepted, &other.accepted)
    }
}

impl Eq for BearerCheck {}

impl BearerCheck {
    /// A check with scheme `Bearer` that answers expired tokens with 401.
    pub fn new(validator: impl BearerValidator + 'static) -> Self {
        BearerCheck {
            scheme: "Bearer".to_owned(),
            on_expired: ExpiredAnswer::default(),
            validator: Arc::new(validator),
            accepted: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// The same check with another scheme, e.g. `Token` for `Authorization: Token abc`.
    pub fn with_scheme(mut self, scheme: impl Into<String>) -> Self {
        self.scheme = scheme.into();
        self
    }

    /// The same check answering known but expired tokens as `answer` says.
    pub fn with_on_expired(mut self, answer: ExpiredAnswer) -> Self {
        self.on_expired = answer;
        self
    }

    /// Every token the check accepted so far (one entry per served request), oldest first.
    pub fn accepted_tokens(&self) -> Vec<String> {
        self.accepted.lock().expect("token log poisoned").clone()
    }

    /// The `www-authenticate` challenge, with an `error_description` when given.
    fn challenge(&self, description: Option<&str>) -> String {
        match description {
            Some(description) => format!(
                "{} error=\"invalid_token\", error_description=\"{description}\"",
                self.scheme
            ),
            None => format!("{} error=\"invalid_token\"", self.scheme),
        }
    }

    /// The token of the first `Authorization: <scheme> <token>` header.
    fn token<'h>(&self, headers: &'h HeaderMap) -> Option<&'h str> {
        headers
            .get_all(header::AUTHORIZATION)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .find_map(|value| {
                let (scheme, token) = value.trim().split_once(' ')?;
                let token = token.trim();
                (scheme.eq_ignore_ascii_case(&self.scheme) && !token.is_empty()).then_some(token)
            })
    }

    /// `None` (and the token recorded) when the request carries a valid token, else the answer.
    fn rejection(&self, headers: &HeaderMap) -> Option<Response> {
        let status = self
            .token(headers)
            .map(|token| (token, self.validator.status(token)));
        let unauthorized = |description: Option<&str>, body: Value| {
            let mut response = json_response(StatusCode::UNAUTHORIZED, body);
            if let Ok(challenge) = HeaderValue::from_str(&self.challenge(description)) {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, challenge);
            }
            response
        };
        match status {
            Some((token, TokenStatus::Valid)) => {
                self.accepted
                    .lock()
                    .expect("token log poisoned")
                    .push(token.to_owned());
                None
            }
            Some((_, TokenStatus::Expired)) => Some(match &self.on_expired {
                ExpiredAnswer::Status(401) => unauthorized(
                    Some("the access token expired"),
                    json!({"error": "token_expired"}),
                ),
                ExpiredAnswer::Status(code) => json_response(
                    StatusCode::from_u16(*code).unwrap_or(StatusCode::FORBIDDEN),
                    json!({"error": "token_expired"}),
                ),
                ExpiredAnswer::OkWithBody(body) => ok(body.clone()),
            }),
            Some((_, TokenStatus::Invalid)) | None => {
                Some(unauthorized(None, json!({"error": "invalid credentials"})))
            }
        }
    }
}

/// One request as the server received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// Method, e.g. `GET`.
    pub method: String,
    /// Request path exactly as received (still percent-encoded), without the query.
    pub path: String,
    /// Raw query string (without `?`), if the request had one.
    pub query: Option<String>,
    /// Headers in arrival order, names lowercased; values decoded lossily as UTF-8.
    pub headers: Vec<(String, String)>,
    /// Request body bytes (empty when there was none).
    pub body: Vec<u8>,
}

impl RecordedRequest {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The decoded query parameters, in order.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        self.query
            .as_deref()
            .map(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .into_owned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The body parsed as JSON, if it is JSON.
    pub fn body_json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// State shared between the server and the [`TestApi`] handle.
struct Shared {
    auth: AuthCheck,
    base_url: String,
    items: Vec<Value>,
    log: Mutex<Vec<RecordedRequest>>,
}

impl Shared {
    fn record(&self, request: RecordedRequest) {
        self.log.lock().expect("request log poisoned").push(request);
    }
}

/// An axum server on its own thread with its own current-thread tokio runtime, so it keeps
/// answering while the thread that started it blocks, from `#[tokio::test]` and plain `#[test]`
/// alike. Dropping it stops the server and joins the thread (the port is free afterwards).
pub(crate) struct ServerThread {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl ServerThread {
    /// Serves `app` on `listener` (already bound) on a new thread named `{name}-{port}`.
    pub(crate) fn spawn(
        listener: std::net::TcpListener,
        app: Router,
        name: &str,
    ) -> std::io::Result<ServerThread> {
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        // Register the socket with the server's own runtime (entering it is fine even from inside
        // another runtime; only blocking on it would not be).
        let listener = {
            let _guard = runtime.enter();
            tokio::net::TcpListener::from_std(listener)
        };
        let listener = match listener {
            Ok(listener) => listener,
            Err(error) => {
                // A plain drop may panic when the caller is inside a runtime.
                runtime.shutdown_background();
                return Err(error);
            }
        };
        let (shutdown_tx, shutdown_rx) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(format!("{name}-{}", addr.port()))
            .spawn(move || {
                runtime.block_on(async move {
                    let server = axum::serve(listener, app).into_future();
                    tokio::select! {
                        result = server => {
                            if let Err(error) = result {
                                eprintln!("test server on {addr} stopped: {error}");
                            }
                        }
                        _ = shutdown_rx => {}
                    }
                });
                // Dropping the runtime here cancels every in-flight connection.
                drop(runtime);
            })?;
        Ok(ServerThread {
            addr,
            shutdown: Some(shutdown_tx),
            thread: Some(thread),
        })
    }

    /// The socket address the server listens on.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for ServerThread {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            // An error means the server already stopped on its own.
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            // Joining makes the port free once drop returns; the thread only drops its runtime.
            let _ = thread.join();
        }
    }
}

/// A running test API on `127.0.0.1` with an ephemeral port. Dropping it stops the server.
pub struct TestApi {
    shared: Arc<Shared>,
    server: ServerThread,
}

impl std::fmt::Debug for TestApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestApi")
            .field("addr", &self.server.addr())
            .field("auth", &self.shared.auth)
            .finish_non_exhaustive()
    }
}

impl TestApi {
    /// Starts the server on `127.0.0.1` with an ephemeral port.
    ///
    /// The server runs on a dedicated thread with its own runtime (not the caller's), so it keeps
    /// serving while the caller blocks. It is listening when this returns.
    pub async fn start(auth: AuthCheck) -> std::io::Result<TestApi> {
        Self::start_blocking(auth)
    }

    /// Like [`TestApi::start`], for callers that are not async (usable inside a runtime too:
    /// it never blocks on one).
    pub fn start_blocking(auth: AuthCheck) -> std::io::Result<TestApi> {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), auth)
    }

    /// Like [`TestApi::start_blocking`], on a given address (port 0 picks a free one).
    pub fn start_on(addr: SocketAddr, auth: AuthCheck) -> std::io::Result<TestApi> {
        let listener = std::net::TcpListener::bind(addr)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            auth,
            base_url: format!("http://{addr}"),
            items: all_items(),
            log: Mutex::new(Vec::new()),
        });
        let app = Router::new()
            .fallback(handle)
            .with_state(Arc::clone(&shared));
        let server = ServerThread::spawn(listener, app, "test-api")?;
        Ok(TestApi { shared, server })
    }

    /// The socket address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// `127.0.0.1:PORT`.
    pub fn host(&self) -> String {
        self.server.addr().to_string()
    }

    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// The auth check this server applies.
    pub fn auth(&self) -> &AuthCheck {
        &self.shared.auth
    }

    /// Number of requests so far (rejected ones included) whose path starts with `route_prefix`.
    pub fn hits(&self, route_prefix: &str) -> usize {
        self.shared
            .log
            .lock()
            .expect("request log poisoned")
            .iter()
            .filter(|r| r.path.starts_with(route_prefix))
            .count()
    }

    /// The most recent request whose path starts with `route_prefix`.
    pub fn last_request(&self, route_prefix: &str) -> Option<RecordedRequest> {
        self.shared
            .log
            .lock()
            .expect("request log poisoned")
            .iter()
            .rev()
            .find(|r| r.path.starts_with(route_prefix))
            .cloned()
    }

    /// Every request so far whose path starts with `route_prefix`, oldest first.
    pub fn requests(&self, route_prefix: &str) -> Vec<RecordedRequest> {
        self.shared
            .log
            .lock()
            .expect("request log poisoned")
            .iter()
            .filter(|r| r.path.starts_with(route_prefix))
            .cloned()
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------
// Request handling
// ---------------------------------------------------------------------------------------------

/// Parsed query parameters.
struct Query(Vec<(String, String)>);

impl Query {
    fn parse(raw: Option<&str>) -> Self {
        Query(
            raw.map(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .into_owned()
                    .collect()
            })
            .unwrap_or_default(),
        )
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// An integer parameter, or `default` when absent; 400 when it is not an integer.
    fn int(&self, name: &str, default: i64) -> Result<i64, BadRequest> {
        match self.get(name) {
            None => Ok(default),
            Some(raw) => raw.trim().parse::<i64>().map_err(|_| {
                BadRequest(format!(
                    "query parameter {name} must be an integer, got {raw:?}"
                ))
            }),
        }
    }

    /// A page size: default 10, clamped to `1..=100`.
    fn page_size(&self, name: &str) -> Result<usize, BadRequest> {
        let size = self.int(name, DEFAULT_PAGE_SIZE as i64)?;
        Ok(size.clamp(1, MAX_PAGE_SIZE as i64) as usize)
    }

    /// A 1-based page number: default 1, values below 1 count as 1.
    fn page(&self, name: &str) -> Result<usize, BadRequest> {
        let page = self.int(name, 1)?.max(1);
        Ok(usize::try_from(page).unwrap_or(usize::MAX))
    }

    /// A non-negative offset: default 0; 400 when negative.
    fn offset(&self, name: &str) -> Result<usize, BadRequest> {
        let offset = self.int(name, 0)?;
        usize::try_from(offset)
            .map_err(|_| BadRequest(format!("query parameter {name} must not be negative")))
    }
}

/// A request the server answers with 400 and this message.
struct BadRequest(String);

fn json_response(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

fn ok(body: Value) -> Response {
    json_response(StatusCode::OK, body)
}

fn error(status: StatusCode, message: &str) -> Response {
    json_response(status, json!({ "error": message }))
}

/// The items `offset..offset + len` of the data set (fewer at the end).
fn slice(items: &[Value], offset: usize, len: usize) -> Vec<Value> {
    items.iter().skip(offset).take(len).cloned().collect()
}

/// Offset of 1-based `page` with `per_page` items per page.
fn page_offset(page: usize, per_page: usize) -> usize {
    (page - 1).saturating_mul(per_page)
}

/// Whether another page follows 1-based `page`.
fn has_next_page(page: usize, per_page: usize) -> bool {
    page.saturating_mul(per_page) < ITEM_COUNT
}

/// The opaque cursor that points at `offset`.
fn encode_cursor(offset: usize) -> String {
    // Deliberately padded standard base64 (e.g. `bzoxMA==`) so clients must encode it properly.
    STANDARD.encode(format!("o:{offset}"))
}

/// The offset a cursor points at.
fn decode_cursor(cursor: &str) -> Option<usize> {
    let bytes = STANDARD.decode(cursor).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    text.strip_prefix("o:")?.parse().ok()
}

/// The one handler: records, authenticates, then dispatches on method and path.
async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_owned();
    let query = parts.uri.query().map(str::to_owned);
    let body = axum::body::to_bytes(body, MAX_REQUEST_BODY).await;
    let body_ok = body.is_ok();
    let body = body.map(|b| b.to_vec()).unwrap_or_default();

    shared.record(RecordedRequest {
        method: parts.method.as_str().to_owned(),
        path: path.clone(),
        query: query.clone(),
        headers: parts
            .headers
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: body.clone(),
    });

    if !path.starts_with("/open/")
        && let Some(response) = shared.auth.rejection(&parts.headers)
    {
        return response;
    }
    if !body_ok {
        return error(StatusCode::PAYLOAD_TOO_LARGE, "request body too large");
    }

    let params = Query::parse(query.as_deref());
    let request = Incoming {
        method: &parts.method,
        path: &path,
        query: query.as_deref(),
        params: &params,
        headers: &parts.headers,
        body: &body,
    };
    route(&shared, &request)
        .await
        .unwrap_or_else(|BadRequest(message)| error(StatusCode::BAD_REQUEST, &message))
}

/// The parts of a request that routes look at.
struct Incoming<'a> {
    method: &'a Method,
    path: &'a str,
    query: Option<&'a str>,
    params: &'a Query,
    headers: &'a HeaderMap,
    body: &'a [u8],
}

async fn route(shared: &Shared, req: &Incoming<'_>) -> Result<Response, BadRequest> {
    let path = req.path;
    if path.starts_with("/echo/") {
        return Ok(echo(shared, req));
    }
    if let Some(rest) = path.strip_prefix("/echo-error/") {
        return Ok(echo_error(rest, req));
    }
    if let Some(code) = path.strip_prefix("/status/") {
        return Ok(status(code));
    }

    let is_get = *req.method == Method::GET || *req.method == Method::HEAD;
    let known = matches!(
        path,
        "/index/items"
            | "/page/items"
            | "/link-header/items"
            | "/link-header-custom/items"
            | "/link-body/items"
            | "/link-body-relative/items"
            | "/cursor/items"
            | "/cursor-loop/items"
            | "/same-page/items"
            | "/link-foreign/items"
            | "/text"
            | "/pdf"
            | "/empty"
            | "/open/items"
            | "/big"
            | "/slow"
    );
    if !known {
        return Ok(error(
            StatusCode::NOT_FOUND,
            &format!("no route for {path}"),
        ));
    }
    if !is_get {
        let mut response = error(StatusCode::METHOD_NOT_ALLOWED, "method not allowed");
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return Ok(response);
    }

    let p = req.params;
    let items = &shared.items;
    let base = &shared.base_url;
    let response = match path {
        "/index/items" => {
            let offset = p.offset("offset")?;
            let limit = p.page_size("limit")?;
            ok(json!({"data": {"items": slice(items, offset, limit)}}))
        }
        "/page/items" => {
            let (page, per_page) = (p.page("page")?, p.page_size("per_page")?);
            ok(json!({"items": slice(items, page_offset(page, per_page), per_page)}))
        }
        "/link-header/items" => {
            let (page, per_page) = (p.page("page")?, p.page_size("per_page")?);
            let page_items = slice(items, page_offset(page, per_page), per_page);
            let route = "/link-header/items";
            let mut link = format!("<{base}{route}?page=1&per_page={per_page}>; rel=\"first\"");
            if has_next_page(page, per_page) {
                let next = page + 1;
                link.push_str(&format!(
                    ", <{base}{route}?page={next}&per_page={per_page}>; rel=\"next\""
                ));
            }
            with_header(ok(Value::Array(page_items)), header::LINK, &link)
        }
        "/link-header-custom/items" => {
            let (page, per_page) = (p.page("page")?, p.page_size("per_page")?);
            let page_items = slice(items, page_offset(page, per_page), per_page);
            let response = ok(Value::Array(page_items));
            if has_next_page(page, per_page) {
                let next = page + 1;
                let link = format!(
                    "</link-header-custom/items?page={next}&per_page={per_page}>; rel=\"forward\""
                );
                with_header(response, HeaderName::from_static("x-next-page"), &link)
            } else {
                response
            }
        }
        "/link-body/items" => {
            let (page, per_page) = (p.page("page")?, p.page_size("per_page")?);
            let next = has_next_page(page, per_page).then(|| {
                format!(
                    "{base}/link-body/items?page={}&per_page={per_page}",
                    page + 1
                )
            });
            ok(json!({
                "results": slice(items, page_offset(page, per_page), per_page),
                "links": {"next": next},
            }))
        }
        "/link-body-relative/items" => {
            let (page, per_page) = (p.page("page")?, p.page_size("per_page")?);
            let next = has_next_page(page, per_page).then(|| {
                let query = format!("?page={}&per_page={per_page}", page + 1);
                if page % 2 == 1 {
                    format!("/link-body-relative/items{query}")
                } else {
                    query
                }
            });
            ok(json!({
                "results": slice(items, page_offset(page, per_page), per_page),
                "links": {"next": next},
            }))
        }
        "/cursor/items" => {
            let limit = p.page_size("limit")?;
            let offset = match p.get("after") {
                None => 0,
                Some(cursor) => {
                    decode_cursor(cursor).ok_or_else(|| BadRequest("invalid cursor".to_owned()))?
                }
            };
            let end = offset.saturating_add(limit);
            let next = (end < ITEM_COUNT).then(|| encode_cursor(end));
            ok(json!({
                "items": slice(items, offset, limit),
                "meta": {"next_cursor": next},
            }))
        }
        "/cursor-loop/items" => {
            let limit = p.page_size("limit")?;
            // No cursor starts at 0; the stuck cursor gives the next page (new items, so only the
            // repeated cursor shows the loop); any other decodable cursor gives its offset.
            let offset = match p.get("after") {
                None => 0,
                Some(STUCK_CURSOR) => limit,
                Some(other) => decode_cursor(other).unwrap_or(0),
            };
            let page: Vec<Value> = items
                .iter()
                .cycle()
                .skip(offset % ITEM_COUNT)
                .take(limit)
                .cloned()
                .collect();
            ok(json!({"items": page, "meta": {"next_cursor": STUCK_CURSOR}}))
        }
        "/same-page/items" => {
            let per_page = p.page_size("per_page")?;
            ok(json!({"items": slice(items, 0, per_page)}))
        }
        "/link-foreign/items" => {
            let (page, per_page) = (p.page("page")?, p.page_size("per_page")?);
            let next = has_next_page(page, per_page).then(|| {
                format!(
                    "{FOREIGN_BASE}/link-foreign/items?page={}&per_page={per_page}",
                    page + 1
                )
            });
            ok(json!({
                "results": slice(items, page_offset(page, per_page), per_page),
                "links": {"next": next},
            }))
        }
        "/text" => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "hello, plain text",
        )
            .into_response(),
        "/pdf" => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/pdf")],
            PDF_BYTES,
        )
            .into_response(),
        "/empty" => StatusCode::NO_CONTENT.into_response(),
        "/open/items" => ok(json!({"items": items})),
        "/big" => {
            let bytes = p.offset("bytes")?.min(MAX_BIG_BYTES);
            let mut body = Vec::with_capacity(bytes.max(2));
            body.push(b'"');
            body.resize(bytes.max(2) - 1, b'a');
            body.push(b'"');
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                Body::from(body),
            )
                .into_response()
        }
        "/slow" => {
            let ms = u64::try_from(p.offset("ms")?)
                .unwrap_or(MAX_SLOW_MS)
                .min(MAX_SLOW_MS);
            tokio::time::sleep(Duration::from_millis(ms)).await;
            ok(json!({"slept": ms}))
        }
        _ => error(StatusCode::NOT_FOUND, &format!("no route for {path}")),
    };
    Ok(response)
}

fn with_header(mut response: Response, name: HeaderName, value: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().insert(name, value);
    }
    response
}

/// `/status/{code}`: that status with a JSON error body.
fn status(code: &str) -> Response {
    match code.parse::<u16>().ok().filter(|c| (200..=599).contains(c)) {
        Some(code) => match StatusCode::from_u16(code) {
            Ok(status) => error(status, &format!("status {code} on purpose")),
            Err(_) => error(StatusCode::BAD_REQUEST, "invalid status code"),
        },
        None => error(
            StatusCode::BAD_REQUEST,
            &format!("invalid status code {code:?} (expected 200..=599)"),
        ),
    }
}

/// `/echo-error/{code}/...`: status `code` with the whole request (every header, the raw query)
/// as JSON, as error pages that echo the request do.
fn echo_error(rest: &str, req: &Incoming<'_>) -> Response {
    let code = rest.split('/').next().unwrap_or_default();
    let Some(status) = code
        .parse::<u16>()
        .ok()
        .filter(|c| (400..=599).contains(c))
        .and_then(|c| StatusCode::from_u16(c).ok())
    else {
        return error(StatusCode::BAD_REQUEST, "expected /echo-error/400..599/...");
    };
    let headers: BTreeMap<String, String> = req
        .headers
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    json_response(
        status,
        json!({"error": "bad request", "you_sent": {"path": req.path, "query": req.query, "headers": headers}}),
    )
}

/// The body of `GET /pdf`: not UTF-8, so it comes back as base64.
pub const PDF_BYTES: &[u8] = b"%PDF-1.7\n\xff\xfe\x00binary";

/// `/echo/{*rest}`: the request as JSON (the body as JSON, as text and as base64).
fn echo(shared: &Shared, req: &Incoming<'_>) -> Response {
    let mut query_params: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, value) in &req.params.0 {
        query_params
            .entry(name.clone())
            .or_default()
            .push(value.clone());
    }
    let auth_header = shared.auth.header_name();
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in req.headers {
        if auth_header.as_deref() == Some(name.as_str()) {
            continue;
        }
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        headers
            .entry(name.as_str().to_owned())
            .and_modify(|existing| {
                existing.push_str(", ");
                existing.push_str(&value);
            })
            .or_insert(value);
    }
    let body_json: Value = serde_json::from_slice(req.body).unwrap_or(Value::Null);
    let body_text = if req.body.is_empty() {
        Value::Null
    } else {
        Value::String(String::from_utf8_lossy(req.body).into_owned())
    };
    ok(json!({
        "body_base64": base64::engine::general_purpose::STANDARD.encode(req.body),
        "method": req.method.as_str(),
        "path": req.path,
        "query": req.query,
        "query_params": query_params,
        "headers": headers,
        "body": body_json,
        "body_text": body_text,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> reqwest::Client {
        // reqwest needs a crypto provider to build a client, even for plain http; another test
        // may have installed it already.
        let _ = rustls::crypto::ring::default_provider().install_default();
        reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("build reqwest client")
    }

    async fn get_json(
        client: &reqwest::Client,
        url: &str,
    ) -> (reqwest::StatusCode, HeaderMap, Value) {
        let response = client.get(url).send().await.expect("send request");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("read body");
        let body = serde_json::from_slice(&bytes).expect("body is JSON");
        (status, headers, body)
    }

    fn ids(items: &Value) -> Vec<u64> {
        items
            .as_array()
            .expect("items array")
            .iter()
            .map(|item| item["id"].as_u64().expect("id"))
            .collect()
    }

    fn all_ids() -> Vec<u64> {
        (1..=ITEM_COUNT as u64).collect()
    }

    #[test]
    fn data_set_shape() {
        let items = all_items();
        assert_eq!(items.len(), ITEM_COUNT);
        assert_eq!(items[0], json!({"id": 1, "name": "item-1"}));
        assert_eq!(items[22], json!({"id": 23, "name": "item-23"}));
    }

    #[tokio::test]
    async fn header_auth_rejects_and_accepts() {
        let api = TestApi::start(AuthCheck::header("X-Api-Key", "sekret"))
            .await
            .expect("start");
        let client = client();
        let url = format!("{}/page/items", api.base_url());

        let missing = client.get(&url).send().await.expect("send");
        assert_eq!(missing.status(), 401);
        assert!(missing.headers().contains_key("www-authenticate"));
        let body: Value =
            serde_json::from_slice(&missing.bytes().await.expect("body")).expect("json");
        assert_eq!(body, json!({"error": "invalid credentials"}));

        let wrong = client
            .get(&url)
            .header("x-api-key", "sekret2")
            .send()
            .await
            .expect("send");
        assert_eq!(wrong.status(), 401);

        let right = client
            .get(&url)
            .header("x-api-key", "sekret")
            .send()
            .await
            .expect("send");
        assert_eq!(right.status(), 200);

        // /open/ needs no credentials.
        let (status, _, body) = get_json(&client, &format!("{}/open/items", api.base_url())).await;
        assert_eq!(status, 200);
        assert_eq!(ids(&body["items"]), all_ids());

        // Rejected requests are recorded too.
        assert_eq!(api.hits("/page/"), 3);
        assert_eq!(api.hits("/open/"), 1);
        assert_eq!(api.hits("/"), 4);
        let last = api.last_request("/page/items").expect("recorded");
        assert_eq!(last.method, "GET");
        assert_eq!(last.header("X-API-KEY"), Some("sekret"));
    }

    #[tokio::test]
    async fn basic_auth_rejects_and_accepts() {
        let api = TestApi::start(AuthCheck::basic("alice", "pa:ss"))
            .await
            .expect("start");
        let client = client();
        let url = format!("{}/text", api.base_url());

        let missing = client.get(&url).send().await.expect("send");
        assert_eq!(missing.status(), 401);
        assert_eq!(
            missing.headers()["www-authenticate"],
            "Basic realm=\"plugboard-tests\""
        );

        let wrong = client
            .get(&url)
            .basic_auth("alice", Some("nope"))
            .send()
            .await
            .expect("send");
        assert_eq!(wrong.status(), 401);

        let right = client
            .get(&url)
            .basic_auth("alice", Some("pa:ss"))
            .send()
            .await
            .expect("send");
        assert_eq!(right.status(), 200);
        assert!(
            right.headers()["content-type"]
                .to_str()
                .expect("ascii")
                .starts_with("text/plain")
        );
        assert_eq!(right.text().await.expect("text"), "hello, plain text");

        let manual = client
            .get(&url)
            .header(
                "authorization",
                format!("Basic {}", STANDARD.encode("alice:pa:ss")),
            )
            .send()
            .await
            .expect("send");
        assert_eq!(manual.status(), 200);
    }

    #[tokio::test]
    async fn index_walks_all_items() {
        let api = TestApi::start(AuthCheck::None).await.expect("start");
        let client = client();
        let mut seen = Vec::new();
        let mut offset = 0;
        loop {
            let url = format!("{}/index/items?offset={offset}&limit=7", api.base_url());
            let (status, _, body) = get_json(&client, &url).await;
            assert_eq!(status, 200);
            let page = ids(&body["data"]["items"]);
            if page.is_empty() {
                break;
            }
            offset += page.len();
            seen.extend(page);
        }
        assert_eq!(seen, all_ids());
        assert_eq!(api.hits("/index/items"), 5);

        // Defaults and clamping.
        let (_, _, body) = get_json(&client, &format!("{}/index/items", api.base_url())).await;
        assert_eq!(ids(&body["data"]["items"]), (1..=10).collect::<Vec<_>>());
        let (_, _, body) =
            get_json(&client, &format!("{}/index/items?limit=0", api.base_url())).await;
        assert_eq!(ids(&body["data"]["items"]), vec![1]);
        let (_, _, body) = get_json(
            &client,
            &format!("{}/index/items?limit=1000", api.base_url()),
        )
        .await;
        assert_eq!(ids(&body["data"]["items"]), all_ids());
        let (status, _, _) = get_json(
            &client,
            &format!("{}/index/items?offset=abc", api.base_url()),
        )
        .await;
        assert_eq!(status, 400);
    }

    #[tokio::test]
    async fn page_walks_all_items() {
        let api = TestApi::start(AuthCheck::None).await.expect("start");
        let client = client();
        let mut seen = Vec::new();
        for page in 1.. {
            let url = format!("{}/page/items?page={page}&per_page=10", api.base_url());
            let (_, _, body) = get_json(&client, &url).await;
            let items = ids(&body["items"]);
            let done = items.len() < 10;
            seen.extend(items);
            if done {
                break;
            }
        }
        assert_eq!(seen, all_ids());
        assert_eq!(api.hits("/page/"), 3);
    }

    #[tokio::test]
    async fn cursor_walks_all_items() {
        let api = TestApi::start(AuthCheck::None).await.expect("start");
        let client = client();
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        let mut requests = 0;
        loop {
            let mut url =
                url::Url::parse(&format!("{}/cursor/items?limit=10", api.base_url())).expect("url");
            if let Some(cursor) = &cursor {
                url.query_pairs_mut().append_pair("after", cursor);
            }
            let (status, _, body) = get_json(&client, url.as_str()).await;
            assert_eq!(status, 200);
            requests += 1;
            seen.extend(ids(&body["items"]));
            match &body["meta"]["next_cursor"] {
                Value::Null => break,
                Value::String(next) => cursor = Some(next.clone()),
                other => panic!("unexpected cursor {other}"),
            }
        }
        assert_eq!(seen, all_ids());
        assert_eq!(requests, 3);
        let (status, _, _) = get_json(
            &client,
            &format!("{}/cursor/items?after=garbage", api.base_url()),
        )
        .await;
        assert_eq!(status, 400);
    }

    #[tokio::test]
    async fn cursor_loop_repeats_its_cursor() {
        let api = TestApi::start(AuthCheck::None).await.expect("start");
        let client = client();
        let (_, _, first) = get_json(
            &client,
            &format!("{}/cursor-loop/items?limit=5", api.base_url()),
        )
        .await;
        assert_eq!(first["meta"]["next_cursor"], STUCK_CURSOR);
        assert_eq!(ids(&first["items"]), vec![1, 2, 3, 4, 5]);
        let (_, _, second) = get_json(
            &client,
            &format!("{}/cursor-loop/items?limit=5&after=stuck", api.base_url()),
        )
        .await;
        assert_eq!(second["meta"]["next_cursor"], STUCK_CURSOR);
        assert_eq!(ids(&second["items"]).len(), 5);
    }

    #[tokio::test]
    async fn link_header_has_absolute_next_after_first() {
        let api = TestApi::start(AuthCheck::None).await.expect("start");
        let client = client();
        let base = api.base_url();
        let (_, headers, body) =
            get_json(&client, &format!("{base}/link-header/items?per_page=10")).await;
        assert_eq!(ids(&body), (1..=10).collect::<Vec<_>>());
        let link = headers["link"].to_str().expect("ascii");
        assert_eq!(
            link,
            format!(
                "<{base}/link-header/items?page=1&per_page=10>; rel=\"first\", \
                 <{base}/link-header/items?page=2&per_page=10>; rel=\"next\""
            )
        );

        // Walk it by following rel="next".
        let mut seen = Vec::new();
        let mut next = Some(format!("{base}/link-header/items?per_page=10"));
        while let Some(url) = next.take() {
            let (_, headers, body) = get_json(&client, &url).await;
            seen.extend(ids(&body));
            let link = headers
                .get("link")
                .expect("link header")
                .to_str()
                .expect("ascii");
            next = link.split(", ").find_map(|entry| {
                let (target, rel) = entry.split_once("; ")?;
                (rel == "rel=\"next\"")
                    .then(|| target.trim_matches(|c| c == '<' || c == '>').to_owned())
            });
        }
        assert_eq!(seen, all_ids());

        // Custom header, relative URL.
        let (_, headers, _) = get_json(
            &client,
            &format!("{base}/link-header-custom/items?page=2&per_page=10"),
        )
        .await;
        assert_eq!(
            headers["x-next-page"],
            "</link-header-custom/items?page=3&per_page=10>; rel=\"forward\""
        );
        let (_, headers, body) = get_json(
            &client,
            &format!("{base}/link-header-custom/items?page=3&per_page=10"),
        )
        .await;
        assert!(headers.get("x-next-page").is_none());
        assert_eq!(ids(&body), vec![21, 22, 23]);
    }

    #[tokio::test]
    async fn link_body_absolute_relative_and_foreign() {
        let api = TestApi::start(AuthCheck::None).await.expect("start");
        let client = client();
        let base = api.base_url();

        let (_, _, body) = get_json(&client, &format!("{base}/link-body/items")).await;
        assert_eq!(
            body["links"]["next"],
            format!("{base}/link-body/items?page=2&per_page=10")
        );
        let (_, _, body) = get_json(&client, &format!("{base}/link-body/items?page=3")).await;
        assert_eq!(body["links"]["next"], Value::Null);
        assert_eq!(ids(&body["results"]), vec![21, 22, 23]);

        // Relative forms alternate; resolving them walks the whole set.
        let mut seen = Vec::new();
        let mut forms = Vec::new();
        let mut url =
            url::Url::parse(&format!("{base}/link-body-relative/items?per_page=5")).expect("url");
        loop {
            let (_, _, body) = get_json(&client, url.as_str()).await;
            seen.extend(ids(&body["results"]));
            let Some(next) = body["links"]["next"].as_str() else {
                break;
            };
            forms.push(next.to_owned());
            url = url.join(next).expect("resolve relative next");
        }
        assert_eq!(seen, all_ids());
        assert_eq!(
            forms,
            vec![
                "/link-body-relative/items?page=2&per_page=5",
                "?page=3&per_page=5",
                "/link-body-relative/items?page=4&per_page=5",
                "?page=5&per_page=5",
            ]
        );

        let (_, _, body) = get_json(&client, &format!("{base}/link-foreign/items")).await;
        assert_eq!(ids(&body["results"]), (1..=10).collect::<Vec<_>>());
        assert_eq!(
            body["links"]["next"],
            "http://foreign.invalid:9/link-foreign/items?page=2&per_page=10"
        );

        let (_, _, body) = get_json(&client, &format!("{base}/same-page/items?page=7")).await;
        assert_eq!(ids(&body["items"]), (1..=10).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn echo_reports_the_request() {
        let api = TestApi::start(AuthCheck::header("authorization", "Bearer t0k"))
            .await
            .expect("start");
        let client = client();
        let url = format!("{}/echo/a%2Fb/c%20d?x=1&x=2&y=h%C3%A9", api.base_url());
        let response = client
            .post(&url)
            .header("authorization", "Bearer t0k")
            .header("x-custom", "yes")
            .header("content-type", "application/json")
            .body(r#"{"hello": [1, 2]}"#)
            .send()
            .await
            .expect("send");
        assert_eq!(response.status(), 200);
        let body: Value =
            serde_json::from_slice(&response.bytes().await.expect("body")).expect("json");
        assert_eq!(body["method"], "POST");
        assert_eq!(body["path"], "/echo/a%2Fb/c%20d");
        assert_eq!(body["query"], "x=1&x=2&y=h%C3%A9");
        assert_eq!(body["query_params"], json!({"x": ["1", "2"], "y": ["hé"]}));
        assert_eq!(body["headers"]["x-custom"], "yes");
        assert!(body["headers"].get("authorization").is_none());
        assert_eq!(body["body"], json!({"hello": [1, 2]}));

        let recorded = api.last_request("/echo/").expect("recorded");
        assert_eq!(recorded.path, "/echo/a%2Fb/c%20d");
        assert_eq!(recorded.query.as_deref(), Some("x=1&x=2&y=h%C3%A9"));
        assert_eq!(recorded.body_json(), Some(json!({"hello": [1, 2]})));
        assert_eq!(recorded.header("authorization"), Some("Bearer t0k"));

        for method in [
            reqwest::Method::GET,
            reqwest::Method::PUT,
            reqwest::Method::PATCH,
            reqwest::Method::DELETE,
        ] {
            let response = client
                .request(method.clone(), format!("{}/echo/x", api.base_url()))
                .header("authorization", "Bearer t0k")
                .send()
                .await
                .expect("send");
            let body: Value =
                serde_json::from_slice(&response.bytes().await.expect("body")).expect("json");
            assert_eq!(body["method"], method.as_str());
            assert_eq!(body["query"], Value::Null);
            assert_eq!(body["body"], Value::Null);
        }
        assert_eq!(api.hits("/echo/"), 5);
    }

    #[tokio::test]
    async fn utility_routes() {
        let api = TestApi::start(AuthCheck::None).await.expect("start");
        let client = client();
        let base = api.base_url();

        let (status, _, body) = get_json(&client, &format!("{base}/status/503")).await;
        assert_eq!(status, 503);
        assert_eq!(body, json!({"error": "status 503 on purpose"}));

        let empty = client
            .get(format!("{base}/empty"))
            .send()
            .await
            .expect("send");
        assert_eq!(empty.status(), 204);
        assert!(empty.bytes().await.expect("body").is_empty());

        let big = client
            .get(format!("{base}/big?bytes=1000"))
            .send()
            .await
            .expect("send");
        let bytes = big.bytes().await.expect("body");
        assert_eq!(bytes.len(), 1000);
        let text: Value = serde_json::from_slice(&bytes).expect("json string");
        assert_eq!(text.as_str().map(str::len), Some(998));

        let started = std::time::Instant::now();
        let (_, _, body) = get_json(&client, &format!("{base}/slow?ms=150")).await;
        assert_eq!(body, json!({"slept": 150}));
        assert!(started.elapsed() >= Duration::from_millis(150));

        let (status, _, _) = get_json(&client, &format!("{base}/nope")).await;
        assert_eq!(status, 404);
        let response = client
            .post(format!("{base}/page/items"))
            .send()
            .await
            .expect("send");
        assert_eq!(response.status(), 405);
    }

    #[test]
    fn blocking_start_serves_while_caller_blocks_and_drop_stops_it() {
        let api = TestApi::start_blocking(AuthCheck::None).expect("start");
        let addr = api.addr();
        assert_eq!(api.host(), format!("127.0.0.1:{}", addr.port()));
        assert_eq!(api.base_url(), format!("http://127.0.0.1:{}", addr.port()));

        // A plain blocking HTTP/1.1 request from this thread, no runtime anywhere here.
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(addr).expect("connect");
        write!(
            stream,
            "GET /open/items HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
        )
        .expect("write");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("read");
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
        assert!(response.contains("\"item-23\""));
        assert_eq!(api.hits("/open/"), 1);

        drop(api);
        assert!(std::net::TcpStream::connect(addr).is_err());
    }

    #[tokio::test]
    async fn server_survives_a_blocked_caller_runtime() {
        // The caller's (current-thread) runtime blocks; the server must still answer.
        let api = TestApi::start(AuthCheck::None).await.expect("start");
        let addr = api.addr();
        let answer = std::thread::spawn(move || {
            use std::io::{Read, Write};
            let mut stream = std::net::TcpStream::connect(addr).expect("connect");
            write!(
                stream,
                "GET /text HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
            )
            .expect("write");
            let mut response = String::new();
            stream.read_to_string(&mut response).expect("read");
            response
        })
        .join()
        .expect("join");
        assert!(answer.ends_with("hello, plain text"), "{answer}");
    }
}
