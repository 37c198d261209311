//! Schemas and `$ref`s: `#/definitions/X` -> `#/components/schemas/X` and friends, `x-nullable`
//! -> `nullable`, a string `discriminator` -> `{propertyName}`, `type: file` -> binary string.

use serde_json::{Map, Value};

use super::{Converter, array, child, object, string};
use crate::Result;
use crate::source::unescape_segment;

/// Keywords whose value is one schema.
const SCHEMA_KEYWORDS: &[&str] = &["not", "additionalItems"];
/// Keywords whose value is a list of schemas.
const SCHEMA_LIST_KEYWORDS: &[&str] = &["allOf", "anyOf", "oneOf"];
/// Keywords whose value maps names to schemas.
const SCHEMA_MAP_KEYWORDS: &[&str] = &["properties", "patternProperties"];

impl Converter<'_> {
    /// Rewrites a local Swagger 2.0 reference to its OpenAPI 3.0 location; other references
    /// (external files, other places) are kept as they are.
    pub(super) fn rewrite_ref(&self, reference: &str) -> String {
        if let Some(rest) = reference.strip_prefix("#/definitions/") {
            return format!("#/components/schemas/{rest}");
        }
        if let Some(rest) = reference.strip_prefix("#/parameters/") {
            let name = unescape_segment(rest.split('/').next().unwrap_or(rest));
            let section = if self.global_parameter_in(&name) == Some("body") {
                "requestBodies"
            } else {
                "parameters"
            };
            return format!("#/components/{section}/{rest}");
        }
        if let Some(rest) = reference.strip_prefix("#/responses/") {
            return format!("#/components/responses/{rest}");
        }
        if let Some(rest) = reference.strip_prefix("#/securityDefinitions/") {
            return format!("#/components/securitySchemes/{rest}");
        }
        reference.to_string()
    }

    /// The `in` of a parameter under the top-level `parameters`, if it is there.
    pub(super) fn global_parameter_in(&self, name: &str) -> Option<&str> {
        self.root.get("parameters")?.get(name)?.get("in")?.as_str()
    }

    /// The rewritten `$ref` of an object that has one (`Ok(None)` when it has none); an error
    /// when the `$ref` is not a string.
    pub(super) fn reference(&self, map: &Map<String, Value>, from: &str) -> Result<Option<String>> {
        match map.get("$ref") {
            None => Ok(None),
            Some(value) => {
                let reference = string(value, &child(from, "$ref"))?;
                Ok(Some(self.rewrite_ref(reference)))
            }
        }
    }

    /// Converts a Swagger 2.0 schema at `from` (input) placed at `to` (output).
    pub(super) fn schema(&mut self, value: &Value, from: &str, to: &str) -> Result<Value> {
        self.record(to, from);
        self.schema_at(value, from, to)
    }

    /// [`Converter::schema`] for a place whose origin the pointer map already implies (a child
    /// of a converted schema under the same key): nothing is recorded, and pointers are built
    /// only where a subschema or an error needs them.
    fn schema_at(&mut self, value: &Value, from: &str, to: &str) -> Result<Value> {
        let map = object(value, from)?;
        let mut out = Map::with_capacity(map.len());
        let mut file = false;
        for (key, value) in map {
            match key.as_str() {
                "$ref" => {
                    let reference = string(value, &child(from, key))?;
                    out.insert(key.clone(), Value::String(self.rewrite_ref(reference)));
                }
                "x-nullable" if value.is_boolean() => {
                    self.record(&child(to, "nullable"), &child(from, key));
                    out.insert("nullable".into(), value.clone());
                }
                "discriminator" if value.is_string() => {
                    self.record(&child(&child(to, key), "propertyName"), &child(from, key));
                    let mut discriminator = Map::new();
                    discriminator.insert("propertyName".into(), value.clone());
                    out.insert(key.clone(), Value::Object(discriminator));
                }
                "type" if value.as_str() == Some("file") => {
                    file = true;
                    out.insert(key.clone(), Value::String("string".into()));
                }
                "items" => {
                    let items = self.items(value, &child(from, key), &child(to, key))?;
                    out.insert(key.clone(), items);
                }
                "additionalProperties" if value.is_boolean() => {
                    out.insert(key.clone(), value.clone());
                }
                k if k == "additionalProperties" || SCHEMA_KEYWORDS.contains(&k) => {
                    let converted = self.schema_at(value, &child(from, key), &child(to, key))?;
                    out.insert(key.clone(), converted);
                }
                k if SCHEMA_LIST_KEYWORDS.contains(&k) => {
                    let (key_from, key_to) = (child(from, key), child(to, key));
                    let items = array(value, &key_from)?;
                    let mut list = Vec::with_capacity(items.len());
                    for (index, item) in items.iter().enumerate() {
                        let i = index.to_string();
                        list.push(self.schema_at(
                            item,
                            &child(&key_from, &i),
                            &child(&key_to, &i),
                        )?);
                    }
                    out.insert(key.clone(), Value::Array(list));
                }
                k if SCHEMA_MAP_KEYWORDS.contains(&k) => {
                    let (key_from, key_to) = (child(from, key), child(to, key));
                    let members = object(value, &key_from)?;
                    let mut properties = Map::with_capacity(members.len());
                    for (name, item) in members {
                        let converted =
                            self.schema_at(item, &child(&key_from, name), &child(&key_to, name))?;
                        properties.insert(name.clone(), converted);
                    }
                    out.insert(key.clone(), Value::Object(properties));
                }
                _ => {
                    out.insert(key.clone(), value.clone());
                }
            }
        }
        if file {
            out.insert("format".into(), Value::String("binary".into()));
        }
        Ok(Value::Object(out))
    }

    /// Converts `items`: one schema, or a tuple (one item becomes that item, several become
    /// `anyOf`, none becomes `{}`), as `swagger2openapi` does.
    fn items(&mut self, value: &Value, from: &str, to: &str) -> Result<Value> {
        let Value::Array(list) = value else {
            return self.schema_at(value, from, to);
        };
        match list.as_slice() {
            [] => Ok(Value::Object(Map::new())),
            [one] => self.schema(one, &child(from, "0"), to),
            many => {
                let any_to = child(to, "anyOf");
                self.record(&any_to, from);
                let mut converted = Vec::new();
                for (index, item) in many.iter().enumerate() {
                    let i = index.to_string();
                    converted.push(self.schema_at(item, &child(from, &i), &child(&any_to, &i))?);
                }
                let mut out = Map::new();
                out.insert("anyOf".into(), Value::Array(converted));
                Ok(Value::Object(out))
            }
        }
    }

    /// Converts a Swagger 2.0 `Items` object (of a non-body parameter or header) to a schema:
    /// nested `collectionFormat`s are dropped (OpenAPI 3 has no nested styles).
    pub(super) fn items_schema(&mut self, value: &Value, from: &str, to: &str) -> Result<Value> {
        let map = object(value, from)?;
        let mut stripped = Map::new();
        for (key, item) in map {
            match key.as_str() {
                "collectionFormat" => {}
                "items" if item.is_object() => {
                    // Strip nested levels first; `schema` then converts them.
                    let inner = strip_collection_format(item);
                    stripped.insert(key.clone(), inner);
                }
                _ => {
                    stripped.insert(key.clone(), item.clone());
                }
            }
        }
        self.schema(&Value::Object(stripped), from, to)
    }
}

/// A copy of an `Items` object without `collectionFormat` at any level.
fn strip_collection_format(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(key, _)| key.as_str() != "collectionFormat")
                .map(|(key, item)| {
                    let item = if key == "items" {
                        strip_collection_format(item)
                    } else {
                        item.clone()
                    };
                    (key.clone(), item)
                })
                .collect(),
        ),
        other => other.clone(),
    }
}
