//! `plugboard serve` killed with SIGKILL in the middle of finalize and install writes, then
//! restarted: nothing is half-written (every integration's current version has its row and its
//! bundle, every installation has a default configuration whose credentials open). And what a
//! platform with its default settings lets an integration reach.

mod common;

use std::time::Duration;

use common::{start_serve as start, start_serve_with};

use plugboard_store::{Sealer, Store};
use serde_json::{Value, json};

async fn call(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    method: &str,
    path: &str,
    body: Value,
) -> (u16, Value) {
    match http
        .request(method.parse().expect("method"), format!("{base}{path}"))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
    {
        Ok(response) => {
            let status = response.status().as_u16();
            let text = response.text().await.unwrap_or_default();
            (status, serde_json::from_str(&text).unwrap_or(Value::Null))
        }
        Err(_) => (0, Value::Null),
    }
}

/// Creates an integration in `org` from `definition` and finalizes it; returns its id.
async fn finalized(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    org: &str,
    definition: Value,
) -> String {
    let path = format!("/v1/organizations/{org}/integrations");
    let (status, integration) = call(http, base, token, "POST", &path, definition).await;
    assert_eq!(status, 201, "{integration}");
    let integration = integration["id"].as_str().expect("id").to_string();
    let path = format!("/v1/integrations/{integration}/finalize");
    let (status, finalized) = call(http, base, token, "POST", &path, json!({})).await;
    assert_eq!(status, 201, "{finalized}");
    integration
}

