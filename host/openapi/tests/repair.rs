//! Repair: one test per troubleshooting class (the fix, and the repaired spec lints free of that
//! class), plus filters and a fixture with every class at once.

use std::path::Path;

use plugboard_openapi::lint::{REPAIRED_RULES, lint};
use plugboard_openapi::repair::{Change, CleanOptions, Cleaned, clean};
use plugboard_openapi::source::Document;
use serde_json::{Value, json};

fn base(paths: Value, schemas: Value) -> Value {
    json!({
        "openapi": "3.0.3",
        "info": {"title": "T", "version": "1", "description": "D"},
        "servers": [{"url": "https://api.example.com"}],
        "paths": paths,
        "components": {"schemas": schemas}
    })
}

fn cleaned(value: &Value) -> Cleaned {
    clean(value, &CleanOptions::default()).expect("clean")
}

/// Panics if the value has findings of a repaired class; returns the rules of the others.
fn assert_lints_clean(value: &Value) {
    let left: Vec<_> = lint(value)
        .into_iter()
        .filter(|f| REPAIRED_RULES.contains(&f.rule))
        .collect();
    assert!(left.is_empty(), "still found: {left:#?}\nin {value:#}");
}

fn changes_of<'a>(cleaned: &'a Cleaned, rule: &str) -> Vec<&'a Change> {
    cleaned.changes.iter().filter(|c| c.rule == rule).collect()
}

fn ok_op(id: Option<&str>) -> Value {
    let mut op = json!({"responses": {"200": {"description": "ok"}}});
    if let Some(id) = id {
        op["operationId"] = json!(id);
    }
    op
}

#[test]
fn info_description_from_title() {
    let mut spec = base(json!({}), json!({}));
    spec["info"] = json!({"title": "Pet Store", "version": "1"});
    let out = cleaned(&spec);
    assert_eq!(out.value["info"]["description"], "Pet Store");
    assert_eq!(changes_of(&out, "info-description").len(), 1);
    assert_lints_clean(&out.value);
}

#[test]
fn operation_ids_generated_from_method_and_path() {
    let spec = base(
        json!({"/users/{id}/pets": {"get": ok_op(None), "post": ok_op(Some("postUsersByIdPets"))},
               "/": {"get": ok_op(None)}}),
        json!({}),
    );
    let out = cleaned(&spec);
    let get = &out.value["paths"]["/users/{id}/pets"]["get"]["operationId"];
    // The natural name is taken by the POST, so the GET gets a suffix-free readable one.
    assert_eq!(get, "getUsersByIdPets");
    assert_eq!(out.value["paths"]["/"]["get"]["operationId"], "getRoot");
    let changes = changes_of(&out, "operation-operationId");
    assert_eq!(changes.len(), 2, "{changes:#?}");
    assert_eq!(changes[0].pointer, "/paths/~1users~1{id}~1pets/get");
    assert_lints_clean(&out.value);
}

#[test]
fn generated_ids_do_not_collide_with_existing_ones() {
    let spec = base(
        json!({"/a": {"get": ok_op(None)}, "/b": {"get": ok_op(Some("getA"))}}),
        json!({}),
    );
    let out = cleaned(&spec);
    assert_eq!(out.value["paths"]["/a"]["get"]["operationId"], "getA2");
    assert_lints_clean(&out.value);
}

#[test]
fn duplicate_operation_ids_renamed() {
    let spec = base(
        json!({"/a": {"get": ok_op(Some("list"))}, "/b": {"get": ok_op(Some("list"))},
               "/c": {"get": ok_op(Some("list")), "put": ok_op(Some("list2"))}}),
        json!({}),
    );
    let out = cleaned(&spec);
    assert_eq!(out.value["paths"]["/a"]["get"]["operationId"], "list");
    assert_eq!(out.value["paths"]["/b"]["get"]["operationId"], "list3");
    assert_eq!(out.value["paths"]["/c"]["get"]["operationId"], "list4");
    assert_eq!(out.value["paths"]["/c"]["put"]["operationId"], "list2");
    let changes = changes_of(&out, "operation-operationId-unique");
    assert_eq!(changes.len(), 2);
    assert!(
        changes[0]
            .description
            .contains("`list` of GET /b to `list3`"),
        "{}",
        changes[0]
    );
    assert_lints_clean(&out.value);
}

