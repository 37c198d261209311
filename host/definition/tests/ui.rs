//! Golden tests for definition validation.
//!
//! Every `tests/ui/*.json` is read with [`Definition::from_json`]; the result (`ok`, or the
//! error's Display) must equal the `.expected` file next to it, byte for byte. Run with
//! `BLESS=1` to rewrite the `.expected` files from the current output, then review the diff.
//!
//! Valid definitions are also written back with `to_json_pretty` and read again: the round
//! trip must give the same definition.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use plugboard_definition::Definition;

fn ui_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("ui")
}

/// Files in the ui folder with extension `ext`, sorted.
fn files(ext: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(ui_dir())
        .expect("read tests/ui")
        .map(|entry| entry.expect("read tests/ui entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == ext))
        .collect();
    files.sort();
    files
}

/// What the golden file holds for one input: `ok` or the error text, newline-terminated.
fn render(text: &str) -> String {
    match Definition::from_json(text) {
        Ok(_) => "ok\n".to_string(),
        Err(error) => format!("{error}\n"),
    }
}

/// A line diff that is good enough for short golden files: `-` expected, `+` actual.
fn diff(expected: &str, actual: &str) -> String {
    let expected: Vec<&str> = expected.lines().collect();
    let actual: Vec<&str> = actual.lines().collect();
    let mut out = String::new();
    for i in 0..expected.len().max(actual.len()) {
        match (expected.get(i), actual.get(i)) {
            (Some(e), Some(a)) if e == a => {
                let _ = writeln!(out, "   {e}");
            }
            (e, a) => {
                if let Some(e) = e {
                    let _ = writeln!(out, " - {e}");
                }
                if let Some(a) = a {
                    let _ = writeln!(out, " + {a}");
                }
            }
        }
    }
    out
}

fn bless() -> bool {
    std::env::var_os("BLESS").is_some_and(|v| !v.is_empty() && v != "0")
}

#[test]
fn ui() {
    let inputs = files("json");
    assert!(
        inputs.len() >= 30,
        "expected the golden inputs in {}, found {}",
        ui_dir().display(),
        inputs.len()
    );
    let bless = bless();
    let mut failures = Vec::new();
    for input in &inputs {
        let text = std::fs::read_to_string(input)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", input.display()));
        let actual = render(&text);
        let expected_path = input.with_extension("expected");
        if bless {
            std::fs::write(&expected_path, &actual)
                .unwrap_or_else(|e| panic!("cannot write {}: {e}", expected_path.display()));
            continue;
        }
        match std::fs::read_to_string(&expected_path) {
            Ok(expected) if expected == actual => {}
            Ok(expected) => failures.push(format!(
                "{} does not match {} (rerun with BLESS=1 to accept):\n{}",
                input.display(),
                expected_path.display(),
                diff(&expected, &actual)
            )),
            Err(_) => failures.push(format!(
                "{} has no {} (rerun with BLESS=1 to create it); the output is:\n{actual}",
                input.display(),
                expected_path.display(),
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} golden file(s) failed:\n\n{}",
        failures.len(),
        inputs.len(),
        failures.join("\n")
    );
}

/// An `.expected` without its `.json` is a leftover from a renamed or deleted case.
#[test]
fn no_orphaned_expected_files() {
    let orphans: Vec<String> = files("expected")
        .into_iter()
        .filter(|expected| !expected.with_extension("json").exists())
        .map(|p| p.display().to_string())
        .collect();
    assert!(
        orphans.is_empty(),
        "expected files without input: {orphans:?}"
    );
}

/// Every valid golden definition survives `to_json_pretty` and back unchanged.
#[test]
fn valid_definitions_round_trip() {
    let mut valid = 0;
    for input in files("json") {
        let text = std::fs::read_to_string(&input).expect("read input");
        let Ok(definition) = Definition::from_json(&text) else {
            continue;
        };
        valid += 1;
        let written = definition.to_json_pretty();
        let again = Definition::from_json(&written).unwrap_or_else(|e| {
            panic!(
                "{}: the re-serialized definition does not read back: {e}\n{written}",
                input.display()
            )
        });
        assert_eq!(
            again,
            definition,
            "{}: round trip changed it",
            input.display()
        );
    }
    assert!(
        valid >= 5,
        "expected several valid golden definitions, found {valid}"
    );
}
