//! The probe and the dry run on the platform: a draft probed with inline credentials (never
//! stored) finds a wrong results key, `apply` fixes the draft, a second probe agrees; a dry-run
//! invoke shows the request and sends nothing.

use plugboard_tests::api::{AuthCheck, TestApi};
use serde_json::json;

use super::start;

const KEY: &str = "k-platform-probe-8812";

#[tokio::test(flavor = "multi_thread")]
async fn a_probe_fixes_a_draft_and_a_dry_run_sends_nothing() {
    let upstream = TestApi::start(AuthCheck::header("X-Api-Key", KEY))
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
    let definition = json!({
        "definition_version": 1, "name": "Linked", "description": "Links in the body",
        "hostname": upstream.host(), "scheme": "http",
        "auth": {"type": "api_key", "api_key_header_name": "X-Api-Key"},
        "pagination": {"type": "link", "next_link_location": "body", "next_page_key": "links.next",
            "page_size_param": "per_page", "results_key": "data",
            "default_page_size": 10, "default_page_limit": 5},
        "actions": [{"id": "list", "name": "List", "method": "GET", "path": "/link-body/items",
            "paginated": true}]
    });
    let (status, created) = api
        .json(
            "POST",
            &format!("/v1/organizations/{root}/integrations"),
            &admin,
            definition,
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().expect("id").to_string();
    let probe = format!("/v1/integrations/{id}/probe");
    let (status, report) = api
        .json(
            "POST",
            &probe,
            &admin,
            json!({"credentials": {"api_key": KEY}}),
        )
        .await;
    assert_eq!(status, 200, "{report}");
    assert!(
        !report.to_string().contains(KEY),
        "no credential in the report"
    );
    let list = &report["actions"][0];
    assert_eq!(list["results"]["verdict"], "failed");
    assert_eq!(list["suggestion"]["pagination"]["results_key"], "results");
    let (status, applied) = api
        .json(
            "POST",
            &probe,
            &admin,
            json!({"credentials": {"api_key": KEY}, "apply": true}),
        )
        .await;
    assert_eq!(status, 200, "{applied}");
    assert_eq!(applied["applied"].as_array().map(Vec::len), Some(1));
    let (_, draft) = api.get(&format!("/v1/integrations/{id}"), &admin).await;
    assert_eq!(draft["definition"]["pagination"]["results_key"], "results");
    let (_, again) = api
        .json(
            "POST",
            &probe,
            &admin,
            json!({"credentials": {"api_key": KEY}}),
        )
        .await;
    assert_eq!(again["actions"][0]["verdict"], "ok", "{again}");
    let (status, problem) = api.json("POST", &probe, &admin, json!({"pages": 9})).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["fields"], json!(["pages"]));

    // A dry run on an installation: the request shown, redacted; nothing sent.
    let (status, finalized) = api
        .json(
            "POST",
            &format!("/v1/integrations/{id}/finalize"),
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(status, 201, "{finalized}");
    let (_, installation) = api
        .json(
            "POST",
            &format!("/v1/organizations/{root}/installations"),
            &admin,
            json!({"integration_id": id, "credentials": {"api_key": KEY}}),
        )
        .await;
    let sent_before = upstream.requests("/link-body").len();
    let (status, dry) = api
        .json(
            "POST",
            &format!(
                "/v1/installations/{}/actions/list/invoke",
                installation["id"].as_str().expect("id")
            ),
            &admin,
            json!({"dry_run": true}),
        )
        .await;
    assert_eq!(status, 200, "{dry}");
    assert_eq!(dry["dry_run"], true);
    assert!(
        dry["requests"][0]["url"]
            .as_str()
            .unwrap_or("")
            .contains("/link-body/items")
    );
    assert!(!dry.to_string().contains(KEY));
    assert_eq!(
        upstream.requests("/link-body").len(),
        sent_before,
        "nothing sent"
    );
}
