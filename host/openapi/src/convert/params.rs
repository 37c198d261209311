//! Parameters: non-body parameters get a `schema` and a `style`; `in: body` and `in: formData`
//! parameters become a `requestBody`.

use super::node::{EMPTY_OBJECT, Node, Obj};
use super::schema::{Fields, set_field};
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
    Opaque(&'a Node<'a>),
    /// A parameter object.
    Object {
        /// The parameter.
        map: &'a Obj<'a>,
        /// Where the parameter object is in the input.
        from: String,
        /// The (rewritten) reference when it was reached through `#/parameters/X`.
        reference: Option<Node<'a>>,
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
                Some((map.get("name").and_then(Node::as_str)?, location))
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
pub(super) fn checked_location<'v>(map: &'v Obj<'_>, from: &str) -> Result<&'v str> {
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
    pub(super) fn resolve_parameter(&self, value: &'a Node<'a>, from: &str) -> Result<Param<'a>> {
        let map = object(value, from)?;
        let Some(reference) = map.get("$ref") else {
            return Ok(Param::Object {
                map,
                from: from.to_string(),
                reference: None,
                location: checked_location(map, from)?,
            });
        };
        let ref_from = self.child(from, "$ref");
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
        let target_from = self.child("/parameters", &name);
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
    ) -> Result<Node<'a>> {
        self.record(to, from);
        match param {
            Param::Opaque(value) => self.opaque_ref(value, from),
            Param::Object {
                reference: Some(reference),
                ..
            } => {
                let mut out = Obj::new();
                out.push("$ref", reference.clone());
                Ok(Node::Object(out))
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
    pub(super) fn opaque_ref(&self, value: &'a Node<'a>, from: &str) -> Result<Node<'a>> {
        let map = object(value, from)?;
        let mut out = Obj::same_members(map, |_| true);
        if let Some(reference) = self.reference(map, from)? {
            out.insert("$ref", reference);
        }
        Ok(Node::Object(out))
    }

    /// Converts a non-body parameter object at `from` to an OpenAPI 3 parameter at `to`.
    pub(super) fn parameter(
        &mut self,
        map: &'a Obj<'a>,
        from: &str,
        to: &str,
        location: &str,
    ) -> Result<Node<'a>> {
        self.record(to, from);
        let mut out = Obj::new();
        let mut raw: Fields<'a> = Vec::new();
        let mut explicit_schema = None;
        let mut collection_format = None;
        for (key, value) in map.iter() {
            match key {
                k if TYPE_KEYWORDS.contains(&k) => raw.push((key, value)),
                "collectionFormat" => collection_format = Some(value),
                "schema" => explicit_schema = Some(value),
                "x-example" => {
                    self.record(&self.child(to, "example"), &self.child(from, key));
                    out.insert("example", Node::Same(value));
                }
                "allowEmptyValue" if location != "query" => {}
                _ => out.insert(key, Node::Same(value)),
            }
        }
        let is_array = raw
            .iter()
            .find(|(k, _)| *k == "type")
            .and_then(|(_, v)| v.as_str())
            == Some("array");
        if is_array {
            let (format, format_from) = match collection_format {
                Some(value) => (
                    string(value, &self.child(from, "collectionFormat"))?,
                    self.child(from, "collectionFormat"),
                ),
                None => ("csv", self.child(from, "type")),
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
                    self.record(&self.child(to, "style"), &format_from);
                    out.insert("style", Node::str(style));
                    if let Some(explode) = explode {
                        self.record(&self.child(to, "explode"), &format_from);
                        out.insert("explode", Node::Bool(explode));
                    }
                }
                None => {
                    self.record(&self.child(to, "x-collectionFormat"), &format_from);
                    out.insert("x-collectionFormat", Node::str(format));
                }
            }
        }
        let schema_to = self.child(to, "schema");
        let schema = match explicit_schema {
            Some(schema) if raw.is_empty() => {
                self.schema(schema, &self.child(from, "schema"), &schema_to)?
            }
            _ => self.items_schema(raw, from, &schema_to)?,
        };
        out.insert("schema", schema);
        Ok(Node::Object(out))
    }

    /// Converts an `in: body` parameter at `from` to a request body at `to`.
    pub(super) fn body_request(
        &mut self,
        map: &'a Obj<'a>,
        from: &str,
        to: &str,
        consumes: &[String],
    ) -> Result<Node<'a>> {
        self.record(to, from);
        let mut out = Obj::new();
        if let Some(description) = map.get("description") {
            out.push("description", Node::Same(description));
        }
        let mut content = Obj::new();
        let empty: &'a Node<'a> = &EMPTY_OBJECT;
        for media_type in consumes {
            let schema_to = self.child(
                &self.child(&self.child(to, "content"), media_type),
                "schema",
            );
            let schema = match map.get("schema") {
                Some(schema) => self.schema(schema, &self.child(from, "schema"), &schema_to)?,
                None => self.schema(empty, from, &schema_to)?,
            };
            let mut entry = Obj::new();
            entry.push("schema", schema);
            content.insert(media_type.clone(), Node::Object(entry));
        }
        out.insert("content", Node::Object(content));
        match map.get("required").map(Node::resolved) {
            Some(Node::Bool(required)) => {
                out.insert("required", Node::Bool(*required));
            }
            Some(other) => {
                return Err(error(
                    &self.child(from, "required"),
                    format!("`required` must be a boolean, found {}", other.kind()),
                ));
            }
            None => {}
        }
        for (key, value) in map.iter() {
            if key.starts_with("x-") {
                out.insert(key, Node::Same(value));
            }
        }
        Ok(Node::Object(out))
    }

    /// Converts `in: formData` parameters (each with where it is in the input) to one request
    /// body at `to`: an object schema with one property per parameter.
    pub(super) fn form_request(
        &mut self,
        params: &[(&'a Obj<'a>, String)],
        to: &str,
        consumes: &[String],
    ) -> Result<Node<'a>> {
        let any_file = params
            .iter()
            .any(|(map, _)| map.get("type").and_then(Node::as_str) == Some("file"));
        let media_type = if any_file || consumes.iter().any(|c| c == MULTIPART) {
            MULTIPART
        } else {
            FORM_URLENCODED
        };
        let entry_to = self.child(&self.child(to, "content"), media_type);
        let schema_to = self.child(&entry_to, "schema");
        if let Some((_, first)) = params.first() {
            self.record(to, first);
            self.record(&schema_to, first);
        }
        let mut properties = Obj::new();
        let mut required = Vec::new();
        let mut encoding = Obj::new();
        for (map, from) in params {
            let name = map
                .get("name")
                .ok_or_else(|| error(from, "a formData parameter needs a `name`"))?;
            let name = string(name, &self.child(from, "name"))?;
            let mut raw: Fields<'a> = Vec::new();
            for (key, value) in map.iter() {
                match key {
                    "name" | "in" | "required" | "collectionFormat" | "allowEmptyValue" => {}
                    "x-example" => set_field(&mut raw, "example", value),
                    _ => set_field(&mut raw, key, value),
                }
            }
            let property_to = self.child(&self.child(&schema_to, "properties"), name);
            if map.contains_key("x-example") {
                self.record(
                    &self.child(&property_to, "example"),
                    &self.child(from, "x-example"),
                );
            }
            let property = self.items_schema(raw, from, &property_to)?;
            properties.insert(name, property);
            if map.get("required").and_then(Node::as_bool) == Some(true) {
                required.push(Node::str(name));
            }
            let is_array = map.get("type").and_then(Node::as_str) == Some("array");
            if media_type == FORM_URLENCODED && is_array {
                let format = map
                    .get("collectionFormat")
                    .and_then(Node::as_str)
                    .unwrap_or("csv");
                let style = match format {
                    "csv" => Some(("form", false)),
                    "ssv" => Some(("spaceDelimited", false)),
                    "pipes" => Some(("pipeDelimited", false)),
                    _ => None,
                };
                if let Some((style, explode)) = style {
                    let mut field = Obj::new();
                    field.push("style", Node::str(style));
                    field.push("explode", Node::Bool(explode));
                    self.record(&self.child(&self.child(&entry_to, "encoding"), name), from);
                    encoding.insert(name, Node::Object(field));
                }
            }
        }
        let mut schema = Obj::new();
        schema.push("type", Node::str("object"));
        schema.push("properties", Node::Object(properties));
        let any_required = !required.is_empty();
        if any_required {
            schema.push("required", Node::Array(required));
        }
        let mut entry = Obj::new();
        entry.push("schema", Node::Object(schema));
        if !encoding.is_empty() {
            entry.push("encoding", Node::Object(encoding));
        }
        let mut content = Obj::new();
        content.push(media_type, Node::Object(entry));
        let mut out = Obj::new();
        out.push("content", Node::Object(content));
        if any_required {
            out.push("required", Node::Bool(true));
        }
        Ok(Node::Object(out))
    }
}
