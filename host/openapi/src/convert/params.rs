//! Parameters: non-body parameters get a `schema` and a `style`; `in: body` and `in: formData`
//! parameters become a `requestBody`.

use serde_json::{Map, Value};

use super::{Converter, child, error, object, string};
use crate::Result;
use crate::source::unescape_segment;

/// Parameter (and header) fields that move into the `schema` in OpenAPI 3.
pub(super) const TYPE_KEYWORDS: &[&str] = &[
    "type",
    "format",
    "items",
    "default",
    "maximum",
    "exclusiveMaximum",
    "minimum",
    "exclusiveMinimum",
    "maxLength",
    "minLength",
    "pattern",
    "maxItems",
    "minItems",
    "uniqueItems",
    "enum",
    "multipleOf",
    "x-nullable",
];

const FORM_URLENCODED: &str = "application/x-www-form-urlencoded";
const MULTIPART: &str = "multipart/form-data";

/// One entry of a `parameters` list, with a local `#/parameters/X` reference followed.
#[derive(Debug, Clone)]
pub(super) enum Param<'a> {
    /// A reference that cannot be followed here (another file, another place): kept as it is.
    Opaque(&'a Value),
    /// A parameter object.
    Object {
        /// The parameter.
        map: &'a Map<String, Value>,
        /// Where the parameter object is in the input.
        from: String,
        /// The (rewritten) reference when it was reached through `#/parameters/X`.
        reference: Option<String>,
        /// Its `in`.
        location: &'a str,
    },
}

impl<'a> Param<'a> {
    /// `(name, in)` of a parameter object, for matching path-level parameters with the
    /// operation's.
    pub(super) fn key(&self) -> Option<(&'a str, &'a str)> {
        match self {
            Param::Opaque(_) => None,
            Param::Object { map, location, .. } => {
                Some((map.get("name").and_then(Value::as_str)?, location))
            }
        }
    }

    /// The `in` of a parameter object.
    pub(super) fn location(&self) -> Option<&'a str> {
        match self {
            Param::Opaque(_) => None,
            Param::Object { location, .. } => Some(location),
        }
    }
}

/// The `in` of a parameter object, checked.
pub(super) fn checked_location<'v>(map: &'v Map<String, Value>, from: &str) -> Result<&'v str> {
    let value = map.get("in").ok_or_else(|| {
        error(
            from,
            "a parameter needs `in` (query, header, path, formData or body)",
        )
    })?;
    let location = string(value, &child(from, "in"))?;
    match location {
        "query" | "header" | "path" | "formData" | "body" => Ok(location),
        other => Err(error(
            &child(from, "in"),
            format!(
                "unknown parameter location `{other}` (expected query, header, path, formData or body)"
            ),
        )),
    }
}

