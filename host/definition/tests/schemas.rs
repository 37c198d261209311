//! The published JSON Schema of the format, the derived input/output schemas of actions, and
//! the structured error values.

use plugboard_definition::{Definition, Error, input_schema, json_schema, output_schema};
use serde_json::{Value, json};

fn definition(value: Value) -> Definition {
    Definition::from_json(&value.to_string()).expect("valid test definition")
}

fn minimal(actions: Value, pagination: Value) -> Definition {
    definition(json!({
        "definition_version": 1,
        "name": "Schemas",
        "description": "Schema tests.",
        "hostname": "api.example.com",
        "pagination": pagination,
        "actions": actions,
    }))
}

#[test]
fn json_schema_is_json_with_every_top_level_field() {
    let schema: Value = serde_json::from_str(&json_schema()).expect("the schema is JSON");
    assert!(
        schema["$schema"]
            .as_str()
            .is_some_and(|s| s.contains("json-schema.org")),
        "no $schema in {schema}"
    );
    assert_eq!(schema["type"], "object");
    let properties = schema["properties"].as_object().expect("properties");
    for field in [
        "$schema",
        "definition_version",
        "name",
        "description",
        "icon",
        "hostname",
        "base_path",
        "scheme",
        "extra_hosts",
        "auth",
        "extra_request_headers",
        "pagination",
        "schemas",
        "actions",
    ] {
        assert!(properties.contains_key(field), "no property `{field}`");
        assert!(
            properties[field]["description"].is_string(),
            "property `{field}` has no description"
        );
    }
    let required: Vec<&str> = schema["required"]
        .as_array()
        .expect("required")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for field in [
        "definition_version",
        "name",
        "description",
        "hostname",
        "actions",
    ] {
        assert!(required.contains(&field), "`{field}` is not required");
    }
    // deny_unknown_fields is published too.
    assert_eq!(schema["additionalProperties"], false);
}

#[test]
fn json_schema_describes_every_auth_and_pagination_type() {
    let schema: Value = serde_json::from_str(&json_schema()).expect("the schema is JSON");
    let text = schema["$defs"].to_string();
    for name in [
        "none",
        "api_key",
        "basic",
        "oauth2",
        "authorization_code",
        "client_credentials",
        "index",
        "page",
        "link",
        "pointer",
        "header",
        "body",
        "query",
        "cookie",
        "path",
    ] {
        assert!(
            text.contains(&format!("\"{name}\"")),
            "`{name}` is not in the schema's $defs"
        );
    }
    // Each auth variant is closed, like the deserializer.
    let auth = schema["$defs"]["Auth"]["oneOf"]
        .as_array()
        .expect("Auth is a oneOf");
    assert_eq!(auth.len(), 4);
    for variant in auth {
        assert_eq!(variant["additionalProperties"], false, "{variant}");
    }
}

#[test]
fn input_schema_has_one_property_per_parameter_and_the_body() {
    let d = minimal(
        json!([{
            "id": "update_file",
            "name": "Update file",
            "method": "PUT",
            "path": "/users/{user}/files/{file}",
            "parameters": [
                {"name": "user", "in": "path", "schema": {"type": "string"}, "description": "User id."},
                {"name": "file", "in": "path", "required": true},
                {"name": "version", "in": "query", "required": true, "schema": {"type": "integer", "description": "Own."}, "description": "Ignored: the schema has one."},
                {"name": "tags", "in": "query", "schema": {"type": "array", "items": {"type": "string"}}},
                {"name": "x-request-id", "in": "header", "schema": true}
            ],
            "request_body": {"required": true, "schema": {"type": "object", "required": ["text"]}}
        }]),
        json!({}),
    );
    let schema = input_schema(&d.actions[0]);
    assert_eq!(
        schema,
        json!({
            "type": "object",
            "properties": {
                "user": {"type": "string", "description": "User id.", "x-plugboard-in": "path"},
                "file": {"x-plugboard-in": "path"},
                "version": {"type": "integer", "description": "Own.", "x-plugboard-in": "query"},
                "tags": {"type": "array", "items": {"type": "string"}, "x-plugboard-in": "query"},
                "x-request-id": {"x-plugboard-in": "header"},
                "body": {"type": "object", "required": ["text"]}
            },
            // Path parameters are always required.
            "required": ["user", "file", "version", "body"],
            "additionalProperties": false
        })
    );
}

