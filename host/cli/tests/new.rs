//! `plugboard new` scaffolds a custom-code crate that builds to a bundle: the test builds the
//! scaffold for wasm32-wasip2 and invokes its typed actions through the CLI.

mod common;

use common::{path, plugboard};

use std::path::Path;
use std::process::Command;

#[test]
fn the_scaffold_builds_to_a_bundle_that_runs() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (ok, _, err) = plugboard(&["new", "9lives", "--dir", path(dir.path())]);
    assert!(!ok && err.contains("start with a letter"), "{err}");
    let (ok, _, err) = plugboard(&["new", "hello-api", "--dir", path(dir.path())]);
    assert!(ok, "{err}");
    let (ok, _, err) = plugboard(&["new", "hello-api", "--dir", path(dir.path())]);
    assert!(!ok && err.contains("exists"), "{err}");
    let crate_dir = dir.path().join("hello-api");
    // A target directory kept between runs, so the SDK's dependencies build once.
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("scaffold-target");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let build = |offline: bool| {
        let mut command = Command::new(&cargo);
        command
            .current_dir(&crate_dir)
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
    let component = target.join("wasm32-wasip2/release/hello_api.wasm");
    // What `cargo build` makes has no manifest yet: refused, with the way to record it.
    let (ok, _, err) = plugboard(&["inspect", path(&component)]);
    assert!(!ok && err.contains("plugboard build"), "{err}");
    let wasm = dir.path().join("hello_api.bundle.wasm");
    let (ok, _, err) = plugboard(&["build", path(&component), "-o", path(&wasm)]);
    assert!(ok, "{err}");
    let (ok, out, err) = plugboard(&["inspect", path(&wasm)]);
    assert!(ok, "{err}");
    assert!(
        out.contains("\"hello\"") && out.contains("\"greeting\""),
        "{out}"
    );
    let (ok, out, err) = plugboard(&[
        "invoke",
        path(&wasm),
        "hello",
        "--input",
        r#"{"name": "Ada"}"#,
        "--config",
        "greeting=Welcome",
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("Welcome, Ada!"), "{out}");
    let (ok, _, err) = plugboard(&["invoke", path(&wasm), "hello", "--input", r#"{"nam": 1}"#]);
    assert!(!ok && err.contains("nam"), "{err}");
}
