//! OAuth 2.0 authorization code consent on the platform: a user starts consent for one
//! configuration of an installation, the provider redirects the browser to the public callback,
//! and the tokens land sealed in the store under the configuration's credential key, where
//! invocations find them. The state and the PKCE verifier stay on the server, bound to the
//! installation, the configuration (at its credentials revision) and the user; single use;
//! 10 minutes.

use axum::Json;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use plugboard_manifest::{Auth, Grant, OAuth2};
use plugboard_oauth::authorize::{self, PendingAuthorization};
use plugboard_store::{Configuration, Consent, Installation, Role, TakenConsent};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::Digest as _;

use super::installations::{reachable, version_bundle};
use crate::AppState;
use crate::auth::Caller;
use crate::problem::{ApiResult, Problem, optional_body};

/// How long a started consent is accepted.
pub const CONSENT_LIFETIME_SECS: i64 = 600;

/// The path of the public callback (below the server's public URL).
pub const CALLBACK_PATH: &str = "/v1/oauth/callback";

/// The key of a configuration's OAuth token state: new credentials (a new revision) start
/// with no tokens, and so does a scope of its own (tokens of another scope are not reused).
pub(crate) fn credential_key(installation: &str, configuration: &Configuration) -> String {
    let key = format!(
        "{installation}/{}/{}",
        configuration.name, configuration.revision
    );
    match configuration.auth.get("scope").and_then(Value::as_str) {
        Some(scope) => {
            let digest = sha2::Sha256::digest(scope.as_bytes());
            format!("{key}/{}", hex::encode(&digest[..6]))
        }
        None => key,
    }
}

/// The OAuth 2.0 settings of an installation's version, if it uses OAuth.
/// The OAuth 2.0 settings of an installation's version, if it uses OAuth, with a
/// configuration's overrides (its scope).
async fn oauth_settings(
    state: &AppState,
    installation: &Installation,
    configuration: &Configuration,
) -> ApiResult<Option<OAuth2>> {
    let (_, bundle) =
        version_bundle(state, &installation.integration_id, installation.version).await?;
    let overrides = super::installations::stored_overrides(configuration)?;
    Ok(match overrides.effective(&bundle.header().auth) {
        Auth::OAuth2(settings) => Some(std::sync::Arc::unwrap_or_clone(settings)),
        _ => None,
    })
}

/// Body of `POST /v1/installations/{id}/oauth/authorize`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Authorize {
    /// The configuration to authorize (default: the default one).
    configuration: Option<String>,
}

/// Answer of `POST /v1/installations/{id}/oauth/authorize`.
#[derive(Debug, Serialize)]
pub struct ConsentStarted {
    /// Where to send the user's browser.
    consent_url: String,
    /// Where the provider sends the browser back (register it with the provider).
    redirect_uri: String,
    /// The configuration being authorized.
    configuration: String,
    /// When the consent stops being accepted (Unix seconds).
    expires_at: i64,
}

