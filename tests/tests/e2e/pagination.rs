//! Every pagination style against the same 23-item data set, and the guards that stop servers
//! that never end.

use plugboard_runtime::{Error, Failure};
use plugboard_tests::api::{AuthCheck, FOREIGN_BASE, STUCK_CURSOR, TestApi, all_items};
use serde_json::{Value, json};

use crate::support::{
    API_KEY, api_key_auth, api_key_header_value, definition, list_action, load, runtime,
    with_credentials,
};

/// Walks `path` with `pagination`; returns the output and the API (for its request log).
async fn walk(path: &str, pagination: Value) -> (Result<Value, Error>, TestApi) {
    let api = TestApi::start(AuthCheck::header("X-Api-Key", api_key_header_value()))
        .await
        .expect("api");
    let runtime = runtime();
    let bundle = load(
        &runtime,
        &definition(&api, api_key_auth(), pagination, list_action(path)),
    )
    .await;
    let output = runtime
        .invoke(
            &bundle,
            "list",
            "{}",
            &with_credentials(&[("api_key", API_KEY)]),
        )
        .await;
    (output, api)
}

/// Asserts the output holds every item in order, from `pages` pages, not truncated.
fn assert_complete(output: &Value, pages: u64) {
    assert_eq!(
        output["results"],
        Value::Array(all_items()),
        "items in order: {output}"
    );
    assert_eq!(output["pages"], pages, "{output}");
    assert_eq!(output["truncated"], Value::Null, "{output}");
}

#[tokio::test(flavor = "multi_thread")]
async fn index_pagination_walks_every_item() {
    let (output, api) = walk(
        "/index/items",
        json!({"type": "index", "index_param": "offset", "page_size_param": "limit",
               "results_key": "data.items", "default_page_size": 5, "default_page_limit": 20}),
    )
    .await;
    assert_complete(&output.expect("invoke"), 5);
    assert_eq!(api.hits("/index/items"), 5);
    let last = api.last_request("/index/items").expect("request");
    assert_eq!(last.query.as_deref(), Some("limit=5&offset=20"));
}

#[tokio::test(flavor = "multi_thread")]
async fn page_pagination_walks_every_item() {
    let (output, api) = walk(
        "/page/items",
        json!({"type": "page", "page_param": "page", "page_size_param": "per_page",
               "results_key": "items", "default_page_size": 5, "default_page_limit": 20}),
    )
    .await;
    assert_complete(&output.expect("invoke"), 5);
    assert_eq!(api.hits("/page/items"), 5);
}

#[tokio::test(flavor = "multi_thread")]
async fn link_header_pagination_follows_rel_next() {
    let (output, api) = walk(
        "/link-header/items",
        json!({"type": "link", "next_link_location": "header", "page_size_param": "per_page",
               "default_page_size": 5, "default_page_limit": 20}),
    )
    .await;
    assert_complete(&output.expect("invoke"), 5);
    assert_eq!(api.hits("/link-header/items"), 5);
}

#[tokio::test(flavor = "multi_thread")]
async fn link_header_with_custom_name_rel_and_relative_links() {
    let (output, _api) = walk(
        "/link-header-custom/items",
        json!({"type": "link", "next_link_location": "header", "response_header_name": "X-Next-Page",
               "response_header_rel": "forward", "page_size_param": "per_page",
               "default_page_size": 4, "default_page_limit": 20}),
    )
    .await;
    assert_complete(&output.expect("invoke"), 6);
}

#[tokio::test(flavor = "multi_thread")]
async fn link_body_pagination_with_absolute_links() {
    let (output, _api) = walk(
        "/link-body/items",
        json!({"type": "link", "next_link_location": "body", "next_page_key": "links.next",
               "results_key": "results", "page_size_param": "per_page",
               "default_page_size": 5, "default_page_limit": 20}),
    )
    .await;
    assert_complete(&output.expect("invoke"), 5);
}

#[tokio::test(flavor = "multi_thread")]
async fn link_body_pagination_with_relative_links() {
    let (output, api) = walk(
        "/link-body-relative/items",
        json!({"type": "link", "next_link_location": "body", "next_page_key": "links.next",
               "results_key": "results", "page_size_param": "per_page",
               "default_page_size": 5, "default_page_limit": 20}),
    )
    .await;
    assert_complete(&output.expect("invoke"), 5);
    assert_eq!(api.hits("/link-body-relative/items"), 5);
}

