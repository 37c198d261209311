//! Integrations: lint a spec, import one (or send a definition built by hand) as a draft, edit
//! the draft, finalize it into an immutable version (published or hidden), publish or hide.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use plugboard_definition::Definition;
use plugboard_store::{Integration, Role, Status};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::auth::Caller;
use crate::paging::{self, Paging};
use crate::problem::{ApiResult, JsonBody, Problem, not_found_as, optional_body};
use crate::spec_work::{Cost, SpecBody, json, off_thread, text};

/// Reads a spec (JSON or YAML, OpenAPI 3.x or Swagger 2.0) sent as the request body.
fn read_spec(body: &str) -> ApiResult<plugboard_openapi::source::Document> {
    plugboard_openapi::source::Document::parse(body)
        .map_err(|e| Problem::unprocessable(format!("the spec cannot be read: {e}")))
}

/// `POST /v1/lint`: the findings for the spec in the body.
pub async fn lint(_caller: Caller, body: SpecBody) -> ApiResult<Json<Value>> {
    let (body, ticket) = body.admit(Cost::Document).await?;
    off_thread(ticket, move || {
        let document = read_spec(text(&body)?)?;
        let report = plugboard_openapi::lint::lint_document(&document)
            .map_err(|e| Problem::unprocessable(e.to_string()))?;
        Ok(Json(json!({
            "errors": report.error_count(),
            "findings": report.findings,
        })))
    })
    .await
}

/// The tag and path filters of `POST /v1/clean` and of an import, as query parameters
/// (comma-separated globs, like the CLI's flags).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilterQuery {
    /// Keep only operations with a tag matching one of these.
    include_tags: Option<String>,
    /// Drop operations with a tag matching one of these.
    exclude_tags: Option<String>,
    /// Keep only paths matching one of these (`*` within a segment, `**` across).
    include_paths: Option<String>,
    /// Drop paths matching one of these.
    exclude_paths: Option<String>,
}

