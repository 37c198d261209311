//! The `plugboard` binary end to end: `definition schema|validate`, `build`, `inspect` and
//! `invoke` against a loopback [`TestApi`].
//!
//! One API and one component are shared by the tests that invoke (built once per test process,
//! compiled once into a shared cache dir under `CARGO_TARGET_TMPDIR`); tests that need files of
//! their own use a fresh temp dir.

mod common;

use common::{command as plugboard, stderr, stdout};

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use plugboard_tests::api::{AuthCheck, TestApi};
use serde_json::{Value, json};

/// The API key the shared test API accepts.
const API_KEY: &str = "cli-test-key-7f3a9c";

fn run(command: &mut Command) -> Output {
    command.output().expect("run plugboard")
}

/// Panics with both streams unless the command succeeded.
fn assert_success(output: &Output) {
    assert!(
        output.status.success(),
        "plugboard failed ({}):\nstdout: {}\nstderr: {}",
        output.status,
        stdout(output),
        stderr(output)
    );
}

/// Panics unless the command failed with a plain error (exit code 1, not a panic or a signal)
/// whose stderr contains every one of `needles`; returns stderr.
fn assert_error(output: &Output, needles: &[&str]) -> String {
    let err = stderr(output);
    assert_eq!(
        output.status.code(),
        Some(1),
        "expected exit code 1:\nstdout: {}\nstderr: {err}",
        stdout(output)
    );
    assert!(!err.contains("panicked"), "plugboard panicked:\n{err}");
    assert!(err.starts_with("error: "), "stderr: {err}");
    for needle in needles {
        assert!(err.contains(needle), "stderr lacks `{needle}`:\n{err}");
    }
    err
}

fn json_stdout(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", stdout(output)))
}

/// A definition for the test API at `host` (API key in `X-Api-Key`, page pagination).
fn api_definition(host: &str) -> Value {
    json!({
        "definition_version": 1,
        "name": "CLI Test",
        "description": "The loopback test API, for the CLI tests.",
        "hostname": host,
        "scheme": "http",
        "auth": {"type": "api_key", "api_key_header_name": "X-Api-Key"},
        "pagination": {
            "type": "page",
            "page_param": "page",
            "page_size_param": "per_page",
            "results_key": "items",
            "default_page_size": 10,
            "default_page_limit": 5
        },
        "actions": [
            {
                "id": "list_items",
                "name": "List items",
                "method": "GET",
                "path": "/page/items",
                "output_schema": {
                    "type": "object",
                    "properties": {"items": {"type": "array", "items": {"type": "object"}}}
                },
                "paginated": true
            },
            {
                "id": "slow",
                "name": "Slow",
                "description": "Sleeps `ms` milliseconds.",
                "method": "GET",
                "path": "/slow",
                "parameters": [{"name": "ms", "in": "query", "required": true, "schema": {"type": "integer"}}]
            }
        ]
    })
}

/// State shared by the tests that invoke: the API, its component and the compile cache.
struct Shared {
    api: TestApi,
    wasm: PathBuf,
    cache: PathBuf,
}

fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("plugboard-cli-tests");
        // Components are content-addressed, but the API port (and so the component) differs
        // every run: start from an empty dir so old artifacts do not pile up.
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create the shared test dir");
        let api = TestApi::start_blocking(AuthCheck::header("X-Api-Key", API_KEY))
            .expect("start the test API");
        let definition = dir.join("definition.json");
        std::fs::write(&definition, api_definition(&api.host()).to_string())
            .expect("write the definition");
        let wasm = dir.join("cli-test.wasm");
        assert_success(&run(plugboard()
            .arg("build")
            .arg(&definition)
            .arg("-o")
            .arg(&wasm)));
        let cache = dir.join("cache");
        Shared { api, wasm, cache }
    })
}

/// `plugboard --cache-dir <shared> invoke <shared wasm> ACTION ARGS...`.
fn invoke(action: &str, args: &[&str]) -> Command {
    let shared = shared();
    let mut command = plugboard();
    command
        .arg("--cache-dir")
        .arg(&shared.cache)
        .arg("invoke")
        .arg(&shared.wasm)
        .arg(action)
        .args(args);
    command
}