#[test]
fn input_schema_of_an_action_without_inputs_takes_nothing() {
    let d = minimal(
        json!([{"id": "ping", "name": "Ping", "method": "GET", "path": "/ping",
                "request_body": {}}]),
        json!({}),
    );
    let schema = input_schema(&d.actions[0]);
    assert_eq!(schema["properties"], json!({"body": {}}));
    assert_eq!(schema["required"], json!([]));
    assert_eq!(schema["additionalProperties"], false);
}

const ITEM: fn() -> Value = || json!({"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}});

#[test]
fn output_schema_of_a_paginated_action_picks_up_the_item_schema() {
    let page = json!({
        "type": "object",
        "properties": {
            "data": {"type": "object", "properties": {"items": {"type": "array", "items": ITEM()}}},
            "next": {"type": "string"}
        }
    });
    let d = minimal(
        json!([{"id": "list", "name": "List", "method": "GET", "path": "/items",
                "output_schema": page, "paginated": true}]),
        json!({"type": "index", "index_param": "offset", "results_key": "data.items"}),
    );
    let schema = output_schema(&d.actions[0], &d.pagination.results_key, &d.schemas);
    assert_eq!(schema["type"], "object");
    assert_eq!(schema["properties"]["results"]["type"], "array");
    assert_eq!(schema["properties"]["results"]["items"], ITEM());
    assert_eq!(schema["properties"]["pages"]["type"], "integer");
    assert_eq!(
        schema["properties"]["truncated"]["type"],
        json!(["string", "null"])
    );
    assert_eq!(schema["required"], json!(["results", "pages", "truncated"]));
}

#[test]
fn output_schema_of_a_paginated_bare_array_uses_its_items() {
    let d = minimal(
        json!([{"id": "list", "name": "List", "method": "GET", "path": "/items",
                "output_schema": {"type": "array", "items": ITEM()}, "paginated": true}]),
        json!({"type": "link"}),
    );
    let schema = output_schema(&d.actions[0], "", &d.schemas);
    assert_eq!(schema["properties"]["results"]["items"], ITEM());
}

#[test]
fn output_schema_without_a_matching_results_key_has_untyped_items() {
    let d = minimal(
        json!([{"id": "list", "name": "List", "method": "GET", "path": "/items",
                "output_schema": {"type": "object", "properties": {"items": {"type": "array", "items": ITEM()}}},
                "paginated": true}]),
        json!({"type": "page", "page_param": "page", "results_key": "data.items"}),
    );
    let schema = output_schema(&d.actions[0], &d.pagination.results_key, &d.schemas);
    assert_eq!(schema["properties"]["results"]["type"], "array");
    assert!(schema["properties"]["results"].get("items").is_none());

    // No output schema at all: still the paginated envelope.
    let d = minimal(
        json!([{"id": "list", "name": "List", "method": "GET", "path": "/items", "paginated": true}]),
        json!({"type": "page", "page_param": "page", "results_key": "items"}),
    );
    let schema = output_schema(&d.actions[0], "items", &d.schemas);
    assert_eq!(schema["required"], json!(["results", "pages", "truncated"]));
}

#[test]
fn output_schema_finds_items_through_shared_schema_refs() {
    let mut d = definition(json!({
        "definition_version": 1,
        "name": "Schemas",
        "description": "Schema tests.",
        "hostname": "api.example.com",
        "pagination": {"type": "page", "page_param": "page", "results_key": "data.items"},
        "schemas": {
            "Page": {"type": "object", "properties": {"data": {"$ref": "#/schemas/a~1Data"}}},
            "a/Data": {"type": "object", "properties": {
                "items": {"type": "array", "items": {"$ref": "#/schemas/Item"}}}},
            "Item": ITEM(),
        },
        "actions": [{"id": "list", "name": "List", "method": "GET", "path": "/items",
            "paginated": true, "output_schema": {"$ref": "#/schemas/Page"}}],
    }));
    let schema = output_schema(&d.actions[0], &d.pagination.results_key, &d.schemas);
    assert_eq!(
        schema["properties"]["results"]["items"],
        json!({"$ref": "#/schemas/Item"})
    );
    // A cycle of references ends without finding the items.
    d.schemas
        .insert("Page".into(), json!({"$ref": "#/schemas/Page"}));
    let schema = output_schema(&d.actions[0], &d.pagination.results_key, &d.schemas);
    assert!(schema["properties"]["results"].get("items").is_none());
}

#[test]
fn output_schema_of_a_plain_action_is_its_body_schema() {
    let d = minimal(
        json!([
            {"id": "get", "name": "Get", "method": "GET", "path": "/item", "output_schema": ITEM()},
            {"id": "ping", "name": "Ping", "method": "GET", "path": "/ping"}
        ]),
        json!({"type": "page", "page_param": "page", "results_key": "items"}),
    );
    assert_eq!(output_schema(&d.actions[0], "items", &d.schemas), ITEM());
    assert_eq!(output_schema(&d.actions[1], "items", &d.schemas), json!({}));
}

#[test]
fn invalid_lists_every_problem_with_its_path() {
    let text = json!({
        "definition_version": 1,
        "name": "Bad/Name",
        "description": "",
        "hostname": "api.example.com/v1",
        "actions": [{"id": "a b", "name": "A", "method": "GET", "path": "a"}]
    })
    .to_string();
    let Err(Error::Invalid(problems)) = Definition::from_json(&text) else {
        panic!("expected Error::Invalid");
    };
    let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "$.name",
            "$.description",
            "$.hostname",
            "$.actions[0].id",
            "$.actions[0].path"
        ]
    );
    assert_eq!(
        problems[0].to_string(),
        "$.name: use letters, digits, spaces, `-` and `_` only"
    );
    // parse_unchecked reads it; validate reports the same problems.
    let parsed = Definition::parse_unchecked(&text).expect("parses");
    let Err(Error::Invalid(again)) = parsed.validate() else {
        panic!("expected Error::Invalid");
    };
    assert_eq!(again, problems);
}