impl FilterQuery {
    fn options(&self) -> plugboard_openapi::repair::CleanOptions {
        let list = |text: &Option<String>| -> Vec<String> {
            text.as_deref()
                .map(|t| {
                    t.split(',')
                        .map(str::trim)
                        .filter(|g| !g.is_empty())
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default()
        };
        plugboard_openapi::repair::CleanOptions {
            include_tags: list(&self.include_tags),
            exclude_tags: list(&self.exclude_tags),
            include_paths: list(&self.include_paths),
            exclude_paths: list(&self.exclude_paths),
        }
    }
}

/// A filter error in the caller's terms: the query parameter (the openapi crate names the
/// CLI's flag).
fn filter_problem(error: plugboard_openapi::Error) -> Problem {
    let text = error.to_string();
    let field = [
        "include_tags",
        "exclude_tags",
        "include_paths",
        "exclude_paths",
    ]
    .into_iter()
    .find(|f| text.contains(&f.replace('_', "-")));
    let problem = Problem::unprocessable(text.replace("--", ""));
    match field {
        Some(field) => problem.with_fields([field.to_string()]),
        None => problem,
    }
}

/// Lint findings of a spec text (those of its parse are the parse error itself).
fn findings_of(text: &str) -> Vec<plugboard_openapi::lint::Finding> {
    plugboard_openapi::source::Document::parse(text)
        .ok()
        .and_then(|document| plugboard_openapi::lint::lint_document(&document).ok())
        .map(|report| report.findings)
        .unwrap_or_default()
}

/// `POST /v1/clean`: the spec in the body cut down by the filters of the query and repaired
/// (as JSON text), every change made (`repairs`: rule, pointer, description; `changes`: the
/// same as text), and the findings left in the repaired spec.
pub async fn clean(
    _caller: Caller,
    Query(query): Query<FilterQuery>,
    body: SpecBody,
) -> ApiResult<Json<Value>> {
    let (body, ticket) = body.admit(Cost::Document).await?;
    off_thread(ticket, move || {
        let document = read_spec(text(&body)?)?;
        let cleaned = plugboard_openapi::repair::clean(&document.value, &query.options())
            .map_err(filter_problem)?;
        // The repaired spec keeps the user's format: YAML in, YAML out.
        let spec = plugboard_openapi::source::render(&cleaned.value, document.format)
            .map_err(Problem::internal)?;
        let findings = findings_of(&spec);
        Ok(Json(json!({
            "spec": spec,
            "format": match document.format {
                plugboard_openapi::source::Format::Json => "json",
                plugboard_openapi::source::Format::Yaml => "yaml",
            },
            "changes": cleaned.changes.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "repairs": cleaned.changes,
            "findings": findings,
        })))
    })
    .await
}

/// An icon as the platform stores and serves it: through the SVG sanitizer (an allow-list);
/// an icon that is not SVG is refused.
pub(crate) fn safe_icon(icon: &str) -> ApiResult<String> {
    plugboard_definition::edit::sanitize_svg(icon)
        .map_err(|e| Problem::unprocessable(format!("icon: {e}")))
}

/// A definition as the platform takes it, whichever route brings it: its icon sanitized, then
/// parsed and validated (every problem with its path).
fn accept_definition(mut definition: Value) -> ApiResult<(Value, Definition)> {
    if let Some(icon) = definition.get("icon").and_then(Value::as_str) {
        definition["icon"] = Value::String(safe_icon(icon)?);
    }
    let parsed = parse_definition(&definition)?;
    Ok((definition, parsed))
}

/// Checks the caller may author in `org`: editor, reachable, custom integrations on.
async fn may_author(state: &AppState, caller: &Caller, org: &str) -> ApiResult<()> {
    caller.reach(state, org).await?;
    caller.require(Role::Editor)?;
    if !state.store.organization(org).await?.custom_integrations.0 {
        return Err(Problem::forbidden(format!(
            "custom integrations are switched off for organization `{org}`; an admin can switch them on"
        )));
    }
    Ok(())
}

/// `GET /v1/organizations/{org}/integrations`: a page of summaries of the integrations it owns
/// (`GET /v1/integrations/{id}` has the definition).
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(org): Path<String>,
    Paging(page): Paging,
) -> ApiResult<Json<Value>> {
    caller.reach(&state, &org).await?;
    paging::answer("integrations", state.store.integrations(&org, &page).await?)
}

/// `GET /v1/organizations/{org}/installable`: a page of summaries of the published integrations
/// the organization may install (its own and those above it).
pub async fn installable(
    State(state): State<AppState>,
    caller: Caller,
    Path(org): Path<String>,
    Paging(page): Paging,
) -> ApiResult<Json<Value>> {
    caller.reach(&state, &org).await?;
    let page = state.store.installable(&org, &page).await?;
    // The owners' custom-integrations switches: an owner with it off blocks new installs.
    let mut switched_off = std::collections::HashMap::new();
    let mut items = Vec::with_capacity(page.items.len());
    for summary in page.items {
        let owner = summary.organization_id.clone();
        let off = match switched_off.get(&owner) {
            Some(off) => *off,
            None => {
                let off = !state
                    .store
                    .organization(&owner)
                    .await?
                    .custom_integrations
                    .0;
                switched_off.insert(owner.clone(), off);
                off
            }
        };
        items.push(Installable {
            blocked: off.then(|| {
                format!(
                    "custom integrations are switched off for organization `{owner}`: no new \
                     installs (existing installations keep running)"
                )
            }),
            summary,
        });
    }
    paging::answer(
        "integrations",
        plugboard_store::Page {
            items,
            next: page.next,
        },
    )
}

/// An installable integration, and why it cannot be installed now, if it cannot.
#[derive(serde::Serialize)]
struct Installable {
    #[serde(flatten)]
    summary: plugboard_store::IntegrationSummary,
    #[serde(skip_serializing_if = "Option::is_none")]
    blocked: Option<String>,
}

/// A definition from JSON, with every problem and its path on failure.
fn parse_definition(value: &Value) -> ApiResult<Definition> {
    Definition::from_json(&value.to_string())
        .map_err(|e| Problem::unprocessable(format!("the definition is not valid: {e}")))
}

/// `POST /v1/organizations/{org}/integrations`: a draft from a definition built by hand.
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(org): Path<String>,
    body: SpecBody,
) -> ApiResult<(StatusCode, Json<Integration>)> {
    may_author(&state, &caller, &org).await?;
    let (body, ticket) = body.admit(Cost::Document).await?;
    let (body, definition) = off_thread(ticket, move || accept_definition(json(&body)?)).await?;
    let integration = state
        .store
        .create_integration(&org, &definition.name, &body)
        .await?;
    super::audit(
        &state,
        &caller,
        Some(&org),
        "integration.create",
        &integration.id,
        &integration.name,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(integration)))
}

