//! `plugboard serve` as operators run it (the real binary): JSON access logs with route
//! templates and request ids and no secret anywhere in them, `/metrics` behind a token,
//! readiness, a graceful stop on SIGTERM that lets the call in flight finish, per-token rate
//! limits, and settings from the environment and a TOML file.

mod common;

use std::time::Duration;

use plugboard_tests::api::{AuthCheck, TestApi};
use plugboard_tests::oauth::{TokenEndpoint, TokenEndpointConfig};
use serde_json::{Value, json};

async fn call(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    method: &str,
    path: &str,
    body: Value,
) -> (u16, Value) {
    let response = http
        .request(method.parse().expect("method"), format!("{base}{path}"))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn admin_token(lines: &[String]) -> String {
    lines
        .iter()
        .find(|line| line.starts_with("pbt_"))
        .expect("the admin token")
        .clone()
}

async fn root(http: &reqwest::Client, base: &str, token: &str) -> String {
    let (_, me) = call(http, base, token, "GET", "/v1/me", json!({})).await;
    me["user"]["organization_id"]
        .as_str()
        .expect("org")
        .to_string()
}

/// Makes, finalizes and installs an integration; returns the installation id.
async fn installed(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    definition: Value,
    credentials: Value,
) -> String {
    let org = root(http, base, token).await;
    let (status, created) = call(
        http,
        base,
        token,
        "POST",
        &format!("/v1/organizations/{org}/integrations"),
        definition,
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().expect("id");
    let (status, finalized) = call(
        http,
        base,
        token,
        "POST",
        &format!("/v1/integrations/{id}/finalize"),
        json!({}),
    )
    .await;
    assert_eq!(status, 201, "{finalized}");
    let (status, installation) = call(
        http,
        base,
        token,
        "POST",
        &format!("/v1/organizations/{org}/installations"),
        json!({"integration_id": id, "credentials": credentials}),
    )
    .await;
    assert_eq!(status, 201, "{installation}");
    installation["id"].as_str().expect("id").to_string()
}

fn sigterm(server: &common::Server) {
    let status = std::process::Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
}

#[tokio::test(flavor = "multi_thread")]
async fn access_logs_carry_routes_and_request_ids_and_no_secret() {
    let api_key = "k-secret-7f3a9c1e55";
    let upstream = TestApi::start(AuthCheck::header("X-Api-Key", api_key))
        .await
        .expect("upstream");
    let endpoint = TokenEndpoint::start(TokenEndpointConfig::default());
    let machines = TestApi::start(AuthCheck::bearer(endpoint.validator()))
        .await
        .expect("upstream");
    plugboard_runtime::install_crypto_provider();
    let data = tempfile::tempdir().expect("data dir");
    let metrics_token = "metrics-token-0123456789";
    let mut server = common::start_serve_with(
        data.path(),
        &[
            "--allow-network",
            "127.0.0.0/8",
            "--log-format",
            "json",
            "--metrics",
            "token",
            "--metrics-token",
            metrics_token,
        ],
    );
    let started = server.wait_serving();
    let admin = admin_token(&started);
    let base = server.base.clone();
    let http = reqwest::Client::new();

    let keyed = installed(
        &http,
        &base,
        &admin,
        json!({"definition_version": 1, "name": "Keyed", "description": "API key",
            "hostname": upstream.host(), "scheme": "http",
            "auth": {"type": "api_key", "api_key_header_name": "X-Api-Key"},
            "actions": [{"id": "get", "name": "Get", "method": "GET", "path": "/page/items"},
                {"id": "broken", "name": "Broken", "method": "GET", "path": "/status/503"}]}),
        json!({"api_key": api_key}),
    )
    .await;
    let oauth = installed(
        &http,
        &base,
        &admin,
        json!({"definition_version": 1, "name": "Machines", "description": "OAuth",
            "hostname": machines.host(), "scheme": "http",
            "auth": {"type": "oauth2", "grant_type": "client_credentials",
                "access_token_url": endpoint.token_url()},
            "actions": [{"id": "get", "name": "Get", "method": "GET", "path": "/page/items"}]}),
        json!({"client_id": "client-1", "client_secret": "secret-1"}),
    )
    .await;
    for installation in [&keyed, &oauth] {
        let (status, result) = call(
            &http,
            &base,
            &admin,
            "POST",
            &format!("/v1/installations/{installation}/actions/get/invoke"),
            json!({}),
        )
        .await;
        assert_eq!(status, 200, "{result}");
    }
    let (status, failed) = call(
        &http,
        &base,
        &admin,
        "POST",
        &format!("/v1/installations/{keyed}/actions/broken/invoke"),
        json!({}),
    )
    .await;
    assert_eq!(status, 502, "{failed}");
    let (status, made) = call(
        &http,
        &base,
        &admin,
        "POST",
        "/v1/users/me/tokens",
        json!({"name": "ci"}),
    )
    .await;
    assert_eq!(status, 201);
    let user_token = made["token"].as_str().expect("token").to_string();
    assert_eq!(
        call(&http, &base, &user_token, "GET", "/v1/me", json!({}))
            .await
            .0,
        200
    );

    // Request ids: a sane one is kept and returned, another is replaced.
    let response = http
        .get(format!("{base}/healthz"))
        .header("x-request-id", "req-42")
        .send()
        .await
        .expect("healthz");
    assert_eq!(response.headers()["x-request-id"], "req-42");
    let response = http
        .get(format!("{base}/healthz"))
        .header("x-request-id", "bad id\twith tab")
        .send()
        .await
        .expect("healthz");
    let made_here = response.headers()["x-request-id"].to_str().expect("id");
    assert!(
        made_here.len() >= 32 && !made_here.contains(' '),
        "{made_here}"
    );

    // Readiness, and metrics behind their token.
    let ready = http
        .get(format!("{base}/readyz"))
        .send()
        .await
        .expect("readyz");
    assert_eq!(ready.status().as_u16(), 200);
    let refused = http
        .get(format!("{base}/metrics"))
        .send()
        .await
        .expect("metrics");
    assert_eq!(refused.status().as_u16(), 401);
    let metrics = http
        .get(format!("{base}/metrics"))
        .bearer_auth(metrics_token)
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    for expected in [
        "plugboard_calls_total{",
        "outcome=\"ok\"",
        "plugboard_call_duration_seconds_bucket",
        "plugboard_upstream_requests_total{status=\"2xx\"}",
        "plugboard_token_requests_total{grant=\"client_credentials\",outcome=\"ok\"}",
        "plugboard_instances_in_use",
        "plugboard_bundle_cache_total",
        "plugboard_db_connections",
        "plugboard_spec_jobs_in_flight",
        "plugboard_upstream_requests_per_call_bucket",
    ] {
        assert!(metrics.contains(expected), "no {expected} in:\n{metrics}");
    }

    sigterm(&server);
    let status = server.child.wait().expect("wait");
    assert!(status.success(), "{status}");
    let lines = server.rest_of_stderr();
    let logs: Vec<Value> = lines
        .iter()
        .map(|line| {
            serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("not a JSON log line ({e}): {line}"))
        })
        .collect();
    let access: Vec<&Value> = logs.iter().filter(|l| l["message"] == "request").collect();
    let invoke = access
        .iter()
        .find(|l| l["span"]["route"] == "/v1/installations/{id}/actions/{action}/invoke")
        .expect("an access log line of invoke, by its route template");
    assert_eq!(invoke["status"], 200);
    assert!(invoke["latency_ms"].is_number());
    assert!(
        invoke["span"]["request_id"]
            .as_str()
            .is_some_and(|id| !id.is_empty())
    );
    assert!(invoke["span"]["organization"].is_string());
    assert!(
        invoke["span"]["token"]
            .as_str()
            .is_some_and(|t| t.starts_with("tok_"))
    );
    assert!(access.iter().any(|l| l["span"]["request_id"] == "req-42"));
    assert!(
        lines.iter().all(|l| !l.contains('\u{1b}')),
        "no colour codes"
    );
    // A 5xx is logged at error level with its cause, in its request's span.
    let cause = logs
        .iter()
        .find(|l| l["message"] == "answered with an error")
        .expect("the 502's cause");
    assert_eq!(cause["level"], "ERROR");
    assert_eq!(cause["status"], 502);
    assert!(
        cause["detail"].as_str().is_some_and(|d| d.contains("503")),
        "{cause}"
    );
    assert_eq!(
        cause["span"]["route"],
        "/v1/installations/{id}/actions/{action}/invoke"
    );

    // No secret in any log line (the admin token is shown once, at bootstrap, before the logs).
    let mut secrets = vec![
        api_key.to_string(),
        "secret-1".to_string(),
        user_token.clone(),
        admin.clone(),
        metrics_token.to_string(),
    ];
    secrets.extend(endpoint.access_tokens());
    for line in &lines {
        for secret in &secrets {
            assert!(
                !line.contains(secret.as_str()),
                "a secret in the log: {line}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_lets_the_call_in_flight_finish_then_exits_0() {
    let upstream = TestApi::start(AuthCheck::None).await.expect("upstream");
    plugboard_runtime::install_crypto_provider();
    let data = tempfile::tempdir().expect("data dir");
    let mut server = common::start_serve(data.path());
    let admin = admin_token(&server.wait_serving());
    let base = server.base.clone();
    let http = reqwest::Client::new();
    let installation = installed(
        &http,
        &base,
        &admin,
        json!({"definition_version": 1, "name": "Slow", "description": "Slow",
            "hostname": upstream.host(), "scheme": "http",
            "actions": [{"id": "slow", "name": "Slow", "method": "GET", "path": "/slow",
                "parameters": [{"name": "ms", "in": "query", "schema": {"type": "integer"}}]}]}),
        json!({}),
    )
    .await;
    let in_flight = {
        let (http, base, admin) = (http.clone(), base.clone(), admin.clone());
        tokio::spawn(async move {
            call(
                &http,
                &base,
                &admin,
                "POST",
                &format!("/v1/installations/{installation}/actions/slow/invoke"),
                json!({"input": {"ms": 1500}}),
            )
            .await
        })
    };
    tokio::time::sleep(Duration::from_millis(400)).await;
    sigterm(&server);
    let (status, result) = in_flight.await.expect("the call");
    assert_eq!(status, 200, "the call in flight finished: {result}");
    assert_eq!(result["output"]["slept"], 1500);
    let exit = server.child.wait().expect("wait");
    assert!(exit.success(), "{exit}");
    // Stopped: nothing listens any more.
    assert!(http.get(format!("{base}/healthz")).send().await.is_err());
}

#[tokio::test(flavor = "multi_thread")]
async fn rate_limits_per_token_and_settings_from_a_file_and_the_environment() {
    plugboard_runtime::install_crypto_provider();
    let data = tempfile::tempdir().expect("data dir");
    let config = data.path().join("plugboard.toml");
    std::fs::write(
        &config,
        "rate_limit = 0.5\nrate_limit_burst = 2\nmetrics = \"open\"\n",
    )
    .expect("config");
    let config_arg = config.to_str().expect("path").to_string();
    let mut server = common::start_serve_with(data.path(), &["--config", &config_arg]);
    let admin = admin_token(&server.wait_serving());
    let base = server.base.clone();
    let http = reqwest::Client::new();
    let statuses: Vec<u16> = {
        let mut out = Vec::new();
        for _ in 0..3 {
            out.push(
                call(&http, &base, &admin, "GET", "/v1/me", json!({}))
                    .await
                    .0,
            );
        }
        out
    };
    assert_eq!(statuses, [200, 200, 429]);
    let limited = http
        .get(format!("{base}/v1/me"))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("me");
    assert_eq!(limited.status().as_u16(), 429);
    assert!(limited.headers().contains_key("retry-after"));
    // Another token has its own budget; the file also opened `/metrics`.
    let metrics = http
        .get(format!("{base}/metrics"))
        .send()
        .await
        .expect("metrics");
    assert_eq!(metrics.status().as_u16(), 200);
    assert!(
        metrics
            .text()
            .await
            .expect("text")
            .contains("plugboard_http_rate_limited_total")
    );
    sigterm(&server);
    assert!(server.child.wait().expect("wait").success());

    // An unknown setting in the file is refused, naming the known ones.
    std::fs::write(&config, "listen_port = 1\n").expect("config");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_plugboard"))
        .args(["serve", "--data-dir"])
        .arg(data.path())
        .args(["--config", &config_arg])
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        err.contains("unknown setting `listen_port`") && err.contains("max_instances"),
        "{err}"
    );

    // Every serve flag has its environment variable, listed by `serve --help`; the global
    // ones (such as --allow-network) by `plugboard --help`.
    let help_of = |args: &[&str]| {
        let help = std::process::Command::new(env!("CARGO_BIN_EXE_plugboard"))
            .args(args)
            .output()
            .expect("help");
        String::from_utf8_lossy(&help.stdout).into_owned()
    };
    let root_help = help_of(&["--help"]);
    for env in ["PLUGBOARD_ALLOW_NETWORK", "PLUGBOARD_CACHE_DIR"] {
        assert!(root_help.contains(env), "{env} not in plugboard --help");
    }
    let help = help_of(&["serve", "--help"]);
    for env in [
        "PLUGBOARD_LISTEN",
        "PLUGBOARD_MAX_INSTANCES",
        "PLUGBOARD_METRICS",
        "PLUGBOARD_SHUTDOWN_TIMEOUT",
        "PLUGBOARD_RATE_LIMIT",
        "PLUGBOARD_LOG_FORMAT",
        "PLUGBOARD_PUBLIC_URL",
        "PLUGBOARD_CONFIG",
    ] {
        assert!(help.contains(env), "{env} not in serve --help");
    }
}
