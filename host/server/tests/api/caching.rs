//! The request path's cached reads stay exact across nodes: two hosts over one database (two
//! servers on one PostgreSQL; on SQLite, a second process's store on the same file, as the CLI
//! would be), calls warmed on host B, changes made on host A, and the very next call on B sees
//! each change: a rotated credential, a demoted user, a revoked token. And the cache does its
//! job: once warm, a call reads nothing but the generation counter from the database.

use plugboard_tests::api::{AuthCheck, TestApi};
use serde_json::json;

use super::{host, start};

async fn two_hosts_see_every_change_at_once(url: &str) {
    let upstream = TestApi::start(AuthCheck::header("X-Api-Key", "k-1"))
        .await
        .expect("upstream");
    let (a, admin, _) = start(url).await;
    let (b, b_store) = host(url).await;
    let (_, me) = a.get("/v1/me", &admin).await;
    let root = me["user"]["organization_id"]
        .as_str()
        .expect("org")
        .to_string();
    let definition = json!({
        "definition_version": 1, "name": "Items", "description": "API key",
        "hostname": upstream.host(), "scheme": "http",
        "auth": {"type": "api_key", "api_key_header_name": "X-Api-Key"},
        "actions": [{"id": "get", "name": "Get", "method": "GET", "path": "/page/items"}]
    });
    let integration = a.finalized(&admin, &root, definition).await;
    let (status, installation) = a
        .json(
            "POST",
            &format!("/v1/organizations/{root}/installations"),
            &admin,
            json!({"integration_id": integration, "credentials": {"api_key": "k-1"}}),
        )
        .await;
    assert_eq!(status, 201, "{installation}");
    let installation = installation["id"].as_str().expect("id").to_string();
    let invoke = format!("/v1/installations/{installation}/actions/get/invoke");
    let (status, editor) = a
        .json(
            "POST",
            &format!("/v1/organizations/{root}/users"),
            &admin,
            json!({"name": "ed", "role": "editor"}),
        )
        .await;
    assert_eq!(status, 201, "{editor}");
    let editor_token = editor["token"].as_str().expect("token").to_string();
    let editor_id = editor["user"]["id"].as_str().expect("id").to_string();

    // Warm host B: the token, the installation, the version and the configuration are cached;
    // further calls read only the counter.
    for _ in 0..3 {
        let (status, answer) = b.json("POST", &invoke, &editor_token, json!({})).await;
        assert_eq!(status, 200, "{answer}");
    }
    let (hits_before, misses_before) = b_store.cache_stats();
    for _ in 0..10 {
        let (status, answer) = b.json("POST", &invoke, &editor_token, json!({})).await;
        assert_eq!(status, 200, "{answer}");
    }
    let (hits, misses) = b_store.cache_stats();
    assert_eq!(misses, misses_before, "a warm call read the database");
    assert!(hits >= hits_before + 40, "{hits_before} -> {hits} hits");

    // Credentials replaced on A: B's very next call sends the new ones (the upstream refuses
    // them), and the old ones again once they are put back.
    let configure = format!("/v1/installations/{installation}/configurations/default");
    let (status, answer) = a
        .json(
            "PUT",
            &configure,
            &admin,
            json!({"credentials": {"api_key": "k-rotated"}, "default": true}),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    let (status, answer) = b.json("POST", &invoke, &editor_token, json!({})).await;
    assert_eq!(status, 502, "B still used the old credentials: {answer}");
    assert_eq!(
        upstream
            .last_request("/page/items")
            .expect("a request")
            .header("x-api-key"),
        Some("k-rotated")
    );
    let (status, answer) = a
        .json(
            "PUT",
            &configure,
            &admin,
            json!({"credentials": {"api_key": "k-1"}, "default": true}),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    let (status, answer) = b.json("POST", &invoke, &editor_token, json!({})).await;
    assert_eq!(status, 200, "{answer}");

    // The editor demoted to viewer on A: B refuses the next call.
    let (status, answer) = a
        .json(
            "PATCH",
            &format!("/v1/users/{editor_id}"),
            &admin,
            json!({"role": "viewer"}),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    let (status, answer) = b.json("POST", &invoke, &editor_token, json!({})).await;
    assert_eq!(status, 403, "B still saw an editor: {answer}");

    // The token revoked on A: B refuses it at once.
    let (_, tokens) = a
        .get(&format!("/v1/users/{editor_id}/tokens"), &admin)
        .await;
    let token_id = tokens["tokens"][0]["id"].as_str().expect("token id");
    let (status, _, _) = a
        .call(
            "DELETE",
            &format!("/v1/users/{editor_id}/tokens/{token_id}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (status, answer) = b.get("/v1/me", &editor_token).await;
    assert_eq!(status, 401, "B still took the revoked token: {answer}");
    let (status, answer) = b.json("POST", &invoke, &editor_token, json!({})).await;
    assert_eq!(status, 401, "{answer}");

    // Every call is in the audit log, read on either host (reading writes what is queued).
    let (status, log) = a
        .get(
            &format!("/v1/organizations/{root}/audit?action=invoke&limit=100"),
            &admin,
        )
        .await;
    assert_eq!(status, 200, "{log}");
    assert_eq!(
        log["entries"].as_array().map(Vec::len),
        Some(15),
        "three warm-up calls, ten cached ones, two after the credential changes: {log}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn two_hosts_on_postgres_see_every_change_at_once() {
    let server = plugboard_tests::postgres::Postgres::start();
    two_hosts_see_every_change_at_once(server.url()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_process_on_the_same_sqlite_file_sees_every_change_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("shared.db").display());
    two_hosts_see_every_change_at_once(&url).await;
}