/// Query of `POST /v1/organizations/{org}/integrations/import`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// The API's hostname (with `:port` if any), instead of the spec's server URL; required when
    /// the spec has none or a relative one.
    hostname: Option<String>,
    /// Keep only operations with a tag matching one of these.
    include_tags: Option<String>,
    /// Drop operations with a tag matching one of these.
    exclude_tags: Option<String>,
    /// Keep only paths matching one of these.
    include_paths: Option<String>,
    /// Drop paths matching one of these.
    exclude_paths: Option<String>,
}

impl ImportQuery {
    /// Its filters (serde's `flatten` cannot be combined with `deny_unknown_fields`).
    fn filters(&self) -> FilterQuery {
        FilterQuery {
            include_tags: self.include_tags.clone(),
            exclude_tags: self.exclude_tags.clone(),
            include_paths: self.include_paths.clone(),
            exclude_paths: self.exclude_paths.clone(),
        }
    }
}

/// The body of an import with choices: the spec and the fields to set after detection (as
/// `plugboard import`'s flags), instead of the bare spec.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ImportEnvelope {
    /// The spec, as text (JSON or YAML) or as a JSON object.
    spec: Value,
    /// Hostname, base path, scheme, auth and pagination fields (`oauth` holds the OAuth ones).
    #[serde(default)]
    settings: plugboard_definition::edit::Settings,
}

/// The spec text and the choices of an import body: an envelope (a JSON object with `spec`,
/// and neither `openapi` nor `swagger`), or the spec itself.
fn import_body(
    body: &str,
) -> ApiResult<(
    std::borrow::Cow<'_, str>,
    plugboard_definition::edit::Settings,
)> {
    let trimmed = body.trim_start();
    if trimmed.starts_with('{')
        && let Ok(Value::Object(object)) = serde_json::from_str::<Value>(trimmed)
        && object.contains_key("spec")
        && !object.contains_key("openapi")
        && !object.contains_key("swagger")
    {
        let envelope: ImportEnvelope =
            serde_json::from_value(Value::Object(object)).map_err(|e| {
                Problem::unprocessable(format!("the import's choices: {e}"))
                    .with_fields(["settings".to_string()])
            })?;
        let spec = match envelope.spec {
            Value::String(text) => text,
            other @ Value::Object(_) => other.to_string(),
            _ => {
                return Err(Problem::unprocessable(
                    "`spec` is the spec's text (JSON or YAML) or a JSON object",
                )
                .with_fields(["spec".to_string()]));
            }
        };
        return Ok((std::borrow::Cow::Owned(spec), envelope.settings));
    }
    Ok((std::borrow::Cow::Borrowed(body), Default::default()))
}

