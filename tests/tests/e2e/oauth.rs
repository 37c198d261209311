//! OAuth 2.0 end to end: a built bundle, the host's token manager, a real authorization server
//! (`oauth2-mock-server` from npm) or the configurable token endpoint, and an API that checks
//! each bearer token. The host obtains, caches, refreshes and retries; the component never sees
//! a credential.

use std::sync::Arc;
use std::time::Duration;

use plugboard_manifest::{Auth, Grant, OAuth2, Refresh, RequestFormat, RequestMethod};
use plugboard_oauth::{FileStore, MemoryStore, TokenStore, authorize};
use plugboard_runtime::{Bundle, Error, InvokeOptions, Runtime, RuntimeConfig};
use plugboard_tests::api::{AuthCheck, BearerCheck, ExpiredAnswer, TestApi};
use plugboard_tests::oauth::{
    ContentType, Expiry, OAuthMockServer, TokenEndpoint, TokenEndpointConfig, TokenMethod,
};
use serde_json::{Value, json};

use crate::support::{compile_cache, definition, load, with_credentials};

/// One action that reads the 23-item data set's first page.
fn get_items() -> Value {
    json!([{"id": "get", "name": "Get", "method": "GET", "path": "/page/items"}])
}

fn runtime_with(store: Arc<dyn TokenStore>, cooldown: Duration, instances: u32) -> Runtime {
    Runtime::new(RuntimeConfig {
        // The test APIs run on loopback.
        egress: plugboard_runtime::EgressPolicy::with_loopback(),
        cache: Some(compile_cache()),
        max_instances: instances,
        pooling: true,
        token_store: store,
        token_cooldown: cooldown,
        ..RuntimeConfig::default()
    })
    .expect("runtime")
}

fn runtime() -> Runtime {
    runtime_with(Arc::new(MemoryStore::new()), Duration::from_secs(30), 16)
}

fn client(id: &str, secret: &str) -> InvokeOptions {
    with_credentials(&[("client_id", id), ("client_secret", secret)])
}

fn oauth_config(bundle: &Bundle) -> OAuth2 {
    match &bundle.header().auth {
        Auth::OAuth2(config) => (**config).clone(),
        other => panic!("expected OAuth 2.0, got {other:?}"),
    }
}

async fn items(runtime: &Runtime, bundle: &Bundle, options: &InvokeOptions) -> usize {
    let output = runtime
        .invoke(bundle, "get", "{}", options)
        .await
        .expect("invoke");
    output["items"].as_array().map_or(0, Vec::len)
}

/// Drives a consent: opens the consent URL like a browser (the server approves at once and
/// redirects), and reads the code from the redirect.
async fn consent(
    config: &OAuth2,
    client: &plugboard_oauth::Client,
) -> (authorize::PendingAuthorization, String) {
    let pending =
        authorize::begin(config, client, "http://127.0.0.1:9/callback").expect("consent URL");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let response = http
        .get(&pending.consent_url)
        .send()
        .await
        .expect("authorize");
    assert!(response.status().is_redirection(), "{}", response.status());
    let location = response.headers()["location"]
        .to_str()
        .expect("location")
        .to_string();
    let query = url::Url::parse(&location)
        .expect("redirect URL")
        .query()
        .unwrap_or_default()
        .to_string();
    let code = authorize::code_from_callback(&pending, &query).expect("code");
    (pending, code)
}

#[tokio::test(flavor = "multi_thread")]
async fn client_credentials_with_oauth2_mock_server() {
    let server = OAuthMockServer::start();
    let check = BearerCheck::new(server.verifier().await);
    let api = TestApi::start(AuthCheck::Bearer(check.clone()))
        .await
        .expect("api");
    let auth = json!({"type": "oauth2", "grant_type": "client_credentials",
        "access_token_url": server.token_url(), "scope": "items:read"});
    let runtime = runtime();
    let bundle = load(&runtime, &definition(&api, auth, json!({}), get_items())).await;
    let options = client("machine-1", "machine-secret");
    assert_eq!(items(&runtime, &bundle, &options).await, 10);
    assert_eq!(items(&runtime, &bundle, &options).await, 10);
    let tokens = check.accepted_tokens();
    assert_eq!(tokens.len(), 2);
    assert_eq!(tokens[0], tokens[1], "the cached token is reused");
    let claims = server
        .verifier()
        .await
        .verify(&tokens[0])
        .expect("a JWT of the server");
    assert_eq!(claims["scope"], "items:read");
}

