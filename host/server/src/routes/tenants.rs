//! Organization mapping: an action that lists the API's tenants, the JSONPaths of their ids and
//! names, a suggested platform organization per tenant (by name similarity), and the saved
//! mappings that invocations on behalf of an organization use.

use axum::Json;
use axum::extract::{Path, State};
use plugboard_store::{Role, TenantMapping, TenantSource};
use serde::Deserialize;
use serde_json::{Value, json};
use serde_json_path::JsonPath;

use super::installations::{invoke_problem, reachable, run_action};
use crate::AppState;
use crate::auth::Caller;
use crate::paging::{self, Paging};
use crate::problem::{ApiResult, JsonBody, Problem};

/// Lowercase words of a name, without punctuation and legal-form suffixes.
fn normalize(name: &str) -> String {
    const SUFFIXES: &[&str] = &[
        "inc", "ltd", "llc", "gmbh", "ag", "bv", "sa", "corp", "co", "limited",
    ];
    name.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && !SUFFIXES.contains(w))
        .collect::<Vec<_>>()
        .join(" ")
}

/// How alike two names are, 0..=1.
pub fn similarity(a: &str, b: &str) -> f64 {
    strsim::jaro_winkler(&normalize(a), &normalize(b))
}

/// Suggestions below this are not made.
const SUGGESTION_THRESHOLD: f64 = 0.8;

fn compile(path: &str, field: &str) -> ApiResult<JsonPath> {
    JsonPath::parse(path).map_err(|e| Problem::unprocessable(format!("{field} `{path}`: {e}")))
}

/// `PUT /v1/installations/{id}/tenant-source` (editor): which action lists the tenants.
pub async fn set_source(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: JsonBody<TenantSource>,
) -> ApiResult<Json<TenantSource>> {
    let Json(source) = body?;
    reachable(&state, &caller, &id).await?;
    caller.require(Role::Editor)?;
    compile(&source.id_path, "id_path")?;
    compile(&source.name_path, "name_path")?;
    if source.input_key.trim().is_empty() {
        return Err(Problem::unprocessable(
            "input_key must name the input key for the tenant id",
        ));
    }
    state.store.set_tenant_source(&id, &source).await?;
    let installation = state.store.installation(&id).await?;
    super::audit(
        &state,
        &caller,
        Some(&installation.organization_id),
        "tenant.source",
        &id,
        &source.action_id,
    )
    .await?;
    Ok(Json(source))
}

/// `POST /v1/installations/{id}/tenants/fetch` (editor): runs the listing action and suggests
/// an organization (of the installation's organization and below) for each tenant.
pub async fn fetch(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let installation = reachable(&state, &caller, &id).await?;
    caller.require(Role::Editor)?;
    let source = state.store.tenant_source(&id).await?;
    let result = run_action(&state, &installation, &source.action_id, &json!({}), None).await?;
    super::audit(
        &state,
        &caller,
        Some(&installation.organization_id),
        "invoke",
        &format!("{id}/{}", source.action_id),
        if result.is_ok() {
            "ok (tenant list)"
        } else {
            "failed (tenant list)"
        },
    )
    .await?;
    let output = result.map_err(invoke_problem)?;
    let ids = compile(&source.id_path, "id_path")?.query(&output).all();
    let names = compile(&source.name_path, "name_path")?
        .query(&output)
        .all();
    if ids.len() != names.len() {
        return Err(Problem::unprocessable(format!(
            "id_path found {} values and name_path {}: they must list the same tenants",
            ids.len(),
            names.len()
        )));
    }
    let organizations = state.store.subtree(&installation.organization_id).await?;
    let mappings = state.store.tenant_mappings(&id).await?;
    let text = |v: &Value| v.as_str().map_or_else(|| v.to_string(), str::to_string);
    let tenants: Vec<Value> = ids
        .iter()
        .zip(&names)
        .map(|(tenant_id, name)| {
            let (tenant_id, name) = (text(tenant_id), text(name));
            let best = organizations
                .iter()
                .map(|o| (o, similarity(&name, &o.name)))
                .filter(|(_, score)| *score >= SUGGESTION_THRESHOLD)
                .max_by(|a, b| a.1.total_cmp(&b.1));
            let mapped = mappings
                .iter()
                .find(|m| m.tenant_id == tenant_id)
                .map(|m| m.organization_id.clone());
            json!({
                "tenant_id": tenant_id,
                "tenant_name": name,
                "suggestion": best.map(|(o, score)| json!({
                    "organization_id": o.id, "organization_name": o.name,
                    "score": (score * 100.0).round() / 100.0,
                })),
                "mapped_to": mapped,
            })
        })
        .collect();
    Ok(Json(json!({"tenants": tenants})))
}

/// Body of `PUT /v1/installations/{id}/tenants/{tenant}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Map {
    organization_id: String,
    #[serde(default)]
    tenant_name: String,
}

/// `PUT /v1/installations/{id}/tenants/{tenant}` (editor): maps a tenant to an organization of
/// the installation's organization or below.
pub async fn map(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, tenant)): Path<(String, String)>,
    body: JsonBody<Map>,
) -> ApiResult<Json<Value>> {
    let Json(body) = body?;
    let installation = reachable(&state, &caller, &id).await?;
    caller.require(Role::Editor)?;
    caller.reach(&state, &body.organization_id).await?;
    if !state
        .store
        .is_within(&body.organization_id, &installation.organization_id)
        .await?
    {
        return Err(Problem::unprocessable(format!(
            "organization `{}` is not below the installation's organization",
            body.organization_id
        )));
    }
    let mapping = TenantMapping {
        organization_id: body.organization_id,
        tenant_id: tenant,
        tenant_name: body.tenant_name,
    };
    state.store.map_tenant(&id, &mapping).await?;
    super::audit(
        &state,
        &caller,
        Some(&installation.organization_id),
        "tenant.map",
        &id,
        &format!("{} -> {}", mapping.tenant_id, mapping.organization_id),
    )
    .await?;
    Ok(Json(
        json!({"mappings": state.store.tenant_mappings(&id).await?}),
    ))
}

/// `GET /v1/installations/{id}/tenants`: a page of the saved mappings (by tenant name).
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Paging(page): Paging,
) -> ApiResult<Json<Value>> {
    reachable(&state, &caller, &id).await?;
    paging::answer(
        "mappings",
        state.store.tenant_mappings_page(&id, &page).await?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_match() {
        assert!(similarity("Acme Corp.", "ACME") > 0.95);
        assert!(similarity("Contoso Ltd", "contoso") > 0.95);
        assert!(similarity("Northwind Traders", "Northwind") > SUGGESTION_THRESHOLD);
        assert!(similarity("Fabrikam", "Contoso") < SUGGESTION_THRESHOLD);
    }
}
