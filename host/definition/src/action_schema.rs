//! The JSON Schemas of an action's input and output, derived from the action.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::{Action, ParameterLocation};

/// Prefix of a reference to a shared schema: `#/schemas/<name>` (the name escaped per RFC 6901).
pub const SHARED_SCHEMA_PREFIX: &str = "#/schemas/";
/// Most references followed in a chain (`A -> B -> C`) when looking through shared schemas.
const MAX_REF_HOPS: usize = 32;

/// The shared schema name a `$ref` value names (`#/schemas/a~1b` -> `a/b`), if it has the
/// shared schema form.
pub fn shared_schema_name(reference: &str) -> Option<String> {
    let segment = reference.strip_prefix(SHARED_SCHEMA_PREFIX)?;
    if segment.contains('/') {
        return None;
    }
    Some(segment.replace("~1", "/").replace("~0", "~"))
}

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
    let mut properties = Map::new();
    let mut required = Vec::new();
    for param in &action.parameters {
        let mut schema = match &param.schema {
            Some(Value::Object(map)) => map.clone(),
            _ => Map::new(),
        };
        if !param.description.is_empty() && !schema.contains_key("description") {
            schema.insert("description".into(), param.description.clone().into());
        }
        let location = match param.location {
            ParameterLocation::Path => "path",
            ParameterLocation::Query => "query",
            ParameterLocation::Header => "header",
        };
        schema.insert("x-plugboard-in".into(), location.into());
        properties.insert(param.name.clone(), Value::Object(schema));
        if param.required || param.location == ParameterLocation::Path {
            required.push(Value::String(param.name.clone()));
        }
    }
    if let Some(body) = &action.request_body {
        properties.insert(
            BODY_INPUT_KEY.into(),
            body.schema.clone().unwrap_or(json!({})),
        );
        if body.required {
            required.push(BODY_INPUT_KEY.into());
        }
    }
    json!({
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    })
}

/// JSON Schema of an action's output. A paginated action returns
/// `{"results": [...], "pages": N, "truncated": null | "reason"}`, with the item schema found by
/// following `results_key` through the page schema's `properties` (and through references to
/// the shared `schemas`) when it can be.
pub fn output_schema(
    action: &Action,
    results_key: &str,
    schemas: &BTreeMap<String, Value>,
) -> Value {
    let body = action.output_schema.clone().unwrap_or(json!({}));
    if !action.paginated {
        return body;
    }
    let mut results =
        json!({"type": "array", "description": "Every item of every page, in order."});
    if let Some(items) = item_schema(&body, results_key, schemas) {
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
        },
        "required": ["results", "pages", "truncated"],
    })
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
