//! The JSON Schemas of an action's input and output, derived from the action.

use std::collections::BTreeMap;

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value, json};

use crate::{Action, Parameter, ParameterLocation};

pub use plugboard_manifest::rules::{SHARED_SCHEMA_PREFIX, shared_schema_name};
/// Most references followed in a chain (`A -> B -> C`) when looking through shared schemas.
const MAX_REF_HOPS: usize = 32;

/// Follows `{"$ref": "#/schemas/X"}` through `schemas` (at most 32 hops) to the schema it
/// names; any other schema is returned as is. `None` for a dangling reference or a chain too
/// long.
pub fn follow_shared<'a>(
    mut schema: &'a Value,
    schemas: &'a BTreeMap<String, Value>,
) -> Option<&'a Value> {
    for _ in 0..=MAX_REF_HOPS {
        let Some(reference) = schema.get("$ref").and_then(Value::as_str) else {
            return Some(schema);
        };
        schema = schemas.get(&shared_schema_name(reference)?)?;
    }
    None
}

/// Input key that carries the request body.
pub const BODY_INPUT_KEY: &str = "body";

/// JSON Schema of an action's input object: one property per parameter, plus `body`.
pub fn input_schema(action: &Action) -> Value {
    serde_json::to_value(InputSchema(action)).unwrap_or_default()
}

/// An action's input schema (see [`input_schema`]) as something that serializes, without
/// building it: finalize streams thousands of them into a bundle.
#[derive(Debug, Clone, Copy)]
pub struct InputSchema<'a>(pub &'a Action);

impl Serialize for InputSchema<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let action = self.0;
        let properties = Properties(action);
        let required: Vec<&str> = action
            .parameters
            .iter()
            .filter(|p| p.value.is_none() && (p.required || p.location == ParameterLocation::Path))
            .map(|p| p.name.as_str())
            .chain(
                action
                    .request_body
                    .as_ref()
                    .filter(|b| b.required)
                    .map(|_| BODY_INPUT_KEY),
            )
            .collect();
        let mut map = serializer.serialize_map(Some(4))?;
        map.serialize_entry("type", "object")?;
        map.serialize_entry("properties", &properties)?;
        map.serialize_entry("required", &required)?;
        map.serialize_entry("additionalProperties", &false)?;
        map.end()
    }
}

/// The `properties` of an input schema: one per parameter (a later parameter of the same name
/// replaces an earlier one in place), then `body`.
struct Properties<'a>(&'a Action);

impl Serialize for Properties<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let action = self.0;
        let mut names: Vec<&str> = Vec::with_capacity(action.parameters.len() + 1);
        let mut chosen: Vec<Option<&Parameter>> = Vec::with_capacity(action.parameters.len());
        // Fixed values are not inputs.
        for param in action.parameters.iter().filter(|p| p.value.is_none()) {
            match names.iter().position(|n| *n == param.name) {
                Some(at) => chosen[at] = Some(param),
                None => {
                    names.push(&param.name);
                    chosen.push(Some(param));
                }
            }
        }
        let body = action.request_body.as_ref();
        let mut map = serializer.serialize_map(Some(names.len() + usize::from(body.is_some())))?;
        for (name, param) in names.iter().zip(&chosen) {
            if let Some(param) = param {
                map.serialize_entry(name, &ParamSchema(param))?;
            }
        }
        if let Some(body) = body {
            match &body.schema {
                Some(schema) => map.serialize_entry(BODY_INPUT_KEY, schema)?,
                None => map.serialize_entry(BODY_INPUT_KEY, &Map::new())?,
            }
        }
        map.end()
    }
}

/// A parameter's schema in the input schema: its own schema, its description when the schema
/// has none, and where it goes (`x-plugboard-in`).
struct ParamSchema<'a>(&'a Parameter);

impl Serialize for ParamSchema<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let param = self.0;
        const IN: &str = "x-plugboard-in";
        let location = match param.location {
            ParameterLocation::Path => "path",
            ParameterLocation::Query => "query",
            ParameterLocation::Header => "header",
        };
        let own = match &param.schema {
            Some(Value::Object(map)) => Some(map),
            _ => None,
        };
        let has = |key: &str| own.is_some_and(|m| m.contains_key(key));
        let mut map = serializer.serialize_map(None)?;
        for (key, value) in own.into_iter().flatten() {
            if key == IN {
                map.serialize_entry(IN, location)?;
            } else {
                map.serialize_entry(key, value)?;
            }
        }
        if !param.description.is_empty() && !has("description") {
            map.serialize_entry("description", &param.description)?;
        }
        if !has(IN) {
            map.serialize_entry(IN, location)?;
        }
        map.end()
    }
}

/// JSON Schema of an action's output. A paginated action returns
/// `{"results": [...], "pages": N, "truncated": null | "reason", "warnings"?: [...]}`, with the item schema found by
/// following `results_key` through the page schema's `properties` (and through references to
/// the shared `schemas`) when it can be.
pub fn output_schema(
    action: &Action,
    results_key: &str,
    schemas: &BTreeMap<String, Value>,
) -> Value {
    serde_json::to_value(OutputSchema {
        action,
        results_key,
        schemas,
    })
    .unwrap_or_default()
}

/// An action's output schema (see [`output_schema`]) as something that serializes, without
/// building it.
#[derive(Debug, Clone, Copy)]
pub struct OutputSchema<'a> {
    /// The action.
    pub action: &'a Action,
    /// The integration's results key.
    pub results_key: &'a str,
    /// The integration's shared schemas.
    pub schemas: &'a BTreeMap<String, Value>,
}

impl Serialize for OutputSchema<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let empty = Value::Object(Map::new());
        let body = self.action.output_schema.as_ref().unwrap_or(&empty);
        if !self.action.paginated {
            return body.serialize(serializer);
        }
        let mut results =
            json!({"type": "array", "description": "Every item of every page, in order."});
        if let Some(items) = item_schema(body, self.results_key, self.schemas) {
            results["items"] = items.clone();
        }
        json!({
            "type": "object",
            "properties": {
                "results": results,
                "pages": {"type": "integer", "minimum": 0, "description": "Pages fetched."},
                "truncated": {
                    "type": ["string", "null"],
                    "description": "Why pagination stopped before the last page, or null.",
                },
                "warnings": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "What looks wrong, such as a results key not in the pages (absent when nothing does).",
                },
            },
            "required": ["results", "pages", "truncated"],
        })
        .serialize(serializer)
    }
}

/// The `items` schema of the array at `results_key` inside a page schema.
fn item_schema<'a>(
    page: &'a Value,
    results_key: &str,
    schemas: &'a BTreeMap<String, Value>,
) -> Option<&'a Value> {
    let mut schema = follow_shared(page, schemas)?;
    for segment in results_key.split('.').filter(|s| !s.is_empty()) {
        schema = follow_shared(schema.get("properties")?.get(segment)?, schemas)?;
    }
    schema.get("items")
}
