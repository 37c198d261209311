//! Lint: one test per troubleshooting class (rule, severity, pointer, line and column in a small
//! fixture), Swagger 2.0 findings at original pointers and lines, golden files for the three
//! output formats (`BLESS=1` rewrites them), and real public specs.

use std::path::{Path, PathBuf};

use plugboard_openapi::lint::{Finding, Report, Severity, lint_document};
use plugboard_openapi::source::Document;

fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/lint")
        .join(name)
}

fn document(name: &str) -> Document {
    let text = std::fs::read_to_string(fixture_path(name)).expect("read fixture");
    Document::parse(&text).expect("parse fixture")
}

fn report(name: &str) -> Report {
    lint_document(&document(name)).expect("lint")
}

/// The one finding of `rule` at `pointer`; panics with every finding otherwise.
fn finding<'a>(report: &'a Report, rule: &str, pointer: &str) -> &'a Finding {
    let found: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.rule == rule && f.pointer == pointer)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "expected one {rule} at {pointer}; findings: {:#?}",
        report.findings
    );
    found[0]
}

fn assert_at(f: &Finding, severity: Severity, line: usize, column: usize) {
    assert_eq!(f.severity, severity, "{f:#?}");
    assert_eq!((f.line, f.column), (line, column), "{f:#?}");
    assert!(!f.hint.is_empty(), "{f:#?}");
}

#[test]
fn info_description_missing() {
    let report = report("problems.yaml");
    let f = finding(&report, "info-description", "/info");
    assert_at(f, Severity::Error, 2, 1);
}

#[test]
fn operation_id_missing() {
    let report = report("problems.yaml");
    let f = finding(
        &report,
        "operation-operationId",
        "/paths/~1pets~1{petId}/get",
    );
    assert_at(f, Severity::Error, 17, 5);
    assert!(f.message.contains("GET /pets/{petId}"), "{}", f.message);
    assert!(f.hint.contains("getPetsByPetId"), "{}", f.hint);
}

#[test]
fn operation_id_duplicate() {
    let report = report("problems.yaml");
    let f = finding(
        &report,
        "operation-operationId-unique",
        "/paths/~1pets~1{petId}/delete/operationId",
    );
    assert_at(f, Severity::Error, 28, 7);
    assert!(f.message.contains("`listPets`"), "{}", f.message);
    // The first use is not a finding.
    assert!(
        !report
            .findings
            .iter()
            .any(|f| f.pointer == "/paths/~1pets~1/get/operationId")
    );
}

#[test]
fn circular_reference_named_at_closing_ref() {
    let report = report("problems.yaml");
    let f = finding(
        &report,
        "circular-references",
        "/components/schemas/Pet/properties/children/$ref",
    );
    assert_at(f, Severity::Error, 59, 11);
    assert!(f.message.contains("Pets -> Pet -> Pets"), "{}", f.message);
    assert_eq!(
        report
            .findings
            .iter()
            .filter(|f| f.rule == "circular-references")
            .count(),
        1
    );
}

#[test]
fn trailing_slash() {
    let report = report("problems.yaml");
    let f = finding(&report, "path-keys-no-trailing-slash", "/paths/~1pets~1");
    assert_at(f, Severity::Error, 6, 3);
    assert!(f.hint.contains("`/pets`"), "{}", f.hint);
}

#[test]
fn invalid_pattern_with_reason() {
    let report = report("problems.yaml");
    let f = finding(
        &report,
        "schema-pattern-valid",
        "/components/schemas/Pet/properties/id/pattern",
    );
    assert_at(f, Severity::Error, 52, 11);
    assert!(f.message.contains("`z-a` is out of order"), "{}", f.message);
}

#[test]
fn delimited_pattern_is_a_warning_with_a_fix() {
    let report = report("problems.yaml");
    let f = finding(
        &report,
        "schema-pattern-delimiters",
        "/components/schemas/Pet/properties/tag/pattern",
    );
    assert_at(f, Severity::Warning, 57, 11);
    assert!(f.hint.contains("`^[a-z]+$`"), "{}", f.hint);
}