#[test]
fn trailing_slashes_stripped_and_merged() {
    let spec = base(
        json!({"/a/": {"get": ok_op(Some("a"))}, "/a": {"post": ok_op(Some("b"))},
               "/c/": {"get": ok_op(Some("c"))}}),
        json!({}),
    );
    let out = cleaned(&spec);
    let paths = out.value["paths"].as_object().expect("paths");
    assert_eq!(paths.keys().collect::<Vec<_>>(), vec!["/a", "/c"]);
    assert_eq!(paths["/a"]["get"]["operationId"], "a");
    assert_eq!(paths["/a"]["post"]["operationId"], "b");
    let changes = changes_of(&out, "path-keys-no-trailing-slash");
    assert_eq!(changes.len(), 2);
    assert!(
        changes[0].description.contains("merged `/a/` into `/a`"),
        "{}",
        changes[0]
    );
    assert!(
        changes[1].description.contains("renamed `/c/` to `/c`"),
        "{}",
        changes[1]
    );
    assert_lints_clean(&out.value);
}

#[test]
fn colliding_trailing_slash_is_left_and_said() {
    let spec = base(
        json!({"/a/": {"get": ok_op(Some("a"))}, "/a": {"get": ok_op(Some("b"))}}),
        json!({}),
    );
    let out = cleaned(&spec);
    assert!(out.value["paths"].get("/a/").is_some());
    let changes = changes_of(&out, "path-keys-no-trailing-slash");
    assert_eq!(changes.len(), 1);
    assert!(
        changes[0].description.contains("left `/a/`"),
        "{}",
        changes[0]
    );
    assert!(changes[0].description.contains("`get`"), "{}", changes[0]);
}

#[test]
fn cycles_broken_at_the_closing_ref() {
    let spec = base(
        json!({}),
        json!({
            "Node": {"type": "object", "properties": {"children": {"$ref": "#/components/schemas/Children"}}},
            "Children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
            "A": {"type": "object", "properties": {"b": {"$ref": "#/components/schemas/B"}, "self": {"$ref": "#/components/schemas/A"}}},
            "B": {"type": "object", "properties": {"a": {"$ref": "#/components/schemas/A"}}}
        }),
    );
    let out = cleaned(&spec);
    let schemas = &out.value["components"]["schemas"];
    // The first edge stays; the one that closes the cycle is replaced.
    assert_eq!(
        schemas["Node"]["properties"]["children"]["$ref"],
        "#/components/schemas/Children"
    );
    assert_eq!(schemas["Children"]["items"]["type"], "object");
    assert!(schemas["Children"]["items"].get("$ref").is_none());
    let changes = changes_of(&out, "circular-references");
    assert_eq!(changes.len(), 3, "{changes:#?}");
    assert!(
        changes[0].description.contains("Node -> Children -> Node"),
        "{}",
        changes[0]
    );
    assert_lints_clean(&out.value);
}

#[test]
fn invalid_patterns_dropped() {
    let spec = base(
        json!({"/s": {"get": {"operationId": "getS", "responses": {"200": {"description": "ok"}}}}}),
        json!({"S": {"type": "object", "properties": {
            "bad": {"type": "string", "pattern": "[z-a]"},
            "good": {"type": "string", "pattern": "^(?=a).+$"},
            "slashes": {"type": "string", "pattern": "/^x$/"}
        }}}),
    );
    let out = cleaned(&spec);
    let props = &out.value["components"]["schemas"]["S"]["properties"];
    assert!(props["bad"].get("pattern").is_none());
    assert_eq!(props["good"]["pattern"], "^(?=a).+$");
    assert_eq!(props["slashes"]["pattern"], "^x$");
    let dropped = changes_of(&out, "schema-pattern-valid");
    assert_eq!(dropped.len(), 1);
    assert_eq!(
        dropped[0].pointer,
        "/components/schemas/S/properties/bad/pattern"
    );
    assert!(lint(&out.value).is_empty(), "{:#?}", lint(&out.value));
}

