//! `--format json` end to end: `import`, `clean`, `build`, `definition validate`, `inspect` and
//! the errors of `invoke` print one JSON object on stdout that a script can read, and `human`
//! (the default) prints what it always did.

mod common;

use common::{command as plugboard, output as run, stderr};

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;

use plugboard_tests::api::{AuthCheck, TestApi};
use serde_json::{Value, json};

/// The API key the test API accepts.
const API_KEY: &str = "json-output-key-41c7";

/// Stdout as JSON, or a panic showing both streams.
fn json_stdout(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            stderr(output)
        )
    })
}

fn arg(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

fn temp_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("plugboard-json-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .expect("temp dir")
}

fn fixture(path: &str) -> String {
    format!(
        "{}/../openapi/tests/fixtures/{path}",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// Hex SHA-256 of a file.
fn sha256_file(path: &Path) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(std::fs::read(path).expect("read")))
}

// ---------------------------------------------------------------------------------------------
// import
// ---------------------------------------------------------------------------------------------

#[test]
fn import_json_reports_the_summary_of_the_definition_it_wrote() {
    let dir = temp_dir();
    let out = dir.path().join("def.json");
    let output = run(&[
        "import",
        &fixture("import/petstore.yaml"),
        "-o",
        arg(&out),
        "--format",
        "json",
        "--hostname",
        "pets.example.com",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        !stderr(&output).contains("imported"),
        "the human summary went to stderr too:\n{}",
        stderr(&output)
    );
    let report = json_stdout(&output);
    let definition: Value =
        serde_json::from_str(&std::fs::read_to_string(&out).expect("read")).expect("json");
    let actions = definition["actions"].as_array().expect("actions");
    assert_eq!(report["output"], arg(&out));
    assert_eq!(report["actions"], actions.len());
    assert_eq!(report["actions"], 6);
    let paginated: Vec<&str> = actions
        .iter()
        .filter(|a| a["paginated"] == true)
        .filter_map(|a| a["id"].as_str())
        .collect();
    assert_eq!(report["paginated"], json!(paginated), "{report:#}");
    assert!(
        report["auth"]
            .as_str()
            .is_some_and(|a| a.starts_with("api_key")),
        "{report:#}"
    );
    assert!(
        report["pagination"]
            .as_str()
            .is_some_and(|p| p.starts_with("index")),
        "{report:#}"
    );
    let notes = report["notes"].as_array().expect("notes");
    assert!(
        notes.iter().any(|n| n
            .as_str()
            .is_some_and(|n| n.contains("became id `create_pet`"))),
        "{report:#}"
    );
    assert_eq!(report["filtered_out"], 0);
    assert_eq!(report["converted_from_swagger2"], false);
}

#[test]
fn import_json_counts_what_the_filters_cut_and_a_swagger_conversion() {
    let dir = temp_dir();
    let out = dir.path().join("def.json");
    let output = run(&[
        "import",
        &fixture("convert/petstore.swagger.json"),
        "-o",
        arg(&out),
        "--format",
        "json",
        "--exclude-paths",
        "/pets/*",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        !stderr(&output).contains("converted from Swagger 2.0"),
        "{}",
        stderr(&output)
    );
    let report = json_stdout(&output);
    assert_eq!(report["converted_from_swagger2"], true, "{report:#}");
    assert!(
        report["filtered_out"].as_u64().is_some_and(|n| n > 0),
        "{report:#}"
    );
    let definition: Value =
        serde_json::from_str(&std::fs::read_to_string(&out).expect("read")).expect("json");
    let actions = definition["actions"].as_array().expect("actions");
    assert_eq!(report["actions"], actions.len());
    assert!(!actions.is_empty());
    assert!(
        actions.iter().all(|a| a["path"] == "/pets"),
        "{definition:#}"
    );
}

#[test]
fn import_human_is_the_summary_on_stderr_and_nothing_on_stdout() {
    let dir = temp_dir();
    let out = dir.path().join("def.json");
    let output = run(&["import", &fixture("import/petstore.yaml"), "-o", arg(&out)]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(output.stdout.is_empty());
    let err = stderr(&output);
    assert!(err.starts_with("imported 6 action(s)\nauth: "), "{err}");
    assert!(
        err.ends_with(&format!("wrote {}\n", out.display())),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------------
// clean
// ---------------------------------------------------------------------------------------------

#[test]
fn clean_json_lists_every_change_as_the_human_report_does() {
    let dir = temp_dir();
    let out = dir.path().join("fixed.yaml");
    let spec = fixture("lint/problems.yaml");
    let human = run(&["clean", &spec, "-o", arg(&out)]);
    assert!(human.status.success(), "{}", stderr(&human));
    let human_lines: Vec<String> = stderr(&human).lines().map(str::to_string).collect();

    let output = run(&["clean", &spec, "-o", arg(&out), "--format", "json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stderr(&output).is_empty(), "stderr: {}", stderr(&output));
    let report = json_stdout(&output);
    assert_eq!(report["output"], arg(&out));
    assert_eq!(report["spec_format"], "yaml");
    let changes = report["changes"].as_array().expect("changes");
    // The human report is one line per change, then the count.
    assert_eq!(
        human_lines.last().map(String::as_str),
        Some(format!("{} changes; wrote {}", changes.len(), out.display()).as_str())
    );
    assert_eq!(changes.len() + 1, human_lines.len());
    assert!(
        changes.contains(&json!({
            "rule": "path-keys-no-trailing-slash",
            "pointer": "/paths/~1pets~1",
            "description": "renamed `/pets/` to `/pets`",
        })),
        "{report:#}"
    );
    for change in changes {
        for key in ["rule", "pointer", "description"] {
            assert!(change[key].is_string(), "{change}");
        }
    }
    // `--format` is the report's; `--json` still picks the spec's format.
    let out_json = dir.path().join("fixed.json");
    let output = run(&[
        "clean",
        &spec,
        "-o",
        arg(&out_json),
        "--json",
        "--format",
        "json",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(json_stdout(&output)["spec_format"], "json");
    let written = std::fs::read_to_string(&out_json).expect("read");
    serde_json::from_str::<Value>(&written).expect("the spec is JSON");
}

// ---------------------------------------------------------------------------------------------
// definition validate, build, inspect
// ---------------------------------------------------------------------------------------------

/// A definition with one problem in each of several places.
fn invalid_definition() -> Value {
    json!({
        "definition_version": 1,
        "name": "Bad/Name",
        "description": "",
        "hostname": "https://api.example.com",
        "actions": [
            {"id": "list", "name": "List", "method": "GET", "path": "items"},
            {"id": "list", "name": "Again", "method": "GET", "path": "/again"}
        ]
    })
}

#[test]
fn definition_validate_json_lists_problems_with_their_paths_and_fails() {
    let dir = temp_dir();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, invalid_definition().to_string()).expect("write");
    let output = run(&["definition", "validate", arg(&bad), "--format", "json"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report = json_stdout(&output);
    assert_eq!(report["valid"], false);
    assert_eq!(report["definition"], arg(&bad));
    let problems = report["problems"].as_array().expect("problems");
    let paths: Vec<&str> = problems.iter().filter_map(|p| p["path"].as_str()).collect();
    for path in [
        "$.name",
        "$.description",
        "$.hostname",
        "$.actions[0].path",
        "$.actions[1].id",
    ] {
        assert!(paths.contains(&path), "no problem at {path}: {report:#}");
    }
    assert!(
        problems.iter().all(|p| p["message"].is_string()),
        "{report:#}"
    );

    // Not JSON at all: one problem with its line and column.
    std::fs::write(&bad, "{\"definition_version\": 1,\n  \"name\": }").expect("write");
    let output = run(&["definition", "validate", arg(&bad), "--format", "json"]);
    assert_eq!(output.status.code(), Some(1));
    let report = json_stdout(&output);
    assert_eq!(report["valid"], false);
    assert_eq!(report["problems"][0]["line"], 2, "{report:#}");
    assert!(
        report["problems"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("not valid JSON")),
        "{report:#}"
    );

    let demo = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/demo/definition.json"
    );
    let output = run(&["definition", "validate", demo, "--format", "json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        json_stdout(&output),
        json!({"definition": demo, "valid": true, "problems": []})
    );
}

#[test]
fn build_json_reports_the_component_and_its_hash() {
    let dir = temp_dir();
    let definition = dir.path().join("definition.json");
    std::fs::write(&definition, api_definition("127.0.0.1:9").to_string()).expect("write");
    let out = dir.path().join("bundle.wasm");
    let output = run(&[
        "build",
        arg(&definition),
        "-o",
        arg(&out),
        "--format",
        "json",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stderr(&output).is_empty(), "{}", stderr(&output));
    let report = json_stdout(&output);
    assert_eq!(report["output"], arg(&out));
    assert_eq!(report["source"], "definition");
    assert_eq!(report["name"], "JSON Output");
    assert_eq!(report["actions"], 2);
    assert_eq!(report["hosts"], json!(["127.0.0.1:9"]));
    let bytes = std::fs::metadata(&out).expect("written").len();
    assert_eq!(report["component_bytes"], bytes);
    assert_eq!(report["sha256"], sha256_file(&out));
    assert!(report["table_bytes"].as_u64().is_some_and(|n| n > 0));
    assert!(
        report["manifest_digest"]
            .as_str()
            .is_some_and(|d| d.len() == 64),
        "{report:#}"
    );
    assert!(report["elapsed_ms"].is_number());

    // An invalid definition is an error, as ever, and writes nothing.
    std::fs::write(&definition, invalid_definition().to_string()).expect("write");
    let failed = dir.path().join("failed.wasm");
    let output = run(&[
        "build",
        arg(&definition),
        "-o",
        arg(&failed),
        "--format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("$.name"), "{}", stderr(&output));
    assert!(!failed.exists());
}

#[test]
fn build_json_of_custom_code_reports_its_recorded_manifest() {
    let dir = temp_dir();
    let out = dir.path().join("custom.wasm");
    let output = run(&[
        "build",
        plugboard_tests::components::HOSTILE_WASM,
        "-o",
        arg(&out),
        "--format",
        "json",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let report = json_stdout(&output);
    assert_eq!(report["source"], "custom-code", "{report:#}");
    assert_eq!(report["hosts"], json!(["allowed.invalid"]), "{report:#}");
    assert_eq!(report["table_bytes"], Value::Null);
    assert!(report["actions"].as_u64().is_some_and(|n| n > 0));
    assert_eq!(
        report["component_bytes"],
        std::fs::metadata(&out).expect("written").len()
    );
    assert_eq!(report["sha256"], sha256_file(&out));
}

#[test]
fn inspect_takes_format_json_and_prints_the_same_manifest() {
    let shared = shared();
    let plain = run(&["inspect", arg(&shared.wasm)]);
    assert!(plain.status.success(), "{}", stderr(&plain));
    let json = run(&["inspect", arg(&shared.wasm), "--format", "json"]);
    assert!(json.status.success(), "{}", stderr(&json));
    assert_eq!(plain.stdout, json.stdout);
    assert_eq!(json_stdout(&json)["header"]["name"], "JSON Output");
}

// ---------------------------------------------------------------------------------------------
// invoke errors
// ---------------------------------------------------------------------------------------------

/// A definition for the test API at `host` (API key in `X-Api-Key`).
fn api_definition(host: &str) -> Value {
    json!({
        "definition_version": 1,
        "name": "JSON Output",
        "description": "The loopback test API, for the JSON output tests.",
        "hostname": host,
        "scheme": "http",
        "auth": {"type": "api_key", "api_key_header_name": "X-Api-Key"},
        "actions": [
            {
                "id": "status",
                "name": "Status",
                "description": "Answers with the status `code`.",
                "method": "GET",
                "path": "/status/{code}",
                "parameters": [{"name": "code", "in": "path", "required": true, "schema": {"type": "integer"}}]
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

/// The test API, its component, one for a port nobody listens on, and a compile cache.
struct Shared {
    _api: TestApi,
    wasm: PathBuf,
    unreachable: PathBuf,
    cache: PathBuf,
}

fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("plugboard-json-output");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create the shared test dir");
        let api = TestApi::start_blocking(AuthCheck::header("X-Api-Key", API_KEY))
            .expect("start the test API");
        let closed = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port");
        let build = |name: &str, host: &str| {
            let definition = dir.join(format!("{name}.json"));
            std::fs::write(&definition, api_definition(host).to_string()).expect("write");
            let wasm = dir.join(format!("{name}.wasm"));
            let output = run(&["build", arg(&definition), "-o", arg(&wasm)]);
            assert!(output.status.success(), "{}", stderr(&output));
            wasm
        };
        let wasm = build("api", &api.host());
        let unreachable = build("unreachable", &closed.to_string());
        Shared {
            _api: api,
            wasm,
            unreachable,
            cache: dir.join("cache"),
        }
    })
}

/// `plugboard invoke BUNDLE ACTION ARGS... --format json` with the shared cache.
fn invoke_json(bundle: &Path, action: &str, args: &[&str]) -> Output {
    plugboard()
        .arg("--cache-dir")
        .arg(&shared().cache)
        .arg("invoke")
        .arg(bundle)
        .arg(action)
        .args(args)
        .args(["--format", "json", "--retries", "0"])
        .output()
        .expect("run plugboard")
}

/// The `error` object of a failed `invoke --format json`; the exit code is 1 and stderr
/// still has the human error.
fn invoke_error(output: &Output) -> Value {
    assert_eq!(
        output.status.code(),
        Some(1),
        "expected exit code 1:\nstderr: {}",
        stderr(output)
    );
    assert!(stderr(output).starts_with("error: "), "{}", stderr(output));
    let value = json_stdout(output);
    let object = value.as_object().expect("an object");
    assert_eq!(object.len(), 1, "{value:#}");
    value["error"].clone()
}

#[test]
fn invoke_json_upstream_status_has_the_wit_fields() {
    let shared = shared();
    let credential = format!("api_key={API_KEY}");
    let output = invoke_json(
        &shared.wasm,
        "status",
        &["--credential", &credential, "--input", r#"{"code": 404}"#],
    );
    let error = invoke_error(&output);
    assert_eq!(error["kind"], "upstream-status", "{error:#}");
    assert_eq!(error["status"], 404);
    assert!(
        error["body_excerpt"]
            .as_str()
            .is_some_and(|b| b.contains("status 404 on purpose")),
        "{error:#}"
    );
    assert!(error["message"].is_string(), "{error:#}");
    assert!(error.get("cause").is_none(), "{error:#}");
}

#[test]
fn invoke_json_success_is_the_output_as_ever() {
    let shared = shared();
    let credential = format!("api_key={API_KEY}");
    let args = [
        "--credential",
        credential.as_str(),
        "--input",
        r#"{"ms": 1}"#,
    ];
    let output = invoke_json(&shared.wasm, "slow", &args);
    assert!(output.status.success(), "{}", stderr(&output));
    let human = plugboard()
        .arg("--cache-dir")
        .arg(&shared.cache)
        .arg("invoke")
        .arg(&shared.wasm)
        .arg("slow")
        .args(args)
        .output()
        .expect("run plugboard");
    assert!(human.status.success(), "{}", stderr(&human));
    assert_eq!(json_stdout(&output), json_stdout(&human));
}

#[test]
fn invoke_json_unreachable_upstream_is_a_transport_error() {
    let shared = shared();
    let credential = format!("api_key={API_KEY}");
    let output = invoke_json(
        &shared.unreachable,
        "status",
        &["--credential", &credential, "--input", r#"{"code": 200}"#],
    );
    let error = invoke_error(&output);
    assert_eq!(error["kind"], "transport", "{error:#}");
    assert!(
        error["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{error:#}"
    );
}

#[test]
fn invoke_json_host_errors_name_their_cause_and_fields() {
    let shared = shared();
    // No credential: refused before anything is sent, with the flag that supplies it.
    let output = invoke_json(&shared.wasm, "status", &["--input", r#"{"code": 200}"#]);
    let error = invoke_error(&output);
    assert_eq!(error["kind"], "denied", "{error:#}");
    assert_eq!(error["cause"], "missing-credentials");
    assert_eq!(error["credentials"], json!(["api_key"]));
    assert!(
        error["hint"]
            .as_str()
            .is_some_and(|h| h.contains("--credential api_key=VALUE")),
        "{error:#}"
    );

    let credential = format!("api_key={API_KEY}");
    let output = invoke_json(
        &shared.wasm,
        "slow",
        &[
            "--credential",
            &credential,
            "--input",
            r#"{"ms": 5000}"#,
            "--timeout-ms",
            "300",
        ],
    );
    let error = invoke_error(&output);
    assert_eq!(error["kind"], "limit-exceeded", "{error:#}");
    assert_eq!(error["cause"], "timeout");
    assert_eq!(error["timeout_ms"], 300);

    let output = invoke_json(
        &shared.wasm,
        "no_such_action",
        &["--credential", &credential],
    );
    let error = invoke_error(&output);
    assert_eq!(error["kind"], "invalid-input", "{error:#}");
    assert_eq!(error["cause"], "unknown-action");
    assert_eq!(error["action"], "no_such_action");
    assert_eq!(error["available"], 2);

    // The action's input does not fit: the component's own invalid-input.
    let output = invoke_json(&shared.wasm, "slow", &["--credential", &credential]);
    let error = invoke_error(&output);
    assert_eq!(error["kind"], "invalid-input", "{error:#}");
    assert!(
        error["message"].as_str().is_some_and(|m| m.contains("ms")),
        "{error:#}"
    );
}

#[test]
fn invoke_json_errors_before_the_call_are_usage() {
    let shared = shared();
    let output = invoke_json(&shared.wasm, "slow", &["--input", "{ms: 1"]);
    let error = invoke_error(&output);
    assert_eq!(
        error,
        json!({"kind": "usage", "message": "--input is not valid JSON: key must be a string at line 1 column 2"})
    );
    let dir = temp_dir();
    let not_a_component = dir.path().join("x.wasm");
    std::fs::write(&not_a_component, "{}").expect("write");
    let output = invoke_json(&not_a_component, "slow", &[]);
    let error = invoke_error(&output);
    assert_eq!(error["kind"], "usage", "{error:#}");
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("is not a WebAssembly component")),
        "{error:#}"
    );
}

/// A bundle that cannot be loaded is a failure before the call (`usage`), and the JSON
/// message is the whole error stderr shows, naming the file.
#[test]
fn invoke_json_of_a_bundle_that_does_not_load_is_usage_naming_the_file() {
    let shared = shared();
    let dir = temp_dir();
    let truncated = dir.path().join("truncated.wasm");
    let bytes = std::fs::read(&shared.wasm).expect("read the component");
    std::fs::write(&truncated, &bytes[..bytes.len().min(5000)]).expect("write");
    let output = invoke_json(&truncated, "status", &[]);
    let error = invoke_error(&output);
    assert_eq!(error["kind"], "usage", "{error:#}");
    let message = error["message"].as_str().expect("a message");
    assert!(message.starts_with("cannot load "), "{error:#}");
    assert!(message.contains("truncated.wasm"), "{error:#}");
    assert_eq!(
        format!("error: {message}\n"),
        stderr(&output),
        "the JSON message is the human one"
    );
}