#[tokio::test(flavor = "multi_thread")]
async fn pointer_pagination_sends_the_cursor_back() {
    let (output, api) = walk(
        "/cursor/items",
        json!({"type": "pointer", "pointer_jsonpath": "$.meta.next_cursor", "after_param": "after",
               "results_key": "items", "page_size_param": "limit",
               "default_page_size": 5, "default_page_limit": 20}),
    )
    .await;
    assert_complete(&output.expect("invoke"), 5);
    // Opaque base64 cursors need percent-encoding on the way back; the server decoded them.
    assert!(
        api.requests("/cursor/items")
            .iter()
            .skip(1)
            .all(|r| r.query.as_deref().is_some_and(|q| q.contains("after=")))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_repeated_cursor_stops_with_a_reason() {
    let (output, api) = walk(
        "/cursor-loop/items",
        json!({"type": "pointer", "pointer_jsonpath": "$.meta.next_cursor", "after_param": "after",
               "results_key": "items", "page_size_param": "limit",
               "default_page_size": 5, "default_page_limit": 20}),
    )
    .await;
    let output = output.expect("invoke");
    let reason = output["truncated"].as_str().expect("truncated");
    assert!(
        reason.contains(&format!("cursor `{STUCK_CURSOR}`")),
        "{reason}"
    );
    assert_eq!(api.hits("/cursor-loop/items"), 2);
    assert_eq!(output["results"].as_array().map(Vec::len), Some(10));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_full_page_forever_stops_without_duplicates() {
    let (output, api) = walk(
        "/same-page/items",
        json!({"type": "page", "page_param": "page", "page_size_param": "per_page",
               "results_key": "items", "default_page_size": 5, "default_page_limit": 20}),
    )
    .await;
    let output = output.expect("invoke");
    let reason = output["truncated"].as_str().expect("truncated");
    assert!(reason.contains("no progress"), "{reason}");
    assert_eq!(output["results"], json!(all_items()[..5]));
    assert_eq!(api.hits("/same-page/items"), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_next_link_to_another_host_is_refused() {
    let (output, _api) = walk(
        "/link-foreign/items",
        json!({"type": "link", "next_link_location": "body", "next_page_key": "links.next",
               "results_key": "results", "page_size_param": "per_page",
               "default_page_size": 5, "default_page_limit": 20}),
    )
    .await;
    let output = output.expect("invoke");
    let reason = output["truncated"].as_str().expect("truncated");
    assert!(
        reason.contains("another origin") && reason.contains(FOREIGN_BASE),
        "{reason}"
    );
    assert_eq!(output["results"], json!(all_items()[..5]));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_page_limit_truncates_and_says_so() {
    let (output, api) = walk(
        "/page/items",
        json!({"type": "page", "page_param": "page", "page_size_param": "per_page",
               "results_key": "items", "default_page_size": 2, "default_page_limit": 3}),
    )
    .await;
    let output = output.expect("invoke");
    assert_eq!(output["results"], json!(all_items()[..6]));
    assert_eq!(output["pages"], 3);
    assert!(
        output["truncated"]
            .as_str()
            .is_some_and(|r| r.contains("page limit")),
        "{output}"
    );
    assert_eq!(api.hits("/page/items"), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_results_key_that_is_not_an_array_is_a_clear_error() {
    let (output, _api) = walk(
        "/index/items",
        json!({"type": "index", "index_param": "offset", "results_key": "data",
               "default_page_size": 5, "default_page_limit": 20}),
    )
    .await;
    match output {
        Err(Error::Guest(Failure::Internal { message })) => {
            assert!(
                message.contains("`data`") && message.contains("not an array"),
                "{message}"
            );
        }
        other => panic!("expected a results-key error, got {other:?}"),
    }
}

/// An action with its own pagination (another style than the integration's) walks with it,
/// while the others use the integration's.
#[tokio::test(flavor = "multi_thread")]
async fn an_action_with_its_own_pagination_walks_in_its_style() {
    let api = TestApi::start(AuthCheck::header("X-Api-Key", api_key_header_value()))
        .await
        .expect("api");
    let pages = json!({"type": "page", "page_param": "page", "page_size_param": "per_page",
        "results_key": "items", "default_page_size": 5, "default_page_limit": 20});
    let actions = json!([
        {"id": "list", "name": "List", "method": "GET", "path": "/page/items", "paginated": true},
        {"id": "cursor", "name": "Cursor", "method": "GET", "path": "/cursor/items", "paginated": true,
         "pagination": {"type": "pointer", "pointer_jsonpath": "$.meta.next_cursor", "after_param": "after",
            "results_key": "items", "page_size_param": "limit", "default_page_size": 8, "default_page_limit": 20}}
    ]);
    let runtime = runtime();
    let bundle = load(&runtime, &definition(&api, api_key_auth(), pages, actions)).await;
    let credentials = with_credentials(&[("api_key", API_KEY)]);
    let list = runtime
        .invoke(&bundle, "list", "{}", &credentials)
        .await
        .expect("list");
    assert_complete(&list, 5);
    let cursor = runtime
        .invoke(&bundle, "cursor", "{}", &credentials)
        .await
        .expect("cursor");
    assert_complete(&cursor, 3);
    assert_eq!(api.hits("/cursor/items"), 3);
}

/// A results key that is not in the pages gives an empty list with a warning that names the
/// keys the page has (a wrong setting, not an empty API).
#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_results_key_is_a_warning() {
    let (output, _api) = walk(
        "/page/items",
        json!({"type": "page", "page_param": "page", "page_size_param": "per_page",
               "results_key": "data.items", "default_page_size": 5, "default_page_limit": 20}),
    )
    .await;
    let output = output.expect("invoke");
    assert_eq!(output["results"], json!([]));
    let warnings = output["warnings"].to_string();
    assert!(
        warnings.contains("results key 'data.items' not found in page 1; top-level keys: items"),
        "{output}"
    );
}
