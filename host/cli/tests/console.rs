//! The web console, end to end in headless Chromium: `plugboard serve` (the real binary, the
//! embedded store) serves it, a loopback API answers the integration built in it, and
//! the scripts in tests/console/ drive the browser with playwright-core and check accessibility
//! with axe-core. Needs Debian's `chromium` and the npm packages `playwright-core` and
//! `axe-core` (installed by `.ci/run`; `PLUGBOARD_CHROMIUM` and `PLUGBOARD_NPM_PREFIX` point
//! elsewhere).

mod common;

use std::path::PathBuf;
use std::process::Command;

use plugboard_tests::api::{AuthCheck, BearerCheck, TestApi};
use plugboard_tests::oauth::OAuthMockServer;

/// Chromium and the npm prefix holding playwright-core.
fn browser() -> (String, String) {
    let chromium =
        std::env::var("PLUGBOARD_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let home = std::env::var("HOME").unwrap_or_default();
    let npm_prefix = std::env::var("PLUGBOARD_NPM_PREFIX")
        .unwrap_or_else(|_| format!("{home}/.cache/plugboard/npm"));
    assert!(
        std::path::Path::new(&chromium).is_file(),
        "no Chromium at {chromium}: `apt-get install chromium` (as .ci/run does) or set PLUGBOARD_CHROMIUM"
    );
    for package in ["playwright-core", "axe-core"] {
        assert!(
            PathBuf::from(&npm_prefix)
                .join("node_modules")
                .join(package)
                .is_dir(),
            "no {package} in {npm_prefix}: `npm install --prefix {npm_prefix} playwright-core@1 axe-core@4` (as .ci/run does)"
        );
    }
    (chromium, npm_prefix)
}

#[test]
fn the_console_builds_publishes_installs_and_invokes() {
    let (chromium, npm_prefix) = browser();
    let upstream =
        TestApi::start_blocking(AuthCheck::header("X-Api-Key", "demo-key")).expect("api");
    let data = tempfile::tempdir().expect("data dir");
    let mut server = common::start_serve(data.path());
    let token = server
        .wait_serving()
        .into_iter()
        .find(|line| line.starts_with("pbt_"));
    let screenshots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("console-screenshots");
    let _ = std::fs::remove_dir_all(&screenshots);
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/console/e2e.mjs");
    let output = Command::new("node")
        .arg(&script)
        .env("BASE", &server.base)
        .env("TOKEN", token.expect("the admin token"))
        .env("UPSTREAM", upstream.host())
        .env(
            "PETSTORE",
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/petstore/petstore.yaml"),
        )
        .env("SCREENSHOTS", &screenshots)
        .env("NPM_PREFIX", &npm_prefix)
        .env("CHROMIUM", &chromium)
        .output()
        .expect("run node");
    let _ = server.child.kill();
    let _ = server.child.wait();
    assert!(
        output.status.success(),
        "{}{}\n(screenshots in {})",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
        screenshots.display()
    );
    assert!(
        std::fs::read_dir(&screenshots)
            .map(|d| d.count())
            .unwrap_or(0)
            >= 10
    );
}

/// OAuth 2.0 consent in the browser: `plugboard serve --public-url`, oauth2-mock-server (the
/// npm package) as the provider, and an API that accepts only its JWTs. The console's Connect
/// sends the browser to the provider, which redirects to the platform's callback; the tokens
/// are used by a call from the console; once the API refuses them (expired), the next call
/// from the console gets a refreshed token; and consent again works the same way.
#[test]
fn the_console_connects_an_oauth_installation_in_the_browser() {
    let (chromium, npm_prefix) = browser();
    let provider = OAuthMockServer::start();
    let verifier = provider.verifier_blocking();
    let check = BearerCheck::new(verifier.clone());
    let upstream = TestApi::start_blocking(AuthCheck::Bearer(check.clone())).expect("api");
    let data = tempfile::tempdir().expect("data dir");
    let port = common::free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = common::start_serve_at(
        port,
        data.path(),
        &["--allow-network", "127.0.0.0/8", "--public-url", &base],
    );
    let token = server
        .wait_serving()
        .into_iter()
        .find(|line| line.starts_with("pbt_"))
        .expect("the admin token");
    let screenshots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("console-oauth-screenshots");
    let _ = std::fs::remove_dir_all(&screenshots);
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/console/oauth.mjs");
    let phase = |name: &str, installation: &str| {
        let output = Command::new("node")
            .arg(&script)
            .env("PHASE", name)
            .env("INSTALLATION", installation)
            .env("BASE", &server.base)
            .env("TOKEN", &token)
            .env("UPSTREAM", upstream.host())
            .env("AUTHORIZE_URL", provider.authorize_url())
            .env("TOKEN_URL", provider.token_url())
            .env("SCREENSHOTS", &screenshots)
            .env("NPM_PREFIX", &npm_prefix)
            .env("CHROMIUM", &chromium)
            .output()
            .expect("run node");
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(
            output.status.success(),
            "{name}: {stdout}{}\n(screenshots in {}; provider: {})",
            String::from_utf8_lossy(&output.stderr),
            screenshots.display(),
            provider.stderr_text()
        );
        stdout
    };
    let stdout = phase("consent", "");
    let installation = stdout
        .lines()
        .find_map(|line| line.strip_prefix("installation="))
        .expect("the installation id")
        .to_string();
    let first = check.accepted_tokens();
    assert!(!first.is_empty(), "the call used a token");
    verifier.expire_seen();
    phase("refresh", &installation);
    let _ = server.child.kill();
    let _ = server.child.wait();
    // The API refused every token of the first phase: what it accepted since is refreshed or
    // consented again, never the old one.
    let after = check.accepted_tokens();
    assert!(
        after.len() >= first.len() + 2,
        "{} calls accepted",
        after.len()
    );
    assert!(
        after[first.len()..].iter().all(|t| !first.contains(t)),
        "an expired token was accepted"
    );
}

/// Runs a console script (tests/console/NAME.mjs) against a fresh `plugboard serve` with the
/// admin token, plus `env`; panics with its output when it fails.
fn run_console_script(name: &str, args: &[&str], env: &[(&str, String)]) {
    let (chromium, npm_prefix) = browser();
    let data = tempfile::tempdir().expect("data dir");
    let mut server = common::start_serve_with(data.path(), args);
    let token = server
        .wait_serving()
        .into_iter()
        .find(|line| line.starts_with("pbt_"))
        .expect("the admin token");
    let screenshots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("console-{name}"));
    let _ = std::fs::remove_dir_all(&screenshots);
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/console")
        .join(format!("{name}.mjs"));
    let output = Command::new("node")
        .arg(&script)
        .env("BASE", &server.base)
        .env("TOKEN", &token)
        .env("SCREENSHOTS", &screenshots)
        .env("NPM_PREFIX", &npm_prefix)
        .env("CHROMIUM", &chromium)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .expect("run node");
    let _ = server.child.kill();
    let _ = server.child.wait();
    assert!(
        output.status.success(),
        "{}{}\n(screenshots in {})",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
        screenshots.display()
    );
    print!("{}", String::from_utf8_lossy(&output.stdout));
}

