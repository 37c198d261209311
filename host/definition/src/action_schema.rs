//! The JSON Schemas of an action's input and output, derived from the action.

use serde_json::{Map, Value, json};

use crate::{Action, ParameterLocation};

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
/// following `results_key` through the page schema's `properties` when it can be.
pub fn output_schema(action: &Action, results_key: &str) -> Value {
    let body = action.output_schema.clone().unwrap_or(json!({}));
    if !action.paginated {
        return body;
    }
    let mut results =
        json!({"type": "array", "description": "Every item of every page, in order."});
    if let Some(items) = item_schema(&body, results_key) {
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
fn item_schema<'a>(page: &'a Value, results_key: &str) -> Option<&'a Value> {
    let mut schema = page;
    for segment in results_key.split('.').filter(|s| !s.is_empty()) {
        schema = schema.get("properties")?.get(segment)?;
    }
    schema.get("items")
}
