//! The rule catalogue and the three output formats: human, JSON and SARIF 2.1.0.

use std::fmt::Write as _;

use serde::Serialize;
use serde_json::{Value, json};

use super::{Report, Severity, checks, pattern, refs, scan};
use crate::source::Document;

/// A rule: id, default severity, what it checks and how to fix it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RuleInfo {
    /// Rule id.
    pub id: &'static str,
    /// Severity of its findings.
    pub severity: Severity,
    /// What it checks.
    pub description: &'static str,
    /// How to fix its findings.
    pub help: &'static str,
}

const fn rule(
    id: &'static str,
    severity: Severity,
    description: &'static str,
    help: &'static str,
) -> RuleInfo {
    RuleInfo {
        id,
        severity,
        description,
        help,
    }
}

pub(super) const RULES: &[RuleInfo] = &[
    rule(
        checks::VERSION,
        Severity::Error,
        "The document declares OpenAPI 3.0.x, 3.1.x or Swagger 2.0.",
        "Start the document with `openapi: 3.0.3` (or 3.1.x) or `swagger: \"2.0\"`.",
    ),
    rule(
        checks::CONVERT,
        Severity::Error,
        "A Swagger 2.0 document converts to OpenAPI 3.",
        "Fix the reported value so it follows Swagger 2.0.",
    ),
    rule(
        checks::INFO_DESCRIPTION,
        Severity::Error,
        "`info.description` is present and not empty.",
        "Describe the API in `info.description`; `plugboard clean` copies the title.",
    ),
    rule(
        checks::OPERATION_ID,
        Severity::Error,
        "Every operation has an `operationId`.",
        "Add an `operationId`; `plugboard clean` generates one from the method and path.",
    ),
    rule(
        checks::OPERATION_ID_UNIQUE,
        Severity::Error,
        "Every `operationId` is unique.",
        "Rename one of the operations; `plugboard clean` renames the later duplicates.",
    ),
    rule(
        checks::TRAILING_SLASH,
        Severity::Error,
        "Path keys do not end with a slash.",
        "Remove the trailing slash; `plugboard clean` strips it where no other path collides.",
    ),
    rule(
        checks::IMPORT_REFUSED,
        Severity::Error,
        "Import accepts the spec.",
        "Fix what the message names; lint runs the importer so that it predicts what import does.",
    ),
    rule(
        checks::IMPORT_SKIPPED,
        Severity::Warning,
        "Import keeps every operation, parameter and security scheme.",
        "The finding names what import leaves out and why.",
    ),
    rule(
        checks::IMPORT_CHANGED,
        Severity::Info,
        "Import takes the spec as it is.",
        "The finding says what import decides or rewrites (a media type, a path, a scheme, a hostname).",
    ),
    rule(
        checks::OPERATIONS,
        Severity::Error,
        "The document has at least one operation under `paths`.",
        "Add the operations; a webhooks-only document describes requests the API sends, which an integration does not call.",
    ),
    rule(
        checks::PATH_QUERY,
        Severity::Warning,
        "Path keys have no query (`?`) or fragment (`#`).",
        "Import keeps the part before `?`/`#` as the path; `name=value` terms become fixed query parameters or headers, bare names required inputs.",
    ),
    rule(
        checks::PATH_PARAMS,
        Severity::Error,
        "Every `{variable}` of a path has an `in: path` parameter, and every path parameter appears in the path.",
        "Declare the missing parameter, or fix the path template.",
    ),
    rule(
        refs::CIRCULAR,
        Severity::Error,
        "No component reaches itself through `$ref`.",
        "Break the cycle at the reported `$ref`; `plugboard clean` replaces it with a plain schema.",
    ),
    rule(
        refs::UNRESOLVED,
        Severity::Error,
        "Every local `$ref` points to something in the document.",
        "Fix the reference or add the component it names.",
    ),
    rule(
        refs::EXTERNAL,
        Severity::Warning,
        "`$ref`s to other documents are not followed.",
        "Bundle the spec into one document first.",
    ),
    rule(
        pattern::PATTERN_VALID,
        Severity::Error,
        "Every schema `pattern` is a valid ECMA-262 regular expression.",
        "Fix the expression, or remove it; `plugboard clean` drops invalid patterns.",
    ),
    rule(
        pattern::PATTERN_DELIMITERS,
        Severity::Warning,
        "A `pattern` is written without `/.../flags` delimiters (they would match literally).",
        "Remove the delimiters; express flags in the pattern itself.",
    ),
    rule(
        scan::REQUIRED_DEFINED,
        Severity::Error,
        "Every name in a schema's `required` is defined in its `properties`.",
        "Define the property or remove the name from `required`; `plugboard clean` does one or the other.",
    ),
];

impl Report {
    /// `{"findings": [{"rule", "severity", "message", "line", "column", "pointer", "hint"}]}`,
    /// plus `"ignored": N` when a ruleset ignored findings.
    pub fn to_json(&self) -> Value {
        let mut value = json!({ "findings": self.findings });
        if !self.ignored.is_empty() {
            value["ignored"] = json!(self.ignored.len());
        }
        value
    }