/// `POST /v1/organizations/{org}/integrations/import`: a draft from the spec in the body, with
/// the choices `plugboard import` takes (filters in the query; hostname, base path, scheme,
/// auth and pagination fields in an envelope). The answer has the draft, what was decided
/// (`summary` with its notes) and the spec's lint findings.
pub async fn import(
    State(state): State<AppState>,
    caller: Caller,
    Path(org): Path<String>,
    Query(query): Query<ImportQuery>,
    body: SpecBody,
) -> ApiResult<(StatusCode, Json<Value>)> {
    may_author(&state, &caller, &org).await?;
    let (body, ticket) = body.admit(Cost::Document).await?;
    let (imported, definition, findings, notes) = off_thread(ticket, move || {
        let (spec, settings) = import_body(text(&body)?)?;
        let document = read_spec(&spec)?;
        let findings = plugboard_openapi::lint::lint_document(&document)
            .map(|report| report.findings)
            .unwrap_or_default();
        let converted = plugboard_openapi::convert::into_openapi3(document.into_value())
            .map_err(|e| Problem::unprocessable(format!("the spec cannot be converted: {e}")))?;
        let filtered =
            plugboard_openapi::repair::filter(&converted.value, &query.filters().options())
                .map_err(filter_problem)?;
        let options = plugboard_openapi::import::Options {
            hostname: query.hostname.or_else(|| settings.hostname.clone()),
            pagination: settings.pagination,
        };
        let mut imported = plugboard_openapi::import::import(&filtered.value, &options)
            .map_err(|e| Problem::unprocessable(format!("the spec cannot be imported: {e}")))?;
        let mut notes =
            plugboard_definition::edit::apply_settings(&mut imported.definition, &settings)
                .map_err(|e| {
                    Problem::unprocessable(format!("the import's settings: {e}"))
                        .with_fields(["settings".to_string()])
                })?;
        if !filtered.changes.is_empty() {
            notes.push(format!(
                "the filters left out {} path(s), operation(s) or component(s)",
                filtered.changes.len()
            ));
        }
        let definition = serde_json::to_value(&imported.definition).map_err(Problem::internal)?;
        Ok((imported, definition, findings, notes))
    })
    .await?;
    let integration = state
        .store
        .create_integration(&org, &imported.definition.name, &definition)
        .await?;
    super::audit(
        &state,
        &caller,
        Some(&org),
        "integration.import",
        &integration.id,
        &integration.name,
    )
    .await?;
    let summary = &imported.summary;
    let mut all_notes = summary.notes.clone();
    all_notes.extend(notes);
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "integration": integration,
            "summary": {
                "actions": summary.actions,
                "auth": summary.auth,
                "pagination": summary.pagination,
                "paginated": summary.paginated,
                "notes": all_notes,
            },
            "findings": findings,
        })),
    ))
}

/// An integration the caller may see: its own organization's (or below), or a published one
/// of an organization above (installable by the caller).
async fn visible(state: &AppState, caller: &Caller, id: &str) -> ApiResult<Integration> {
    let not_found = || Problem::not_found(format!("integration `{id}` not found"));
    let integration = state
        .store
        .integration(id)
        .await
        .map_err(|e| not_found_as(e, not_found))?;
    let own = state
        .store
        .is_within(&integration.organization_id, &caller.0.organization_id)
        .await?;
    let installable = integration.status == Status::Published
        && state
            .store
            .is_within(&caller.0.organization_id, &integration.organization_id)
            .await?;
    if own || installable {
        Ok(integration)
    } else {
        Err(not_found())
    }
}

/// An integration the caller may change: in reach, editor, and custom integrations switched on
/// for its organization.
pub(crate) async fn owned(state: &AppState, caller: &Caller, id: &str) -> ApiResult<Integration> {
    let integration = visible(state, caller, id).await?;
    may_author(state, caller, &integration.organization_id).await?;
    Ok(integration)
}

/// Refuses definition changes to an uploaded bundle (it has no definition to edit).
pub(crate) fn definition_based(integration: &Integration) -> ApiResult<()> {
    if integration.definition["kind"] == super::bundles::BUNDLE_KIND {
        return Err(Problem::conflict(format!(
            "integration `{}` is an uploaded bundle: it has no definition to edit or finalize",
            integration.id
        )));
    }
    Ok(())
}

/// `GET /v1/integrations/{id}`.
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Integration>> {
    let mut integration = visible(&state, &caller, &id).await?;
    // Organizations below the owner see the definition as an export shows it.
    if !state
        .store
        .is_within(&integration.organization_id, &caller.0.organization_id)
        .await?
    {
        strip_sensitive_defaults(&mut integration.definition);
    }
    Ok(Json(integration))
}