#[test]
fn parse_errors_carry_path_line_and_column() {
    let text = "{\n  \"definition_version\": 1,\n  \"nmae\": \"x\"\n}";
    match Definition::from_json(text) {
        Err(Error::Parse {
            path,
            message,
            line,
            column,
        }) => {
            assert_eq!(path, "$.nmae");
            assert!(message.starts_with("unknown field `nmae`"), "{message}");
            assert!(!message.contains(" at line "), "location twice: {message}");
            assert_eq!((line, column), (3, 8));
        }
        other => panic!("expected a parse error, got {other:?}"),
    }
    assert!(matches!(
        Definition::from_json("{\"definition_version\": 3}"),
        Err(Error::UnsupportedVersion { found }) if found == "3"
    ));
}

#[test]
fn resolved_hosts_are_lowercase_and_unique_without_the_hostname() {
    let d = definition(json!({
        "definition_version": 1,
        "name": "Hosts",
        "description": "Hosts.",
        "hostname": "API.Example.com",
        "extra_hosts": ["cdn.example.com", "api.example.com", "CDN.example.com", "files.example.com:8443"],
        "actions": [{"id": "a", "name": "A", "method": "GET", "path": "/"}]
    }));
    let header = d.resolve().header;
    assert_eq!(header.hostname, "api.example.com");
    assert_eq!(
        header.allowed_hosts,
        ["cdn.example.com", "files.example.com:8443"]
    );
}

#[test]
fn the_demo_definition_is_valid() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/demo/definition.json"
    );
    let text = std::fs::read_to_string(path).expect("read the demo definition");
    let d = Definition::from_json(&text).expect("the demo definition is valid");
    assert_eq!(d.actions.len(), 3);
}

#[test]
fn an_action_with_its_own_pagination_uses_its_own_results_key() {
    let page = json!({
        "type": "object",
        "properties": {"records": {"type": "array", "items": ITEM()}}
    });
    let d = minimal(
        json!([{"id": "list", "name": "List", "method": "GET", "path": "/items",
                "output_schema": page, "paginated": true,
                "pagination": {"type": "page", "page_param": "p", "results_key": "records"}}]),
        json!({"type": "index", "index_param": "offset", "results_key": "data.items"}),
    );
    let manifest = d.resolve();
    let schema = &manifest.actions[0].output_schema;
    assert_eq!(schema["properties"]["results"]["items"], ITEM());
    assert_eq!(schema["properties"]["warnings"]["type"], "array");
}
