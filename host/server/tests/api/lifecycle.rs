//! The lifecycle verbs, on SQLite and PostgreSQL: API tokens (list, make, rotate, revoke),
//! users (role, removal; the root keeps an admin), uninstall (credentials, tokens and mappings
//! go; refused while tenants are mapped unless forced), configurations, and retired versions.
//! Each is audited.

use plugboard_tests::api::{AuthCheck, TestApi};
use plugboard_tests::oauth::{TokenEndpoint, TokenEndpointConfig};
use serde_json::json;

use super::{Api, start};

async fn delete(api: &Api, path: &str, token: &str) -> (u16, serde_json::Value) {
    let (status, body, _) = api.call("DELETE", path, Some(token), None).await;
    (status, body)
}

async fn status_of(api: &Api, token: &str) -> u16 {
    api.get("/v1/me", token).await.0
}

async fn tokens_and_users(api: &Api, admin: &str, root: &str) {
    // The admin's own tokens: listed without the token itself.
    let (status, listed) = api.get("/v1/users/me/tokens", admin).await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(listed["tokens"].as_array().map(Vec::len), Some(1));
    assert!(!listed.to_string().contains("pbt_"), "{listed}");
    let (status, made) = api
        .json("POST", "/v1/users/me/tokens", admin, json!({"name": "ci"}))
        .await;
    assert_eq!(status, 201, "{made}");
    let ci = made["token"].as_str().expect("token").to_string();
    let ci_id = made["api_token"]["id"].as_str().expect("id").to_string();
    assert_eq!(status_of(api, &ci).await, 200);
    let (status, problem) = api
        .json("POST", "/v1/users/me/tokens", admin, json!({"name": " "}))
        .await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["fields"], json!(["name"]));

    // Rotate: the new one works, the old one stops.
    let (status, rotated) = api
        .json(
            "POST",
            &format!("/v1/users/me/tokens/{ci_id}/rotate"),
            &ci,
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{rotated}");
    let ci2 = rotated["token"].as_str().expect("token").to_string();
    assert_eq!(rotated["api_token"]["name"], "ci");
    assert_eq!(status_of(api, &ci).await, 401);
    assert_eq!(status_of(api, &ci2).await, 200);
    let ci2_id = rotated["api_token"]["id"].as_str().expect("id");
    let (status, _) = delete(api, &format!("/v1/users/me/tokens/{ci2_id}"), admin).await;
    assert_eq!(status, 204);
    assert_eq!(status_of(api, &ci2).await, 401);

    // Users: an editor manages its own tokens, not other users.
    let (_, editor) = api
        .json(
            "POST",
            &format!("/v1/organizations/{root}/users"),
            admin,
            json!({"name": "ed", "role": "editor"}),
        )
        .await;
    let editor_token = editor["token"].as_str().expect("token").to_string();
    let editor_id = editor["user"]["id"].as_str().expect("id").to_string();
    let (status, _) = api.get("/v1/users/me/tokens", &editor_token).await;
    assert_eq!(status, 200);
    let (status, _) = api
        .get(&format!("/v1/organizations/{root}/users"), &editor_token)
        .await;
    assert_eq!(status, 403);
    let (admin_id, _) = {
        let (_, me) = api.get("/v1/me", admin).await;
        (me["user"]["id"].as_str().expect("id").to_string(), me)
    };
    let (status, _) = api
        .get(&format!("/v1/users/{admin_id}/tokens"), &editor_token)
        .await;
    assert_eq!(status, 403);
    let (status, users) = api
        .get(&format!("/v1/organizations/{root}/users"), admin)
        .await;
    assert_eq!(status, 200);
    assert_eq!(users["users"].as_array().map(Vec::len), Some(2), "{users}");

    // The root keeps an admin: not demoted, not removed.
    let (status, problem) = api
        .json(
            "PATCH",
            &format!("/v1/users/{admin_id}"),
            admin,
            json!({"role": "viewer"}),
        )
        .await;
    assert_eq!(status, 409, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("last admin"))
    );
    let (status, _) = delete(api, &format!("/v1/users/{admin_id}"), admin).await;
    assert_eq!(status, 409);
    let (status, problem) = api
        .json(
            "PATCH",
            &format!("/v1/users/{editor_id}"),
            admin,
            json!({"role": "owner"}),
        )
        .await;
    assert_eq!(status, 422, "{problem}");
    let (status, changed) = api
        .json(
            "PATCH",
            &format!("/v1/users/{editor_id}"),
            admin,
            json!({"role": "viewer"}),
        )
        .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["role"], "viewer");
    let (status, _) = api
        .json(
            "POST",
            "/v1/organizations",
            &editor_token,
            json!({"name": "x"}),
        )
        .await;
    assert_eq!(status, 403);
    let (status, _) = delete(api, &format!("/v1/users/{editor_id}"), admin).await;
    assert_eq!(status, 204);
    assert_eq!(status_of(api, &editor_token).await, 401);
}

async fn install(api: &Api, admin: &str, root: &str, integration: &str, client: &str) -> String {
    let (status, installation) = api
        .json(
            "POST",
            &format!("/v1/organizations/{root}/installations"),
            admin,
            json!({"integration_id": integration,
                "credentials": {"client_id": client, "client_secret": "secret-1"}}),
        )
        .await;
    assert_eq!(status, 201, "{installation}");
    installation["id"].as_str().expect("id").to_string()
}

