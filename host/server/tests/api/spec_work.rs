//! Spec work runs within the operator's limits: a body over the size limit and a document whose
//! work would need more than the memory budget are refused at once (413), and while the job
//! slots are taken (here by a client that sends its spec slowly) other spec work is answered
//! 503 with Retry-After, instead of every request taking memory at once.

use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::{Setup, admin_and_root, host_configured};

fn spec(junk: usize) -> String {
    json!({"openapi": "3.0.3",
        "info": {"title": "Junk", "version": "1", "description": "A spec with an extension."},
        "paths": {}, "x-junk": vec![0; junk]})
    .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn spec_work_runs_within_the_operators_limits() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("plugboard.db").display());
    let limits = plugboard_server::SpecLimits {
        max_body_bytes: 2 << 20,
        jobs: 1,
        memory_bytes: 64 << 20,
        wait: Duration::from_millis(300),
    };
    let (api, store) = host_configured(
        &url,
        Setup {
            spec_limits: limits,
            ..Setup::default()
        },
    )
    .await;
    let (admin, root) = admin_and_root(&api, &store).await;
    let (status, viewer) = api
        .json(
            "POST",
            &format!("/v1/organizations/{root}/users"),
            &admin,
            json!({"name": "viewer", "role": "viewer"}),
        )
        .await;
    assert_eq!(status, 201, "{viewer}");
    let viewer = viewer["token"].as_str().expect("token").to_string();
    let lint = |body: String| {
        let (api, viewer) = (&api, &viewer);
        async move { api.call("POST", "/v1/lint", Some(viewer), Some(body)).await }
    };

    let (status, report, _) = lint(spec(10)).await;
    assert_eq!(status, 200, "{report}");

    // Over the body limit.
    let (status, problem, _) = lint(spec(1_500_000)).await;
    assert_eq!(status, 413, "{problem}");
    assert!(
        problem["detail"].as_str().unwrap_or("").contains("2 MiB"),
        "{problem}"
    );
    // Under the body limit (600 kB), but 300,000 values would take more than the budget.
    let (status, problem, _) = lint(spec(300_000)).await;
    assert_eq!(status, 413, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or("")
            .contains("more than this server's spec-work budget of 64 MiB"),
        "{problem}"
    );

    // A client that sends its spec slowly holds the only job slot...
    let body = spec(10);
    let address = api.base.trim_start_matches("http://").to_string();
    let mut slow = tokio::net::TcpStream::connect(&address)
        .await
        .expect("connect");
    let head = format!(
        "POST /v1/lint HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {viewer}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    slow.write_all(head.as_bytes()).await.expect("write");
    slow.write_all(&body.as_bytes()[..10]).await.expect("write");
    // ...so other spec work waits its bounded time and is answered 503 (the slow client's head
    // may take a moment to reach the server: try a few times).
    let mut refused = None;
    for _ in 0..20 {
        let request = api
            .http
            .post(format!("{}/v1/lint", api.base))
            .header("authorization", format!("Bearer {viewer}"))
            .body(spec(10));
        let answer = api.send(request).await;
        if answer.status == 503 {
            refused = Some(answer);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let refused = refused.expect("spec work is answered 503 while the job slot is taken");
    assert_eq!(
        refused
            .headers
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("1")
    );
    let problem = refused.value;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or("")
            .contains("no spec job slot came free in time"),
        "{problem}"
    );
    // The slow client's work runs once its body is in.
    slow.write_all(&body.as_bytes()[10..]).await.expect("write");
    let mut response = String::new();
    slow.read_to_string(&mut response).await.expect("read");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    let (status, report, _) = lint(spec(10)).await;
    assert_eq!(status, 200, "the slot came back: {report}");
}
