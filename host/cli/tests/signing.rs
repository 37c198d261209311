//! `plugboard keygen`, `sign`, `verify`, `inspect` and `invoke --require-signature` on a real
//! bundle, with a tampered copy refused.

mod common;

use common::{path, plugboard};

use std::path::Path;

use plugboard_tests::api::{AuthCheck, TestApi};
use serde_json::json;

#[test]
fn sign_verify_inspect_and_require() {
    let api = TestApi::start_blocking(AuthCheck::None).expect("api");
    let dir = tempfile::tempdir().expect("temp dir");
    let def = dir.path().join("def.json");
    let wasm = dir.path().join("api.wasm");
    let signed = dir.path().join("signed.wasm");
    std::fs::write(
        &def,
        json!({"definition_version": 1, "name": "Signed", "description": "d",
            "hostname": api.host(), "scheme": "http",
            "actions": [{"id": "get", "name": "Get", "method": "GET", "path": "/open/items"}]})
        .to_string(),
    )
    .expect("definition");
    let (ok, _, err) = plugboard(&["build", path(&def), "-o", path(&wasm)]);
    assert!(ok, "{err}");
    let key = dir.path().join("vendor");
    let other = dir.path().join("other");
    let (ok, _, err) = plugboard(&["keygen", "-o", path(&key)]);
    assert!(ok && err.contains("key id"), "{err}");
    plugboard(&["keygen", "-o", path(&other)]);
    let (ok, _, err) = plugboard(&["keygen", "-o", path(&key)]);
    assert!(!ok && err.contains("not overwriting"), "{err}");
    let private = key.with_extension("key");
    let public = key.with_extension("pub");
    let other_public = other.with_extension("pub");
    let (ok, _, err) = plugboard(&[
        "sign",
        path(&wasm),
        "--key",
        path(&private),
        "-o",
        path(&signed),
    ]);
    assert!(ok, "{err}");

    let (ok, out, _) = plugboard(&["verify", path(&signed), "--trust", path(&public)]);
    assert!(ok && out.contains("trusted key"), "{out}");
    let (ok, out, _) = plugboard(&["verify", path(&signed), "--trust", path(&other_public)]);
    assert!(!ok && out.contains("not trusted"), "{out}");
    let (ok, out, _) = plugboard(&["verify", path(&wasm)]);
    assert!(!ok && out.contains("not signed"), "{out}");

    let (ok, out, err) = plugboard(&["inspect", path(&signed), "--trust-key", path(&public)]);
    assert!(ok, "{err}");
    let manifest: serde_json::Value = serde_json::from_str(&out).expect("inspect JSON");
    assert_eq!(manifest["signature"]["status"], "trusted");
    assert_eq!(manifest["default_limits"]["max_requests"], 50);
    assert!(manifest["allowed_hosts"].is_array() && manifest["secrets"].is_array());

    let invoke = |bundle: &Path, trust: &Path| {
        plugboard(&[
            "invoke",
            path(bundle),
            "get",
            "--require-signature",
            "--trust-key",
            path(trust),
        ])
    };
    let (ok, out, err) = invoke(&signed, &public);
    assert!(ok && out.contains("items"), "{err}");
    let (ok, _, err) = invoke(&signed, &other_public);
    assert!(!ok && err.contains("not trusted"), "{err}");
    let (ok, _, err) = invoke(&wasm, &public);
    assert!(!ok && err.contains("not signed"), "{err}");

    // One changed byte after signing: refused everywhere.
    let mut bytes = std::fs::read(&signed).expect("signed");
    let at = bytes.len() / 2;
    bytes[at] ^= 1;
    let tampered = dir.path().join("tampered.wasm");
    std::fs::write(&tampered, bytes).expect("write");
    let (ok, _, err) = plugboard(&["verify", path(&tampered), "--trust", path(&public)]);
    assert!(!ok && err.contains("altered"), "{err}");
    let (ok, _, err) = invoke(&tampered, &public);
    assert!(!ok && err.contains("altered"), "{err}");
}
