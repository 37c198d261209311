//! Facts for `plugboard --version`: the commit it was built from (git, when built from a
//! checkout; `unknown` otherwise) and the wasmtime version (from Cargo.lock). And the guest SDK
//! that `plugboard new` vendors into a scaffold: its sources, the manifest crate it builds on,
//! and the WIT it binds, with standalone Cargo.toml files (`$OUT_DIR/vendored_sdk.rs`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let output = Command::new("git").args(args).output().ok()?;
    if !output.status.success() {
        return None;
    }
    Some(String::from_utf8(output.stdout).ok()?.trim().to_string())
}

fn main() {
    let commit = git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=PLUGBOARD_COMMIT={commit}");
    // Rebuild when HEAD moves (a commit, a checkout).
    for path in ["HEAD", "packed-refs"] {
        if let Some(file) = git(&["rev-parse", "--git-path", path]) {
            println!("cargo:rerun-if-changed={file}");
        }
    }
    if let Some(reference) = git(&["symbolic-ref", "-q", "HEAD"])
        && let Some(file) = git(&["rev-parse", "--git-path", &reference])
    {
        println!("cargo:rerun-if-changed={file}");
    }
    // The package's folder as cargo gives it when the script runs, not when it was compiled: a
    // script compiled in another checkout of the same sources (a clone since deleted) is reused
    // through a shared target directory, and would look for that checkout's files.
    let manifest_dir =
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let root = Path::new(&manifest_dir).join("../..");
    let lock = parse(&root.join("Cargo.lock"));
    let wasmtime = lock
        .get("package")
        .and_then(toml::Value::as_array)
        .into_iter()
        .flatten()
        .find(|package| package.get("name").and_then(toml::Value::as_str) == Some("wasmtime"))
        .and_then(|package| package.get("version")?.as_str())
        .unwrap_or("unknown")
        .to_string();
    println!("cargo:rustc-env=PLUGBOARD_WASMTIME={wasmtime}");
    println!("cargo:rerun-if-changed=../../Cargo.lock");
    vendor_sdk(&root);
}

/// The crates `plugboard new` vendors: (folder in the workspace, folder under `vendor/`).
const VENDORED: [(&str, &str); 2] = [
    ("guest-sdk", "plugboard-guest-sdk"),
    ("manifest", "plugboard-manifest"),
];

/// Where the SDK reads its WIT (`wit_bindgen::generate!`), and where its vendored copy does.
const WIT_PATH: (&str, &str) = ("path: \"../wit\"", "path: \"wit\"");

/// Writes `$OUT_DIR/vendored_sdk.rs`: `FILES`, (path under `vendor/`, text) for every file of
/// the vendored crates, and `PACKAGES`, their package names. A build-script failure here means
/// the SDK changed shape (a new include, a build script, a dependency outside the vendored
/// crates): teach this function about it.
fn vendor_sdk(root: &Path) {
    let workspace = parse(&root.join("Cargo.toml"));
    println!("cargo:rerun-if-changed=../../Cargo.toml");
    let mut files = Vec::new();
    let mut packages = Vec::new();
    for (folder, vendored) in VENDORED {
        let dir = root.join(folder);
        assert!(
            !dir.join("build.rs").exists(),
            "{folder} has a build script: vendor what it needs"
        );
        let member = parse(&dir.join("Cargo.toml"));
        let name = member["package"]["name"].as_str().expect("package.name");
        packages.push(name.to_string());
        let manifest = standalone(&member, &workspace, folder);
        files.push((format!("{vendored}/Cargo.toml"), manifest));
        println!("cargo:rerun-if-changed=../../{folder}/Cargo.toml");
        println!("cargo:rerun-if-changed=../../{folder}/src");
        for (relative, mut text) in tree(&dir.join("src")) {
            for include in ["include!", "include_str!", "include_bytes!", "#[path"] {
                assert!(
                    !text.contains(include),
                    "{folder}/src/{relative} uses {include}: vendor what it reads"
                );
            }
            if folder == "guest-sdk" && relative == "lib.rs" {
                assert_eq!(
                    text.matches(WIT_PATH.0).count(),
                    1,
                    "guest-sdk/src/lib.rs no longer reads its WIT from ../wit"
                );
                text = text.replace(WIT_PATH.0, WIT_PATH.1);
            }
            files.push((format!("{vendored}/src/{relative}"), text));
        }
    }
    for (relative, text) in tree(&root.join("wit")) {
        files.push((format!("{}/wit/{relative}", VENDORED[0].1), text));
    }
    println!("cargo:rerun-if-changed=../../wit");
    let mut out = String::from("/// (path under `vendor/`, text) of each vendored file.\n");
    out.push_str("pub static FILES: &[(&str, &str)] = &[\n");
    for (path, text) in &files {
        let _ = writeln!(out, "    ({path:?}, {text:?}),");
    }
    out.push_str("];\n");
    out.push_str("/// The package names of the vendored crates.\n");
    let _ = writeln!(out, "pub static PACKAGES: &[&str] = &{packages:?};");
    let target = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("vendored_sdk.rs");
    std::fs::write(&target, out).expect("write vendored_sdk.rs");
}

