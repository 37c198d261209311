//! Request building and response handling through a real component: parameters, bodies,
//! non-JSON responses, input errors, size and time limits.

use std::time::{Duration, Instant};

use plugboard_runtime::{Error, Failure, InvokeOptions, Limits};
use plugboard_tests::api::{AuthCheck, TestApi};
use serde_json::{Value, json};

use crate::support::{definition, load, runtime};

fn actions() -> Value {
    json!([
        {"id": "echo_get", "name": "Echo get", "method": "GET", "path": "/echo/users/{user}/files/{file}",
         "parameters": [
            {"name": "user", "in": "path", "required": true},
            {"name": "file", "in": "path", "required": true},
            {"name": "tag", "in": "query"},
            {"name": "limit", "in": "query", "required": true, "schema": {"type": "integer"}},
            {"name": "X-Trace", "in": "header"}]},
        {"id": "echo_post", "name": "Echo post", "method": "POST", "path": "/echo/notes",
         "request_body": {"required": true, "schema": {"type": "object"}}},
        {"id": "text", "name": "Text", "method": "GET", "path": "/text"},
        {"id": "empty", "name": "Empty", "method": "GET", "path": "/empty"},
        {"id": "big", "name": "Big", "method": "GET", "path": "/big", "parameters": [{"name": "bytes", "in": "query"}]},
        {"id": "slow", "name": "Slow", "method": "GET", "path": "/slow", "parameters": [{"name": "ms", "in": "query"}]},
        {"id": "status", "name": "Status", "method": "GET", "path": "/status/{code}", "parameters": [{"name": "code", "in": "path"}]}
    ])
}

