//! Build-script helper: compiles a guest crate of this workspace to a `wasm32-wasip2`
//! component with the `guest` profile (optimised, LTO, stripped, `panic = "abort"`).
//!
//! The nested cargo uses its own target directory (`<target>/guest`) so it never waits on the
//! outer build's lock, and it is shared by every build script so each guest is built once.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The wasm target guests are built for.
pub const GUEST_TARGET: &str = "wasm32-wasip2";

/// Builds `package` (a workspace member) and returns the path of its `.wasm` component.
///
/// Call from a build script: prints `cargo:rerun-if-changed` lines for `watch` (folders
/// relative to the workspace root) and fails with the nested cargo's message.
pub fn build(package: &str, watch: &[&str]) -> Result<PathBuf, String> {
    let manifest_dir = PathBuf::from(env("CARGO_MANIFEST_DIR")?);
    let root = workspace_root(&manifest_dir)?;
    for path in watch {
        println!("cargo:rerun-if-changed={}", root.join(path).display());
    }
    // The lock file pins versions; the workspace manifest turns on features (serde_json's
    // `float_roundtrip`, say) that change the guest without touching the lock file.
    for file in ["Cargo.lock", "Cargo.toml"] {
        println!("cargo:rerun-if-changed={}", root.join(file).display());
    }
    println!("cargo:rerun-if-env-changed=CARGO_TARGET_DIR");
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|dir| {
            if dir.is_absolute() {
                dir
            } else {
                root.join(dir)
            }
        })
        .unwrap_or_else(|| root.join("target"))
        .join("guest");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(&root)
        .args([
            "build",
            "--package",
            package,
            "--profile",
            "guest",
            "--target",
            GUEST_TARGET,
        ])
        .arg("--target-dir")
        .arg(&target_dir);
    // The outer build's flags and wrappers are for the host target, not the guest.
    for var in [
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTFLAGS",
        "CARGO_BUILD_RUSTFLAGS",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_PRIMARY_PACKAGE",
        "CARGO_PROFILE_RELEASE_DEBUG",
    ] {
        command.env_remove(var);
    }
    let output = command
        .output()
        .map_err(|e| format!("cannot run cargo to build guest `{package}`: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "building guest `{package}` for {GUEST_TARGET} failed (is the target installed? `rustup target add {GUEST_TARGET}`):\n{}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let wasm = target_dir
        .join(GUEST_TARGET)
        .join("guest")
        .join(format!("{}.wasm", package.replace('-', "_")));
    if wasm.is_file() {
        Ok(wasm)
    } else {
        Err(format!(
            "guest `{package}` built but {} is missing",
            wasm.display()
        ))
    }
}

fn env(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("{name} is not set (call this from a build script)"))
}

/// The nearest ancestor whose Cargo.toml has a `[workspace]` table.
fn workspace_root(start: &Path) -> Result<PathBuf, String> {
    start
        .ancestors()
        .find(|dir| {
            std::fs::read_to_string(dir.join("Cargo.toml"))
                .is_ok_and(|text| text.lines().any(|l| l.trim() == "[workspace]"))
        })
        .map(Path::to_path_buf)
        .ok_or_else(|| format!("no workspace above {}", start.display()))
}