fn parse(path: &Path) -> toml::Table {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.parse()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The files under `dir` (recursively, sorted): (path relative to `dir`, text).
fn tree(dir: &Path) -> Vec<(String, String)> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        let entries =
            std::fs::read_dir(&current).unwrap_or_else(|e| panic!("{}: {e}", current.display()));
        for entry in entries {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let relative = path.strip_prefix(dir).expect("under dir");
            let relative = relative.to_str().expect("UTF-8 path").replace('\\', "/");
            files.push((relative, text));
        }
    }
    files.sort();
    files
}

/// A member's Cargo.toml without the workspace: inherited package fields, dependencies and
/// lints filled in from the workspace's, path dependencies pointing at their vendored folders,
/// dev-dependencies left out (tests are not vendored).
fn standalone(member: &toml::Table, workspace: &toml::Table, folder: &str) -> String {
    let workspace = workspace["workspace"].as_table().expect("[workspace]");
    let inherited = |value: &toml::Value| {
        value
            .as_table()
            .and_then(|table| table.get("workspace"))
            .and_then(toml::Value::as_bool)
            == Some(true)
    };
    let mut manifest = toml::Table::new();
    for (section, value) in member {
        let mut value = value.clone();
        match section.as_str() {
            "package" => {
                for (key, field) in value.as_table_mut().expect("[package]") {
                    if inherited(field) {
                        *field = workspace["package"][key.as_str()].clone();
                    }
                }
            }
            "dependencies" | "build-dependencies" => {
                for (name, spec) in value.as_table_mut().expect("[dependencies]") {
                    *spec = dependency(name, spec, workspace, folder);
                }
            }
            "lints" if inherited(&value) => value = workspace["lints"].clone(),
            "dev-dependencies" => continue,
            "features" | "lints" | "lib" => {}
            other => panic!("{folder}/Cargo.toml: vendoring does not know [{other}]"),
        }
        manifest.insert(section.clone(), value);
    }
    let mut out = format!(
        "# Written by `plugboard new` from Plugboard's {folder}/Cargo.toml, with the workspace's\n\
         # values filled in.\n"
    );
    write_table(&mut out, "", &manifest);
    out
}

/// One dependency, standalone: the workspace's spec merged with the member's keys.
fn dependency(
    name: &str,
    spec: &toml::Value,
    workspace: &toml::Table,
    folder: &str,
) -> toml::Value {
    let mut merged = match spec {
        toml::Value::Table(table) if table.get("workspace").is_some() => {
            let mut base = match &workspace["dependencies"][name] {
                toml::Value::String(version) => {
                    toml::Table::from_iter([("version".to_string(), version.clone().into())])
                }
                other => other.as_table().expect("dependency table").clone(),
            };
            for (key, value) in table {
                match (key.as_str(), base.get_mut(key)) {
                    ("workspace", _) => {}
                    ("features", Some(toml::Value::Array(features))) => {
                        features.extend(value.as_array().expect("features").iter().cloned());
                    }
                    _ => {
                        base.insert(key.clone(), value.clone());
                    }
                }
            }
            base
        }
        toml::Value::Table(table) => table.clone(),
        version => return version.clone(),
    };
    if let Some(path) = merged.get("path") {
        let path = path.as_str().expect("path");
        let vendored = VENDORED
            .iter()
            .find(|(source, _)| *source == path)
            .unwrap_or_else(|| panic!("{folder} depends on {path}, which is not vendored"));
        merged.insert("path".into(), format!("../{}", vendored.1).into());
    }
    match merged.get("version") {
        Some(version) if merged.len() == 1 => version.clone(),
        _ => toml::Value::Table(merged),
    }
}

/// Writes `table` as TOML under `[header]`: plain values first, then sub-tables under their
/// own headers, except dependency specs, which stay inline.
fn write_table(out: &mut String, header: &str, table: &toml::Table) {
    let inline = header.ends_with("dependencies");
    let (tables, values): (Vec<_>, Vec<_>) = table
        .iter()
        .partition(|(_, value)| value.is_table() && !inline);
    if !header.is_empty() && (!values.is_empty() || tables.is_empty()) {
        let _ = writeln!(out, "\n[{header}]");
    }
    for (key, value) in values {
        let _ = writeln!(out, "{} = {value}", bare(key));
    }
    for (key, value) in tables {
        let header = match header {
            "" => bare(key),
            _ => format!("{header}.{}", bare(key)),
        };
        write_table(out, &header, value.as_table().expect("table"));
    }
}

/// A TOML key: bare when it can be, quoted otherwise.
fn bare(key: &str) -> String {
    if !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        key.to_string()
    } else {
        toml::Value::String(key.to_string()).to_string()
    }
}
