//! `plugboard invoke --dry-run | --record | --replay` end to end: a dry run sends nothing and
//! fetches no token; a recording replays to the same output with the API gone; a request the
//! recording does not hold fails clearly; no credential is in any output or recording.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use plugboard_tests::api::{AuthCheck, TestApi};
use plugboard_tests::oauth::{TokenEndpoint, TokenEndpointConfig};
use serde_json::{Value, json};

const KEY: &str = "k-tap-secret-93ab71";

fn plugboard(cache: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_plugboard"));
    command
        .arg("--cache-dir")
        .arg(cache)
        .env_remove("PLUGBOARD_TOKEN_KEY");
    command
}

fn ok(output: &Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

fn build(dir: &Path, definition: &Value) -> PathBuf {
    let file = dir.join("definition.json");
    std::fs::write(&file, definition.to_string()).expect("write");
    let wasm = dir.join("tap.wasm");
    ok(&plugboard(&dir.join("cache"))
        .arg("build")
        .arg(&file)
        .arg("-o")
        .arg(&wasm)
        .output()
        .expect("build"));
    wasm
}

fn keyed(host: &str) -> Value {
    json!({
        "definition_version": 1, "name": "Tap", "description": "Tap",
        "hostname": host, "scheme": "http",
        "auth": {"type": "api_key", "api_key_header_name": "X-Api-Key"},
        "pagination": {"type": "page", "page_param": "page", "page_size_param": "per_page",
            "results_key": "items", "default_page_size": 10, "default_page_limit": 3},
        "actions": [{"id": "list", "name": "List", "method": "GET", "path": "/page/items",
            "paginated": true,
            "parameters": [{"name": "tag", "in": "query", "schema": {"type": "string"}}]}]
    })
}

#[test]
fn a_dry_run_sends_nothing_and_shows_the_request_redacted() {
    let dir = tempfile::tempdir().expect("dir");
    let api = TestApi::start_blocking(AuthCheck::header("X-Api-Key", KEY)).expect("api");
    let wasm = build(dir.path(), &keyed(&api.host()));
    let out = ok(&plugboard(&dir.path().join("cache"))
        .args(["--allow-network", "127.0.0.0/8", "invoke"])
        .arg(&wasm)
        .args([
            "list",
            "--dry-run",
            "--credential",
            &format!("api_key={KEY}"),
        ])
        .args(["--input", r#"{"tag": "blue"}"#])
        .output()
        .expect("invoke"));
    let shown: Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(shown["dry_run"], true);
    let request = &shown["requests"][0];
    assert_eq!(request["method"], "GET");
    let url = request["url"].as_str().expect("url");
    assert!(
        url.contains("/page/items") && url.contains("tag=blue") && url.contains("page=1"),
        "{url}"
    );
    let key = request["headers"]
        .as_array()
        .expect("headers")
        .iter()
        .find(|h| h[0] == "x-api-key")
        .expect("the key header");
    assert_eq!(key[1], "[redacted]");
    assert!(!out.contains(KEY));
    assert!(api.requests("/page").is_empty(), "nothing was sent");

    // OAuth: no token is fetched either.
    let endpoint = TokenEndpoint::start(TokenEndpointConfig::default());
    let oauth_dir = tempfile::tempdir().expect("dir");
    let wasm = build(
        oauth_dir.path(),
        &json!({"definition_version": 1, "name": "OAuth", "description": "OAuth",
            "hostname": api.host(), "scheme": "http",
            "auth": {"type": "oauth2", "grant_type": "client_credentials",
                "access_token_url": endpoint.token_url()},
            "actions": [{"id": "list", "name": "List", "method": "GET", "path": "/page/items"}]}),
    );
    let out = ok(&plugboard(&oauth_dir.path().join("cache"))
        .args(["--allow-network", "127.0.0.0/8"])
        .arg("--token-store")
        .arg(oauth_dir.path().join("tokens.json"))
        .arg("invoke")
        .arg(&wasm)
        .args(["list", "--dry-run", "--credential", "client_id=client-1"])
        .args(["--credential", "client_secret=secret-1"])
        .output()
        .expect("invoke"));
    assert!(out.contains("Bearer [redacted]"), "{out}");
    assert!(!out.contains("secret-1"));
    assert_eq!(endpoint.requests().len(), 0, "no token request");
}

#[test]
fn a_recording_replays_with_the_api_gone_and_a_changed_request_fails() {
    let dir = tempfile::tempdir().expect("dir");
    let recording = dir.path().join("recording");
    let cache = dir.path().join("cache");
    let (wasm, recorded) = {
        let api = TestApi::start_blocking(AuthCheck::header("X-Api-Key", KEY)).expect("api");
        let wasm = build(dir.path(), &keyed(&api.host()));
        let out = ok(&plugboard(&cache)
            .args(["--allow-network", "127.0.0.0/8", "invoke"])
            .arg(&wasm)
            .args([
                "list",
                "--credential",
                &format!("api_key={KEY}"),
                "--record",
            ])
            .arg(&recording)
            .output()
            .expect("invoke"));
        assert_eq!(api.requests("/page").len(), 3, "three pages");
        (wasm, out)
    };
    // The API is gone now; the recording has one readable file per page and no secret.
    let files: Vec<PathBuf> = std::fs::read_dir(&recording)
        .expect("recording")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(files.len(), 3);
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read");
        assert!(!text.contains(KEY), "{}", file.display());
        let exchange: Value = serde_json::from_str(&text).expect("JSON");
        assert_eq!(exchange["response"]["status"], 200);
    }
    let replayed = ok(&plugboard(&cache)
        .arg("invoke")
        .arg(&wasm)
        .args(["list", "--replay"])
        .arg(&recording)
        .output()
        .expect("invoke"));
    assert_eq!(
        serde_json::from_str::<Value>(&replayed).expect("JSON"),
        serde_json::from_str::<Value>(&recorded).expect("JSON")
    );
    // Another input sends another request, which the recording does not hold.
    let output = plugboard(&cache)
        .arg("invoke")
        .arg(&wasm)
        .args(["list", "--input", r#"{"tag": "red"}"#, "--replay"])
        .arg(&recording)
        .output()
        .expect("invoke");
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        err.contains("the recording does not hold") && err.contains("tag=red"),
        "{err}"
    );
    // Sensitive fields beyond credentials: redacted in the recording, matched the same way.
    let private = dir.path().join("private");
    let api = TestApi::start_blocking(AuthCheck::header("X-Api-Key", KEY)).expect("api");
    let wasm_private = {
        let sub = dir.path().join("private-build");
        std::fs::create_dir_all(&sub).expect("dir");
        build(&sub, &keyed(&api.host()))
    };
    let recorded = ok(&plugboard(&cache)
        .args(["--allow-network", "127.0.0.0/8", "invoke"])
        .arg(&wasm_private)
        .args(["list", "--credential", &format!("api_key={KEY}")])
        .args([
            "--input",
            r#"{"tag": "customer-4711"}"#,
            "--sensitive",
            "tag",
            "--record",
        ])
        .arg(&private)
        .output()
        .expect("invoke"));
    drop(api);
    for file in std::fs::read_dir(&private).expect("recording") {
        let text = std::fs::read_to_string(file.expect("entry").path()).expect("read");
        assert!(!text.contains("customer-4711"), "{text}");
        assert!(text.contains("tag=%5Bredacted%5D"), "{text}");
    }
    let replayed = ok(&plugboard(&cache)
        .arg("invoke")
        .arg(&wasm_private)
        .args([
            "list",
            "--input",
            r#"{"tag": "customer-4711"}"#,
            "--sensitive",
            "tag",
            "--replay",
        ])
        .arg(&private)
        .output()
        .expect("invoke"));
    assert_eq!(
        serde_json::from_str::<Value>(&replayed).expect("JSON"),
        serde_json::from_str::<Value>(&recorded).expect("JSON")
    );

    // Recording into a directory that holds one already is refused.
    let output = plugboard(&cache)
        .arg("invoke")
        .arg(&wasm)
        .args(["list", "--record"])
        .arg(&recording)
        .output()
        .expect("invoke");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("not empty"));
}