#[tokio::test(flavor = "multi_thread")]
async fn authorization_code_with_pkce_then_refresh_with_oauth2_mock_server() {
    let server = OAuthMockServer::start();
    let verifier = server.verifier().await;
    let check = BearerCheck::new(verifier.clone());
    let api = TestApi::start(AuthCheck::Bearer(check.clone()))
        .await
        .expect("api");
    let auth = json!({"type": "oauth2", "grant_type": "authorization_code",
        "authorization_code_url": server.authorize_url(),
        "access_token_url": server.token_url(), "scope": "openid items"});
    let runtime = runtime();
    let bundle = load(&runtime, &definition(&api, auth, json!({}), get_items())).await;
    let config = oauth_config(&bundle);
    let options = client("web-app", "web-secret");
    let oauth_client = plugboard_runtime::oauth_client(&options.credentials).expect("client");

    // Before consent: a clear error, and the API is never called.
    let error = runtime
        .invoke(&bundle, "get", "{}", &options)
        .await
        .expect_err("not authorized yet");
    assert!(
        matches!(&error, Error::NeedsConsent(m) if m.contains("not been authorized yet")),
        "{error}"
    );
    assert_eq!(api.hits("/page"), 0);

    let (pending, code) = consent(&config, &oauth_client).await;
    let key = plugboard_oauth::credential_key(&config, &oauth_client);
    runtime
        .tokens()
        .complete_authorization(&key, &config, &oauth_client, &pending, &code)
        .await
        .expect("code exchange with PKCE");
    assert_eq!(items(&runtime, &bundle, &options).await, 10);

    // The API stops accepting the token: the host refreshes (refresh_token grant) and retries.
    // (The server's RS256 JWTs are deterministic: a token issued within the same second with
    // the same claims would be the very same string, so let the clock move on first.)
    tokio::time::sleep(Duration::from_millis(1100)).await;
    verifier.expire_seen();
    assert_eq!(items(&runtime, &bundle, &options).await, 10);
    let tokens = check.accepted_tokens();
    assert_eq!(tokens.len(), 2);
    assert_ne!(tokens[0], tokens[1], "a new token after the refresh");
    assert_eq!(
        api.hits("/page"),
        3,
        "one rejected request, one retry, one first call"
    );
}

/// A token endpoint and an API that accepts its tokens.
async fn endpoint_and_api(
    config: TokenEndpointConfig,
    on_expired: ExpiredAnswer,
) -> (TokenEndpoint, BearerCheck, TestApi) {
    let endpoint = TokenEndpoint::start(config);
    let check = BearerCheck::new(endpoint.validator()).with_on_expired(on_expired);
    let api = TestApi::start(AuthCheck::Bearer(check.clone()))
        .await
        .expect("api");
    (endpoint, check, api)
}

#[tokio::test(flavor = "multi_thread")]
async fn nested_keys_json_body_date_expiry_and_extra_headers() {
    let (endpoint, check, api) = endpoint_and_api(
        TokenEndpointConfig {
            content_type: ContentType::Json,
            token_key: "data.auth.token".into(),
            expiry_key: "data.auth.expires".into(),
            refresh_key: "data.auth.refresh".into(),
            expiry: Expiry::Date,
            ..TokenEndpointConfig::default()
        },
        ExpiredAnswer::default(),
    )
    .await;
    let auth = json!({"type": "oauth2", "grant_type": "client_credentials",
        "access_token_url": endpoint.token_url(), "scope": "a b",
        "token_key": "data.auth.token", "token_expiration_key": "data.auth.expires",
        "refresh_token_key": "data.auth.refresh",
        "token_request_content_type": "application/json",
        "extra_request_headers": {"X-Tenant": "t-7"}});
    let runtime = runtime();
    let bundle = load(&runtime, &definition(&api, auth, json!({}), get_items())).await;
    assert_eq!(
        items(&runtime, &bundle, &client("client-1", "secret-1")).await,
        10
    );
    let requests = endpoint.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.status, 200);
    assert_eq!(request.content_type.as_deref(), Some("application/json"));
    assert_eq!(request.param("grant_type"), Some("client_credentials"));
    assert_eq!(request.param("scope"), Some("a b"));
    assert_eq!(request.param("client_secret"), Some("secret-1"));
    assert_eq!(
        request.headers.get("x-tenant").map(String::as_str),
        Some("t-7")
    );
    assert_eq!(check.accepted_tokens(), endpoint.access_tokens());
}

