//! `plugboard lint` and `plugboard clean` end to end: exit codes, the three formats, and clean
//! writing a repaired file (same format as the input) while listing every change.

mod common;

use common::{command as plugboard, output as run, stderr, stdout};

use std::path::{Path, PathBuf};
use std::process::Stdio;

use serde_json::Value;

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../openapi/tests/fixtures/lint")
        .join(name)
        .to_string_lossy()
        .into_owned()
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
    // The machine formats print the summary to stderr (not with --quiet).
    assert_eq!(stderr(&github), "8 errors, 2 warnings, 0 infos\n");
    assert_eq!(stderr(&quiet), "");
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
    assert_eq!(stderr(&junit), "8 errors, 2 warnings, 0 infos\n");
    let xml = stdout(&junit);
    assert!(xml.starts_with("<?xml"), "{xml}");
    assert!(
        xml.contains("<testcase name=\"operation-operationId\""),
        "{xml}"
    );
    assert!(xml.contains("<failure"), "{xml}");
}

/// A spec with an error in `info`, three operations without operationId (two under
/// `/legacy`) and a warning in a pattern.
const RULESET_SPEC: &str = "openapi: 3.0.3
info: {title: T, version: '1'}
servers: [{url: 'https://api.example.com'}]
paths:
  /legacy/a:
    get: {responses: {'200': {description: ok}}}
  /legacy/b/{id}:
    get:
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {'200': {description: ok}}
  /new:
    get:
      parameters: [{name: q, in: query, schema: {type: string, pattern: '/^a$/'}}]
      responses: {'200': {description: ok}}
";

/// `root/.plugboard-lint.yaml` and the spec two directories below it.
fn ruleset_tree(ruleset: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let nested = dir.path().join("root/api/v1");
    std::fs::create_dir_all(&nested).expect("mkdir");
    write(&dir.path().join("root"), ".plugboard-lint.yaml", ruleset);
    let spec = write(&nested, "spec.yaml", RULESET_SPEC);
    let spec = spec.to_str().expect("utf-8").to_owned();
    (dir, spec)
}

const RULESET: &str = "rules:
  info-description: off
  schema-pattern-delimiters: error
ignore:
  - rule: operation-operationId
    pointer: \"/paths/~1legacy~1*\"
    reason: the legacy API is frozen
";