impl<'a> Converter<'a> {
    /// Reads one entry of a `parameters` list at `from`, following `#/parameters/X`.
    pub(super) fn resolve_parameter(&self, value: &'a Value, from: &str) -> Result<Param<'a>> {
        let map = object(value, from)?;
        let Some(reference) = map.get("$ref") else {
            return Ok(Param::Object {
                map,
                from: from.to_string(),
                reference: None,
                location: checked_location(map, from)?,
            });
        };
        let ref_from = child(from, "$ref");
        let reference = string(reference, &ref_from)?;
        let Some(name) = reference.strip_prefix("#/parameters/") else {
            return Ok(Param::Opaque(value));
        };
        let name = unescape_segment(name);
        let target = self
            .root
            .get("parameters")
            .and_then(|parameters| parameters.get(&name))
            .ok_or_else(|| {
                error(
                    &ref_from,
                    format!("`{reference}` refers to a parameter that is not defined"),
                )
            })?;
        let target_from = child("/parameters", &name);
        let map = object(target, &target_from)?;
        if map.contains_key("$ref") {
            // A reference to a reference: keep it as it is.
            return Ok(Param::Opaque(value));
        }
        Ok(Param::Object {
            map,
            location: checked_location(map, &target_from)?,
            from: target_from,
            reference: Some(self.rewrite_ref(reference)),
        })
    }

    /// Converts a list entry that stays a parameter (not body, not formData) placed at `to`.
    pub(super) fn kept_parameter(
        &mut self,
        param: &Param<'a>,
        from: &str,
        to: &str,
    ) -> Result<Value> {
        self.record(to, from);
        match param {
            Param::Opaque(value) => self.opaque_ref(value, from),
            Param::Object {
                reference: Some(reference),
                ..
            } => {
                let mut out = Map::new();
                out.insert("$ref".into(), Value::String(reference.clone()));
                Ok(Value::Object(out))
            }
            Param::Object {
                map,
                from,
                location,
                ..
            } => self.parameter(map, from, to, location),
        }
    }

    /// An object with a `$ref` that is kept: the reference rewritten, the rest copied.
    pub(super) fn opaque_ref(&self, value: &Value, from: &str) -> Result<Value> {
        let map = object(value, from)?;
        let mut out = map.clone();
        if let Some(reference) = self.reference(map, from)? {
            out.insert("$ref".into(), Value::String(reference));
        }
        Ok(Value::Object(out))
    }

    /// Converts a non-body parameter object at `from` to an OpenAPI 3 parameter at `to`.
    pub(super) fn parameter(
        &mut self,
        map: &Map<String, Value>,
        from: &str,
        to: &str,
        location: &str,
    ) -> Result<Value> {
        self.record(to, from);
        let mut out = Map::new();
        let mut raw = Map::new();
        let mut explicit_schema = None;
        let mut collection_format = None;
        for (key, value) in map {
            match key.as_str() {
                k if TYPE_KEYWORDS.contains(&k) => {
                    raw.insert(key.clone(), value.clone());
                }
                "collectionFormat" => collection_format = Some(value),
                "schema" => explicit_schema = Some(value),
                "x-example" => {
                    self.record(&child(to, "example"), &child(from, key));
                    out.insert("example".into(), value.clone());
                }
                "allowEmptyValue" if location != "query" => {}
                _ => {
                    out.insert(key.clone(), value.clone());
                }
            }
        }
        let is_array = raw.get("type").and_then(Value::as_str) == Some("array");
        if is_array {
            let (format, format_from) = match collection_format {
                Some(value) => (
                    string(value, &child(from, "collectionFormat"))?,
                    child(from, "collectionFormat"),
                ),
                None => ("csv", child(from, "type")),
            };
            let style = match (format, location) {
                ("csv", "query") => Some(("form", Some(false))),
                ("csv", "path" | "header") => Some(("simple", None)),
                ("ssv", "query") => Some(("spaceDelimited", None)),
                ("pipes", "query") => Some(("pipeDelimited", None)),
                ("multi", "query") => Some(("form", Some(true))),
                _ => None,
            };
            match style {
                Some((style, explode)) => {
                    self.record(&child(to, "style"), &format_from);
                    out.insert("style".into(), Value::String(style.into()));
                    if let Some(explode) = explode {
                        self.record(&child(to, "explode"), &format_from);
                        out.insert("explode".into(), Value::Bool(explode));
                    }
                }
                None => {
                    self.record(&child(to, "x-collectionFormat"), &format_from);
                    out.insert("x-collectionFormat".into(), Value::String(format.into()));
                }
            }
        }
        let schema_to = child(to, "schema");
        let schema = match explicit_schema {
            Some(schema) if raw.is_empty() => {
                self.schema(schema, &child(from, "schema"), &schema_to)?
            }
            _ => self.items_schema(&Value::Object(raw), from, &schema_to)?,
        };
        out.insert("schema".into(), schema);
        Ok(Value::Object(out))
    }

    /// Converts an `in: body` parameter at `from` to a request body at `to`.
    pub(super) fn body_request(
        &mut self,
        map: &Map<String, Value>,
        from: &str,
        to: &str,
        consumes: &[String],
    ) -> Result<Value> {
        self.record(to, from);
        let mut out = Map::new();
        if let Some(description) = map.get("description") {
            out.insert("description".into(), description.clone());
        }
        let mut content = Map::new();
        let empty = Value::Object(Map::new());
        for media_type in consumes {
            let schema_to = child(&child(&child(to, "content"), media_type), "schema");
            let schema = match map.get("schema") {
                Some(schema) => self.schema(schema, &child(from, "schema"), &schema_to)?,
                None => self.schema(&empty, from, &schema_to)?,
            };
            let mut entry = Map::new();
            entry.insert("schema".into(), schema);
            content.insert(media_type.clone(), Value::Object(entry));
        }
        out.insert("content".into(), Value::Object(content));
        match map.get("required") {
            Some(Value::Bool(required)) => {
                out.insert("required".into(), Value::Bool(*required));
            }
            Some(other) => {
                return Err(error(
                    &child(from, "required"),
                    format!(
                        "`required` must be a boolean, found {}",
                        plugboard_definition::json_kind(other)
                    ),
                ));
            }
            None => {}
        }
        for (key, value) in map {
            if key.starts_with("x-") {
                out.insert(key.clone(), value.clone());
            }
        }
        Ok(Value::Object(out))
    }

    /// Converts `in: formData` parameters (each with where it is in the input) to one request
    /// body at `to`: an object schema with one property per parameter.
    pub(super) fn form_request(
        &mut self,
        params: &[(&Map<String, Value>, String)],
        to: &str,
        consumes: &[String],
    ) -> Result<Value> {
        let any_file = params
            .iter()
            .any(|(map, _)| map.get("type").and_then(Value::as_str) == Some("file"));
        let media_type = if any_file || consumes.iter().any(|c| c == MULTIPART) {
            MULTIPART
        } else {
            FORM_URLENCODED
        };
        let entry_to = child(&child(to, "content"), media_type);
        let schema_to = child(&entry_to, "schema");
        if let Some((_, first)) = params.first() {
            self.record(to, first);
            self.record(&schema_to, first);
        }
        let mut properties = Map::new();
        let mut required = Vec::new();
        let mut encoding = Map::new();
        for (map, from) in params {
            let name = map
                .get("name")
                .ok_or_else(|| error(from, "a formData parameter needs a `name`"))?;
            let name = string(name, &child(from, "name"))?;
            let mut raw = Map::new();
            for (key, value) in *map {
                match key.as_str() {
                    "name" | "in" | "required" | "collectionFormat" | "allowEmptyValue" => {}
                    "x-example" => {
                        raw.insert("example".into(), value.clone());
                    }
                    _ => {
                        raw.insert(key.clone(), value.clone());
                    }
                }
            }
            let property_to = child(&child(&schema_to, "properties"), name);
            if map.contains_key("x-example") {
                self.record(&child(&property_to, "example"), &child(from, "x-example"));
            }
            let property = self.items_schema(&Value::Object(raw), from, &property_to)?;
            properties.insert(name.to_string(), property);
            if map.get("required") == Some(&Value::Bool(true)) {
                required.push(Value::String(name.to_string()));
            }
            let is_array = map.get("type").and_then(Value::as_str) == Some("array");
            if media_type == FORM_URLENCODED && is_array {
                let format = map
                    .get("collectionFormat")
                    .and_then(Value::as_str)
                    .unwrap_or("csv");
                let style = match format {
                    "csv" => Some(("form", false)),
                    "ssv" => Some(("spaceDelimited", false)),
                    "pipes" => Some(("pipeDelimited", false)),
                    _ => None,
                };
                if let Some((style, explode)) = style {
                    let mut field = Map::new();
                    field.insert("style".into(), Value::String(style.into()));
                    field.insert("explode".into(), Value::Bool(explode));
                    self.record(&child(&child(&entry_to, "encoding"), name), from);
                    encoding.insert(name.to_string(), Value::Object(field));
                }
            }
        }
        let mut schema = Map::new();
        schema.insert("type".into(), Value::String("object".into()));
        schema.insert("properties".into(), Value::Object(properties));
        let any_required = !required.is_empty();
        if any_required {
            schema.insert("required".into(), Value::Array(required));
        }
        let mut entry = Map::new();
        entry.insert("schema".into(), Value::Object(schema));
        if !encoding.is_empty() {
            entry.insert("encoding".into(), Value::Object(encoding));
        }
        let mut content = Map::new();
        content.insert(media_type.to_string(), Value::Object(entry));
        let mut out = Map::new();
        out.insert("content".into(), Value::Object(content));
        if any_required {
            out.insert("required".into(), Value::Bool(true));
        }
        Ok(Value::Object(out))
    }
}
