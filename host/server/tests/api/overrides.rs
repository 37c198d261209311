//! A configuration overrides the integration's auth settings (header name, preamble, extra
//! headers), checked against the integration's auth; and the custom-integrations switch blocks
//! authoring and new installs while existing installations keep running.

use plugboard_tests::api::{AuthCheck, TestApi};
use serde_json::json;

use super::start;

#[tokio::test(flavor = "multi_thread")]
async fn a_configuration_overrides_auth_settings_and_the_switch_keeps_installations_running() {
    let upstream = TestApi::start(AuthCheck::header("X-Custom-Key", "Token k1"))
        .await
        .expect("upstream");
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("plugboard.db").display());
    let (api, admin, _store) = start(&url).await;
    let (_, me) = api.get("/v1/me", &admin).await;
    let root = me["user"]["organization_id"]
        .as_str()
        .expect("org")
        .to_string();
    let definition = json!({
        "definition_version": 1, "name": "Keyed", "description": "API key",
        "hostname": upstream.host(), "scheme": "http",
        "auth": {"type": "api_key", "api_key_header_name": "X-Api-Key"},
        "actions": [{"id": "get", "name": "Get", "method": "GET", "path": "/page/items"}]
    });
    let integration = api.finalized(&admin, &root, definition.clone()).await;
    let installs = format!("/v1/organizations/{root}/installations");

    // Overrides that do not apply, or take a header the host controls, are refused by field.
    for (auth, field) in [
        (json!({"scope": "read"}), "auth.scope"),
        (
            json!({"extra_headers": {"Host": "evil.example"}}),
            "auth.extra_headers.Host",
        ),
        (
            json!({"extra_headers": {"x-custom-key": "x"}, "header_name": "X-Custom-Key"}),
            "auth.extra_headers.x-custom-key",
        ),
        (json!({"token_url": "https://evil.example"}), "auth"),
    ] {
        let (status, problem) = api
            .json(
                "POST",
                &installs,
                &admin,
                json!({"integration_id": integration, "credentials": {"api_key": "k1"}, "auth": auth}),
            )
            .await;
        assert_eq!(status, 422, "{auth}: {problem}");
        assert_eq!(problem["fields"], json!([field]), "{problem}");
    }

    let overrides = json!({"header_name": "X-Custom-Key", "preamble": "Token",
        "extra_headers": {"X-Tenant": "acme"}});
    let (status, installation) = api
        .json(
            "POST",
            &installs,
            &admin,
            json!({"integration_id": integration, "credentials": {"api_key": "k1"},
                "auth": overrides}),
        )
        .await;
    assert_eq!(status, 201, "{installation}");
    let id = installation["id"].as_str().expect("id").to_string();
    let invoke = format!("/v1/installations/{id}/actions/get/invoke");
    let (status, result) = api.json("POST", &invoke, &admin, json!({})).await;
    assert_eq!(status, 200, "{result}");
    let sent = upstream.last_request("/page").expect("a request");
    assert_eq!(sent.header("x-tenant"), Some("acme"));
    assert_eq!(
        sent.header("x-api-key"),
        None,
        "the default header is replaced"
    );

    // Another configuration without overrides uses the integration's settings.
    let (status, _) = api
        .json(
            "PUT",
            &format!("/v1/installations/{id}/configurations/plain"),
            &admin,
            json!({"credentials": {"api_key": "k1"}}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, result) = api
        .json("POST", &invoke, &admin, json!({"configuration": "plain"}))
        .await;
    assert_eq!(status, 502, "{result}");
    let sent = upstream.last_request("/page").expect("a request");
    assert_eq!(sent.header("x-api-key"), Some("k1"));

    // Reading a configuration: its settings and credential names, never a credential.
    let (status, configuration) = api
        .get(
            &format!("/v1/installations/{id}/configurations/default"),
            &admin,
        )
        .await;
    assert_eq!(status, 200, "{configuration}");
    assert_eq!(configuration["auth"], overrides);
    assert_eq!(configuration["credentials"], json!(["api_key"]));
    assert_eq!(configuration["default"], true);
    assert!(!configuration.to_string().contains("k1"));
    // New credentials without `auth` keep the overrides.
    let (status, _) = api
        .json(
            "PUT",
            &format!("/v1/installations/{id}/configurations/default"),
            &admin,
            json!({"credentials": {"api_key": "k1"}}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(api.json("POST", &invoke, &admin, json!({})).await.0, 200);

    // The switch off: no authoring, no new install; the installation keeps running.
    let switch = format!("/v1/organizations/{root}/custom-integrations");
    let (status, _) = api
        .json("PUT", &switch, &admin, json!({"enabled": false}))
        .await;
    assert_eq!(status, 200);
    let (status, problem) = api
        .json(
            "POST",
            &format!("/v1/organizations/{root}/integrations"),
            &admin,
            definition.clone(),
        )
        .await;
    assert_eq!(status, 403, "{problem}");
    let (status, problem) = api
        .json(
            "POST",
            &installs,
            &admin,
            json!({"integration_id": integration, "credentials": {"api_key": "k1"}}),
        )
        .await;
    assert_eq!(status, 403, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("keep running")),
        "{problem}"
    );
    let (status, result) = api.json("POST", &invoke, &admin, json!({})).await;
    assert_eq!(status, 200, "{result}");
    let (status, installable) = api
        .get(&format!("/v1/organizations/{root}/installable"), &admin)
        .await;
    assert_eq!(status, 200);
    assert!(
        installable["integrations"][0]["blocked"]
            .as_str()
            .is_some_and(|b| b.contains("switched off")),
        "{installable}"
    );
    let (status, _) = api
        .json("PUT", &switch, &admin, json!({"enabled": true}))
        .await;
    assert_eq!(status, 200);
    let (_, installable) = api
        .get(&format!("/v1/organizations/{root}/installable"), &admin)
        .await;
    assert!(installable["integrations"][0].get("blocked").is_none());
    let (status, _) = api
        .json(
            "POST",
            &installs,
            &admin,
            json!({"integration_id": integration, "credentials": {"api_key": "k1"}}),
        )
        .await;
    assert_eq!(status, 201);
}
