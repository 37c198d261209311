//! Shared helpers: a runtime with the shared compilation cache, and definitions aimed at a
//! running test API.

use std::path::PathBuf;
use std::sync::Arc;

use plugboard_definition::Definition;
use plugboard_runtime::{Bundle, CompileCache, Credentials, InvokeOptions, Runtime, RuntimeConfig};
use plugboard_tests::api::TestApi;
use serde_json::{Value, json};

/// Compiled components are cached here across tests and runs, so each bundle compiles once.
pub fn cache_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("component-cache")
}

/// The shared compilation cache, with its key beside (not in) the cache directory.
pub fn compile_cache() -> CompileCache {
    let key = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("component-cache.key");
    CompileCache::open(cache_dir(), &key).expect("compile cache")
}

/// A runtime for one test.
pub fn runtime() -> Runtime {
    Runtime::new(RuntimeConfig {
        // The test APIs run on loopback.
        egress: plugboard_runtime::EgressPolicy::with_loopback(),
        cache: Some(compile_cache()),
        max_instances: 16,
        pooling: true,
        ..RuntimeConfig::default()
    })
    .expect("runtime")
}

/// A definition for `api` with the given auth, pagination and actions.
pub fn definition(api: &TestApi, auth: Value, pagination: Value, actions: Value) -> Definition {
    let json = json!({
        "definition_version": 1,
        "name": "Test API",
        "description": "The loopback test API",
        "hostname": api.host(),
        "scheme": "http",
        "auth": auth,
        "pagination": pagination,
        "actions": actions,
    });
    Definition::from_json(&json.to_string()).expect("valid definition")
}

/// One paginated GET action named `list` on `path`.
pub fn list_action(path: &str) -> Value {
    json!([{"id": "list", "name": "List", "method": "GET", "path": path, "paginated": true}])
}

/// Finalizes a definition and loads it.
pub async fn load(runtime: &Runtime, definition: &Definition) -> Arc<Bundle> {
    let bundle = plugboard_bundle::finalize(definition).expect("finalize");
    runtime.load(&bundle.component).await.expect("load")
}

/// The bundle of a custom-code component built by `build.rs` (`wasm` is its path): its manifest
/// recorded as `plugboard build` records it.
pub async fn custom_bundle(runtime: &Runtime, wasm: &str) -> Vec<u8> {
    let component = std::fs::read(wasm).expect("a custom-code component built by build.rs");
    let manifest = runtime.describe(&component).await.expect("describe");
    plugboard_bundle::embed_manifest(&component, &manifest).expect("record the manifest")
}

/// Options with the given credentials and default limits.
pub fn with_credentials(pairs: &[(&str, &str)]) -> InvokeOptions {
    InvokeOptions {
        credentials: pairs.iter().copied().collect::<Credentials>(),
        ..InvokeOptions::default()
    }
}

/// The API key the test APIs check in these tests.
pub const API_KEY: &str = "k-9f2b6c";

/// Auth JSON for an API key in `X-Api-Key` with preamble `Token`.
pub fn api_key_auth() -> Value {
    json!({"type": "api_key", "api_key_header_name": "X-Api-Key", "api_key_preamble": "Token"})
}

/// The header value the API expects for [`api_key_auth`].
pub fn api_key_header_value() -> String {
    format!("Token {API_KEY}")
}
