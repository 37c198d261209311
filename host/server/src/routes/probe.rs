//! `POST /v1/integrations/{id}/probe`: the CLI's probe on the platform. A draft is built in
//! memory and its actions run against the live API (at most a few pages each, through this
//! server's egress policy), with an installation's configuration or inline credentials that are
//! not stored; the answer has each action's verdicts, raw pages (credentials redacted) and the
//! settings that fit, which `"apply": true` writes into the draft.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use plugboard_definition::Definition;
use plugboard_runtime::{Credentials, InvokeOptions, Limits};
use plugboard_store::Status;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::integrations::{definition_based, owned};
use crate::AppState;
use crate::auth::Caller;
use crate::problem::{ApiResult, Problem, optional_body};

/// Body of `POST /v1/integrations/{id}/probe`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Probe {
    /// Actions to run (default: the paginated ones without required inputs, plus one more).
    #[serde(default)]
    actions: Vec<String>,
    /// Use this installation's credentials and config (an installation of this integration).
    installation_id: Option<String>,
    /// Its configuration (default: the default one).
    configuration: Option<String>,
    /// Credentials for this probe only (never stored).
    #[serde(default)]
    credentials: BTreeMap<String, String>,
    /// Config values for this probe only.
    #[serde(default)]
    config: Map<String, Value>,
    /// Pages per action at most (1 to 5, default 2).
    pages: Option<u32>,
    /// Write the suggested results key and pagination into the draft.
    #[serde(default)]
    apply: bool,
}

/// `POST /v1/integrations/{id}/probe` (editor of the owner).
pub async fn probe(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult<Json<Value>> {
    let body: Probe = optional_body(&body)?;
    let integration = owned(&state, &caller, &id).await?;
    definition_based(&integration)?;
    let pages = body.pages.unwrap_or(2);
    if !(1..=5).contains(&pages) {
        return Err(Problem::unprocessable("`pages` is 1 to 5").with_fields(["pages".to_string()]));
    }
    if body.apply && integration.status != Status::Draft {
        return Err(Problem::conflict(
            "`apply` edits a draft; this integration is finalized (probe, then finalize a new definition)",
        )
        .with_fields(["apply".to_string()]));
    }
    let mut definition = Definition::parse_unchecked(&integration.definition.to_string())
        .map_err(|e| Problem::internal(format!("stored definition of `{id}`: {e}")))?;
    let (credentials, config) = match &body.installation_id {
        Some(installation) => {
            if !body.credentials.is_empty() {
                return Err(Problem::unprocessable(
                    "give `installation_id` or `credentials`, not both",
                )
                .with_fields(["credentials".to_string()]));
            }
            let installation =
                super::installations::reachable(&state, &caller, installation).await?;
            if installation.integration_id != id {
                return Err(Problem::unprocessable(format!(
                    "installation `{}` is of integration `{}`, not `{id}`",
                    installation.id, installation.integration_id
                ))
                .with_fields(["installation_id".to_string()]));
            }
            let configuration = state
                .store
                .configuration(
                    &installation.id,
                    body.configuration.as_deref(),
                    &state.sealer,
                )
                .await?;
            (configuration.credentials, configuration.config)
        }
        None => (body.credentials.clone(), body.config.clone()),
    };
    let built = {
        let definition = definition.clone();
        tokio::task::spawn_blocking(move || plugboard_bundle::finalize(&definition))
            .await
            .map_err(Problem::internal)?
            .map_err(|e| {
                Problem::unprocessable(format!("the draft cannot be built to probe it: {e}"))
            })?
    };
    let bundle = state
        .runtime
        .load(&built.component)
        .await
        .map_err(Problem::internal)?;
    let ids = if body.actions.is_empty() {
        plugboard_probe::default_actions(&definition)
    } else {
        body.actions.clone()
    };
    let options = InvokeOptions {
        credentials: credentials.into_iter().collect::<Credentials>(),
        config: config
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    v.as_str().map_or_else(|| v.to_string(), str::to_string),
                )
            })
            .collect(),
        limits: Limits {
            max_requests: pages,
            ..Limits::default()
        },
        tenant: Some(plugboard_runtime::Tenant {
            organization: integration.organization_id.clone(),
            installation: format!("probe/{id}"),
        }),
        ..InvokeOptions::default()
    };
    let reports = plugboard_probe::run(&state.runtime, &bundle, &definition, &ids, &options)
        .await
        .map_err(|e| Problem::not_found(e.to_string()).with_fields(["actions".to_string()]))?;
    let mut applied = Vec::new();
    if body.apply {
        applied = plugboard_probe::apply(&mut definition, &reports)
            .map_err(|e| Problem::unprocessable(format!("the suggestions do not fit: {e}")))?;
        if !applied.is_empty() {
            let value = serde_json::to_value(&definition).map_err(Problem::internal)?;
            state
                .store
                .update_draft(&id, &definition.name, &value)
                .await?;
        }
    }
    super::audit(
        &state,
        &caller,
        Some(&integration.organization_id),
        "integration.probe",
        &id,
        &format!(
            "{} action(s){}",
            reports.len(),
            if applied.is_empty() {
                ""
            } else {
                ", suggestions applied"
            }
        ),
    )
    .await?;
    Ok(Json(json!({"actions": reports, "applied": applied})))
}
