//! A misbehaving upstream (the fault-injection server): retries with backoff and Retry-After
//! for idempotent requests, nothing retried that must not be, the rate budget and what the
//! API's rate-limit headers say, and every give-up explained in the error.

use std::time::Duration;

use plugboard_runtime::{Error, Failure, InvokeOptions, Limits, RateLimit, RetryPolicy};
use plugboard_tests::faults::FaultServer;
use serde_json::{Value, json};

use crate::support::{load, runtime};

fn definition(server: &FaultServer, actions: Value) -> plugboard_definition::Definition {
    plugboard_definition::Definition::from_json(
        &json!({"definition_version": 1, "name": "Faults", "description": "Misbehaves",
            "hostname": server.host(), "scheme": "http", "actions": actions})
        .to_string(),
    )
    .expect("definition")
}

fn get(id: &str, path: &str) -> Value {
    json!({"id": id, "name": id, "method": "GET", "path": path})
}

fn fast_retries() -> InvokeOptions {
    InvokeOptions {
        retry: RetryPolicy {
            base_delay: Duration::from_millis(20),
            ..RetryPolicy::default()
        },
        ..InvokeOptions::default()
    }
}

fn upstream_message(error: &Error) -> String {
    match error {
        Error::Guest(Failure::UpstreamStatus { message, .. }) => message.clone(),
        other => panic!("expected an upstream status, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn idempotent_requests_are_retried_and_give_ups_are_explained() {
    let server = FaultServer::start().await;
    let actions = json!([
        get("two_failures", "/flaky/a/2/503"),
        get("five_failures", "/flaky/b/5/502"),
        get("polite_429", "/flaky/c/1/429/1"),
        get("rude_429", "/flaky/d/1/429/120"),
        get("not_found", "/flaky/e/9/404"),
        {"id": "post", "name": "post", "method": "POST", "path": "/flaky/f/1/503"},
        get("reset", "/reset/g/1"),
        get("truncated", "/truncated"),
        get("invalid_json", "/invalid-json"),
        get("slow", "/slow/3000"),
        get("big", "/big/3"),
    ]);
    let runtime = runtime();
    let bundle = load(&runtime, &definition(&server, actions)).await;
    let options = fast_retries();
    let call = |id: &'static str| {
        let (runtime, bundle, options) = (&runtime, &bundle, &options);
        async move { runtime.invoke(bundle, id, "{}", options).await }
    };

    // Two 503s, then the answer: three requests, success.
    let output = call("two_failures").await.expect("retried to success");
    assert_eq!(output["items"], json!([1, 2, 3]));
    assert_eq!(server.seen("/flaky/a/").len(), 3);

    // Five failures: three attempts, then the last status with the story.
    let message = upstream_message(&call("five_failures").await.expect_err("gave up"));
    assert!(
        message.contains("502") && message.contains("gave up after 3 attempts"),
        "{message}"
    );
    assert_eq!(server.seen("/flaky/b/").len(), 3);

    // Retry-After is honoured when it is short...
    let output = call("polite_429").await.expect("after Retry-After");
    assert_eq!(output["items"], json!([1, 2, 3]));
    let seen = server.seen("/flaky/c/");
    assert_eq!(seen.len(), 2);
    assert!(seen[1].at - seen[0].at >= Duration::from_millis(950));
    // ...and not waited for when it is longer than the cap.
    let message = upstream_message(&call("rude_429").await.expect_err("not waited for"));
    assert!(
        message.contains("Retry-After of 120 s is longer than"),
        "{message}"
    );
    assert_eq!(server.seen("/flaky/d/").len(), 1);

    // A 404 is not retried; a POST is never retried.
    call("not_found").await.expect_err("404");
    assert_eq!(server.seen("/flaky/e/").len(), 1);
    let message = upstream_message(&call("post").await.expect_err("POST 503"));
    assert!(
        message.contains("not retried: POST is not idempotent"),
        "{message}"
    );
    assert_eq!(server.seen("/flaky/f/").len(), 1);

    // A connection closed without an answer is retried (the request was a GET).
    call("reset").await.expect("retried after the reset");
    assert_eq!(server.seen("/reset/g/").len(), 2);

    // A body cut short and a body that is not JSON: clear errors.
    match call("truncated").await.expect_err("truncated") {
        Error::Guest(Failure::Transport { message }) => {
            assert!(message.contains("gave up after 3 attempts"), "{message}")
        }
        other => panic!("expected a transport error, got {other:?}"),
    }
    let error = call("invalid_json").await.expect_err("invalid JSON");
    assert!(error.to_string().to_lowercase().contains("json"), "{error}");

    // A slow answer meets the call's time limit; an oversized body the response limit.
    let limited = InvokeOptions {
        limits: Limits {
            timeout: Duration::from_millis(500),
            response_bytes: 1 << 20,
            ..Limits::default()
        },
        ..fast_retries()
    };
    let error = runtime
        .invoke(&bundle, "slow", "{}", &limited)
        .await
        .expect_err("too slow");
    assert!(matches!(error, Error::Timeout(_)), "{error:?}");
    match runtime.invoke(&bundle, "big", "{}", &limited).await {
        Err(Error::Guest(Failure::LimitExceeded { message })) => {
            assert!(
                message.contains("larger than the 1048576 byte limit"),
                "{message}"
            )
        }
        other => panic!("expected the response limit, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn redirects_are_not_followed_and_credentials_stay_home() {
    let server = FaultServer::start().await;
    let elsewhere = FaultServer::start().await;
    server.redirect_to(&format!("http://{}/stolen", elsewhere.host()));
    let actions = json!([get("redirect", "/redirect")]);
    let mut definition = definition(&server, actions);
    definition.auth = plugboard_definition::Auth::ApiKey {
        api_key_header_name: "X-Api-Key".into(),
        api_key_preamble: String::new(),
        location: plugboard_definition::ApiKeyLocation::Header,
    };
    let runtime = runtime();
    let bundle = load(&runtime, &definition).await;
    let options = InvokeOptions {
        credentials: [("api_key", "home-key")].into_iter().collect(),
        ..fast_retries()
    };
    let message = upstream_message(
        &runtime
            .invoke(&bundle, "redirect", "{}", &options)
            .await
            .expect_err("a redirect"),
    );
    assert!(message.contains("302"), "{message}");
    assert!(
        elsewhere.seen("/").is_empty(),
        "the other host was contacted"
    );
    let home = server.seen("/redirect");
    assert!(
        home[0]
            .headers
            .iter()
            .any(|(n, v)| n == "x-api-key" && v == "home-key")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_rate_budget_spaces_calls_and_learns_from_rate_limit_headers() {
    let server = FaultServer::start().await;
    let actions = json!([
        get("plain", "/anything"),
        get("exhausted", "/ratelimited/r/1")
    ]);
    let runtime = runtime();
    let bundle = load(&runtime, &definition(&server, actions)).await;
    // 4 requests per second, no burst beyond 1: four calls span about three quarters of a
    // second, every call sharing the credential's bucket.
    let budget = InvokeOptions {
        credential_key: Some("budgeted".into()),
        rate_limit: Some(RateLimit {
            per_second: 4.0,
            burst: 1,
        }),
        ..fast_retries()
    };
    for _ in 0..4 {
        runtime
            .invoke(&bundle, "plain", "{}", &budget)
            .await
            .expect("within budget");
    }
    let seen = server.seen("/anything");
    assert_eq!(seen.len(), 4);
    assert!(
        seen[3].at - seen[0].at >= Duration::from_millis(700),
        "{:?}",
        seen[3].at - seen[0].at
    );

    // The API says "0 remaining, reset in 1 s": the next request of that credential waits.
    let learned = InvokeOptions {
        credential_key: Some("learning".into()),
        ..fast_retries()
    };
    runtime
        .invoke(&bundle, "exhausted", "{}", &learned)
        .await
        .expect("first");
    runtime
        .invoke(&bundle, "exhausted", "{}", &learned)
        .await
        .expect("second, after the reset");
    let seen = server.seen("/ratelimited");
    assert!(seen[1].at - seen[0].at >= Duration::from_millis(950));

    // A wait longer than the call's time is a clear limit error, not a hang.
    runtime
        .invoke(&bundle, "exhausted", "{}", &learned)
        .await
        .expect("third");
    let short = InvokeOptions {
        limits: Limits {
            timeout: Duration::from_millis(300),
            ..Limits::default()
        },
        ..learned.clone()
    };
    match runtime.invoke(&bundle, "exhausted", "{}", &short).await {
        Err(Error::Guest(Failure::LimitExceeded { message })) => {
            assert!(message.contains("rate budget"), "{message}")
        }
        other => panic!("expected the rate budget to be named, got {other:?}"),
    }
}
