//! Hostile components are stopped with clear errors while the same runtime keeps serving.

use std::sync::Arc;
use std::time::{Duration, Instant};

use plugboard_runtime::{Credentials, Error, Failure, InvokeOptions, Limits, Runtime};
use plugboard_tests::api::{AuthCheck, TestApi};
use serde_json::json;

use crate::support::{custom_bundle, runtime};

const HOSTILE: &str = env!("PLUGBOARD_HOSTILE_WASM");

fn options(timeout_ms: u64) -> InvokeOptions {
    InvokeOptions {
        credentials: [("api_key", "the-installations-key")]
            .into_iter()
            .collect::<Credentials>(),
        limits: Limits {
            timeout: Duration::from_millis(timeout_ms),
            memory_bytes: 32 << 20,
            max_requests: 10,
            ..Limits::default()
        },
        ..InvokeOptions::default()
    }
}

async fn hostile(runtime: &Runtime) -> Arc<plugboard_runtime::Bundle> {
    let bytes = custom_bundle(runtime, HOSTILE).await;
    runtime.load(&bytes).await.expect("load hostile")
}

async fn echo_still_works(runtime: &Runtime, bundle: &plugboard_runtime::Bundle) {
    let out = runtime
        .invoke(bundle, "echo", r#"{"still": "alive"}"#, &options(2_000))
        .await
        .expect("echo after a hostile call");
    assert_eq!(out, json!({"still": "alive"}));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_endless_loop_is_stopped_by_the_time_limit() {
    let runtime = runtime();
    let bundle = hostile(&runtime).await;
    let started = Instant::now();
    let err = runtime
        .invoke(&bundle, "spin", "{}", &options(300))
        .await
        .expect_err("spin");
    assert!(matches!(err, Error::Timeout(_)), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
    echo_still_works(&runtime, &bundle).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn other_calls_are_served_while_one_spins() {
    let runtime = Arc::new(runtime());
    let bundle = hostile(&runtime).await;
    let spinning = {
        let (runtime, bundle) = (runtime.clone(), bundle.clone());
        tokio::spawn(async move { runtime.invoke(&bundle, "spin", "{}", &options(1_500)).await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    echo_still_works(&runtime, &bundle).await;
    assert!(
        started.elapsed() < Duration::from_millis(1_000),
        "echo waited {:?}",
        started.elapsed()
    );
    let err = spinning.await.expect("join").expect_err("spin");
    assert!(matches!(err, Error::Timeout(_)), "{err:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn unbounded_allocation_is_stopped_by_the_memory_limit() {
    let runtime = runtime();
    let bundle = hostile(&runtime).await;
    let err = runtime
        .invoke(&bundle, "hog", "{}", &options(10_000))
        .await
        .expect_err("hog");
    match &err {
        Error::MemoryLimit { limit, requested } => {
            assert_eq!(*limit, 32 << 20);
            assert!(requested > limit);
        }
        other => panic!("expected a memory limit, got {other:?}"),
    }
    assert!(
        err.to_string().contains("memory limit of 33554432 bytes"),
        "{err}"
    );
    echo_still_works(&runtime, &bundle).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_to_a_host_outside_the_manifest_is_denied() {
    let api = TestApi::start(AuthCheck::None).await.expect("api");
    let runtime = runtime();
    let bundle = hostile(&runtime).await;
    let input = json!({"url": format!("{}/open/items", api.base_url())}).to_string();
    let err = runtime
        .invoke(&bundle, "fetch", &input, &options(2_000))
        .await
        .expect_err("fetch");
    match &err {
        Error::Guest(Failure::Denied { message }) => {
            assert!(
                message.contains(&api.host()) && message.contains("allowed hosts"),
                "{message}"
            )
        }
        other => panic!("expected denied, got {other:?}"),
    }
    assert_eq!(api.hits("/"), 0, "the foreign host must never be contacted");
    echo_still_works(&runtime, &bundle).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn request_storms_undeclared_secrets_and_config_and_panics_are_contained() {
    let runtime = runtime();
    let bundle = hostile(&runtime).await;
    let storm = runtime
        .invoke(&bundle, "storm", "{}", &options(5_000))
        .await
        .expect_err("storm");
    assert!(
        matches!(&storm, Error::Guest(Failure::LimitExceeded { message }) if message.contains("more than 10 outbound requests")),
        "{storm:?}"
    );
    let secret = runtime
        .invoke(&bundle, "secret", "{}", &options(2_000))
        .await
        .expect_err("secret");
    assert!(
        matches!(&secret, Error::Guest(Failure::Denied { message }) if message.contains("secret `someone_elses_secret` is not declared")),
        "{secret:?}"
    );
    // An auth credential is never handed out as a secret (and a manifest cannot declare one).
    let mut with_secret = options(2_000);
    with_secret
        .credentials
        .insert("client_secret", "cs-do-not-leak");
    let auth_secret = runtime
        .invoke(&bundle, "auth-secret", "{}", &with_secret)
        .await
        .expect_err("auth secret");
    assert!(
        matches!(&auth_secret, Error::Guest(Failure::Denied { message }) if message.contains("`client_secret` is an auth credential")),
        "{auth_secret:?}"
    );
    // Each call reads its own installation's config, however many run at once.
    let with_region = |region: &str| {
        let mut o = options(5_000);
        o.config.insert("region".into(), region.into());
        o
    };
    let (eu, us) = (with_region("eu-west"), with_region("us-east"));
    let calls = (0..20).map(|i| {
        let (runtime, bundle) = (&runtime, &bundle);
        let options = if i % 2 == 0 { &eu } else { &us };
        async move { (i, runtime.invoke(bundle, "region", "{}", options).await) }
    });
    for (i, result) in futures_util::future::join_all(calls).await {
        let expected = if i % 2 == 0 { "eu-west" } else { "us-east" };
        assert_eq!(result.expect("region"), expected);
    }
    // Huge output: refused with the size, not handed on.
    let mut small = options(5_000);
    small.limits.memory_bytes = 128 << 20;
    small.limits.response_bytes = 1 << 20;
    let flood = runtime
        .invoke(&bundle, "flood", "{}", &small)
        .await
        .expect_err("flood");
    assert!(flood.to_string().contains("byte limit"), "{flood}");
    let config = runtime
        .invoke(&bundle, "config", "{}", &options(2_000))
        .await
        .expect_err("config");
    assert!(
        matches!(&config, Error::Guest(Failure::Denied { .. })),
        "{config:?}"
    );
    let panic = runtime
        .invoke(&bundle, "panic", "{}", &options(2_000))
        .await
        .expect_err("panic");
    match &panic {
        Error::Trap { stderr, .. } => assert!(stderr.contains("panicked on purpose"), "{stderr}"),
        other => panic!("expected a trap, got {other:?}"),
    }
    echo_still_works(&runtime, &bundle).await;
}

/// A component whose initial memory (a 768 MiB zeroed static) is above the call's limit never
/// gets it: the call is refused with both sizes, and the runtime goes on.
#[tokio::test(flavor = "multi_thread")]
async fn initial_memory_counts_against_the_limit() {
    let runtime = runtime();
    let bytes = custom_bundle(&runtime, plugboard_tests::components::BLOATED_WASM).await;
    assert!(plugboard_bundle::initial_memory(&bytes).expect("memory") >= 768 << 20);
    let bundle = runtime.load(&bytes).await.expect("load");
    let mut small = options(5_000);
    small.limits.memory_bytes = 16 << 20;
    let err = runtime
        .invoke(&bundle, "touch", "{}", &small)
        .await
        .expect_err("over the limit before it starts");
    match &err {
        Error::MemoryLimit { limit, requested } => {
            assert_eq!(*limit, 16 << 20);
            assert!(*requested >= 768 << 20, "{requested}");
        }
        other => panic!("expected a memory limit, got {other:?}"),
    }
    let text = err.to_string();
    assert!(
        text.contains("16777216") && text.contains("asked for"),
        "{text}"
    );
    let hostile = hostile(&runtime).await;
    echo_still_works(&runtime, &hostile).await;
}

/// Warm instances are reused only by calls with the same credentials, config and tenant: what a
/// component keeps in memory after one installation's call is never seen by another's, nor after
/// the instance trapped.
#[tokio::test(flavor = "multi_thread")]
async fn what_a_call_leaves_in_memory_never_reaches_another_installation() {
    let runtime = runtime();
    let bundle = hostile(&runtime).await;
    let of = |installation: &str, key: &str, region: &str| InvokeOptions {
        credentials: [("api_key", key)].into_iter().collect::<Credentials>(),
        config: [("region".to_string(), region.to_string())].into(),
        credential_key: Some(format!("{installation}/default")),
        tenant: Some(plugboard_runtime::Tenant {
            organization: format!("org-of-{installation}"),
            installation: installation.to_string(),
        }),
        ..InvokeOptions::default()
    };
    let (a, b) = (of("a", "key-a", "eu"), of("b", "key-b", "eu"));
    let recall = |options: &InvokeOptions| {
        let (runtime, bundle, options) = (&runtime, &bundle, options.clone());
        async move {
            runtime
                .invoke(bundle, "recall", "{}", &options)
                .await
                .expect("recall")
        }
    };
    runtime
        .invoke(&bundle, "remember", r#""a's data""#, &a)
        .await
        .expect("remember");
    // The same installation's next call runs in the warm instance (which is what makes the
    // checks below mean something).
    assert_eq!(recall(&a).await, json!(["\"a's data\""]));
    assert!(runtime.warm_instances() >= 1);
    // Another installation, with the same or other credentials, config or organization: a
    // fresh instance every time.
    assert_eq!(recall(&b).await, json!([]));
    let mut same_key_other_installation = of("b", "key-a", "eu");
    same_key_other_installation.credential_key = Some("b/default".into());
    assert_eq!(recall(&same_key_other_installation).await, json!([]));
    assert_eq!(
        recall(&of("a", "key-a", "us")).await,
        json!([]),
        "other config"
    );
    let mut other_org = a.clone();
    other_org.tenant = Some(plugboard_runtime::Tenant {
        organization: "org-of-b".into(),
        installation: "a".into(),
    });
    assert_eq!(recall(&other_org).await, json!([]), "other organization");
    // A trap drops the instance: nothing of it is seen again.
    let err = runtime
        .invoke(&bundle, "panic", "{}", &a)
        .await
        .expect_err("panic");
    assert!(matches!(err, Error::Trap { .. }), "{err:?}");
    assert_eq!(recall(&a).await, json!([]), "after a trap");
    // Dropping the warm instances starts every installation afresh.
    runtime
        .invoke(&bundle, "remember", r#""again""#, &a)
        .await
        .expect("remember");
    runtime.drop_warm_instances();
    assert_eq!(runtime.warm_instances(), 0);
    assert_eq!(recall(&a).await, json!([]));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_output_that_is_not_strict_json_is_refused_and_a_secret_in_it_is_scrubbed() {
    // The host hands the component's output on as text (not parsed into a tree): it must still
    // refuse what a parse would (the `echo` action returns its input as its output), and still
    // replace a credential however the output spells it.
    let runtime = runtime();
    let bundle = hostile(&runtime).await;
    // The component's output, as the host hands it on.
    let echoed = async |output: &str| {
        runtime
            .invoke_tapped_raw(
                &bundle,
                "echo",
                output,
                &options(2_000),
                plugboard_runtime::Tap::Live,
            )
            .await
            .0
    };
    // The same output parsed into a value (`invoke`), which takes one parse and no check.
    let parsed = async |output: &str| {
        runtime
            .invoke(&bundle, "echo", output, &options(2_000))
            .await
    };
    for output in [r#""\ud800""#, r#"{"a": "\q"}"#, "not json", "{} {}", "[1,"] {
        let err = echoed(output).await.expect_err(output);
        assert!(matches!(err, Error::BadOutput(_)), "{output}: {err:?}");
        let err = parsed(output).await.expect_err(output);
        assert!(
            matches!(err, Error::BadOutput(_)),
            "parsed {output}: {err:?}"
        );
    }
    assert_eq!(
        parsed(r#"{"echo": "the-installations-\u006bey", "n": [1]}"#)
            .await
            .unwrap(),
        json!({"echo": "[redacted]", "n": [1]})
    );
    for (output, shown) in [
        // As it came, spacing included, when no credential is in it.
        (
            " {\"a\": [1, 2],\n \"b\": \"x\"} ",
            "{\"a\": [1, 2],\n \"b\": \"x\"}",
        ),
        // The installation's key, plainly and spelled with escapes.
        (
            r#"{"echo": "the-installations-key"}"#,
            r#"{"echo":"[redacted]"}"#,
        ),
        (
            r#"{"echo": "the-installations-\u006bey"}"#,
            r#"{"echo":"[redacted]"}"#,
        ),
    ] {
        let out = echoed(output).await.expect(output);
        assert_eq!(out.get(), shown, "{output}");
    }
    echo_still_works(&runtime, &bundle).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_warm_instance_shows_each_call_only_its_own_stderr() {
    // Warm instances keep the WASI context of a call that left it as new: one that wrote to
    // stderr must not pass its text on to the next call's error. (Here the instance is not
    // even kept: Rust's std holds its stderr stream open, and an instance with an open
    // resource is dropped. `host::tests` checks the context hand-over itself.)
    let runtime = runtime();
    let bundle = hostile(&runtime).await;
    let options = options(2_000);
    runtime
        .invoke(&bundle, "noisy", "{}", &options)
        .await
        .expect("noisy");
    let panic = runtime
        .invoke(&bundle, "panic", "{}", &options)
        .await
        .expect_err("panic");
    match &panic {
        Error::Trap { stderr, .. } => {
            assert!(stderr.contains("panicked on purpose"), "{stderr}");
            assert!(!stderr.contains("noise"), "{stderr}");
        }
        other => panic!("expected a trap, got {other:?}"),
    }
    // A clean call after a clean call reuses the context; stderr still works in it.
    echo_still_works(&runtime, &bundle).await;
    echo_still_works(&runtime, &bundle).await;
    let panic = runtime
        .invoke(&bundle, "panic", "{}", &options)
        .await
        .expect_err("panic");
    assert!(
        matches!(&panic, Error::Trap { stderr, .. } if stderr.contains("panicked on purpose")),
        "{panic:?}"
    );
}
