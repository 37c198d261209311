//! `plugboard probe` against a loopback API in several pagination styles with deliberately
//! wrong settings: it finds the problem, its suggestion (`--apply`) fixes it, as a second probe
//! shows; wrong credentials are named; no credential is in its output.

use std::path::Path;
use std::process::{Command, Output};

use plugboard_tests::api::{AuthCheck, TestApi};
use serde_json::{Value, json};

const KEY: &str = "k-probe-secret-4410";

fn probe(dir: &Path, definition: &Path, key: &str, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_plugboard"))
        .arg("--cache-dir")
        .arg(dir.join("cache"))
        .args(["--allow-network", "127.0.0.0/8", "probe"])
        .arg(definition)
        .args(["--credential", &format!("api_key={key}")])
        .args(extra)
        .output()
        .expect("run plugboard probe")
}

fn report(output: &Output) -> Value {
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!stdout.contains(KEY), "a credential in the output");
    serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

fn definition(host: &str, path: &str, pagination: Value, parameters: Value) -> Value {
    json!({
        "definition_version": 1, "name": "Probe", "description": "Probe",
        "hostname": host, "scheme": "http",
        "auth": {"type": "api_key", "api_key_header_name": "X-Api-Key"},
        "pagination": pagination,
        "actions": [{"id": "list", "name": "List", "method": "GET", "path": path,
            "paginated": true, "parameters": parameters}]
    })
}

