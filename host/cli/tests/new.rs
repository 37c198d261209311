//! `plugboard new` scaffolds a custom-code crate that builds to a bundle: the test copies the
//! binary out of the build tree (as an install would), scaffolds with the copy, builds the
//! scaffold for wasm32-wasip2, then records, signs, verifies and invokes it through the copy.

mod common;

use common::path;

use std::path::{Path, PathBuf};
use std::process::Command;

/// Builds a scaffold with `cargo build --release` (offline first) in a target directory kept
/// between runs, so the SDK's dependencies build once; returns the component.
fn build_scaffold(crate_dir: &Path, file: &str) -> PathBuf {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("scaffold-target");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let build = |offline: bool| {
        let mut command = Command::new(&cargo);
        command
            .current_dir(crate_dir)
            .args(["build", "--release", "--quiet"])
            .env("CARGO_TARGET_DIR", &target)
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS");
        if offline {
            command.arg("--offline");
        }
        command.output().expect("cargo")
    };
    let mut output = build(true);
    if !output.status.success() {
        output = build(false);
    }
    assert!(
        output.status.success(),
        "the scaffold does not build: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    target.join(format!("wasm32-wasip2/release/{file}.wasm"))
}

/// Every file under `dir`, recursively.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let entry = entry.expect("entry").path();
        if entry.is_dir() {
            found.extend(files(&entry));
        } else {
            found.push(entry);
        }
    }
    found
}

#[test]
fn the_scaffold_of_an_installed_binary_builds_to_a_signed_bundle_that_runs() {
    // The binary alone in a folder outside the repository, run from another one.
    let bin = tempfile::tempdir().expect("temp dir");
    let plugboard = bin.path().join("plugboard");
    std::fs::copy(env!("CARGO_BIN_EXE_plugboard"), &plugboard).expect("copy the binary");
    let work = tempfile::tempdir().expect("temp dir");
    let dir = work.path();
    let plugboard = |args: &[&str]| common::run(&plugboard, Some(dir), args);

    let (ok, _, err) = plugboard(&["new", "9lives"]);
    assert!(!ok && err.contains("start with a letter"), "{err}");
    let (ok, _, err) = plugboard(&["new", "hello-api"]);
    assert!(ok, "{err}");
    let (ok, _, err) = plugboard(&["new", "hello-api", "--dir", path(dir)]);
    assert!(!ok && err.contains("exists"), "{err}");
    let crate_dir = dir.join("hello-api");

    // Nothing in the scaffold points into the source tree: the SDK is vendored.
    let repository = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repository");
    let manifest = std::fs::read_to_string(crate_dir.join("Cargo.toml")).expect("Cargo.toml");
    assert!(
        manifest.contains(r#"plugboard-guest = { path = "vendor/plugboard-guest-sdk" }"#),
        "{manifest}"
    );
    for file in files(&crate_dir) {
        let text = std::fs::read_to_string(&file).expect("scaffold file");
        for source in [path(&repository), env!("CARGO_MANIFEST_DIR")] {
            assert!(!text.contains(source), "{} names {source}", file.display());
        }
    }
    let sdk = crate_dir.join("vendor/plugboard-guest-sdk");
    let notice = std::fs::read_to_string(sdk.join("README.md")).expect("notice");
    assert!(
        notice.contains("plugboard new") && notice.contains(env!("CARGO_PKG_VERSION")),
        "{notice}"
    );
    assert!(sdk.join("wit/plugboard.wit").is_file());
    let sdk_manifest = std::fs::read_to_string(sdk.join("Cargo.toml")).expect("SDK Cargo.toml");
    assert!(
        !sdk_manifest.contains("workspace =") && !sdk_manifest.contains(".workspace"),
        "{sdk_manifest}"
    );

    let component = build_scaffold(&crate_dir, "hello_api");
    // What `cargo build` makes has no manifest yet: refused, with the way to record it.
    let (ok, _, err) = plugboard(&["inspect", path(&component)]);
    assert!(!ok && err.contains("plugboard build"), "{err}");
    let (ok, _, err) = plugboard(&["build", path(&component), "-o", "hello_api.bundle.wasm"]);
    assert!(ok, "{err}");
    let (ok, _, err) = plugboard(&["keygen", "-o", "publisher"]);
    assert!(ok, "{err}");
    let (ok, _, err) = plugboard(&[
        "sign",
        "hello_api.bundle.wasm",
        "--key",
        "publisher.key",
        "-o",
        "hello_api.signed.wasm",
    ]);
    assert!(ok, "{err}");
    let signed = "hello_api.signed.wasm";
    let (ok, out, err) = plugboard(&["verify", signed, "--trusted-key", "publisher.pub"]);
    assert!(ok && out.contains("trusted key"), "{out}{err}");
    let (ok, out, err) = plugboard(&["inspect", signed, "--trusted-key", "publisher.pub"]);
    assert!(ok, "{err}");
    let inspected: serde_json::Value = serde_json::from_str(&out).expect("inspect JSON");
    assert_eq!(inspected["signature"]["status"], "trusted", "{out}");
    assert!(
        out.contains("\"hello\"") && out.contains("\"greeting\""),
        "{out}"
    );
    let (ok, out, err) = plugboard(&[
        "invoke",
        signed,
        "hello",
        "--input",
        r#"{"name": "Ada"}"#,
        "--config",
        "greeting=Welcome",
        "--require-signature",
        "--trusted-key",
        "publisher.pub",
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("Welcome, Ada!"), "{out}");
    let (ok, _, err) = plugboard(&["invoke", signed, "hello", "--input", r#"{"nam": 1}"#]);
    assert!(!ok && err.contains("nam"), "{err}");
}

#[test]
fn a_scaffold_is_not_named_as_a_crate_it_vendors() {
    let work = tempfile::tempdir().expect("temp dir");
    let plugboard = Path::new(env!("CARGO_BIN_EXE_plugboard"));
    for name in [
        "plugboard-guest",
        "plugboard-manifest",
        "plugboard_manifest",
    ] {
        let (ok, _, err) = common::run(plugboard, Some(work.path()), &["new", name]);
        assert!(!ok && err.contains("vendors"), "{name}: {err}");
        assert!(!work.path().join(name).exists(), "{name} was written");
    }
}

#[test]
fn a_hostname_that_is_not_a_host_is_refused_before_anything_is_written() {
    let work = tempfile::tempdir().expect("temp dir");
    let plugboard = Path::new(env!("CARGO_BIN_EXE_plugboard"));
    // Each would have been pasted into the generated source, which then would not compile.
    for hostname in [
        "a{b",
        "a\"b.example.com",
        "https://api.example.com",
        "api.example.com/v1",
    ] {
        let (ok, _, err) = common::run(
            plugboard,
            Some(work.path()),
            &["new", "scaffold", "--hostname", hostname],
        );
        assert!(!ok && err.contains("--hostname"), "{hostname}: {err}");
        assert!(
            !work.path().join("scaffold").exists(),
            "{hostname}: written"
        );
    }
    let (ok, _, err) = common::run(
        plugboard,
        Some(work.path()),
        &["new", "scaffold", "--hostname", "api.example.com:8443"],
    );
    assert!(ok, "{err}");
}
