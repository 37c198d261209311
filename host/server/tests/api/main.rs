//! The REST API end to end: a real server on 127.0.0.1 over the store (SQLite file, and a
//! PostgreSQL server started by the test), importing a spec, finalizing, installing with
//! credentials and invoking against a loopback API; roles and organization boundaries.

use std::sync::Arc;

use plugboard_runtime::{Runtime, RuntimeConfig};
use plugboard_server::{AppState, BundleTrust};
use plugboard_store::{DbTokenStore, Sealer, Store};
use plugboard_tests::api::{AuthCheck, TestApi};
use plugboard_tests::oauth::{TokenEndpoint, TokenEndpointConfig};
use serde_json::{Value, json};

mod authoring;
mod bundles;
mod caching;
mod console;
mod document;
mod icons;
mod import;
mod lifecycle;
mod lists;
mod oauth;
mod ops;
mod overrides;
mod probe;
mod regression;
mod shares;
mod spec_work;

struct Api {
    base: String,
    http: reqwest::Client,
    /// The server's lifecycle (ready, draining).
    lifecycle: Arc<plugboard_server::Lifecycle>,
}

/// A response as the tests read it, already checked against the API's own document.
struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    content_type: String,
    text: String,
    /// The body as JSON (`null` when it is not JSON).
    value: Value,
}

impl Api {
    /// Sends a request and checks the response against the API's own document (see
    /// `document::check`): a response that does not match fails the test.
    async fn send(&self, request: reqwest::RequestBuilder) -> Answer {
        let request = request.build().expect("request");
        let (method, path) = (
            request.method().to_string(),
            request.url().path().to_string(),
        );
        let response = self.http.execute(request).await.expect("request");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let content_type = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let text = response.text().await.expect("body");
        document::check(&method, &path, status, &content_type, &text);
        let value = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            content_type,
            text,
            value,
        }
    }

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
        let answer = self.send(request).await;
        (answer.status, answer.value, answer.content_type)
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

    /// Creates an integration in `org` from a definition and finalizes it (published); returns
    /// its id.
    async fn finalized(&self, token: &str, org: &str, definition: Value) -> String {
        let (status, created) = self
            .json(
                "POST",
                &format!("/v1/organizations/{org}/integrations"),
                token,
                definition,
            )
            .await;
        assert_eq!(status, 201, "{created}");
        let id = created["id"].as_str().expect("id").to_string();
        let (status, finalized) = self
            .json(
                "POST",
                &format!("/v1/integrations/{id}/finalize"),
                token,
                json!({}),
            )
            .await;
        assert_eq!(status, 201, "{finalized}");
        id
    }
}

/// The admin's token of a new database, and the root organization's id.
async fn admin_and_root(api: &Api, store: &Store) -> (String, String) {
    let admin = plugboard_server::bootstrap(store)
        .await
        .expect("bootstrap")
        .expect("admin");
    let (_, me) = api.get("/v1/me", &admin).await;
    let root = me["user"]["organization_id"]
        .as_str()
        .expect("org")
        .to_string();
    (admin, root)
}

/// Starts one API host over the store at `url` (with OAuth tokens in the store).
async fn host(url: &str) -> (Api, Store) {
    host_with(url, BundleTrust::default()).await
}

/// [`host`] with a bundle trust policy.
async fn host_with(url: &str, trust: BundleTrust) -> (Api, Store) {
    host_configured(
        url,
        Setup {
            trust,
            ..Setup::default()
        },
    )
    .await
}

/// What an operator sets up a host with.
#[derive(Default)]
struct Setup {
    trust: BundleTrust,
    /// The pool's shares (`None`: the runtime's default).
    shares: Option<plugboard_runtime::Shares>,
    spec_limits: plugboard_server::SpecLimits,
    /// Serve with the server's own address as its public URL (OAuth consent on).
    public_url: bool,
}

