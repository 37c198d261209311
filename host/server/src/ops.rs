//! What an operator runs the API with: the access log and request ids, readiness and draining,
//! `/metrics` (Prometheus text), and per-token rate limits.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{MatchedPath, State};
use axum::http::{HeaderName, HeaderValue, Request, Response, StatusCode, header};
use axum::middleware::Next;
use axum::response::IntoResponse;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tracing::Span;

use crate::AppState;
use crate::problem::Problem;

/// The request id header, taken from the caller when it is sane, else made here.
pub(crate) static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest request id taken from a caller.
const MAX_REQUEST_ID: usize = 128;

/// Where the server is in its life: readiness says so, and draining refuses new requests.
#[derive(Debug, Default)]
pub struct Lifecycle {
    ready: AtomicBool,
    draining: AtomicBool,
}

impl Lifecycle {
    /// Serving: ready for traffic.
    pub fn set_ready(&self) {
        self.ready.store(true, Ordering::SeqCst);
    }

    /// Stopping: new requests are answered 503 while those in flight finish.
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    /// Whether the server is stopping.
    pub fn draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }

    fn ready(&self) -> bool {
        self.ready.load(Ordering::SeqCst)
    }
}

/// Who may read `/metrics`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum MetricsAccess {
    /// Not served (404).
    #[default]
    Off,
    /// Anyone who reaches the server (behind a private network or a proxy).
    Open,
    /// Callers that send `Authorization: Bearer <token>` with this token.
    Token(String),
}

/// Per-token API rate limits: a sustained rate and a burst.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimits {
    /// Requests per second, sustained.
    pub per_second: f64,
    /// Requests allowed at once above the rate.
    pub burst: u32,
}

/// The keyed limiter of [`RateLimits`] (keys: API token ids, only for valid tokens).
pub(crate) struct TokenLimiter {
    limiter: DefaultKeyedRateLimiter<String>,
    clock: governor::clock::DefaultClock,
}

impl TokenLimiter {
    pub(crate) fn new(limits: RateLimits) -> Option<TokenLimiter> {
        let period = Duration::from_secs_f64(1.0 / limits.per_second.max(1e-6));
        let burst = NonZeroU32::new(limits.burst.max(1))?;
        let quota = Quota::with_period(period)?.allow_burst(burst);
        Some(TokenLimiter {
            limiter: RateLimiter::keyed(quota),
            clock: governor::clock::DefaultClock::default(),
        })
    }

    /// Takes one request from `token`'s budget, or says how long to wait.
    pub(crate) fn check(&self, token: &str) -> Result<(), Duration> {
        use governor::clock::Clock as _;
        match self.limiter.check_key(&token.to_string()) {
            Ok(()) => Ok(()),
            Err(not_until) => Err(not_until.wait_time_from(self.clock.now())),
        }
    }
}

/// The process's Prometheus recorder: installed once (the `metrics` facade is global), shared by
/// every server of the process.
pub(crate) fn prometheus() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        const SECONDS: &[f64] = &[
            0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
        ];
        const COUNTS: &[f64] = &[1.0, 2.0, 3.0, 5.0, 10.0, 20.0, 50.0, 100.0];
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS)
            .and_then(|b| b.set_buckets_for_metric(Matcher::Suffix("_per_call".into()), COUNTS));
        let recorder = match builder {
            Ok(builder) => builder.build_recorder(),
            Err(_) => PrometheusBuilder::new().build_recorder(),
        };
        let handle = recorder.handle();
        // Another recorder (a host embedding the server) keeps its own; ours then stays empty.
        let _ = metrics::set_global_recorder(recorder);
        describe();
        handle
    })
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        "plugboard_calls_total",
        "Action invocations by integration, action and outcome"
    );
    describe_histogram!(
        "plugboard_call_duration_seconds",
        "Invocation latency by integration and outcome"
    );
    describe_gauge!(
        "plugboard_spec_jobs_in_flight",
        "Spec jobs (lint, clean, import, finalize, upload) running"
    );
    describe_gauge!(
        "plugboard_db_connections",
        "Database pool connections by state (idle, in_use)"
    );
    describe_counter!(
        "plugboard_http_rate_limited_total",
        "API requests refused by a token's rate limit"
    );
}

/// Label values from callers' data (integration and action ids) are capped: the first
/// `MAX_VALUES` distinct values of a label keep their name, later ones count as `other`.
pub(crate) struct LabelCap {
    seen: Mutex<std::collections::HashSet<String>>,
}

impl LabelCap {
    const MAX_VALUES: usize = 1000;

    pub(crate) fn new() -> LabelCap {
        LabelCap {
            seen: Mutex::new(std::collections::HashSet::new()),
        }
    }