#[test]
fn the_probe_finds_a_wrong_style_and_its_suggestion_fixes_it() {
    let api = TestApi::start_blocking(AuthCheck::header("X-Api-Key", KEY)).expect("api");
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("definition.json");
    // The cursor API, set up as page pagination: page 2 repeats page 1.
    std::fs::write(
        &file,
        definition(
            &api.host(),
            "/cursor/items",
            json!({"type": "page", "page_param": "page", "page_size_param": "limit",
                "results_key": "items", "default_page_size": 10, "default_page_limit": 5}),
            json!([{"name": "after", "in": "query", "schema": {"type": "string"}}]),
        )
        .to_string(),
    )
    .expect("write");
    let output = probe(dir.path(), &file, KEY, &["--format", "json"]);
    assert_eq!(output.status.code(), Some(1), "a failed check exits 1");
    let shown = report(&output);
    let list = &shown["actions"][0];
    assert_eq!(list["auth"]["verdict"], "ok");
    assert_eq!(list["results"]["verdict"], "ok");
    assert_eq!(list["pagination"]["verdict"], "failed");
    assert!(
        list["pagination"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("repeats page 1")
    );
    let suggested = &list["suggestion"]["pagination"];
    assert_eq!(suggested["type"], "pointer");
    assert_eq!(suggested["pointer_jsonpath"], "$.meta.next_cursor");
    assert_eq!(suggested["after_param"], "after");
    // The raw pages are there, the key redacted.
    let header = list["exchanges"][0]["request"]["headers"]
        .as_array()
        .expect("headers")
        .iter()
        .find(|h| h[0] == "x-api-key")
        .expect("the key header")
        .clone();
    assert_eq!(header[1], "[redacted]");
    assert_eq!(list["exchanges"].as_array().map(Vec::len), Some(2));

    let applied = probe(dir.path(), &file, KEY, &["--apply", "--format", "json"]);
    assert!(
        applied.status.success(),
        "{}",
        String::from_utf8_lossy(&applied.stderr)
    );
    let again = probe(dir.path(), &file, KEY, &["--format", "json"]);
    let shown = report(&again);
    assert_eq!(shown["actions"][0]["verdict"], "ok", "{shown}");
    assert!(again.status.success());
}

#[test]
fn the_probe_finds_a_wrong_results_key_and_wrong_credentials() {
    let api = TestApi::start_blocking(AuthCheck::header("X-Api-Key", KEY)).expect("api");
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("definition.json");
    std::fs::write(
        &file,
        definition(
            &api.host(),
            "/link-body/items",
            json!({"type": "link", "next_link_location": "body", "next_page_key": "links.next",
                "page_size_param": "per_page", "results_key": "data",
                "default_page_size": 10, "default_page_limit": 5}),
            json!([]),
        )
        .to_string(),
    )
    .expect("write");
    let output = probe(dir.path(), &file, KEY, &["--format", "json"]);
    let shown = report(&output);
    let list = &shown["actions"][0];
    assert_eq!(list["results"]["verdict"], "failed");
    assert_eq!(list["candidates"][0]["path"], "results");
    assert_eq!(list["pagination"]["verdict"], "warning", "{list}");
    assert!(
        list["pagination"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("results key found no items"),
        "{list}"
    );
    assert_eq!(list["suggestion"]["pagination"]["results_key"], "results");
    // The text report says the same for people.
    let text = probe(dir.path(), &file, KEY, &[]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("hint: set the results key to `results`"),
        "{text}"
    );
    assert!(!text.contains(KEY));

    let applied = probe(dir.path(), &file, KEY, &["--apply"]);
    assert!(applied.status.success());
    let again = report(&probe(dir.path(), &file, KEY, &["--format", "json"]));
    assert_eq!(again["actions"][0]["verdict"], "ok", "{again}");

    // Wrong credentials: auth fails and says what the integration sends.
    let wrong = report(&probe(
        dir.path(),
        &file,
        "not-the-key",
        &["--format", "json"],
    ));
    let auth = &wrong["actions"][0]["auth"];
    assert_eq!(auth["verdict"], "failed");
    assert!(
        auth["message"].as_str().unwrap_or("").contains("401"),
        "{auth}"
    );
    assert!(
        auth["hint"].as_str().unwrap_or("").contains("X-Api-Key"),
        "{auth}"
    );
}

#[test]
fn the_probe_reads_a_link_header_and_a_bare_array() {
    let api = TestApi::start_blocking(AuthCheck::header("X-Api-Key", KEY)).expect("api");
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("definition.json");
    // The Link-header API (bare arrays), set up as page pagination with a results key.
    std::fs::write(
        &file,
        definition(
            &api.host(),
            "/link-header/items",
            json!({"type": "page", "page_param": "page", "page_size_param": "per_page",
                "results_key": "items", "default_page_size": 10, "default_page_limit": 5}),
            json!([]),
        )
        .to_string(),
    )
    .expect("write");
    let shown = report(&probe(dir.path(), &file, KEY, &["--format", "json"]));
    let list = &shown["actions"][0];
    assert_eq!(list["results"]["verdict"], "failed");
    assert_eq!(list["candidates"][0]["path"], "");
    let suggested = &list["suggestion"]["pagination"];
    assert_eq!(suggested["type"], "link", "{list}");
    assert_eq!(suggested["next_link_location"], "header");
    assert_eq!(suggested["results_key"], "");
    assert!(probe(dir.path(), &file, KEY, &["--apply"]).status.success());
    let again = report(&probe(dir.path(), &file, KEY, &["--format", "json"]));
    assert_eq!(again["actions"][0]["verdict"], "ok", "{again}");
}

#[test]
fn a_built_bundle_is_probed_for_its_credentials_and_raw_pages() {
    let api = TestApi::start_blocking(AuthCheck::header("X-Api-Key", KEY)).expect("api");
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("definition.json");
    std::fs::write(
        &file,
        definition(
            &api.host(),
            "/page/items",
            json!({"type": "page", "page_param": "page", "page_size_param": "per_page",
                "results_key": "items", "default_page_size": 10, "default_page_limit": 5}),
            json!([]),
        )
        .to_string(),
    )
    .expect("write");
    let wasm = dir.path().join("probe.wasm");
    let built = Command::new(env!("CARGO_BIN_EXE_plugboard"))
        .arg("--cache-dir")
        .arg(dir.path().join("cache"))
        .arg("build")
        .arg(&file)
        .arg("-o")
        .arg(&wasm)
        .output()
        .expect("build");
    assert!(built.status.success());
    let good = report(&probe(dir.path(), &wasm, KEY, &["--format", "json"]));
    assert_eq!(good["actions"][0]["auth"]["verdict"], "ok", "{good}");
    assert_eq!(
        good["actions"][0]["exchanges"].as_array().map(Vec::len),
        Some(2)
    );
    let bad = probe(dir.path(), &wasm, "wrong-key", &["--format", "json"]);
    assert_eq!(bad.status.code(), Some(1));
    assert_eq!(report(&bad)["actions"][0]["auth"]["verdict"], "failed");
    let apply = probe(dir.path(), &wasm, KEY, &["--apply"]);
    assert!(!apply.status.success());
    assert!(String::from_utf8_lossy(&apply.stderr).contains("built bundle"));
}
