//! Every list route answers pages (`limit`, `cursor`, `next_cursor`) and summaries, never
//! whole definitions.

use serde_json::{Value, json};

use crate::{Api, admin_and_root, host};

/// Every item of a list route, walked `limit` at a time; checks each page's size and that the
/// last one, only, has no `next_cursor`.
async fn walk(api: &Api, token: &str, path: &str, key: &str, limit: usize) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..100 {
        let query = match &cursor {
            Some(cursor) => format!("?limit={limit}&cursor={cursor}"),
            None => format!("?limit={limit}"),
        };
        let (status, page) = api.get(&format!("{path}{query}"), token).await;
        assert_eq!(status, 200, "{path}{query}: {page}");
        let got = page[key].as_array().expect("items");
        assert!(got.len() <= limit, "{path}{query}: {page}");
        items.extend(got.iter().cloned());
        match &page["next_cursor"] {
            Value::String(next) => {
                assert_eq!(got.len(), limit, "only a full page has a next page");
                cursor = Some(next.clone());
            }
            Value::Null => return items,
            other => panic!("next_cursor is {other}"),
        }
    }
    panic!("{path}: the cursors never ended");
}

fn ids(items: &[Value], key: &str) -> Vec<String> {
    items
        .iter()
        .map(|i| i[key].as_str().expect("id").to_string())
        .collect()
}

/// A valid definition of about `actions` × 500 bytes.
fn large_definition(name: &str, actions: usize) -> Value {
    let actions: Vec<Value> = (0..actions)
        .map(|i| {
            json!({"id": format!("action{i}"), "name": format!("Action {i}"), "method": "GET",
                "path": format!("/items/{i}"), "description": "x".repeat(400)})
        })
        .collect();
    json!({"definition_version": 1, "name": name, "description": format!("{name}, large"),
        "hostname": "api.example.com", "auth": {"type": "basic"},
        "icon": r#"<svg xmlns="http://www.w3.org/2000/svg"><circle r="1"/></svg>"#,
        "actions": actions})
}