/// [`host`] with an operator's setup.
async fn host_configured(url: &str, setup: Setup) -> (Api, Store) {
    plugboard_runtime::install_crypto_provider();
    let store = Store::open(url).await.expect("store");
    let sealer = Sealer::new(&[7u8; 32]);
    let runtime = Runtime::new(RuntimeConfig {
        // The test APIs run on loopback.
        egress: plugboard_runtime::EgressPolicy::with_loopback(),
        cache: Some(
            plugboard_runtime::CompileCache::open(
                std::env::temp_dir().join("plugboard-server-test-cache"),
                &std::env::temp_dir().join("plugboard-server-test-cache.key"),
            )
            .expect("compile cache"),
        ),
        max_instances: 32,
        shares: setup.shares,
        token_store: Arc::new(DbTokenStore::new(store.clone(), sealer.clone())),
        ..RuntimeConfig::default()
    })
    .expect("runtime");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let mut state = AppState::new(store.clone(), Arc::new(runtime), sealer)
        .with_trust(setup.trust)
        .with_spec_limits(setup.spec_limits);
    if setup.public_url {
        state = state.with_public_url(&base);
    }
    let lifecycle = state.lifecycle.clone();
    lifecycle.set_ready();
    tokio::spawn(async move { axum::serve(listener, plugboard_server::router(state)).await });
    (
        Api {
            base,
            http: reqwest::Client::new(),
            lifecycle,
        },
        store,
    )
}

