//! Editing a draft's actions on the platform, as the CLI edits a file: one action's fields by
//! a merge patch (`plugboard actions set`), and a regex replace over names and descriptions,
//! previewed or applied (`plugboard actions replace`), in the server's regex dialect (Rust's
//! `regex` crate).

use axum::Json;
use axum::extract::{Path, State};
use plugboard_definition::Definition;
use plugboard_definition::edit::{self, ReplaceField};
use plugboard_store::{Integration, Status};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::integrations::{definition_based, owned};
use crate::AppState;
use crate::auth::Caller;
use crate::problem::{ApiResult, JsonBody, Problem};

/// An editing error in the API's terms: the fields it is about.
pub(crate) fn edit_problem(error: plugboard_definition::Error) -> Problem {
    match error {
        plugboard_definition::Error::Edit { field, message } => {
            Problem::unprocessable(format!("{field}: {message}")).with_fields([field])
        }
        plugboard_definition::Error::Invalid(problems) => Problem::unprocessable(format!(
            "the definition would not be valid: {}",
            problems
                .iter()
                .map(|p| format!("{}: {}", p.path, p.message))
                .collect::<Vec<_>>()
                .join("; ")
        ))
        .with_fields(problems.into_iter().map(|p| p.path)),
        other => Problem::unprocessable(other.to_string()),
    }
}

/// A draft the caller may edit, with its definition parsed.
async fn editable_draft(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> ApiResult<(Integration, Definition)> {
    let integration = owned(state, caller, id).await?;
    definition_based(&integration)?;
    if integration.status != Status::Draft {
        return Err(Problem::conflict(format!(
            "integration `{id}` is finalized: edit its actions in a new definition and finalize \
             it again (`POST /v1/integrations/{id}/finalize` with `definition`)"
        )));
    }
    let definition = Definition::parse_unchecked(&integration.definition.to_string())
        .map_err(|e| Problem::internal(format!("stored definition of `{id}`: {e}")))?;
    Ok((integration, definition))
}

/// Stores an edited draft and audits the edit.
async fn save(
    state: &AppState,
    caller: &Caller,
    integration: &Integration,
    definition: &Definition,
    action: &str,
    detail: &str,
) -> ApiResult<Integration> {
    let value = serde_json::to_value(definition).map_err(Problem::internal)?;
    let updated = state
        .store
        .update_draft(&integration.id, &definition.name, &value)
        .await?;
    super::audit(
        state,
        caller,
        Some(&integration.organization_id),
        action,
        &integration.id,
        detail,
    )
    .await?;
    Ok(updated)
}

/// `PATCH /v1/integrations/{id}/actions/{action}` (editor): a JSON merge patch of one action of
/// a draft: `name`, `description`, `method`, `path`, `parameters`, `request_body` (the body
/// schema), `output_schema`, `accept`, `paginated`, `pagination` (its own), `anonymous`;
/// `null` removes an optional field. The id stays. Answers the action as changed.
pub async fn patch(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, action)): Path<(String, String)>,
    body: JsonBody<Map<String, Value>>,
) -> ApiResult<Json<Value>> {
    let Json(patch) = body?;
    let (integration, mut definition) = editable_draft(&state, &caller, &id).await?;
    let changed = edit::patch_action(&mut definition, &action, &patch).map_err(|e| match e {
        // A field of the action, as the request names it.
        plugboard_definition::Error::Edit { field, message } => {
            let field = field
                .strip_prefix(&format!("actions.{action}."))
                .map_or(field.clone(), str::to_string);
            Problem::unprocessable(format!("{field}: {message}")).with_fields([field])
        }
        other => edit_problem(other),
    })?;
    let mut fields: Vec<&String> = patch.keys().collect();
    fields.sort();
    let detail = format!(
        "{action}: {}",
        fields
            .iter()
            .map(|f| f.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    save(
        &state,
        &caller,
        &integration,
        &definition,
        "integration.action_edit",
        &detail,
    )
    .await?;
    Ok(Json(json!({"action": changed})))
}

/// Body of `POST /v1/integrations/{id}/actions/regex-replace`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegexReplace {
    /// A regular expression (Rust `regex` syntax).
    pattern: String,
    /// The replacement; `$1`, `${name}` refer to groups.
    replacement: String,
    /// `name` (default), `description` or `both`.
    #[serde(default)]
    field: Option<String>,
    /// Apply the changes (default: a preview that changes nothing).
    #[serde(default)]
    apply: bool,
    /// Replace in this definition instead of the stored draft, and answer it changed (for the
    /// next version of a finalized integration, kept by its author until finalize).
    #[serde(default)]
    definition: Option<Value>,
}

/// `POST /v1/integrations/{id}/actions/regex-replace` (editor): every change a regex replace
/// over a draft's action names and/or descriptions makes (`id`, `field`, `old`, `new`);
/// applied with `"apply": true`, else only previewed.
pub async fn regex_replace(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: JsonBody<RegexReplace>,
) -> ApiResult<Json<Value>> {
    let Json(body) = body?;
    let field = match body.field.as_deref().unwrap_or("name") {
        "name" => ReplaceField::Name,
        "description" => ReplaceField::Description,
        "both" => ReplaceField::Both,
        other => {
            return Err(Problem::unprocessable(format!(
                "field `{other}`: use name, description or both"
            ))
            .with_fields(["field".to_string()]));
        }
    };
    if let Some(given) = body.definition {
        definition_based(&owned(&state, &caller, &id).await?)?;
        if body.apply {
            return Err(Problem::unprocessable(
                "`apply` stores the draft's change; with `definition`, the changed definition is \
                 answered instead",
            )
            .with_fields(["apply".to_string()]));
        }
        let mut definition = Definition::parse_unchecked(&given.to_string()).map_err(|e| {
            Problem::unprocessable(format!("definition: {e}"))
                .with_fields(["definition".to_string()])
        })?;
        let changes = edit::replace(&mut definition, &body.pattern, &body.replacement, field)
            .map_err(edit_problem)?;
        return Ok(Json(
            json!({"changes": changes, "applied": false, "definition": definition}),
        ));
    }
    let (integration, mut definition) = editable_draft(&state, &caller, &id).await?;
    let changes = edit::replace(&mut definition, &body.pattern, &body.replacement, field)
        .map_err(edit_problem)?;
    let applied = body.apply && !changes.is_empty();
    if applied {
        save(
            &state,
            &caller,
            &integration,
            &definition,
            "integration.regex_replace",
            &format!(
                "{} change(s): `{}` -> `{}`",
                changes.len(),
                body.pattern,
                body.replacement
            ),
        )
        .await?;
    }
    Ok(Json(json!({"changes": changes, "applied": applied})))
}
