//! OAuth 2.0 consent on the platform, against a real token endpoint on loopback (ours, which
//! auto-approves at `/authorize`, checks PKCE and can revoke refresh tokens): consent, tokens
//! used by invocations, refresh, `invalid_grant` and re-consent, and the callback's refusals.

use plugboard_store::{Consent, Store};
use plugboard_tests::api::{AuthCheck, TestApi};
use plugboard_tests::oauth::{TokenEndpoint, TokenEndpointConfig};
use serde_json::{Value, json};

use super::{Api, Setup, admin_and_root, host_configured};

/// A browser: follows the provider's redirect to the platform's callback.
async fn follow(consent_url: &str) -> (u16, String) {
    let response = reqwest::get(consent_url).await.expect("consent");
    let status = response.status().as_u16();
    (status, response.text().await.expect("page"))
}

async fn consent(api: &Api, token: &str, installation: &str, configuration: Option<&str>) -> Value {
    let body = configuration.map_or_else(|| json!({}), |c| json!({"configuration": c}));
    let (status, started) = api
        .json(
            "POST",
            &format!("/v1/installations/{installation}/oauth/authorize"),
            token,
            body,
        )
        .await;
    assert_eq!(status, 200, "{started}");
    started
}

async fn connection(api: &Api, token: &str, installation: &str) -> Value {
    let (status, body) = api
        .get(
            &format!("/v1/installations/{installation}/connections"),
            token,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["connections"][0].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn consent_on_the_platform_gives_tokens_that_refresh_and_re_consent_after_invalid_grant() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("plugboard.db").display());
    consent_flow(&url).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn consent_on_the_platform_on_postgres() {
    let server = plugboard_tests::postgres::Postgres::start();
    consent_flow(server.url()).await;
}

async fn consent_flow(url: &str) {
    let (api, store) = host_configured(
        url,
        Setup {
            public_url: true,
            ..Setup::default()
        },
    )
    .await;
    let (admin, root) = admin_and_root(&api, &store).await;
    let endpoint = TokenEndpoint::start(TokenEndpointConfig::default());
    let upstream = TestApi::start(AuthCheck::bearer(endpoint.validator()))
        .await
        .expect("upstream");
    let definition = json!({
        "definition_version": 1, "name": "Vendor", "description": "Sign in to the vendor",
        "hostname": upstream.host(), "scheme": "http",
        "auth": {"type": "oauth2", "grant_type": "authorization_code",
            "authorization_code_url": endpoint.authorize_url(),
            "access_token_url": endpoint.token_url(), "scope": "items.read"},
        "actions": [{"id": "get", "name": "Get", "method": "GET", "path": "/page/items"}]
    });
    let integration = api.finalized(&admin, &root, definition).await;
    let (status, installation) = api
        .json(
            "POST",
            &format!("/v1/organizations/{root}/installations"),
            &admin,
            json!({"integration_id": integration,
                "credentials": {"client_id": "client-1", "client_secret": "secret-1"}}),
        )
        .await;
    assert_eq!(status, 201, "{installation}");
    let id = installation["id"].as_str().expect("id").to_string();
    let invoke = format!("/v1/installations/{id}/actions/get/invoke");

    // Before consent: the status says so, and a call says what to do.
    assert_eq!(
        connection(&api, &admin, &id).await["status"],
        "needs_consent"
    );
    let (status, problem) = api.json("POST", &invoke, &admin, json!({})).await;
    assert_eq!(status, 409, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("/oauth/authorize")),
        "{problem}"
    );

    let (status, problem) = api
        .json(
            "POST",
            &format!("/v1/installations/{id}/oauth/authorize"),
            &admin,
            json!({"configuration": "nope"}),
        )
        .await;
    assert_eq!(status, 404, "{problem}");
    assert_eq!(problem["fields"], json!(["configuration"]));

    // Consent: the URL carries PKCE, the scope and the platform's callback.
    let started = consent(&api, &admin, &id, None).await;
    let consent_url = started["consent_url"].as_str().expect("url");
    let redirect_uri = format!("{}/v1/oauth/callback", api.base);
    assert_eq!(started["redirect_uri"], redirect_uri.as_str());
    assert_eq!(started["configuration"], "default");
    let (status, page) = follow(consent_url).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Connected"), "{page}");
    let authorize = endpoint.authorize_requests();
    let authorize = authorize.last().expect("an /authorize request");
    assert_eq!(authorize.param("code_challenge_method"), Some("S256"));
    assert_eq!(authorize.param("scope"), Some("items.read"));
    assert_eq!(authorize.param("redirect_uri"), Some(redirect_uri.as_str()));
    let exchange = endpoint.requests();
    let exchange = exchange
        .iter()
        .find(|r| r.grant_type.as_deref() == Some("authorization_code"))
        .expect("a code exchange");
    assert!(exchange.param("code_verifier").is_some());
    let status = connection(&api, &admin, &id).await;
    assert_eq!(status["status"], "connected", "{status}");
    assert_eq!(status["has_refresh_token"], true);
    assert!(!status.to_string().contains("access_token\":\""));

    // The state was single use: the same redirect again is refused.
    let (status, page) = follow(consent_url).await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("already used"), "{page}");

    // The tokens are used, then refreshed when the API rejects an expired one.
    let (status, result) = api.json("POST", &invoke, &admin, json!({})).await;
    assert_eq!(status, 200, "{result}");
    assert_eq!(result["output"]["items"].as_array().map(Vec::len), Some(10));
    endpoint.expire_all();
    let (status, result) = api.json("POST", &invoke, &admin, json!({})).await;
    assert_eq!(status, 200, "{result}");
    assert_eq!(endpoint.count("refresh_token"), 1);
    assert_eq!(endpoint.count("authorization_code"), 1);

    // The provider revokes the grant: the status names its error and offers consent again.
    endpoint.set_failing(true);
    endpoint.expire_all();
    let (status, problem) = api.json("POST", &invoke, &admin, json!({})).await;
    assert_eq!(status, 409, "{problem}");
    let status = connection(&api, &admin, &id).await;
    assert_eq!(status["status"], "needs_consent", "{status}");
    assert_eq!(status["consent"], true);
    assert!(
        status["error"]
            .as_str()
            .is_some_and(|e| e.contains("invalid_grant")),
        "{status}"
    );
    endpoint.set_failing(false);
    let started = consent(&api, &admin, &id, Some("default")).await;
    let (status, page) = follow(started["consent_url"].as_str().expect("url")).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(connection(&api, &admin, &id).await["status"], "connected");
    let (status, result) = api.json("POST", &invoke, &admin, json!({})).await;
    assert_eq!(status, 200, "{result}");
    assert_eq!(endpoint.count("authorization_code"), 2);

    callback_refusals(&api, &admin, &store, &id).await;
}

