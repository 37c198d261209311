//! The trust boundary: what a bundle may do is the manifest recorded in it at build time and
//! covered by its signature, never what its code says at load time; compiled artifacts are used
//! only when they provably belong to their component.

use std::path::Path;

use plugboard_runtime::{Error, Failure, Runtime, RuntimeConfig};
use serde_json::json;

use crate::support::{custom_bundle, definition, runtime};
use plugboard_tests::api::{AuthCheck, TestApi};
use plugboard_tests::components::replace_last;

const HOSTILE: &str = env!("PLUGBOARD_HOSTILE_WASM");

/// The hostile component's description names `allowed.invalid` before 2020 and
/// `elsewhere.invalid` after. Recorded under the build step's fixed clock, the first is what
/// every load enforces, in this runtime and after a restart; `timebomb` asks for the second
/// (the host its description names *now*) and is denied before anything is sent, credentials
/// or not.
#[tokio::test(flavor = "multi_thread")]
async fn a_clock_dependent_description_is_pinned_at_build_time() {
    let first = runtime();
    let bundle_bytes = custom_bundle(&first, HOSTILE).await;
    let (private, public) = plugboard_bundle::sign::generate_key().expect("key");
    let signed = plugboard_bundle::sign::sign(&bundle_bytes, &private).expect("sign");
    assert!(matches!(
        plugboard_bundle::sign::verify(&signed, std::slice::from_ref(&public)),
        Ok(plugboard_bundle::sign::Verified::Trusted(_))
    ));
    let options = plugboard_runtime::InvokeOptions {
        credentials: [("api_key", "the-customers-key")].into_iter().collect(),
        ..Default::default()
    };
    for runtime in [first, runtime()] {
        // The second runtime is a restart: same cache directory, nothing in memory.
        let bundle = runtime.load(&signed).await.expect("load");
        assert_eq!(bundle.header().hostname, "allowed.invalid");
        let err = runtime
            .invoke(&bundle, "timebomb", "{}", &options)
            .await
            .expect_err("timebomb");
        match &err {
            Error::Guest(Failure::Denied { message }) => assert!(
                message.contains("elsewhere.invalid") && message.contains("allowed hosts"),
                "{message}"
            ),
            other => panic!("expected denied, got {other:?}"),
        }
    }
}

/// A component without a manifest section (what `cargo build` alone gives, or a component of
/// the previous contract) is refused at load with the way to rebuild it.
#[tokio::test(flavor = "multi_thread")]
async fn a_component_without_its_manifest_section_is_refused_with_the_rebuild_hint() {
    let raw = std::fs::read(HOSTILE).expect("hostile component");
    let err = runtime().load(&raw).await.expect_err("no manifest");
    let text = err.to_string();
    assert!(
        matches!(&err, Error::Bundle(plugboard_bundle::Error::NoManifest(_)))
            && text.contains("plugboard build"),
        "{text}"
    );
}

/// A signed bundle whose manifest section was edited afterwards (its host swapped for
/// another): still a well-formed manifest, so only the signature tells, and it does.
#[tokio::test(flavor = "multi_thread")]
async fn a_manifest_edited_after_signing_is_refused_as_altered() {
    let runtime = runtime();
    let recorded = custom_bundle(&runtime, HOSTILE).await;
    let (private, public) = plugboard_bundle::sign::generate_key().expect("key");
    let signed = plugboard_bundle::sign::sign(&recorded, &private).expect("sign");
    let edited = replace_last(&signed, b"allowed.invalid", b"evilxyz.invalid");
    let manifest = plugboard_bundle::read_manifest(&edited).expect("still well-formed");
    assert_eq!(manifest.header().hostname, "evilxyz.invalid");
    let err = plugboard_bundle::sign::verify(&edited, &[public]).expect_err("altered");
    assert!(err.to_string().contains("altered"), "{err}");
}

/// Two cached artifacts swapped on disk (by whoever can write the cache directory): neither is
/// used for the other's component; both are recompiled and run their own code.
#[tokio::test(flavor = "multi_thread")]
async fn swapped_cache_files_are_not_used() {
    let api = TestApi::start(AuthCheck::None).await.expect("api");
    let dir = tempfile::tempdir().expect("temp dir");
    let cache = || {
        plugboard_runtime::CompileCache::open(dir.path().join("cache"), &dir.path().join("key"))
            .expect("cache")
    };
    let fresh = || {
        Runtime::new(RuntimeConfig {
            // The test APIs run on loopback.
            egress: plugboard_runtime::EgressPolicy::with_loopback(),
            cache: Some(cache()),
            max_instances: 4,
            ..RuntimeConfig::default()
        })
        .expect("runtime")
    };
    let bundle = |id: &str| {
        let actions = json!([{"id": id, "name": id, "method": "GET", "path": "/open/items"}]);
        plugboard_bundle::finalize(&definition(
            &api,
            json!({"type": "none"}),
            json!({}),
            actions,
        ))
        .expect("finalize")
        .component
    };
    let (a, b) = (bundle("first"), bundle("second"));
    let first_run = fresh();
    first_run.load(&a).await.expect("a");
    first_run.load(&b).await.expect("b");
    let files = artifacts(&dir.path().join("cache"));
    assert_eq!(files.len(), 2, "{files:?}");
    let (one, two) = (
        std::fs::read(&files[0]).expect("read"),
        std::fs::read(&files[1]).expect("read"),
    );
    std::fs::write(&files[0], &two).expect("swap");
    std::fs::write(&files[1], &one).expect("swap");
    let runtime = fresh();
    for (bytes, action) in [(&a, "first"), (&b, "second")] {
        let bundle = runtime.load(bytes).await.expect("load");
        let output = runtime
            .invoke(&bundle, action, "{}", &Default::default())
            .await
            .unwrap_or_else(|e| panic!("{action} runs its own table: {e}"));
        assert!(output["items"].is_array(), "{output}");
    }
    // Recompiled and stored again, each under its own name.
    assert_eq!(std::fs::read(&files[0]).expect("read"), one);
    assert_eq!(std::fs::read(&files[1]).expect("read"), two);
}

fn artifacts(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("cache dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "cwasm"))
        .collect();
    files.sort();
    files
}