/// Starts the API over a new store at `url`; returns it and the admin's token.
async fn start(url: &str) -> (Api, String, Store) {
    let (api, store) = host(url).await;
    let token = plugboard_server::bootstrap(&store)
        .await
        .expect("bootstrap")
        .expect("a new database gets an admin");
    (api, token, store)
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
      parameters:
        - {{name: page, in: query, schema: {{type: integer}}}}
      responses:
        "200":
          description: The items.
  /echo/tenant:
    get:
      operationId: echoTenant
      summary: Echo the tenant
      parameters:
        - {{name: tenant, in: query, schema: {{type: string}}}}
      responses:
        "200":
          description: The request, echoed.
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
    assert_eq!(
        status, 404,
        "another organization's draft is not acknowledged"
    );
    let (status, problem) = api
        .json(
            "POST",
            &format!("/v1/organizations/{root}/installations"),
            &admin,
            install.clone(),
        )
        .await;
    assert_eq!(status, 409, "the owner learns why: {problem}");
    let (status, _) = api
        .get(&format!("/v1/integrations/{integration}"), &editor)
        .await;
    assert_eq!(status, 404, "a draft above is invisible");
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
        json!(["listItems", "echoTenant"])
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

    // Organization mapping: the items stand in for the API's tenants.
    let (status, source) = api
        .json(
            "PUT",
            &format!("/v1/installations/{installation}/tenant-source"),
            &editor,
            json!({"action_id": "listItems", "id_path": "$.items[*].id",
                "name_path": "$.items[*].name", "input_key": "tenant"}),
        )
        .await;
    assert_eq!(status, 200, "{source}");
    let (_, branch) = api
        .json(
            "POST",
            "/v1/organizations",
            &admin,
            json!({"name": "Item 7", "parent_id": customer}),
        )
        .await;
    let branch = branch["id"].as_str().expect("id").to_string();
    let (status, tenants) = api
        .json(
            "POST",
            &format!("/v1/installations/{installation}/tenants/fetch"),
            &editor,
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{tenants}");
    let tenants = tenants["tenants"].as_array().expect("tenants").clone();
    assert_eq!(
        tenants.len(),
        10,
        "the first page: the action is not paginated"
    );
    let seventh = tenants
        .iter()
        .find(|t| t["tenant_id"] == "7")
        .expect("tenant 7");
    assert_eq!(
        seventh["suggestion"]["organization_id"],
        branch.as_str(),
        "{seventh}"
    );
    let (status, _) = api
        .json(
            "PUT",
            &format!("/v1/installations/{installation}/tenants/7"),
            &editor,
            json!({"organization_id": branch, "tenant_name": "item-7"}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, on_behalf) = api
        .json(
            "POST",
            &format!("/v1/installations/{installation}/actions/echoTenant/invoke"),
            &editor,
            json!({"organization_id": branch}),
        )
        .await;
    assert_eq!(status, 200, "{on_behalf}");
    assert_eq!(on_behalf["output"]["query_params"]["tenant"], json!(["7"]));
    let (status, _) = api
        .json(
            "POST",
            &format!("/v1/installations/{installation}/actions/echoTenant/invoke"),
            &editor,
            json!({"organization_id": customer}),
        )
        .await;
    assert_eq!(status, 422, "an unmapped organization is refused");
    let (status, _) = api
        .json(
            "PUT",
            &format!("/v1/installations/{installation}/tenants/8"),
            &editor,
            json!({"organization_id": sibling}),
        )
        .await;
    assert_eq!(
        status, 404,
        "a tenant cannot be mapped to an organization out of reach"
    );

    // What an organization may install: the published integrations of itself and above.
    let (status, installable) = api
        .get(
            &format!("/v1/organizations/{customer}/installable"),
            &editor,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(installable["integrations"][0]["id"], integration.as_str());
    let (status, _) = api
        .get(&format!("/v1/organizations/{sibling}/installable"), &editor)
        .await;
    assert_eq!(status, 404, "another organization's list is out of reach");

    // A sub-organization sees the published integration, but cannot change it.
    let (status, _) = api
        .get(&format!("/v1/integrations/{integration}"), &editor)
        .await;
    assert_eq!(status, 200);
    for (method, path, body) in [
        (
            "POST",
            format!("/v1/integrations/{integration}/finalize"),
            json!({}),
        ),
        (
            "PUT",
            format!("/v1/integrations/{integration}/status"),
            json!({"status": "hidden"}),
        ),
    ] {
        let (status, _) = api.json(method, &path, &editor, body).await;
        assert_eq!(status, 404, "{method} {path}");
    }
    let (status, _) = api
        .json(
            "PUT",
            &format!("/v1/installations/{installation}/configurations/default"),
            &viewer,
            json!({"credentials": {"api_key": "x"}}),
        )
        .await;
    assert_eq!(status, 403, "a viewer does not configure");
    let (status, _) = api
        .get(&format!("/v1/organizations/{customer}/audit"), &editor)
        .await;
    assert_eq!(status, 403, "the audit log is for admins");

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

    // Export for sharing: definition and component, never credentials.
    let (status, exported) = api
        .get(&format!("/v1/integrations/{integration}/export"), &admin)
        .await;
    assert_eq!(status, 200, "{exported}");
    assert_eq!(exported["format"], "plugboard-export/1");
    assert!(
        exported["bundle_base64"]
            .as_str()
            .is_some_and(|b| b.len() > 1000)
    );
    assert!(!exported.to_string().contains("k-installed"));

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
    let findings = plugboard_openapi::lint::lint(&document);
    assert!(
        findings
            .iter()
            .all(|f| f.severity != plugboard_openapi::lint::Severity::Error),
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

#[tokio::test(flavor = "multi_thread")]
async fn two_hosts_on_one_postgres_make_one_token_request_between_them() {
    let server = plugboard_tests::postgres::Postgres::start();
    let endpoint = TokenEndpoint::start(TokenEndpointConfig {
        delay: std::time::Duration::from_millis(300),
        ..TokenEndpointConfig::default()
    });
    let upstream = TestApi::start(AuthCheck::bearer(endpoint.validator()))
        .await
        .expect("upstream");
    let (a, admin, _) = start(server.url()).await;
    let (b, _) = host(server.url()).await;
    let (_, me) = a.get("/v1/me", &admin).await;
    let root = me["user"]["organization_id"]
        .as_str()
        .expect("org")
        .to_string();
    let definition = json!({
        "definition_version": 1, "name": "Machines", "description": "Client credentials",
        "hostname": upstream.host(), "scheme": "http",
        "auth": {"type": "oauth2", "grant_type": "client_credentials",
            "access_token_url": endpoint.token_url()},
        "actions": [{"id": "get", "name": "Get", "method": "GET", "path": "/page/items"}]
    });
    let integration = a.finalized(&admin, &root, definition).await;
    let (status, installation) = a
        .json(
            "POST",
            &format!("/v1/organizations/{root}/installations"),
            &admin,
            json!({"integration_id": integration,
                "credentials": {"client_id": "client-1", "client_secret": "secret-1"}}),
        )
        .await;
    assert_eq!(status, 201, "{installation}");
    let invoke = format!(
        "/v1/installations/{}/actions/get/invoke",
        installation["id"].as_str().expect("id")
    );
    // Both hosts at once, no token yet: one token request between them.
    let calls = (0..20).map(|i| {
        let api = if i % 2 == 0 { &a } else { &b };
        let (invoke, admin) = (invoke.clone(), admin.clone());
        async move { api.json("POST", &invoke, &admin, json!({})).await }
    });
    for (status, result) in futures_util::future::join_all(calls).await {
        assert_eq!(status, 200, "{result}");
        assert_eq!(result["output"]["items"].as_array().map(Vec::len), Some(10));
    }
    assert_eq!(endpoint.count("client_credentials"), 1);
}
