//! Reading a spec: JSON or YAML 1.2 text -> a JSON value plus the source position of every
//! value (by JSON pointer), within reading budgets.
//!
//! - Text whose first non-blank character is `{` or `[` is read as JSON (RFC 8259, strict: no
//!   comments or trailing commas), anything else as YAML 1.2 (core schema). A byte-order mark is
//!   skipped. The top level must be a mapping.
//! - Duplicate mapping keys are a syntax error (at the second key), in JSON and YAML alike: a spec
//!   with duplicate keys is broken and readers disagree on which one wins.
//! - Numbers: integers stay integers (`u64`/`i64`, larger ones become floats).
//! - Positions: [`Document::position`] gives where a member's *key* starts (for array items and
//!   the root: where the value starts), [`Document::value_position`] where the value itself
//!   starts. Lines are 1-based; columns are 1-based and count characters, not bytes. Line breaks
//!   are `\n`, `\r\n` and a lone `\r`.
//! - Budgets ([`Budget`]) are checked while reading: the size before anything else, the nesting
//!   depth at each opening (no recursion: a 100,000-deep `[[[[` is a clean error), the YAML alias
//!   copies before copying.
//!
//! Cost: each value costs 16 bytes of position index (a hash of its pointer and two offsets);
//! columns are computed on request, in time bounded independently of the line's length.

mod index;
mod json;
mod yaml;

use serde_json::Value;

use crate::{Error, Result};
use index::{Index, IndexBuilder, LineTable};

/// The input's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// JSON.
    Json,
    /// YAML 1.2.
    Yaml,
}

/// Writes a spec as pretty JSON or YAML, ending with a newline (repair and convert keep the
/// user's format this way).
pub fn render(value: &Value, format: Format) -> Result<String> {
    let written = match format {
        Format::Json => serde_json::to_string_pretty(value).map_err(|e| Error::Render {
            format: "JSON",
            message: e.to_string(),
        }),
        Format::Yaml => serde_saphyr::to_string(value).map_err(|e| Error::Render {
            format: "YAML",
            message: e.to_string(),
        }),
    };
    let mut text = written?;
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Ok(text)
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
    /// Largest input in bytes (never more than 4 GiB).
    pub max_bytes: usize,
    /// Deepest nesting of objects and arrays (the top-level mapping is depth 1).
    pub max_depth: usize,
    /// Most values copied for YAML anchors and aliases, in total: an anchored node is copied
    /// once when it is defined and once for each alias of it (a scalar is 1 value, a mapping
    /// with 3 scalar members is 4). Checked before copying, so a "billion laughs" alias bomb
    /// fails at once.
    pub max_alias_expansions: usize,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            max_bytes: 256 << 20,
            max_depth: 512,
            max_alias_expansions: 1_000_000,
        }
    }
}

/// Why a reader stopped (offsets are turned into lines and columns by [`Document::parse_with`]).
enum Fail {
    Syntax { offset: usize, message: String },
    Budget { what: &'static str, limit: usize },
}

impl Fail {
    fn depth(limit: usize) -> Fail {
        Fail::Budget {
            what: "nesting depth",
            limit,
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
    lines: LineTable,
    index: Index,
}

impl Document {
    /// Parses JSON or YAML text (a byte-order mark is skipped) with the default budget.
    pub fn parse(text: &str) -> Result<Document> {
        Self::parse_with(text, &Budget::default())
    }

    /// Parses with an explicit budget.
    pub fn parse_with(text: &str, budget: &Budget) -> Result<Document> {
        let max_bytes = budget.max_bytes.min(u32::MAX as usize);
        if text.len() > max_bytes {
            return Err(Error::Budget {
                what: "size in bytes".into(),
                limit: max_bytes,
            });
        }
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let lines = LineTable::new(text);
        let mut builder = IndexBuilder::default();
        let looks_like_json = text.trim_start().starts_with(['{', '[']);
        let (format, name) = if looks_like_json {
            (Format::Json, "JSON")
        } else {
            (Format::Yaml, "YAML")
        };
        let parsed = match format {
            Format::Json => json::parse(text, budget.max_depth, &mut builder),
            Format::Yaml => yaml::parse(text, &lines, budget, &mut builder),
        };
        let value = parsed.map_err(|fail| match fail {
            Fail::Syntax { offset, message } => {
                let Position { line, column } = lines.position(text, offset);
                Error::Syntax {
                    format: name,
                    message,
                    line,
                    column,
                }
            }
            Fail::Budget { what, limit } => Error::Budget {
                what: what.into(),
                limit,
            },
        })?;
        if let Some(error) = Error::unless_mapping(&value) {
            return Err(error);
        }
        Ok(Document {
            value,
            format,
            text: text.to_string(),
            lines,
            index: builder.finish(),
        })
    }

    /// The document's value; the text and the position index are freed.
    pub fn into_value(self) -> Value {
        self.value
    }

    /// A document built in memory: no source text, so no positions.
    pub fn from_value(value: Value) -> Document {
        Document {
            value,
            format: Format::Json,
            text: String::new(),
            lines: LineTable::default(),
            index: Index::default(),
        }
    }

    /// Where the value at a JSON pointer is written: for an object member, where its key starts;
    /// for an array item or the root, where the value starts. The nearest ancestor's position
    /// when the exact value has none (a value added after parsing). Under a YAML alias, the
    /// position in the anchored text. `None` for a document without positions or an invalid
    /// pointer. A URI fragment (`#/paths/~1pets`, percent-encoded) is accepted too.
    pub fn position(&self, pointer: &str) -> Option<Position> {
        let (key, _) = self.index.locate(pointer)?;
        Some(self.lines.position(&self.text, key as usize))
    }

    /// Like [`Document::position`], but where the value itself starts (for a member: after its
    /// key; for a YAML block mapping or sequence: its first entry).
    pub fn value_position(&self, pointer: &str) -> Option<Position> {
        let (_, value) = self.index.locate(pointer)?;
        Some(self.lines.position(&self.text, value as usize))
    }

    /// The text of a 1-based line (for showing a finding on its source line), without its line
    /// break.
    pub fn line_text(&self, line: usize) -> Option<&str> {
        self.lines.line(&self.text, line)
    }

    /// The source text (without a byte-order mark); empty for [`Document::from_value`].
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Number of values with a recorded position.
    pub fn positions_len(&self) -> usize {
        self.index.len()
    }

    /// Heap bytes used by positions (the index and the line table), for measuring.
    pub fn positions_heap_bytes(&self) -> usize {
        self.index.heap_bytes() + self.lines.heap_bytes()
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
