//! Installations: a published integration installed in an organization with named
//! configurations (credentials sealed at rest, never returned), and invocations of its actions.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use plugboard_runtime::{
    AuthOverrides, Credentials, Error as RunError, Failure, InvokeOptions, Tap,
};
use plugboard_store::{ConfigurationChange, Installation, Role, Status};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use crate::AppState;
use crate::auth::Caller;
use crate::paging::{self, Paging};
use crate::problem::{ApiResult, JsonBody, Problem, not_found_as, optional_body};

/// Body of `POST /v1/organizations/{org}/installations` (`Debug` shows no credential).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Install {
    integration_id: String,
    /// Name of the first configuration (default `default`).
    configuration: Option<String>,
    #[serde(default)]
    credentials: BTreeMap<String, String>,
    #[serde(default)]
    config: Map<String, Value>,
    /// Overrides of the integration's auth settings (header name, preamble, scope, extra
    /// headers).
    #[serde(default)]
    auth: Map<String, Value>,
}

/// `POST /v1/organizations/{org}/installations` (editor): installs the integration's current
/// version. It must be published and owned by the organization or one above it.
pub async fn install(
    State(state): State<AppState>,
    caller: Caller,
    Path(org): Path<String>,
    body: JsonBody<Install>,
) -> ApiResult<(StatusCode, Json<Installation>)> {
    let Json(body) = body?;
    caller.reach(&state, &org).await?;
    caller.require(Role::Editor)?;
    let not_installable = || {
        Problem::not_found(format!(
            "integration `{}` not found among those installable here",
            body.integration_id
        ))
    };
    let integration = state
        .store
        .integration(&body.integration_id)
        .await
        .map_err(|e| not_found_as(e, not_installable))?;
    if !state
        .store
        .is_within(&org, &integration.organization_id)
        .await?
    {
        return Err(not_installable());
    }
    // Another organization's draft or hidden integration is not acknowledged; the caller's own
    // gets a precise answer.
    let own = state
        .store
        .is_within(&integration.organization_id, &caller.0.organization_id)
        .await?;
    if integration.status != Status::Published && !own {
        return Err(not_installable());
    }
    // The owner's switch: off blocks new installs (existing ones keep running).
    if !state
        .store
        .organization(&integration.organization_id)
        .await?
        .custom_integrations
        .0
    {
        return Err(Problem::forbidden(format!(
            "custom integrations are switched off for organization `{}`, which owns `{}`: no \
             new installs (existing installations keep running); an admin can switch them on",
            integration.organization_id, integration.id
        )));
    }
    if let Some(version) = integration.current_version {
        check_config_keys(&state, &integration.id, version, &body.config).await?;
        check_auth_overrides(&state, &integration.id, version, &body.auth).await?;
    }
    let installation = state
        .store
        .install(
            &org,
            &integration.id,
            body.configuration.as_deref().unwrap_or("default"),
            &ConfigurationChange {
                config: &body.config,
                auth: Some(&body.auth),
                credentials: Some(&body.credentials),
                default: true,
            },
            &state.sealer,
        )
        .await?;
    let version = installation.version;
    super::audit(
        &state,
        &caller,
        Some(&org),
        "installation.create",
        &installation.id,
        &format!("{} version {version}", integration.id),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(installation)))
}

/// `GET /v1/organizations/{org}/installations`: a page of them.
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(org): Path<String>,
    Paging(page): Paging,
) -> ApiResult<Json<Value>> {
    caller.reach(&state, &org).await?;
    paging::answer(
        "installations",
        state.store.installations(&org, &page).await?,
    )
}

/// An installation the caller reaches (a cached read: call it before the request changes
/// anything).
pub(crate) async fn reachable(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> ApiResult<Installation> {
    let not_found = || Problem::not_found(format!("installation `{id}` not found"));
    let installation = state
        .store
        .cached_installation(id)
        .await
        .map_err(|_| not_found())?;
    caller
        .reach(state, &installation.organization_id)
        .await
        .map_err(|_| not_found())?;
    Ok(installation)
}

/// `GET /v1/installations/{id}` (never shows credentials).
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Installation>> {
    Ok(Json(reachable(&state, &caller, &id).await?))
}

/// Query of `DELETE /v1/installations/{id}`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UninstallQuery {
    /// Uninstall even while organizations are mapped to the installation's tenants.
    #[serde(default)]
    force: bool,
}

