//! Rulesets: a `.plugboard-lint.yaml` file that turns rules off, changes their severity and
//! ignores single findings, with a reason (Spectral's rulesets and overrides, vacuum's ignore
//! file).
//!
//! ```yaml
//! rules:
//!   info-description: off          # off | error | warn | info
//!   path-keys-no-trailing-slash: warn
//! ignore:
//!   - rule: operation-operationId
//!     pointer: "/paths/~1legacy~1*"
//!     reason: the legacy API is frozen
//! ```
//!
//! An ignore's `pointer` is a glob over the finding's JSON pointer, written escaped as the
//! findings show it (`~1` for `/` in a path key): `*` matches any characters except `/` (within
//! one segment), `**` matches anything, every other character is itself (so `{id}` and `[0]` need
//! no escaping, unlike in globset's syntax). It matches a finding at the pointer or anywhere
//! below it. A leading `#` (the URI fragment form) is allowed.
//!
//! Unknown keys and rule ids, a bad severity and an ignore without a reason are errors that name
//! the file and the line.

use std::collections::HashMap;

use serde::Deserialize;
use serde_saphyr::{Location, MessageFormatter as _, Spanned, UserMessageFormatter};

use super::{Finding, Report, Severity, output::RULES};
use crate::{Error, Result};

/// The ruleset's file name, looked up from the spec's directory upward.
pub const RULESET_FILE: &str = ".plugboard-lint.yaml";

/// A parsed ruleset: severity changes and ignores to apply to a [`Report`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ruleset {
    /// Rule id and its new severity (`None`: the rule is off).
    severities: Vec<(&'static str, Option<Severity>)>,
    /// Findings to leave out, with why.
    ignores: Vec<Ignore>,
}

/// One `ignore` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Ignore {
    rule: &'static str,
    pointer: PointerGlob,
    reason: String,
}

/// A finding the ruleset ignored, and the reason it gives.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Ignored {
    /// The finding (with the severity the ruleset gave it).
    pub finding: Finding,
    /// The ignore's `reason`.
    pub reason: String,
}

/// The file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRuleset {
    /// Absent or empty (`rules:` with every line commented out) is no changes.
    #[serde(default)]
    rules: Option<HashMap<Spanned<String>, Level>>,
    #[serde(default)]
    ignore: Option<Vec<RawIgnore>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIgnore {
    rule: Spanned<String>,
    pointer: Spanned<String>,
    reason: Option<Spanned<String>>,
}

/// A rule's level in the file.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Level {
    Off,
    Error,
    #[serde(alias = "warning")]
    Warn,
    Info,
}

impl Ruleset {
    /// Parses a ruleset; `file` names it in errors ([`Error::Ruleset`]). An empty file is an
    /// empty ruleset.
    pub fn parse(text: &str, file: &str) -> Result<Ruleset> {
        let raw: Option<RawRuleset> = serde_saphyr::from_str(text).map_err(|e| {
            // The message alone: the location goes in front, as for the other errors.
            let message = UserMessageFormatter.format_message(e.without_snippet());
            error(file, e.location().unwrap_or(Location::UNKNOWN), message)
        })?;
        let Some(raw) = raw else {
            return Ok(Ruleset::default());
        };
        let mut rules: Vec<_> = raw.rules.unwrap_or_default().into_iter().collect();
        rules.sort_by_key(|(id, _)| (id.referenced.line(), id.referenced.column()));
        let mut severities = Vec::with_capacity(rules.len());
        for (id, level) in rules {
            let rule = known_rule(file, &id, "`rules`")?;
            let severity = match level {
                Level::Off => None,
                Level::Error => Some(Severity::Error),
                Level::Warn => Some(Severity::Warning),
                Level::Info => Some(Severity::Info),
            };
            severities.push((rule, severity));
        }
        let raw_ignores = raw.ignore.unwrap_or_default();
        let mut ignores = Vec::with_capacity(raw_ignores.len());
        for entry in raw_ignores {
            let rule = known_rule(file, &entry.rule, "`ignore`")?;
            let reason = match entry.reason {
                Some(reason) if !reason.value.trim().is_empty() => reason.value,
                Some(reason) => {
                    return Err(error(
                        file,
                        reason.referenced,
                        format!("the ignore of `{rule}` has an empty `reason`: say why"),
                    ));
                }
                None => {
                    return Err(error(
                        file,
                        entry.rule.referenced,
                        format!(
                            "the ignore of `{rule}` has no `reason`: say why the findings are \
                             ignored"
                        ),
                    ));
                }
            };
            let pointer = PointerGlob::new(&entry.pointer.value)
                .map_err(|message| error(file, entry.pointer.referenced, message))?;
            ignores.push(Ignore {
                rule,
                pointer,
                reason,
            });
        }
        Ok(Ruleset {
            severities,
            ignores,
        })
    }