    pub(crate) fn value(&self, value: &str) -> String {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if seen.contains(value) {
            return value.to_string();
        }
        if seen.len() < Self::MAX_VALUES && value.len() <= 128 {
            seen.insert(value.to_string());
            return value.to_string();
        }
        "other".to_string()
    }
}

/// The span of one request: method, route template (never the raw path), request id; the
/// caller's organization, user and token id are recorded once known.
pub(crate) fn request_span(request: &Request<Body>) -> Span {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("(no route)", MatchedPath::as_str);
    let id = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    tracing::info_span!(
        "request",
        method = %request.method(),
        route,
        request_id = id,
        organization = tracing::field::Empty,
        user = tracing::field::Empty,
        token = tracing::field::Empty,
    )
}

/// The access log line: status and latency (5xx at error level, with the problem logged where
/// it happened).
pub(crate) fn log_response(response: &Response<Body>, latency: Duration, _span: &Span) {
    let status = response.status().as_u16();
    let latency_ms = latency.as_secs_f64() * 1000.0;
    if status >= 500 {
        tracing::error!(status, latency_ms, "request failed");
    } else {
        tracing::info!(status, latency_ms, "request");
    }
}

/// Drops a caller's request id that is too long or holds characters a log line should not
/// carry (a new one is made instead).
pub(crate) async fn sane_request_id(mut request: Request<Body>, next: Next) -> Response<Body> {
    let insane = request.headers().get(&REQUEST_ID).is_some_and(|v| {
        v.len() > MAX_REQUEST_ID
            || !v
                .as_bytes()
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
    });
    if insane {
        request.headers_mut().remove(&REQUEST_ID);
    }
    next.run(request).await
}

/// While the server drains, new requests are answered 503 (the probes and metrics still
/// answer).
pub(crate) async fn refuse_while_draining(
    State(state): State<AppState>,
    request: Request<Body>,
    next: Next,
) -> Response<Body> {
    let probe = matches!(request.uri().path(), "/healthz" | "/readyz" | "/metrics");
    if state.lifecycle.draining() && !probe {
        let mut response = Problem::overloaded(
            "the server is stopping; try another node or again shortly",
            Duration::from_secs(5),
        )
        .into_response();
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        return response;
    }
    next.run(request).await
}

/// `GET /readyz`: 200 when serving and the database answers; 503 while starting, draining, or
/// when the database does not answer within 2 s.
pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let json = |status: StatusCode, body: serde_json::Value| (status, axum::Json(body));
    if state.lifecycle.draining() {
        return json(
            StatusCode::SERVICE_UNAVAILABLE,
            serde_json::json!({"status": "draining"}),
        );
    }
    if !state.lifecycle.ready() {
        return json(
            StatusCode::SERVICE_UNAVAILABLE,
            serde_json::json!({"status": "starting"}),
        );
    }
    match tokio::time::timeout(Duration::from_secs(2), state.store.ping()).await {
        Ok(Ok(())) => json(
            StatusCode::OK,
            serde_json::json!({"status": "ready", "database": "ok", "runtime": "ok"}),
        ),
        Ok(Err(error)) => {
            tracing::error!(%error, "readiness: the database does not answer");
            json(
                StatusCode::SERVICE_UNAVAILABLE,
                serde_json::json!({"status": "unavailable", "database": "error"}),
            )
        }
        Err(_) => json(
            StatusCode::SERVICE_UNAVAILABLE,
            serde_json::json!({"status": "unavailable", "database": "timeout"}),
        ),
    }
}

/// `GET /metrics`: the Prometheus text format, as the operator allows.
pub async fn metrics_route(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    match &*state.metrics_access {
        MetricsAccess::Off => {
            return Problem::not_found("metrics are off on this server (`--metrics`)")
                .into_response();
        }
        MetricsAccess::Open => {}
        MetricsAccess::Token(expected) => {
            let given = headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .unwrap_or_default();
            if !constant_time_eq(given.as_bytes(), expected.as_bytes()) {
                return Problem::unauthorized(
                    "`/metrics` needs the metrics token: `Authorization: Bearer <token>`",
                )
                .into_response();
            }
        }
    }
    metrics::gauge!("plugboard_spec_jobs_in_flight").set(state.spec_work.in_flight() as f64);
    let (size, idle) = state.store.pool_stats();
    metrics::gauge!("plugboard_db_connections", "state" => "idle").set(f64::from(idle));
    metrics::gauge!("plugboard_db_connections", "state" => "in_use")
        .set(f64::from(size.saturating_sub(idle)));
    let (hits, misses) = state.store.cache_stats();
    metrics::counter!("plugboard_store_cache_reads_total", "result" => "hit").absolute(hits);
    metrics::counter!("plugboard_store_cache_reads_total", "result" => "miss").absolute(misses);
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        prometheus().render(),
    )
        .into_response()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq as _;
    a.ct_eq(b).into()
}
