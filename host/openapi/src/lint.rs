//! Lint a spec: the problems users hit most when importing (missing or duplicate operationIds,
//! circular `$ref`s, trailing slashes, invalid `pattern`s, undefined `required` names,
//! unresolvable references, ...), each with a rule id, severity, JSON pointer, source position
//! and fix hint.
//!
//! [`lint`] works on a JSON value and reports pointers; [`lint_document`] adds line and column
//! in the original file. Rule ids reuse vacuum's names where one exists. The work is one pass
//! over the value plus a pass over `paths`; each distinct `pattern` is compiled once.

use serde::Serialize;
use serde_json::Value;

use crate::source::Document;
use crate::version::{self, SpecVersion};
use crate::{Error, Result};

pub(crate) mod checks;
mod ci;
mod output;
pub(crate) mod pattern;
pub(crate) mod refs;
mod ruleset;
pub(crate) mod scan;

pub use output::RuleInfo;
pub use ruleset::{Ignored, RULESET_FILE, Ruleset};

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Stops an import or breaks tools: the exit code is non-zero.
    Error,
    /// Probably a mistake.
    Warning,
    /// Worth knowing.
    Info,
}

impl Severity {
    /// `error`, `warning` or `info`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// One problem found in a spec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Rule id (vacuum's name where one exists), e.g. `operation-operationId`.
    pub rule: &'static str,
    /// How serious it is.
    pub severity: Severity,
    /// What is wrong, naming the thing.
    pub message: String,
    /// 1-based line in the original file; 0 when unknown.
    pub line: usize,
    /// 1-based column in the original file; 0 when unknown.
    pub column: usize,
    /// JSON pointer in the original file.
    pub pointer: String,
    /// How to fix it.
    pub hint: String,
}

impl Finding {
    pub(crate) fn new(
        rule: &'static str,
        severity: Severity,
        pointer: impl Into<String>,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Finding {
        Finding {
            rule,
            severity,
            message: message.into(),
            line: 0,
            column: 0,
            pointer: pointer.into(),
            hint: hint.into(),
        }
    }
}

/// The findings for one document, sorted by line and column.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Every finding.
    pub findings: Vec<Finding>,
    /// The findings a [`Ruleset`] ignored (not in `findings`), in the same order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ignored: Vec<Ignored>,
}

impl Report {
    /// How many findings are errors.
    pub fn error_count(&self) -> usize {
        self.count(Severity::Error)
    }

    /// How many findings have this severity.
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }

    /// `N errors, N warnings, N infos`, then `, N ignored by the ruleset` when a ruleset
    /// ignored findings.
    pub fn summary(&self) -> String {
        let mut summary = format!(
            "{} errors, {} warnings, {} infos",
            self.count(Severity::Error),
            self.count(Severity::Warning),
            self.count(Severity::Info)
        );
        if !self.ignored.is_empty() {
            summary.push_str(&format!(", {} ignored by the ruleset", self.ignored.len()));
        }
        summary
    }
}

/// Rule ids of the troubleshooting classes that `plugboard clean` repairs.
pub const REPAIRED_RULES: &[&str] = &[
    checks::INFO_DESCRIPTION,
    checks::OPERATION_ID,
    checks::OPERATION_ID_UNIQUE,
    refs::CIRCULAR,
    checks::TRAILING_SLASH,
    pattern::PATTERN_VALID,
    scan::REQUIRED_DEFINED,
];

/// What a lint run checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Run the importer too and report what it would refuse, leave out or decide (the
    /// `import-*` rules). On by default; off checks the document rules alone.
    pub predict_import: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            predict_import: true,
        }
    }
}

/// Lints a spec value (OpenAPI 3.x or Swagger 2.0 as it is). Findings carry pointers into
/// `value` and no positions (line and column 0).
pub fn lint(value: &Value) -> Vec<Finding> {
    lint_with(value, &Options::default())
}

