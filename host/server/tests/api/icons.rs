//! Every icon the platform stores or serves went through its sanitizer, whichever route brought
//! it: here a finalize that carries a new definition.

use serde_json::json;

use crate::start;

#[tokio::test(flavor = "multi_thread")]
async fn a_finalize_with_a_new_definition_sanitizes_its_icon() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("plugboard.db").display());
    let (api, admin, _store) = start(&url).await;
    let (_, me) = api.get("/v1/me", &admin).await;
    let root = me["user"]["organization_id"]
        .as_str()
        .expect("org")
        .to_string();
    let definition = |icon: &str| {
        json!({"definition_version": 1, "name": "Icons", "description": "Pictures",
            "hostname": "api.example.com", "icon": icon,
            "actions": [{"id": "get", "name": "Get", "method": "GET", "path": "/x"}]})
    };
    let (status, created) = api
        .json(
            "POST",
            &format!("/v1/organizations/{root}/integrations"),
            &admin,
            definition(r#"<svg xmlns="http://www.w3.org/2000/svg"><circle r="1"/></svg>"#),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().expect("id").to_string();
    let hostile = concat!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">"#,
        r#"<a xlink:href="&#106;avascript:alert(document.cookie)"><circle r="3"/></a>"#,
        r#"<foreignObject><iframe xmlns="http://www.w3.org/1999/xhtml" src="https://evil.example"/></foreignObject>"#,
        r#"<image href="https://evil.example/track.png"/></svg>"#,
    );
    let (status, finalized) = api
        .json(
            "POST",
            &format!("/v1/integrations/{id}/finalize"),
            &admin,
            json!({"definition": definition(hostile)}),
        )
        .await;
    assert_eq!(status, 201, "{finalized}");
    let (_, shown) = api.get(&format!("/v1/integrations/{id}"), &admin).await;
    let (_, exported) = api
        .get(&format!("/v1/integrations/{id}/export"), &admin)
        .await;
    for served in [
        &shown["definition"]["icon"],
        &exported["definition"]["icon"],
    ] {
        let icon = served.as_str().expect("an icon");
        for gone in [
            "javascript",
            "iframe",
            "foreignObject",
            "evil",
            "<a",
            "image",
        ] {
            assert!(!icon.contains(gone), "{gone} in {icon}");
        }
        assert!(icon.contains(r#"<circle r="3"/>"#), "{icon}");
    }
}