/// The operator views: organizations (create, tree, the custom-integrations switch), users
/// (create with a once-shown token, role, remove), API tokens (create, rotate, revoke) and the
/// audit log with its filters; axe-core finds no serious or critical violation on them.
#[test]
fn the_console_administers_organizations_users_tokens_and_the_audit_log() {
    run_console_script("operators", &[], &[]);
}

/// Authoring in the browser: a spec without servers (the hostname is asked for, finalize says
/// why it cannot go on), a YAML spec repaired as YAML, every auth type with every field the
/// definition has, and a failing call that links to the credentials to fix.
#[test]
fn the_console_authors_every_auth_type_and_a_spec_without_servers() {
    let upstream =
        TestApi::start_blocking(AuthCheck::header("X-Api-Key", "demo-key")).expect("api");
    run_console_script(
        "authoring",
        &["--allow-network", "127.0.0.0/8"],
        &[("UPSTREAM", upstream.host())],
    );
}

/// GitHub's REST spec (13 MB, 1,200+ operations) in the browser: check, import, filter and
/// bulk delete down to 20 actions, no main-thread task over 200 ms. Needs the real specs
/// (tests/fetch-real-specs.sh; `.ci/run` runs it with REAL_SPECS_DIR).
#[test]
#[ignore = "needs REAL_SPECS_DIR with github.json (tests/fetch-real-specs.sh)"]
fn the_console_handles_githubs_spec() {
    let dir = std::env::var("REAL_SPECS_DIR").expect("REAL_SPECS_DIR (tests/fetch-real-specs.sh)");
    let spec = PathBuf::from(dir).join("github.json");
    assert!(spec.is_file(), "no {}", spec.display());
    run_console_script("scale", &[], &[("GITHUB_SPEC", spec.display().to_string())]);
}