#[test]
fn required_name_not_in_properties() {
    let report = report("problems.yaml");
    let f = finding(
        &report,
        "schema-required-defined",
        "/components/schemas/Pet/required/1",
    );
    assert_at(f, Severity::Error, 48, 11);
    assert!(f.message.contains("`owner_name`"), "{}", f.message);
    assert!(f.hint.contains("`ownerName`"), "{}", f.hint);
}

#[test]
fn unresolvable_ref() {
    let report = report("problems.yaml");
    let f = finding(
        &report,
        "resolving-references",
        "/components/schemas/Pet/properties/toy/$ref",
    );
    assert_at(f, Severity::Error, 61, 11);
    assert!(
        f.message.contains("#/components/schemas/Toy"),
        "{}",
        f.message
    );
}

#[test]
fn json_positions_and_error_count() {
    let report = report("problems.json");
    let f = finding(
        &report,
        "operation-operationId-unique",
        "/paths/~1b/get/operationId",
    );
    assert_at(f, Severity::Error, 6, 20);
    let f = finding(
        &report,
        "circular-references",
        "/components/schemas/Self/properties/me/$ref",
    );
    assert_eq!(f.line, 8, "{f:#?}");
    assert_eq!(report.error_count(), 2, "{:#?}", report.findings);
}

#[test]
fn findings_are_sorted_by_position() {
    let report = report("problems.yaml");
    let positions: Vec<_> = report.findings.iter().map(|f| (f.line, f.column)).collect();
    let mut sorted = positions.clone();
    sorted.sort();
    assert_eq!(positions, sorted);
}

#[test]
fn swagger2_findings_point_into_the_original() {
    let report = report("swagger2.yaml");
    let f = finding(&report, "path-keys-no-trailing-slash", "/paths/~1nodes~1");
    assert_at(f, Severity::Error, 9, 3);
    let f = finding(&report, "operation-operationId", "/paths/~1nodes~1{id}/put");
    assert_at(f, Severity::Error, 20, 5);
    let f = finding(
        &report,
        "schema-pattern-valid",
        "/definitions/Node/properties/label/pattern",
    );
    assert_at(f, Severity::Error, 41, 9);
    let f = finding(
        &report,
        "schema-required-defined",
        "/definitions/Node/required/0",
    );
    assert_at(f, Severity::Error, 37, 9);
    let f = finding(
        &report,
        "circular-references",
        "/definitions/Node/properties/next/$ref",
    );
    assert_at(f, Severity::Error, 43, 9);
    assert!(f.message.contains("Node -> Node"), "{}", f.message);
    assert_eq!(report.error_count(), 5, "{:#?}", report.findings);
}

/// Compares `actual` with the golden file, or rewrites it when `BLESS=1`.
fn golden(name: &str, actual: &str) {
    let path = fixture_path("golden").join(name);
    if std::env::var_os("BLESS").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, actual).expect("write golden");
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run with BLESS=1 to create it)", path.display()));
    assert_eq!(
        actual,
        expected,
        "{} differs (run with BLESS=1 to accept)",
        path.display()
    );
}

#[test]
fn golden_outputs() {
    let doc = document("problems.yaml");
    let report = lint_document(&doc).expect("lint");
    golden(
        "problems.human.txt",
        &report.to_human(&doc, "problems.yaml"),
    );
    let json = serde_json::to_string_pretty(&report.to_json()).expect("json") + "\n";
    golden("problems.json", &json);
    let sarif =
        serde_json::to_string_pretty(&report.to_sarif("problems.yaml")).expect("sarif") + "\n";
    golden("problems.sarif", &sarif);
}

#[test]
fn json_output_has_exactly_the_documented_fields() {
    let report = report("problems.yaml");
    let json = report.to_json();
    let findings = json["findings"].as_array().expect("findings array");
    assert_eq!(findings.len(), report.findings.len());
    for f in findings {
        let keys: Vec<&str> = f
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            vec![
                "rule", "severity", "message", "line", "column", "pointer", "hint"
            ]
        );
        assert!(matches!(
            f["severity"].as_str(),
            Some("error" | "warning" | "info")
        ));
    }
}