/// [`lint`] with options.
pub fn lint_with(value: &Value, options: &Options) -> Vec<Finding> {
    let mut findings = Vec::new();
    checks::version(value, &mut findings);
    checks::info(value, &mut findings);
    checks::paths(value, &mut findings);
    let scanned = scan::scan(value);
    let mut patterns = pattern::PatternCache::default();
    for site in &scanned.patterns {
        if let Some(finding) = patterns.check(&site.pointer, site.pattern) {
            findings.push(finding);
        }
    }
    for site in &scanned.required_missing {
        findings.push(scan::required_finding(site));
    }
    let graph = refs::RefGraph::build(value, &scanned.refs, &mut findings);
    for cycle in graph.cycles() {
        findings.push(cycle.finding());
    }
    if options.predict_import && version::detect(value).is_ok_and(|v| v != SpecVersion::Swagger2) {
        import_findings(value, &mut findings);
    }
    findings
}

/// What import would skip, change or refuse, as findings (lint predicts import): the import
/// error as `import-refused`, notes of things left out as `import-skipped`, other notes as
/// `import-changed`. Notes that another rule already reports at the same place are not
/// repeated.
fn import_findings(value: &Value, findings: &mut Vec<Finding>) {
    const REPORTED: [&str; 2] = [checks::PATH_QUERY, checks::OPERATIONS];
    // Where those rules reported, and which rules reported at all: taken once, before import
    // findings are added.
    let reported_at: Vec<String> = findings
        .iter()
        .filter(|f| REPORTED.contains(&f.rule))
        .map(|f| f.pointer.clone())
        .collect();
    let reported = |pointer: &str| {
        reported_at.iter().any(|at| {
            pointer
                .strip_prefix(at.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        })
    };
    // Notes that a lint rule already reports (anywhere in the document).
    const COVERED: [(&str, &str); 2] = [
        ("cannot be resolved", refs::UNRESOLVED),
        ("is taken", checks::OPERATION_ID_UNIQUE),
    ];
    let covered_markers: Vec<&str> = COVERED
        .iter()
        .filter(|(_, rule)| findings.iter().any(|f| f.rule == *rule))
        .map(|(marker, _)| *marker)
        .collect();
    match crate::import::import(value, &crate::import::Options::default()) {
        Err(Error::Import { pointer, message }) => {
            if !reported(&pointer) {
                findings.push(Finding::new(
                    checks::IMPORT_REFUSED,
                    Severity::Error,
                    pointer,
                    format!("import refuses the spec: {message}"),
                    "fix the spec where the pointer says; nothing is imported until then",
                ));
            }
        }
        Err(_) => {}
        Ok(imported) => {
            for note in &imported.summary.notes {
                let (pointer, message) = match note.split_once(": ") {
                    Some((pointer, message)) if pointer.starts_with('/') => (pointer, message),
                    _ => ("", note.as_str()),
                };
                // A sanitized operationId is a naming detail, not a change to what is called.
                if message.contains("became id") {
                    continue;
                }
                let covered = covered_markers
                    .iter()
                    .any(|marker| message.contains(marker));
                if covered || reported(pointer) {
                    continue;
                }
                let skipped = [
                    "skipped",
                    "left out",
                    "not supported",
                    "cannot be resolved",
                    "not imported",
                ]
                .iter()
                .any(|word| message.contains(word));
                let blocks_finalize = message.contains("before finalize");
                let (rule, severity, hint) = if skipped {
                    (
                        checks::IMPORT_SKIPPED,
                        Severity::Warning,
                        "the imported integration will not have this; fix the spec if you need it",
                    )
                } else if blocks_finalize {
                    (
                        checks::IMPORT_CHANGED,
                        Severity::Warning,
                        "add a server URL with a host to the spec, or set the hostname after import",
                    )
                } else {
                    (
                        checks::IMPORT_CHANGED,
                        Severity::Info,
                        "import handles this as the message says; check that it is what you want",
                    )
                };
                findings.push(Finding::new(rule, severity, pointer, message, hint));
            }
        }
    }
}

/// Lints a parsed document: findings with pointers and positions in the original file,
/// sorted by line and column.
pub fn lint_document(doc: &Document) -> Result<Report> {
    lint_document_with(doc, &Options::default())
}

/// [`lint_document`] with options.
pub fn lint_document_with(doc: &Document, options: &Options) -> Result<Report> {
    // Swagger 2.0 is linted after conversion (some problems only show in 3.x form), and each
    // pointer is mapped back to the original document.
    let mut findings = match version::detect(&doc.value) {
        Ok(SpecVersion::Swagger2) => match crate::convert::to_openapi3(&doc.value) {
            Ok(converted) => {
                let mut findings = lint_with(&converted.value, options);
                for finding in &mut findings {
                    finding.pointer = converted.original_pointer(&finding.pointer);
                }
                findings
            }
            Err(Error::Convert { pointer, message }) => {
                let mut findings = lint_with(&doc.value, options);
                findings.insert(
                    0,
                    Finding::new(
                        checks::CONVERT,
                        Severity::Error,
                        pointer,
                        format!("cannot convert this Swagger 2.0 document to OpenAPI 3: {message}"),
                        "fix the value so it follows Swagger 2.0; the other findings are from the \
                         unconverted document",
                    ),
                );
                findings
            }
            Err(other) => return Err(other),
        },
        _ => lint_with(&doc.value, options),
    };
    for finding in &mut findings {
        if let Some(position) = doc.position(&finding.pointer) {
            finding.line = position.line;
            finding.column = position.column;
        }
    }
    // Stable: findings without a position keep their (document) order.
    findings.sort_by_key(|f| (f.line, f.column));
    Ok(Report {
        findings,
        ignored: Vec::new(),
    })
}

/// Every rule this linter knows, with its default severity and help text.
pub fn rules() -> &'static [RuleInfo] {
    output::RULES
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rules_of(value: &Value) -> Vec<&'static str> {
        lint(value).into_iter().map(|f| f.rule).collect()
    }

    #[test]
    fn clean_spec_has_no_findings() {
        let spec = json!({
            "openapi": "3.0.3",
            "info": {"title": "T", "version": "1", "description": "D"},
            "servers": [{"url": "https://api.example.com"}],
            "paths": {"/users/{id}": {"get": {
                "operationId": "getUser",
                "parameters": [{"name": "id", "in": "path", "required": true,
                                "schema": {"type": "string", "pattern": "^(?=a)[a-z]+$"}}],
                "responses": {"200": {"description": "ok",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/User"}}}}}
            }}},
            "components": {"schemas": {"User": {"type": "object", "required": ["id"],
                "properties": {"id": {"type": "string"}, "pattern": {"type": "string"}}}}}
        });
        assert_eq!(lint(&spec), vec![]);
    }

    #[test]
    fn every_rule_is_in_the_catalogue() {
        let spec = json!({
            "openapi": "3.1.0",
            "info": {"title": "T", "version": "1"},
            "paths": {
                "/a/": {"get": {"operationId": "x"}},
                "/b/{id}": {"get": {"operationId": "x"}, "post": {}},
            },
            "components": {"schemas": {
                "A": {"$ref": "#/components/schemas/A"},
                "B": {"type": "string", "pattern": "[z-a]"},
                "C": {"type": "string", "pattern": "/^a$/i"},
                "D": {"required": ["q"], "properties": {}},
                "E": {"$ref": "#/components/schemas/Missing"},
                "F": {"$ref": "other.yaml#/F"},
            }}
        });
        let found = rules_of(&spec);
        for rule in &found {
            assert!(
                rules().iter().any(|r| r.id == *rule),
                "{rule} not catalogued"
            );
        }
        for rule in REPAIRED_RULES {
            assert!(found.contains(rule), "{rule} not found in {found:?}");
        }
    }
}
