//! Users and API tokens: an admin lists users, changes a role, removes a user; every user
//! lists, makes, revokes and rotates their own API tokens (an admin also those of the users
//! they reach). A token is shown once, when made; lists never carry it. `me` stands for the
//! caller in `/v1/users/{user}/...`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use plugboard_store::{Role, User};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::Caller;
use crate::paging::{self, Paging};
use crate::problem::{ApiResult, JsonBody, Problem};

/// `GET /v1/organizations/{org}/users` (admin): the organization's users (not those of the
/// organizations below it).
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(org): Path<String>,
    Paging(page): Paging,
) -> ApiResult<Json<Value>> {
    caller.reach(&state, &org).await?;
    caller.require(Role::Admin)?;
    paging::answer("users", state.store.users(&org, &page).await?)
}

/// A user the caller reaches: themselves (`me` or their id), or, for an admin, a user of their
/// organization or one below it. Anyone else is "not found".
async fn target(state: &AppState, caller: &Caller, id: &str, manage: bool) -> ApiResult<User> {
    if id == "me" || id == caller.0.id {
        return Ok(caller.0.clone());
    }
    let not_found = || Problem::not_found(format!("user `{id}` not found"));
    let user = state.store.user(id).await.map_err(|_| not_found())?;
    caller
        .reach(state, &user.organization_id)
        .await
        .map_err(|_| not_found())?;
    if manage {
        caller.require(Role::Admin)?;
    }
    Ok(user)
}

/// Body of `PATCH /v1/users/{user}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserChange {
    role: String,
}

/// `PATCH /v1/users/{user}` (admin): changes a user's role. The root organization keeps at
/// least one admin.
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: JsonBody<UserChange>,
) -> ApiResult<Json<User>> {
    let Json(body) = body?;
    caller.require(Role::Admin)?;
    let user = target(&state, &caller, &id, true).await?;
    let role = Role::parse(&body.role).ok_or_else(|| {
        Problem::unprocessable(format!("role `{}`: use admin, editor or viewer", body.role))
            .with_fields(["role".to_string()])
    })?;
    let updated = state.store.set_role(&user.id, role).await?;
    super::audit(
        &state,
        &caller,
        Some(&user.organization_id),
        "user.role",
        &user.id,
        &format!("{} -> {}", user.role.as_str(), role.as_str()),
    )
    .await?;
    Ok(Json(updated))
}

/// `DELETE /v1/users/{user}` (admin): removes a user and their API tokens. The root
/// organization keeps at least one admin.
pub async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    caller.require(Role::Admin)?;
    let user = target(&state, &caller, &id, true).await?;
    state.store.remove_user(&user.id).await?;
    super::audit(
        &state,
        &caller,
        Some(&user.organization_id),
        "user.remove",
        &user.id,
        &user.name,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /v1/users/{user}/tokens`: the user's API tokens (ids, names, dates; never a token).
pub async fn tokens(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Paging(page): Paging,
) -> ApiResult<Json<Value>> {
    let user = target(&state, &caller, &id, true).await?;
    paging::answer("tokens", state.store.api_tokens(&user.id, &page).await?)
}

/// Body of `POST /v1/users/{user}/tokens`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    name: String,
}

/// `POST /v1/users/{user}/tokens`: a new API token, in the answer once (`token`).
pub async fn create_token(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: JsonBody<NewToken>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let Json(body) = body?;
    let user = target(&state, &caller, &id, true).await?;
    let (listed, token) = state
        .store
        .create_api_token(&user.id, &body.name)
        .await
        .map_err(|e| Problem::from(e).with_fields(["name".to_string()]))?;
    super::audit(
        &state,
        &caller,
        Some(&user.organization_id),
        "token.create",
        &listed.id,
        &format!("{} for {}", listed.name, user.id),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"api_token": listed, "token": token})),
    ))
}

/// `DELETE /v1/users/{user}/tokens/{token}`: revokes an API token (at once: the next request
/// with it is refused).
pub async fn revoke_token(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, token)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let user = target(&state, &caller, &id, true).await?;
    state.store.revoke_api_token(&user.id, &token).await?;
    super::audit(
        &state,
        &caller,
        Some(&user.organization_id),
        "token.revoke",
        &token,
        &user.id,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /v1/users/{user}/tokens/{token}/rotate`: replaces an API token by a new one with the
/// same name (the old one stops working); the new one is in the answer once.
pub async fn rotate_token(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, token)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let user = target(&state, &caller, &id, true).await?;
    let (listed, secret) = state.store.rotate_api_token(&user.id, &token).await?;
    super::audit(
        &state,
        &caller,
        Some(&user.organization_id),
        "token.rotate",
        &token,
        &format!("replaced by {}", listed.id),
    )
    .await?;
    Ok(Json(json!({"api_token": listed, "token": secret})))
}
