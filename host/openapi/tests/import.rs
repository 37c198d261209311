//! Import of small real-looking specs: actions, ids, schemas, auth and pagination suggestions,
//! overrides, and a finalize of the result.

use plugboard_definition::edit::{Settings, apply_settings};
use plugboard_definition::{Auth, LinkLocation, OAuthGrantType, PaginationType, ParameterLocation};
use plugboard_openapi::Error;
use plugboard_openapi::import::{Imported, Options, import_json_text};
use plugboard_openapi::source::Document;
use serde_json::{Value, json};

#[allow(clippy::unwrap_used)]
fn fixture(name: &str, options: &Options) -> Imported {
    let path = format!(
        "{}/tests/fixtures/import/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap();
    let value = Document::parse(&text).unwrap().value;
    let imported = import(&value, options).unwrap();
    lazy_agrees(&text, options, &Ok(imported.clone()));
    imported
}

/// `plugboard_openapi::import::import`, checking that the lazy JSON path gives the same result.
fn import(spec: &Value, options: &Options) -> Result<Imported, Error> {
    let general = plugboard_openapi::import::import(spec, options);
    lazy_agrees(&spec.to_string(), options, &general);
    general
}

/// [`import_json_text`] gives what the general path gives, or gives way (`None`); it gives way
/// only where it must: YAML, Swagger 2.0, a failed import, nesting deeper than serde_json
/// reads, references into `paths` or to the document or a whole section.
fn lazy_agrees(text: &str, options: &Options, general: &Result<Imported, Error>) {
    match import_json_text(text, options) {
        Some(lazy) => assert_eq!(Ok(&lazy), general.as_ref()),
        None => {
            let json = text.trim_start().starts_with('{');
            let swagger = text.contains("\"swagger\"");
            let deep = serde_json::from_str::<Value>(text).is_err();
            let whole = ["\"#/paths", "\"#\"", "\"#/components\""];
            assert!(
                !json
                    || swagger
                    || deep
                    || general.is_err()
                    || whole.iter().any(|r| text.contains(r)),
                "the lazy path gave way on {text}"
            );
        }
    }
}

#[test]
fn petstore_yaml_api_key_and_offset() {
    let imported = fixture("petstore.yaml", &Options::default());
    let d = &imported.definition;
    assert_eq!(d.name, "Petstore demo");
    assert_eq!(d.description, "Pets and their owners.");
    assert_eq!(
        (d.hostname.as_str(), d.base_path.as_str()),
        ("eu.petstore.example.com", "/v1")
    );
    assert_eq!(
        d.auth,
        Auth::ApiKey {
            api_key_header_name: "X-API-Key".into(),
            api_key_preamble: String::new(),
            location: Default::default()
        }
    );
    let ids: Vec<&str> = d.actions.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "listPets",
            "create_pet",
            "getPet",
            "getPet_2",
            "get_owners",
            "get_owners_by_ownerId_pets"
        ]
    );
    let list = &d.actions[0];
    assert_eq!(list.name, "List pets");
    // The cookie parameter is skipped with a note; the $ref parameter is resolved.
    let names: Vec<&str> = list.parameters.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["limit", "offset"]);
    // The page size parameter publishes the range the engine takes (1..=1000, within the
    // spec's own bounds).
    assert_eq!(
        list.parameters[0].schema,
        Some(json!({"type": "integer", "maximum": 100, "minimum": 1}))
    );
    // Component schemas are shared: referenced as `#/schemas/X`, copied once.
    let item = &list.output_schema.as_ref().unwrap()["properties"]["items"]["items"];
    assert_eq!(item, &json!({"$ref": "#/schemas/Pet"}));
    let pet = &d.schemas["Pet"];
    assert_eq!(pet["properties"]["tag"]["type"], json!(["string", "null"]));
    assert_eq!(
        pet["properties"]["parent"],
        json!({"$ref": "#/schemas/Pet"})
    );
    let create = &d.actions[1];
    let body = create.request_body.as_ref().unwrap();
    assert!(body.required);
    assert_eq!(body.schema, Some(json!({"$ref": "#/schemas/NewPet"})));
    assert_eq!(
        d.schemas["NewPet"],
        json!({"type": "object", "properties": {"name": {"type": "string"}}})
    );
    // Path-level parameter, readable name from the operationId.
    let get = &d.actions[2];
    assert_eq!(get.name, "Get pet");
    assert_eq!(get.parameters[0].location, ParameterLocation::Path);
    assert!(get.parameters[0].required);
    // Pagination: offset on two operations wins over page on one.
    assert_eq!(d.pagination.kind, PaginationType::Index);
    assert_eq!(d.pagination.index_param.as_deref(), Some("offset"));
    assert_eq!(d.pagination.page_size_param, "limit");
    assert_eq!(d.pagination.results_key, "items");
    // The page-numbered operation gets its own pagination.
    assert_eq!(
        imported.summary.paginated,
        ["listPets", "get_owners", "get_owners_by_ownerId_pets"]
    );
    let own = d
        .actions
        .iter()
        .find(|a| a.id == "get_owners_by_ownerId_pets")
        .and_then(|a| a.pagination.as_ref())
        .unwrap();
    assert_eq!(own.kind, PaginationType::Page);
    assert!(d.actions.iter().filter(|a| a.pagination.is_some()).count() == 1);
    let notes = imported.summary.notes.join("\n");
    assert!(
        notes.contains("cookie parameter `session` skipped"),
        "{notes}"
    );
    assert!(
        notes.contains("`get_owners_by_ownerId_pets` pages in another style than the integration"),
        "{notes}"
    );
    assert!(notes.contains("`getPet` is taken"), "{notes}");
}