/// `GET /v1/integrations/{id}/icon`: the integration's SVG icon (sanitized when stored), for
/// lists; 404 when it has none.
pub async fn icon(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<axum::response::Response> {
    use axum::http::header;
    use axum::response::IntoResponse as _;
    let integration = visible(&state, &caller, &id).await?;
    let svg = integration
        .definition
        .get("icon")
        .and_then(Value::as_str)
        .ok_or_else(|| Problem::not_found(format!("integration `{id}` has no icon")))?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            // Opened on its own, the SVG runs nothing and loads nothing.
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'",
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CACHE_CONTROL, "private, max-age=60"),
        ],
        svg.to_string(),
    )
        .into_response())
}

/// `PUT /v1/integrations/{id}/definition`: replaces a draft's definition.
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: SpecBody,
) -> ApiResult<Json<Integration>> {
    definition_based(&owned(&state, &caller, &id).await?)?;
    let (body, ticket) = body.admit(Cost::Document).await?;
    let (body, definition) = off_thread(ticket, move || accept_definition(json(&body)?)).await?;
    let integration = state
        .store
        .update_draft(&id, &definition.name, &body)
        .await?;
    super::audit(
        &state,
        &caller,
        Some(&integration.organization_id),
        "integration.update",
        &id,
        &integration.name,
    )
    .await?;
    Ok(Json(integration))
}

/// Body of `POST /v1/integrations/{id}/finalize`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Finalize {
    /// `published` (default) or `hidden`.
    status: Option<String>,
    /// A new definition for the next version of a finalized integration.
    definition: Option<Value>,
}

fn parse_status(text: &str) -> ApiResult<Status> {
    match Status::parse(text) {
        Some(Status::Draft) => Err(Problem::unprocessable(
            "an integration never goes back to draft",
        )),
        Some(status) => Ok(status),
        None => Err(Problem::unprocessable(format!(
            "status `{text}`: use published or hidden"
        ))),
    }
}

