//! Swagger 2.0 -> OpenAPI 3.0.3 conversion, with the semantics of `swagger2openapi`, and a map
//! from every converted pointer back to where it came from in the Swagger 2.0 document.
//!
//! OpenAPI 3.0 and 3.1 documents pass through unchanged.
//!
//! Deliberate differences from `swagger2openapi` 7: the output declares 3.0.3; responses without
//! `produces` get `application/json` (not `*/*`); top-level body parameters become
//! `components/requestBodies` and references to them are kept (no inlining and re-hashing);
//! top-level formData parameters are inlined where used and dropped from components; names are
//! not sanitised; `$ref` siblings are kept; `x-nullable` on a parameter becomes
//! `schema.nullable`; `allowEmptyValue` is dropped outside query parameters; form fields get an
//! `encoding` for array styles; a file field selects `multipart/form-data`; an operation's own
//! `schemes` give it servers for exactly those schemes; a missing `type` or `responses` is not
//! patched (the linter reports it, at the original place via [`Converted::original_pointer`]).

pub(crate) mod node;
mod operation;
mod params;
mod pointers;
mod schema;
mod top;

use serde_json::Value;

use crate::version::{SpecVersion, detect};
use crate::{Error, Result};
use node::{Node, Obj};

pub use pointers::PointerMap;

/// The OpenAPI version a converted Swagger 2.0 document declares.
pub const TARGET_VERSION: &str = "3.0.3";

/// An OpenAPI 3.x document, converted from Swagger 2.0 or passed through.
#[derive(Debug, Clone)]
pub struct Converted {
    /// The OpenAPI 3.x document.
    pub value: Value,
    /// Whether the input was Swagger 2.0 (and so was converted).
    pub from_swagger2: bool,
    origins: PointerMap,
}

impl Converted {
    /// Maps a JSON pointer in [`Converted::value`] to the pointer in the input it came from:
    /// the deepest recorded origin plus the unmapped remainder (identity for 3.x input).
    pub fn original_pointer(&self, pointer: &str) -> String {
        self.origins.lookup(pointer)
    }

    /// The recorded origins (converted pointer -> input pointer), for inspection.
    pub fn origins(&self) -> &PointerMap {
        &self.origins
    }
}

/// Returns an OpenAPI 3.x document: Swagger 2.0 is converted to OpenAPI 3.0.3, OpenAPI 3.0 and
/// 3.1 pass through unchanged. Malformed Swagger 2.0 gives [`Error::Convert`] with the pointer of
/// the offending value in the input.
pub fn to_openapi3(value: &Value) -> Result<Converted> {
    match detect(value)? {
        SpecVersion::OpenApi30(_) | SpecVersion::OpenApi31(_) => Ok(Converted {
            value: value.clone(),
            from_swagger2: false,
            origins: PointerMap::default(),
        }),
        SpecVersion::Swagger2 => swagger2(value),
    }
}

/// Like [`to_openapi3`], taking the document: an OpenAPI 3.x document is moved, not copied
/// (a large spec is not held twice).
pub fn into_openapi3(value: Value) -> Result<Converted> {
    match detect(&value)? {
        SpecVersion::OpenApi30(_) | SpecVersion::OpenApi31(_) => Ok(Converted {
            value,
            from_swagger2: false,
            origins: PointerMap::default(),
        }),
        SpecVersion::Swagger2 => swagger2(&value),
    }
}

/// Converts a document already detected as Swagger 2.0.
fn swagger2(value: &Value) -> Result<Converted> {
    let input = Node::from_value(value);
    let root = object(&input, "")?;
    let mut converter = Converter::new(root, true)?;
    let converted = Node::Object(converter.document()?).to_value();
    Ok(Converted {
        value: converted,
        from_swagger2: true,
        origins: converter.map,
    })
}

/// A Swagger 2.0 document converted to OpenAPI 3.0.3 JSON text by [`swagger2_json_text`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonText {
    /// Pretty JSON, ending with a newline: the same text as rendering [`to_openapi3`]'s value.
    pub text: String,
    /// Paths (without `x-` keys).
    pub paths: usize,
    /// Operations.
    pub operations: usize,
    /// Component schemas.
    pub schemas: usize,
}