    /// A SARIF 2.1.0 log with one run; `uri` names the linted file. Findings a ruleset ignored
    /// are results with an external suppression whose justification is the ignore's reason.
    pub fn to_sarif(&self, uri: &str) -> Value {
        let rules: Vec<Value> = RULES
            .iter()
            .map(|r| {
                json!({
                    "id": r.id,
                    "name": r.id,
                    "shortDescription": {"text": r.description},
                    "fullDescription": {"text": r.description},
                    "help": {"text": r.help},
                    "defaultConfiguration": {"level": sarif_level(r.severity)},
                })
            })
            .collect();
        let suppressed = self.ignored.iter().map(|i| (&i.finding, Some(&i.reason)));
        let results: Vec<Value> = self
            .findings
            .iter()
            .map(|f| (f, None))
            .chain(suppressed)
            .map(|(f, reason)| {
                let mut physical = json!({"artifactLocation": {"uri": uri}});
                if f.line > 0 {
                    physical["region"] = json!({
                        "startLine": f.line,
                        "startColumn": f.column.max(1),
                    });
                }
                let mut result = json!({
                    "ruleId": f.rule,
                    "level": sarif_level(f.severity),
                    "message": {"text": format!("{} Hint: {}", f.message, f.hint)},
                    "locations": [{
                        "physicalLocation": physical,
                        "logicalLocations": [{"fullyQualifiedName": f.pointer, "kind": "member"}],
                    }],
                });
                if let Some(index) = RULES.iter().position(|r| r.id == f.rule) {
                    result["ruleIndex"] = json!(index);
                }
                if let Some(reason) = reason {
                    result["suppressions"] = json!([{"kind": "external", "justification": reason}]);
                }
                result
            })
            .collect();
        json!({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [{
                "tool": {"driver": {
                    "name": "plugboard",
                    "version": env!("CARGO_PKG_VERSION"),
                    "informationUri": "https://example.invalid/plugboard",
                    "rules": rules,
                }},
                "artifacts": [{"location": {"uri": uri}}],
                "results": results,
            }],
        })
    }

    /// `uri:line:col: severity rule: message`, the source line with a `^` under the column,
    /// the pointer and the hint, then the [summary](Report::summary).
    pub fn to_human(&self, doc: &Document, uri: &str) -> String {
        let mut out = String::new();
        for f in &self.findings {
            if f.line > 0 {
                let _ = writeln!(
                    out,
                    "{uri}:{}:{}: {} {}: {}",
                    f.line,
                    f.column,
                    f.severity.as_str(),
                    f.rule,
                    f.message
                );
                if let Some(text) = doc.line_text(f.line) {
                    let (excerpt, marker) = excerpt(text, f.column);
                    let number = f.line.to_string();
                    let pad = " ".repeat(number.len());
                    let _ = writeln!(out, "  {number} | {excerpt}");
                    let _ = writeln!(out, "  {pad} | {}^", " ".repeat(marker));
                }
            } else {
                let _ = writeln!(
                    out,
                    "{uri}: {} {}: {}",
                    f.severity.as_str(),
                    f.rule,
                    f.message
                );
            }
            let pointer = if f.pointer.is_empty() {
                "(document root)"
            } else {
                &f.pointer
            };
            let _ = writeln!(out, "  at: {pointer}");
            let _ = writeln!(out, "  hint: {}", f.hint);
        }
        let _ = writeln!(out, "{}", self.summary());
        out
    }
}

fn sarif_level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// At most this many characters either side of the column (minified JSON has huge lines).
const CONTEXT: usize = 60;

/// The part of a line to show, and the marker's offset in it (columns are 1-based chars).
fn excerpt(text: &str, column: usize) -> (String, usize) {
    let index = column.saturating_sub(1);
    let start = index.saturating_sub(CONTEXT);
    let mut shown: String = text
        .chars()
        .skip(start)
        .take(2 * CONTEXT)
        .map(|c| if c == '\t' { ' ' } else { c })
        .collect();
    let mut marker = index - start;
    if start > 0 {
        shown.insert_str(0, "...");
        marker += 3;
    }
    if text.chars().count() > start + 2 * CONTEXT {
        shown.push_str("...");
    }
    (shown, marker)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_of_long_lines_keep_the_marker_on_the_column() {
        let line: String = std::iter::repeat_n('a', 500).collect::<String>() + "X" + "bbbb";
        let (shown, marker) = excerpt(&line, 501);
        assert_eq!(shown.chars().nth(marker), Some('X'));
        assert!(shown.starts_with("...") && shown.len() < 140);
        let (shown, marker) = excerpt("  get:", 3);
        assert_eq!((shown.as_str(), marker), ("  get:", 2));
    }

    #[test]
    fn rule_ids_are_unique() {
        let mut ids: Vec<_> = RULES.iter().map(|r| r.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), RULES.len());
    }
}