#[tokio::test(flavor = "multi_thread")]
async fn every_list_pages_with_a_cursor() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("plugboard.db").display());
    let (api, store) = host(&url).await;
    let (admin, root) = admin_and_root(&api, &store).await;
    for name in ["E", "C", "A", "D", "B"] {
        let (status, created) = api
            .json("POST", "/v1/organizations", &admin, json!({"name": name}))
            .await;
        assert_eq!(status, 201, "{created}");
    }
    let (_, whole) = api.get("/v1/organizations", &admin).await;
    assert_eq!(whole["next_cursor"], Value::Null, "{whole}");
    let whole = ids(whole["organizations"].as_array().expect("list"), "id");
    assert_eq!(whole.len(), 6);
    for limit in [1, 2, 6] {
        let paged = walk(&api, &admin, "/v1/organizations", "organizations", limit).await;
        assert_eq!(ids(&paged, "id"), whole, "pages of {limit}");
    }

    // Integrations, what is installable, installations, tenant mappings and the audit log.
    let mut made = Vec::new();
    for i in 0..3 {
        let definition = json!({"definition_version": 1, "name": format!("Tool {i}"),
            "description": "A tool", "hostname": "api.example.com",
            "actions": [{"id": "get", "name": "Get", "method": "GET", "path": "/x"}]});
        made.push(api.finalized(&admin, &root, definition).await);
    }
    let path = format!("/v1/organizations/{root}/integrations");
    assert_eq!(
        ids(&walk(&api, &admin, &path, "integrations", 2).await, "id").len(),
        3
    );
    let path = format!("/v1/organizations/{root}/installable");
    let installable = walk(&api, &admin, &path, "integrations", 1).await;
    assert_eq!(
        installable
            .iter()
            .map(|i| i["name"].clone())
            .collect::<Vec<_>>(),
        [json!("Tool 0"), json!("Tool 1"), json!("Tool 2")],
        "by name"
    );
    let mut installations = Vec::new();
    for integration in &made {
        let (status, installed) = api
            .json(
                "POST",
                &format!("/v1/organizations/{root}/installations"),
                &admin,
                json!({"integration_id": integration}),
            )
            .await;
        assert_eq!(status, 201, "{installed}");
        installations.push(installed["id"].as_str().expect("id").to_string());
    }
    let path = format!("/v1/organizations/{root}/installations");
    let mut listed = ids(&walk(&api, &admin, &path, "installations", 2).await, "id");
    listed.sort();
    installations.sort();
    assert_eq!(listed, installations);
    let installation = &installations[0];
    for (tenant, org) in whole.iter().skip(1).enumerate() {
        let (status, mapped) = api
            .json(
                "PUT",
                &format!("/v1/installations/{installation}/tenants/t{tenant}"),
                &admin,
                json!({"organization_id": org, "tenant_name": format!("tenant {tenant}")}),
            )
            .await;
        assert_eq!(status, 200, "{mapped}");
    }
    let path = format!("/v1/installations/{installation}/tenants");
    let mappings = walk(&api, &admin, &path, "mappings", 2).await;
    assert_eq!(ids(&mappings, "tenant_id"), ["t0", "t1", "t2", "t3", "t4"]);
    let path = format!("/v1/organizations/{root}/audit");
    let (_, newest) = api.get(&path, &admin).await;
    let entries = walk(&api, &admin, &path, "entries", 4).await;
    assert_eq!(&Value::Array(entries.clone()), &newest["entries"]);
    assert!(entries.len() > 10, "{}", entries.len());

    // What a caller gets wrong is a problem naming the query parameter.
    let (_, first) = api.get(&format!("{path}?limit=1"), &admin).await;
    let audit_cursor = first["next_cursor"].as_str().expect("cursor").to_string();
    for (query, field) in [
        ("?limit=0", "limit"),
        ("?limit=1001", "limit"),
        ("?limit=ten", "limit"),
        ("?cursor=not-a-cursor", "cursor"),
        ("?cursor=bm90IGpzb24", "cursor"),
        ("?page=2", "page"),
        ("?limit=1&limit=2", "limit"),
    ] {
        let (status, problem, content_type) = api
            .call(
                "GET",
                &format!("/v1/organizations{query}"),
                Some(&admin),
                None,
            )
            .await;
        assert_eq!(status, 400, "{query}: {problem}");
        assert_eq!(content_type, "application/problem+json");
        assert_eq!(problem["fields"], json!([field]), "{query}: {problem}");
    }
    // Another list's cursor is not this list's.
    let (status, problem) = api
        .get(&format!("/v1/organizations?cursor={audit_cursor}"), &admin)
        .await;
    assert_eq!(status, 400, "{problem}");
    assert_eq!(problem["fields"], json!(["cursor"]));
}

#[tokio::test(flavor = "multi_thread")]
async fn lists_of_integrations_carry_summaries_not_definitions() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("plugboard.db").display());
    let (api, store) = host(&url).await;
    let (admin, root) = admin_and_root(&api, &store).await;
    let mut whole_bytes = 0;
    for name in ["Big one", "Big two"] {
        let id = api
            .finalized(&admin, &root, large_definition(name, 2500))
            .await;
        let (status, full, _) = api
            .call("GET", &format!("/v1/integrations/{id}"), Some(&admin), None)
            .await;
        assert_eq!(status, 200);
        whole_bytes += full.to_string().len();
    }
    assert!(whole_bytes > 2_000_000, "{whole_bytes}");
    for route in ["integrations", "installable"] {
        let request = api
            .http
            .get(format!("{}/v1/organizations/{root}/{route}", api.base))
            .header("authorization", format!("Bearer {admin}"));
        let answer = api.send(request).await;
        let (list, raw) = (answer.value, answer.text);
        assert_eq!(answer.status, 200, "{list}");
        println!(
            "{route}: {} bytes for two integrations whose definitions take {whole_bytes}",
            raw.len()
        );
        assert!(raw.len() < 2_000, "{route}: {} bytes: {list}", raw.len());
        let listed = &list["integrations"][0];
        assert!(listed.get("definition").is_none(), "{listed}");
        assert_eq!(listed["action_count"], 2500, "{listed}");
        assert_eq!(listed["auth_type"], "basic");
        assert_eq!(listed["has_icon"], true);
        assert_eq!(listed["current_version"], 1);
        assert!(
            listed["description"]
                .as_str()
                .is_some_and(|d| d.ends_with("large"))
        );
    }
}