/// The OAuth credential keys of an installation's configurations (`only`: one of them).
async fn token_keys(
    state: &AppState,
    installation: &Installation,
    only: Option<&str>,
) -> Vec<String> {
    let mut keys = Vec::new();
    for name in &installation.configurations {
        if only.is_some_and(|o| o != name) {
            continue;
        }
        if let Ok(configuration) = state
            .store
            .configuration(&installation.id, Some(name), &state.sealer)
            .await
        {
            keys.push(super::oauth::credential_key(
                &installation.id,
                &configuration,
            ));
        }
    }
    keys
}

/// Forgets token states in memory too (their rows are gone), so nothing of them outlives the
/// configuration.
async fn forget_tokens(state: &AppState, keys: &[String]) {
    for key in keys {
        if let Err(error) = state.runtime.tokens().forget(key).await {
            tracing::warn!(%error, "forgetting a configuration's tokens failed");
        }
    }
}

/// `DELETE /v1/installations/{id}` (editor): uninstalls; its configurations' sealed
/// credentials, OAuth tokens, consents in progress and tenant mappings go with it. Refused
/// (409) while organizations are mapped to its tenants, unless `?force=true`.
pub async fn uninstall(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    query: Result<axum::extract::Query<UninstallQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<plugboard_store::Uninstalled>> {
    let axum::extract::Query(query) = query.map_err(|e| {
        Problem::bad_request(format!("{}: `force` is `true` or `false`", e.body_text()))
            .with_fields(["force".to_string()])
    })?;
    let installation = reachable(&state, &caller, &id).await?;
    caller.require(Role::Editor)?;
    let keys = token_keys(&state, &installation, None).await;
    let removed = state
        .store
        .uninstall(&id, query.force)
        .await
        .map_err(|e| match e {
            plugboard_store::Error::Conflict(message) => {
                Problem::conflict(format!("{message} (`?force=true`)"))
                    .with_fields(["force".to_string()])
            }
            other => other.into(),
        })?;
    forget_tokens(&state, &keys).await;
    super::audit(
        &state,
        &caller,
        Some(&installation.organization_id),
        "installation.uninstall",
        &id,
        &format!(
            "{} version {}: {} configuration(s), {} token state(s), {} tenant mapping(s){}",
            installation.integration_id,
            installation.version,
            removed.configurations,
            removed.token_states,
            removed.tenant_mappings,
            if query.force { ", forced" } else { "" }
        ),
    )
    .await?;
    Ok(Json(removed))
}

/// `DELETE /v1/installations/{id}/configurations/{name}` (editor): deletes a configuration
/// with its sealed credentials and OAuth tokens. Not the default one while others exist, nor
/// the only one.
pub async fn delete_configuration(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, name)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let installation = reachable(&state, &caller, &id).await?;
    caller.require(Role::Editor)?;
    if !installation.configurations.contains(&name) {
        return Err(Problem::not_found(format!(
            "configuration `{name}` of installation `{id}` not found; it has {}",
            installation.configurations.join(", ")
        )));
    }
    let keys = token_keys(&state, &installation, Some(&name)).await;
    state.store.delete_configuration(&id, &name).await?;
    forget_tokens(&state, &keys).await;
    super::audit(
        &state,
        &caller,
        Some(&installation.organization_id),
        "installation.configuration_delete",
        &id,
        &name,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /v1/installations/{id}/configurations/{name}`: a configuration's non-secret settings
/// (config values, auth overrides) and the names of its credentials, never their values.
pub async fn get_configuration(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, name)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    reachable(&state, &caller, &id).await?;
    let configuration = state
        .store
        .configuration(&id, Some(&name), &state.sealer)
        .await?;
    Ok(Json(json!({
        "name": configuration.name,
        "default": configuration.is_default,
        "config": configuration.config,
        "auth": configuration.auth,
        "credentials": configuration.credentials.keys().collect::<Vec<_>>(),
    })))
}

/// Body of `PUT /v1/installations/{id}/configurations/{name}` (`Debug` shows no credential).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Configure {
    /// New credentials; absent keeps the stored ones.
    credentials: Option<BTreeMap<String, String>>,
    #[serde(default)]
    config: Map<String, Value>,
    /// New overrides of the integration's auth settings; absent keeps the stored ones.
    auth: Option<Map<String, Value>>,
    #[serde(default)]
    default: bool,
}

/// `PUT /v1/installations/{id}/configurations/{name}` (editor): adds or replaces a named
/// configuration.
pub async fn configure(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, name)): Path<(String, String)>,
    body: JsonBody<Configure>,
) -> ApiResult<Json<Installation>> {
    let Json(body) = body?;
    let installation = reachable(&state, &caller, &id).await?;
    caller.require(Role::Editor)?;
    check_config_keys(
        &state,
        &installation.integration_id,
        installation.version,
        &body.config,
    )
    .await?;
    if let Some(auth) = &body.auth {
        check_auth_overrides(
            &state,
            &installation.integration_id,
            installation.version,
            auth,
        )
        .await?;
    }
    let updated = state
        .store
        .set_configuration(
            &id,
            &name,
            &ConfigurationChange {
                config: &body.config,
                auth: body.auth.as_ref(),
                credentials: body.credentials.as_ref(),
                default: body.default,
            },
            &state.sealer,
        )
        .await?;
    super::audit(
        &state,
        &caller,
        Some(&installation.organization_id),
        "installation.configure",
        &id,
        &name,
    )
    .await?;
    Ok(Json(updated))
}

/// Body of `POST /v1/installations/{id}/actions/{action}/invoke`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Invoke {
    #[serde(default)]
    input: Option<Value>,
    /// Configuration name (default: the default one).
    configuration: Option<String>,
    /// Invoke on behalf of this organization (its mapped tenant id goes into the input).
    organization_id: Option<String>,
    /// Show the first request the call would send (credentials redacted) without sending it;
    /// no OAuth token is fetched.
    #[serde(default)]
    dry_run: bool,
    /// Keep this call (input, output, exchanges with credentials redacted) as a recording of
    /// the installed version: the next version replays it (regression check).
    #[serde(default)]
    record: bool,
    /// Answer with the call's exchanges too (each page's request and response, credentials
    /// redacted), also when it fails.
    #[serde(default)]
    exchanges: bool,
}

/// A runtime error as a problem: the caller's mistakes are 4xx, the upstream's 502.
pub(crate) fn invoke_problem(error: RunError) -> Problem {
    match error {
        RunError::UnknownAction { id, .. } => {
            Problem::not_found(format!("action `{id}` not found"))
        }
        RunError::MissingCredentials { auth, names } => {
            let fields: Vec<String> = names.iter().map(|n| format!("credentials.{n}")).collect();
            Problem::unprocessable(format!(
                "the configuration has no credential(s) for the integration's {auth} auth: set {}",
                fields
                    .iter()
                    .map(|f| format!("`{f}`"))
                    .collect::<Vec<_>>()
                    .join(" and ")
            ))
            .with_fields(fields)
            .with_member("cause", json!("credentials"))
        }
        // A hostname template (`{account}.blob.core.windows.net`) without a usable value.
        RunError::Hostname(message) => {
            Problem::unprocessable(format!("the configuration's `config`: {message}"))
                .with_fields(["config".to_string()])
        }
        // Not the upstream's failure: the configuration's state, which a user's consent fixes.
        RunError::NeedsConsent(message) => Problem::conflict(format!(
            "OAuth 2.0 consent needed ({message}): start it with `POST \
             /v1/installations/{{id}}/oauth/authorize` (Connect on the installation's page in the \
             console), then open the consent URL in a browser"
        ))
        .with_fields(["configuration".to_string()])
        .with_member("cause", json!("consent")),
        RunError::Busy { retry_after, .. } => Problem::busy(error.to_string(), retry_after),
        RunError::InvalidBody { field, message } => {
            Problem::unprocessable(format!("invalid input: `{field}`: {message}"))
                .with_fields([format!("input.{field}")])
        }
        RunError::Guest(Failure::InvalidInput { message }) => {
            Problem::unprocessable(format!("invalid input: {message}"))
        }
        // The upstream refused the credentials: the caller fixes them, not the call.
        RunError::Guest(Failure::UpstreamStatus {
            status: 401 | 403, ..
        }) => Problem::bad_gateway(error.to_string()).with_member("cause", json!("credentials")),
        RunError::Guest(_)
        | RunError::Timeout(_)
        | RunError::MemoryLimit { .. }
        | RunError::Trap { .. }
        | RunError::BadOutput(_) => Problem::bad_gateway(error.to_string()),
        RunError::Tokens(message) => Problem::bad_gateway(format!("OAuth 2.0 tokens: {message}"))
            .with_member("cause", json!("credentials")),
        other => Problem::internal(other),
    }
}

/// Refuses a bundle whose manifest is not the one reviewed when its version was made.
fn pinned(version: &plugboard_store::Version, bundle: &plugboard_runtime::Bundle) -> ApiResult<()> {
    match version.manifest_digest.as_deref() {
        Some(digest) if digest == bundle.manifest_digest() => Ok(()),
        Some(digest) => {
            tracing::error!(
                integration = %version.integration_id,
                version = version.version,
                reviewed = digest,
                found = bundle.manifest_digest(),
                "a stored bundle's manifest differs from the one reviewed; refusing to run it"
            );
            Err(Problem::conflict(format!(
                "version {} of integration `{}` no longer carries the manifest reviewed when it was made; it will not run",
                version.version, version.integration_id
            )))
        }
        None => Err(Problem::conflict(format!(
            "version {} of integration `{}` was made by an older Plugboard and has no reviewed manifest: finalize it again (or upload its rebuilt bundle)",
            version.version, version.integration_id
        ))),
    }
}

/// A version and its loaded bundle (versions are immutable, so a bundle kept under its content
/// hash never goes stale).
pub(crate) async fn version_bundle(
    state: &AppState,
    integration: &str,
    version: i64,
) -> ApiResult<(
    plugboard_store::Version,
    std::sync::Arc<plugboard_runtime::Bundle>,
)> {
    let version = state.store.cached_version(integration, version).await?;
    if version.retired_at.is_some() {
        return Err(Problem::conflict(format!(
            "version {} of integration `{integration}` is retired and never runs",
            version.version
        )));
    }
    let bundle = match state.runtime.cached(&version.bundle_hash) {
        Some(bundle) => bundle,
        None => {
            let component = state.store.bundle(&version.bundle_hash).await?;
            state
                .runtime
                .load_as(&version.bundle_hash, &component)
                .await
                .map_err(Problem::internal)?
        }
    };
    Ok((version, bundle))
}

/// Refuses config keys the integration's version does not declare (they would be ignored),
/// naming the known ones.
async fn check_config_keys(
    state: &AppState,
    integration: &str,
    version: i64,
    config: &Map<String, Value>,
) -> ApiResult<()> {
    if config.is_empty() {
        return Ok(());
    }
    let (_, bundle) = version_bundle(state, integration, version).await?;
    let known: Vec<&str> = bundle
        .header()
        .config
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    let unknown: Vec<&String> = config
        .keys()
        .filter(|k| !known.contains(&k.as_str()))
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    Err(Problem::unprocessable(format!(
        "unknown config key(s) {}; this integration takes {}",
        unknown
            .iter()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", "),
        if known.is_empty() {
            "no config".to_string()
        } else {
            known
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        }
    ))
    .with_fields(unknown.iter().map(|k| format!("config.{k}"))))
}

/// Reads and checks a configuration's auth overrides against the version's auth; refused
/// ones are a 422 naming each field (`auth.header_name`, `auth.extra_headers.X-Tenant`).
async fn check_auth_overrides(
    state: &AppState,
    integration: &str,
    version: i64,
    auth: &Map<String, Value>,
) -> ApiResult<()> {
    if auth.is_empty() {
        return Ok(());
    }
    let overrides: AuthOverrides =
        serde_json::from_value(Value::Object(auth.clone())).map_err(|e| {
            Problem::unprocessable(format!(
                "`auth`: {e}; a configuration may override `header_name`, `preamble`, `scope` \
                 and `extra_headers`"
            ))
            .with_fields(["auth".to_string()])
        })?;
    let (_, bundle) = version_bundle(state, integration, version).await?;
    overrides.check(&bundle.header().auth).map_err(|problems| {
        Problem::unprocessable(
            problems
                .iter()
                .map(|p| format!("`{}`: {}", p.field, p.message))
                .collect::<Vec<_>>()
                .join("; "),
        )
        .with_fields(problems.into_iter().map(|p| p.field))
    })
}

/// A stored configuration's auth overrides (checked when they were set).
pub(crate) fn stored_overrides(
    configuration: &plugboard_store::Configuration,
) -> ApiResult<AuthOverrides> {
    serde_json::from_value(Value::Object(configuration.auth.clone())).map_err(|e| {
        Problem::internal(format!(
            "configuration `{}`: stored auth overrides: {e}",
            configuration.name
        ))
    })
}

/// Runs an action of an installation with one of its configurations.
pub(crate) async fn run_action(
    state: &AppState,
    installation: &Installation,
    action: &str,
    input: &Value,
    configuration: Option<&str>,
) -> ApiResult<Result<Value, RunError>> {
    let (result, _) =
        run_action_tapped(state, installation, action, input, configuration, Tap::Live).await?;
    Ok(result.and_then(|output| plugboard_runtime::parse_output(&output)))
}

/// [`run_action`] with its requests handled by `tap` (a dry run shows the first request
/// without sending it); returns the output as the component's JSON text (checked, not parsed)
/// and the exchanges kept.
pub(crate) async fn run_action_tapped(
    state: &AppState,
    installation: &Installation,
    action: &str,
    input: &Value,
    configuration: Option<&str>,
    tap: Tap,
) -> ApiResult<(
    Result<Box<RawValue>, RunError>,
    Vec<plugboard_runtime::Exchange>,
)> {
    // Calls that reach the API count in the metrics (a dry run or a replay does not).
    let live = tap.sends();
    let (version, bundle) =
        version_bundle(state, &installation.integration_id, installation.version).await?;
    pinned(&version, &bundle)?;
    let configuration = state
        .store
        .cached_configuration(&installation.id, configuration, &state.sealer)
        .await?;
    let config = configuration
        .config
        .iter()
        .map(|(k, v)| {
            let text = v.as_str().map_or_else(|| v.to_string(), str::to_string);
            (k.clone(), text)
        })
        .collect();
    let credential_key = super::oauth::credential_key(&installation.id, &configuration);
    let auth_overrides = stored_overrides(&configuration)?;
    let options = InvokeOptions {
        credentials: configuration
            .credentials
            .into_iter()
            .collect::<Credentials>(),
        config,
        credential_key: Some(credential_key),
        tenant: Some(plugboard_runtime::Tenant {
            organization: installation.organization_id.clone(),
            installation: installation.id.clone(),
        }),
        auth_overrides,
        ..InvokeOptions::default()
    };
    let started = std::time::Instant::now();
    let (result, exchanges) = state
        .runtime
        .invoke_tapped_raw(&bundle, action, &input.to_string(), &options, tap)
        .await;
    if !live {
        return Ok((result, exchanges));
    }
    let outcome = match &result {
        Ok(_) => "ok",
        Err(error) => outcome_of(error),
    };
    let integration = state
        .labels
        .integrations
        .value(&installation.integration_id);
    metrics::counter!(
        "plugboard_calls_total",
        "integration" => integration.clone(),
        "action" => state.labels.actions.value(action),
        "outcome" => outcome,
    )
    .increment(1);
    metrics::histogram!(
        "plugboard_call_duration_seconds",
        "integration" => integration,
        "outcome" => outcome,
    )
    .record(started.elapsed().as_secs_f64());
    Ok((result, exchanges))
}

/// A call's outcome as a bounded metric label.
fn outcome_of(error: &RunError) -> &'static str {
    match error {
        RunError::Guest(Failure::UpstreamStatus { status, .. }) if *status >= 500 => "upstream_5xx",
        RunError::Guest(Failure::UpstreamStatus { .. }) => "upstream_4xx",
        RunError::Guest(Failure::Denied { .. }) => "denied",
        RunError::Guest(Failure::LimitExceeded { .. }) | RunError::MemoryLimit { .. } => "limit",
        RunError::Timeout(_) => "timeout",
        RunError::Trap { .. } => "crash",
        RunError::Guest(Failure::InvalidInput { .. }) | RunError::InvalidBody { .. } => {
            "invalid_input"
        }
        RunError::Guest(Failure::Transport { .. }) => "transport",
        RunError::NeedsConsent(_) | RunError::Tokens(_) => "oauth",
        RunError::Busy { .. } => "busy",
        _ => "error",
    }
}

/// `POST /v1/installations/{id}/actions/{action}/invoke` (editor): runs the action with the
/// installation's credentials; the answer is the action's output. With `organization_id`, the
/// call is on behalf of that organization: its mapped tenant id goes into the input.
pub async fn invoke(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, action)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    let body: Invoke = optional_body(&body)?;
    let installation = reachable(&state, &caller, &id).await?;
    caller.require(Role::Editor)?;
    let mut input = body.input.unwrap_or_else(|| json!({}));
    if let Some(organization) = &body.organization_id {
        caller.reach(&state, organization).await?;
        let tenant = state
            .store
            .tenant_of(&id, organization)
            .await?
            .ok_or_else(|| {
                Problem::unprocessable(format!(
                    "organization `{organization}` is not mapped to a tenant of installation `{id}`"
                ))
            })?;
        let source = state.store.tenant_source(&id).await?;
        match input.as_object_mut() {
            Some(object) => {
                object.insert(source.input_key, Value::String(tenant));
            }
            None => return Err(Problem::unprocessable("`input` must be a JSON object")),
        }
    }
    if body.dry_run {
        let (result, exchanges) = run_action_tapped(
            &state,
            &installation,
            &action,
            &input,
            body.configuration.as_deref(),
            Tap::DryRun,
        )
        .await?;
        if exchanges.is_empty() {
            // The call failed before its first request (its input, for one).
            result.map_err(invoke_problem)?;
        }
        super::audit(
            &state,
            &caller,
            Some(&installation.organization_id),
            "invoke.dry_run",
            &format!("{id}/{action}"),
            "nothing sent",
        )
        .await?;
        let requests: Vec<_> = exchanges.into_iter().map(|e| e.request).collect();
        return Ok(Json(json!({"dry_run": true, "requests": requests})).into_response());
    }
    let (result, exchanges) = run_action_tapped(
        &state,
        &installation,
        &action,
        &input,
        body.configuration.as_deref(),
        if body.record || body.exchanges {
            Tap::Record
        } else {
            Tap::Live
        },
    )
    .await?;
    // Serialized once, for the answer and the recording alike.
    let exchanges = if body.record || body.exchanges {
        Some(serde_json::to_value(&exchanges).map_err(Problem::internal)?)
    } else {
        None
    };
    let mut recording = None;
    if let (true, Ok(output), Some(exchanges)) = (body.record, &result, &exchanges) {
        let output = plugboard_runtime::parse_output(output).map_err(Problem::internal)?;
        recording = Some(
            state
                .store
                .add_recording(
                    &installation.integration_id,
                    installation.version,
                    &action,
                    &input,
                    &output,
                    exchanges,
                )
                .await?,
        );
    }
    let shown = exchanges.filter(|_| body.exchanges);
    let on_behalf = body
        .organization_id
        .as_deref()
        .map(|o| format!(" for {o}"))
        .unwrap_or_default();
    let outcome = match &result {
        Ok(_) => format!("ok{on_behalf}"),
        Err(error) => format!("failed{on_behalf}: {}", failure_kind(error)),
    };
    super::audit(
        &state,
        &caller,
        Some(&installation.organization_id),
        "invoke",
        &format!("{id}/{action}"),
        &outcome,
    )
    .await?;
    let output = result.map_err(|error| {
        let problem = invoke_problem(error);
        match &shown {
            Some(exchanges) => problem.with_member("exchanges", exchanges.clone()),
            None => problem,
        }
    })?;
    // The output goes into the answer as the component wrote it, never parsed and written again.
    Ok(Json(Answer {
        output,
        recording_id: recording,
        exchanges: shown,
    })
    .into_response())
}

/// The answer of a call: `{"output": ..., "recording_id"?: ..., "exchanges"?: [...]}`.
#[derive(serde::Serialize)]
struct Answer {
    output: Box<RawValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    recording_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    exchanges: Option<Value>,
}

/// What kind of failure a call had, for the audit log: the kind and the upstream status, never
/// a body excerpt or a message (they may carry upstream data).
fn failure_kind(error: &RunError) -> String {
    match error {
        RunError::Guest(Failure::UpstreamStatus { status, .. }) => {
            format!("upstream status {status}")
        }
        RunError::Guest(Failure::InvalidInput { .. }) | RunError::InvalidBody { .. } => {
            "invalid input".into()
        }
        RunError::Guest(Failure::Transport { .. }) => "transport".into(),
        RunError::Guest(Failure::Denied { .. }) => "denied".into(),
        RunError::Guest(Failure::LimitExceeded { .. }) => "limit exceeded".into(),
        RunError::Guest(Failure::Internal { .. }) => "component error".into(),
        RunError::Timeout(_) => "time limit".into(),
        RunError::MemoryLimit { .. } => "memory limit".into(),
        RunError::Trap { .. } => "component crashed".into(),
        RunError::UnknownAction { .. } => "unknown action".into(),
        RunError::MissingCredentials { .. } => "missing credentials".into(),
        RunError::Tokens(_) => "OAuth tokens".into(),
        RunError::NeedsConsent(_) => "needs consent".into(),
        RunError::Busy { .. } => "busy".into(),
        _ => "internal".into(),
    }
}
