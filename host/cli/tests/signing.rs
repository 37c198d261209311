//! `plugboard keygen`, `sign`, `verify`, `inspect` and `invoke --require-signature` on a real
//! bundle, with a tampered copy refused; custom code built, its manifest recorded, signed and
//! pinned.

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

    // One name for the trusted key on every command (`--trusted-key`, as `serve` has it); the
    // older spellings stay as aliases.
    for flag in ["--trusted-key", "--trust", "--trust-key"] {
        let (ok, out, _) = plugboard(&["verify", path(&signed), flag, path(&public)]);
        assert!(ok && out.contains("trusted key"), "{flag}: {out}");
        let (ok, out, err) = plugboard(&["inspect", path(&signed), flag, path(&public)]);
        assert!(ok, "{flag}: {err}");
        let manifest: serde_json::Value = serde_json::from_str(&out).expect("inspect JSON");
        assert_eq!(manifest["signature"]["status"], "trusted", "{flag}");
    }
    let (ok, out, _) = plugboard(&["verify", path(&signed), "--trust", path(&other_public)]);
    assert!(!ok && out.contains("not trusted"), "{out}");
    let (ok, out, _) = plugboard(&["verify", path(&wasm)]);
    assert!(!ok && out.contains("not signed"), "{out}");

    let (ok, out, err) = plugboard(&["inspect", path(&signed), "--trust-key", path(&public)]);
    assert!(ok, "{err}");
    let manifest: serde_json::Value = serde_json::from_str(&out).expect("inspect JSON");
    assert_eq!(manifest["signature"]["status"], "trusted");
    assert_eq!(manifest["default_limits"]["max_requests"], 50);
    assert_eq!(manifest["manifest_version"], 1);
    assert_eq!(manifest["header"]["hostname"], api.host().as_str());
    assert!(
        manifest["header"]["allowed_hosts"].is_array() && manifest["header"]["secrets"].is_array()
    );
    assert_eq!(manifest["actions"][0]["id"], "get");

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

/// The custom-code path as a vendor runs it: `plugboard build` on the component `cargo build`
/// made records its manifest (its description under a fixed clock), `sign` covers it, and every
/// later `inspect` and `invoke` enforces that record: the hostile component's time bomb (a
/// description that names another host after 2020) never takes effect, and an edit of the
/// recorded host is refused as altered.
#[test]
fn custom_code_manifests_are_recorded_at_build_and_pinned_by_the_signature() {
    let dir = tempfile::tempdir().expect("temp dir");
    let raw = plugboard_tests::components::HOSTILE_WASM;
    let built = dir.path().join("hostile.bundle.wasm");
    let signed = dir.path().join("hostile.signed.wasm");
    let key = dir.path().join("vendor");

    let (ok, _, err) = plugboard(&["invoke", raw, "echo"]);
    assert!(
        !ok && err.contains("no `plugboard-manifest` section") && err.contains("plugboard build"),
        "{err}"
    );
    let (ok, _, err) = plugboard(&["build", raw, "-o", path(&built)]);
    assert!(
        ok && err.contains("manifest recorded (hosts: allowed.invalid)"),
        "{err}"
    );
    plugboard(&["keygen", "-o", path(&key)]);
    let (ok, _, err) = plugboard(&[
        "sign",
        path(&built),
        "--key",
        path(&key.with_extension("key")),
        "-o",
        path(&signed),
    ]);
    assert!(ok, "{err}");
    let (ok, out, err) = plugboard(&["inspect", path(&signed)]);
    assert!(ok, "{err}");
    let manifest: serde_json::Value = serde_json::from_str(&out).expect("inspect JSON");
    assert_eq!(manifest["header"]["hostname"], "allowed.invalid");
    assert_eq!(manifest["header"]["secrets"], json!(["declared_secret"]));

    let public = key.with_extension("pub");
    let (ok, _, err) = plugboard(&[
        "invoke",
        path(&signed),
        "timebomb",
        "--credential",
        "api_key=the-customers-key",
        "--require-signature",
        "--trust-key",
        path(&public),
    ]);
    assert!(
        !ok && err.contains("denied") && err.contains("elsewhere.invalid"),
        "{err}"
    );
    assert!(!err.contains("the-customers-key"), "{err}");

    let bytes = std::fs::read(&signed).expect("signed");
    let edited =
        plugboard_tests::components::replace_last(&bytes, b"allowed.invalid", b"evilxyz.invalid");
    let edited_path = dir.path().join("edited.wasm");
    std::fs::write(&edited_path, edited).expect("write");
    let (ok, _, err) = plugboard(&["verify", path(&edited_path), "--trust", path(&public)]);
    assert!(!ok && err.contains("altered"), "{err}");
    let (ok, _, err) = plugboard(&[
        "invoke",
        path(&edited_path),
        "echo",
        "--require-signature",
        "--trust-key",
        path(&public),
    ]);
    assert!(!ok && err.contains("altered"), "{err}");
}

#[test]
fn keygen_replaces_a_key_pair_only_with_force() {
    let dir = tempfile::tempdir().expect("temp dir");
    let key = dir.path().join("vendor");
    let (ok, _, err) = plugboard(&["keygen", "-o", path(&key)]);
    assert!(ok, "{err}");
    let first = std::fs::read_to_string(key.with_extension("pub")).expect("pub");
    let (ok, _, err) = plugboard(&["keygen", "-o", path(&key)]);
    assert!(!ok && err.contains("use --force"), "{err}");
    assert_eq!(
        std::fs::read_to_string(key.with_extension("pub")).expect("pub"),
        first
    );
    let (ok, _, err) = plugboard(&["keygen", "-o", path(&key), "--force"]);
    assert!(ok, "{err}");
    let second = std::fs::read_to_string(key.with_extension("pub")).expect("pub");
    assert_ne!(first, second, "--force writes a new pair");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(key.with_extension("key"))
            .expect("key")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the new private key is owner-only");
    }
}
