//! The egress policy: by default a host connects to no internal address, whatever the
//! integration names (an address literal, a DNS name that resolves to one) and whatever the
//! request is (an API call, a token request). A refusal is a `denied` failure that names the
//! address class, and nothing is sent.

use plugboard_definition::Definition;
use plugboard_runtime::{EgressPolicy, Error, Failure, Runtime, RuntimeConfig};
use plugboard_tests::api::{AuthCheck, TestApi};
use plugboard_tests::oauth::{TokenEndpoint, TokenEndpointConfig};
use serde_json::{Value, json};

use crate::support::{compile_cache, with_credentials};

fn runtime(egress: EgressPolicy) -> Runtime {
    Runtime::new(RuntimeConfig {
        cache: Some(compile_cache()),
        max_instances: 8,
        egress,
        ..RuntimeConfig::default()
    })
    .expect("runtime")
}

fn definition(hostname: &str, scheme: &str, auth: Value) -> Definition {
    Definition::from_json(
        &json!({"definition_version": 1, "name": "Egress", "description": "Where it goes",
            "hostname": hostname, "scheme": scheme, "auth": auth,
            "actions": [{"id": "get", "name": "Get", "method": "GET", "path": "/open/items"}]})
        .to_string(),
    )
    .expect("definition")
}

/// The failure of calling `get` on an integration at `hostname`.
async fn call(runtime: &Runtime, hostname: &str) -> Error {
    let bundle = plugboard_bundle::finalize(&definition(hostname, "http", json!({"type": "none"})))
        .expect("finalize");
    let bundle = runtime.load(&bundle.component).await.expect("load");
    runtime
        .invoke(&bundle, "get", "{}", &with_credentials(&[]))
        .await
        .expect_err("refused")
}

fn denied_message(error: &Error) -> &str {
    match error {
        Error::Guest(Failure::Denied { message }) => message,
        other => panic!("expected denied, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn internal_addresses_are_refused_by_default_and_named() {
    let api = TestApi::start(AuthCheck::None).await.expect("api");
    let port = api.addr().port();
    let strict = runtime(EgressPolicy::public_only());
    for (hostname, class) in [
        (
            format!("127.0.0.1:{port}"),
            "127.0.0.1 is a loopback address",
        ),
        (
            format!("localhost:{port}"),
            "`localhost` resolves to 127.0.0.1, a loopback address",
        ),
        (
            format!("0.0.0.0:{port}"),
            "0.0.0.0 is an unspecified address",
        ),
        ("169.254.169.254".to_string(), "a link-local address"),
        ("10.0.0.1".to_string(), "a private address"),
        (
            "100.64.0.1".to_string(),
            "a shared (carrier-grade NAT) address",
        ),
    ] {
        let error = call(&strict, &hostname).await;
        let message = denied_message(&error);
        assert!(message.contains(class), "{hostname}: {message}");
        assert!(message.contains("unless its operator allows"), "{message}");
    }
    assert_eq!(api.hits("/"), 0, "nothing reached the loopback API");
    // The operator allows loopback: the same integration works.
    let allowed =
        runtime(EgressPolicy::public_only().allow_network("127.0.0.0/8".parse().unwrap()));
    let bundle = plugboard_bundle::finalize(&definition(
        &format!("localhost:{port}"),
        "http",
        json!({"type": "none"}),
    ))
    .expect("finalize");
    let bundle = allowed.load(&bundle.component).await.expect("load");
    let output = allowed
        .invoke(&bundle, "get", "{}", &with_credentials(&[]))
        .await
        .expect("allowed");
    assert!(output["items"].is_array(), "{output}");
}

#[tokio::test(flavor = "multi_thread")]
async fn token_requests_to_internal_addresses_are_refused() {
    let endpoint = TokenEndpoint::start(TokenEndpointConfig::default());
    let auth = json!({"type": "oauth2", "grant_type": "client_credentials",
        "access_token_url": endpoint.token_url()});
    // The API itself is a public name: only the token endpoint is internal.
    let bundle = plugboard_bundle::finalize(&definition("api.example.com", "https", auth))
        .expect("finalize");
    let strict = runtime(EgressPolicy::public_only());
    let bundle = strict.load(&bundle.component).await.expect("load");
    let error = strict
        .invoke(
            &bundle,
            "get",
            "{}",
            &with_credentials(&[("client_id", "c"), ("client_secret", "s")]),
        )
        .await
        .expect_err("refused");
    let message = denied_message(&error);
    assert!(
        message.contains("token endpoint") && message.contains("a loopback address"),
        "{message}"
    );
    assert_eq!(endpoint.count("client_credentials"), 0, "no token request");
}
