//! Golden tests for Swagger 2.0 -> OpenAPI 3.0 conversion: every `<name>.swagger.{json,yaml}`
//! in `tests/fixtures/convert/` must convert to `<name>.openapi.json` next to it.
//! `BLESS=1 cargo test -p plugboard-openapi --test convert` rewrites the expectations.

// Test helpers outside `#[test]` functions unwrap too.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use plugboard_openapi::Error;
use plugboard_openapi::convert::{Converted, swagger2_json_text, to_openapi3};
use plugboard_openapi::source::{Document, Format, render};
use serde_json::{Value, json};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/convert")
}

fn convert_file(path: &Path) -> Converted {
    let text = std::fs::read_to_string(path).unwrap();
    let document = Document::parse(&text).unwrap();
    to_openapi3(&document.value).unwrap()
}

/// The JSON fast path ([`swagger2_json_text`]) writes what the general path writes, and gives
/// way (`None`) wherever the general path fails or the input is not Swagger 2.0 JSON.
fn fast_path_agrees(text: &str) {
    let general = Document::parse(text)
        .ok()
        .filter(|document| document.format == Format::Json)
        .and_then(|document| to_openapi3(&document.value).ok())
        .filter(|converted| converted.from_swagger2);
    let fast = swagger2_json_text(text);
    match (general, fast) {
        (None, None) => {}
        (Some(converted), Some(fast)) => {
            assert_eq!(fast.text, render(&converted.value, Format::Json).unwrap());
            let operations: usize = converted.value["paths"]
                .as_object()
                .unwrap()
                .iter()
                .filter(|(path, _)| !path.starts_with("x-"))
                .map(|(_, item)| item.as_object().map_or(0, |item| item.len()))
                .sum();
            assert!(fast.operations <= operations, "{text}");
        }
        (general, fast) => panic!("the paths disagree on {text}: {general:?} vs {fast:?}"),
    }
}

fn convert_fixture(name: &str) -> Converted {
    let dir = fixtures();
    let json = dir.join(format!("{name}.swagger.json"));
    let path = if json.exists() {
        json
    } else {
        dir.join(format!("{name}.swagger.yaml"))
    };
    convert_file(&path)
}

