//! The runtime's in-memory cache stays within its bytes however many bundles are loaded: the
//! least recently used bundles go first, a component's code only after all of its bundles, and
//! an evicted bundle loads again and runs.

use plugboard_runtime::{InvokeOptions, Runtime, RuntimeConfig};
use plugboard_tests::api::{AuthCheck, TestApi};
use serde_json::json;

use crate::support::{compile_cache, definition};

fn runtime_with_cache(memory_cache_bytes: u64) -> Runtime {
    Runtime::new(RuntimeConfig {
        egress: plugboard_runtime::EgressPolicy::with_loopback(),
        cache: Some(compile_cache()),
        max_instances: 4,
        memory_cache_bytes,
        ..RuntimeConfig::default()
    })
    .expect("runtime")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_memory_cache_keeps_within_its_bytes() {
    let api = TestApi::start(AuthCheck::None).await.expect("test api");
    // Ten bundles with the same code and their own manifests (the same size each).
    let bundles: Vec<Vec<u8>> = (0..10)
        .map(|i| {
            let mut definition = definition(
                &api,
                json!({"type": "none"}),
                json!({"type": "none"}),
                json!([{"id": "items", "name": "Items", "method": "GET", "path": "/page/items"}]),
            );
            definition.name = format!("Bundle {i:02}");
            plugboard_bundle::finalize(&definition)
                .expect("finalize")
                .component
        })
        .collect();
    let key = |i: usize| format!("bundle-{i}");

    // What one bundle and its code count.
    let roomy = runtime_with_cache(1 << 30);
    roomy.load_as(&key(0), &bundles[0]).await.expect("load");
    let one = roomy.cache_usage();
    assert_eq!((one.bundles, one.components), (1, 1));
    roomy.load_as(&key(1), &bundles[1]).await.expect("load");
    let bundle_bytes = roomy.cache_usage().bytes - one.bytes;
    let code_bytes = one.bytes - bundle_bytes;

    // Room for the code and three bundles; ten are loaded.
    let capacity = code_bytes + 3 * bundle_bytes + bundle_bytes / 2;
    let runtime = runtime_with_cache(capacity);
    for (i, bytes) in bundles.iter().enumerate() {
        runtime.load_as(&key(i), bytes).await.expect("load");
        let usage = runtime.cache_usage();
        assert!(usage.bytes <= capacity, "{usage:?}");
    }
    let usage = runtime.cache_usage();
    assert_eq!(
        (usage.bundles, usage.components),
        (3, 1),
        "the code stays while its bundles are used: {usage:?}"
    );
    assert!(runtime.cached(&key(0)).is_none(), "the oldest went first");
    for i in 7..10 {
        assert!(runtime.cached(&key(i)).is_some(), "bundle {i} is recent");
    }
    // Using bundle 7 makes 8 the least recently used: loading 0 again evicts 8.
    runtime.cached(&key(7)).expect("kept");
    let again = runtime.load_as(&key(0), &bundles[0]).await.expect("load");
    assert!(runtime.cached(&key(8)).is_none());
    assert!(runtime.cached(&key(7)).is_some());
    let output = runtime
        .invoke(&again, "items", "{}", &InvokeOptions::default())
        .await
        .expect("an evicted bundle loads again and runs");
    assert_eq!(
        output["items"].as_array().map(Vec::len),
        Some(10),
        "{output}"
    );

    // A cache smaller than the code keeps nothing, and still runs what it loads.
    let tiny = runtime_with_cache(1);
    let bundle = tiny.load_as(&key(0), &bundles[0]).await.expect("load");
    let usage = tiny.cache_usage();
    assert_eq!((usage.bytes, usage.bundles, usage.components), (0, 0, 0));
    tiny.invoke(&bundle, "items", "{}", &InvokeOptions::default())
        .await
        .expect("runs");
}
