//! Third-party bundles: an operator (admin) loads a reviewed component into the platform, where
//! it is listed, published, installed and invoked like one finalized here. Its signature must
//! be by a trusted key unless the operator allows untrusted bundles.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use plugboard_bundle::sign::{self, Verified};
use plugboard_store::{NewVersion, Role, Status};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::auth::Caller;
use crate::problem::{ApiResult, Problem};

/// Query of `POST /v1/organizations/{org}/integrations/bundle`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    /// `published` (default) or `hidden`.
    status: Option<String>,
}

/// The marker in an integration's definition column for an uploaded bundle.
pub const BUNDLE_KIND: &str = "bundle";

/// `POST /v1/organizations/{org}/integrations/bundle` (admin; body: the `.wasm`).
pub async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    Path(org): Path<String>,
    Query(query): Query<UploadQuery>,
    body: crate::spec_work::SpecBody,
) -> ApiResult<(StatusCode, Json<Value>)> {
    caller.reach(&state, &org).await?;
    caller.require(Role::Admin)?;
    // Held until the bundle is checked, compiled and stored.
    let (body, _ticket) = body.admit(crate::spec_work::Cost::Component).await?;
    let status = match query.status.as_deref().unwrap_or("published") {
        "published" => Status::Published,
        "hidden" => Status::Hidden,
        other => {
            return Err(Problem::unprocessable(format!(
                "status `{other}`: use published or hidden"
            )));
        }
    };
    let signer = match sign::verify(&body, &state.trust.keys)
        .map_err(|e| Problem::unprocessable(e.to_string()))?
    {
        Verified::Trusted(id) => Some(id),
        Verified::Untrusted(id) if state.trust.allow_untrusted => Some(id),
        Verified::Unsigned if state.trust.allow_untrusted => None,
        Verified::Untrusted(id) => {
            return Err(Problem::forbidden(format!(
                "the bundle is signed by key {id}, which this platform does not trust"
            )));
        }
        Verified::Unsigned => {
            return Err(Problem::forbidden(
                "the bundle is not signed; sign it (`plugboard sign`) with a key this platform trusts",
            ));
        }
    };
    let bundle =
        state.runtime.load(&body).await.map_err(|e| {
            Problem::unprocessable(format!("not a usable integration component: {e}"))
        })?;
    // The review: every action parsed and checked now; what is stored here is what the
    // platform will enforce, pinned by the section's digest.
    let manifest = bundle
        .manifest
        .to_manifest()
        .map_err(|e| Problem::unprocessable(format!("the bundle's manifest: {e}")))?;
    let name = manifest.header.name.clone();
    let actions: Vec<String> = manifest.actions.iter().map(|a| a.id.clone()).collect();
    // What the platform serves of the icon goes through its sanitizer (the signed section, and
    // its pinned digest, stay as they are).
    let icon = manifest
        .header
        .icon
        .as_deref()
        .map(super::integrations::safe_icon)
        .transpose()?;
    let mut manifest = serde_json::to_value(&manifest).map_err(Problem::internal)?;
    if let Some(icon) = icon {
        manifest["header"]["icon"] = Value::String(icon);
    }
    let definition = json!({"kind": BUNDLE_KIND, "signer": signer, "manifest": manifest});
    let hash = hex::encode(Sha256::digest(&body));
    let integration = state
        .store
        .create_integration(&org, &name, &definition)
        .await?;
    let report = json!({"first_version": true, "added": actions, "removed": [],
        "renamed": [], "changed": [], "breaking": false, "breaking_reasons": []});
    let new = NewVersion {
        name: &name,
        definition: &definition,
        component: &body,
        bundle_hash: &hash,
        manifest_digest: bundle.manifest_digest(),
        status,
        change_report: &report,
    };
    let version = state.store.finalize(&integration.id, 0, &new).await?;
    super::audit(
        &state,
        &caller,
        Some(&org),
        "integration.bundle",
        &integration.id,
        &format!(
            "{hash}, signed by {}",
            new.definition["signer"].as_str().unwrap_or("nobody")
        ),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(
            json!({"integration": state.store.integration(&integration.id).await?, "version": version}),
        ),
    ))
}