/// A forged state, an expired consent, and credentials replaced during consent are refused
/// with a page that says so; nothing is exchanged.
async fn callback_refusals(api: &Api, admin: &str, store: &Store, id: &str) {
    let page = |path: String| async move {
        let response = reqwest::get(format!("{}{path}", api.base))
            .await
            .expect("callback");
        (
            response.status().as_u16(),
            response.text().await.expect("page"),
        )
    };
    let (status, text) = page("/v1/oauth/callback?code=x&state=forged".into()).await;
    assert_eq!(status, 400);
    assert!(text.contains("unknown"), "{text}");
    let (status, text) = page("/v1/oauth/callback?code=x".into()).await;
    assert_eq!(status, 400);
    assert!(text.contains("no `state`"), "{text}");

    let sealer = plugboard_store::Sealer::new(&[7u8; 32]);
    let configuration = store
        .configuration(id, None, &sealer)
        .await
        .expect("configuration");
    let expired = Consent {
        installation_id: id.to_string(),
        configuration: configuration.name.clone(),
        credential_key: format!("{id}/{}/{}", configuration.name, configuration.revision),
        user_id: "usr_x".into(),
        redirect_uri: format!("{}/v1/oauth/callback", api.base),
        verifier: "v".repeat(43),
        expires_at: 1,
    };
    store
        .begin_consent("stale-state", &expired, &sealer)
        .await
        .expect("begin");
    let (status, text) = page("/v1/oauth/callback?code=x&state=stale-state".into()).await;
    assert_eq!(status, 400);
    assert!(text.contains("expired"), "{text}");

    // Credentials replaced while the user was at the provider.
    let started = consent(api, admin, id, None).await;
    let (status, body) = api
        .json(
            "PUT",
            &format!("/v1/installations/{id}/configurations/default"),
            admin,
            json!({"credentials": {"client_id": "client-2", "client_secret": "secret-2"}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, text) = follow(started["consent_url"].as_str().expect("url")).await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("changed"), "{text}");
    // The page escapes what it shows, and never carries a token.
    assert!(!text.contains("<script"));
}

#[tokio::test(flavor = "multi_thread")]
async fn consent_needs_a_public_url_an_authorization_code_integration_and_an_editor() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("plugboard.db").display());
    let (api, store) = host_configured(&url, Setup::default()).await;
    let (admin, root) = admin_and_root(&api, &store).await;
    let definition = json!({
        "definition_version": 1, "name": "Machines", "description": "Client credentials",
        "hostname": "127.0.0.1:9", "scheme": "http",
        "auth": {"type": "oauth2", "grant_type": "client_credentials",
            "access_token_url": "http://127.0.0.1:9/token"},
        "actions": [{"id": "get", "name": "Get", "method": "GET", "path": "/x"}]
    });
    let integration = api.finalized(&admin, &root, definition).await;
    let (_, installation) = api
        .json(
            "POST",
            &format!("/v1/organizations/{root}/installations"),
            &admin,
            json!({"integration_id": integration, "credentials": {"client_id": "c"}}),
        )
        .await;
    let id = installation["id"].as_str().expect("id");
    let authorize = format!("/v1/installations/{id}/oauth/authorize");
    let (status, problem) = api.json("POST", &authorize, &admin, json!({})).await;
    assert_eq!(status, 409, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("--public-url"))
    );

    let (api, store) = host_configured(
        &url,
        Setup {
            public_url: true,
            ..Setup::default()
        },
    )
    .await;
    let _ = store;
    let (status, problem) = api.json("POST", &authorize, &admin, json!({})).await;
    assert_eq!(status, 409, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("client credentials")),
        "{problem}"
    );
    let status = connection(&api, &admin, id).await;
    assert_eq!(status["status"], "not_connected", "{status}");
    let (status, _) = api
        .json(
            "POST",
            "/v1/installations/ins_unknown/oauth/authorize",
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(status, 404);
}
