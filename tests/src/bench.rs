//! Definitions for benchmarks: many actions of a realistic shape.

use serde_json::{Value, json};

/// A definition (JSON) with `count` GET actions on the test API's `/echo/` route at `host`
/// (`http`), each with three parameters (path, query, header) and an output object of
/// `output_properties` typed properties.
pub fn many_actions(host: &str, count: usize, output_properties: usize) -> Value {
    let kinds = ["string", "integer", "boolean", "number"];
    let properties: serde_json::Map<String, Value> = (0..output_properties)
        .map(|p| {
            (
                format!("field_{p}"),
                json!({"type": kinds[p % kinds.len()], "description": format!("Field {p}")}),
            )
        })
        .collect();
    let actions: Vec<Value> = (0..count)
        .map(|i| {
            json!({
                "id": format!("action_{i:05}"),
                "name": format!("Action {i}"),
                "description": format!("Echoes request {i} back."),
                "method": "GET",
                "path": format!("/echo/a{i}/{{id}}"),
                "parameters": [
                    {"name": "id", "in": "path", "required": true, "schema": {"type": "string"}},
                    {"name": "filter", "in": "query", "schema": {"type": "string", "maxLength": 100}},
                    {"name": "x-request-id", "in": "header", "schema": {"type": "string"}}
                ],
                "output_schema": {"type": "object", "properties": properties}
            })
        })
        .collect();
    json!({
        "definition_version": 1,
        "name": "Bench API",
        "description": "Benchmark definition",
        "hostname": host,
        "scheme": "http",
        "actions": actions,
    })
}