#[tokio::test(flavor = "multi_thread")]
async fn sigkill_during_writes_leaves_nothing_half_written() {
    plugboard_runtime::install_crypto_provider();
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let http = reqwest::Client::new();
    let mut server = start(&data);
    let lines = server.wait_serving();
    let admin = lines
        .iter()
        .find(|l| l.starts_with("pbt_"))
        .unwrap_or_else(|| panic!("no admin token in {lines:?}"))
        .clone();
    let (_, me) = call(&http, &server.base, &admin, "GET", "/v1/me", json!(null)).await;
    let root = me["user"]["organization_id"]
        .as_str()
        .expect("org")
        .to_string();
    let definition = json!({
        "definition_version": 1, "name": "Durable", "description": "Kill me",
        "hostname": "127.0.0.1:9", "scheme": "http",
        "actions": [{"id": "get", "name": "Get", "method": "GET", "path": "/x"}]
    });
    let integration = finalized(&http, &server.base, &admin, &root, definition.clone()).await;

    let (mut versions, mut installed) = (1, 0);
    for round in 0..3u64 {
        // Writers: new versions (each a new bundle) and installations, as fast as they go.
        let writers: Vec<_> = (0..4)
            .map(|w| {
                let (http, base, admin, root, integration, definition) = (
                    http.clone(), server.base.clone(), admin.clone(), root.clone(), integration.clone(), definition.clone(),
                );
                tokio::spawn(async move {
                    for i in 0.. {
                        let (status, _) = if w % 2 == 0 {
                            let mut next = definition.clone();
                            next["description"] = json!(format!("round {round}, writer {w}, version {i}"));
                            call(&http, &base, &admin, "POST", &format!("/v1/integrations/{integration}/finalize"), json!({"definition": next})).await
                        } else {
                            call(&http, &base, &admin, "POST", &format!("/v1/organizations/{root}/installations"),
                                json!({"integration_id": integration, "credentials": {"api_key": format!("k-{round}-{i}")}})).await
                        };
                        if status == 0 {
                            break; // the server is gone
                        }
                    }
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(300 + 170 * round)).await;
        server.child.kill().expect("SIGKILL");
        let _ = server.child.wait();
        for writer in writers {
            writer.await.expect("writer");
        }

        // Straight from the database: every reference resolves.
        let key = std::fs::read_to_string(data.join("secret.key")).expect("key file");
        let sealer = Sealer::from_base64(&key).expect("key");
        let url = format!("sqlite://{}", data.join("plugboard.db").display());
        let store = Store::open(&url)
            .await
            .expect("the database opens after SIGKILL");
        let all = plugboard_store::PageRequest {
            after: None,
            limit: plugboard_store::MAX_LIMIT,
        };
        let integrations = store.integrations(&root, &all).await.expect("integrations");
        for listed in &integrations.items {
            let found = store.integration(&listed.id).await.expect("integration");
            let version = found.current_version.expect("finalized");
            let (row, stored) = store
                .version(&found.id, version)
                .await
                .expect("current version row");
            assert_eq!(
                stored, found.definition,
                "the integration and its version agree"
            );
            store
                .bundle(&row.bundle_hash)
                .await
                .expect("the version's bundle");
        }
        let installations = store
            .installations(&root, &all)
            .await
            .expect("installations");
        for installation in &installations.items {
            let configuration = store
                .configuration(&installation.id, None, &sealer)
                .await
                .expect("a default configuration that opens");
            assert!(configuration.credentials["api_key"].starts_with("k-"));
        }
        // The kill came while writes went on: there are more of both than before.
        let latest = integrations.items[0].current_version.unwrap_or(0);
        assert!(
            latest > versions,
            "round {round}: no finalize landed ({latest})"
        );
        assert!(
            installations.items.len() > installed,
            "round {round}: no install landed"
        );
        (versions, installed) = (latest, installations.items.len());
        drop(store);

        // The server starts again on the same data and serves.
        server = start(&data);
        server.wait_serving();
        let (status, _) = call(
            &http,
            &server.base,
            &admin,
            "GET",
            &format!("/v1/integrations/{integration}"),
            json!(null),
        )
        .await;
        assert_eq!(status, 200);
    }
    server.child.kill().expect("stop");
    let _ = server.child.wait();
}

/// An editor's integration aimed at internal addresses (the platform itself, cloud metadata, a
/// private network) never reaches them with the platform's default settings: each call is
/// `denied`, naming the address class, and the platform's own routes are never served to it.
#[tokio::test(flavor = "multi_thread")]
async fn by_default_integrations_reach_no_internal_address() {
    plugboard_runtime::install_crypto_provider();
    let dir = tempfile::tempdir().expect("temp dir");
    let http = reqwest::Client::new();
    let server = start_serve_with(&dir.path().join("data"), &[]);
    let lines = server.wait_serving();
    let admin = lines
        .iter()
        .find(|l| l.starts_with("pbt_"))
        .unwrap_or_else(|| panic!("no admin token in {lines:?}"))
        .clone();
    let (_, me) = call(&http, &server.base, &admin, "GET", "/v1/me", json!(null)).await;
    let root = me["user"]["organization_id"]
        .as_str()
        .expect("org")
        .to_string();
    let port = server.base.rsplit(':').next().expect("port").to_string();
    for (hostname, class) in [
        (format!("127.0.0.1:{port}"), "a loopback address"),
        (format!("localhost:{port}"), "a loopback address"),
        (format!("0.0.0.0:{port}"), "an unspecified address"),
        ("169.254.169.254".to_string(), "a link-local address"),
        ("10.0.0.1".to_string(), "a private address"),
    ] {
        let definition = json!({
            "definition_version": 1, "name": "Inward", "description": "Looks inside",
            "hostname": hostname, "scheme": "http",
            "actions": [{"id": "spec", "name": "Spec", "method": "GET", "path": "/openapi.json"}]
        });
        let integration = finalized(&http, &server.base, &admin, &root, definition).await;
        let (status, installation) = call(
            &http,
            &server.base,
            &admin,
            "POST",
            &format!("/v1/organizations/{root}/installations"),
            json!({"integration_id": integration}),
        )
        .await;
        assert_eq!(status, 201, "{installation}");
        let installation = installation["id"].as_str().expect("id").to_string();
        let (status, problem) = call(
            &http,
            &server.base,
            &admin,
            "POST",
            &format!("/v1/installations/{installation}/actions/spec/invoke"),
            json!({}),
        )
        .await;
        let detail = problem["detail"].as_str().unwrap_or_default();
        assert!(
            status == 502 && detail.contains("denied") && detail.contains(class),
            "{hostname}: {status} {problem}"
        );
        assert!(!problem.to_string().contains("openapi"), "{problem}");
    }
}
