//! `plugboard convert` end to end: Swagger 2.0 in (file or stdin, JSON or YAML), OpenAPI 3 out
//! (JSON or YAML), a summary on stderr, clear errors with the place in the input.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use plugboard_openapi::source::Document;
use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../openapi/tests/fixtures/convert")
        .join(name)
}

fn plugboard(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_plugboard"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run plugboard");
    let mut input = child.stdin.take().expect("stdin");
    input
        .write_all(stdin.unwrap_or("").as_bytes())
        .expect("write stdin");
    drop(input);
    child.wait_with_output().expect("wait for plugboard")
}

fn expected(name: &str) -> Value {
    let text = std::fs::read_to_string(fixture(name)).expect("expected output");
    serde_json::from_str(&text).expect("expected JSON")
}

#[test]
fn converts_a_file_to_json() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("openapi.json");
    let input = fixture("petstore.swagger.json");
    let output = plugboard(
        &[
            "convert",
            input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ],
        None,
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(
        stderr.trim(),
        "converted Swagger 2.0 -> OpenAPI 3.0.3: 2 paths, 4 operations, 3 schemas"
    );
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        text.starts_with("{\n  \"openapi\": \"3.0.3\""),
        "not pretty: {text}"
    );
    let written: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(written, expected("petstore.openapi.json"));
    // Only the output file is left behind (the temporary file was renamed).
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn converts_stdin_yaml_to_yaml() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("openapi.yaml");
    let input = std::fs::read_to_string(fixture("features.swagger.yaml")).unwrap();
    let output = plugboard(
        &["convert", "-", "-o", out.to_str().unwrap(), "--yaml"],
        Some(&input),
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.starts_with("openapi:"), "not YAML: {text}");
    let document = Document::parse(&text).unwrap();
    assert_eq!(document.value, expected("features.openapi.json"));
}

#[test]
fn openapi3_is_written_back_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.json");
    let text = "{\"openapi\": \"3.0.1\", \"info\": {\"title\": \"t\", \"version\": \"1\"},\n \"paths\": {\"/a\": {\"get\": {\"responses\": {}}}}}\n";
    std::fs::write(&input, text).unwrap();
    let out = dir.path().join("out.json");
    let output = plugboard(
        &[
            "convert",
            input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ],
        None,
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("already OpenAPI 3.0.1"), "{stderr}");
    assert!(stderr.contains("1 paths, 1 operations"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), text);
}

#[test]
fn writes_to_stdout() {
    let output = plugboard(
        &[
            "convert",
            fixture("nohost.swagger.json").to_str().unwrap(),
            "-o",
            "-",
        ],
        None,
    );
    assert!(output.status.success());
    let written: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(written, expected("nohost.openapi.json"));
}

#[test]
fn malformed_input_fails_with_the_place() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("bad.yaml");
    std::fs::write(
        &input,
        "swagger: '2.0'\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      parameters:\n        - name: q\n          type: string\n      responses: {}\n",
    )
    .unwrap();
    let out = dir.path().join("out.json");
    let output = plugboard(
        &[
            "convert",
            input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("/paths/~1a/get/parameters/0") && stderr.contains("`in`"),
        "{stderr}"
    );
    assert!(!out.exists());

    let output = plugboard(
        &[
            "convert",
            "/nonexistent/spec.json",
            "-o",
            out.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot read /nonexistent/spec.json"));
}
