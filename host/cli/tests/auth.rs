//! `plugboard auth login|status|logout` and `invoke` with OAuth 2.0, end to end: a definition
//! made with the OAuth flags, a built component, the consent driven like a browser, the
//! loopback redirect, the encrypted token store, and an API that checks the bearer token.

mod common;

use common::{path, plugboard};

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};

use plugboard_tests::api::{AuthCheck, TestApi};
use plugboard_tests::oauth::{TokenEndpoint, TokenEndpointConfig};

#[tokio::test(flavor = "multi_thread")]
async fn login_then_invoke_with_the_stored_tokens() {
    plugboard_runtime::install_crypto_provider();
    let endpoint = TokenEndpoint::start(TokenEndpointConfig::default());
    let api = TestApi::start(AuthCheck::bearer(endpoint.validator()))
        .await
        .expect("api");
    let dir = tempfile::tempdir().expect("temp dir");
    let def = dir.path().join("def.json");
    let wasm = dir.path().join("api.wasm");
    let store = dir.path().join("tokens.json");
    let authorize_url = endpoint.authorize_url();
    let token_url = endpoint.token_url();
    let host = api.host();
    let new = |extra: &[&str]| {
        let mut args = vec![
            "definition",
            "new",
            "--force",
            "-o",
            path(&def),
            "--name",
            "Items",
            "--description",
            "Items behind OAuth",
            "--hostname",
            &host,
            "--scheme",
            "http",
            "--auth",
            "oauth2",
            "--oauth-grant-type",
            "authorization-code",
            "--authorization-code-url",
            &authorize_url,
            "--access-token-url",
            &token_url,
            "--scope",
            "items",
            "--authorization-param",
            "prompt=consent",
            "--token-request-header",
            "X-Tenant: t1",
        ];
        args.extend_from_slice(extra);
        plugboard(&args)
    };
    let (ok, _, err) = new(&["--refresh-buffer-seconds", "5"]);
    assert!(!ok && err.contains("30..=3600"), "{err}");
    let (ok, _, err) = new(&["--refresh-buffer-seconds", "60"]);
    assert!(ok, "{err}");
    let (ok, _, err) = plugboard(&[
        "actions",
        "add",
        path(&def),
        "--method",
        "GET",
        "--path",
        "/page/items",
        "--id",
        "get",
    ]);
    assert!(ok, "{err}");
    let (ok, _, err) = plugboard(&["build", path(&def), "-o", path(&wasm)]);
    assert!(ok, "{err}");

    let credential = ["--credential", "client_id=client-1"];
    let secret = ["--credential", "client_secret=secret-1"];
    let store_flag = ["--token-store", path(&store)];
    // Invoking before any login says what to do.
    let (ok, _, err) = plugboard(
        &[
            &["invoke", path(&wasm), "get"][..],
            &credential,
            &secret,
            &store_flag,
        ]
        .concat(),
    );
    assert!(!ok && err.contains("plugboard auth login"), "{err}");

    let mut login = Command::new(env!("CARGO_BIN_EXE_plugboard"))
        .args(
            [
                &["auth", "login", path(&wasm), "--redirect-port", "0"][..],
                &credential,
                &secret,
                &store_flag,
            ]
            .concat(),
        )
        .env_remove("PLUGBOARD_TOKEN_KEY")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start login");
    let stdout = login.stdout.take().expect("stdout");
    let consent_url = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("consent URL");
        line.trim().to_string()
    })
    .await
    .expect("reader");
    assert!(consent_url.starts_with(&authorize_url), "{consent_url}");
    // The "browser": the server approves at once and redirects to the CLI's listener.
    let page = reqwest::get(&consent_url).await.expect("consent");
    assert!(page.status().is_success(), "{}", page.status());
    let body = page.text().await.expect("page");
    assert!(body.contains("you can close this tab"), "{body}");
    let output = tokio::task::spawn_blocking(move || login.wait_with_output())
        .await
        .expect("waiter")
        .expect("login");
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{err}");
    assert!(err.contains("refresh token stored"), "{err}");
    let consent = &endpoint.authorize_requests()[0];
    assert_eq!(consent.param("prompt"), Some("consent"));
    assert_eq!(consent.param("code_challenge_method"), Some("S256"));
    let exchange = &endpoint.requests()[0];
    assert_eq!(exchange.grant_type.as_deref(), Some("authorization_code"));
    assert!(exchange.param("code_verifier").is_some());
    assert_eq!(
        exchange.headers.get("x-tenant").map(String::as_str),
        Some("t1")
    );

    // Status shows what is stored, never a token.
    let (ok, out, err) = plugboard(
        &[
            &["auth", "status", path(&wasm)][..],
            &credential,
            &store_flag,
        ]
        .concat(),
    );
    assert!(ok, "{err}");
    let status: serde_json::Value = serde_json::from_str(&out).expect("status JSON");
    assert_eq!(status["authorized"], true);
    assert_eq!(status["has_refresh_token"], true);
    let stored = std::fs::read_to_string(&store).expect("store");
    for token in endpoint
        .access_tokens()
        .iter()
        .chain(&endpoint.refresh_tokens())
    {
        assert!(!out.contains(token.as_str()) && !stored.contains(token.as_str()));
    }

    // Invoke in another process: the stored access token, no new token request.
    let (ok, out, err) = plugboard(
        &[
            &["invoke", path(&wasm), "get"][..],
            &credential,
            &secret,
            &store_flag,
        ]
        .concat(),
    );
    assert!(ok, "{err}");
    let output: serde_json::Value = serde_json::from_str(&out).expect("output JSON");
    assert_eq!(output["items"].as_array().map(Vec::len), Some(10));
    assert_eq!(endpoint.requests().len(), 1);

    // After expiry at the API: the stored refresh token gets a new access token.
    endpoint.expire_all();
    let (ok, _, err) = plugboard(
        &[
            &["invoke", path(&wasm), "get"][..],
            &credential,
            &secret,
            &store_flag,
        ]
        .concat(),
    );
    assert!(ok, "{err}");
    assert_eq!(endpoint.count("refresh_token"), 1);

    let (ok, _, err) = plugboard(
        &[
            &["auth", "logout", path(&wasm)][..],
            &credential,
            &store_flag,
        ]
        .concat(),
    );
    assert!(ok, "{err}");
    let (_, out, _) = plugboard(
        &[
            &["auth", "status", path(&wasm)][..],
            &credential,
            &store_flag,
        ]
        .concat(),
    );
    assert!(out.contains("\"authorized\": false"), "{out}");
}
