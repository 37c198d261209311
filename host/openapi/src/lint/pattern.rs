//! `pattern` validation with an ECMAScript (ECMA-262) engine, as OpenAPI specifies: lookahead
//! and the other ECMAScript constructs Rust's `regex` lacks are valid. Each distinct pattern
//! string is compiled once.

use std::collections::HashMap;

use super::{Finding, Severity};

/// A `pattern` that is not a valid ECMA-262 regular expression.
pub(crate) const PATTERN_VALID: &str = "schema-pattern-valid";
/// A `pattern` written with `/.../flags` delimiters.
pub(crate) const PATTERN_DELIMITERS: &str = "schema-pattern-delimiters";

/// What is wrong with a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Problem {
    /// Not valid ECMA-262: the reason.
    Invalid(String),
    /// Written as `/body/flags`: the body and the flags.
    Delimited { body: String, flags: String },
}

/// Compiles each distinct pattern once and remembers the verdict.
#[derive(Debug, Default)]
pub(crate) struct PatternCache {
    verdicts: HashMap<String, Option<Problem>>,
}

impl PatternCache {
    /// The problem with `pattern`, if any.
    pub(crate) fn problem(&mut self, pattern: &str) -> Option<Problem> {
        if let Some(verdict) = self.verdicts.get(pattern) {
            return verdict.clone();
        }
        let verdict = diagnose(pattern);
        self.verdicts.insert(pattern.to_string(), verdict.clone());
        verdict
    }

    /// The finding for the pattern at `pointer`, if any.
    pub(crate) fn check(&mut self, pointer: &str, pattern: &str) -> Option<Finding> {
        Some(match self.problem(pattern)? {
            Problem::Invalid(reason) => Finding::new(
                PATTERN_VALID,
                Severity::Error,
                pointer,
                format!(
                    "`pattern` {} is not a valid ECMA-262 regular expression: {reason}",
                    quote(pattern)
                ),
                "fix the expression (OpenAPI patterns are ECMA-262, written without `/` delimiters), \
                 or remove it (`plugboard clean` drops invalid patterns)",
            ),
            Problem::Delimited { body, flags } => Finding::new(
                PATTERN_DELIMITERS,
                Severity::Warning,
                pointer,
                format!(
                    "`pattern` {} is written with `/` delimiters{}: they are matched literally",
                    quote(pattern),
                    if flags.is_empty() {
                        String::new()
                    } else {
                        format!(" and flags `{flags}`")
                    }
                ),
                if flags.is_empty() {
                    format!("write the pattern without delimiters: {}", quote(&body))
                } else {
                    format!(
                        "write the pattern without delimiters: {} (flags cannot be given; for `i` spell out both cases, e.g. `[a-zA-Z]`)",
                        quote(&body)
                    )
                },
            ),
        })
    }
}

/// A pattern shown in a message: quoted, shortened when long.
fn quote(pattern: &str) -> String {
    const MAX: usize = 80;
    if pattern.chars().count() <= MAX {
        format!("`{pattern}`")
    } else {
        let head: String = pattern.chars().take(MAX).collect();
        format!("`{head}...`")
    }
}

fn diagnose(pattern: &str) -> Option<Problem> {
    if let Some((body, flags)) = delimited(pattern) {
        return Some(Problem::Delimited {
            body: body.to_string(),
            flags: flags.to_string(),
        });
    }
    // Valid with or without the `u` flag: `\p{L}` needs it, `\-` outside a class refuses it.
    let plain = regress::Regex::new(pattern);
    if plain.is_ok() || regress::Regex::with_flags(pattern, "u").is_ok() {
        return None;
    }
    let reason = match plain {
        Err(e) => explain(pattern, &e.to_string()),
        Ok(_) => return None,
    };
    Some(Problem::Invalid(reason))
}

/// `/body/flags` with a non-empty body that is itself valid, and only ECMAScript flags.
fn delimited(pattern: &str) -> Option<(&str, &str)> {
    let rest = pattern.strip_prefix('/')?;
    let end = rest.rfind('/')?;
    let (body, flags) = (&rest[..end], &rest[end + 1..]);
    if body.is_empty() || !flags.chars().all(|c| "dgimsuvy".contains(c)) {
        return None;
    }
    // `/a/b/` as a real path-like pattern is valid ECMA-262 and matches literally; treat it as
    // delimited only if the body is a valid regex.
    let valid = regress::Regex::new(body).is_ok() || regress::Regex::with_flags(body, "u").is_ok();
    valid.then_some((body, flags))
}

/// A clearer reason for the engine's message, naming the offending part where it can.
fn explain(pattern: &str, message: &str) -> String {
    if (message.contains("Invalid character range") || message.contains("Range values reversed"))
        && let Some(range) = reversed_range(pattern)
    {
        return format!("character range `{range}` is out of order");
    }
    if message.contains("Unbalanced bracket") {
        return "unterminated character class: a `[` has no closing `]`".into();
    }
    if message.contains("Unbalanced parenthesis") {
        return "unbalanced parenthesis: a `(` or `)` has no partner".into();
    }
    if message.contains("Nothing to repeat")
        || message.contains("Quantifier not allowed")
        || message.contains("Invalid quantifier")
    {
        return format!(
            "{message}: a quantifier (`*`, `+`, `?`, `{{n}}`) follows nothing it can repeat"
        );
    }
    if message.contains("Incomplete escape") || message.contains("Unterminated escape") {
        return format!("{message}: the pattern ends with a lone `\\`");
    }
    message.to_string()
}

/// The first `x-y` range inside a class with `x > y`.
fn reversed_range(pattern: &str) -> Option<String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut in_class = false;
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 1,
            '[' if !in_class => in_class = true,
            ']' if in_class => in_class = false,
            c if in_class
                && i + 2 < chars.len()
                && chars[i + 1] == '-'
                && chars[i + 2] != ']'
                && chars[i + 2] != '\\'
                && c > chars[i + 2] =>
            {
                return Some(format!("{c}-{}", chars[i + 2]));
            }
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(pattern: &str) -> Option<Problem> {
        PatternCache::default().problem(pattern)
    }

    #[test]
    fn ecmascript_constructs_are_valid() {
        for ok in [
            "^(?=.*[A-Z])(?=.*\\d).{8,}$",
            "^\\d{3}\\-\\d{4}$",
            "^\\p{L}+$",
            "(?<year>\\d{4})-\\k<year>",
            "^/api/v1/.*$",
            "a/b",
        ] {
            assert_eq!(problem(ok), None, "{ok}");
        }
    }

    #[test]
    fn reasons_name_the_problem() {
        assert_eq!(
            problem("^[z-a]+$"),
            Some(Problem::Invalid(
                "character range `z-a` is out of order".into()
            ))
        );
        match problem("^[a-z+$") {
            Some(Problem::Invalid(reason)) => assert!(reason.contains("unterminated"), "{reason}"),
            other => panic!("{other:?}"),
        }
        match problem("(abc") {
            Some(Problem::Invalid(reason)) => assert!(reason.contains("parenthesis"), "{reason}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn delimiters_are_a_warning() {
        assert_eq!(
            problem("/^[a-z]+$/i"),
            Some(Problem::Delimited {
                body: "^[a-z]+$".into(),
                flags: "i".into()
            })
        );
        let mut cache = PatternCache::default();
        let finding = cache.check("/p", "/^a$/").expect("finding");
        assert_eq!(finding.severity, Severity::Warning);
        assert!(finding.hint.contains("`^a$`"), "{}", finding.hint);
    }
}