    /// Applies the ruleset: drops the findings of rules that are off, sets the severities it
    /// changes, and moves the findings it ignores to [`Report::ignored`].
    pub fn apply(&self, report: &mut Report) {
        let findings = std::mem::take(&mut report.findings);
        for mut finding in findings {
            if let Some((_, severity)) = self.severities.iter().find(|(id, _)| *id == finding.rule)
            {
                match severity {
                    Some(severity) => finding.severity = *severity,
                    None => continue,
                }
            }
            match self
                .ignores
                .iter()
                .find(|i| i.rule == finding.rule && i.pointer.matches(&finding.pointer))
            {
                Some(ignore) => report.ignored.push(Ignored {
                    finding,
                    reason: ignore.reason.clone(),
                }),
                None => report.findings.push(finding),
            }
        }
    }
}

/// An [`Error::Ruleset`]; control characters in the message (from the file) become spaces.
fn error(file: &str, location: Location, message: impl AsRef<str>) -> Error {
    Error::Ruleset {
        file: file.to_owned(),
        line: usize::try_from(location.line()).unwrap_or(0),
        column: usize::try_from(location.column()).unwrap_or(0),
        message: message
            .as_ref()
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect(),
    }
}

/// The catalogue's id for `id`, or an error naming the nearest one and listing them all.
fn known_rule(file: &str, id: &Spanned<String>, section: &str) -> Result<&'static str> {
    if let Some(rule) = RULES.iter().find(|r| r.id == id.value) {
        return Ok(rule.id);
    }
    let ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
    let nearest = super::scan::near_match(&id.value, &ids).or_else(|| {
        ids.iter()
            .map(|known| (distance(&id.value, known), *known))
            .filter(|(d, _)| *d <= 3)
            .min_by_key(|(d, _)| *d)
            .map(|(_, known)| known)
    });
    let suggestion = nearest.map_or(String::new(), |n| format!(" (did you mean `{n}`?)"));
    Err(error(
        file,
        id.referenced,
        format!(
            "unknown rule `{}` in {section}{suggestion}; the rules are: {}",
            id.value,
            ids.join(", ")
        ),
    ))
}

/// Levenshtein distance in characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

/// A glob over escaped JSON pointers: `*` is any run of characters but `/`, `**` any run at all,
/// everything else literal. Matches the pointer itself or anything below it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PointerGlob(Vec<Token>);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    Byte(u8),
    /// `*`: within a segment.
    Star,
    /// `**`: across segments.
    Globstar,
}

