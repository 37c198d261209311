//! The examples, built and invoked: a declarative integration from a real public spec
//! (examples/petstore: lint, repair, import, finalize) and a custom-code integration written
//! with the guest SDK (examples/custom-code, built from source by this crate's build script).

use plugboard_openapi::source::Document;
use plugboard_runtime::{Error, Failure, InvokeOptions};
use plugboard_tests::api::{AuthCheck, TestApi};
use plugboard_tests::faults::FaultServer;
use serde_json::json;

use crate::support::{custom_bundle, runtime};

#[tokio::test(flavor = "multi_thread")]
async fn petstore_from_its_public_spec() {
    let text = include_str!("../../../examples/petstore/petstore.yaml");
    let document = Document::parse(text).expect("the spec reads");
    let report = plugboard_openapi::lint::lint_document(&document).expect("lint");
    let rules: Vec<&str> = report
        .findings
        .iter()
        .filter(|f| f.severity == plugboard_openapi::lint::Severity::Error)
        .map(|f| f.rule)
        .collect();
    assert_eq!(rules, ["info-description"]);
    let cleaned =
        plugboard_openapi::repair::clean(&document.value, &Default::default()).expect("clean");
    let server = FaultServer::start().await;
    let options = plugboard_openapi::import::Options {
        hostname: Some(server.host()),
        pagination: None,
    };
    let mut imported = plugboard_openapi::import::import(&cleaned.value, &options).expect("import");
    imported.definition.scheme = plugboard_definition::Scheme::Http;
    let ids: Vec<&str> = imported
        .definition
        .actions
        .iter()
        .map(|a| a.id.as_str())
        .collect();
    assert_eq!(ids, ["listPets", "createPets", "showPetById"]);
    let bundle = plugboard_bundle::finalize(&imported.definition).expect("finalize");
    let runtime = runtime();
    let bundle = runtime.load(&bundle.component).await.expect("load");
    let options = InvokeOptions::default();
    runtime
        .invoke(
            &bundle,
            "listPets",
            &json!({"limit": 5}).to_string(),
            &options,
        )
        .await
        .expect("listPets");
    runtime
        .invoke(
            &bundle,
            "showPetById",
            &json!({"petId": "p/1"}).to_string(),
            &options,
        )
        .await
        .expect("showPetById");
    let targets: Vec<String> = server.seen("/").into_iter().map(|s| s.target).collect();
    assert_eq!(targets, ["/v1/pets?limit=5", "/v1/pets/p%2F1"]);
    // The spec's limits are enforced before any request.
    let error = runtime
        .invoke(
            &bundle,
            "listPets",
            &json!({"limit": "many"}).to_string(),
            &options,
        )
        .await
        .expect_err("a limit that is not a number");
    assert!(
        matches!(error, Error::Guest(Failure::InvalidInput { .. })),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn custom_code_example_with_typed_actions() {
    // The example calls the demo API's address, which its manifest allowlists.
    let api = TestApi::start_on(
        "127.0.0.1:8787".parse().expect("address"),
        AuthCheck::header("X-Api-Key", "demo-key"),
    )
    .expect("the example's API port 127.0.0.1:8787 must be free");
    let runtime = runtime();
    let component = custom_bundle(&runtime, env!("PLUGBOARD_EXAMPLE_CUSTOM_WASM")).await;
    let bundle = runtime.load(&component).await.expect("load");
    assert_eq!(bundle.header().name, "Item Summary");
    assert_eq!(bundle.header().config[0].name, "per_page");
    let options = InvokeOptions {
        credentials: [("api_key", "demo-key")].into_iter().collect(),
        config: [("per_page".to_string(), "5".to_string())]
            .into_iter()
            .collect(),
        ..InvokeOptions::default()
    };
    let output = runtime
        .invoke(
            &bundle,
            "summarize",
            &json!({"contains": "item-1"}).to_string(),
            &options,
        )
        .await
        .expect("summarize");
    // item-1 and item-10..item-19 over the 23 items, read 5 per page.
    assert_eq!(output["count"], 11);
    assert_eq!(output["first_id"], 1);
    assert_eq!(output["pages"], 6);
    assert!(
        api.requests("/page/items")
            .iter()
            .all(|r| r.header("x-api-key") == Some("demo-key"))
    );
    // Typed input: a wrong field is refused with the reason.
    let error = runtime
        .invoke(
            &bundle,
            "summarize",
            &json!({"contians": "x"}).to_string(),
            &options,
        )
        .await
        .expect_err("unknown field");
    assert!(error.to_string().contains("contians"), "{error}");
}