/// `POST /v1/integrations/{id}/finalize`: compiles the definition into a component (no compiler
/// runs), stores it as the next immutable version with a change report, and publishes or
/// hides the integration. Breaking changes are refused while the integration is installed.
pub async fn finalize(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: SpecBody,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let SpecBody { bytes, mut ticket } = body;
    let body: Finalize = optional_body(&bytes)?;
    let integration = owned(&state, &caller, &id).await?;
    definition_based(&integration)?;
    let status = parse_status(body.status.as_deref().unwrap_or("published"))?;
    let inline = body.definition.is_some();
    let definition = match body.definition {
        Some(definition) => {
            ticket.reserve(Cost::Document, &bytes).await?;
            definition
        }
        None => {
            let stored = integration.definition.to_string();
            ticket.reserve(Cost::Document, stored.as_bytes()).await?;
            integration.definition.clone()
        }
    };
    let (definition_json, definition, bundle, hash) = off_thread(ticket, move || {
        let (definition_json, definition) = accept_definition(definition)?;
        let bundle = plugboard_bundle::finalize(&definition).map_err(|e| match e {
            plugboard_bundle::Error::NoHostname if inline => Problem::unprocessable(format!(
                "finalize failed: {e}: give `definition.hostname`"
            ))
            .with_fields(["definition.hostname".to_string()]),
            plugboard_bundle::Error::NoHostname => Problem::unprocessable(format!(
                "finalize failed: {e}: set `hostname` in the draft (PUT /v1/integrations/{{id}}/definition)"
            ))
            .with_fields(["hostname".to_string()]),
            e => Problem::unprocessable(format!("finalize failed: {e}")),
        })?;
        let hash = hex::encode(Sha256::digest(&bundle.component));
        Ok((definition_json, definition, bundle, hash))
    })
    .await?;
    let previous = match integration.current_version {
        Some(version) => {
            let (_, json) = state.store.version(&id, version).await?;
            Some(parse_definition(&json)?)
        }
        None => None,
    };
    let mut report = crate::change_report(previous.as_ref(), &definition);
    // The previous version's recorded calls, replayed on the new component.
    let mut replayed = Vec::new();
    if let Some(previous_version) = integration.current_version {
        let recordings = state.store.recordings(&id, previous_version).await?;
        if !recordings.is_empty() {
            // Loaded under its content hash: the new version's first call finds it compiled.
            let candidate = state
                .runtime
                .load_as(&hash, &bundle.component)
                .await
                .map_err(Problem::internal)?;
            replayed = crate::regression::replay_all(&state.runtime, &candidate, recordings).await;
            if let Some(object) = report.as_object_mut() {
                object.insert(
                    "regressions".into(),
                    Value::Array(replayed.iter().map(|r| r.report.clone()).collect()),
                );
                let broken: Vec<Value> = replayed
                    .iter()
                    .filter(|r| r.breaking)
                    .map(|r| {
                        Value::String(format!(
                            "the recorded call {} of action `{}` gives another output",
                            r.recording.id, r.recording.action
                        ))
                    })
                    .collect();
                if !broken.is_empty() {
                    object.insert("breaking".into(), Value::Bool(true));
                    if let Some(Value::Array(reasons)) = object.get_mut("breaking_reasons") {
                        reasons.extend(broken);
                    }
                }
            }
        }
    }
    if report["breaking"] == true && state.store.installation_count(&id).await? > 0 {
        return Err(Problem::conflict(format!(
            "this version breaks installations of the integration: {}",
            report["breaking_reasons"]
        )));
    }
    let new = plugboard_store::NewVersion {
        name: &definition.name,
        definition: &definition_json,
        component: &bundle.component,
        bundle_hash: &hash,
        manifest_digest: &bundle.manifest_digest,
        status,
        change_report: &report,
    };
    let version = state
        .store
        .finalize(&id, integration.current_version.unwrap_or(0), &new)
        .await?;
    // The recordings carry over with the new version's outputs, for the next check.
    for replay in replayed {
        if let Some(output) = &replay.output {
            state
                .store
                .add_recording(
                    &id,
                    version.version,
                    &replay.recording.action,
                    &replay.recording.input,
                    output,
                    &replay.recording.exchanges,
                )
                .await?;
        }
    }
    super::audit(
        &state,
        &caller,
        Some(&integration.organization_id),
        "integration.finalize",
        &id,
        &format!(
            "version {} ({}), {}",
            version.version,
            status.as_str(),
            hash
        ),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"version": version, "status": status, "actions": bundle.actions})),
    ))
}

/// Body of `PUT /v1/integrations/{id}/status`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetStatus {
    status: String,
}

/// `PUT /v1/integrations/{id}/status`: publishes or hides a finalized integration.
pub async fn set_status(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: JsonBody<SetStatus>,
) -> ApiResult<Json<Integration>> {
    let Json(body) = body?;
    let integration = owned(&state, &caller, &id).await?;
    let status = parse_status(&body.status)?;
    let updated = state.store.set_status(&id, status).await?;
    super::audit(
        &state,
        &caller,
        Some(&integration.organization_id),
        "integration.status",
        &id,
        status.as_str(),
    )
    .await?;
    Ok(Json(updated))
}

