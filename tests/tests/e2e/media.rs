//! Bodies and responses that are not JSON, through the whole path (spec -> import -> component
//! -> host -> loopback API): form fields, multipart with a file part, binary bytes, text and
//! XML bodies; `Content-Type` and `Accept` header parameters with their defaults; text and
//! binary responses.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use plugboard_openapi::import;
use plugboard_runtime::InvokeOptions;
use plugboard_tests::api::{AuthCheck, PDF_BYTES, TestApi};
use serde_json::{Value, json};

use crate::support::{load, runtime};

fn body(media: &str, schema: Value) -> Value {
    json!({"required": true, "content": {media: {"schema": schema}}})
}

fn spec(host: &str) -> Value {
    let ok = json!({"200": {"description": "ok", "content": {"application/json": {}}}});
    json!({
        "openapi": "3.0.3",
        "info": {"title": "Media", "description": "Bodies of every kind", "version": "1"},
        "servers": [{"url": format!("http://{host}")}],
        "paths": {
            "/echo/form": {"post": {"operationId": "form", "responses": ok,
                "requestBody": body("application/x-www-form-urlencoded", json!({"type": "object",
                    "properties": {"name": {"type": "string"}, "tags": {"type": "array", "items": {"type": "string"}}}}))}},
            "/echo/upload": {"post": {"operationId": "upload", "responses": ok,
                "requestBody": body("multipart/form-data", json!({"type": "object",
                    "properties": {"title": {"type": "string"}, "file": {"type": "string", "format": "binary"}}}))}},
            "/echo/blob": {"put": {"operationId": "blob", "responses": ok,
                "requestBody": body("application/octet-stream", json!({"type": "string", "format": "binary"}))}},
            "/echo/note": {"post": {"operationId": "note", "responses": ok,
                "requestBody": body("text/plain", json!({"type": "string"}))}},
            "/echo/xml": {"post": {"operationId": "xml", "responses": ok,
                "requestBody": {"content": {
                    "application/xml": {"schema": {"type": "object"}},
                    "text/xml": {"schema": {"type": "object"}}}}}},
            "/echo/prefers-json": {"post": {"operationId": "prefersJson", "responses": ok,
                "requestBody": {"content": {
                    "application/xml": {"schema": {"type": "object"}},
                    "application/json": {"schema": {"type": "object"}}}}}},
            "/echo/checkout": {"get": {"operationId": "checkout", "responses": ok, "parameters": [
                {"name": "Content-Type", "in": "header", "required": true, "schema": {"type": "string", "default": "application/json"}},
                {"name": "Accept", "in": "header", "required": true, "schema": {"type": "string", "default": "application/vnd.vtex+json"}}
            ]}},
            "/text": {"get": {"operationId": "text", "responses": {"200": {"description": "ok",
                "content": {"text/plain": {"schema": {"type": "string"}}}}}}},
            "/pdf": {"get": {"operationId": "pdf", "responses": {"200": {"description": "ok",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}}}}
        }
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn non_json_bodies_header_parameters_and_responses() {
    let api = TestApi::start(AuthCheck::None).await.expect("api");
    let imported = import::import(&spec(&api.host()), &import::Options::default()).expect("import");
    let definition = imported.definition;
    let media = |id: &str| {
        definition
            .actions
            .iter()
            .find(|a| a.id == id)
            .and_then(|a| a.request_body.as_ref())
            .and_then(|b| b.media_type.clone())
    };
    assert_eq!(media("xml").as_deref(), Some("application/xml"));
    assert_eq!(media("prefersJson"), None, "JSON is chosen when offered");
    let runtime = runtime();
    let bundle = load(&runtime, &definition).await;
    let opts = InvokeOptions::default();
    let call = |action: &'static str, input: Value| {
        let runtime = &runtime;
        let bundle = &bundle;
        let opts = &opts;
        async move {
            runtime
                .invoke(bundle, action, &input.to_string(), opts)
                .await
                .unwrap_or_else(|e| panic!("{action}: {e}"))
        }
    };

    let form = call(
        "form",
        json!({"body": {"name": "Ada L", "tags": ["a", "b&c"]}}),
    )
    .await;
    assert_eq!(
        form["headers"]["content-type"],
        "application/x-www-form-urlencoded"
    );
    assert_eq!(form["body_text"], "name=Ada+L&tags=a&tags=b%26c");

    let file = b"\x89PNG\r\n\x1a\n\x00\xff";
    let upload = call(
        "upload",
        json!({"body": {"title": "Logo", "file": {"base64": STANDARD.encode(file), "filename": "logo.png", "content_type": "image/png"}}}),
    )
    .await;
    let content_type = upload["headers"]["content-type"]
        .as_str()
        .expect("content type");
    let boundary = content_type
        .strip_prefix("multipart/form-data; boundary=")
        .unwrap_or_else(|| panic!("{content_type}"));
    let sent = STANDARD
        .decode(upload["body_base64"].as_str().expect("base64"))
        .expect("base64");
    let mut expected = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nLogo\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"logo.png\"\r\nContent-Type: image/png\r\n\r\n"
    )
    .into_bytes();
    expected.extend_from_slice(file);
    expected.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    assert_eq!(sent, expected);

    let blob = call("blob", json!({"body": STANDARD.encode(file)})).await;
    assert_eq!(blob["method"], "PUT");
    assert_eq!(blob["headers"]["content-type"], "application/octet-stream");
    assert_eq!(blob["body_base64"], STANDARD.encode(file));

    let note = call("note", json!({"body": "line one\nline two"})).await;
    assert_eq!(note["headers"]["content-type"], "text/plain");
    assert_eq!(note["body_text"], "line one\nline two");

    let xml = call("xml", json!({"body": "<order id=\"1\"/>"})).await;
    assert_eq!(xml["headers"]["content-type"], "application/xml");
    assert_eq!(xml["body_text"], "<order id=\"1\"/>");

    let wrong = runtime
        .invoke(&bundle, "note", r#"{"body": {"not": "text"}}"#, &opts)
        .await
        .expect_err("a text body is a string");
    // The host checks the body against its schema before the component runs.
    assert!(
        matches!(&wrong, plugboard_runtime::Error::InvalidBody { field, .. } if field == "body"),
        "{wrong}"
    );

    let checkout = call("checkout", json!({})).await;
    assert_eq!(checkout["headers"]["content-type"], "application/json");
    assert_eq!(checkout["headers"]["accept"], "application/vnd.vtex+json");

    let text = call("text", json!({})).await;
    assert_eq!(text, "hello, plain text");
    let recorded = api.last_request("/text").expect("recorded");
    assert!(
        recorded
            .headers
            .contains(&("accept".to_string(), "text/plain".to_string())),
        "{:?}",
        recorded.headers
    );

    let pdf = call("pdf", json!({})).await;
    assert_eq!(pdf["content_type"], "application/pdf");
    assert_eq!(pdf["base64"], STANDARD.encode(PDF_BYTES));
}
