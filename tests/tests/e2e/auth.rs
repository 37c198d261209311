//! Credentials applied by the host: API key (header, query, cookie) and Basic; wrong or missing
//! credentials give clear errors that never contain the secret.

use plugboard_runtime::{Error, Failure};
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
        match check {
            "query" => assert_eq!(echo["query_params"]["key"], json!([API_KEY]), "{echo}"),
            _ => assert_eq!(
                echo["headers"]["cookie"],
                format!("key={API_KEY}"),
                "{echo}"
            ),
        }
    }
}
