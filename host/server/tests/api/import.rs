//! Importing a spec without a usable server URL: the draft imports with an empty hostname and
//! a note; finalize refuses in the API's terms (the `hostname` field, never a CLI flag) until
//! the hostname is set; the `hostname` query field gives it at import.

use serde_json::json;

use crate::{admin_and_root, host};

#[tokio::test(flavor = "multi_thread")]
async fn a_spec_without_servers_imports_and_finalize_asks_for_the_hostname() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("plugboard.db").display());
    let (api, store) = host(&url).await;
    let (admin, root) = admin_and_root(&api, &store).await;
    let spec = json!({"swagger": "2.0",
        "info": {"title": "Serverless", "version": "1", "description": "No host"},
        "basePath": "/v2",
        "paths": {"/items": {"get": {"operationId": "listItems", "description": "List",
            "responses": {"200": {"description": "ok"}}}}}})
    .to_string();
    let import = format!("/v1/organizations/{root}/integrations/import");
    let (status, imported, _) = api
        .call("POST", &import, Some(&admin), Some(spec.clone()))
        .await;
    assert_eq!(status, 201, "{imported}");
    let definition = &imported["integration"]["definition"];
    assert_eq!(definition["hostname"], "", "{imported}");
    assert_eq!(definition["base_path"], "/v2", "{imported}");
    let notes = imported["summary"]["notes"].to_string();
    assert!(notes.contains("no hostname"), "{notes}");
    let id = imported["integration"]["id"]
        .as_str()
        .expect("id")
        .to_string();

    let finalize = format!("/v1/integrations/{id}/finalize");
    let (status, problem, _) = api
        .call("POST", &finalize, Some(&admin), Some("{}".into()))
        .await;
    assert_eq!(status, 422, "{problem}");
    let detail = problem["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("no hostname") && !detail.contains("--hostname"),
        "{problem}"
    );
    assert_eq!(problem["fields"], json!(["hostname"]));

    let mut draft = definition.clone();
    draft["hostname"] = json!("api.example.com");
    let (status, updated, _) = api
        .call(
            "PUT",
            &format!("/v1/integrations/{id}/definition"),
            Some(&admin),
            Some(draft.to_string()),
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    let (status, finalized, _) = api
        .call("POST", &finalize, Some(&admin), Some("{}".into()))
        .await;
    assert_eq!(status, 201, "{finalized}");
    // A finalized integration is not deleted: it is hidden.
    let (status, problem, _) = api
        .call(
            "DELETE",
            &format!("/v1/integrations/{id}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, 409, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("hidden"),
        "{problem}"
    );

    // The hostname query field still gives the hostname at import.
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
    // A draft is deleted (audited), and is gone.
    let draft = imported["integration"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let (status, body, _) = api
        .call(
            "DELETE",
            &format!("/v1/integrations/{draft}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, 204, "{body}");
    let (status, _, _) = api
        .call(
            "GET",
            &format!("/v1/integrations/{draft}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, 404);
}

/// A hostname template's placeholder is installation config: invoking without it is a 422 that
/// names the `config` field (not a 500), and with a value that is no DNS label too.
#[tokio::test(flavor = "multi_thread")]
async fn a_hostname_template_without_its_config_value_is_a_422() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("plugboard.db").display());
    let (api, store) = host(&url).await;
    let (admin, root) = admin_and_root(&api, &store).await;
    let spec = json!({"openapi": "3.0.0",
        "info": {"title": "Per tenant", "version": "1", "description": "A host per installation"},
        "servers": [{"url": "https://{account}.blob.example.net", "variables": {"account": {"description": "Storage account"}}}],
        "paths": {"/items": {"get": {"operationId": "listItems", "responses": {"200": {"description": "ok"}}}}}})
    .to_string();
    let (status, imported, _) = api
        .call(
            "POST",
            &format!("/v1/organizations/{root}/integrations/import"),
            Some(&admin),
            Some(spec),
        )
        .await;
    assert_eq!(status, 201, "{imported}");
    assert_eq!(
        imported["integration"]["definition"]["hostname"],
        "{account}.blob.example.net"
    );
    let id = imported["integration"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let (status, finalized, _) = api
        .call(
            "POST",
            &format!("/v1/integrations/{id}/finalize"),
            Some(&admin),
            Some("{}".into()),
        )
        .await;
    assert_eq!(status, 201, "{finalized}");
    // Config keys the integration does not declare are refused, naming the known ones.
    let (status, problem, _) = api
        .call(
            "POST",
            &format!("/v1/organizations/{root}/installations"),
            Some(&admin),
            Some(json!({"integration_id": id, "config": {"acount": "typo"}}).to_string()),
        )
        .await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["fields"], json!(["config.acount"]));
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("takes `account`"),
        "{problem}"
    );
    let (status, installation, _) = api
        .call(
            "POST",
            &format!("/v1/organizations/{root}/installations"),
            Some(&admin),
            Some(json!({"integration_id": id}).to_string()),
        )
        .await;
    assert_eq!(status, 201, "{installation}");
    let installation = installation["id"].as_str().expect("id").to_string();
    let (status, problem, _) = api
        .call(
            "POST",
            &format!("/v1/installations/{installation}/actions/listItems/invoke"),
            Some(&admin),
            Some("{}".into()),
        )
        .await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["fields"], json!(["config"]));
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("`account`"),
        "{problem}"
    );
    // The configuration takes the declared key, and refuses another.
    let (status, configured, _) = api
        .call(
            "PUT",
            &format!("/v1/installations/{installation}/configurations/default"),
            Some(&admin),
            Some(json!({"config": {"account": "myacct"}}).to_string()),
        )
        .await;
    assert_eq!(status, 200, "{configured}");
    let (status, problem, _) = api
        .call(
            "PUT",
            &format!("/v1/installations/{installation}/configurations/default"),
            Some(&admin),
            Some(json!({"config": {"region": "eu"}}).to_string()),
        )
        .await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["fields"], json!(["config.region"]));
}
