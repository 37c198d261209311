//! Findings for CI systems: GitHub Actions workflow commands (annotations on the changed lines)
//! and JUnit XML (one test case per rule that ran, a failure per finding).

use super::output::RULES;
use super::{Report, Severity};

impl Report {
    /// One GitHub Actions workflow command per finding (`::error file=...,line=...,col=...,
    /// title=rule::message`): errors as errors, warnings as warnings, infos as notices.
    pub fn to_github(&self, uri: &str) -> String {
        let mut out = String::new();
        for finding in &self.findings {
            let level = match finding.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info => "notice",
            };
            let mut properties = format!("file={}", property(uri));
            if finding.line > 0 {
                properties.push_str(&format!(",line={}", finding.line));
                if finding.column > 0 {
                    properties.push_str(&format!(",col={}", finding.column));
                }
            }
            properties.push_str(&format!(",title={}", property(finding.rule)));
            let message = format!(
                "{} ({}) Hint: {}",
                finding.message, finding.pointer, finding.hint
            );
            out.push_str(&format!("::{level} {properties}::{}\n", data(&message)));
        }
        out
    }

    /// A JUnit XML report: a test suite for `uri` with a test case per rule, failed by each of
    /// its findings (message, severity, line, column, pointer and hint in the failure's text).
    pub fn to_junit(&self, uri: &str) -> String {
        let mut suite = quick_junit::TestSuite::new(uri);
        for rule in RULES {
            let findings: Vec<_> = self.findings.iter().filter(|f| f.rule == rule.id).collect();
            let status = if findings.is_empty() {
                quick_junit::TestCaseStatus::success()
            } else {
                let mut status =
                    quick_junit::TestCaseStatus::non_success(quick_junit::NonSuccessKind::Failure);
                status.set_message(format!("{} finding(s)", findings.len()));
                status.set_type(findings[0].severity.as_str());
                status.set_description(
                    findings
                        .iter()
                        .map(|f| {
                            format!(
                                "{uri}:{}:{}: {} {}: {} ({}) Hint: {}",
                                f.line,
                                f.column,
                                f.severity.as_str(),
                                f.rule,
                                f.message,
                                f.pointer,
                                f.hint
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("\n"),
                );
                status
            };
            let mut case = quick_junit::TestCase::new(rule.id, status);
            case.set_classname("plugboard.lint");
            suite.add_test_case(case);
        }
        let mut report = quick_junit::Report::new("plugboard lint");
        report.add_test_suite(suite);
        report
            .to_string()
            .unwrap_or_else(|e| format!("<!-- cannot write the JUnit report: {e} -->\n"))
    }
}

/// A workflow command's data: `%`, CR and LF escaped.
fn data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A workflow command's property value: as data, and `:` and `,` too.
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::Finding;

    fn report() -> Report {
        Report {
            findings: vec![Finding {
                rule: "operation-operationId",
                severity: Severity::Error,
                message: "GET /a, has no operationId: 100% sure".into(),
                line: 3,
                column: 5,
                pointer: "/paths/~1a/get".into(),
                hint: "Add one.\nOr run clean.".into(),
            }],
            ignored: Vec::new(),
        }
    }

    #[test]
    fn github_annotations_escape_what_the_runner_would_misread() {
        let text = report().to_github("specs/a,b.yaml");
        assert_eq!(
            text,
            "::error file=specs/a%2Cb.yaml,line=3,col=5,title=operation-operationId::GET /a, has \
             no operationId: 100%25 sure (/paths/~1a/get) Hint: Add one.%0AOr run clean.\n"
        );
    }

    #[test]
    fn junit_has_a_case_per_rule_and_a_failure_per_finding_rule() {
        let xml = report().to_junit("a.yaml");
        assert!(xml.contains(r#"<testsuite name="a.yaml""#), "{xml}");
        assert!(
            xml.contains(&format!(r#"tests="{}""#, RULES.len())),
            "{xml}"
        );
        assert!(xml.contains(r#"failures="1""#), "{xml}");
        assert!(
            xml.contains("a.yaml:3:5: error operation-operationId"),
            "{xml}"
        );
    }
}
