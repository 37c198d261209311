//! The crate's one error type.

/// Errors from reading, converting, linting, repairing or importing a spec.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The text is not well-formed JSON or YAML 1.2 (or uses YAML the reader refuses).
    #[error("{format} syntax error at line {line}, column {column}: {message}")]
    Syntax {
        /// `JSON` or `YAML`.
        format: &'static str,
        /// What is wrong.
        message: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// The input exceeds a reading budget (size, nesting depth, alias expansions).
    #[error("the spec exceeds the {what} limit of {limit}")]
    Budget {
        /// Which budget (`size in bytes`, `nesting depth`, `alias expansions`, ...).
        what: String,
        /// The limit.
        limit: usize,
    },
    /// The document is not a mapping (object) at the top level.
    #[error("a spec must be a JSON object / YAML mapping at the top level, found {found}")]
    NotAMapping {
        /// What was found instead.
        found: String,
    },
    /// Neither `openapi: 3.0.x / 3.1.x` nor `swagger: "2.0"`.
    #[error(
        "unsupported spec version {found}: Plugboard reads OpenAPI 3.0.x, 3.1.x and Swagger 2.0"
    )]
    UnknownVersion {
        /// The version found, or `(missing)`.
        found: String,
    },
    /// Swagger 2.0 to OpenAPI 3.0 conversion failed at a place in the source.
    #[error("cannot convert {pointer}: {message}")]
    Convert {
        /// JSON pointer in the Swagger 2.0 document.
        pointer: String,
        /// What is wrong.
        message: String,
    },
    /// Import into a definition failed at a place in the spec.
    #[error("cannot import {}: {message}", if pointer.is_empty() { "the spec" } else { pointer })]
    Import {
        /// JSON pointer in the (converted) spec.
        pointer: String,
        /// What is wrong.
        message: String,
    },
    /// An option given by the caller is invalid (a bad glob, say).
    #[error("invalid option: {0}")]
    InvalidOption(String),
    /// A lint ruleset file (`.plugboard-lint.yaml`) is invalid.
    #[error("{file}{}: {message}", if *line > 0 { format!(":{line}:{column}") } else { String::new() })]
    Ruleset {
        /// The file as the caller named it.
        file: String,
        /// 1-based line; 0 when unknown.
        line: usize,
        /// 1-based column; 0 when unknown.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// The document cannot be written in the asked format.
    #[error("cannot write the spec as {format}: {message}")]
    Render {
        /// `JSON` or `YAML`.
        format: &'static str,
        /// Why.
        message: String,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// `NotAMapping` for a value that is not an object (`None` when it is one).
    pub(crate) fn unless_mapping(value: &serde_json::Value) -> Option<Error> {
        let found = match value {
            serde_json::Value::Object(_) => return None,
            // An empty document reads as null.
            serde_json::Value::Null => "nothing",
            other => plugboard_definition::json_kind(other),
        };
        Some(Error::NotAMapping {
            found: found.into(),
        })
    }
}
