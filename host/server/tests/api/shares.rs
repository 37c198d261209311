//! Fair shares of the pool: one organization's slow calls fill its share and its further calls
//! are answered 429 with Retry-After, while another organization's calls still run.

use std::time::Duration;

use plugboard_tests::api::{AuthCheck, TestApi};
use serde_json::{Value, json};

use crate::{Api, Setup, admin_and_root, host_configured};

/// Invokes `slow` for `ms` milliseconds; returns the status, Retry-After and body.
async fn invoke_slow(
    api: &Api,
    token: &str,
    installation: &str,
    ms: u64,
) -> (u16, Option<String>, Value) {
    let request = api
        .http
        .post(format!(
            "{}/v1/installations/{installation}/actions/slow/invoke",
            api.base
        ))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(json!({"input": {"ms": ms.to_string()}}).to_string());
    let answer = api.send(request).await;
    let retry_after = answer
        .headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    (answer.status, retry_after, answer.value)
}

#[tokio::test(flavor = "multi_thread")]
async fn one_organization_cannot_take_the_whole_pool() {
    let upstream = TestApi::start(AuthCheck::header("X-Api-Key", "k-share"))
        .await
        .expect("upstream");
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("plugboard.db").display());
    let shares = plugboard_runtime::Shares {
        per_organization: 2,
        per_installation: 2,
        wait: Duration::from_millis(200),
    };
    let (api, store) = host_configured(
        &url,
        Setup {
            shares: Some(shares),
            ..Setup::default()
        },
    )
    .await;
    let (admin, root) = admin_and_root(&api, &store).await;
    let integration = api
        .finalized(
            &admin,
            &root,
            json!({"definition_version": 1, "name": "Slow", "description": "Takes its time",
                "hostname": upstream.host(), "scheme": "http",
                "auth": {"type": "api_key", "api_key_header_name": "X-Api-Key"},
                "actions": [{"id": "slow", "name": "Slow", "method": "GET", "path": "/slow",
                    "parameters": [{"name": "ms", "in": "query"}]}]}),
        )
        .await;
    let mut installations = Vec::new();
    for name in ["Busy Customer", "Quiet Customer"] {
        let (status, org) = api
            .json("POST", "/v1/organizations", &admin, json!({"name": name}))
            .await;
        assert_eq!(status, 201, "{org}");
        let (status, installation) = api
            .json(
                "POST",
                &format!(
                    "/v1/organizations/{}/installations",
                    org["id"].as_str().expect("id")
                ),
                &admin,
                json!({"integration_id": integration, "credentials": {"api_key": "k-share"}}),
            )
            .await;
        assert_eq!(status, 201, "{installation}");
        installations.push(installation["id"].as_str().expect("id").to_string());
    }
    let (busy, quiet) = (&installations[0], &installations[1]);
    // Warm the component so the slow calls below hold their slots for the upstream's time only.
    let (status, _, body) = invoke_slow(&api, &admin, quiet, 0).await;
    assert_eq!(status, 200, "{body}");

    // The busy organization fills its share with two slow calls...
    let slow = |installation: String| {
        let (api, admin) = (&api, &admin);
        async move { invoke_slow(api, admin, &installation, 3_000).await }
    };
    let (first, second, refused, quiet_call) = tokio::join!(
        slow(busy.clone()),
        slow(busy.clone()),
        async {
            tokio::time::sleep(Duration::from_millis(800)).await;
            invoke_slow(&api, &admin, busy, 0).await
        },
        async {
            tokio::time::sleep(Duration::from_millis(800)).await;
            invoke_slow(&api, &admin, quiet, 0).await
        },
    );
    // ...so its third call is refused, saying why and when to try again,
    let (status, retry_after, problem) = refused;
    assert_eq!(status, 429, "{problem}");
    assert_eq!(
        problem["type"].as_str().map(|t| t.ends_with("busy")),
        Some(true),
        "{problem}"
    );
    assert!(
        problem["detail"].as_str().unwrap_or("").contains("share"),
        "{problem}"
    );
    assert_eq!(retry_after.as_deref(), Some("1"));
    // ...while the other organization's call ran (it waited for no one).
    let (status, _, body) = quiet_call;
    assert_eq!(status, 200, "{body}");
    for (status, _, body) in [first, second] {
        assert_eq!(status, 200, "{body}");
    }
    // Its slots came back when the slow calls ended.
    let (status, _, body) = invoke_slow(&api, &admin, busy, 0).await;
    assert_eq!(status, 200, "{body}");
}