/// The fast path for Swagger 2.0 JSON: the text converted to pretty OpenAPI 3.0.3 JSON without
/// building a `serde_json::Value` (strings stay slices of the input; unchanged subtrees are not
/// copied). `None` when the text is not Swagger 2.0 JSON that reads and converts cleanly: the
/// caller then takes the general path ([`crate::source::Document::parse`], [`to_openapi3`]),
/// which reports errors with their positions.
pub fn swagger2_json_text(text: &str) -> Option<JsonText> {
    Swagger2Json::parse(text)?.to_openapi3_text()
}

/// Swagger 2.0 JSON text, read for [`Swagger2Json::to_openapi3_text`] (the two steps of
/// [`swagger2_json_text`], for a caller that keeps the read document, or does not free it).
pub struct Swagger2Json<'t> {
    root: Node<'t>,
    /// The text's length (the output is about 1.3 times as long).
    len: usize,
}

impl<'t> Swagger2Json<'t> {
    /// Reads the text; `None` when it is not Swagger 2.0 JSON that reads cleanly (see
    /// [`swagger2_json_text`]).
    pub fn parse(text: &'t str) -> Option<Swagger2Json<'t>> {
        if text.len() > crate::source::Budget::default().max_bytes {
            return None;
        }
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        if !text.trim_start().starts_with('{') {
            return None;
        }
        let root = node::parse(text).ok()?;
        let map = root.as_object()?;
        if map.contains_key("openapi") || map.get("swagger")?.as_str() != Some("2.0") {
            return None;
        }
        Some(Swagger2Json {
            root,
            len: text.len(),
        })
    }

    /// The document converted to pretty OpenAPI 3.0.3 JSON; `None` when it does not convert.
    pub fn to_openapi3_text(&self) -> Option<JsonText> {
        Some(self.to_openapi3()?.text())
    }

    /// The converted document, to write with [`OpenApi3::text`] (a caller that exits next
    /// need not free it).
    pub fn to_openapi3(&self) -> Option<OpenApi3<'_>> {
        let root = self.root.as_object()?;
        let mut converter = Converter::new(root, false).ok()?;
        Some(OpenApi3 {
            tree: Node::Object(converter.document().ok()?),
            len: self.len,
        })
    }
}

/// A document converted by [`Swagger2Json::to_openapi3`]; unchanged parts are the input's.
pub struct OpenApi3<'a> {
    tree: Node<'a>,
    /// The input text's length (the output is about 1.3 times as long).
    len: usize,
}

impl OpenApi3<'_> {
    /// Pretty JSON, ending with a newline, and what the document holds.
    pub fn text(&self) -> JsonText {
        let (paths, operations, schemas) = self.counts();
        JsonText {
            // The writer copies text from `&str`s and escapes with serde_json: valid UTF-8.
            text: String::from_utf8(self.bytes())
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
            paths,
            operations,
            schemas,
        }
    }

    /// The text of [`OpenApi3::text`] as UTF-8 bytes (not checked again).
    pub fn bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(self.len + self.len / 2);
        self.tree.write_pretty(&mut bytes, 0);
        bytes.push(b'\n');
        bytes
    }

    /// Paths (without `x-` keys), operations and component schemas.
    pub fn counts(&self) -> (usize, usize, usize) {
        counts(&self.tree)
    }
}

/// Paths (without `x-` keys), operations and component schemas of an OpenAPI 3 document.
fn counts(document: &Node<'_>) -> (usize, usize, usize) {
    const ALL_METHODS: &[&str] = &[
        "get", "put", "post", "delete", "options", "head", "patch", "trace",
    ];
    let mut paths = 0;
    let mut operations = 0;
    for (path, item) in document
        .get("paths")
        .and_then(Node::as_object)
        .into_iter()
        .flat_map(Obj::iter)
    {
        if path.starts_with("x-") {
            continue;
        }
        paths += 1;
        if let Some(item) = item.as_object() {
            operations += item.iter().filter(|(k, _)| ALL_METHODS.contains(k)).count();
        }
    }
    let schemas = document
        .pointer("/components/schemas")
        .and_then(Node::as_object)
        .map_or(0, Obj::len);
    (paths, operations, schemas)
}