#[tokio::test(flavor = "multi_thread")]
async fn get_token_requests_with_basic_client_auth_and_string_expiry() {
    let (endpoint, _check, api) = endpoint_and_api(
        TokenEndpointConfig {
            method: TokenMethod::Get,
            require_basic_auth: true,
            expiry: Expiry::SecondsString(3600),
            ..TokenEndpointConfig::default()
        },
        ExpiredAnswer::default(),
    )
    .await;
    let auth = json!({"type": "oauth2", "grant_type": "client_credentials",
        "access_token_url": endpoint.token_url(), "token_request_method": "GET",
        "token_exchange_basic_auth": true});
    let runtime = runtime();
    let bundle = load(&runtime, &definition(&api, auth, json!({}), get_items())).await;
    assert_eq!(
        items(&runtime, &bundle, &client("client-1", "secret-1")).await,
        10
    );
    let requests = endpoint.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].method, "GET");
    assert!(requests[0].used_basic_auth);
    assert_eq!(requests[0].param("client_secret"), None);
}

/// Authorizes `options`' credential at `endpoint` (its `/authorize` approves at once).
async fn authorize_at(runtime: &Runtime, bundle: &Bundle, options: &InvokeOptions) {
    let config = oauth_config(bundle);
    let oauth_client = plugboard_runtime::oauth_client(&options.credentials).expect("client");
    let (pending, code) = consent(&config, &oauth_client).await;
    let key = plugboard_oauth::credential_key(&config, &oauth_client);
    runtime
        .tokens()
        .complete_authorization(&key, &config, &oauth_client, &pending, &code)
        .await
        .expect("code exchange");
}

fn code_auth(endpoint: &TokenEndpoint, extra: Value) -> Value {
    let mut auth = json!({"type": "oauth2", "grant_type": "authorization_code",
        "authorization_code_url": endpoint.authorize_url(),
        "access_token_url": endpoint.token_url(),
        "authorization_extra_params": {"access_type": "offline"}});
    if let (Some(auth), Some(extra)) = (auth.as_object_mut(), extra.as_object()) {
        auth.extend(extra.clone());
    }
    auth
}

