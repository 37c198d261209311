//! Who is calling (an API token in `Authorization: Bearer ...`) and what they may do: a role
//! in their organization, which reaches that organization and everything below it.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use plugboard_store::{Role, User};

use crate::AppState;
use crate::problem::{ApiResult, Problem};

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller(pub User);

impl FromRequestParts<AppState> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Caller> {
        let value = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| {
                Problem::unauthorized("send an API token: `Authorization: Bearer <token>`")
            })?;
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .map(str::trim)
            .ok_or_else(|| {
                Problem::unauthorized("the Authorization header must be `Bearer <token>`")
            })?;
        // Every authenticated request starts here: the cached reads it makes see every change
        // committed before it arrived, on any node.
        state.store.sync_cache().await?;
        let user = state
            .store
            .cached_user_by_token(token)
            .await?
            .ok_or_else(|| Problem::unauthorized("the API token is not valid"))?;
        // The access log names who called (the token by its id, never itself).
        let token_id = plugboard_store::api_token_id(token);
        let span = tracing::Span::current();
        span.record("organization", user.organization_id.as_str());
        span.record("user", user.id.as_str());
        span.record("token", token_id.as_str());
        if let Some(limiter) = &state.token_limiter
            && let Err(wait) = limiter.check(&token_id)
        {
            metrics::counter!("plugboard_http_rate_limited_total").increment(1);
            return Err(Problem::busy(
                format!(
                    "this API token's rate limit is reached; try again in {} ms",
                    wait.as_millis().max(1)
                ),
                wait,
            ));
        }
        Ok(Caller(user))
    }
}

impl Caller {
    /// Refuses callers below `role`.
    pub fn require(&self, role: Role) -> ApiResult<()> {
        if self.0.role >= role {
            Ok(())
        } else {
            Err(Problem::forbidden(format!(
                "this needs the {} role; you are {}",
                role.as_str(),
                self.0.role.as_str()
            )))
        }
    }

    /// Checks that `organization` is the caller's or below it; anything else is "not found"
    /// (another organization's things are not even acknowledged).
    pub async fn reach(&self, state: &AppState, organization: &str) -> ApiResult<()> {
        if state
            .store
            .cached_is_within(organization, &self.0.organization_id)
            .await?
        {
            Ok(())
        } else {
            Err(Problem::not_found(format!(
                "organization `{organization}` not found"
            )))
        }
    }
}
