//! Organizations, users and the audit log.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use plugboard_store::{AuditFilter, Organization, PageRequest, Role};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::Caller;
use crate::paging::{self, Paging};
use crate::problem::{ApiResult, Problem};

/// `GET /v1/me`.
pub async fn me(caller: Caller) -> Json<Value> {
    Json(json!({"user": caller.0}))
}

/// `GET /v1/organizations`: a page of the caller's organization and everything below it (by
/// depth, then name).
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Paging(page): Paging,
) -> ApiResult<Json<Value>> {
    let organizations = state
        .store
        .subtree_page(&caller.0.organization_id, &page)
        .await?;
    paging::answer("organizations", organizations)
}

/// Body of `POST /v1/organizations`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewOrganization {
    name: String,
    /// Default: the caller's organization.
    parent_id: Option<String>,
}

/// `POST /v1/organizations` (admin).
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Json<NewOrganization>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<(StatusCode, Json<Organization>)> {
    let Json(body) = body?;
    caller.require(Role::Admin)?;
    let parent = body
        .parent_id
        .unwrap_or_else(|| caller.0.organization_id.clone());
    caller.reach(&state, &parent).await?;
    let organization = state
        .store
        .create_organization(&body.name, Some(&parent), false)
        .await?;
    super::audit(
        &state,
        &caller,
        Some(&parent),
        "organization.create",
        &organization.id,
        &organization.name,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(organization)))
}

/// Body of `PUT /v1/organizations/{org}/custom-integrations`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Switch {
    enabled: bool,
}

/// `PUT /v1/organizations/{org}/custom-integrations` (admin only).
pub async fn set_custom_integrations(
    State(state): State<AppState>,
    caller: Caller,
    Path(org): Path<String>,
    body: Result<Json<Switch>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<Json<Organization>> {
    let Json(body) = body?;
    caller.reach(&state, &org).await?;
    caller.require(Role::Admin)?;
    let organization = state
        .store
        .set_custom_integrations(&org, body.enabled)
        .await?;
    super::audit(
        &state,
        &caller,
        Some(&org),
        "organization.custom_integrations",
        &org,
        if body.enabled { "enabled" } else { "disabled" },
    )
    .await?;
    Ok(Json(organization))
}

/// Body of `POST /v1/organizations/{org}/users`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    name: String,
    role: String,
}

/// `POST /v1/organizations/{org}/users` (admin): the new user's API token is in the answer,
/// once.
pub async fn create_user(
    State(state): State<AppState>,
    caller: Caller,
    Path(org): Path<String>,
    body: Result<Json<NewUser>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let Json(body) = body?;
    caller.reach(&state, &org).await?;
    caller.require(Role::Admin)?;
    let role = Role::parse(&body.role).ok_or_else(|| {
        Problem::unprocessable(format!("role `{}`: use admin, editor or viewer", body.role))
    })?;
    let (user, token) = state.store.create_user(&org, &body.name, role).await?;
    super::audit(
        &state,
        &caller,
        Some(&org),
        "user.create",
        &user.id,
        role.as_str(),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"user": user, "token": token})),
    ))
}

/// The audit log's query: its filters and the page (anything else is refused, as on every list).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    action: Option<String>,
    user_id: Option<String>,
    target: Option<String>,
    since: Option<i64>,
    until: Option<i64>,
    limit: Option<String>,
    cursor: Option<String>,
}

/// `GET /v1/organizations/{org}/audit` (admin): a page of its entries, newest first, narrowed by
/// `action` (or a dotted prefix: `token` finds `token.create`), `user_id`, `target` (a prefix),
/// `since` and `until` (Unix seconds).
pub async fn audit(
    State(state): State<AppState>,
    caller: Caller,
    Path(org): Path<String>,
    query: Result<Query<AuditQuery>, QueryRejection>,
) -> ApiResult<Json<Value>> {
    let Query(query) = query.map_err(|e| {
        Problem::bad_request(format!(
            "the query string: {}; the audit log takes `action`, `user_id`, `target`, `since`, `until`, `limit` and `cursor`",
            e.body_text()
        ))
    })?;
    let page = PageRequest::parse(query.cursor.as_deref(), query.limit.as_deref())?;
    let filter = AuditFilter {
        action: query.action,
        user_id: query.user_id,
        target: query.target,
        since: query.since,
        until: query.until,
    };
    caller.reach(&state, &org).await?;
    caller.require(Role::Admin)?;
    paging::answer(
        "entries",
        state.store.audit_log(&org, &filter, &page).await?,
    )
}