#[tokio::test(flavor = "multi_thread")]
async fn rotated_refresh_tokens_are_stored_on_disk_and_a_403_triggers_the_refresh() {
    let (endpoint, check, api) = endpoint_and_api(
        TokenEndpointConfig {
            rotate_refresh_tokens: true,
            ..TokenEndpointConfig::default()
        },
        ExpiredAnswer::Status(403),
    )
    .await;
    let dir = tempfile::tempdir().expect("temp dir");
    let store_path = dir.path().join("tokens.json");
    let key = [3u8; plugboard_oauth::KEY_LEN];
    let store =
        || -> Arc<dyn TokenStore> { Arc::new(FileStore::open(&store_path, &key).expect("store")) };
    let auth = code_auth(
        &endpoint,
        json!({"refresh_on_status": [401, 403],
        "include_redirect_uri_on_refresh": true}),
    );
    let runtime = runtime_with(store(), Duration::from_secs(30), 4);
    let bundle = load(
        &runtime,
        &definition(&api, auth.clone(), json!({}), get_items()),
    )
    .await;
    let options = client("client-1", "secret-1");
    authorize_at(&runtime, &bundle, &options).await;
    assert_eq!(
        endpoint.authorize_requests()[0].param("access_type"),
        Some("offline")
    );
    assert_eq!(items(&runtime, &bundle, &options).await, 10);

    // Two expiries, each answered 403: each refresh must use the newest refresh token (the
    // endpoint refuses a used one).
    for _ in 0..2 {
        endpoint.expire_all();
        assert_eq!(items(&runtime, &bundle, &options).await, 10);
    }
    let refreshes: Vec<_> = endpoint
        .requests()
        .into_iter()
        .filter(|r| r.grant_type.as_deref() == Some("refresh_token"))
        .collect();
    assert_eq!(refreshes.len(), 2);
    assert!(refreshes.iter().all(|r| r.status == 200), "{refreshes:?}");
    assert!(refreshes.iter().all(|r| r.has_redirect_uri));
    assert_ne!(
        refreshes[0].param("refresh_token"),
        refreshes[1].param("refresh_token")
    );
    drop(runtime);

    // Another process (a new runtime on the same store file) continues with the rotated token.
    let runtime = runtime_with(store(), Duration::from_secs(30), 4);
    let bundle = load(&runtime, &definition(&api, auth, json!({}), get_items())).await;
    endpoint.expire_all();
    assert_eq!(items(&runtime, &bundle, &options).await, 10);
    assert_eq!(endpoint.count("refresh_token"), 3);
    assert!(endpoint.requests().iter().all(|r| r.status == 200));
    // The store holds no token in plain text.
    let on_disk = std::fs::read_to_string(&store_path).expect("store file");
    for token in endpoint
        .access_tokens()
        .iter()
        .chain(&endpoint.refresh_tokens())
    {
        assert!(!on_disk.contains(token.as_str()));
    }
    assert_eq!(check.accepted_tokens().len(), 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refresh_without_a_new_refresh_token_keeps_the_old_and_a_body_marker_triggers_it() {
    let (endpoint, _check, api) = endpoint_and_api(
        TokenEndpointConfig {
            refresh_without_client_auth: true,
            ..TokenEndpointConfig::default()
        },
        ExpiredAnswer::OkWithBody(json!({"error": "token_expired"})),
    )
    .await;
    let auth = code_auth(
        &endpoint,
        json!({"expired_token_body_marker": "token_expired",
            "include_client_config_on_refresh": false}),
    );
    let runtime = runtime();
    let bundle = load(&runtime, &definition(&api, auth, json!({}), get_items())).await;
    let options = client("client-1", "secret-1");
    authorize_at(&runtime, &bundle, &options).await;
    for _ in 0..3 {
        endpoint.expire_all();
        assert_eq!(items(&runtime, &bundle, &options).await, 10);
    }
    let refreshes: Vec<_> = endpoint
        .requests()
        .into_iter()
        .filter(|r| r.grant_type.as_deref() == Some("refresh_token"))
        .collect();
    assert_eq!(refreshes.len(), 3);
    // The refresh responses carried no refresh token: the first one is sent each time.
    let first = endpoint.refresh_tokens()[0].clone();
    assert!(
        refreshes
            .iter()
            .all(|r| r.param("refresh_token") == Some(first.as_str()))
    );
    // Include Client Config on Refresh is off.
    assert!(
        refreshes
            .iter()
            .all(|r| r.param("client_id").is_none() && !r.used_basic_auth)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_revoked_refresh_token_needs_a_new_login_and_nothing_more_is_sent() {
    let (endpoint, _check, api) =
        endpoint_and_api(TokenEndpointConfig::default(), ExpiredAnswer::default()).await;
    let auth = code_auth(&endpoint, json!({}));
    let runtime = runtime();
    let bundle = load(&runtime, &definition(&api, auth, json!({}), get_items())).await;
    let options = client("client-1", "secret-1");
    authorize_at(&runtime, &bundle, &options).await;
    endpoint.set_failing(true);
    endpoint.expire_all();
    let error = runtime
        .invoke(&bundle, "get", "{}", &options)
        .await
        .expect_err("revoked");
    let text = error.to_string();
    assert!(
        text.contains("invalid_grant") && text.contains("revoked"),
        "{text}"
    );
    assert!(matches!(error, Error::NeedsConsent(_)), "{error:?}");
    assert!(!text.contains("secret-1"), "{text}");
    let requests = endpoint.requests().len();
    // The dead refresh token is not sent again, however often the credential is used.
    for _ in 0..3 {
        let error = runtime
            .invoke(&bundle, "get", "{}", &options)
            .await
            .expect_err("needs a login");
        assert!(matches!(error, Error::NeedsConsent(_)), "{error:?}");
    }
    assert_eq!(endpoint.requests().len(), requests);
    // A new login fixes it.
    endpoint.set_failing(false);
    authorize_at(&runtime, &bundle, &options).await;
    assert_eq!(items(&runtime, &bundle, &options).await, 10);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_outage_waits_for_the_cooldown_and_keeps_a_still_valid_token() {
    let (endpoint, check, api) = endpoint_and_api(
        TokenEndpointConfig {
            expiry: Expiry::Seconds(4),
            ..TokenEndpointConfig::default()
        },
        ExpiredAnswer::default(),
    )
    .await;
    // A token announced for 4 s (the endpoint honours it for an hour) with a 30 s buffer,
    // capped at half its life: due for refresh after 2 s, expired after 4 s.
    let auth = json!({"type": "oauth2", "grant_type": "client_credentials",
        "access_token_url": endpoint.token_url(), "refresh_buffer_seconds": 30});
    let runtime = runtime_with(Arc::new(MemoryStore::new()), Duration::from_secs(2), 4);
    let bundle = load(&runtime, &definition(&api, auth, json!({}), get_items())).await;
    let options = client("client-1", "secret-1");
    assert_eq!(items(&runtime, &bundle, &options).await, 10);
    let first = check.accepted_tokens()[0].clone();

    // The provider is down while the token is due for refresh: the still valid token is used,
    // and no second request is sent within the cooldown.
    endpoint.set_unavailable(true);
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    assert_eq!(items(&runtime, &bundle, &options).await, 10);
    assert_eq!(items(&runtime, &bundle, &options).await, 10);
    assert_eq!(
        endpoint.count("client_credentials"),
        2,
        "one failed refresh"
    );
    assert!(check.accepted_tokens().iter().all(|t| *t == first));

    // Once the token is rejected there is nothing valid left: the outage shows, with the wait.
    endpoint.expire_all();
    let error = runtime
        .invoke(&bundle, "get", "{}", &options)
        .await
        .expect_err("outage");
    let text = error.to_string();
    assert!(text.contains("temporarily_unavailable"), "{text}");
    // After the cooldown, with the provider back: a new token.
    endpoint.set_unavailable(false);
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    assert_eq!(items(&runtime, &bundle, &options).await, 10);
    assert_ne!(check.accepted_tokens().last(), Some(&first));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hundred_concurrent_calls_on_an_expired_credential_cause_one_token_request() {
    let (endpoint, _check, api) = endpoint_and_api(
        TokenEndpointConfig {
            delay: Duration::from_millis(300),
            ..TokenEndpointConfig::default()
        },
        ExpiredAnswer::default(),
    )
    .await;
    let auth = json!({"type": "oauth2", "grant_type": "client_credentials",
        "access_token_url": endpoint.token_url()});
    let runtime = Arc::new(runtime_with(
        Arc::new(MemoryStore::new()),
        Duration::from_secs(30),
        128,
    ));
    let bundle = load(&runtime, &definition(&api, auth, json!({}), get_items())).await;
    let options = Arc::new(client("client-1", "secret-1"));

    let burst = |runtime: Arc<Runtime>, bundle: Arc<Bundle>, options: Arc<InvokeOptions>| async move {
        let calls = (0..100).map(|_| {
            let (runtime, bundle, options) = (runtime.clone(), bundle.clone(), options.clone());
            tokio::spawn(async move { runtime.invoke(&bundle, "get", "{}", &options).await })
        });
        for call in futures_util::future::join_all(calls).await {
            let output = call.expect("task").expect("invoke");
            assert_eq!(output["items"].as_array().map(Vec::len), Some(10));
        }
    };
    // No token yet: 100 callers, one token request.
    burst(runtime.clone(), bundle.clone(), options.clone()).await;
    assert_eq!(endpoint.count("client_credentials"), 1);
    // The token expires at the API: 100 rejections of one token, one new token request.
    endpoint.expire_all();
    burst(runtime.clone(), bundle.clone(), options.clone()).await;
    assert_eq!(endpoint.count("client_credentials"), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn secrets_never_reach_errors_or_the_manifest() {
    let (endpoint, _check, api) =
        endpoint_and_api(TokenEndpointConfig::default(), ExpiredAnswer::default()).await;
    let auth = json!({"type": "oauth2", "grant_type": "client_credentials",
        "access_token_url": endpoint.token_url()});
    let runtime = runtime();
    let bundle = load(&runtime, &definition(&api, auth, json!({}), get_items())).await;
    // A wrong secret: the provider's error, without the secret.
    let wrong = "wrong-secret-4711";
    let error = runtime
        .invoke(&bundle, "get", "{}", &client("client-1", wrong))
        .await
        .expect_err("invalid client");
    let text = format!("{error} {error:?}");
    assert!(text.contains("invalid_client"), "{text}");
    assert!(!text.contains(wrong), "{text}");
    // No client id at all: refused before any request.
    let error = runtime
        .invoke(&bundle, "get", "{}", &with_credentials(&[]))
        .await
        .expect_err("missing client id");
    assert!(matches!(error, Error::MissingCredentials { .. }), "{error}");
    let manifest = serde_json::to_string(&bundle.manifest.to_manifest().expect("manifest"))
        .expect("manifest JSON");
    assert!(manifest.contains("\"oauth2\"") && !manifest.contains("secret-1"));
}

#[tokio::test(flavor = "multi_thread")]
async fn every_oauth_field_reaches_the_host_unchanged() {
    let api = TestApi::start(AuthCheck::None).await.expect("api");
    let auth = json!({"type": "oauth2", "grant_type": "authorization_code",
        "access_token_scheme": "Token",
        "authorization_code_url": "https://auth.example.com/authorize",
        "access_token_url": "https://auth.example.com/token",
        "token_key": "data.token", "token_expiration_key": "data.expiry",
        "refresh_token_key": "data.refresh",
        "token_request_content_type": "application/json", "token_request_method": "GET",
        "scope": "a b", "token_exchange_basic_auth": true,
        "include_client_config_on_refresh": false, "include_redirect_uri_on_refresh": true,
        "token_refresh_strategy": "custom_interval", "refresh_interval_seconds": 900,
        "authorization_extra_params": {"access_type": "offline"},
        "extra_request_headers": {"X-Tenant": "t1"},
        "refresh_on_status": [401, 403], "expired_token_body_marker": "token_expired"});
    let runtime = runtime();
    let bundle = load(&runtime, &definition(&api, auth, json!({}), get_items())).await;
    let expected = OAuth2 {
        grant: Grant::AuthorizationCode,
        token_scheme: "Token".into(),
        authorization_url: Some("https://auth.example.com/authorize".into()),
        token_url: "https://auth.example.com/token".into(),
        token_key: "data.token".into(),
        expiration_key: "data.expiry".into(),
        refresh_token_key: "data.refresh".into(),
        request_format: RequestFormat::Json,
        request_method: RequestMethod::Get,
        scope: "a b".into(),
        basic_auth_token_exchange: true,
        client_config_on_refresh: false,
        redirect_uri_on_refresh: true,
        refresh: Refresh::Interval { every_seconds: 900 },
        authorization_params: vec![("access_type".into(), "offline".into())],
        token_request_headers: vec![("X-Tenant".into(), "t1".into())],
        refresh_on_status: vec![401, 403],
        expired_body_marker: Some("token_expired".into()),
    };
    assert_eq!(oauth_config(&bundle), expected);
}
