//! `plugboard lint` and `plugboard clean` end to end: exit codes, the three formats, and clean
//! writing a repaired file (same format as the input) while listing every change.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn plugboard() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_plugboard"));
    command.env_remove("PLUGBOARD_CACHE_DIR");
    command.stdin(Stdio::null());
    command
}

fn run(args: &[&str]) -> Output {
    plugboard().args(args).output().expect("run plugboard")
}

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../openapi/tests/fixtures/lint")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path
}

const CLEAN_SPEC: &str = r#"{"openapi": "3.0.3",
  "info": {"title": "T", "version": "1", "description": "D"},
  "servers": [{"url": "https://api.example.com"}],
  "paths": {"/a": {"get": {"operationId": "a", "responses": {"200": {"description": "ok"}}}}}}"#;

#[test]
fn errors_exit_1_with_findings_in_every_format() {
    let spec = fixture("problems.yaml");
    let human = run(&["lint", &spec]);
    assert_eq!(human.status.code(), Some(1), "{}", stderr(&human));
    let text = stdout(&human);
    assert!(text.contains("error operation-operationId:"), "{text}");
    assert!(text.contains("8 errors, 2 warnings, 0 infos"), "{text}");
    // Lint predicts import: the spec has no server URL.
    assert!(
        text.contains("warning import-changed: the spec has no server URL"),
        "{text}"
    );

    // --no-import checks the document rules only.
    let rules_only = stdout(&run(&["lint", &spec, "--no-import"]));
    assert!(
        rules_only.contains("8 errors, 1 warnings, 0 infos") && !rules_only.contains("import-"),
        "{rules_only}"
    );

    let json = run(&["lint", &spec, "--format", "json"]);
    assert_eq!(json.status.code(), Some(1));
    let value: Value = serde_json::from_slice(&json.stdout).expect("json output");
    let findings = value["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 10);
    assert!(findings.iter().any(|f| f["rule"] == "circular-references"
        && f["pointer"] == "/components/schemas/Pet/properties/children/$ref"));

    let sarif = run(&["lint", &spec, "--format", "sarif"]);
    assert_eq!(sarif.status.code(), Some(1));
    let value: Value = serde_json::from_slice(&sarif.stdout).expect("sarif output");
    assert_eq!(value["version"], "2.1.0");
    assert_eq!(value["runs"][0]["tool"]["driver"]["name"], "plugboard");
    assert_eq!(
        value["runs"][0]["results"].as_array().map(Vec::len),
        Some(10)
    );
    assert_eq!(
        value["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        spec.as_str()
    );
}

#[test]
fn warnings_only_exit_0() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = CLEAN_SPEC.replace(
        r#""responses""#,
        r#""parameters": [{"name": "q", "in": "query", "schema": {"type": "string", "pattern": "/^a$/"}}], "responses""#,
    );
    let path = write(dir.path(), "warn.json", &text);
    let output = run(&["lint", path.to_str().expect("utf-8"), "--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let value: Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(value["findings"][0]["severity"], "warning");

    let clean = write(dir.path(), "clean.json", CLEAN_SPEC);
    let output = run(&["lint", clean.to_str().expect("utf-8")]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(stdout(&output), "0 errors, 0 warnings, 0 infos\n");
}

/// The conventions of vacuum and Spectral in CI: --fail-severity decides the exit code,
/// --quiet shows errors only, GitHub annotations and JUnit XML.
#[test]
fn fail_severity_quiet_github_and_junit_for_ci() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = CLEAN_SPEC.replace(
        r#""responses""#,
        r#""parameters": [{"name": "q", "in": "query", "schema": {"type": "string", "pattern": "/^a$/"}}], "responses""#,
    );
    let warn = write(dir.path(), "warn.json", &text);
    let warn = warn.to_str().expect("utf-8");
    let code = |args: &[&str]| run(args).status.code();
    assert_eq!(code(&["lint", warn]), Some(0), "warnings pass by default");
    assert_eq!(code(&["lint", warn, "--fail-severity", "warn"]), Some(1));
    assert_eq!(code(&["lint", warn, "--fail-severity", "info"]), Some(1));
    let spec = fixture("problems.yaml");
    assert_eq!(code(&["lint", &spec, "--fail-severity", "none"]), Some(0));
    assert_eq!(code(&["lint", &spec]), Some(1));
    let bad = run(&["lint", warn, "--fail-severity", "warning"]);
    assert_eq!(bad.status.code(), Some(2), "a usage error names the values");
    assert!(
        stderr(&bad).contains("error, warn, info, none"),
        "{}",
        stderr(&bad)
    );

    // --quiet: the errors only; a warning-only spec shows nothing but still fails on warn.
    let quiet = run(&["lint", &spec, "--quiet", "--format", "json"]);
    let value: Value = serde_json::from_slice(&quiet.stdout).expect("json");
    let findings = value["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 8);
    assert!(findings.iter().all(|f| f["severity"] == "error"));
    let quiet_warn = run(&["lint", warn, "-q", "--fail-severity", "warn"]);
    assert_eq!(quiet_warn.status.code(), Some(1));
    assert_eq!(stdout(&quiet_warn), "0 errors, 0 warnings, 0 infos\n");

    let github = run(&["lint", &spec, "--format", "github"]);
    assert_eq!(github.status.code(), Some(1));
    let lines = stdout(&github);
    assert_eq!(lines.lines().count(), 10, "{lines}");
    assert!(
        lines
            .lines()
            .all(|l| l.starts_with("::error file=") || l.starts_with("::warning file=")),
        "{lines}"
    );
    assert!(lines.contains(",title=operation-operationId::"), "{lines}");

    let junit = run(&["lint", &spec, "--format", "junit"]);
    assert_eq!(junit.status.code(), Some(1));
    let xml = stdout(&junit);
    assert!(xml.starts_with("<?xml"), "{xml}");
    assert!(
        xml.contains("<testcase name=\"operation-operationId\""),
        "{xml}"
    );
    assert!(xml.contains("<failure"), "{xml}");
}

#[test]
fn unreadable_or_unparsable_input_exits_2() {
    let output = run(&["lint", "/nonexistent/spec.yaml"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("cannot read /nonexistent/spec.yaml"),
        "{}",
        stderr(&output)
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let bad = write(dir.path(), "bad.json", "{\"openapi\": ");
    let output = run(&["lint", bad.to_str().expect("utf-8")]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("syntax error"),
        "{}",
        stderr(&output)
    );

    let output = run(&["lint", "x.yaml", "--format", "xml"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn lint_reads_stdin() {
    let mut child = plugboard()
        .args(["lint", "-", "--format", "json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    {
        use std::io::Write as _;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(CLEAN_SPEC.as_bytes()).expect("write stdin");
    }
    let output = child.wait_with_output().expect("wait");
    assert_eq!(output.status.code(), Some(0));
    let value: Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(value, serde_json::json!({"findings": []}));
}

#[test]
fn clean_writes_a_repaired_file_and_lists_changes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("fixed.yaml");
    let output = run(&[
        "clean",
        &fixture("problems.yaml"),
        "-o",
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let err = stderr(&output);
    for needle in [
        "info-description at /info/description:",
        "operation-operationId at /paths/~1pets~1{petId}/get: added operationId `getPetsByPetId`",
        "operation-operationId-unique at /paths/~1pets~1{petId}/delete/operationId:",
        "path-keys-no-trailing-slash at /paths/~1pets~1: renamed `/pets/` to `/pets`",
        "circular-references at /components/schemas/Pet/properties/children:",
        "schema-pattern-valid at /components/schemas/Pet/properties/id/pattern:",
        "schema-required-defined at /components/schemas/Pet/required/1:",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in:\n{err}");
    }
    // Same format as the input (YAML), and it lints free of the repaired classes: only the
    // unresolvable `Toy` reference is left as an error.
    let text = std::fs::read_to_string(&out).expect("read output");
    assert!(text.starts_with("openapi:"), "{text}");
    let lint = run(&["lint", out.to_str().expect("utf-8"), "--format", "json"]);
    let value: Value = serde_json::from_slice(&lint.stdout).expect("json");
    let errors: Vec<&str> = value["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["severity"] == "error")
        .filter_map(|f| f["rule"].as_str())
        .collect();
    assert_eq!(errors, vec!["resolving-references"], "{value:#}");
}

#[test]
fn clean_converts_format_and_filters() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = write(
        dir.path(),
        "spec.yaml",
        "openapi: 3.0.3\ninfo: {title: T, version: '1', description: D}\npaths:\n  /a:\n    get: {operationId: a, tags: [keep], responses: {'200': {description: ok}}}\n  /b:\n    get: {operationId: b, tags: [drop], responses: {'200': {description: ok}}}\n",
    );
    let out = dir.path().join("out.json");
    let output = run(&[
        "clean",
        spec.to_str().expect("utf-8"),
        "-o",
        out.to_str().expect("utf-8"),
        "--json",
        "--exclude-tags",
        "dr*",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("filter at /paths/~1b/get: removed GET /b"),
        "{}",
        stderr(&output)
    );
    let value: Value =
        serde_json::from_str(&std::fs::read_to_string(&out).expect("read")).expect("json");
    assert!(value["paths"].get("/b").is_none());
    assert!(value["paths"].get("/a").is_some());

    let output = run(&[
        "clean",
        spec.to_str().expect("utf-8"),
        "-o",
        out.to_str().expect("utf-8"),
        "--include-paths",
        "[",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("--include-paths `[`"),
        "{}",
        stderr(&output)
    );
}