#[test]
fn stripe_like_bearer_and_cursor() {
    let imported = fixture("payments.json", &Options::default());
    let d = &imported.definition;
    assert_eq!(d.name, "Payments API");
    assert_eq!(d.base_path, "");
    assert_eq!(
        d.auth,
        Auth::ApiKey {
            api_key_header_name: "Authorization".into(),
            api_key_preamble: "Bearer".into(),
            location: Default::default()
        }
    );
    assert_eq!(d.pagination.kind, PaginationType::Pointer);
    assert_eq!(d.pagination.after_param.as_deref(), Some("starting_after"));
    assert_eq!(
        d.pagination.pointer_jsonpath.as_deref(),
        Some("$.data[-1].id")
    );
    assert_eq!(d.pagination.results_key, "data");
    assert_eq!(
        imported.summary.paginated,
        ["GetCustomers", "GetInvoices", "GetEvents"]
    );
    // The form body is imported as an object sent form-encoded, with a note.
    let body = d.actions[1].request_body.as_ref().unwrap();
    assert_eq!(
        body.media_type.as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    assert!(
        imported
            .summary
            .notes
            .iter()
            .any(|n| n.contains("sent as `application/x-www-form-urlencoded`"))
    );
    // The `next_cursor` endpoint uses another pointer setup: it has its own.
    assert!(d.actions[3].paginated);
    let own = d.actions[3].pagination.as_ref().unwrap();
    assert_eq!(own.kind, PaginationType::Pointer);
    assert_ne!(own, &d.pagination);
}

#[test]
fn github_like_link_header_and_oauth_note() {
    let imported = fixture("github.json", &Options::default());
    let d = &imported.definition;
    assert_eq!(d.pagination.kind, PaginationType::Link);
    assert_eq!(d.pagination.next_link_location, Some(LinkLocation::Header));
    assert_eq!(d.pagination.page_size_param, "per_page");
    assert_eq!(d.pagination.results_key, "");
    assert_eq!(d.actions[0].id, "repos_list-for-authenticated-user");
    assert!(d.actions[0].paginated && d.actions[1].paginated && !d.actions[2].paginated);
    let Auth::OAuth2(oauth) = &d.auth else {
        panic!("expected OAuth 2.0, got {:?}", d.auth);
    };
    assert_eq!(oauth.grant_type, OAuthGrantType::AuthorizationCode);
    assert_eq!(
        oauth.authorization_code_url.as_deref(),
        Some("https://github.com/login/oauth/authorize")
    );
    assert_eq!(
        oauth.access_token_url,
        "https://github.com/login/oauth/access_token"
    );
    // The requirement asks for no scopes.
    assert_eq!(oauth.scope, "");
    assert!(
        imported
            .summary
            .auth
            .contains("OAuth 2.0 authorization code"),
        "{}",
        imported.summary.auth
    );
}

#[test]
fn oauth_client_credentials_with_required_scopes_and_overrides() {
    let spec = serde_json::json!({
        "openapi": "3.0.3",
        "info": {"title": "Machines", "version": "1", "description": "d"},
        "servers": [{"url": "https://api.example.com"}],
        "security": [{"cc": ["read"]}],
        "components": {"securitySchemes": {"cc": {"type": "oauth2", "flows": {
            "clientCredentials": {"tokenUrl": "https://auth.example.com/token",
                "scopes": {"read": "r", "write": "w", "admin": "a"}}}}}},
        "paths": {"/things": {
            "get": {"operationId": "listThings", "responses": {"200": {"description": "ok"}}},
            "post": {"operationId": "addThing", "security": [{"cc": ["write", "read"]}],
                "responses": {"201": {"description": "ok"}}}
        }}
    });
    let imported = plugboard_openapi::import::import(&spec, &Options::default()).unwrap();
    let Auth::OAuth2(oauth) = &imported.definition.auth else {
        panic!("expected OAuth 2.0, got {:?}", imported.definition.auth);
    };
    assert_eq!(oauth.grant_type, OAuthGrantType::ClientCredentials);
    assert_eq!(oauth.access_token_url, "https://auth.example.com/token");
    assert_eq!(oauth.scope, "read write");
    assert_eq!(oauth.authorization_code_url, None);

    // A token URL relative to the server.
    let mut relative = spec.clone();
    relative["servers"] = json!([{"url": "https://api.example.com/v2/"}]);
    relative["components"]["securitySchemes"]["cc"]["flows"]["clientCredentials"]["tokenUrl"] =
        json!("oauth/token");
    let imported = plugboard_openapi::import::import(&relative, &Options::default()).unwrap();
    let Auth::OAuth2(oauth) = &imported.definition.auth else {
        panic!("expected OAuth 2.0, got {:?}", imported.definition.auth);
    };
    assert_eq!(
        oauth.access_token_url,
        "https://api.example.com/v2/oauth/token"
    );
}

#[test]
fn ms_pageable_and_relative_server() {
    let path = format!(
        "{}/tests/fixtures/import/azure.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let value = Document::parse(&std::fs::read_to_string(path).unwrap())
        .unwrap()
        .value;
    // Without a hostname the draft imports with none, its base path from the relative URL,
    // and a note; finalize asks for the hostname.
    let draft = import(&value, &Options::default()).unwrap();
    assert_eq!(draft.definition.hostname, "");
    assert_eq!(draft.definition.base_path, "/subscriptions/sub");
    assert!(
        draft
            .summary
            .notes
            .iter()
            .any(|n| n.contains("is relative") && n.contains("no hostname")),
        "{:?}",
        draft.summary.notes
    );
    draft.definition.validate().unwrap();
    assert!(matches!(
        plugboard_bundle::finalize(&draft.definition),
        Err(plugboard_bundle::Error::NoHostname)
    ));
    let options = Options {
        hostname: Some("management.example.com".into()),
        pagination: None,
    };
    let imported = import(&value, &options).unwrap();
    let d = &imported.definition;
    assert_eq!(d.hostname, "management.example.com");
    assert_eq!(d.base_path, "/subscriptions/sub");
    assert_eq!(d.auth, Auth::Basic);
    assert_eq!(d.pagination.kind, PaginationType::Link);
    assert_eq!(d.pagination.next_link_location, Some(LinkLocation::Body));
    assert_eq!(d.pagination.next_page_key.as_deref(), Some("nextLink"));
    assert_eq!(d.pagination.results_key, "value");
    assert_eq!(
        imported.summary.paginated,
        ["StorageAccounts_List", "Usages_List"]
    );
    assert!(!d.actions[2].paginated);
}

#[test]
fn forced_pagination_and_overrides() {
    let forced = fixture(
        "petstore.yaml",
        &Options {
            hostname: None,
            pagination: Some(PaginationType::Page),
        },
    );
    assert_eq!(
        forced.definition.pagination.page_param.as_deref(),
        Some("page")
    );
    assert_eq!(
        forced.summary.paginated,
        ["listPets", "get_owners", "get_owners_by_ownerId_pets"]
    );
    assert!(forced.definition.actions[0].pagination.is_some());
    let none = fixture(
        "petstore.yaml",
        &Options {
            hostname: None,
            pagination: Some(PaginationType::None),
        },
    );
    assert!(none.definition.actions.iter().all(|a| !a.paginated));

    let mut d = fixture("petstore.yaml", &Options::default()).definition;
    let settings = Settings {
        default_page_size: Some(50),
        index_param: Some("start".into()),
        extra_headers: vec![("X-Client".into(), "plugboard".into())],
        ..Settings::default()
    };
    apply_settings(&mut d, &settings).unwrap();
    assert_eq!(d.pagination.default_page_size, 50);
    assert_eq!(d.pagination.index_param.as_deref(), Some("start"));
    d.validate().unwrap();
    let error = apply_settings(
        &mut d,
        &Settings {
            default_page_limit: Some(21),
            ..Settings::default()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(error.contains("1..=20") && error.contains("21"), "{error}");
}

#[test]
fn swagger2_is_refused_and_bad_specs_explained() {
    let error = import(&json!({"swagger": "2.0", "paths": {}}), &Options::default()).unwrap_err();
    assert!(error.to_string().contains("Swagger 2.0"), "{error}");
    let empty = json!({"openapi": "3.0.0", "info": {"title": "x", "version": "1"},
        "servers": [{"url": "https://x.example.com"}], "paths": {}});
    let error = import(&empty, &Options::default()).unwrap_err().to_string();
    assert!(error.contains("no operations"), "{error}");
}

#[test]
fn imported_definitions_finalize() {
    for name in ["petstore.yaml", "payments.json", "github.json"] {
        let imported = fixture(name, &Options::default());
        let bundle = plugboard_bundle::finalize(&imported.definition).unwrap();
        assert_eq!(bundle.actions, imported.definition.actions.len(), "{name}");
    }
}

fn spec_with(components: serde_json::Value, paths: serde_json::Value) -> serde_json::Value {
    json!({"openapi": "3.0.3", "info": {"title": "Shared", "version": "1"},
        "servers": [{"url": "https://api.example.com"}],
        "components": {"schemas": components}, "paths": paths})
}

#[test]
fn recursive_components_stay_references() {
    let spec = spec_with(
        json!({"Node": {"type": "object", "properties": {
            "name": {"type": "string"},
            "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}}}}}),
        json!({"/tree": {"get": {"operationId": "getTree", "responses": {"200": {
            "description": "ok",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Node"}}}}}}}}),
    );
    let d = import(&spec, &Options::default()).unwrap().definition;
    assert_eq!(
        d.actions[0].output_schema,
        Some(json!({"$ref": "#/schemas/Node"}))
    );
    assert_eq!(d.schemas.len(), 1);
    assert_eq!(
        d.schemas["Node"]["properties"]["children"]["items"],
        json!({"$ref": "#/schemas/Node"})
    );
    let bundle = plugboard_bundle::finalize(&d).unwrap();
    assert_eq!(bundle.actions, 1);
}

#[test]
fn a_component_shared_by_many_operations_is_copied_once() {
    let properties: serde_json::Map<String, serde_json::Value> = (0..300)
        .map(|i| {
            (
                format!("field{i}"),
                json!({"type": "string", "description": "A field."}),
            )
        })
        .collect();
    let mut paths = serde_json::Map::new();
    for i in 0..100 {
        paths.insert(
            format!("/things{i}"),
            json!({"get": {"operationId": format!("getThings{i}"), "responses": {"200": {
                "description": "ok",
                "content": {"application/json": {"schema": {"type": "array",
                    "items": {"$ref": "#/components/schemas/Big"}}}}}}}}),
        );
    }
    let spec = spec_with(
        json!({"Big": {"type": "object", "properties": properties}}),
        serde_json::Value::Object(paths),
    );
    let d = import(&spec, &Options::default()).unwrap().definition;
    assert_eq!(d.actions.len(), 100);
    assert_eq!(d.schemas.len(), 1);
    assert_eq!(
        d.schemas["Big"]["properties"].as_object().unwrap().len(),
        300
    );
    let text = d.to_json_pretty();
    assert_eq!(text.matches("field299").count(), 1);
    for action in &d.actions {
        assert_eq!(
            action.output_schema,
            Some(json!({"type": "array", "items": {"$ref": "#/schemas/Big"}}))
        );
    }
}

/// A response schema nested 100 levels deep imports, left open below 32 levels with a note, and
/// the definition reads back (serde reads at most 128 levels of JSON).
#[test]
fn deeply_nested_schemas_are_cut_with_a_note_and_read_back() {
    let mut schema = json!({"type": "string"});
    for _ in 0..100 {
        schema = json!({"type": "object", "properties": {"inner": schema}});
    }
    let spec = json!({
        "openapi": "3.0.3",
        "info": {"title": "Deep", "version": "1", "description": "Deep"},
        "servers": [{"url": "https://api.example.com"}],
        "paths": {"/deep": {"get": {"operationId": "deep", "responses": {"200": {
            "description": "deep", "content": {"application/json": {"schema": schema}}}}}}}
    });
    // The spec itself is deeper than serde's default reader takes: read it as the importer does.
    let value = Document::parse(&spec.to_string()).unwrap().value;
    let imported = import(&value, &Options::default()).unwrap();
    assert!(
        imported
            .summary
            .notes
            .iter()
            .any(|n| n.contains("deeper than 32 levels")),
        "{:?}",
        imported.summary.notes
    );
    let text = imported.definition.to_json_pretty();
    let back = plugboard_definition::Definition::from_json(&text).expect("reads back");
    assert_eq!(back, imported.definition);
}

#[test]
fn credentials_go_over_https_the_first_https_server_wins_else_the_scheme_is_switched() {
    let spec = |servers: serde_json::Value| {
        json!({
            "openapi": "3.0.3",
            "info": {"title": "Keyed", "version": "1"},
            "servers": servers,
            "components": {"securitySchemes": {"key": {"type": "apiKey", "in": "header", "name": "X-Key"}}},
            "security": [{"key": []}],
            "paths": {"/items": {"get": {"operationId": "listItems", "responses": {"200": {"description": "ok"}}}}}
        })
    };
    let both = import(
        &spec(
            json!([{"url": "http://api.example.com/v1"}, {"url": "https://secure.example.com/v1"}]),
        ),
        &Options::default(),
    )
    .unwrap();
    assert_eq!(both.definition.hostname, "secure.example.com");
    assert_eq!(both.definition.scheme, plugboard_definition::Scheme::Https);

    let plain = import(
        &spec(json!([{"url": "http://api.example.com/v1"}])),
        &Options::default(),
    )
    .unwrap();
    assert_eq!(plain.definition.hostname, "api.example.com");
    assert_eq!(plain.definition.scheme, plugboard_definition::Scheme::Https);
    assert!(
        plain
            .summary
            .notes
            .iter()
            .any(|n| n.contains("only over https")),
        "{:?}",
        plain.summary.notes
    );
    plain.definition.validate().unwrap();

    // Without credentials plain http stays.
    let mut open = spec(json!([{"url": "http://api.example.com/v1"}]));
    open.as_object_mut().unwrap().remove("security");
    open.as_object_mut().unwrap().remove("components");
    let open = import(&open, &Options::default()).unwrap();
    assert_eq!(open.definition.scheme, plugboard_definition::Scheme::Http);
}

/// AWS, Chime and Box style paths: the query or fragment tells apart operations that share a
/// path; each becomes an action with fixed query parameters or headers, and lint says so.
#[test]
fn paths_with_a_query_or_fragment_become_actions_with_fixed_values() {
    let spec = json!({
        "openapi": "3.0.0",
        "info": {"title": "Query APIs", "version": "1"},
        "servers": [{"url": "https://ec2.example.com"}],
        "paths": {
            "/?Action=DescribeInstances&Version=2016-11-15": {
                "get": {"operationId": "DescribeInstances", "parameters": [
                    {"name": "Action", "in": "query", "required": true, "schema": {"type": "string"}},
                    {"name": "MaxResults", "in": "query", "schema": {"type": "integer"}}
                ], "responses": {"200": {"description": "ok"}}}
            },
            "/#X-Amz-Target=Svc.AssociateThing": {
                "post": {"operationId": "AssociateThing", "parameters": [
                    {"name": "X-Amz-Target", "in": "header", "required": true, "schema": {"type": "string", "enum": ["Svc.AssociateThing"]}}
                ], "responses": {"200": {"description": "ok"}}}
            },
            "/channels#x-amz-chime-bearer": {
                "get": {"responses": {"200": {"description": "ok"}}}
            },
            "/tags#operation=tag-resource": {
                "post": {"responses": {"200": {"description": "ok"}}}
            },
            "/tags#operation=untag-resource": {
                "post": {"responses": {"200": {"description": "ok"}}}
            },
            "/alerts?lat={lat}&lon={lon}": {
                "get": {"operationId": "alerts", "parameters": [
                    {"name": "lat", "in": "path", "required": true, "schema": {"type": "number"}},
                    {"name": "lon", "in": "path", "required": true, "schema": {"type": "number"}}
                ], "responses": {"200": {"description": "ok"}}}
            }
        }
    });
    let imported = import(&spec, &Options::default()).unwrap();
    let d = &imported.definition;
    assert_eq!(d.actions.len(), 6, "{:#?}", imported.summary.notes);
    let ids: Vec<&str> = d.actions.iter().map(|a| a.id.as_str()).collect();
    let action = |id: &str| {
        d.actions
            .iter()
            .find(|a| a.id == id)
            .unwrap_or_else(|| panic!("no action `{id}` in {ids:?}"))
    };
    let param = |id: &str, name: &str| {
        action(id)
            .parameters
            .iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("{id} has no `{name}`: {:?}", action(id).parameters))
            .clone()
    };

    let describe = action("DescribeInstances");
    assert_eq!(describe.path, "/");
    let fixed = param("DescribeInstances", "Action");
    assert_eq!(fixed.location, ParameterLocation::Query);
    assert_eq!(fixed.value.as_deref(), Some("DescribeInstances"));
    assert_eq!(
        param("DescribeInstances", "Version").value.as_deref(),
        Some("2016-11-15")
    );
    assert!(param("DescribeInstances", "MaxResults").value.is_none());
    // Fixed values are not inputs.
    let input = plugboard_definition::input_schema(describe);
    assert_eq!(
        input["properties"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["MaxResults"]
    );

    let target = param("AssociateThing", "X-Amz-Target");
    assert_eq!(target.location, ParameterLocation::Header);
    assert_eq!(target.value.as_deref(), Some("Svc.AssociateThing"));

    let bearer = param("get_channels_x-amz-chime-bearer", "x-amz-chime-bearer");
    assert_eq!(bearer.location, ParameterLocation::Header);
    assert!(bearer.required && bearer.value.is_none());

    // Generated ids stay apart.
    let tag = param("post_tags_operation_tag-resource", "operation");
    assert_eq!(tag.value.as_deref(), Some("tag-resource"));
    let untag = param("post_tags_operation_untag-resource", "operation");
    assert_eq!(untag.value.as_deref(), Some("untag-resource"));

    let lat = param("alerts", "lat");
    assert_eq!(
        (lat.location, lat.required),
        (ParameterLocation::Query, true)
    );
    assert_eq!(action("alerts").path, "/alerts");

    // Lint warns about each such path and says what import does.
    let findings = plugboard_openapi::lint::lint(&spec);
    let warnings: Vec<_> = findings
        .iter()
        .filter(|f| f.rule == "path-not-include-query")
        .collect();
    assert_eq!(warnings.len(), 6, "{findings:#?}");
    let aws = warnings
        .iter()
        .find(|f| f.pointer == "/paths/~1?Action=DescribeInstances&Version=2016-11-15")
        .unwrap();
    assert_eq!(aws.severity, plugboard_openapi::lint::Severity::Warning);
    assert!(aws.hint.contains("import calls `/`"), "{}", aws.hint);
    assert!(
        aws.hint.contains("`Action` is sent as `DescribeInstances`"),
        "{}",
        aws.hint
    );
}

/// One bad operation or security scheme never stops an import: it is left out with a note.
#[test]
fn bad_operations_and_key_names_are_left_out_with_a_note() {
    let spec = json!({
        "openapi": "3.0.0",
        "info": {"title": "Docs", "version": "1"},
        "servers": [{"url": "https://api.example.com"}],
        "components": {"securitySchemes": {
            "key": {"type": "apiKey", "in": "header", "name": "ADVICEment API Key"}
        }},
        "security": [{"key": []}],
        "paths": {
            "/send/#env/v1/partners/{partnerId}": {"get": {
                "operationId": "getPartner",
                "parameters": [{"name": "partnerId", "in": "path", "required": true, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "ok"}}}},
            "/items": {"get": {"operationId": "list items", "responses": {"200": {"description": "ok"}}}},
            "/things": {"get": {"operationId": "listThings", "responses": {"200": {"description": "ok"}}}}
        }
    });
    let imported = import(&spec, &Options::default()).unwrap();
    let d = &imported.definition;
    assert_eq!(d.auth, Auth::None, "{}", imported.summary);
    let notes = imported.summary.notes.join("\n");
    assert!(
        notes.contains("`ADVICEment API Key` is not a valid header"),
        "{notes}"
    );
    let partner = d.actions.iter().find(|a| a.id == "getPartner").unwrap();
    assert_eq!(partner.path, "/send/{env}/v1/partners/{partnerId}");
    assert!(
        partner
            .parameters
            .iter()
            .any(|p| p.name == "env" && p.location == ParameterLocation::Path)
    );
    assert_eq!(d.actions.len(), 3, "{notes}");
    d.validate().unwrap();
}

/// `$ref`s in URI-fragment form (RFC 6901 section 6, percent-encoded) resolve, as lint resolves
/// them (brex.io, codat.io).
#[test]
fn percent_encoded_references_resolve() {
    let spec = json!({
        "openapi": "3.0.0",
        "info": {"title": "Search", "version": "1"},
        "servers": [{"url": "https://api.example.com"}],
        "components": {"schemas": {"Company Name": {"type": "object", "properties": {"name": {"type": "string"}}}}},
        "paths": {
            "/api/v1/search/{country}/{name}": {"get": {
                "operationId": "search",
                "parameters": [
                    {"name": "country", "in": "path", "required": true, "schema": {"type": "string"}},
                    {"name": "name", "in": "path", "required": true, "schema": {"type": "string"}}
                ],
                "responses": {"200": {"description": "ok", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Company%20Name"}}}}}}},
            "/api/v2/search/{country}/{name}": {"get": {
                "operationId": "searchAgain",
                "parameters": [
                    {"$ref": "#/paths/~1api~1v1~1search~1%7Bcountry%7D~1%7Bname%7D/get/parameters/0"},
                    {"$ref": "#/paths/~1api~1v1~1search~1%7Bcountry%7D~1%7Bname%7D/get/parameters/1"}
                ],
                "responses": {"200": {"$ref": "#/paths/~1api~1v1~1search~1%7Bcountry%7D~1%7Bname%7D/get/responses/200"}}}}
        }
    });
    let imported = import(&spec, &Options::default()).unwrap();
    let notes = imported.summary.notes.join("\n");
    assert!(!notes.contains("cannot be resolved"), "{notes}");
    let again = imported
        .definition
        .actions
        .iter()
        .find(|a| a.id == "searchAgain")
        .unwrap();
    assert_eq!(again.parameters.len(), 2, "{notes}");
    assert_eq!(
        again.output_schema,
        Some(json!({"$ref": "#/schemas/Company Name"}))
    );
    assert!(imported.definition.schemas.contains_key("Company Name"));
}

/// The scheme that serves the most operations is chosen (cdcgov prime-data-hub: 12 of 13
/// operations use OAuth 2.0, one an API key), the others are listed, and `security: []`
/// operations send no credentials.
#[test]
fn auth_serves_the_most_operations_and_open_operations_send_none() {
    let mut paths = serde_json::Map::new();
    for i in 0..12 {
        paths.insert(
            format!("/reports/{i}"),
            json!({"get": {"operationId": format!("report{i}"), "security": [{"oauth": ["report"]}],
                "responses": {"200": {"description": "ok"}}}}),
        );
    }
    paths.insert(
        "/waters".into(),
        json!({"post": {"operationId": "waters", "responses": {"200": {"description": "ok"}}}}),
    );
    paths.insert(
        "/health".into(),
        json!({"get": {"operationId": "health", "security": [], "responses": {"200": {"description": "ok"}}}}),
    );
    let spec = json!({
        "openapi": "3.0.0",
        "info": {"title": "Hub", "version": "1"},
        "servers": [{"url": "https://hub.example.com"}],
        "security": [{"key": []}],
        "components": {"securitySchemes": {
            "key": {"type": "apiKey", "in": "header", "name": "x-functions-key"},
            "oauth": {"type": "oauth2", "flows": {"clientCredentials": {
                "tokenUrl": "https://login.example.com/token", "scopes": {"report": "reports"}}}}
        }},
        "paths": paths
    });
    let imported = import(&spec, &Options::default()).unwrap();
    let d = &imported.definition;
    assert!(matches!(d.auth, Auth::OAuth2(_)), "{}", imported.summary);
    let notes = imported.summary.notes.join("\n");
    assert!(
        notes.contains("security scheme `oauth` serves 12 of the 13 operations")
            && notes.contains("POST /waters"),
        "{notes}"
    );
    let health = d.actions.iter().find(|a| a.id == "health").unwrap();
    assert!(health.anonymous);
    assert!(d.actions.iter().filter(|a| a.anonymous).count() == 1);
    assert_eq!(d.resolve_header().anonymous_actions, ["health"]);
}

/// Parameter styles are kept (deepObject filters, pipe-delimited arrays); a protocol-relative
/// server URL names the host; `Accept` asks for the JSON type offered; an `Authorization`
/// parameter stays an input when the auth settings do not write that header.
#[test]
fn styles_hosts_accept_and_authorization_parameters() {
    let spec = json!({
        "openapi": "3.0.0",
        "info": {"title": "Styles", "version": "1"},
        "servers": [{"url": "//api.example.com/v1"}],
        "paths": {"/events": {"get": {
            "operationId": "events",
            "parameters": [
                {"name": "filter", "in": "query", "style": "deepObject", "schema": {"type": "object"}},
                {"name": "tags", "in": "query", "style": "pipeDelimited", "explode": false, "schema": {"type": "array"}},
                {"name": "Authorization", "in": "header", "required": true, "schema": {"type": "string"}}
            ],
            "responses": {"200": {"description": "ok", "content": {"application/vnd.api+json": {"schema": {"type": "object"}}}}}
        }}}
    });
    let imported = import(&spec, &Options::default()).unwrap();
    let d = &imported.definition;
    assert_eq!(
        (d.hostname.as_str(), d.base_path.as_str()),
        ("api.example.com", "/v1")
    );
    let events = &d.actions[0];
    assert_eq!(events.accept.as_deref(), Some("application/vnd.api+json"));
    let param = |name: &str| events.parameters.iter().find(|p| p.name == name).unwrap();
    assert_eq!(param("filter").style.as_deref(), Some("deepObject"));
    assert_eq!(
        (param("tags").style.as_deref(), param("tags").explode),
        (Some("pipeDelimited"), Some(false))
    );
    assert!(param("Authorization").required);
}
