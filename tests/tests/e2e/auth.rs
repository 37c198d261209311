//! Credentials applied by the host: API key (header, query, cookie) and Basic; wrong or missing
//! credentials give clear errors that never contain the secret.

use plugboard_runtime::{Error, Failure, InvokeOptions};
use plugboard_tests::api::{AuthCheck, TestApi};
use serde_json::{Value, json};

use crate::support::{
    API_KEY, api_key_auth, api_key_header_value, definition, load, runtime, with_credentials,
};

fn get(path: &str) -> Value {
    json!([{"id": "get", "name": "Get", "method": "GET", "path": path}])
}

#[tokio::test(flavor = "multi_thread")]
async fn api_key_header_with_preamble_is_applied_and_a_wrong_key_is_a_clear_401() {
    let api = TestApi::start(AuthCheck::header("X-Api-Key", api_key_header_value()))
        .await
        .expect("api");
    let runtime = runtime();
    let bundle = load(
        &runtime,
        &definition(&api, api_key_auth(), json!({}), get("/open/items")),
    )
    .await;
    let bundle_protected = load(
        &runtime,
        &definition(&api, api_key_auth(), json!({}), get("/page/items")),
    )
    .await;

    let ok = runtime
        .invoke(
            &bundle_protected,
            "get",
            "{}",
            &with_credentials(&[("api_key", API_KEY)]),
        )
        .await
        .expect("right key");
    assert_eq!(ok["items"].as_array().map(Vec::len), Some(10));
    assert_eq!(
        api.last_request("/page/items")
            .and_then(|r| r.header("x-api-key").map(str::to_string)),
        Some(api_key_header_value())
    );

    let wrong = "wrong-key-77";
    let err = runtime
        .invoke(
            &bundle_protected,
            "get",
            "{}",
            &with_credentials(&[("api_key", wrong)]),
        )
        .await
        .expect_err("wrong key");
    match &err {
        Error::Guest(Failure::UpstreamStatus {
            status,
            body_excerpt,
            message,
        }) => {
            assert_eq!(*status, 401);
            assert!(
                body_excerpt.contains("invalid credentials"),
                "{body_excerpt}"
            );
            assert!(message.contains("credentials"), "{message}");
        }
        other => panic!("expected a 401, got {other:?}"),
    }
    assert!(!err.to_string().contains(wrong) && !format!("{err:?}").contains(wrong));

    // The same bundle without credentials never reaches the API.
    let hits = api.hits("/");
    let err = runtime
        .invoke(&bundle, "get", "{}", &with_credentials(&[]))
        .await
        .expect_err("no key");
    assert!(
        matches!(&err, Error::MissingCredentials { names, .. } if names == &["api_key"]),
        "{err:?}"
    );
    assert_eq!(api.hits("/"), hits);
}

