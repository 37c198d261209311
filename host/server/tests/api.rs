//! The REST API end to end: a real server on 127.0.0.1 over the store (SQLite file, and a
//! PostgreSQL server started by the test), importing a spec, finalizing, installing with
//! credentials and invoking against a loopback API; roles and organization boundaries.

use std::sync::Arc;

use plugboard_runtime::{Runtime, RuntimeConfig};
use plugboard_server::AppState;
use plugboard_store::{Sealer, Store};
use plugboard_tests::api::{AuthCheck, TestApi};
use serde_json::{Value, json};

struct Api {
    base: String,
    http: reqwest::Client,
}

impl Api {
    async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<String>,
    ) -> (u16, Value, String) {
        let mut request = self.http.request(
            method.parse().expect("method"),
            format!("{}{path}", self.base),
        );
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let text = response.text().await.expect("body");
        let value = serde_json::from_str(&text).unwrap_or(Value::Null);
        (status, value, content_type)
    }

    async fn json(&self, method: &str, path: &str, token: &str, body: Value) -> (u16, Value) {
        let (status, value, _) = self
            .call(method, path, Some(token), Some(body.to_string()))
            .await;
        (status, value)
    }

    async fn get(&self, path: &str, token: &str) -> (u16, Value) {
        let (status, value, _) = self.call("GET", path, Some(token), None).await;
        (status, value)
    }
}

/// Starts the API over the store at `url`; returns it and the admin's token.
async fn start(url: &str) -> (Api, String, Store) {
    plugboard_runtime::install_crypto_provider();
    let store = Store::open(url).await.expect("store");
    let token = plugboard_server::bootstrap(&store)
        .await
        .expect("bootstrap")
        .expect("a new database gets an admin");
    let runtime = Runtime::new(RuntimeConfig {
        cache_dir: Some(std::env::temp_dir().join("plugboard-server-test-cache")),
        max_instances: 16,
        ..RuntimeConfig::default()
    })
    .expect("runtime");
    let state = AppState {
        store: store.clone(),
        runtime: Arc::new(runtime),
        sealer: Sealer::new(&[7u8; 32]),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, plugboard_server::router(state)).await });
    (
        Api {
            base,
            http: reqwest::Client::new(),
        },
        token,
        store,
    )
}

fn spec(upstream: &TestApi) -> String {
    format!(
        r#"openapi: 3.0.3
info:
  title: Items API
  version: "1"
  description: Items behind an API key.
servers:
  - url: http://{host}
security:
  - key: []
components:
  securitySchemes:
    key:
      type: apiKey
      in: header
      name: X-Api-Key
paths:
  /page/items:
    get:
      operationId: listItems
      summary: List items
      responses:
        "200":
          description: The items.
"#,
        host = upstream.host()
    )
}

