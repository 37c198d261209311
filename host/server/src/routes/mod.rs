//! Route handlers, one module per resource.

pub mod bundles;
pub mod installations;
pub mod integrations;
pub mod organizations;
pub mod tenants;

use axum::http::header;
use axum::response::IntoResponse;

/// The API's own OpenAPI document.
pub async fn openapi() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        include_str!("../openapi.json"),
    )
}

/// Liveness.
pub async fn health() -> &'static str {
    "ok"
}