/// A `.plugboard-lint.yaml` in a parent directory turns a rule off, raises a warning to an
/// error and ignores the findings under `/legacy`, with a reason; `--no-ruleset` and
/// `--ruleset` choose otherwise.
#[test]
fn ruleset_found_upward_turns_off_changes_severity_and_ignores() {
    let (dir, spec) = ruleset_tree(RULESET);
    let plain = run(&["lint", &spec, "--no-ruleset"]);
    assert_eq!(plain.status.code(), Some(1));
    let text = stdout(&plain);
    assert!(text.ends_with("4 errors, 1 warnings, 0 infos\n"), "{text}");
    assert!(text.contains("error info-description:"), "{text}");

    let human = run(&["lint", &spec]);
    assert_eq!(human.status.code(), Some(1), "{}", stderr(&human));
    let text = stdout(&human);
    assert!(!text.contains("info-description"), "off: {text}");
    assert!(
        text.contains("error schema-pattern-delimiters:"),
        "raised to error: {text}"
    );
    // Exactly the operations under /legacy are ignored.
    assert!(text.contains("at: /paths/~1new/get\n"), "{text}");
    assert!(!text.contains("legacy"), "{text}");
    assert!(
        text.ends_with("2 errors, 0 warnings, 0 infos, 2 ignored by the ruleset\n"),
        "{text}"
    );

    // JSON: the ignored findings are left out and counted; the summary goes to stderr.
    let json = run(&["lint", &spec, "--format", "json"]);
    assert_eq!(json.status.code(), Some(1));
    let value: Value = serde_json::from_slice(&json.stdout).expect("json");
    assert_eq!(value["findings"].as_array().map(Vec::len), Some(2));
    assert_eq!(value["ignored"], 2);
    assert_eq!(
        stderr(&json),
        "2 errors, 0 warnings, 0 infos, 2 ignored by the ruleset\n"
    );
    // SARIF: the ignored findings are results with an external suppression.
    let sarif = run(&["lint", &spec, "--format", "sarif"]);
    let value: Value = serde_json::from_slice(&sarif.stdout).expect("sarif");
    let suppressed: Vec<&Value> = value["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| r.get("suppressions").is_some())
        .collect();
    assert_eq!(suppressed.len(), 2, "{value:#}");
    assert_eq!(
        suppressed[0]["suppressions"],
        serde_json::json!([{"kind": "external", "justification": "the legacy API is frozen"}])
    );

    // The ruleset is found from the current directory for stdin.
    let mut child = plugboard()
        .args(["lint", "-"])
        .current_dir(dir.path().join("root/api"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    {
        use std::io::Write as _;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin
            .write_all(RULESET_SPEC.as_bytes())
            .expect("write stdin");
    }
    let output = child.wait_with_output().expect("wait");
    assert!(
        stdout(&output).ends_with("2 ignored by the ruleset\n"),
        "{}",
        stdout(&output)
    );

    // --ruleset names another file (no upward search): only the warning is left, and the
    // found file's raise to error does not apply.
    let other = write(
        dir.path(),
        "other.yaml",
        "rules:\n  info-description: off\n  operation-operationId: off\n",
    );
    let other = other.to_str().expect("utf-8");
    let output = run(&["lint", &spec, "--ruleset", other]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let text = stdout(&output);
    assert!(text.ends_with("0 errors, 1 warnings, 0 infos\n"), "{text}");
    // A severity raised to error fails the run under the default --fail-severity error.
    let raised = write(
        dir.path(),
        "raised.yaml",
        "rules:\n  info-description: off\n  operation-operationId: off\n  \
         schema-pattern-delimiters: error\n",
    );
    let raised = raised.to_str().expect("utf-8");
    let output = run(&["lint", &spec, "--ruleset", raised]);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    assert!(stdout(&output).ends_with("1 errors, 0 warnings, 0 infos\n"));
    let output = run(&[
        "lint",
        &spec,
        "--ruleset",
        raised,
        "--fail-severity",
        "none",
    ]);
    assert_eq!(output.status.code(), Some(0));
    // Lowered to info: passes --fail-severity warn.
    let lowered = write(
        dir.path(),
        "lowered.yaml",
        "rules:\n  info-description: off\n  operation-operationId: off\n  \
         schema-pattern-delimiters: info\n",
    );
    let lowered = lowered.to_str().expect("utf-8");
    let output = run(&[
        "lint",
        &spec,
        "--ruleset",
        lowered,
        "--fail-severity",
        "warn",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));

    let missing = run(&["lint", &spec, "--ruleset", "/nonexistent/lint.yaml"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("--ruleset /nonexistent/lint.yaml"),
        "{}",
        stderr(&missing)
    );
}

/// Unknown rule ids, a missing reason, unknown keys and bad severities are errors (exit 2)
/// naming the file and the line.
#[test]
fn invalid_rulesets_exit_2_naming_file_line_and_rule() {
    let (dir, spec) =
        ruleset_tree("rules:\n  info-description: off\n  missing-description: warn\n");
    let ruleset = dir.path().join("root/.plugboard-lint.yaml");
    let output = run(&["lint", &spec]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.contains(&format!(
            "{}:3:3: unknown rule `missing-description`",
            ruleset.display()
        )),
        "{err}"
    );
    assert!(err.contains("; the rules are: oas-version, "), "{err}");
    assert!(
        err.contains("operation-operationId"),
        "lists the known ids: {err}"
    );
    assert!(stdout(&output).is_empty(), "{}", stdout(&output));
    // --no-ruleset does not read it.
    assert_eq!(run(&["lint", &spec, "--no-ruleset"]).status.code(), Some(1));

    let cases = [
        (
            "ignore:\n  - rule: operation-operationId\n    pointer: /paths\n",
            ":2:11: the ignore of `operation-operationId` has no `reason`",
        ),
        (
            "ignore:\n  - rule: operation-operationid\n    pointer: /paths\n    reason: x\n",
            ":2:11: unknown rule `operation-operationid` in `ignore` (did you mean \
             `operation-operationId`?)",
        ),
        (
            "rules:\n  info-description: fatal\n",
            ":2:21: unknown variant `fatal`",
        ),
        (
            "rule:\n  info-description: off\n",
            ":1:1: unknown field `rule`",
        ),
    ];
    for (text, expected) in cases {
        write(&dir.path().join("root"), ".plugboard-lint.yaml", text);
        let output = run(&["lint", &spec, "--format", "json"]);
        assert_eq!(output.status.code(), Some(2), "{text}");
        let err = stderr(&output);
        assert!(
            err.contains(&format!("{}{expected}", ruleset.display())),
            "{text}: {err}"
        );
    }
}

/// A spec named through `..` (`../specs/spec.yaml`) is looked up from the directory it is in:
/// the current directory, which is not among its parents, does not lend it its ruleset.
#[test]
fn ruleset_search_resolves_dot_dot_in_the_spec_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let work = dir.path().join("work");
    let specs = dir.path().join("specs");
    std::fs::create_dir_all(&work).expect("mkdir");
    std::fs::create_dir_all(&specs).expect("mkdir");
    write(&specs, "spec.yaml", RULESET_SPEC);
    write(
        &work,
        ".plugboard-lint.yaml",
        "rules:\n  operation-operationId: off\n",
    );
    let lint = |extra: &[&str]| {
        plugboard()
            .args(["lint", "../specs/spec.yaml"])
            .args(extra)
            .current_dir(&work)
            .output()
            .expect("run plugboard")
    };
    let without = lint(&["--no-ruleset"]);
    let found = lint(&[]);
    assert_eq!(found.status.code(), Some(1), "{}", stderr(&found));
    assert!(
        stdout(&found).contains("error operation-operationId:"),
        "the current directory's ruleset applied: {}",
        stdout(&found)
    );
    assert_eq!(stdout(&found), stdout(&without));
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
