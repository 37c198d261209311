//! The Plugboard platform's REST API (axum).
//!
//! Every route but the console's files (`/`, `/console/...`), `/v1/meta`, `/openapi.json`, `/healthz` and
//! the OAuth callback (`/v1/oauth/callback`, which checks its `state`) needs an API token. Roles: a viewer reads, an
//! editor also authors, finalizes, installs and invokes, an admin also manages organizations,
//! users and the custom-integrations switch. A caller reaches their organization and every
//! organization below it; anything else answers 404, as if it did not exist. Errors are
//! `application/problem+json` (RFC 9457).

mod auth;
mod change_report;
mod console;
mod ops;
mod paging;
mod problem;
mod regression;
mod routes;
mod spec_work;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::{delete, get, patch, post, put};
use plugboard_runtime::Runtime;
use plugboard_store::{Sealer, Store};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

pub use change_report::change_report;
pub use ops::{Lifecycle, MetricsAccess, RateLimits};
pub use problem::Problem;
pub use spec_work::{Cost, SpecLimits};

/// Errors of setting the server up.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] plugboard_store::Error),
    /// Listening failed.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
}

/// Shared state of the handlers: one reference-counted pointer, because axum clones the state
/// for every handler and middleware of every request.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What [`AppState`] points to.
#[derive(Clone)]
pub struct Shared {
    /// The store.
    pub store: Store,
    /// The component runtime.
    pub runtime: Arc<Runtime>,
    /// Seals and opens installation credentials.
    pub sealer: Sealer,
    /// Who may sign third-party bundles.
    pub trust: Arc<BundleTrust>,
    /// Job slots and the memory budget of spec work.
    spec_work: spec_work::SpecWork,
    /// Largest body of the routes that are not spec work.
    max_body_bytes: usize,
    /// The address browsers reach the server at (the OAuth callback's base), if set.
    public_url: Option<Arc<str>>,
    /// Ready, draining.
    pub lifecycle: Arc<Lifecycle>,
    /// Who may read `/metrics`.
    metrics_access: Arc<MetricsAccess>,
    /// Per-token rate limits, if the operator set them.
    token_limiter: Option<Arc<ops::TokenLimiter>>,
    /// Caps on metric label values that come from callers' data.
    labels: Arc<Labels>,
    /// Where the console's files are read from instead of the binary, if set.
    console_dir: console::ConsoleDir,
}

/// Caps on the label values of call metrics.
pub(crate) struct Labels {
    integrations: ops::LabelCap,
    actions: ops::LabelCap,
}

/// Largest body of a route that is not spec work, by default (an invoke's input, a
/// configuration): 8 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 8 << 20;

/// Which third-party bundles the platform accepts.
#[derive(Debug, Clone, Default)]
pub struct BundleTrust {
    /// Trusted Ed25519 public keys (base64).
    pub keys: Vec<String>,
    /// Accept unsigned bundles and bundles signed by other keys too (an operator's choice).
    pub allow_untrusted: bool,
}

impl AppState {
    /// State over a store, a runtime and a sealer.
    pub fn new(store: Store, runtime: Arc<Runtime>, sealer: Sealer) -> AppState {
        AppState(Arc::new(Shared {
            store,
            runtime,
            sealer,
            trust: Arc::default(),
            spec_work: spec_work::SpecWork::new(SpecLimits::default()),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            public_url: None,
            lifecycle: Arc::default(),
            metrics_access: Arc::default(),
            token_limiter: None,
            labels: Arc::new(Labels {
                integrations: ops::LabelCap::new(),
                actions: ops::LabelCap::new(),
            }),
            console_dir: None,
        }))
    }

    /// The state to change while it is being set up (cloned if it was shared already).
    fn setup(&mut self) -> &mut Shared {
        Arc::make_mut(&mut self.0)
    }

    /// The same state with the console's files read from `dir` on each request instead of
    /// the ones built in (for developing the console without rebuilding the server).
    pub fn with_console_dir(mut self, dir: std::path::PathBuf) -> AppState {
        self.setup().console_dir = Some(Arc::new(dir));
        self
    }

    /// The same state with limits on spec work.
    pub fn with_spec_limits(mut self, limits: SpecLimits) -> AppState {
        self.setup().spec_work = spec_work::SpecWork::new(limits);
        self
    }