#[test]
fn required_names_fixed_or_added() {
    let spec = base(
        json!({}),
        json!({
            "Typo": {"type": "object", "required": ["user_id"], "properties": {"userId": {"type": "string"}}},
            "Missing": {"type": "object", "required": ["a", "b", "c"], "properties": {"a": {}}},
            "Both": {"type": "object", "required": ["x", "X"], "properties": {"x": {}}}
        }),
    );
    let out = cleaned(&spec);
    let schemas = &out.value["components"]["schemas"];
    assert_eq!(schemas["Typo"]["required"], json!(["userId"]));
    assert_eq!(schemas["Missing"]["required"], json!(["a", "b", "c"]));
    assert!(schemas["Missing"]["properties"].get("b").is_some());
    assert!(schemas["Missing"]["properties"].get("c").is_some());
    assert_eq!(schemas["Both"]["required"], json!(["x"]));
    let changes = changes_of(&out, "schema-required-defined");
    assert_eq!(changes.len(), 4, "{changes:#?}");
    assert!(
        changes
            .iter()
            .any(|c| c.description.contains("added `b` to `properties`"))
    );
    assert!(
        changes
            .iter()
            .any(|c| c.description.contains("removed `user_id` from `required`"))
    );
    assert_lints_clean(&out.value);
}

#[test]
fn filters_cut_paths_operations_and_unused_components() {
    let spec = base(
        json!({
            "/users": {"get": {"tags": ["users"], "operationId": "u", "responses": {"200": {"description": "ok",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/User"}}}}}},
                       "delete": {"tags": ["admin"], "operationId": "d", "responses": {"204": {"description": "ok"}}}},
            "/users/{id}": {"get": {"tags": ["users"], "operationId": "g", "parameters": [{"name": "id", "in": "path", "required": true}],
                "responses": {"200": {"description": "ok"}}}},
            "/pets": {"get": {"tags": ["pets"], "operationId": "p", "responses": {"200": {"description": "ok",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}}}}}}
        }),
        json!({"User": {"type": "object", "properties": {"friend": {"$ref": "#/components/schemas/Friend"}}},
               "Friend": {"type": "object"}, "Pet": {"type": "object"}}),
    );
    let options = CleanOptions {
        include_tags: vec!["user*".into()],
        exclude_tags: vec!["admin".into()],
        include_paths: vec![],
        exclude_paths: vec!["/users/*".into()],
    };
    let out = clean(&spec, &options).expect("clean");
    let paths = out.value["paths"].as_object().expect("paths");
    assert_eq!(paths.keys().collect::<Vec<_>>(), vec!["/users"]);
    assert!(paths["/users"].get("delete").is_none());
    let schemas = out.value["components"]["schemas"]
        .as_object()
        .expect("schemas");
    assert_eq!(schemas.keys().collect::<Vec<_>>(), vec!["User", "Friend"]);
    let filtered = changes_of(&out, "filter");
    // DELETE /users, /users/{id}, GET /pets and then the empty /pets.
    assert_eq!(filtered.len(), 4, "{filtered:#?}");
    assert_eq!(changes_of(&out, "unused-components").len(), 1);
}

#[test]
fn bad_glob_is_an_invalid_option() {
    let options = CleanOptions {
        include_paths: vec!["/a/{".into()],
        ..CleanOptions::default()
    };
    let err = clean(&base(json!({}), json!({})), &options).expect_err("bad glob");
    assert!(err.to_string().contains("--include-paths"), "{err}");
}

#[test]
fn lint_fixture_cleans_to_no_repaired_errors() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lint/problems.yaml");
    let doc = Document::parse(&std::fs::read_to_string(path).expect("read")).expect("parse");
    let out = cleaned(&doc.value);
    assert_lints_clean(&out.value);
    for rule in REPAIRED_RULES {
        assert!(
            out.changes.iter().any(|c| c.rule == *rule),
            "no change for {rule}: {:#?}",
            out.changes
        );
    }
}

#[test]
fn swagger2_is_repaired_in_place() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lint/swagger2.yaml");
    let doc = Document::parse(&std::fs::read_to_string(path).expect("read")).expect("parse");
    let out = cleaned(&doc.value);
    assert_eq!(out.value["swagger"], "2.0");
    assert!(out.value["paths"].get("/nodes").is_some());
    assert_eq!(
        out.value["definitions"]["Node"]["properties"]["next"]["type"],
        "object"
    );
    assert_lints_clean(&out.value);
}
