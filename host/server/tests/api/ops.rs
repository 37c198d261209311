//! Readiness and draining: `/readyz` answers 200 when serving and the database answers, 503
//! while draining, when new requests are refused with 503 too (liveness still answers).

use serde_json::json;

use super::start;

#[tokio::test(flavor = "multi_thread")]
async fn draining_refuses_new_requests_and_readiness_says_so() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("plugboard.db").display());
    let (api, admin, _store) = start(&url).await;
    let (status, ready, _) = api.call("GET", "/readyz", None, None).await;
    assert_eq!(status, 200);
    assert_eq!(
        ready,
        json!({"status": "ready", "database": "ok", "runtime": "ok"})
    );
    let (status, _) = api.get("/v1/me", &admin).await;
    assert_eq!(status, 200);

    api.lifecycle.start_draining();
    let (status, ready, _) = api.call("GET", "/readyz", None, None).await;
    assert_eq!(status, 503);
    assert_eq!(ready["status"], "draining");
    let (status, problem) = api.get("/v1/me", &admin).await;
    assert_eq!(status, 503, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("stopping"))
    );
    let (status, _, _) = api.call("GET", "/healthz", None, None).await;
    assert_eq!(status, 200);
}