#[test]
fn golden_fixtures() {
    let bless = std::env::var_os("BLESS").is_some();
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            let name = path.file_name().unwrap().to_string_lossy();
            name.ends_with(".swagger.json") || name.ends_with(".swagger.yaml")
        })
        .collect();
    inputs.sort();
    assert!(inputs.len() >= 5, "fixtures missing: {inputs:?}");
    let mut failures = Vec::new();
    for input in &inputs {
        let name = input.file_name().unwrap().to_string_lossy();
        let stem = name.split(".swagger.").next().unwrap();
        let expected_path = input.with_file_name(format!("{stem}.openapi.json"));
        let converted = convert_file(input);
        assert!(converted.from_swagger2);
        fast_path_agrees(&std::fs::read_to_string(input).unwrap());
        let actual = serde_json::to_string_pretty(&converted.value).unwrap() + "\n";
        if bless {
            std::fs::write(&expected_path, &actual).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path)
            .unwrap_or_else(|e| panic!("{}: {e} (run with BLESS=1)", expected_path.display()));
        if expected != actual {
            failures.push(format!(
                "{} differs from {}:\n{actual}",
                input.display(),
                expected_path.display()
            ));
        }
        // The output must convert to itself (3.0 passes through).
        let again = to_openapi3(&converted.value).unwrap();
        assert!(!again.from_swagger2);
        assert_eq!(again.value, converted.value);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn json_and_yaml_inputs_convert_alike() {
    assert_eq!(
        convert_fixture("petstore").value,
        convert_fixture("petstore-yaml").value
    );
}

#[test]
fn openapi3_passes_through_with_identity_pointers() {
    for version in ["3.0.3", "3.1.0"] {
        let input =
            json!({"openapi": version, "info": {"title": "t", "version": "1"}, "paths": {}});
        let converted = to_openapi3(&input).unwrap();
        assert!(!converted.from_swagger2);
        assert_eq!(converted.value, input);
        assert!(converted.origins().is_empty());
        assert_eq!(
            converted.original_pointer("/paths/~1a/get"),
            "/paths/~1a/get"
        );
    }
}

#[test]
fn unknown_versions_are_refused() {
    assert!(matches!(
        to_openapi3(&json!({"swagger": "1.2"})),
        Err(Error::UnknownVersion { .. })
    ));
}

#[test]
fn original_pointers_of_the_petstore() {
    let converted = convert_fixture("petstore");
    let cases = [
        ("/openapi", "/swagger"),
        ("/info/title", "/info/title"),
        ("/servers/0/url", "/host"),
        ("/components/schemas/Pet", "/definitions/Pet"),
        (
            "/components/schemas/NewPet/properties/tag/nullable",
            "/definitions/NewPet/properties/tag/x-nullable",
        ),
        (
            "/components/schemas/Pet/allOf/0/$ref",
            "/definitions/Pet/allOf/0/$ref",
        ),
        ("/components/responses/Error", "/responses/Error"),
        (
            "/components/responses/Error/content/application~1json/schema/$ref",
            "/responses/Error/schema/$ref",
        ),
        (
            "/components/parameters/TraceId/schema/format",
            "/parameters/TraceId/format",
        ),
        (
            "/components/securitySchemes/api_key",
            "/securityDefinitions/api_key",
        ),
        (
            "/paths/~1pets/post/requestBody",
            "/paths/~1pets/post/parameters/0",
        ),
        (
            "/paths/~1pets/post/requestBody/content/application~1json/schema/$ref",
            "/paths/~1pets/post/parameters/0/schema/$ref",
        ),
        (
            "/paths/~1pets/post/requestBody/required",
            "/paths/~1pets/post/parameters/0/required",
        ),
        (
            "/paths/~1pets/get/parameters/0/schema",
            "/paths/~1pets/get/parameters/0",
        ),
        (
            "/paths/~1pets/get/parameters/0/schema/maximum",
            "/paths/~1pets/get/parameters/0/maximum",
        ),
        (
            "/paths/~1pets/get/parameters/1/style",
            "/paths/~1pets/get/parameters/1/type",
        ),
        (
            "/paths/~1pets/get/responses/200/content/application~1json/schema/items",
            "/paths/~1pets/get/responses/200/schema/items",
        ),
        (
            "/paths/~1pets/get/responses/200/headers/x-next/schema/type",
            "/paths/~1pets/get/responses/200/headers/x-next/type",
        ),
        (
            "/paths/~1pets~1{petId}/parameters/0/schema/type",
            "/paths/~1pets~1{petId}/parameters/0/type",
        ),
    ];
    for (converted_pointer, original) in cases {
        assert_eq!(
            converted.original_pointer(converted_pointer),
            original,
            "origin of {converted_pointer}"
        );
        // Every converted pointer in the cases exists in the output.
        assert!(
            converted.value.pointer(converted_pointer).is_some(),
            "{converted_pointer} is not in the output"
        );
    }
    // The map stays compact: far fewer entries than converted values.
    assert!(
        converted.origins().len() < 40,
        "{} entries",
        converted.origins().len()
    );
}

#[test]
fn original_pointers_of_moved_parameters_and_forms() {
    let converted = convert_fixture("features");
    let input = Document::parse(
        &std::fs::read_to_string(fixtures().join("features.swagger.yaml")).unwrap(),
    )
    .unwrap()
    .value;
    let cases = [
        // `#/parameters/Ids` is the second entry of `/items` put, the first after the body.
        (
            "/paths/~1items/put/parameters/0",
            "/paths/~1items/put/parameters/1",
        ),
        (
            "/paths/~1items/put/parameters/0/$ref",
            "/paths/~1items/put/parameters/1/$ref",
        ),
        (
            "/paths/~1items/put/requestBody",
            "/paths/~1items/put/parameters/0",
        ),
        ("/components/requestBodies/Item", "/parameters/Item"),
        (
            "/components/requestBodies/Item/content/application~1json/schema/$ref",
            "/parameters/Item/schema/$ref",
        ),
        (
            "/components/parameters/Ids/style",
            "/parameters/Ids/collectionFormat",
        ),
        (
            "/paths/~1upload/post/requestBody/content/multipart~1form-data/schema/properties/file",
            "/paths/~1upload/post/parameters/0",
        ),
        (
            "/paths/~1upload/post/requestBody/content/multipart~1form-data/schema/properties/file/description",
            "/paths/~1upload/post/parameters/0/description",
        ),
        // A form field reached through `#/parameters/Note` comes from the definition.
        (
            "/paths/~1upload/post/requestBody/content/multipart~1form-data/schema/properties/note/type",
            "/parameters/Note/type",
        ),
        (
            "/paths/~1forms/post/requestBody/content/application~1x-www-form-urlencoded/schema/properties/name/example",
            "/paths/~1forms/post/parameters/0/x-example",
        ),
        (
            "/paths/~1forms/post/requestBody/content/application~1x-www-form-urlencoded/encoding/colours",
            "/paths/~1forms/post/parameters/1",
        ),
        (
            "/paths/~1search/get/parameters/1/style",
            "/paths/~1search/get/parameters/1/collectionFormat",
        ),
        (
            "/paths/~1search/get/parameters/7/schema/nullable",
            "/paths/~1search/get/parameters/7/x-nullable",
        ),
        ("/paths/~1search/get/servers", "/paths/~1search/get/schemes"),
        (
            "/paths/~1items/put/responses/200/content/text~1plain/examples/response/value",
            "/paths/~1items/put/responses/200/examples/text~1plain",
        ),
        (
            "/paths/~1items/put/responses/200/content/application~1xml/schema/$ref",
            "/paths/~1items/put/responses/200/schema/$ref",
        ),
        (
            "/components/securitySchemes/accessCode/flows/authorizationCode/tokenUrl",
            "/securityDefinitions/accessCode/tokenUrl",
        ),
        (
            "/components/securitySchemes/application/flows/clientCredentials/scopes",
            "/securityDefinitions/application/scopes",
        ),
        (
            "/components/securitySchemes/basic/scheme",
            "/securityDefinitions/basic/type",
        ),
        (
            "/components/schemas/Animal/discriminator/propertyName",
            "/definitions/Animal/discriminator",
        ),
        (
            "/components/schemas/Item/properties/extra/additionalProperties/$ref",
            "/definitions/Item/properties/extra/additionalProperties/$ref",
        ),
    ];
    for (converted_pointer, original) in cases {
        assert_eq!(
            converted.original_pointer(converted_pointer),
            original,
            "origin of {converted_pointer}"
        );
        assert!(
            converted.value.pointer(converted_pointer).is_some(),
            "{converted_pointer} is not in the output"
        );
        assert!(
            input.pointer(original).is_some(),
            "{original} is not in the input"
        );
    }
}

/// Converts a Swagger 2.0 document with one operation whose body is `operation`.
fn convert_operation(operation: Value) -> Result<Converted, Error> {
    let document = json!({
        "swagger": "2.0",
        "info": {"title": "t", "version": "1"},
        "paths": {"/a": {"post": operation}}
    });
    fast_path_agrees(&document.to_string());
    to_openapi3(&document)
}

fn convert_error(input: Value) -> (String, String) {
    fast_path_agrees(&input.to_string());
    match to_openapi3(&input) {
        Err(Error::Convert { pointer, message }) => (pointer, message),
        other => panic!("expected a conversion error, got {other:?}"),
    }
}

#[test]
fn malformed_inputs_name_the_place() {
    let base = |extra: Value| {
        let mut doc =
            json!({"swagger": "2.0", "info": {"title": "t", "version": "1"}, "paths": {}});
        for (k, v) in extra.as_object().unwrap() {
            doc[k] = v.clone();
        }
        doc
    };
    let cases = [
        (
            base(
                json!({"paths": {"/a": {"get": {"parameters": [{"name": "q", "type": "string"}], "responses": {}}}}}),
            ),
            "/paths/~1a/get/parameters/0",
            "`in`",
        ),
        (
            base(
                json!({"paths": {"/a": {"get": {"parameters": [{"name": "q", "in": "cookie", "type": "string"}], "responses": {}}}}}),
            ),
            "/paths/~1a/get/parameters/0/in",
            "cookie",
        ),
        (
            base(json!({"definitions": {"A": {"properties": {"b": {"$ref": 7}}}}})),
            "/definitions/A/properties/b/$ref",
            "string",
        ),
        (
            base(
                json!({"paths": {"/a": {"get": {"parameters": [{"$ref": ["#/parameters/X"]}], "responses": {}}}}}),
            ),
            "/paths/~1a/get/parameters/0/$ref",
            "string",
        ),
        (
            base(
                json!({"paths": {"/a": {"get": {"parameters": [{"$ref": "#/parameters/Missing"}], "responses": {}}}}}),
            ),
            "/paths/~1a/get/parameters/0/$ref",
            "not defined",
        ),
        (base(json!({"paths": []})), "/paths", "object"),
        (
            base(json!({"paths": {"/a": "get"}})),
            "/paths/~1a",
            "object",
        ),
        (
            base(json!({"paths": {"/a": {"get": {"parameters": {}, "responses": {}}}}})),
            "/paths/~1a/get/parameters",
            "array",
        ),
        (
            base(json!({"paths": {"/a": {"get": {"responses": {"200": "ok"}}}}})),
            "/paths/~1a/get/responses/200",
            "object",
        ),
        (
            base(json!({"definitions": {"A": {"properties": []}}})),
            "/definitions/A/properties",
            "object",
        ),
        (base(json!({"host": 80})), "/host", "string"),
        (base(json!({"schemes": "https"})), "/schemes", "array"),
        (base(json!({"consumes": [1]})), "/consumes/0", "string"),
        (
            base(json!({"securityDefinitions": {"o": {"type": "oauth2", "flow": "magic"}}})),
            "/securityDefinitions/o/flow",
            "magic",
        ),
        (
            base(json!({"securityDefinitions": {"o": {"type": "digest"}}})),
            "/securityDefinitions/o/type",
            "digest",
        ),
        (
            base(json!({"parameters": {"P": {"name": "p", "type": "string"}}})),
            "/parameters/P",
            "`in`",
        ),
    ];
    for (input, pointer, needle) in cases {
        let (actual_pointer, message) = convert_error(input);
        assert_eq!(actual_pointer, pointer, "{message}");
        assert!(
            message.contains(needle),
            "{message:?} should mention {needle}"
        );
    }
    let (pointer, message) = match convert_operation(json!({
        "parameters": [
            {"name": "a", "in": "body", "schema": {}},
            {"name": "b", "in": "body", "schema": {}}
        ],
        "responses": {}
    })) {
        Err(Error::Convert { pointer, message }) => (pointer, message),
        other => panic!("{other:?}"),
    };
    assert_eq!(pointer, "/paths/~1a/post/parameters/1");
    assert!(message.contains("only one"));
    let (pointer, _) = match convert_operation(json!({
        "parameters": [
            {"name": "a", "in": "body", "schema": {}},
            {"name": "b", "in": "formData", "type": "string"}
        ],
        "responses": {}
    })) {
        Err(Error::Convert { pointer, message }) => (pointer, message),
        other => panic!("{other:?}"),
    };
    assert_eq!(pointer, "/paths/~1a/post/parameters/1");
}

#[test]
fn servers_from_host_without_schemes_and_no_host_at_all() {
    let converted = to_openapi3(&json!({
        "swagger": "2.0", "info": {"title": "t", "version": "1"},
        "host": "api.example.com", "basePath": "/v2/", "paths": {}
    }))
    .unwrap();
    assert_eq!(
        converted.value["servers"],
        json!([{"url": "//api.example.com/v2"}])
    );
    let converted = to_openapi3(&json!({
        "swagger": "2.0", "info": {"title": "t", "version": "1"}, "paths": {}
    }))
    .unwrap();
    assert!(converted.value.get("servers").is_none());
    assert!(converted.value.get("components").is_none());
}

#[test]
fn external_refs_are_kept() {
    let converted = convert_operation(json!({
        "parameters": [{"$ref": "common.yaml#/parameters/Page"}],
        "responses": {"200": {"$ref": "common.yaml#/responses/Ok"}}
    }))
    .unwrap();
    let operation = &converted.value["paths"]["/a"]["post"];
    assert_eq!(
        operation["parameters"],
        json!([{"$ref": "common.yaml#/parameters/Page"}])
    );
    assert_eq!(
        operation["responses"]["200"],
        json!({"$ref": "common.yaml#/responses/Ok"})
    );
}

#[test]
fn operation_consumes_and_produces_override_the_defaults() {
    let converted = convert_operation(json!({
        "consumes": ["text/plain"],
        "produces": [],
        "parameters": [{"name": "b", "in": "body", "schema": {"type": "string"}}],
        "responses": {"200": {"description": "ok", "schema": {"type": "string"}}}
    }))
    .unwrap();
    let operation = &converted.value["paths"]["/a"]["post"];
    assert_eq!(
        operation["requestBody"],
        json!({"content": {"text/plain": {"schema": {"type": "string"}}}})
    );
    assert_eq!(
        operation["responses"]["200"]["content"],
        json!({"application/json": {"schema": {"type": "string"}}})
    );
}

/// AutoRest's `x-ms-parameterized-host` becomes a server with variables (their defaults, or
/// none for the installation to give), and a shared body parameter takes the operation's own
/// `consumes` (autorest `media_types.json`).
#[test]
fn parameterized_hosts_and_shared_bodies_with_their_own_media_types() {
    let swagger = json!({
        "swagger": "2.0",
        "info": {"title": "Media", "version": "1"},
        "host": "management.example.com",
        "basePath": "/v1",
        "schemes": ["https"],
        "consumes": ["application/json"],
        "x-ms-parameterized-host": {
            "hostTemplate": "{accountName}.{suffix}",
            "parameters": [
                {"$ref": "#/parameters/accountName"},
                {"name": "suffix", "in": "path", "required": true, "type": "string",
                 "default": "blob.example.net", "x-ms-skip-url-encoding": true}
            ]
        },
        "parameters": {
            "accountName": {"name": "accountName", "in": "path", "required": true, "type": "string",
                "description": "The storage account."},
            "input": {"name": "input", "in": "body", "required": true, "schema": {"type": "string"}}
        },
        "paths": {
            "/analyze": {"post": {
                "operationId": "analyze",
                "consumes": ["application/pdf", "text/plain"],
                "parameters": [{"$ref": "#/parameters/input"}],
                "responses": {"200": {"description": "ok"}}
            }},
            "/plain": {"post": {
                "operationId": "plain",
                "parameters": [{"$ref": "#/parameters/input"}],
                "responses": {"200": {"description": "ok"}}
            }}
        }
    });
    let converted = to_openapi3(&swagger).unwrap().value;
    assert_eq!(
        converted["servers"],
        json!([{"url": "https://{accountName}.{suffix}/v1", "variables": {
            "accountName": {"default": "", "description": "The storage account."},
            "suffix": {"default": "blob.example.net"}
        }}])
    );
    let analyze = &converted["paths"]["/analyze"]["post"]["requestBody"];
    assert!(analyze.get("$ref").is_none(), "{analyze}");
    let types: Vec<&String> = analyze["content"].as_object().unwrap().keys().collect();
    assert_eq!(types, ["application/pdf", "text/plain"]);
    assert_eq!(
        converted["paths"]["/plain"]["post"]["requestBody"],
        json!({"$ref": "#/components/requestBodies/input"})
    );

    // Import: the variable without a default makes a hostname template, each placeholder a
    // config value the installation sets.
    let imported = plugboard_openapi::import::import(
        &converted,
        &plugboard_openapi::import::Options::default(),
    )
    .unwrap();
    assert_eq!(
        imported.definition.hostname,
        "{accountName}.blob.example.net"
    );
    assert_eq!(imported.definition.base_path, "/v1");
    assert!(
        imported
            .summary
            .notes
            .iter()
            .any(|n| n.contains("`accountName`") && n.contains("per installation")),
        "{:?}",
        imported.summary.notes
    );
    let header = imported.definition.resolve_header();
    assert_eq!(header.hostname, "{accountName}.blob.example.net");
    assert_eq!(header.config[0].name, "accountName");
    header.check().unwrap();
}

#[test]
fn the_json_fast_path_writes_what_the_general_path_writes() {
    let cases = [
        // Escapes, numbers and text that serde_json writes back differently.
        r#"{"swagger":"2.0","info":{"title":"A \"quoted\" \u00e9 \/ \t title","version":"1"},
           "x-numbers":[1.0,1e5,-0,0,-7,18446744073709551615,18446744073709551616,1.5e-3,-1E+2],
           "x-text":"caf\u00e9 \ud83d\ude00 ok","paths":{}}"#,
        // Keys that collide with what the converter adds, keys with escapes.
        r##"{"swagger":"2.0","host":"h.example","schemes":["https","http"],"servers":[1],
           "components":{"x":1},"info":{"title":"t","version":"1"},
           "paths":{"/a\/b~c":{"post":{"requestBody":1,"parameters":[
             {"in":"formData","name":"f","type":"file","x-example":1,"example":2},
             {"in":"formData","name":"f","type":"array","items":{"type":"string","collectionFormat":"csv",
               "items":{"collectionFormat":"ssv"}},"collectionFormat":"pipes"}],
             "responses":{"200":{"description":"ok","schema":{"type":"file","format":"x",
               "x-nullable":true,"nullable":false,"discriminator":"k","items":[{},{}]},
               "examples":{"application/json":{"a":1},"text/plain":"t"},
               "headers":{"X-A":{"type":"array","items":{"type":"integer"},"collectionFormat":"tsv"}}}}},
             "get":{"parameters":[{"in":"query","name":"q","type":"array","items":{"type":"string",
               "collectionFormat":"multi","items":[{"collectionFormat":"x"}]},"x-example":[1],
               "allowEmptyValue":true},{"in":"header","name":"h","type":"string","allowEmptyValue":true}],
               "schemes":["ftp"],"responses":{"default":{"description":"d"}}}}},
           "definitions":{"N\u0041me":{"properties":{"a":{"$ref":"#/definitions/B"}},"additionalProperties":false},
             "B":{"items":{"type":"file"},"allOf":[{"x-nullable":false}],"not":{"type":"string"}}},
           "securityDefinitions":{"b":{"type":"basic","description":"d"},"k":{"type":"apiKey","in":"header","name":"k"},
             "o":{"type":"oauth2","flow":"accessCode","authorizationUrl":"https://a","tokenUrl":"https://t",
               "name":"n","x-a":1}}}"##,
        r##"{"swagger":"2.0","info":{"title":"t","version":"1"},"paths":{},
           "x-ms-parameterized-host":{"hostTemplate":"{a}.example.com","parameters":[
             {"name":"a","enum":[3]},{"$ref":"#/parameters/b"}]},
           "parameters":{"b":{"name":"b","in":"path","default":"x","description":"d","type":"string"},
             "body":{"name":"body","in":"body","schema":{"type":"object"},"x-a":1,"required":true}}}"##,
        // Not for the fast path: duplicate keys, OpenAPI 3, YAML, not a mapping, bad version.
        r#"{"swagger":"2.0","info":{"title":"t","version":"1"},"paths":{},"paths":{}}"#,
        r#"{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{}}"#,
        "swagger: '2.0'\ninfo: {title: t, version: '1'}\npaths: {}\n",
        "[1]",
        r#"{"swagger":2.0,"paths":{}}"#,
        "\u{feff}{\"swagger\":\"2.0\",\"info\":{\"title\":\"t\",\"version\":\"1\"},\"paths\":{}}",
        r#"{"swagger":"2.0","info":{"title":"t","version":"1"},"paths":{}} x"#,
    ];
    for case in cases {
        fast_path_agrees(case);
    }
    assert!(swagger2_json_text(cases[0]).is_some());
    assert!(swagger2_json_text(cases[1]).is_some());
    assert!(swagger2_json_text(cases[3]).is_none());
    let deep = format!(
        r#"{{"swagger":"2.0","info":{{"title":"t","version":"1"}},"paths":{{}},"x":{}{}}}"#,
        "[".repeat(300),
        "]".repeat(300)
    );
    // Deeper than serde_json reads: the general path converts it.
    assert!(swagger2_json_text(&deep).is_none());
    assert!(to_openapi3(&Document::parse(&deep).unwrap().value).is_ok());
}
