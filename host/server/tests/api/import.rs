//! Importing a spec without a usable server URL: the API asks for its own `hostname` query
//! field (not a CLI flag), and imports with it.

use serde_json::json;

use crate::{admin_and_root, host};

#[tokio::test(flavor = "multi_thread")]
async fn a_spec_without_servers_is_imported_with_the_hostname_field() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("plugboard.db").display());
    let (api, store) = host(&url).await;
    let (admin, root) = admin_and_root(&api, &store).await;
    let spec = json!({"swagger": "2.0",
        "info": {"title": "Serverless", "version": "1", "description": "No host"},
        "paths": {"/items": {"get": {"operationId": "listItems", "description": "List",
            "responses": {"200": {"description": "ok"}}}}}})
    .to_string();
    let import = format!("/v1/organizations/{root}/integrations/import");
    let (status, problem, _) = api
        .call("POST", &import, Some(&admin), Some(spec.clone()))
        .await;
    assert_eq!(status, 422, "{problem}");
    let detail = problem["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("`hostname` query field") && !detail.contains("--hostname"),
        "{problem}"
    );
    assert_eq!(problem["fields"], json!(["hostname"]));
    let (status, imported, _) = api
        .call(
            "POST",
            &format!("{import}?hostname=api.example.com"),
            Some(&admin),
            Some(spec),
        )
        .await;
    assert_eq!(status, 201, "{imported}");
    assert_eq!(
        imported["integration"]["definition"]["hostname"],
        "api.example.com"
    );
}