#[tokio::test(flavor = "multi_thread")]
async fn basic_auth_is_applied() {
    let api = TestApi::start(AuthCheck::basic("ada", "s3cr3t:pw"))
        .await
        .expect("api");
    let runtime = runtime();
    let bundle = load(
        &runtime,
        &definition(
            &api,
            json!({"type": "basic"}),
            json!({}),
            get("/page/items"),
        ),
    )
    .await;
    let ok = runtime
        .invoke(
            &bundle,
            "get",
            "{}",
            &with_credentials(&[("username", "ada"), ("password", "s3cr3t:pw")]),
        )
        .await
        .expect("basic");
    assert_eq!(ok["items"].as_array().map(Vec::len), Some(10));
    let err = runtime
        .invoke(
            &bundle,
            "get",
            "{}",
            &with_credentials(&[("username", "ada"), ("password", "nope")]),
        )
        .await
        .expect_err("wrong password");
    assert!(matches!(
        err,
        Error::Guest(Failure::UpstreamStatus { status: 401, .. })
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn api_keys_in_query_and_cookie_are_applied_by_the_host() {
    let api = TestApi::start(AuthCheck::None).await.expect("api");
    let runtime = runtime();
    for (location, check) in [("query", "query"), ("cookie", "cookie")] {
        let auth = json!({"type": "api_key", "api_key_header_name": "key", "location": location});
        let bundle = load(
            &runtime,
            &definition(&api, auth, json!({}), get("/echo/whoami")),
        )
        .await;
        let echo = runtime
            .invoke(
                &bundle,
                "get",
                "{}",
                &with_credentials(&[("api_key", API_KEY)]),
            )
            .await
            .expect("echo");
        // What the upstream received carries the key; what comes back to the caller does not.
        let received = api.last_request("/echo/whoami").expect("a request");
        match check {
            "query" => {
                assert!(
                    received
                        .query_pairs()
                        .contains(&("key".into(), API_KEY.into())),
                    "{:?}",
                    received.query
                );
                assert_eq!(echo["query_params"]["key"], json!(["[redacted]"]), "{echo}");
            }
            _ => {
                assert_eq!(
                    received.header("cookie"),
                    Some(format!("key={API_KEY}").as_str())
                );
                assert_eq!(echo["headers"]["cookie"], "key=[redacted]", "{echo}");
            }
        }
        assert!(!echo.to_string().contains(API_KEY), "{echo}");
    }
}

/// An API whose error pages echo the request (headers and query included) shows the caller
/// nothing of the installation's credentials: the key in a header, the key in the query
/// (form-encoded there), the Basic pair (base64) and echoes in successful answers are replaced.
#[tokio::test(flavor = "multi_thread")]
async fn echoed_credentials_are_replaced_in_what_the_host_returns() {
    let api = TestApi::start(AuthCheck::None).await.expect("api");
    let runtime = runtime();
    let key = "sk-live/echo+me=";
    let echo = |path: &str| json!([{"id": "get", "name": "Get", "method": "GET", "path": path}]);
    for (auth, credentials) in [
        (api_key_auth(), vec![("api_key", key)]),
        (
            json!({"type": "api_key", "api_key_header_name": "token", "location": "query"}),
            vec![("api_key", key)],
        ),
        (
            json!({"type": "basic"}),
            vec![("username", "ada"), ("password", key)],
        ),
    ] {
        let options = with_credentials(&credentials);
        let failing = load(
            &runtime,
            &definition(&api, auth.clone(), json!({}), echo("/echo-error/400/x")),
        )
        .await;
        let error = runtime
            .invoke(&failing, "get", "{}", &options)
            .await
            .expect_err("400");
        let text = format!("{error} {error:?}");
        assert!(text.contains("[redacted]"), "{text}");
        let basic = base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!("ada:{key}"),
        );
        for form in [key, "sk-live%2Fecho%2Bme%3D", basic.as_str()] {
            assert!(!text.contains(form), "{form} in {text}");
        }
        let answering = load(
            &runtime,
            &definition(&api, auth, json!({}), echo("/echo/x")),
        )
        .await;
        let output = runtime
            .invoke(&answering, "get", "{}", &options)
            .await
            .expect("200");
        assert!(!output.to_string().contains("sk-live"), "{output}");
    }
}

/// An action marked anonymous (`security: []` in the spec) sends no credentials and needs
/// none; the others still need them.
#[tokio::test(flavor = "multi_thread")]
async fn anonymous_actions_send_no_credentials() {
    let api = TestApi::start(AuthCheck::None).await.expect("api");
    let mut actions = json!([
        {"id": "login", "name": "Login", "method": "GET", "path": "/echo/login", "anonymous": true},
        {"id": "me", "name": "Me", "method": "GET", "path": "/echo/me"}
    ]);
    let definition = definition(&api, api_key_auth(), json!({}), actions.take());
    let runtime = runtime();
    let bundle = load(&runtime, &definition).await;

    let login = runtime
        .invoke(&bundle, "login", "{}", &InvokeOptions::default())
        .await
        .expect("an anonymous action needs no credentials");
    assert_eq!(login["path"], "/echo/login");
    let with_key = with_credentials(&[("api_key", API_KEY)]);
    runtime
        .invoke(&bundle, "login", "{}", &with_key)
        .await
        .expect("login");
    let sent = |path: &str| {
        api.last_request(path)
            .expect("recorded")
            .headers
            .iter()
            .find(|(name, _)| name == "x-api-key")
            .map(|(_, value)| value.clone())
    };
    assert_eq!(
        sent("/echo/login"),
        None,
        "an anonymous action sends no key"
    );
    runtime
        .invoke(&bundle, "me", "{}", &with_key)
        .await
        .expect("me");
    assert_eq!(sent("/echo/me"), Some(api_key_header_value()));
    let missing = runtime
        .invoke(&bundle, "me", "{}", &InvokeOptions::default())
        .await
        .expect_err("credentials are needed");
    assert!(missing.to_string().contains("api_key"), "{missing}");
}