fn temp_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("plugboard-cli-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .expect("temp dir")
}

// ---------------------------------------------------------------------------------------------
// definition schema / validate
// ---------------------------------------------------------------------------------------------

#[test]
fn definition_schema_prints_the_json_schema() {
    let output = run(plugboard().args(["definition", "schema"]));
    assert_success(&output);
    let schema = json_stdout(&output);
    assert!(
        schema["$schema"]
            .as_str()
            .is_some_and(|s| s.contains("json-schema.org")),
        "{schema}"
    );
    assert_eq!(schema["type"], "object");
    for field in [
        "definition_version",
        "name",
        "hostname",
        "auth",
        "pagination",
        "actions",
    ] {
        assert!(
            schema["properties"].get(field).is_some(),
            "no property `{field}`"
        );
    }
    let published: Value =
        serde_json::from_str(&plugboard_definition::json_schema()).expect("schema JSON");
    assert_eq!(schema, published);
}

#[test]
fn definition_validate_accepts_the_demo_and_lists_problems() {
    let demo = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/demo/definition.json"
    );
    let output = run(plugboard().args(["definition", "validate", demo]));
    assert_success(&output);
    assert!(stderr(&output).contains("valid"), "{}", stderr(&output));

    let dir = temp_dir();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, invalid_definition().to_string()).expect("write");
    let output = run(plugboard().arg("definition").arg("validate").arg(&bad));
    assert_error(
        &output,
        &["is not a valid definition", "$.name", "$.hostname"],
    );
}

// ---------------------------------------------------------------------------------------------
// build / inspect
// ---------------------------------------------------------------------------------------------

/// A definition with one problem in each of several places.
fn invalid_definition() -> Value {
    json!({
        "definition_version": 1,
        "name": "Bad/Name",
        "description": "",
        "hostname": "https://api.example.com",
        "pagination": {"type": "page", "default_page_size": 0},
        "actions": [
            {"id": "list", "name": "List", "method": "GET", "path": "items/{id}"},
            {"id": "list", "name": "Again", "method": "GET", "path": "/again"}
        ]
    })
}

#[test]
fn build_of_an_invalid_definition_lists_every_problem_and_writes_nothing() {
    let dir = temp_dir();
    let definition = dir.path().join("definition.json");
    std::fs::write(&definition, invalid_definition().to_string()).expect("write");
    let out = dir.path().join("out.wasm");
    let output = run(plugboard()
        .arg("build")
        .arg(&definition)
        .arg("-o")
        .arg(&out));
    let err = assert_error(
        &output,
        &[
            "the definition has 8 problem(s)",
            "$.name: use letters, digits, spaces",
            "$.description: the description is required",
            "$.hostname: write the host without a scheme",
            "$.pagination.default_page_size: must be 1..=1000, got 0",
            "$.pagination.page_param: required for pagination type `page`",
            "$.actions[0].path: a path starts with `/`",
            "$.actions[0].path: placeholder `{id}` has no path parameter named `id`",
            "$.actions[1].id: duplicate action id `list`",
        ],
    );
    assert!(err.contains(&definition.display().to_string()), "{err}");
    assert!(
        !out.exists(),
        "build wrote {} for an invalid definition",
        out.display()
    );
    assert!(output.stdout.is_empty());
}

#[test]
fn build_failures_leave_an_existing_output_alone() {
    let dir = temp_dir();
    let out = dir.path().join("out.wasm");
    std::fs::write(&out, b"previous").expect("write");

    // Not JSON at all.
    let definition = dir.path().join("definition.json");
    std::fs::write(&definition, "name: not json\n").expect("write");
    let output = run(plugboard()
        .arg("build")
        .arg(&definition)
        .arg("-o")
        .arg(&out));
    assert_error(&output, &["not valid JSON", "line 1"]);

    // An unknown field: a parse error with its JSON path.
    let mut unknown = api_definition("api.example.com");
    unknown["actions"][1]["parameters"][0]["requried"] = json!(true);
    std::fs::write(&definition, unknown.to_string()).expect("write");
    let output = run(plugboard()
        .arg("build")
        .arg(&definition)
        .arg("-o")
        .arg(&out));
    assert_error(
        &output,
        &["$.actions[1].parameters[0].requried", "unknown field"],
    );

    // A missing file.
    let output = run(plugboard()
        .arg("build")
        .arg(dir.path().join("missing.json"))
        .arg("-o")
        .arg(&out));
    assert_error(&output, &["cannot read", "missing.json"]);

    assert_eq!(std::fs::read(&out).expect("read"), b"previous");
}

