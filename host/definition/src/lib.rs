//! The Plugboard integration definition: the single source of truth for an integration.
//!
//! A definition is versioned JSON (`"definition_version": 1`). Importers and the manual builder
//! produce it; finalize (`plugboard-bundle`) consumes it. Field names follow the wizard of the
//! product Plugboard models (hostname, API Key Header Name, Results Key, Page Size Param, ...).
//!
//! ```
//! let json = r#"{"definition_version": 1, "name": "Demo", "description": "A demo API",
//!   "hostname": "api.example.com", "actions": [
//!   {"id": "list_users", "name": "List users", "method": "GET", "path": "/users"}]}"#;
//! let definition = plugboard_definition::Definition::from_json(json).unwrap();
//! assert_eq!(definition.actions[0].id, "list_users");
//! ```

mod action_schema;
pub mod edit;
mod model;
mod oauth;
mod resolve;
mod validate;

pub use action_schema::{
    BODY_INPUT_KEY, InputSchema, OutputSchema, SHARED_SCHEMA_PREFIX, follow_shared, input_schema,
    output_schema, shared_schema_name,
};
pub use model::*;
pub use oauth::*;
pub use plugboard_manifest::Problem;
pub use plugboard_manifest::rules::{
    BodyEncoding, host_template, is_media_type, is_token, json_kind, parameter_styles,
};

/// The definition format version this crate reads and writes.
pub const DEFINITION_VERSION: u32 = 1;

/// Errors from reading or validating a definition.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The text is not JSON, or does not have the definition's shape.
    #[error("{path}: {message} (line {line}, column {column})")]
    Parse {
        /// JSON path of the offending value (`$` for the document).
        path: String,
        /// What is wrong.
        message: String,
        /// 1-based line in the input.
        line: usize,
        /// 1-based column in the input.
        column: usize,
    },
    /// `definition_version` is missing or names a version this build does not know.
    #[error(
        "unsupported definition_version {found}: this build reads version {DEFINITION_VERSION}"
    )]
    UnsupportedVersion {
        /// The version found, as written.
        found: String,
    },
    /// The definition parsed but breaks one or more rules; every problem is listed.
    #[error("the definition has {} problem(s):\n{}", .0.len(), Problem::list(.0))]
    Invalid(Vec<Problem>),
    /// An editing operation was refused (unknown action id, value out of range, bad SVG, ...).
    #[error("{field}: {message}")]
    Edit {
        /// What was being edited: a field, flag or action id.
        field: String,
        /// What is wrong and what is allowed.
        message: String,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Definition {
    /// Parses a definition from JSON text and validates it.
    pub fn from_json(text: &str) -> Result<Definition> {
        let definition = Self::parse_unchecked(text)?;
        definition.validate()?;
        Ok(definition)
    }

    /// Parses a definition without validating it (validation is [`Definition::validate`]).
    pub fn parse_unchecked(text: &str) -> Result<Definition> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
            let mut error = parse_error("$".into(), &e);
            if let Error::Parse { message, .. } = &mut error {
                *message = format!("not valid JSON: {message}");
            }
            error
        })?;
        // serde would read a struct from a JSON array too (fields by position): refuse that.
        let Some(object) = value.as_object() else {
            let start = text.len() - text.trim_start().len();
            let line = 1 + text[..start].matches('\n').count();
            let column = 1 + text[..start]
                .rsplit('\n')
                .next()
                .map_or(0, |l| l.chars().count());
            return Err(Error::Parse {
                path: "$".into(),
                message: format!(
                    "the definition must be a JSON object, found {}",
                    json_kind(&value)
                ),
                line,
                column,
            });
        };
        match object.get("definition_version") {
            Some(v) if v.as_u64() == Some(u64::from(DEFINITION_VERSION)) => {}
            Some(v) => {
                return Err(Error::UnsupportedVersion {
                    found: v.to_string(),
                });
            }
            None => {
                return Err(Error::UnsupportedVersion {
                    found: "(missing)".into(),
                });
            }
        }
        let mut deserializer = serde_json::Deserializer::from_str(text);
        serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
            let path = json_path(e.path());
            parse_error(path, e.inner())
        })
    }

    /// Checks every rule and returns all problems at once.
    pub fn validate(&self) -> Result<()> {
        let problems = validate::problems(self);
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Error::Invalid(problems))
        }
    }

    /// Serializes the definition as pretty JSON.
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// The published JSON Schema of the definition format, as pretty JSON.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(Definition);
    serde_json::to_string_pretty(&schema).unwrap_or_default()
}

/// A [`Error::Parse`] from a serde_json error. serde_json's Display ends with
/// ` at line L column C`; the location is kept in `line` and `column` (and printed once).
fn parse_error(path: String, error: &serde_json::Error) -> Error {
    let (line, column) = (error.line(), error.column());
    let text = error.to_string();
    let suffix = format!(" at line {line} column {column}");
    let message = text.strip_suffix(&suffix).unwrap_or(&text).to_string();
    Error::Parse {
        path,
        message,
        line,
        column,
    }
}

/// Renders a serde_path_to_error path as a JSON path (`$.actions[2].path`).
fn json_path(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::from("$");
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => push_member(&mut out, key),
            Segment::Unknown => out.push_str(".?"),
        }
    }
    out
}

/// Appends object member `key` to a JSON path: `.key` for plain names, `['key']` otherwise
/// (names with spaces, dots, quotes, ...).
pub(crate) fn push_member(path: &mut String, key: &str) {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '$');
    if plain {
        path.push('.');
        path.push_str(key);
    } else {
        path.push_str("['");
        for c in key.chars() {
            if c == '\\' || c == '\'' {
                path.push('\\');
            }
            path.push(c);
        }
        path.push_str("']");
    }
}
