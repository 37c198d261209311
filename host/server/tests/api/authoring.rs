//! Authoring on the platform as on the CLI: an import with the choices of `plugboard import`
//! (filters, settings) answering the spec's lint findings and the notes; a clean with filters;
//! an action edited by a merge patch; a regex replace previewed and applied; and a request body
//! checked against its schema before the call.

use plugboard_tests::api::{AuthCheck, TestApi};
use serde_json::{Value, json};

use super::{Api, start};

const SPEC: &str = r#"openapi: 3.0.3
info:
  title: Shop
  version: "1"
servers:
  - url: https://shop.example.com
paths:
  /pets:
    get:
      operationId: listPets
      tags: [pets]
      summary: List pets
      responses:
        "200":
          description: The pets.
  /pets/{id}:
    get:
      operationId: getPet
      tags: [pets]
      summary: Get a pet
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses:
        "200":
          description: A pet.
  /orders:
    get:
      operationId: listOrders
      tags: [orders]
      summary: List orders
      responses:
        "200":
          description: The orders.
"#;

async fn post_text(api: &Api, path: &str, token: &str, body: &str) -> (u16, Value) {
    let (status, value, _) = api
        .call("POST", path, Some(token), Some(body.to_string()))
        .await;
    (status, value)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_api_imports_cleans_and_edits_as_the_cli_does() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("plugboard.db").display());
    let (api, admin, _store) = start(&url).await;
    let (_, me) = api.get("/v1/me", &admin).await;
    let root = me["user"]["organization_id"]
        .as_str()
        .expect("org")
        .to_string();
    let import = format!("/v1/organizations/{root}/integrations/import");

    // The choices of `plugboard import`: a tag filter in the query, settings in an envelope.
    let envelope = json!({
        "spec": SPEC,
        "settings": {"base_path": "/v2", "auth": "api_key", "api_key_header_name": "X-Key",
            "pagination": "page", "page_param": "page", "results_key": "items",
            "default_page_size": 50}
    });
    let (status, imported) = post_text(
        &api,
        &format!("{import}?include_tags=pets"),
        &admin,
        &envelope.to_string(),
    )
    .await;
    assert_eq!(status, 201, "{imported}");
    let definition = &imported["integration"]["definition"];
    let ids: Vec<&str> = definition["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .filter_map(|a| a["id"].as_str())
        .collect();
    assert_eq!(ids, ["listPets", "getPet"]);
    assert_eq!(definition["base_path"], "/v2");
    assert_eq!(definition["auth"]["api_key_header_name"], "X-Key");
    assert_eq!(definition["pagination"]["default_page_size"], 50);
    let finding = &imported["findings"][0];
    for key in ["rule", "severity", "message", "line", "pointer"] {
        assert!(!finding[key].is_null(), "{key} in {finding}");
    }
    assert!(
        imported["summary"]["notes"]
            .as_array()
            .expect("notes")
            .iter()
            .any(|n| n.as_str().is_some_and(|n| n.contains("filters left out"))),
        "{imported}"
    );
    let id = imported["integration"]["id"]
        .as_str()
        .expect("id")
        .to_string();

    // Refusals name the field.
    let (status, problem) = post_text(
        &api,
        &import,
        &admin,
        &json!({"spec": SPEC, "settings": {"default_page_size": 5000, "pagination": "page"}})
            .to_string(),
    )
    .await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["fields"], json!(["settings"]));
    let (status, problem) =
        post_text(&api, &format!("{import}?include_paths=%5B"), &admin, SPEC).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["fields"], json!(["include_paths"]));

    // Clean with a filter: structured repairs and the findings left.
    let (status, cleaned) = post_text(&api, "/v1/clean?exclude_paths=/orders", &admin, SPEC).await;
    assert_eq!(status, 200, "{cleaned}");
    assert!(!cleaned["spec"].as_str().expect("spec").contains("/orders"));
    assert!(cleaned["repairs"][0]["rule"].is_string(), "{cleaned}");
    assert!(cleaned["findings"].is_array());

    // One action edited by a merge patch.
    let action = format!("/v1/integrations/{id}/actions/listPets");
    let (status, edited) = api
        .json(
            "PATCH",
            &action,
            &admin,
            json!({"name": "Search pets", "method": "POST", "path": "/pets/search",
                "request_body": {"required": true, "schema": {"type": "object"}}}),
        )
        .await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["action"]["id"], "listPets");
    assert_eq!(edited["action"]["method"], "POST");
    let (status, problem) = api
        .json("PATCH", &action, &admin, json!({"colour": "red"}))
        .await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["fields"], json!(["colour"]));
    let (status, problem) = api
        .json("PATCH", &action, &admin, json!({"path": "pets"}))
        .await;
    assert_eq!(status, 422, "{problem}");
    assert!(
        problem["fields"][0]
            .as_str()
            .is_some_and(|f| f.contains("path")),
        "{problem}"
    );

    // A regex replace: previewed, then applied, in the server's dialect.
    let replace = format!("/v1/integrations/{id}/actions/regex-replace");
    let (status, preview) = api
        .json(
            "POST",
            &replace,
            &admin,
            json!({"pattern": "(?i)pets?", "replacement": "Animals"}),
        )
        .await;
    assert_eq!(status, 200, "{preview}");
    assert_eq!(preview["applied"], false);
    assert_eq!(preview["changes"].as_array().map(Vec::len), Some(2));
    let (_, unchanged) = api.get(&format!("/v1/integrations/{id}"), &admin).await;
    assert_eq!(unchanged["definition"]["actions"][0]["name"], "Search pets");
    let (status, applied) = api
        .json(
            "POST",
            &replace,
            &admin,
            json!({"pattern": "(?i)pets?", "replacement": "Animals", "apply": true}),
        )
        .await;
    assert_eq!(status, 200, "{applied}");
    assert_eq!(applied["applied"], true);
    let (_, changed) = api.get(&format!("/v1/integrations/{id}"), &admin).await;
    assert_eq!(
        changed["definition"]["actions"][0]["name"],
        "Search Animals"
    );
    // On a definition sent along (a finalized integration's next version): answered changed.
    let (status, sent) = api
        .json(
            "POST",
            &replace,
            &admin,
            json!({"pattern": "Animals", "replacement": "Pets",
                "definition": changed["definition"]}),
        )
        .await;
    assert_eq!(status, 200, "{sent}");
    assert_eq!(sent["definition"]["actions"][0]["name"], "Search Pets");
    let (_, stored) = api.get(&format!("/v1/integrations/{id}"), &admin).await;
    assert_eq!(stored["definition"]["actions"][0]["name"], "Search Animals");
    let (status, problem) = api
        .json(
            "POST",
            &replace,
            &admin,
            json!({"pattern": "(", "replacement": "x"}),
        )
        .await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["fields"], json!(["pattern"]));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_body_is_checked_against_its_schema_before_the_call() {
    let upstream = TestApi::start(AuthCheck::None).await.expect("upstream");
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("plugboard.db").display());
    let (api, admin, _store) = start(&url).await;
    let (_, me) = api.get("/v1/me", &admin).await;
    let root = me["user"]["organization_id"]
        .as_str()
        .expect("org")
        .to_string();
    let definition = json!({
        "definition_version": 1, "name": "Orders", "description": "Orders",
        "hostname": upstream.host(), "scheme": "http",
        "schemas": {"Line": {"type": "object", "required": ["sku"],
            "properties": {"sku": {"type": "string"}, "qty": {"type": "integer", "minimum": 1}}}},
        "actions": [{"id": "order", "name": "Order", "method": "POST", "path": "/echo/orders",
            "request_body": {"required": true, "schema": {"type": "object",
                "required": ["customer", "lines"],
                "properties": {"customer": {"type": "string"},
                    "lines": {"type": "array", "items": {"$ref": "#/schemas/Line"}}}}}}]
    });
    let integration = api.finalized(&admin, &root, definition).await;
    let (_, installation) = api
        .json(
            "POST",
            &format!("/v1/organizations/{root}/installations"),
            &admin,
            json!({"integration_id": integration}),
        )
        .await;
    let invoke = format!(
        "/v1/installations/{}/actions/order/invoke",
        installation["id"].as_str().expect("id")
    );
    let sent_before = upstream.requests("/echo").len();
    for (body, field) in [
        (json!({"customer": 7, "lines": []}), "input.body.customer"),
        (
            json!({"customer": "c", "lines": [{"sku": "a", "qty": 0}]}),
            "input.body.lines.0.qty",
        ),
        (
            json!({"customer": "c", "lines": [{"qty": 1}]}),
            "input.body.lines.0",
        ),
        (json!({"lines": []}), "input.body"),
    ] {
        let (status, problem) = api
            .json("POST", &invoke, &admin, json!({"input": {"body": body}}))
            .await;
        assert_eq!(status, 422, "{body}: {problem}");
        assert_eq!(problem["fields"], json!([field]), "{problem}");
    }
    assert_eq!(
        upstream.requests("/echo").len(),
        sent_before,
        "nothing was sent"
    );
    let (status, result) = api
        .json(
            "POST",
            &invoke,
            &admin,
            json!({"input": {"body": {"customer": "c", "lines": [{"sku": "a", "qty": 2}]}}}),
        )
        .await;
    assert_eq!(status, 200, "{result}");
    assert_eq!(result["output"]["body"]["lines"][0]["qty"], 2);
}