    /// The same state with the largest body of the routes that are not spec work.
    pub fn with_max_body(mut self, bytes: usize) -> AppState {
        self.setup().max_body_bytes = bytes;
        self
    }

    /// The same state with the address browsers reach the server at (such as
    /// `https://plugboard.example.com`): the OAuth callback is below it.
    pub fn with_public_url(mut self, url: &str) -> AppState {
        self.setup().public_url = Some(Arc::from(url.trim_end_matches('/')));
        self
    }

    /// The same state with `/metrics` served as `access` says.
    pub fn with_metrics(mut self, access: MetricsAccess) -> AppState {
        if access != MetricsAccess::Off {
            ops::prometheus();
        }
        self.setup().metrics_access = Arc::new(access);
        self
    }

    /// The same state with per-token API rate limits (429 with `Retry-After` past them).
    pub fn with_rate_limits(mut self, limits: RateLimits) -> AppState {
        self.setup().token_limiter = ops::TokenLimiter::new(limits).map(Arc::new);
        self
    }

    /// The same state with a bundle trust policy.
    pub fn with_trust(mut self, trust: BundleTrust) -> AppState {
        self.setup().trust = Arc::new(trust);
        self
    }
}

/// The API's routes.
pub fn router(state: AppState) -> Router {
    use routes::{installations as ins, integrations as int, organizations as org};
    Router::new()
        .route("/", get(console::page))
        .route("/console/{file}", get(console::file))
        .route("/v1/meta", get(console::meta))
        .route("/openapi.json", get(routes::openapi))
        .route("/healthz", get(routes::health))
        .route("/v1/me", get(org::me))
        .route("/v1/organizations", get(org::list).post(org::create))
        .route(
            "/v1/organizations/{org}/custom-integrations",
            put(org::set_custom_integrations),
        )
        .route(
            "/v1/organizations/{org}/users",
            get(routes::users::list).post(org::create_user),
        )
        .route(
            "/v1/users/{user}",
            patch(routes::users::update).delete(routes::users::remove),
        )
        .route(
            "/v1/users/{user}/tokens",
            get(routes::users::tokens).post(routes::users::create_token),
        )
        .route(
            "/v1/users/{user}/tokens/{token}",
            delete(routes::users::revoke_token),
        )
        .route(
            "/v1/users/{user}/tokens/{token}/rotate",
            post(routes::users::rotate_token),
        )
        .route("/v1/organizations/{org}/audit", get(org::audit))
        .route("/v1/lint", post(int::lint))
        .route("/v1/clean", post(int::clean))
        .route(
            "/v1/organizations/{org}/integrations",
            get(int::list).post(int::create),
        )
        .route(
            "/v1/organizations/{org}/integrations/import",
            post(int::import),
        )
        .route("/v1/organizations/{org}/installable", get(int::installable))
        .route(
            "/v1/organizations/{org}/integrations/bundle",
            post(routes::bundles::upload),
        )
        .route("/v1/integrations/{id}", get(int::get).delete(int::delete))
        .route("/v1/integrations/{id}/definition", put(int::update))
        .route("/v1/integrations/{id}/icon", get(int::icon))
        .route(
            "/v1/integrations/{id}/actions/regex-replace",
            post(routes::actions::regex_replace),
        )
        .route(
            "/v1/integrations/{id}/actions/{action}",
            patch(routes::actions::patch),
        )
        .route("/v1/integrations/{id}/finalize", post(int::finalize))
        .route("/v1/integrations/{id}/probe", post(routes::probe::probe))
        .route("/v1/integrations/{id}/status", put(int::set_status))
        .route("/v1/integrations/{id}/export", get(int::export))
        .route("/v1/integrations/{id}/versions", get(int::versions))
        .route(
            "/v1/integrations/{id}/versions/{version}/recordings",
            get(int::recordings),
        )
        .route(
            "/v1/integrations/{id}/versions/{version}",
            delete(int::retire_version),
        )
        .route(
            "/v1/organizations/{org}/installations",
            get(ins::list).post(ins::install),
        )
        .route(
            "/v1/installations/{id}",
            get(ins::get).delete(ins::uninstall),
        )
        .route(
            "/v1/installations/{id}/oauth/authorize",
            post(routes::oauth::authorize),
        )
        .route(
            "/v1/installations/{id}/connections",
            get(routes::oauth::connections),
        )
        .route(routes::oauth::CALLBACK_PATH, get(routes::oauth::callback))
        .route(
            "/v1/installations/{id}/configurations/{name}",
            get(ins::get_configuration)
                .put(ins::configure)
                .delete(ins::delete_configuration),
        )
        .route(
            "/v1/installations/{id}/actions/{action}/invoke",
            post(ins::invoke),
        )
        .route(
            "/v1/installations/{id}/tenant-source",
            put(routes::tenants::set_source),
        )
        .route("/v1/installations/{id}/tenants", get(routes::tenants::list))
        .route(
            "/v1/installations/{id}/tenants/fetch",
            post(routes::tenants::fetch),
        )
        .route(
            "/v1/installations/{id}/tenants/{tenant}",
            put(routes::tenants::map),
        )
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics_route))
        // Spec routes read their bodies themselves, within the spec-work limit (`SpecBody`).
        .layer(axum::extract::DefaultBodyLimit::max(state.max_body_bytes))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            ops::refuse_while_draining,
        ))
        .layer(
            tower::ServiceBuilder::new()
                .layer(axum::middleware::from_fn(ops::sane_request_id))
                .layer(SetRequestIdLayer::new(
                    ops::REQUEST_ID.clone(),
                    MakeRequestUuid,
                ))
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(ops::request_span)
                        .on_request(())
                        .on_response(ops::log_response)
                        .on_failure(()),
                )
                .layer(PropagateRequestIdLayer::new(ops::REQUEST_ID.clone())),
        )
        .with_state(state)
}