#[test]
fn build_then_inspect_prints_the_manifest_without_credentials() {
    let dir = temp_dir();
    let definition = dir.path().join("definition.json");
    let mut doc = api_definition("API.Example.com:8443");
    doc["extra_hosts"] = json!(["cdn.example.com"]);
    // Credentials go over https (plain http only to loopback).
    doc["scheme"] = json!("https");
    doc["auth"] = json!({"type": "api_key", "api_key_header_name": "Authorization", "api_key_preamble": "Bearer"});
    std::fs::write(&definition, doc.to_string()).expect("write");
    let wasm = dir.path().join("api.wasm");
    let output = run(plugboard()
        .arg("build")
        .arg(&definition)
        .arg("-o")
        .arg(&wasm));
    assert_success(&output);
    assert!(
        stderr(&output).contains("2 action(s)"),
        "{}",
        stderr(&output)
    );
    let bytes = std::fs::read(&wasm).expect("the component was written");
    assert!(bytes.starts_with(b"\0asm"), "not wasm");

    let output = run(plugboard()
        .arg("--cache-dir")
        .arg(dir.path().join("cache"))
        .arg("inspect")
        .arg(&wasm)
        // A credential in the environment must not leak into anything inspect prints.
        .env("PLUGBOARD_TEST_SECRET", API_KEY));
    assert_success(&output);
    let manifest = json_stdout(&output);
    let header = &manifest["header"];
    assert_eq!(header["name"], "CLI Test");
    assert_eq!(header["hostname"], "api.example.com:8443");
    assert_eq!(header["scheme"], "https");
    assert_eq!(header["allowed_hosts"], json!(["cdn.example.com"]));
    assert_eq!(header["auth"]["type"], "api_key");
    assert_eq!(header["auth"]["header_name"], "Authorization");
    assert_eq!(header["auth"]["preamble"], "Bearer");
    assert_eq!(header["auth"]["location"], "header");
    // Pagination, methods and paths are the engine's business, not the host's: not in the
    // manifest.
    assert!(manifest.get("pagination").is_none() && header.get("pagination").is_none());
    let mut ids: Vec<&str> = manifest["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .filter_map(|a| a["id"].as_str())
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, ["list_items", "slow"]);
    let slow = manifest["actions"]
        .as_array()
        .and_then(|a| a.iter().find(|a| a["id"] == "slow"))
        .expect("slow");
    assert!(slow.get("method").is_none() && slow.get("path").is_none());
    assert_eq!(slow["input_schema"]["required"], json!(["ms"]));
    let list = manifest["actions"]
        .as_array()
        .and_then(|a| a.iter().find(|a| a["id"] == "list_items"))
        .expect("list_items");
    assert_eq!(
        list["output_schema"]["properties"]["results"]["items"],
        json!({"type": "object"})
    );

    let text = stdout(&output) + &stderr(&output);
    assert!(
        !text.contains(API_KEY),
        "inspect printed a credential:\n{text}"
    );
}