async fn walkthrough(url: &str) {
    let upstream = TestApi::start(AuthCheck::header("X-Api-Key", "k-installed"))
        .await
        .expect("upstream");
    let (api, admin, _store) = start(url).await;

    // Errors are problem+json with what is wrong.
    let (status, problem, content_type) = api.call("GET", "/v1/me", None, None).await;
    assert_eq!(status, 401);
    assert_eq!(content_type, "application/problem+json");
    assert!(
        problem["detail"].as_str().unwrap_or("").contains("Bearer"),
        "{problem}"
    );
    let (status, me) = api.get("/v1/me", &admin).await;
    assert_eq!(status, 200);
    let root = me["user"]["organization_id"]
        .as_str()
        .expect("org")
        .to_string();

    // Organizations and users.
    let (status, customer) = api
        .json(
            "POST",
            "/v1/organizations",
            &admin,
            json!({"name": "Customer A"}),
        )
        .await;
    assert_eq!(status, 201, "{customer}");
    let customer = customer["id"].as_str().expect("id").to_string();
    let (_, sibling) = api
        .json(
            "POST",
            "/v1/organizations",
            &admin,
            json!({"name": "Customer B"}),
        )
        .await;
    let sibling = sibling["id"].as_str().expect("id").to_string();
    let user = |org: &str, role: &str| {
        let (api, admin, org, role) = (&api, &admin, org.to_string(), role.to_string());
        async move {
            let (status, created) = api
                .json(
                    "POST",
                    &format!("/v1/organizations/{org}/users"),
                    admin,
                    json!({"name": role, "role": role}),
                )
                .await;
            assert_eq!(status, 201, "{created}");
            created["token"].as_str().expect("token").to_string()
        }
    };
    let editor = user(&customer, "editor").await;
    let viewer = user(&customer, "viewer").await;
    let outsider = user(&sibling, "editor").await;
    let (status, _) = api
        .json("POST", "/v1/organizations", &editor, json!({"name": "x"}))
        .await;
    assert_eq!(status, 403, "an editor does not create organizations");
    let (status, problem, _) = api
        .call(
            "POST",
            "/v1/organizations",
            Some(&admin),
            Some("{not json".into()),
        )
        .await;
    assert_eq!(status, 400, "{problem}");

    // Import, lint, finalize at the root.
    let (status, lint, _) = api
        .call("POST", "/v1/lint", Some(&admin), Some(spec(&upstream)))
        .await;
    assert_eq!(status, 200);
    assert_eq!(lint["errors"], 0, "{lint}");
    let (status, imported, _) = api
        .call(
            "POST",
            &format!("/v1/organizations/{root}/integrations/import"),
            Some(&admin),
            Some(spec(&upstream)),
        )
        .await;
    assert_eq!(status, 201, "{imported}");
    let integration = imported["integration"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    assert_eq!(imported["integration"]["status"], "draft");
    // A draft is not installable.
    let install = json!({"integration_id": integration, "credentials": {"api_key": "k-installed"}});
    let (status, _) = api
        .json(
            "POST",
            &format!("/v1/organizations/{customer}/installations"),
            &editor,
            install.clone(),
        )
        .await;
    assert_eq!(status, 409);
    let (status, finalized) = api
        .json(
            "POST",
            &format!("/v1/integrations/{integration}/finalize"),
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(status, 201, "{finalized}");
    assert_eq!(finalized["version"]["version"], 1);
    assert_eq!(
        finalized["version"]["change_report"]["added"],
        json!(["listItems"])
    );
    let (status, _) = api
        .json(
            "PUT",
            &format!("/v1/integrations/{integration}/status"),
            &admin,
            json!({"status": "draft"}),
        )
        .await;
    assert_eq!(status, 422, "never back to draft");

    // Install in the customer organization and invoke.
    let (status, _) = api
        .json(
            "POST",
            &format!("/v1/organizations/{customer}/installations"),
            &viewer,
            install.clone(),
        )
        .await;
    assert_eq!(status, 403, "a viewer changes nothing");
    let (status, installation) = api
        .json(
            "POST",
            &format!("/v1/organizations/{customer}/installations"),
            &editor,
            install,
        )
        .await;
    assert_eq!(status, 201, "{installation}");
    assert!(
        !installation.to_string().contains("k-installed"),
        "credentials are never returned"
    );
    let installation = installation["id"].as_str().expect("id").to_string();
    let invoke = format!("/v1/installations/{installation}/actions/listItems/invoke");
    let (status, result) = api.json("POST", &invoke, &editor, json!({})).await;
    assert_eq!(status, 200, "{result}");
    assert_eq!(result["output"]["items"].as_array().map(Vec::len), Some(10));
    assert_eq!(
        upstream
            .last_request("/page/items")
            .and_then(|r| r.header("x-api-key").map(str::to_string)),
        Some("k-installed".to_string())
    );
    let (status, _) = api.json("POST", &invoke, &viewer, json!({})).await;
    assert_eq!(status, 403);
    let (status, problem) = api
        .json(
            "POST",
            &format!("/v1/installations/{installation}/actions/nope/invoke"),
            &editor,
            json!({}),
        )
        .await;
    assert_eq!(status, 404, "{problem}");

    // Another organization sees nothing of it.
    let (status, _) = api
        .get(&format!("/v1/installations/{installation}"), &outsider)
        .await;
    assert_eq!(status, 404);
    let (status, _) = api.json("POST", &invoke, &outsider, json!({})).await;
    assert_eq!(status, 404);
    let (status, _) = api
        .get(
            &format!("/v1/organizations/{customer}/installations"),
            &outsider,
        )
        .await;
    assert_eq!(status, 404);

    // A breaking change is refused while installed; a compatible one makes version 2.
    let (_, current) = api
        .get(&format!("/v1/integrations/{integration}"), &admin)
        .await;
    let mut definition = current["definition"].clone();
    definition["actions"][0]["name"] = json!("List all items");
    let (status, v2) = api
        .json(
            "POST",
            &format!("/v1/integrations/{integration}/finalize"),
            &admin,
            json!({"definition": definition}),
        )
        .await;
    assert_eq!(status, 201, "{v2}");
    assert_eq!(
        v2["version"]["change_report"]["renamed"][0]["to"],
        "List all items"
    );
    definition["actions"][0]["path"] = json!("/other/items");
    let (status, problem) = api
        .json(
            "POST",
            &format!("/v1/integrations/{integration}/finalize"),
            &admin,
            json!({"definition": definition}),
        )
        .await;
    assert_eq!(status, 409, "{problem}");

    // The audit log has the story, and never a secret.
    let (status, audit) = api
        .get(&format!("/v1/organizations/{customer}/audit"), &admin)
        .await;
    assert_eq!(status, 200);
    let text = audit.to_string();
    assert!(
        text.contains("installation.create") && text.contains("\"invoke\""),
        "{text}"
    );
    assert!(!text.contains("k-installed"));

    // The API's own OpenAPI document lints without errors.
    let (status, document, _) = api.call("GET", "/openapi.json", None, None).await;
    assert_eq!(status, 200);
    let findings = plugboard_spec::lint::lint(&document);
    assert!(
        findings
            .iter()
            .all(|f| f.severity != plugboard_spec::lint::Severity::Error),
        "{findings:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn walkthrough_on_sqlite() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("plugboard.db").display());
    walkthrough(&url).await;
    // Credentials are sealed in the database file.
    let mut bytes = std::fs::read(dir.path().join("plugboard.db")).expect("db");
    if let Ok(wal) = std::fs::read(dir.path().join("plugboard.db-wal")) {
        bytes.extend(wal);
    }
    assert!(!bytes.windows(11).any(|w| w == b"k-installed"));
}

#[tokio::test(flavor = "multi_thread")]
async fn walkthrough_on_postgres() {
    let server = plugboard_tests::postgres::Postgres::start();
    walkthrough(server.url()).await;
}