#[tokio::test(flavor = "multi_thread")]
async fn parameters_bodies_and_response_shapes() {
    let api = TestApi::start(AuthCheck::None).await.expect("api");
    let runtime = runtime();
    let bundle = load(
        &runtime,
        &definition(&api, json!({"type": "none"}), json!({}), actions()),
    )
    .await;
    let opts = InvokeOptions::default();

    let input =
        json!({"user": "a b/c?", "file": 42, "tag": ["x&y", "z"], "limit": 5, "X-Trace": "t-1"});
    let echo = runtime
        .invoke(&bundle, "echo_get", &input.to_string(), &opts)
        .await
        .expect("echo");
    assert_eq!(echo["path"], "/echo/users/a%20b%2Fc%3F/files/42");
    assert_eq!(echo["query_params"]["tag"], json!(["x&y", "z"]));
    assert_eq!(echo["query_params"]["limit"], json!(["5"]));
    assert_eq!(echo["headers"]["x-trace"], "t-1");

    let post = runtime
        .invoke(
            &bundle,
            "echo_post",
            &json!({"body": {"text": "hi", "n": [1, 2]}}).to_string(),
            &opts,
        )
        .await
        .expect("post");
    assert_eq!(post["method"], "POST");
    assert_eq!(post["body"], json!({"text": "hi", "n": [1, 2]}));
    assert_eq!(post["headers"]["content-type"], "application/json");

    assert_eq!(
        runtime
            .invoke(&bundle, "text", "", &opts)
            .await
            .expect("text"),
        json!("hello, plain text")
    );
    assert_eq!(
        runtime
            .invoke(&bundle, "empty", "{}", &opts)
            .await
            .expect("empty"),
        Value::Null
    );

    let err = runtime
        .invoke(&bundle, "status", r#"{"code": 503}"#, &opts)
        .await
        .expect_err("503");
    assert!(
        matches!(
            err,
            Error::Guest(Failure::UpstreamStatus { status: 503, .. })
        ),
        "{err:?}"
    );
}

/// Numbers reach the upstream exactly as the caller wrote them (serde_json's default float
/// parser was off in the last digit: -15.832582473754883 went out as ...885).
#[tokio::test(flavor = "multi_thread")]
async fn numbers_reach_the_upstream_unchanged() {
    let api = TestApi::start(AuthCheck::None).await.expect("api");
    let runtime = runtime();
    let bundle = load(
        &runtime,
        &definition(&api, json!({"type": "none"}), json!({}), actions()),
    )
    .await;
    let opts = InvokeOptions::default();
    let numbers = [
        "-15.832582473754883",
        "0.1",
        "1.7976931348623157e308",
        "5e-324",
        "2.2250738585072014e-308",
        "123456789.12345679",
    ];
    for number in numbers {
        let input = format!(r#"{{"body": {{"lat": {number}}}}}"#);
        let echo = runtime
            .invoke(&bundle, "echo_post", &input, &opts)
            .await
            .expect("echo");
        let sent: f64 = echo["body"]["lat"].as_f64().expect("a number");
        let written: f64 = number.parse().expect("f64");
        assert_eq!(sent.to_bits(), written.to_bits(), "{number}: {echo}");
        let text = echo["body_text"].as_str().expect("body text");
        let out = text
            .trim_start_matches(r#"{"lat":"#)
            .trim_end_matches('}')
            .parse::<f64>()
            .expect("number text");
        assert_eq!(out.to_bits(), written.to_bits(), "{number}: {text}");
    }
    let input = r#"{"user": "u", "file": "f", "limit": 5, "tag": -15.832582473754883}"#;
    let echo = runtime
        .invoke(&bundle, "echo_get", input, &opts)
        .await
        .expect("echo");
    assert_eq!(echo["query_params"]["tag"], json!(["-15.832582473754883"]));
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_is_rejected_before_any_request() {
    let api = TestApi::start(AuthCheck::None).await.expect("api");
    let runtime = runtime();
    let bundle = load(
        &runtime,
        &definition(&api, json!({"type": "none"}), json!({}), actions()),
    )
    .await;
    let opts = InvokeOptions::default();
    let cases = [
        (
            r#"{"user": "u", "limit": 1}"#,
            "missing required input: file",
        ),
        (
            r#"{"user": "u", "file": "f", "limit": 1, "colour": "red"}"#,
            "unknown input key `colour`",
        ),
        (
            r#"{"user": {"a": 1}, "file": "f", "limit": 1}"#,
            "`user` must be a string",
        ),
        ("[1, 2]", "must be a JSON object"),
        (
            r#"{"user": "u", "file": "f", "limit": "many"}"#,
            "`limit` must be integer, got \"many\"",
        ),
    ];
    for (input, expected) in cases {
        match runtime.invoke(&bundle, "echo_get", input, &opts).await {
            Err(Error::Guest(Failure::InvalidInput { message })) => {
                assert!(message.contains(expected), "{input}: {message}")
            }
            other => panic!("{input}: expected invalid input, got {other:?}"),
        }
    }
    let unknown = runtime
        .invoke(&bundle, "nope", "{}", &opts)
        .await
        .expect_err("unknown");
    assert!(matches!(unknown, Error::UnknownAction { .. }));
    assert_eq!(api.hits("/"), 0);
}

/// A path parameter never adds, removes or reorders segments: `.` and `..` (which URL parsers
/// would remove, with the segment before `..`) are refused before any request; `...` is an
/// ordinary segment. What the upstream receives is checked.
#[tokio::test(flavor = "multi_thread")]
async fn dot_segments_in_path_parameters_never_change_the_path() {
    let api = TestApi::start(AuthCheck::None).await.expect("api");
    let runtime = runtime();
    let bundle = load(
        &runtime,
        &definition(&api, json!({"type": "none"}), json!({}), actions()),
    )
    .await;
    let opts = InvokeOptions::default();
    for dots in [".", ".."] {
        let input = json!({"user": dots, "file": "profile", "limit": 1}).to_string();
        match runtime.invoke(&bundle, "echo_get", &input, &opts).await {
            Err(Error::Guest(Failure::InvalidInput { message })) => {
                assert!(message.contains("change the path"), "{dots}: {message}")
            }
            other => panic!("{dots}: expected invalid input, got {other:?}"),
        }
    }
    assert_eq!(api.hits("/"), 0, "nothing was sent");
    let input = json!({"user": "...", "file": "..x", "limit": 1}).to_string();
    let echo = runtime
        .invoke(&bundle, "echo_get", &input, &opts)
        .await
        .expect("three dots are a name");
    assert_eq!(echo["path"], "/echo/users/.../files/..x");
}

#[tokio::test(flavor = "multi_thread")]
async fn response_size_and_time_limits_stop_the_call() {
    let api = TestApi::start(AuthCheck::None).await.expect("api");
    let runtime = runtime();
    let bundle = load(
        &runtime,
        &definition(&api, json!({"type": "none"}), json!({}), actions()),
    )
    .await;
    let limits = Limits {
        response_bytes: 1 << 20,
        timeout: Duration::from_millis(400),
        ..Limits::default()
    };
    let opts = InvokeOptions {
        limits,
        ..InvokeOptions::default()
    };

    let small = runtime
        .invoke(&bundle, "big", r#"{"bytes": 1000}"#, &opts)
        .await
        .expect("small");
    assert_eq!(small.as_str().map(str::len), Some(998));
    let err = runtime
        .invoke(&bundle, "big", r#"{"bytes": 2000000}"#, &opts)
        .await
        .expect_err("big");
    assert!(
        matches!(&err, Error::Guest(Failure::LimitExceeded { message }) if message.contains("1048576 byte limit")),
        "{err:?}"
    );

    let started = Instant::now();
    let err = runtime
        .invoke(&bundle, "slow", r#"{"ms": 5000}"#, &opts)
        .await
        .expect_err("slow");
    assert!(
        matches!(err, Error::Timeout(d) if d == Duration::from_millis(400)),
        "{err:?}"
    );
    assert!(err.to_string().contains("time limit of 400 ms"), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "stopped after {:?}",
        started.elapsed()
    );
}