#[test]
fn inspect_and_invoke_reject_files_that_are_not_components() {
    let dir = temp_dir();
    let cache = dir.path().join("cache");
    let cases: [(&str, &[u8], &str); 4] = [
        (
            "text.wasm",
            b"this is not wasm at all\n",
            "is not a WebAssembly component",
        ),
        ("empty.wasm", b"", "is not a WebAssembly component"),
        (
            "core.wasm",
            b"\0asm\x01\0\0\0",
            "is a core WebAssembly module, not a component",
        ),
        // A component header with nothing after it.
        ("truncated.wasm", b"\0asm\x0d\0\x01\0\x01", "cannot load"),
    ];
    for (name, bytes, message) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).expect("write");
        let output = run(plugboard()
            .arg("--cache-dir")
            .arg(&cache)
            .arg("inspect")
            .arg(&path));
        assert_error(&output, &[message, name]);
        let output = run(plugboard()
            .arg("--cache-dir")
            .arg(&cache)
            .arg("invoke")
            .arg(&path)
            .arg("list_items"));
        assert_error(&output, &[message, name]);
    }
    let output = run(plugboard()
        .arg("--cache-dir")
        .arg(&cache)
        .arg("inspect")
        .arg(dir.path().join("missing.wasm")));
    assert_error(&output, &["cannot read", "missing.wasm"]);
}

// ---------------------------------------------------------------------------------------------
// invoke
// ---------------------------------------------------------------------------------------------

#[test]
fn invoke_prints_the_output_as_json() {
    let credential = format!("api_key={API_KEY}");
    let output = run(&mut invoke("list_items", &["--credential", &credential]));
    assert_success(&output);
    let result = json_stdout(&output);
    let results = result["results"].as_array().expect("results");
    assert_eq!(results.len(), plugboard_tests::api::ITEM_COUNT);
    assert_eq!(results[0], json!({"id": 1, "name": "item-1"}));
    assert_eq!(result["pages"], 3);
    assert_eq!(result["truncated"], Value::Null);
    let text = stdout(&output) + &stderr(&output);
    assert!(
        !text.contains(API_KEY),
        "invoke printed the credential:\n{text}"
    );
}