/// `DELETE /v1/integrations/{id}` (editor of the owner): deletes a draft; a finalized
/// integration is a 409 that says to hide it instead.
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let integration = owned(&state, &caller, &id).await?;
    state.store.delete_draft(&id).await?;
    super::audit(
        &state,
        &caller,
        Some(&integration.organization_id),
        "integration.delete",
        &id,
        &integration.name,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /v1/integrations/{id}/versions`: every finalized version, newest first, with how many
/// installations use it and when it was retired.
pub async fn versions(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Paging(page): Paging,
) -> ApiResult<Json<Value>> {
    visible(&state, &caller, &id).await?;
    let page = state.store.versions(&id, &page).await?;
    let versions = plugboard_store::Page {
        items: page
            .items
            .into_iter()
            .map(|(version, installations)| VersionListed {
                version,
                installations,
            })
            .collect(),
        next: page.next,
    };
    paging::answer("versions", versions)
}

/// A version as listed: with how many installations use it.
#[derive(serde::Serialize)]
struct VersionListed {
    #[serde(flatten)]
    version: plugboard_store::Version,
    installations: i64,
}

/// `GET /v1/integrations/{id}/versions/{version}/recordings`: the version's recorded calls
/// (input, output, exchanges with credentials redacted), oldest first.
pub async fn recordings(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, version)): Path<(String, i64)>,
) -> ApiResult<Json<Value>> {
    owned(&state, &caller, &id).await?;
    Ok(Json(
        json!({"recordings": state.store.recordings(&id, version).await?}),
    ))
}

/// `DELETE /v1/integrations/{id}/versions/{version}` (editor of the owner): retires a version,
/// which is never installed or run again. Not the current version (hide the integration, or
/// finalize a newer one), nor one that installations use.
pub async fn retire_version(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, version)): Path<(String, i64)>,
) -> ApiResult<Json<plugboard_store::Version>> {
    let integration = owned(&state, &caller, &id).await?;
    let retired = state.store.retire_version(&id, version).await?;
    super::audit(
        &state,
        &caller,
        Some(&integration.organization_id),
        "integration.version_retire",
        &id,
        &format!("version {version}"),
    )
    .await?;
    Ok(Json(retired))
}

/// Whether a schema node holds a secret: `writeOnly`, `format: password` or `x-sensitive`.
fn sensitive(node: &serde_json::Map<String, Value>) -> bool {
    node.get("writeOnly") == Some(&Value::Bool(true))
        || node.get("x-sensitive") == Some(&Value::Bool(true))
        || node.get("format").and_then(Value::as_str) == Some("password")
}

/// Removes `default` (and `example`/`examples`) from every sensitive schema node.
fn strip_sensitive_defaults(value: &mut Value) -> usize {
    let mut stripped = 0;
    match value {
        Value::Object(map) => {
            if sensitive(map) {
                for key in ["default", "example", "examples"] {
                    stripped += usize::from(map.remove(key).is_some());
                }
            }
            for child in map.values_mut() {
                stripped += strip_sensitive_defaults(child);
            }
        }
        Value::Array(items) => {
            for child in items {
                stripped += strip_sensitive_defaults(child);
            }
        }
        _ => {}
    }
    stripped
}

/// `GET /v1/integrations/{id}/export`: the current version for sharing: its definition (with
/// the defaults of sensitive values removed) and its component. Never credentials: those
/// belong to installations.
pub async fn export(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let integration = visible(&state, &caller, &id).await?;
    let version = integration.current_version.ok_or_else(|| {
        Problem::conflict(format!(
            "integration `{id}` is a draft: finalize it to export it"
        ))
    })?;
    let (row, mut definition) = state.store.version(&id, version).await?;
    let stripped = strip_sensitive_defaults(&mut definition);
    let component = state.store.bundle(&row.bundle_hash).await?;
    use base64::Engine as _;
    Ok(Json(json!({
        "format": "plugboard-export/1",
        "name": integration.name,
        "version": version,
        "definition": definition,
        "sensitive_defaults_removed": stripped,
        "bundle_sha256": row.bundle_hash,
        "bundle_base64": base64::engine::general_purpose::STANDARD.encode(component),
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensitive_defaults_are_stripped() {
        let mut definition = json!({"actions": [{"parameters": [
            {"name": "token", "schema": {"type": "string", "format": "password", "default": "hunter2"}},
            {"name": "region", "schema": {"type": "string", "default": "eu"}},
            {"name": "key", "schema": {"type": "string", "x-sensitive": true, "default": "k", "example": "k2"}}
        ]}]});
        assert_eq!(strip_sensitive_defaults(&mut definition), 3);
        let text = definition.to_string();
        assert!(!text.contains("hunter2") && !text.contains("\"k\"") && text.contains("eu"));
    }
}