impl PointerGlob {
    /// Compiles `pattern` (a leading `#` is dropped); it must be empty or start with `/` or `*`.
    pub(crate) fn new(pattern: &str) -> Result<PointerGlob, String> {
        let pattern = pattern.strip_prefix('#').unwrap_or(pattern);
        if !(pattern.is_empty() || pattern.starts_with('/') || pattern.starts_with('*')) {
            return Err(format!(
                "the pointer `{pattern}` is not a JSON pointer: it starts with `/` (e.g. \
                 `/paths/~1users/get`)"
            ));
        }
        let bytes = pattern.as_bytes();
        let mut tokens = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'*' {
                let run = bytes[i..].iter().take_while(|b| **b == b'*').count();
                tokens.push(if run == 1 {
                    Token::Star
                } else {
                    Token::Globstar
                });
                i += run;
            } else {
                tokens.push(Token::Byte(bytes[i]));
                i += 1;
            }
        }
        Ok(PointerGlob(tokens))
    }

    /// Whether the glob matches `pointer` or one of its ancestors.
    pub(crate) fn matches(&self, pointer: &str) -> bool {
        let text = pointer.as_bytes();
        // matched[j]: the tokens so far match text[..j].
        let mut matched = vec![false; text.len() + 1];
        matched[0] = true;
        for token in &self.0 {
            let mut next = vec![false; text.len() + 1];
            for j in 0..=text.len() {
                next[j] = match token {
                    Token::Byte(b) => j > 0 && matched[j - 1] && text[j - 1] == *b,
                    Token::Star => matched[j] || (j > 0 && next[j - 1] && text[j - 1] != b'/'),
                    Token::Globstar => matched[j] || (j > 0 && next[j - 1]),
                };
            }
            matched = next;
        }
        (0..=text.len()).any(|j| matched[j] && (j == text.len() || text[j] == b'/'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glob(pattern: &str) -> PointerGlob {
        PointerGlob::new(pattern).expect("glob")
    }

    #[test]
    fn star_stays_in_a_segment_and_globstar_crosses() {
        let legacy = glob("/paths/~1legacy~1*");
        assert!(legacy.matches("/paths/~1legacy~1users"));
        // `~1` is part of the segment: `*` runs over it.
        assert!(legacy.matches("/paths/~1legacy~1users~1{id}"));
        // Below a match.
        assert!(legacy.matches("/paths/~1legacy~1users/get"));
        assert!(!legacy.matches("/paths/~1legacy"));
        assert!(!legacy.matches("/paths/~1current~1users/get"));

        let get = glob("/paths/*/get");
        assert!(get.matches("/paths/~1a~1{id}/get"));
        assert!(get.matches("/paths/~1a/get/operationId"));
        assert!(!get.matches("/paths/~1a/post"));
        assert!(!get.matches("/paths/~1a/x/get"));

        let deep = glob("/components/**/pattern");
        assert!(deep.matches("/components/schemas/Pet/properties/id/pattern"));
        assert!(!deep.matches("/components/schemas/Pet/properties/id/type"));
        assert!(glob("**").matches("/anything/at/all"));
        assert!(glob("").matches("/info"));
    }

    #[test]
    fn globs_match_whole_segments_and_literal_braces() {
        let exact = glob("/paths/~1pets~1{petId}");
        assert!(exact.matches("/paths/~1pets~1{petId}"));
        assert!(exact.matches("/paths/~1pets~1{petId}/get"));
        assert!(!exact.matches("/paths/~1pets~1{petId}s"));
        assert!(!exact.matches("/paths/~1pets"));
        assert!(glob("#/info").matches("/info/description"));
        assert!(glob("/paths/~1a*").matches("/paths/~1a~1b"));
        assert!(!glob("/paths/~1a*").matches("/paths/~1b"));
        assert!(PointerGlob::new("paths/x").is_err());
    }

    const FILE: &str = "lint.yaml";

    fn parse_err(text: &str) -> String {
        Ruleset::parse(text, FILE)
            .expect_err("an error")
            .to_string()
    }

    fn finding(rule: &'static str, severity: Severity, pointer: &str) -> Finding {
        Finding::new(rule, severity, pointer, "m", "h")
    }

    #[test]
    fn apply_turns_off_changes_and_ignores() {
        let ruleset = Ruleset::parse(
            "rules:\n  info-description: off\n  path-keys-no-trailing-slash: warn\n  \
             import-changed: error\nignore:\n  - rule: operation-operationId\n    \
             pointer: \"/paths/~1legacy~1*\"\n    reason: frozen\n",
            FILE,
        )
        .expect("ruleset");
        let mut report = Report {
            findings: vec![
                finding("info-description", Severity::Error, "/info"),
                finding(
                    "path-keys-no-trailing-slash",
                    Severity::Error,
                    "/paths/~1a~1",
                ),
                finding("import-changed", Severity::Info, ""),
                finding(
                    "operation-operationId",
                    Severity::Error,
                    "/paths/~1legacy~1a/get",
                ),
                finding("operation-operationId", Severity::Error, "/paths/~1new/get"),
            ],
            ignored: Vec::new(),
        };
        ruleset.apply(&mut report);
        let left: Vec<_> = report
            .findings
            .iter()
            .map(|f| (f.rule, f.severity, f.pointer.as_str()))
            .collect();
        assert_eq!(
            left,
            vec![
                (
                    "path-keys-no-trailing-slash",
                    Severity::Warning,
                    "/paths/~1a~1"
                ),
                ("import-changed", Severity::Error, ""),
                ("operation-operationId", Severity::Error, "/paths/~1new/get"),
            ]
        );
        assert_eq!(report.ignored.len(), 1);
        assert_eq!(report.ignored[0].finding.pointer, "/paths/~1legacy~1a/get");
        assert_eq!(report.ignored[0].reason, "frozen");
    }

    #[test]
    fn empty_files_are_empty_rulesets() {
        assert_eq!(Ruleset::parse("", FILE), Ok(Ruleset::default()));
        assert_eq!(Ruleset::parse("# nothing\n", FILE), Ok(Ruleset::default()));
        assert_eq!(Ruleset::parse("rules: {}\n", FILE), Ok(Ruleset::default()));
        assert_eq!(
            Ruleset::parse("rules:\n  # info-description: off\nignore:\n", FILE),
            Ok(Ruleset::default())
        );
    }

    #[test]
    fn errors_name_the_file_line_and_what_is_wrong() {
        let err = parse_err("rules:\n  info-description: off\n  operation-operationid: warn\n");
        assert!(
            err.starts_with("lint.yaml:3:3: unknown rule `operation-operationid`"),
            "{err}"
        );
        assert!(
            err.contains("did you mean `operation-operationId`?"),
            "{err}"
        );
        assert!(err.contains("oas-version, oas2-convertible"), "{err}");

        let err =
            parse_err("ignore:\n  - rule: info-descriptoin\n    pointer: /info\n    reason: x\n");
        assert!(
            err.starts_with("lint.yaml:2:11: unknown rule `info-descriptoin` in `ignore`"),
            "{err}"
        );
        assert!(err.contains("did you mean `info-description`?"), "{err}");

        let err = parse_err("ignore:\n  - rule: info-description\n    pointer: /info\n");
        assert!(err.starts_with("lint.yaml:2:"), "{err}");
        assert!(
            err.contains("the ignore of `info-description` has no `reason`"),
            "{err}"
        );
        let err =
            parse_err("ignore:\n  - rule: info-description\n    pointer: /info\n    reason: ' '\n");
        assert!(err.contains("empty `reason`"), "{err}");

        let err = parse_err("rules:\n  info-description: fatal\n");
        assert!(
            err.starts_with("lint.yaml:2:21: unknown variant `fatal`"),
            "{err}"
        );
        assert!(!err.contains("at line"), "{err}");
        let err = parse_err("rules:\n  info-description: off\n  info-description: warn\n");
        assert!(
            err.starts_with("lint.yaml:3:3: duplicate mapping key"),
            "{err}"
        );

        let err = parse_err("rule:\n  info-description: off\n");
        assert!(err.starts_with("lint.yaml:1:"), "{err}");
        assert!(err.contains("rule"), "{err}");
        let err = parse_err(
            "ignore:\n  - rule: info-description\n    pointer: /info\n    reason: x\n    until: 2026\n",
        );
        assert!(err.contains("until"), "{err}");
        let err =
            parse_err("ignore:\n  - rule: info-description\n    pointer: info\n    reason: x\n");
        assert!(
            err.starts_with("lint.yaml:3:14: the pointer `info`"),
            "{err}"
        );
    }

    #[test]
    fn edit_distance() {
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("same", "same"), 0);
    }
}
