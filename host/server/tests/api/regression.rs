//! The regression check: a call recorded on version 1 (`"record": true`) is replayed on each
//! new version with no network; an output that changes breaks installations and is refused, an
//! unchanged one passes and its recording carries over.

use plugboard_tests::api::{AuthCheck, TestApi};
use serde_json::{Value, json};

use super::start;

fn definition(host: &str, description: &str, results_key: &str) -> Value {
    json!({
        "definition_version": 1, "name": "Items", "description": description,
        "hostname": host, "scheme": "http",
        "auth": {"type": "api_key", "api_key_header_name": "X-Api-Key"},
        "pagination": {"type": "page", "page_param": "page", "page_size_param": "per_page",
            "results_key": results_key, "default_page_size": 10, "default_page_limit": 3},
        "actions": [{"id": "list", "name": "List", "method": "GET", "path": "/page/items",
            "paginated": true}]
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn a_recorded_call_is_replayed_on_the_next_version() {
    let upstream = TestApi::start(AuthCheck::header("X-Api-Key", "k-recorded"))
        .await
        .expect("upstream");
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("plugboard.db").display());
    let (api, admin, _store) = start(&url).await;
    let (_, me) = api.get("/v1/me", &admin).await;
    let root = me["user"]["organization_id"]
        .as_str()
        .expect("org")
        .to_string();
    let id = api
        .finalized(&admin, &root, definition(&upstream.host(), "v1", "items"))
        .await;
    let (_, installation) = api
        .json(
            "POST",
            &format!("/v1/organizations/{root}/installations"),
            &admin,
            json!({"integration_id": id, "credentials": {"api_key": "k-recorded"}}),
        )
        .await;
    let invoke = format!(
        "/v1/installations/{}/actions/list/invoke",
        installation["id"].as_str().expect("id")
    );
    let (status, recorded) = api
        .json("POST", &invoke, &admin, json!({"record": true}))
        .await;
    assert_eq!(status, 200, "{recorded}");
    assert!(recorded["recording_id"].is_string());
    let (_, recordings) = api
        .get(
            &format!("/v1/integrations/{id}/versions/1/recordings"),
            &admin,
        )
        .await;
    assert_eq!(
        recordings["recordings"][0]["exchanges"]
            .as_array()
            .map(Vec::len),
        Some(3)
    );
    assert!(
        !recordings.to_string().contains("k-recorded"),
        "no credential in recordings"
    );
    let sent = upstream.requests("/page").len();

    // A results key that finds nothing changes the output: refused while installed.
    let finalize = format!("/v1/integrations/{id}/finalize");
    let (status, problem) = api
        .json(
            "POST",
            &finalize,
            &admin,
            json!({"definition": definition(&upstream.host(), "v2", "data")}),
        )
        .await;
    assert_eq!(status, 409, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or("")
            .contains("recorded call"),
        "{problem}"
    );
    // An unchanged output passes; the report says so and the recording carries over.
    let (status, finalized) = api
        .json(
            "POST",
            &finalize,
            &admin,
            json!({"definition": definition(&upstream.host(), "v2: a new description", "items")}),
        )
        .await;
    assert_eq!(status, 201, "{finalized}");
    let report = &finalized["version"]["change_report"];
    assert_eq!(report["regressions"][0]["outcome"], "same", "{report}");
    let (_, carried) = api
        .get(
            &format!("/v1/integrations/{id}/versions/2/recordings"),
            &admin,
        )
        .await;
    assert_eq!(carried["recordings"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        upstream.requests("/page").len(),
        sent,
        "replays send nothing"
    );
}