#[test]
fn sarif_shape() {
    let report = report("problems.yaml");
    let sarif = report.to_sarif("specs/problems.yaml");
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "plugboard");
    let rules = driver["rules"].as_array().expect("rules");
    for rule in rules {
        assert!(
            rule["id"].is_string() && rule["help"]["text"].is_string(),
            "{rule}"
        );
    }
    let results = run["results"].as_array().expect("results");
    assert_eq!(results.len(), report.findings.len());
    for (result, f) in results.iter().zip(&report.findings) {
        assert_eq!(result["ruleId"], f.rule);
        let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[index]["id"], f.rule);
        let level = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "note",
        };
        assert_eq!(result["level"], level);
        assert!(
            result["message"]["text"]
                .as_str()
                .is_some_and(|t| t.contains(&f.message))
        );
        let location = &result["locations"][0]["physicalLocation"];
        assert_eq!(location["artifactLocation"]["uri"], "specs/problems.yaml");
        assert_eq!(location["region"]["startLine"], f.line);
        assert_eq!(location["region"]["startColumn"], f.column);
    }
}

#[test]
fn human_output_shows_the_source_line_with_a_marker() {
    let doc = document("problems.yaml");
    let report = lint_document(&doc).expect("lint");
    let human = report.to_human(&doc, "problems.yaml");
    let expected = "problems.yaml:6:3: error path-keys-no-trailing-slash: path `/pets/` ends with a slash\n  \
                    6 |   /pets/:\n    |   ^\n  at: /paths/~1pets~1\n  hint: write the path as `/pets` (or run `plugboard clean`)\n";
    assert!(human.contains(expected), "{human}");
    assert!(
        human.ends_with("8 errors, 2 warnings, 0 infos\n"),
        "{human}"
    );
}

/// Rule ids of a real spec's findings, with their pointers.
fn real(name: &str) -> Vec<(String, String)> {
    report(&format!("real/{name}"))
        .findings
        .into_iter()
        .map(|f| (f.rule.to_string(), f.pointer))
        .collect()
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn real_petstore_is_clean() {
    // Lint predicts import: the petstore's implicit OAuth flow is left out, and the form and
    // multipart bodies are sent as such; nothing else is found.
    let petstore: Vec<(String, String)> = real("petstore.json")
        .into_iter()
        .filter(|(rule, _)| rule != "import-changed")
        .collect();
    assert_eq!(petstore, pairs(&[("import-skipped", "")]));
    let simple: Vec<(String, String)> = real("swagger2-petstore-simple.json")
        .into_iter()
        .filter(|(rule, _)| !rule.starts_with("import-"))
        .collect();
    assert_eq!(simple, vec![]);
}

#[test]
fn real_circular_spec() {
    assert_eq!(
        real("circular.json"),
        pairs(&[
            ("info-description", "/info"),
            ("operation-operationId", "/paths/~1anything/get"),
            (
                "circular-references",
                "/components/schemas/ErrorMessage/properties/inner/$ref"
            ),
        ])
    );
}

#[test]
fn real_schema_validation_spec_patterns_are_valid() {
    let findings = real("schema-validation.json");
    assert_eq!(findings.len(), 5, "{findings:#?}");
    assert!(
        findings
            .iter()
            .all(|(rule, _)| rule == "operation-operationId")
    );
}

#[test]
fn required_names_in_composition_branches_may_come_from_the_parent() {
    // GitHub's check-runs body: `anyOf` branches require names the parent defines.
    let spec = r#"{"openapi": "3.0.3", "info": {"title": "t", "description": "d", "version": "1"},
      "paths": {}, "components": {"schemas": {"Body": {
        "type": "object",
        "properties": {"status": {"type": "string"}, "conclusion": {"type": "string"}},
        "anyOf": [
          {"properties": {"status": {"enum": ["completed"]}}, "required": ["conclusion"]},
          {"properties": {"status": {"enum": ["queued"]}}, "required": ["nope_missing"]}
        ]}}}}"#;
    let report = lint_document(&Document::parse(spec).unwrap()).unwrap();
    let required: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.rule == "schema-required-defined")
        .collect();
    assert!(required.is_empty(), "{required:?}");
    // A plain schema is still checked.
    let spec = spec.replace(
        r#""schemas": {"Body""#,
        r#""schemas": {"Plain": {"properties": {"a": {}}, "required": ["ghost"]}, "Body""#,
    );
    let report = lint_document(&Document::parse(&spec).unwrap()).unwrap();
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.rule == "schema-required-defined"
                && f.pointer == "/components/schemas/Plain/required/0")
    );
}
