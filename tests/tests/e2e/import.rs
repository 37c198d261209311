//! A spec all the way through: OpenAPI (YAML) and Swagger 2.0 (JSON) -> lint, import -> finalize
//! -> invoke against the loopback API, with the auth and pagination the importer suggested.

use plugboard_openapi::{convert, import, lint, source::Document};
use plugboard_tests::api::{AuthCheck, TestApi, all_items};
use serde_json::{Value, json};

use crate::support::{API_KEY, load, runtime, with_credentials};

fn openapi_yaml(host: &str) -> String {
    format!(
        r##"openapi: 3.0.3
info:
  title: Loopback Items
  description: The loopback test API described as OpenAPI.
  version: "1.0"
servers:
  - url: http://{host}
components:
  securitySchemes:
    key:
      type: apiKey
      in: header
      name: X-Api-Key
  schemas:
    Item:
      type: object
      required: [id, name]
      properties:
        id: {{type: integer}}
        name: {{type: string}}
security:
  - key: []
paths:
  /page/items:
    get:
      operationId: listItems
      summary: List items
      parameters:
        - {{name: page, in: query, schema: {{type: integer, minimum: 1}}}}
        - {{name: per_page, in: query, schema: {{type: integer, maximum: 100}}}}
      responses:
        "200":
          description: A page of items
          content:
            application/json:
              schema:
                type: object
                properties:
                  items:
                    type: array
                    items: {{$ref: "#/components/schemas/Item"}}
  /echo/users/{{user}}:
    get:
      operationId: getUser
      summary: Get a user
      parameters:
        - {{name: user, in: path, required: true, schema: {{type: string}}}}
        - {{name: verbose, in: query, schema: {{type: boolean}}}}
      responses:
        "200":
          description: The user
"##
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn an_openapi_yaml_spec_imports_builds_and_runs() {
    let api = TestApi::start(AuthCheck::header("X-Api-Key", API_KEY))
        .await
        .expect("api");
    let document = Document::parse(&openapi_yaml(&api.host())).expect("parse");
    let report = lint::lint_document(&document).expect("lint");
    assert_eq!(report.error_count(), 0, "{:?}", report.findings);

    let imported = import::import(&document.value, &import::Options::default()).expect("import");
    let definition = imported.definition;
    assert_eq!(definition.hostname, api.host());
    assert_eq!(
        serde_json::to_value(&definition.auth).expect("auth"),
        json!({"type": "api_key", "api_key_header_name": "X-Api-Key", "api_key_preamble": "", "location": "header"})
    );
    let pagination = serde_json::to_value(&definition.pagination).expect("pagination");
    assert_eq!(pagination["type"], "page", "{pagination}");
    assert_eq!(pagination["page_param"], "page");
    assert_eq!(pagination["page_size_param"], "per_page");
    assert_eq!(pagination["results_key"], "items");

    let runtime = runtime();
    let bundle = load(&runtime, &definition).await;
    let credentials = with_credentials(&[("api_key", API_KEY)]);
    let list = runtime
        .invoke(&bundle, "listItems", "{}", &credentials)
        .await
        .expect("listItems");
    assert_eq!(list["results"], Value::Array(all_items()), "{list}");
    assert_eq!(list["truncated"], Value::Null);

    let user = runtime
        .invoke(
            &bundle,
            "getUser",
            r#"{"user": "ada/l", "verbose": true}"#,
            &credentials,
        )
        .await
        .expect("getUser");
    assert_eq!(user["path"], "/echo/users/ada%2Fl");
    assert_eq!(user["query_params"]["verbose"], json!(["true"]));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_swagger2_json_spec_converts_imports_builds_and_runs() {
    let api = TestApi::start(AuthCheck::basic("ada", "pw"))
        .await
        .expect("api");
    let swagger = json!({
        "swagger": "2.0",
        "info": {"title": "Loopback Items v2", "description": "Swagger 2.0 flavour", "version": "2"},
        "host": api.host(),
        "schemes": ["http"],
        "securityDefinitions": {"basic": {"type": "basic"}},
        "security": [{"basic": []}],
        "paths": {
            "/index/items": {"get": {
                "operationId": "listByOffset",
                "parameters": [
                    {"name": "offset", "in": "query", "type": "integer"},
                    {"name": "limit", "in": "query", "type": "integer"}
                ],
                "responses": {"200": {"description": "ok", "schema": {
                    "type": "object",
                    "properties": {"data": {"type": "object", "properties": {
                        "items": {"type": "array", "items": {"type": "object"}}}}}}}}
            }}
        }
    });
    let document = Document::parse(&swagger.to_string()).expect("parse");
    let converted = convert::to_openapi3(&document.value).expect("convert");
    assert!(converted.from_swagger2);
    let imported = import::import(&converted.value, &import::Options::default()).expect("import");
    let mut definition = imported.definition;
    assert_eq!(
        serde_json::to_value(&definition.auth).expect("auth"),
        json!({"type": "basic"})
    );
    let pagination = serde_json::to_value(&definition.pagination).expect("pagination");
    assert_eq!(
        pagination["type"], "index",
        "{pagination} / {}",
        imported.summary
    );
    assert_eq!(pagination["results_key"], "data.items");
    // A small page size makes the walk take several pages.
    definition.pagination.default_page_size = 7;

    let runtime = runtime();
    let bundle = load(&runtime, &definition).await;
    let credentials = with_credentials(&[("username", "ada"), ("password", "pw")]);
    let list = runtime
        .invoke(&bundle, "listByOffset", "{}", &credentials)
        .await
        .expect("list");
    assert_eq!(list["results"], Value::Array(all_items()), "{list}");
    assert_eq!(list["pages"], 4);
    assert_eq!(api.hits("/index/items"), 4);
}

/// Operations told apart by their path's query or fragment (AWS query and JSON protocols,
/// Chime): the fixed query parameters and headers reach the upstream, inputs still work, and a
/// fixed value cannot be overridden by the input.
#[tokio::test(flavor = "multi_thread")]
async fn paths_with_a_query_or_fragment_send_their_fixed_values() {
    let api = TestApi::start(AuthCheck::None).await.expect("api");
    let spec = json!({
        "openapi": "3.0.0",
        "info": {"title": "Query protocol", "description": "AWS style", "version": "1"},
        "servers": [{"url": format!("http://{}/echo", api.host())}],
        "paths": {
            "/?Action=DescribeInstances&Version=2016-11-15": {"get": {
                "operationId": "DescribeInstances",
                "parameters": [
                    {"name": "Action", "in": "query", "required": true, "schema": {"type": "string"}},
                    {"name": "MaxResults", "in": "query", "schema": {"type": "integer"}}
                ],
                "responses": {"200": {"description": "ok"}}}},
            "/#X-Amz-Target=Svc.AssociateThing": {"post": {
                "operationId": "AssociateThing",
                "parameters": [{"name": "X-Amz-Target", "in": "header", "required": true, "schema": {"type": "string"}}],
                "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
                "responses": {"200": {"description": "ok"}}}},
            "/channels#x-amz-chime-bearer": {"get": {
                "operationId": "ListChannels",
                "responses": {"200": {"description": "ok"}}}}
        }
    });
    let imported = import::import(&spec, &import::Options::default()).expect("import");
    let runtime = runtime();
    let bundle = load(&runtime, &imported.definition).await;
    let none = with_credentials(&[]);

    let described = runtime
        .invoke(&bundle, "DescribeInstances", r#"{"MaxResults": 5}"#, &none)
        .await
        .expect("DescribeInstances");
    assert_eq!(described["path"], "/echo/");
    assert_eq!(
        described["query"], "Action=DescribeInstances&MaxResults=5&Version=2016-11-15",
        "{described}"
    );

    let associated = runtime
        .invoke(
            &bundle,
            "AssociateThing",
            r#"{"body": {"Id": "t-1"}}"#,
            &none,
        )
        .await
        .expect("AssociateThing");
    assert_eq!(associated["headers"]["x-amz-target"], "Svc.AssociateThing");
    assert_eq!(associated["body"], json!({"Id": "t-1"}));

    let missing = runtime
        .invoke(&bundle, "ListChannels", "{}", &none)
        .await
        .expect_err("the bearer header is required");
    assert!(
        missing.to_string().contains("x-amz-chime-bearer"),
        "{missing}"
    );
    let channels = runtime
        .invoke(
            &bundle,
            "ListChannels",
            r#"{"x-amz-chime-bearer": "arn:aws:chime:user/1"}"#,
            &none,
        )
        .await
        .expect("ListChannels");
    assert_eq!(channels["path"], "/echo/channels");
    assert_eq!(
        channels["headers"]["x-amz-chime-bearer"],
        "arn:aws:chime:user/1"
    );

    let overridden = runtime
        .invoke(
            &bundle,
            "DescribeInstances",
            r#"{"Action": "TerminateInstances"}"#,
            &none,
        )
        .await
        .expect_err("a fixed value is not an input");
    assert!(
        overridden.to_string().contains("always sends `Action`"),
        "{overridden}"
    );
}

/// A server URL with a variable in its host and no default (`{account}.blob.core.windows.net`,
/// AutoRest's `x-ms-parameterized-host`) imports as a hostname template: each installation
/// gives the value as config, the engine and the host resolve it the same way, and a value
/// that is not one DNS label is refused before any request.
#[tokio::test(flavor = "multi_thread")]
async fn a_hostname_template_takes_its_host_from_the_installation_config() {
    // No credentials: a template host is not known to be loopback, so credentials would need
    // https (the rule against credentials over plain http applies to templates too).
    let api = TestApi::start(AuthCheck::None).await.expect("api");
    let port = api
        .host()
        .rsplit_once(':')
        .map(|(_, p)| p.to_string())
        .expect("port");
    let spec = json!({
        "openapi": "3.0.0",
        "info": {"title": "Per tenant", "description": "A host per installation", "version": "1"},
        "servers": [{"url": format!("http://127.0.0.{{octet}}:{port}/echo"),
            "variables": {"octet": {"description": "The tenant's address"}}}],
        "paths": {"/things": {"get": {"operationId": "listThings", "responses": {"200": {"description": "ok"}}}}}
    });
    let imported = import::import(&spec, &import::Options::default()).expect("import");
    let definition = imported.definition;
    assert_eq!(definition.hostname, format!("127.0.0.{{octet}}:{port}"));
    let runtime = runtime();
    let bundle = load(&runtime, &definition).await;
    assert_eq!(bundle.header().config[0].name, "octet");

    let mut options = with_credentials(&[]);
    let missing = runtime
        .invoke(&bundle, "listThings", "{}", &options)
        .await
        .expect_err("the installation must give the value");
    assert!(missing.to_string().contains("`octet`"), "{missing}");

    options.config.insert("octet".into(), "1.0.0.127".into());
    let dotted = runtime
        .invoke(&bundle, "listThings", "{}", &options)
        .await
        .expect_err("one label only");
    assert!(dotted.to_string().contains("not one DNS label"), "{dotted}");

    options.config.insert("octet".into(), "1".into());
    let things = runtime
        .invoke(&bundle, "listThings", "{}", &options)
        .await
        .expect("listThings");
    assert_eq!(things["path"], "/echo/things");
    assert_eq!(api.hits("/echo/things"), 1);
}