/// Credentials off the command line: from a file, from standard input, from the environment;
/// the command line (what `ps` shows) never holds the value.
#[test]
fn invoke_takes_credentials_from_a_file_stdin_and_the_environment() {
    let dir = temp_dir();
    let file = dir.path().join("api_key");
    std::fs::write(&file, format!("{API_KEY}\n")).expect("write");
    let from_file = format!("api_key=@{}", file.display());
    let output = run(&mut invoke("list_items", &["--credential", &from_file]));
    assert_success(&output);
    assert_eq!(json_stdout(&output)["pages"], 3);

    let mut child = invoke("list_items", &["--credential", "api_key=-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    {
        use std::io::Write as _;
        let mut stdin = child.stdin.take().expect("stdin");
        writeln!(stdin, "{API_KEY}").expect("write stdin");
    }
    let output = child.wait_with_output().expect("wait");
    assert_success(&output);

    let output = run(invoke("list_items", &[]).env("PLUGBOARD_CREDENTIAL_API_KEY", API_KEY));
    assert_success(&output);
    // A flag wins over the variable.
    let output = run(invoke(
        "slow",
        &[
            "--credential",
            "api_key=wrong-key",
            "--input",
            r#"{"ms": 1}"#,
        ],
    )
    .env("PLUGBOARD_CREDENTIAL_API_KEY", API_KEY));
    assert_error(&output, &["401"]);
    let output = run(&mut invoke(
        "list_items",
        &["--credential", "api_key=-", "--input", "-"],
    ));
    assert_error(&output, &["both read standard input"]);
    let missing = format!("api_key=@{}", dir.path().join("none").display());
    let output = run(&mut invoke("list_items", &["--credential", &missing]));
    assert_error(&output, &["--credential api_key=@", "cannot read the file"]);
}

#[test]
fn invoke_with_a_wrong_credential_reports_401_without_the_credential() {
    let wrong = "wrong-key-5d1e0b";
    let output = run(&mut invoke(
        "slow",
        &[
            "--credential",
            &format!("api_key={wrong}"),
            "--input",
            r#"{"ms": 1}"#,
        ],
    ));
    let err = assert_error(&output, &["401"]);
    assert!(output.stdout.is_empty(), "stdout: {}", stdout(&output));
    assert!(!err.contains(wrong), "stderr shows the credential:\n{err}");
    assert!(!err.contains(API_KEY));
}

#[test]
fn invoke_without_a_credential_names_the_missing_one() {
    let output = run(&mut invoke("slow", &["--input", r#"{"ms": 1}"#]));
    assert_error(&output, &["missing credential", "api_key", "--credential"]);
    // The call stopped before sending anything: every other test sends the header.
    let unauthenticated = shared()
        .api
        .requests("/slow")
        .into_iter()
        .filter(|r| r.header("x-api-key").is_none())
        .count();
    assert_eq!(unauthenticated, 0, "a request went out without the API key");
}

#[test]
fn invoke_rejects_input_that_is_not_json() {
    let credential = format!("api_key={API_KEY}");
    let output = run(&mut invoke(
        "slow",
        &["--credential", &credential, "--input", "{ms: 1"],
    ));
    assert_error(&output, &["--input is not valid JSON"]);

    let output = run(&mut invoke(
        "slow",
        &[
            "--credential",
            &credential,
            "--input",
            "@/nonexistent/input.json",
        ],
    ));
    assert_error(
        &output,
        &["cannot read input file", "/nonexistent/input.json"],
    );
}

#[test]
fn invoke_reads_input_from_a_file() {
    let dir = temp_dir();
    let input = dir.path().join("input.json");
    std::fs::write(&input, r#"{"ms": 3}"#).expect("write");
    let credential = format!("api_key={API_KEY}");
    let at = format!("@{}", input.display());
    let output = run(&mut invoke(
        "slow",
        &["--credential", &credential, "--input", &at],
    ));
    assert_success(&output);
    assert_eq!(json_stdout(&output), json!({"slept": 3}));
}

#[test]
fn invoke_reads_input_from_stdin() {
    let credential = format!("api_key={API_KEY}");
    let mut child = invoke("slow", &["--credential", &credential, "--input", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn plugboard");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"{\"ms\": 4}\n")
        .expect("write stdin");
    let output = child.wait_with_output().expect("wait");
    assert_success(&output);
    assert_eq!(json_stdout(&output), json!({"slept": 4}));

    // Stdin that is not JSON is the same clear error.
    let mut child = invoke("slow", &["--credential", &credential, "--input", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn plugboard");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"ms=4")
        .expect("write stdin");
    assert_error(
        &child.wait_with_output().expect("wait"),
        &["--input is not valid JSON"],
    );
}

#[test]
fn invoke_stops_at_the_time_limit() {
    let credential = format!("api_key={API_KEY}");
    let started = Instant::now();
    let output = run(&mut invoke(
        "slow",
        &[
            "--credential",
            &credential,
            "--input",
            r#"{"ms": 5000}"#,
            "--timeout-ms",
            "300",
        ],
    ));
    let elapsed = started.elapsed();
    assert_error(&output, &["time limit of 300 ms exceeded"]);
    assert!(
        elapsed < Duration::from_millis(3500),
        "the call took {elapsed:?}; the limit was 300 ms and /slow sleeps 5 s"
    );
}

#[test]
fn invoke_of_an_unknown_action_is_a_clear_error() {
    let credential = format!("api_key={API_KEY}");
    let output = run(&mut invoke(
        "no_such_action",
        &["--credential", &credential],
    ));
    assert_error(
        &output,
        &["unknown action `no_such_action`", "plugboard inspect"],
    );
}

#[test]
fn invoke_rejects_malformed_credentials_without_echoing_them() {
    // Someone passing the secret alone, forgetting `api_key=`.
    let output = run(&mut invoke(
        "slow",
        &["--credential", API_KEY, "--input", r#"{"ms": 1}"#],
    ));
    let err = assert_error(&output, &["--credential takes NAME=VALUE", "no `=`"]);
    assert!(
        !err.contains(API_KEY),
        "stderr shows the credential:\n{err}"
    );

    let output = run(&mut invoke(
        "slow",
        &["--credential", &format!("={API_KEY}")],
    ));
    let err = assert_error(&output, &["--credential takes NAME=VALUE", "empty NAME"]);
    assert!(
        !err.contains(API_KEY),
        "stderr shows the credential:\n{err}"
    );

    let output = run(&mut invoke("slow", &["--config", "novalue"]));
    assert_error(&output, &["--config takes NAME=VALUE"]);
}

#[test]
fn invoke_reports_invalid_input_for_the_action() {
    let credential = format!("api_key={API_KEY}");
    let output = run(&mut invoke("slow", &["--credential", &credential]));
    assert_error(&output, &["invalid input", "ms"]);
    let output = run(&mut invoke(
        "slow",
        &[
            "--credential",
            &credential,
            "--input",
            r#"{"ms": 1, "extra": true}"#,
        ],
    ));
    assert_error(&output, &["invalid input", "extra"]);
}

// ---------------------------------------------------------------------------------------------
// version, completions, man page
// ---------------------------------------------------------------------------------------------

#[test]
fn version_names_the_commit_the_contract_and_wasmtime() {
    let output = run(plugboard().arg("--version"));
    assert_success(&output);
    let text = stdout(&output);
    assert!(text.starts_with("plugboard 0."), "{text}");
    assert!(text.contains("commit "), "{text}");
    assert!(
        !text.contains("commit unknown"),
        "built from a checkout: {text}"
    );
    assert!(text.contains("contract plugboard:integration@0."), "{text}");
    assert!(text.contains("wasmtime 48."), "{text}");
}

#[test]
fn completions_and_the_man_page_come_from_the_commands() {
    for (shell, marker) in [
        ("bash", "_plugboard()"),
        ("zsh", "#compdef plugboard"),
        ("fish", "complete -c plugboard"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let output = run(plugboard().args(["completions", shell]));
        assert_success(&output);
        let script = stdout(&output);
        assert!(script.contains(marker), "{shell}: no `{marker}`");
        assert!(script.contains("invoke"), "{shell}: no subcommands");
    }
    let output = run(plugboard().args(["completions", "tcsh"]));
    assert_eq!(output.status.code(), Some(2), "a usage error");
    assert!(stderr(&output).contains("possible values: bash"));
    let output = run(plugboard().arg("man"));
    assert_success(&output);
    let page = stdout(&output);
    assert!(
        page.starts_with(".ie") || page.contains(".TH plugboard"),
        "{page}"
    );
    assert!(
        page.contains("completions"),
        "the man page lists the commands"
    );
}

#[test]
fn global_flags_are_listed_once_at_the_root_and_accepted_after_a_subcommand() {
    let root = stdout(&run(plugboard().arg("--help")));
    for flag in ["--cache-dir <", "--token-store <", "--allow-network <"] {
        assert!(
            root.contains(flag),
            "`plugboard --help` lists {flag}:\n{root}"
        );
    }
    for command in [
        &["invoke", "--help"][..],
        &["definition", "validate", "--help"],
        &["actions", "list", "--help"],
    ] {
        let help = stdout(&run(plugboard().args(command)));
        for flag in ["--cache-dir <", "--token-store <", "--allow-network <"] {
            assert!(!help.contains(flag), "{command:?} repeats {flag}:\n{help}");
        }
        assert!(
            help.contains("plugboard --help"),
            "{command:?} points to them:\n{help}"
        );
    }
    // Still accepted after the subcommand, on the command line and from the environment.
    let dir = temp_dir();
    let (after, from_env) = (dir.path().join("after"), dir.path().join("env"));
    let output = run(plugboard()
        .arg("invoke")
        .arg(&shared().wasm)
        .args(["list_items", "--dry-run", "--cache-dir"])
        .arg(&after));
    assert_success(&output);
    let output = run(plugboard()
        .env("PLUGBOARD_CACHE_DIR", &from_env)
        .arg("invoke")
        .arg(&shared().wasm)
        .args(["list_items", "--dry-run"]));
    assert_success(&output);
    for cache in [&after, &from_env] {
        let entries = std::fs::read_dir(cache).map_or(0, Iterator::count);
        assert!(
            entries > 0,
            "the component was cached in {}",
            cache.display()
        );
    }
}