/// `POST /v1/installations/{id}/oauth/authorize` (editor): starts consent for a configuration
/// of an installation whose integration uses the authorization code grant, and returns the URL
/// to open in the user's browser.
pub async fn authorize(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult<Json<ConsentStarted>> {
    let body: Authorize = optional_body(&body)?;
    let installation = reachable(&state, &caller, &id).await?;
    caller.require(Role::Editor)?;
    let Some(public_url) = state.public_url.as_deref() else {
        return Err(Problem::conflict(
            "this server has no public URL for the OAuth callback: its operator starts it with \
             `plugboard serve --public-url https://...` (the address browsers reach it at)",
        ));
    };
    let configuration = state
        .store
        .configuration(&id, body.configuration.as_deref(), &state.sealer)
        .await
        .map_err(|e| match e {
            plugboard_store::Error::NotFound(what) => {
                Problem::not_found(format!("{what} not found"))
                    .with_fields(["configuration".into()])
            }
            other => other.into(),
        })?;
    let settings = match oauth_settings(&state, &installation, &configuration).await? {
        Some(settings) if settings.grant == Grant::AuthorizationCode => settings,
        Some(_) => {
            return Err(Problem::conflict(
                "this integration uses the OAuth 2.0 client credentials grant: it needs no \
                 consent, the platform obtains tokens with the client id and secret",
            ));
        }
        None => {
            return Err(Problem::conflict(
                "this integration does not use OAuth 2.0: there is nothing to consent to",
            ));
        }
    };
    let client = client_of(&configuration).ok_or_else(|| {
        Problem::unprocessable(format!(
            "configuration `{}` has no `client_id` credential: set it (PUT \
                 /v1/installations/{id}/configurations/{}) before consent",
            configuration.name, configuration.name
        ))
        .with_fields(["credentials.client_id".into()])
    })?;
    let redirect_uri = format!("{}{CALLBACK_PATH}", public_url.trim_end_matches('/'));
    let pending = authorize::begin(&settings, &client, &redirect_uri)
        .map_err(|e| Problem::conflict(e.to_string()))?;
    let expires_at = unix_now() + CONSENT_LIFETIME_SECS;
    let consent = Consent {
        installation_id: id.clone(),
        configuration: configuration.name.clone(),
        // New credentials or another scope make the consent stale.
        credential_key: credential_key(&id, &configuration),
        user_id: caller.0.id.clone(),
        redirect_uri: redirect_uri.clone(),
        verifier: pending.verifier().to_string(),
        expires_at,
    };
    state
        .store
        .begin_consent(&pending.state, &consent, &state.sealer)
        .await?;
    super::audit(
        &state,
        &caller,
        Some(&installation.organization_id),
        "installation.oauth_authorize",
        &id,
        &configuration.name,
    )
    .await?;
    Ok(Json(ConsentStarted {
        consent_url: pending.consent_url,
        redirect_uri,
        configuration: configuration.name,
        expires_at,
    }))
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The small page the browser lands on after consent.
fn page(status: StatusCode, title: &str, message: &str, back: Option<&str>) -> Response {
    let link = back
        .map(|href| {
            format!(
                "<p><a href=\"{}\">Back to the installation</a></p>",
                html_escape::encode_double_quoted_attribute(href)
            )
        })
        .unwrap_or_default();
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>\
         </head><body><h1 data-test=\"oauth-result\">{title}</h1><p data-test=\"oauth-message\">{message}</p>{link}\
         </body></html>",
        title = html_escape::encode_text(title),
        message = html_escape::encode_text(message),
    );
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; frame-ancestors 'none'",
            ),
            (header::CACHE_CONTROL, "no-store"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        html,
    )
        .into_response()
}

/// The callback's query, as far as the platform reads it.
#[derive(Debug, Deserialize)]
pub struct CallbackQuery {
    state: Option<String>,
}

/// `GET /v1/oauth/callback` (public: the provider redirects the user's browser here). The
/// state is checked first; then the code is exchanged and the tokens stored. Answers a page
/// that says it is done, or what failed.
pub async fn callback(
    State(state): State<AppState>,
    Query(query): Query<CallbackQuery>,
    RawQuery(raw): RawQuery,
) -> Response {
    let failed = |status, message: &str, back: Option<&str>| {
        page(status, "Authorization failed", message, back)
    };
    let Some(consent_state) = query.state.filter(|s| !s.is_empty()) else {
        return failed(
            StatusCode::BAD_REQUEST,
            "The request has no `state`: it is not the provider's answer to a consent started here.",
            None,
        );
    };
    let consent = match state
        .store
        .take_consent(&consent_state, &state.sealer)
        .await
    {
        Ok(TakenConsent::Pending(consent)) => consent,
        Ok(TakenConsent::Expired) => {
            return failed(
                StatusCode::BAD_REQUEST,
                "This consent took more than 10 minutes and has expired. Start it again.",
                None,
            );
        }
        Ok(TakenConsent::Unknown) => {
            return failed(
                StatusCode::BAD_REQUEST,
                "This consent is unknown or was already used. Start it again.",
                None,
            );
        }
        Err(error) => {
            tracing::error!(%error, "reading a consent failed");
            return failed(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The server could not read this consent; try again later.",
                None,
            );
        }
    };
    let back = format!("/#/installation/{}", consent.installation_id);
    match complete(
        &state,
        &consent,
        &consent_state,
        raw.as_deref().unwrap_or_default(),
    )
    .await
    {
        Ok(organization) => {
            let audited = state
                .store
                .audit(
                    Some(&organization),
                    Some(&consent.user_id),
                    "installation.oauth_connect",
                    &consent.installation_id,
                    &consent.configuration,
                )
                .await;
            if let Err(error) = audited {
                tracing::error!(%error, "auditing a consent failed");
            }
            page(
                StatusCode::OK,
                "Connected",
                &format!(
                    "Configuration `{}` is authorized; the platform now obtains and refreshes its tokens. You can close this window.",
                    consent.configuration
                ),
                Some(&back),
            )
        }
        Err(message) => failed(StatusCode::BAD_REQUEST, &message, Some(&back)),
    }
}

