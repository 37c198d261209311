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
