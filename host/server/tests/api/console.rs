//! What the console relies on: its files (embedded, with the CSP), `/v1/meta` (the definition's
//! rules), integration icons, the audit log's filters, invocations that answer their exchanges
//! and say when credentials are the fix, repair that keeps YAML, and action tags.

use serde_json::{Value, json};

use plugboard_tests::api::{AuthCheck, TestApi};

use crate::{Api, admin_and_root, host};

async fn fresh() -> (Api, String, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("plugboard.db").display());
    let (api, store) = host(&url).await;
    let (admin, root) = admin_and_root(&api, &store).await;
    (api, admin, root, dir)
}

/// A console file as a browser gets it (no token): status, content type, CSP.
async fn console_file(api: &Api, path: &str) -> (u16, String, String) {
    let response = api
        .http
        .get(format!("{}{path}", api.base))
        .send()
        .await
        .expect("request");
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    (
        response.status().as_u16(),
        header("content-type"),
        header("content-security-policy"),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn the_console_is_served_as_modules_under_its_csp_and_nothing_else_is() {
    let (api, _admin, _root, _dir) = fresh().await;
    let (status, kind, csp) = console_file(&api, "/").await;
    assert_eq!((status, kind.as_str()), (200, "text/html; charset=utf-8"));
    assert!(csp.starts_with("default-src 'self'"), "{csp}");
    for module in ["/console/app.js", "/console/meta.js", "/console/actions.js"] {
        let (status, kind, csp) = console_file(&api, module).await;
        assert_eq!(
            (status, kind.as_str()),
            (200, "text/javascript; charset=utf-8"),
            "{module}"
        );
        assert!(csp.starts_with("default-src 'self'"), "{module}: {csp}");
    }
    for hidden in [
        "/console/index.html",
        "/console/nope.js",
        "/console/..%2FCargo.toml",
        "/console/x.wasm",
    ] {
        assert_eq!(console_file(&api, hidden).await.0, 404, "{hidden}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn meta_gives_the_definition_rules_without_a_token() {
    let (api, _admin, _root, _dir) = fresh().await;
    let (status, meta, _) = api.call("GET", "/v1/meta", None, None).await;
    assert_eq!(status, 200, "{meta}");
    let defs = &meta["definition_schema"]["$defs"];
    let size = &defs["Pagination"]["properties"]["default_page_size"];
    assert_eq!(
        (&size["minimum"], &size["maximum"]),
        (&json!(1), &json!(1000))
    );
    let oauth = defs["Auth"]["oneOf"]
        .as_array()
        .expect("auth variants")
        .iter()
        .find(|v| v["properties"]["type"]["const"] == "oauth2")
        .expect("oauth2");
    let interval = &oauth["properties"]["refresh_interval_seconds"];
    assert_eq!(
        (&interval["minimum"], &interval["maximum"]),
        (&json!(300), &json!(86400))
    );
    assert_eq!(
        meta["definition_schema"]["properties"]["name"]["pattern"],
        "^[A-Za-z0-9 _-]+$"
    );
    assert_eq!(
        meta["credentials"]["basic"]["required"],
        json!(["username", "password"])
    );
    assert_eq!(
        meta["credentials"]["oauth2"]["required"],
        json!(["client_id"])
    );
    assert_eq!(meta["pagination_fields"]["page"], json!(["page_param"]));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_icon_is_served_as_sanitized_svg_and_a_missing_one_is_404() {
    let (api, admin, root, _dir) = fresh().await;
    let definition = |name: &str, icon: Option<&str>| {
        let mut d = json!({"definition_version": 1, "name": name, "description": "Pictures",
            "hostname": "api.example.com",
            "actions": [{"id": "get", "name": "Get", "method": "GET", "path": "/x"}]});
        if let Some(icon) = icon {
            d["icon"] = json!(icon);
        }
        d
    };
    let svg = r#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><circle r="1"/><script>alert(2)</script></svg>"#;
    let (status, with) = api
        .json(
            "POST",
            &format!("/v1/organizations/{root}/integrations"),
            &admin,
            definition("With", Some(svg)),
        )
        .await;
    assert_eq!(status, 201, "{with}");
    let (status, without) = api
        .json(
            "POST",
            &format!("/v1/organizations/{root}/integrations"),
            &admin,
            definition("Without", None),
        )
        .await;
    assert_eq!(status, 201, "{without}");
    let request = |id: &Value| {
        api.http
            .get(format!(
                "{}/v1/integrations/{}/icon",
                api.base,
                id.as_str().expect("id")
            ))
            .header("authorization", format!("Bearer {admin}"))
    };
    let answer = api.send(request(&with["id"])).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.content_type, "image/svg+xml");
    assert!(answer.text.contains("<circle"), "{}", answer.text);
    assert!(
        !answer.text.contains("script") && !answer.text.contains("onload"),
        "{}",
        answer.text
    );
    assert!(
        answer.headers["content-security-policy"]
            .to_str()
            .expect("csp")
            .starts_with("default-src 'none'")
    );
    assert_eq!(api.send(request(&without["id"])).await.status, 404);
    // Without a token, nothing.
    let anonymous = api.http.get(format!(
        "{}/v1/integrations/{}/icon",
        api.base,
        with["id"].as_str().expect("id")
    ));
    assert_eq!(api.send(anonymous).await.status, 401);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_audit_log_filters_by_action_user_target_and_time() {
    let (api, admin, root, _dir) = fresh().await;
    for name in ["Alpha", "Beta"] {
        let (status, org) = api
            .json(
                "POST",
                "/v1/organizations",
                &admin,
                json!({"name": name, "parent_id": root}),
            )
            .await;
        assert_eq!(status, 201, "{org}");
    }
    let (status, created) = api
        .json("POST", "/v1/users/me/tokens", &admin, json!({"name": "ci"}))
        .await;
    assert_eq!(status, 201, "{created}");
    let audit = |query: String| {
        let api = &api;
        let admin = &admin;
        let root = &root;
        async move {
            let (status, page) = api
                .get(&format!("/v1/organizations/{root}/audit?{query}"), admin)
                .await;
            assert_eq!(status, 200, "{query}: {page}");
            page["entries"].as_array().expect("entries").clone()
        }
    };
    let actions = |entries: &[Value]| -> Vec<String> {
        entries
            .iter()
            .map(|e| e["action"].as_str().expect("action").to_string())
            .collect()
    };
    let all = audit(String::new()).await;
    assert!(all.len() >= 3, "{all:?}");
    let created_orgs = audit("action=organization.create".into()).await;
    assert_eq!(actions(&created_orgs), ["organization.create"; 2]);
    // A dotted prefix: `token` finds `token.create`, and `organization.cr` finds nothing.
    let tokens = audit("action=token".into()).await;
    assert!(!tokens.is_empty() && actions(&tokens).iter().all(|a| a.starts_with("token.")));
    assert!(audit("action=organization.cr".into()).await.is_empty());
    let user = all[0]["user_id"].as_str().expect("user").to_string();
    let by_user = audit(format!("user_id={user}")).await;
    assert_eq!(
        by_user.len(),
        all.iter().filter(|e| e["user_id"] == user.as_str()).count()
    );
    assert!(by_user.iter().all(|e| e["user_id"] == user.as_str()));
    assert!(audit("user_id=usr_nobody".into()).await.is_empty());
    let target = created_orgs[0]["target"]
        .as_str()
        .expect("target")
        .to_string();
    let by_target = audit(format!("target={}", &target[..target.len() - 4])).await;
    assert!(by_target.iter().any(|e| e["target"] == target.as_str()));
    let at = all[0]["at"].as_i64().expect("at");
    assert_eq!(
        audit(format!("since={at}")).await.len(),
        all.iter().filter(|e| e["at"].as_i64() >= Some(at)).count()
    );
    assert!(audit(format!("until={}", at - 3600)).await.is_empty());
    // With the page: one entry, then the next with the cursor, still filtered.
    let (_, first) = api
        .get(
            &format!("/v1/organizations/{root}/audit?action=organization&limit=1"),
            &admin,
        )
        .await;
    let cursor = first["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_string();
    let (_, second) = api
        .get(
            &format!("/v1/organizations/{root}/audit?action=organization&limit=1&cursor={cursor}"),
            &admin,
        )
        .await;
    assert_eq!(second["entries"][0]["action"], "organization.create");
    // A misspelt filter is refused, not ignored.
    let (status, problem) = api
        .get(
            &format!("/v1/organizations/{root}/audit?actoin=invoke"),
            &admin,
        )
        .await;
    assert_eq!(status, 400, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .expect("detail")
            .contains("actoin"),
        "{problem}"
    );
}

/// An integration over the test API (API key in `X-Api-Key`), installed in `root` with `key`.
async fn installed(
    api: &Api,
    admin: &str,
    root: &str,
    upstream: &TestApi,
    key: Option<&str>,
) -> String {
    let id = api
        .finalized(
            admin,
            root,
            json!({"definition_version": 1, "name": "Items", "description": "Items",
                "hostname": upstream.host(), "scheme": "http",
                "auth": {"type": "api_key", "api_key_header_name": "X-Api-Key"},
                "actions": [{"id": "items", "name": "Items", "method": "GET", "path": "/page/items"}]}),
        )
        .await;
    let credentials = key.map_or(json!({}), |k| json!({"api_key": k}));
    let (status, installation) = api
        .json(
            "POST",
            &format!("/v1/organizations/{root}/installations"),
            admin,
            json!({"integration_id": id, "configuration": "default", "credentials": credentials, "config": {}}),
        )
        .await;
    assert_eq!(status, 201, "{installation}");
    installation["id"].as_str().expect("id").to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn invoke_answers_its_redacted_exchanges_and_names_credentials_as_the_fix() {
    let (api, admin, root, _dir) = fresh().await;
    let upstream = TestApi::start(AuthCheck::header("X-Api-Key", "right-key"))
        .await
        .expect("upstream");
    let wrong = installed(&api, &admin, &root, &upstream, Some("wrong-key")).await;
    let invoke = |installation: &str, body: Value| {
        let path = format!("/v1/installations/{installation}/actions/items/invoke");
        let api = &api;
        let admin = &admin;
        async move { api.json("POST", &path, admin, body).await }
    };
    let (status, problem) = invoke(&wrong, json!({"input": {}, "exchanges": true})).await;
    assert_eq!(status, 502, "{problem}");
    assert_eq!(problem["cause"], "credentials", "{problem}");
    assert_eq!(
        problem["exchanges"][0]["response"]["status"], 401,
        "{problem}"
    );
    assert!(
        !problem.to_string().contains("wrong-key"),
        "the key leaked: {problem}"
    );
    // Without `exchanges`, the same failure carries none.
    let (_, bare) = invoke(&wrong, json!({"input": {}})).await;
    assert!(bare.get("exchanges").is_none(), "{bare}");
    assert_eq!(bare["cause"], "credentials");

    let (status, configured) = api
        .json(
            "PUT",
            &format!("/v1/installations/{wrong}/configurations/default"),
            &admin,
            json!({"credentials": {"api_key": "right-key"}, "config": {}, "default": true}),
        )
        .await;
    assert_eq!(status, 200, "{configured}");
    let (status, answer) = invoke(&wrong, json!({"input": {}, "exchanges": true})).await;
    assert_eq!(status, 200, "{answer}");
    let exchange = &answer["exchanges"][0];
    assert_eq!(exchange["response"]["status"], 200, "{answer}");
    assert!(
        exchange["request"]["url"]
            .as_str()
            .expect("url")
            .ends_with("/page/items")
    );
    assert!(
        !answer.to_string().contains("right-key"),
        "the key leaked: {answer}"
    );

    let missing = installed(&api, &admin, &root, &upstream, None).await;
    let (status, problem) = invoke(&missing, json!({"input": {}, "exchanges": true})).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["cause"], "credentials");
    assert_eq!(problem["fields"], json!(["credentials.api_key"]));
}

#[tokio::test(flavor = "multi_thread")]
async fn repair_keeps_the_format_and_import_keeps_tags() {
    let (api, admin, root, _dir) = fresh().await;
    let yaml = "openapi: 3.0.3\ninfo: {title: Tagged, version: \"1\", description: d}\n\
                servers: [{url: \"https://api.example.com\"}]\npaths:\n  /things/:\n    get:\n      \
                tags: [things, read]\n      description: d\n      responses: {\"200\": {description: ok}}\n";
    let clean = |body: String, content_type: &'static str| {
        let request = api
            .http
            .post(format!("{}/v1/clean", api.base))
            .header("authorization", format!("Bearer {admin}"))
            .header("content-type", content_type)
            .body(body);
        api.send(request)
    };
    let cleaned = clean(yaml.to_string(), "application/yaml").await;
    assert_eq!(cleaned.status, 200, "{}", cleaned.text);
    assert_eq!(cleaned.value["format"], "yaml");
    let spec = cleaned.value["spec"].as_str().expect("spec");
    assert!(
        spec.starts_with("openapi:") && !spec.contains("/things/:"),
        "{spec}"
    );
    let as_json = tagged_spec_as_json().to_string();
    let cleaned = clean(as_json, "application/json").await;
    assert_eq!(cleaned.value["format"], "json");
    assert!(
        cleaned.value["spec"]
            .as_str()
            .expect("spec")
            .trim_start()
            .starts_with('{')
    );

    let request = api
        .http
        .post(format!(
            "{}/v1/organizations/{root}/integrations/import",
            api.base
        ))
        .header("authorization", format!("Bearer {admin}"))
        .header("content-type", "application/yaml")
        .body(yaml);
    let imported = api.send(request).await;
    assert_eq!(imported.status, 201, "{}", imported.text);
    assert_eq!(
        imported.value["integration"]["definition"]["actions"][0]["tags"],
        json!(["things", "read"])
    );
}

/// The YAML test spec as a JSON value (what a client that sends JSON would send).
fn tagged_spec_as_json() -> Value {
    json!({"openapi": "3.0.3", "info": {"title": "Tagged", "version": "1", "description": "d"},
        "servers": [{"url": "https://api.example.com"}],
        "paths": {"/things/": {"get": {"tags": ["things", "read"], "description": "d",
            "responses": {"200": {"description": "ok"}}}}}})
}