/// Exchanges the code of a consent and stores the tokens; returns the installation's
/// organization, or what failed in words for the user.
async fn complete(
    state: &AppState,
    consent: &Consent,
    consent_state: &str,
    query: &str,
) -> Result<String, String> {
    let pending =
        PendingAuthorization::resume(&consent.redirect_uri, consent_state, &consent.verifier);
    let code = authorize::code_from_callback(&pending, query).map_err(|e| e.to_string())?;
    let gone = || "The installation or its configuration no longer exists.".to_string();
    let installation = state
        .store
        .installation(&consent.installation_id)
        .await
        .map_err(|_| gone())?;
    let configuration = state
        .store
        .configuration(
            &consent.installation_id,
            Some(&consent.configuration),
            &state.sealer,
        )
        .await
        .map_err(|_| gone())?;
    if credential_key(&installation.id, &configuration) != consent.credential_key {
        return Err(format!(
            "The credentials or scope of configuration `{}` changed while consent was in progress; start consent again.",
            consent.configuration
        ));
    }
    let settings = oauth_settings(state, &installation, &configuration)
        .await
        .map_err(|p| p.detail)?
        .ok_or("The integration no longer uses OAuth 2.0.")?;
    let client = client_of(&configuration)
        .ok_or("The configuration has no `client_id` credential any more.")?;
    state
        .runtime
        .tokens()
        .complete_authorization(
            &credential_key(&installation.id, &configuration),
            &settings,
            &client,
            &pending,
            &code,
        )
        .await
        .map_err(|e| format!("Exchanging the code for tokens failed: {e}"))?;
    Ok(installation.organization_id)
}

/// The OAuth client of a configuration's credentials.
fn client_of(configuration: &Configuration) -> Option<plugboard_oauth::Client> {
    plugboard_runtime::oauth_client(
        &configuration
            .credentials
            .clone()
            .into_iter()
            .collect::<plugboard_runtime::Credentials>(),
    )
}

/// The state of one configuration's connection to the provider.
#[derive(Debug, Serialize)]
pub struct Connection {
    /// The configuration's name.
    configuration: String,
    /// `connected`, `needs_consent`, `failing`, `not_connected` (client credentials not used
    /// yet), `missing_credentials`, or `not_oauth` (the integration does not use OAuth 2.0).
    status: &'static str,
    /// The provider's error (or the transport's) of the last failed token request.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    /// When the current access token expires (Unix seconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<u64>,
    /// Whether a refresh token is stored.
    has_refresh_token: bool,
    /// Whether consent (again) fixes it: start it with `POST .../oauth/authorize`.
    consent: bool,
}

/// `GET /v1/installations/{id}/connections`: per configuration, whether calls can get tokens
/// (never a token itself).
pub async fn connections(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let installation = reachable(&state, &caller, &id).await?;
    let mut out = Vec::with_capacity(installation.configurations.len());
    for name in &installation.configurations {
        let configuration = state
            .store
            .configuration(&id, Some(name), &state.sealer)
            .await?;
        let settings = oauth_settings(&state, &installation, &configuration).await?;
        out.push(connection(&state, &installation, &configuration, settings.as_ref()).await?);
    }
    Ok(Json(serde_json::json!({"connections": out})))
}

async fn connection(
    state: &AppState,
    installation: &Installation,
    configuration: &Configuration,
    settings: Option<&OAuth2>,
) -> ApiResult<Connection> {
    let mut connection = Connection {
        configuration: configuration.name.clone(),
        status: "not_oauth",
        error: None,
        expires_at: None,
        has_refresh_token: false,
        consent: false,
    };
    let Some(settings) = settings else {
        return Ok(connection);
    };
    let consent_grant = settings.grant == Grant::AuthorizationCode;
    if client_of(configuration).is_none() {
        connection.status = "missing_credentials";
        return Ok(connection);
    }
    let status = state
        .runtime
        .tokens()
        .status(&credential_key(&installation.id, configuration))
        .await
        .map_err(Problem::internal)?;
    let Some(status) = status else {
        // A `refresh_token` credential is used at the first call.
        let seeded = configuration.credentials.contains_key("refresh_token");
        connection.status = match (consent_grant, seeded) {
            (true, false) => "needs_consent",
            _ => "not_connected",
        };
        connection.consent = consent_grant;
        return Ok(connection);
    };
    connection.expires_at = status.expires_at;
    connection.has_refresh_token = status.has_refresh_token;
    connection.error = status.failure.as_ref().map(|f| f.message.clone());
    let needs_consent = consent_grant && !status.authorized(unix_now().max(0) as u64);
    connection.status = if needs_consent {
        "needs_consent"
    } else if status.failure.is_some() {
        "failing"
    } else {
        "connected"
    };
    connection.consent = consent_grant;
    Ok(connection)
}