/// State of one conversion: the input, its global defaults and the pointer map being built.
struct Converter<'a> {
    root: &'a Obj<'a>,
    /// Global `consumes` (empty when absent).
    consumes: Vec<String>,
    /// Global `produces` (empty when absent).
    produces: Vec<String>,
    map: PointerMap,
    /// Whether to record origins in `map` (the text fast path does not need them).
    track: bool,
}

/// Appends one escaped segment to a JSON pointer.
fn child(pointer: &str, segment: &str) -> String {
    let mut out = String::with_capacity(pointer.len() + 1 + segment.len());
    out.push_str(pointer);
    out.push('/');
    if segment.contains(['~', '/']) {
        out.push_str(&crate::source::escape_segment(segment));
    } else {
        out.push_str(segment);
    }
    out
}

/// A conversion error at a pointer of the input.
fn error(pointer: &str, message: impl Into<String>) -> Error {
    Error::Convert {
        pointer: pointer.to_string(),
        message: message.into(),
    }
}

/// The value as an object, or an error at `pointer`.
fn object<'v, 'a>(value: &'v Node<'a>, pointer: &str) -> Result<&'v Obj<'a>> {
    value.as_object().ok_or_else(|| {
        error(
            pointer,
            format!("expected an object, found {}", value.kind()),
        )
    })
}

/// The value as an array, or an error at `pointer`.
fn array<'v, 'a>(value: &'v Node<'a>, pointer: &str) -> Result<&'v [Node<'a>]> {
    value.as_array().ok_or_else(|| {
        error(
            pointer,
            format!("expected an array, found {}", value.kind()),
        )
    })
}

/// The value as a string, or an error at `pointer`.
fn string<'v>(value: &'v Node<'_>, pointer: &str) -> Result<&'v str> {
    value.as_str().ok_or_else(|| {
        error(
            pointer,
            format!("expected a string, found {}", value.kind()),
        )
    })
}

/// A list of media types (`consumes` / `produces`): an array of strings, or one string.
fn media_types(value: &Node<'_>, pointer: &str) -> Result<Vec<String>> {
    if let Node::String(one) = value.resolved() {
        return Ok(vec![one.to_string()]);
    }
    let mut types = Vec::new();
    for (index, item) in array(value, pointer)?.iter().enumerate() {
        let item = string(item, &child(pointer, &index.to_string()))?;
        if !types.iter().any(|t| t == item) {
            types.push(item.to_string());
        }
    }
    Ok(types)
}

/// The default media type when none is declared.
const DEFAULT_MEDIA_TYPE: &str = "application/json";

/// The media types to use: the given list, or `application/json` when it is empty.
fn or_default(types: &[String]) -> Vec<String> {
    if types.is_empty() {
        vec![DEFAULT_MEDIA_TYPE.to_string()]
    } else {
        types.to_vec()
    }
}

impl<'a> Converter<'a> {
    fn new(root: &'a Obj<'a>, track: bool) -> Result<Self> {
        let consumes = match root.get("consumes") {
            Some(v) => media_types(v, "/consumes")?,
            None => Vec::new(),
        };
        let produces = match root.get("produces") {
            Some(v) => media_types(v, "/produces")?,
            None => Vec::new(),
        };
        Ok(Converter {
            root,
            consumes,
            produces,
            map: PointerMap::default(),
            track,
        })
    }

    /// [`child`], where the conversion keeps pointers (origins and errors); the text fast path
    /// keeps neither and builds none (an empty string).
    fn child(&self, pointer: &str, segment: &str) -> String {
        if self.track {
            child(pointer, segment)
        } else {
            String::new()
        }
    }

    /// Records that the converted subtree at `to` came from `from` in the input.
    fn record(&mut self, to: &str, from: &str) {
        if self.track {
            self.map.record(to, from);
        }
    }
}
