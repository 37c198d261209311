//! Route handlers, one module per resource.

pub mod actions;
pub mod bundles;
pub mod installations;
pub mod integrations;
pub mod oauth;
pub mod organizations;
pub mod probe;
pub mod tenants;
pub mod users;

use axum::http::header;
use axum::response::IntoResponse;

/// The API's own OpenAPI document.
pub async fn openapi() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        include_str!("../openapi.json"),
    )
}

/// The console's files, embedded in the binary.
const CONSOLE_HTML: &str = include_str!("../../console/index.html");
const CONSOLE_JS: &str = include_str!("../../console/app.js");
const CONSOLE_CSS: &str = include_str!("../../console/app.css");

/// Headers of every console file: same-origin only, nothing inline.
fn console(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
}

/// `GET /`: the console.
pub async fn console_page() -> impl IntoResponse {
    console("text/html; charset=utf-8", CONSOLE_HTML)
}

/// `GET /console/app.js`.
pub async fn console_script() -> impl IntoResponse {
    console("text/javascript; charset=utf-8", CONSOLE_JS)
}

/// `GET /console/app.css`.
pub async fn console_style() -> impl IntoResponse {
    console("text/css; charset=utf-8", CONSOLE_CSS)
}

/// Records what a caller did in an organization's audit log (never secrets).
pub(crate) async fn audit(
    state: &crate::AppState,
    caller: &crate::auth::Caller,
    organization: Option<&str>,
    action: &str,
    target: &str,
    detail: &str,
) -> crate::problem::ApiResult<()> {
    state
        .store
        .audit(organization, Some(&caller.0.id), action, target, detail)
        .await?;
    Ok(())
}

/// Liveness.
pub async fn health() -> &'static str {
    "ok"
}