async fn installations_and_versions(api: &Api, admin: &str, root: &str) {
    let endpoint = TokenEndpoint::start(TokenEndpointConfig::default());
    let upstream = TestApi::start(AuthCheck::bearer(endpoint.validator()))
        .await
        .expect("upstream");
    let definition = |description: &str| {
        json!({
            "definition_version": 1, "name": "Machines", "description": description,
            "hostname": upstream.host(), "scheme": "http",
            "auth": {"type": "oauth2", "grant_type": "client_credentials",
                "access_token_url": endpoint.token_url()},
            "actions": [{"id": "listItems", "name": "List", "method": "GET", "path": "/page/items"}]
        })
    };
    let integration = api.finalized(admin, root, definition("v1")).await;
    let id = install(api, admin, root, &integration, "client-1").await;
    let base = format!("/v1/installations/{id}");
    let invoke = |configuration: &str| {
        let body = json!({"configuration": configuration});
        let path = format!("{base}/actions/listItems/invoke");
        async move { api.json("POST", &path, admin, body).await }
    };

    // A second configuration with its own tokens.
    let (status, _) = api
        .json(
            "PUT",
            &format!("{base}/configurations/eu"),
            admin,
            json!({"credentials": {"client_id": "client-1", "client_secret": "secret-1"}}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(invoke("default").await.0, 200);
    assert_eq!(invoke("eu").await.0, 200);
    assert_eq!(endpoint.count("client_credentials"), 2);
    let (status, problem) = delete(api, &format!("{base}/configurations/default"), admin).await;
    assert_eq!(status, 409, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("default"))
    );
    let (status, _) = delete(api, &format!("{base}/configurations/eu"), admin).await;
    assert_eq!(status, 204);
    let (status, installation) = api.get(&base, admin).await;
    assert_eq!(status, 200);
    assert_eq!(installation["configurations"], json!(["default"]));
    // A configuration of the same name starts without the old one's tokens.
    let (status, _) = api
        .json(
            "PUT",
            &format!("{base}/configurations/eu"),
            admin,
            json!({"credentials": {"client_id": "client-1", "client_secret": "secret-1"}}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(invoke("eu").await.0, 200);
    assert_eq!(endpoint.count("client_credentials"), 3);
    let (status, _) = delete(api, &format!("{base}/configurations/nope"), admin).await;
    assert_eq!(status, 404);

    // A mapped tenant blocks the uninstall unless forced.
    let (status, source) = api
        .json(
            "PUT",
            &format!("{base}/tenant-source"),
            admin,
            json!({"action_id": "listItems", "id_path": "$.items[*].id",
                "name_path": "$.items[*].name", "input_key": "tenant"}),
        )
        .await;
    assert_eq!(status, 200, "{source}");
    let (_, branch) = api
        .json(
            "POST",
            "/v1/organizations",
            admin,
            json!({"name": "Branch"}),
        )
        .await;
    let (status, _) = api
        .json(
            "PUT",
            &format!("{base}/tenants/7"),
            admin,
            json!({"organization_id": branch["id"], "tenant_name": "item-7"}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, problem) = delete(api, &base, admin).await;
    assert_eq!(status, 409, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("force=true"))
    );
    let (status, removed) = delete(api, &format!("{base}?force=true"), admin).await;
    assert_eq!(status, 200, "{removed}");
    assert_eq!(
        removed,
        json!({"configurations": 2, "token_states": 2, "tenant_mappings": 1})
    );
    assert_eq!(api.get(&base, admin).await.0, 404);
    assert_eq!(invoke("default").await.0, 404);

    // Versions: the current one and an installed one are not retired.
    let (status, finalized) = api
        .json(
            "POST",
            &format!("/v1/integrations/{integration}/finalize"),
            admin,
            json!({"definition": definition("v2")}),
        )
        .await;
    assert_eq!(status, 201, "{finalized}");
    let v1_user = install(api, admin, root, &integration, "client-1").await;
    let (status, versions) = api
        .get(&format!("/v1/integrations/{integration}/versions"), admin)
        .await;
    assert_eq!(status, 200, "{versions}");
    assert_eq!(versions["versions"][0]["version"], 2);
    assert_eq!(versions["versions"][0]["installations"], 1);
    let retire = |version: i64| format!("/v1/integrations/{integration}/versions/{version}");
    let (status, problem) = delete(api, &retire(2), admin).await;
    assert_eq!(status, 409, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("current"))
    );
    let (status, retired) = delete(api, &retire(1), admin).await;
    assert_eq!(status, 200, "{retired}");
    assert!(retired["retired_at"].is_i64(), "{retired}");
    let (status, problem) = delete(api, &retire(9), admin).await;
    assert_eq!(status, 404, "{problem}");
    let (status, _) = delete(api, &format!("/v1/installations/{v1_user}"), admin).await;
    assert_eq!(status, 200);
}

async fn lifecycle(url: &str) {
    let (api, admin, _store) = start(url).await;
    let (_, me) = api.get("/v1/me", &admin).await;
    let root = me["user"]["organization_id"]
        .as_str()
        .expect("org")
        .to_string();
    tokens_and_users(&api, &admin, &root).await;
    installations_and_versions(&api, &admin, &root).await;
    let (status, audit) = api
        .get(&format!("/v1/organizations/{root}/audit"), &admin)
        .await;
    assert_eq!(status, 200);
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for action in [
        "token.create",
        "token.rotate",
        "token.revoke",
        "user.role",
        "user.remove",
        "installation.configuration_delete",
        "installation.uninstall",
        "integration.version_retire",
    ] {
        assert!(actions.contains(&action), "{action} not in {actions:?}");
    }
    assert!(
        !audit.to_string().contains("pbt_"),
        "no token in the audit log"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn lifecycle_verbs_on_sqlite() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("plugboard.db").display());
    lifecycle(&url).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn lifecycle_verbs_on_postgres() {
    let server = plugboard_tests::postgres::Postgres::start();
    lifecycle(server.url()).await;
}