/// On a new database: the root organization (custom integrations on) and its first admin, in
/// one transaction, once however many hosts start together. Returns the admin's API token,
/// shown once.
pub async fn bootstrap(store: &Store) -> Result<Option<String>, Error> {
    Ok(store.bootstrap().await?.map(|(_, _, token)| token))
}

/// Serves the API on `addr` until the process ends.
pub async fn serve(state: AppState, addr: SocketAddr) -> Result<(), Error> {
    serve_on(state, bind(addr).await?).await
}

/// Binds the API's address (before anything is created, so that a taken port fails first).
pub async fn bind(addr: SocketAddr) -> Result<tokio::net::TcpListener, Error> {
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| Error::Listen { addr, source })
}

/// Serves the API on a bound listener until the process ends.
pub async fn serve_on(state: AppState, listener: tokio::net::TcpListener) -> Result<(), Error> {
    serve_until(state, listener, std::future::pending(), Duration::MAX).await
}

/// Serves the API on a bound listener until `stop` resolves (a signal), then drains: new
/// requests are answered 503 (`/readyz` too), no new connections are taken, and requests in
/// flight get up to `grace` to finish; then the store is closed.
pub async fn serve_until(
    state: AppState,
    listener: tokio::net::TcpListener,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
    grace: Duration,
) -> Result<(), Error> {
    let local = listener.local_addr().map_err(|source| Error::Listen {
        addr: SocketAddr::from(([0, 0, 0, 0], 0)),
        source,
    })?;
    tracing::info!(%local, "serving");
    eprintln!("plugboard: serving on http://{local}");
    let lifecycle = state.lifecycle.clone();
    let store = state.store.clone();
    lifecycle.set_ready();
    let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
    let draining = lifecycle.clone();
    let server = axum::serve(listener, router(state)).with_graceful_shutdown(async move {
        stop.await;
        draining.start_draining();
        tracing::info!("stopping: no new requests; waiting for those in flight");
        let _ = stopping_tx.send(());
    });
    let deadline = async move {
        if stopping_rx.await.is_err() {
            return std::future::pending().await;
        }
        tokio::time::sleep(grace).await;
    };
    tokio::select! {
        result = server => result.map_err(|source| Error::Listen { addr: local, source })?,
        () = deadline => tracing::warn!(
            grace_secs = grace.as_secs(),
            "stopping: the grace period ended with requests still in flight"
        ),
    }
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}
