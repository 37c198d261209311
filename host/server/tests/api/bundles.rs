//! Third-party bundles: a trusted signature to get in, and the reviewed manifest pinned for
//! every later run.

use plugboard_runtime::{Runtime, RuntimeConfig};
use plugboard_server::BundleTrust;
use plugboard_tests::api::{AuthCheck, TestApi};
use serde_json::{Value, json};

use crate::{Api, admin_and_root, host_with};

/// Uploads a bundle to organization `org`; returns the status and the body.
async fn upload(api: &Api, admin: &str, org: &str, bytes: Vec<u8>) -> (u16, Value) {
    let request = api
        .http
        .post(format!(
            "{}/v1/organizations/{org}/integrations/bundle",
            api.base
        ))
        .header("authorization", format!("Bearer {admin}"))
        .body(bytes);
    let answer = api.send(request).await;
    (answer.status, answer.value)
}

#[tokio::test(flavor = "multi_thread")]
async fn third_party_bundles_need_a_trusted_signature() {
    let upstream = TestApi::start(AuthCheck::header("X-Api-Key", "k-3p"))
        .await
        .expect("upstream");
    let (private, public) = plugboard_bundle::sign::generate_key().expect("key");
    let (stranger, _) = plugboard_bundle::sign::generate_key().expect("key");
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("plugboard.db").display());
    let (api, store) = host_with(
        &url,
        BundleTrust {
            keys: vec![public],
            allow_untrusted: false,
        },
    )
    .await;
    let (admin, root) = admin_and_root(&api, &store).await;
    let definition = plugboard_definition::Definition::from_json(
        &json!({"definition_version": 1, "name": "Third Party", "description": "Made elsewhere",
            "hostname": upstream.host(), "scheme": "http",
            "auth": {"type": "api_key", "api_key_header_name": "X-Api-Key"},
            "actions": [{"id": "get", "name": "Get", "method": "GET", "path": "/page/items"}]})
        .to_string(),
    )
    .expect("definition");
    let component = plugboard_bundle::finalize(&definition)
        .expect("finalize")
        .component;
    let upload = |bytes: Vec<u8>| upload(&api, &admin, &root, bytes);
    let (status, problem) = upload(component.clone()).await;
    assert_eq!(status, 403, "unsigned: {problem}");
    let by_stranger = plugboard_bundle::sign::sign(&component, &stranger).expect("sign");
    let (status, problem) = upload(by_stranger).await;
    assert_eq!(status, 403, "untrusted: {problem}");
    let signed = plugboard_bundle::sign::sign(&component, &private).expect("sign");
    let mut tampered = signed.clone();
    let last = tampered.len() - 200;
    tampered[last] ^= 0x55;
    let (status, _) = upload(tampered).await;
    assert!(
        status == 422 || status == 403,
        "a tampered bundle is refused ({status})"
    );
    let (status, uploaded) = upload(signed).await;
    assert_eq!(status, 201, "{uploaded}");
    let integration = uploaded["integration"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    assert_eq!(uploaded["integration"]["status"], "published");
    assert!(uploaded["integration"]["definition"]["signer"].is_string());
    // Installed and invoked like one finalized here; not editable as a definition.
    let (status, installation) = api
        .json(
            "POST",
            &format!("/v1/organizations/{root}/installations"),
            &admin,
            json!({"integration_id": integration, "credentials": {"api_key": "k-3p"}}),
        )
        .await;
    assert_eq!(status, 201, "{installation}");
    let (status, result) = api
        .json(
            "POST",
            &format!(
                "/v1/installations/{}/actions/get/invoke",
                installation["id"].as_str().expect("id")
            ),
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{result}");
    assert_eq!(result["output"]["items"].as_array().map(Vec::len), Some(10));
    // Installed without its key: the API names the missing request field, not a CLI flag.
    let (status, keyless) = api
        .json(
            "POST",
            &format!("/v1/organizations/{root}/installations"),
            &admin,
            json!({"integration_id": integration}),
        )
        .await;
    assert_eq!(status, 201, "{keyless}");
    let (status, problem) = api
        .json(
            "POST",
            &format!(
                "/v1/installations/{}/actions/get/invoke",
                keyless["id"].as_str().expect("id")
            ),
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(
        problem["fields"],
        json!(["credentials.api_key"]),
        "{problem}"
    );
    assert!(!problem.to_string().contains("--credential"), "{problem}");
    let (status, _) = api
        .json(
            "POST",
            &format!("/v1/integrations/{integration}/finalize"),
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(status, 409);
}

/// Invokes an action of an installation with an empty input.
async fn invoke(api: &Api, token: &str, installation: &str, action: &str) -> (u16, Value) {
    let path = format!("/v1/installations/{installation}/actions/{action}/invoke");
    api.json("POST", &path, token, json!({"input": {}})).await
}

/// The hostile component's description is a time bomb: before 2020 it names `allowed.invalid`,
/// after it `elsewhere.invalid`. Built (under the build step's fixed clock), signed and uploaded,
/// the reviewed manifest is the first; it is what runs, before and after a restart, and what the
/// API shows. The installation's key never reaches the other host. A stored bundle edited behind
/// the platform's back no longer matches what was reviewed and is refused.
#[tokio::test(flavor = "multi_thread")]
async fn an_uploaded_bundle_runs_only_as_reviewed_even_after_a_restart() {
    plugboard_runtime::install_crypto_provider();
    let builder = Runtime::new(RuntimeConfig::default()).expect("runtime");
    let component =
        std::fs::read(plugboard_tests::components::HOSTILE_WASM).expect("hostile component");
    let manifest = builder.describe(&component).await.expect("describe");
    let recorded = plugboard_bundle::embed_manifest(&component, &manifest).expect("record");
    let (private, public) = plugboard_bundle::sign::generate_key().expect("key");
    let signed = plugboard_bundle::sign::sign(&recorded, &private).expect("sign");
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("plugboard.db");
    let url = format!("sqlite://{}", db.display());
    let trust = || BundleTrust {
        keys: vec![public.clone()],
        allow_untrusted: false,
    };
    let (api, store) = host_with(&url, trust()).await;
    let (admin, root) = admin_and_root(&api, &store).await;
    let (status, uploaded) = upload(&api, &admin, &root, signed.clone()).await;
    assert_eq!(status, 201, "{uploaded}");
    let integration = uploaded["integration"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let (status, installation) = api
        .json(
            "POST",
            &format!("/v1/organizations/{root}/installations"),
            &admin,
            json!({"integration_id": integration, "credentials": {"api_key": "k-customer"}}),
        )
        .await;
    assert_eq!(status, 201, "{installation}");
    let installation = installation["id"].as_str().expect("id").to_string();

    for restart in [false, true] {
        let host = if restart {
            host_with(&url, trust()).await.0
        } else {
            Api {
                base: api.base.clone(),
                http: reqwest::Client::new(),
                lifecycle: api.lifecycle.clone(),
            }
        };
        let (status, shown) = host
            .get(&format!("/v1/integrations/{integration}"), &admin)
            .await;
        assert_eq!(status, 200, "{shown}");
        assert_eq!(
            shown["definition"]["manifest"]["header"]["hostname"], "allowed.invalid",
            "{shown}"
        );
        let (status, problem) = invoke(&host, &admin, &installation, "timebomb").await;
        assert_eq!(status, 502, "{problem}");
        let detail = problem["detail"].as_str().unwrap_or_default();
        assert!(
            detail.contains("denied") && detail.contains("elsewhere.invalid"),
            "restart {restart}: {detail}"
        );
        assert!(!problem.to_string().contains("k-customer"), "{problem}");
        let (status, echoed) = invoke(&host, &admin, &installation, "echo").await;
        assert_eq!(status, 200, "{echoed}");
    }

    // The stored bytes edited in the database (another host name, same length): refused at
    // the next load, although the edited section is a well-formed manifest.
    let edited =
        plugboard_tests::components::replace_last(&signed, b"allowed.invalid", b"evilxyz.invalid");
    let pool = sqlx::SqlitePool::connect(&url).await.expect("database");
    let changed = sqlx::query("UPDATE bundles SET component = ?1")
        .bind(&edited)
        .execute(&pool)
        .await
        .expect("edit the stored bundle");
    assert_eq!(changed.rows_affected(), 1);
    pool.close().await;
    let (restarted, _) = host_with(&url, trust()).await;
    let (status, problem) = invoke(&restarted, &admin, &installation, "echo").await;
    assert_eq!(status, 409, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("no longer carries the manifest reviewed")),
        "{problem}"
    );
}
