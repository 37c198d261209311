//! `plugboard import` end to end: a fixture spec in, a valid definition out, flags applied.

use std::process::Command;

fn plugboard(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_plugboard"))
        .args(args)
        .output()
        .expect("run plugboard")
}

fn fixture(name: &str) -> String {
    format!(
        "{}/../openapi/tests/fixtures/import/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[test]
fn import_writes_a_valid_definition_with_overrides() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("def.json");
    let output = plugboard(&[
        "import",
        &fixture("petstore.yaml"),
        "-o",
        out.to_str().unwrap(),
        "--default-page-size",
        "25",
        "--extra-header",
        "X-Client:plugboard",
        "--api-key-preamble",
        "Token",
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("imported 6 action(s)"), "{stderr}");
    assert!(stderr.contains("pagination: index"), "{stderr}");
    let text = std::fs::read_to_string(&out).unwrap();
    let definition = plugboard_definition::Definition::from_json(&text).unwrap();
    assert_eq!(definition.pagination.default_page_size, 25);
    assert_eq!(definition.extra_request_headers["X-Client"], "plugboard");
    let build = plugboard(&[
        "build",
        out.to_str().unwrap(),
        "-o",
        dir.path().join("b.wasm").to_str().unwrap(),
    ]);
    assert!(
        build.status.success(),
        "{}",
        String::from_utf8_lossy(&build.stderr)
    );
}

#[test]
fn import_refuses_out_of_range_values_and_drafts_without_a_hostname_do_not_build() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("def.json");
    let output = plugboard(&[
        "import",
        &fixture("petstore.yaml"),
        "-o",
        out.to_str().unwrap(),
        "--default-page-limit",
        "50",
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("1..=20"), "{stderr}");
    assert!(!out.exists());
    let output = plugboard(&[
        "import",
        &fixture("azure.json"),
        "-o",
        out.to_str().unwrap(),
    ]);
    // A relative server URL: the draft imports without a hostname, and says so.
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("no hostname"), "{stderr}");
    // `build` refuses in the CLI's terms until the hostname is set.
    let wasm = dir.path().join("azure.wasm");
    let output = plugboard(&["build", out.to_str().unwrap(), "-o", wasm.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("no hostname")
            && stderr.contains("plugboard definition set")
            && stderr.contains("--hostname"),
        "{stderr}"
    );
    assert!(!wasm.exists());
    let output = plugboard(&[
        "definition",
        "set",
        out.to_str().unwrap(),
        "--hostname",
        "management.example.com",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let output = plugboard(&["build", out.to_str().unwrap(), "-o", wasm.to_str().unwrap()]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let output = plugboard(&[
        "import",
        &fixture("azure.json"),
        "-o",
        out.to_str().unwrap(),
        "--hostname",
        "management.example.com",
        "--pagination",
        "none",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(!text.contains("\"paginated\": true"), "{text}");
}

#[test]
fn import_takes_tag_and_path_filters_and_a_pagination_nothing_was_detected_with() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("shop.yaml");
    std::fs::write(
        &spec,
        r#"openapi: 3.0.3
info: {title: Shop, version: "1", description: A shop.}
servers: [{url: "https://shop.example.com"}]
paths:
  /pets:
    get: {operationId: listPets, tags: [pets], responses: {"200": {description: ok}}}
  /pets/{id}:
    get:
      operationId: getPet
      tags: [pets]
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {"200": {description: ok}}
  /orders:
    get: {operationId: listOrders, tags: [orders], responses: {"200": {description: ok}}}
"#,
    )
    .unwrap();
    let out = dir.path().join("def.json");
    let output = plugboard(&[
        "import",
        spec.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--include-tags",
        "pets",
        "--exclude-paths",
        "/pets/*",
        "--pagination",
        "page",
        "--page-param",
        "page",
        "--results-key",
        "items",
    ]);
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{err}");
    assert!(err.contains("filters left out"), "{err}");
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let ids: Vec<&str> = written["actions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["id"].as_str())
        .collect();
    assert_eq!(ids, ["listPets"]);
    assert_eq!(written["pagination"]["type"], "page");
    assert_eq!(written["pagination"]["page_param"], "page");
    let output = plugboard(&[
        "import",
        spec.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--include-paths",
        "[",
    ]);
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(err.contains("--include-paths"), "{err}");
}
