//! The web console, end to end in headless Chromium: `plugboard serve` (the real binary, the
//! embedded store) serves it, a loopback API answers the integration built in it, and
//! tests/console/e2e.mjs drives the browser with playwright-core. Needs Debian's `chromium`
//! and the npm package `playwright-core` (installed by `.ci/run`; `PLUGBOARD_CHROMIUM` and
//! `PLUGBOARD_NPM_PREFIX` point elsewhere).

use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use plugboard_tests::api::{AuthCheck, TestApi};

#[test]
fn the_console_builds_publishes_installs_and_invokes() {
    let chromium =
        std::env::var("PLUGBOARD_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let home = std::env::var("HOME").unwrap_or_default();
    let npm_prefix = std::env::var("PLUGBOARD_NPM_PREFIX")
        .unwrap_or_else(|_| format!("{home}/.cache/plugboard/npm"));
    assert!(
        std::path::Path::new(&chromium).is_file(),
        "no Chromium at {chromium}: `apt-get install chromium` (as .ci/run does) or set PLUGBOARD_CHROMIUM"
    );
    assert!(
        PathBuf::from(&npm_prefix)
            .join("node_modules/playwright-core")
            .is_dir(),
        "no playwright-core in {npm_prefix}: `npm install --prefix {npm_prefix} playwright-core@1` (as .ci/run does)"
    );
    let upstream =
        TestApi::start_blocking(AuthCheck::header("X-Api-Key", "demo-key")).expect("api");
    let data = tempfile::tempdir().expect("data dir");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_plugboard"))
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(data.path())
        .env_remove("PLUGBOARD_SECRET_KEY")
        .env_remove("PLUGBOARD_DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start plugboard serve");
    let stderr = server.stderr.take().expect("stderr");
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = sender.send(line);
        }
    });
    let mut token = None;
    loop {
        let line = receiver
            .recv_timeout(Duration::from_secs(60))
            .expect("the server starts");
        if line.starts_with("pbt_") {
            token = Some(line.clone());
        }
        if line.contains("serving on") {
            break;
        }
    }
    let screenshots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("console-screenshots");
    let _ = std::fs::remove_dir_all(&screenshots);
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/console/e2e.mjs");
    let output = Command::new("node")
        .arg(&script)
        .env("BASE", format!("http://127.0.0.1:{port}"))
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
    let _ = server.kill();
    let _ = server.wait();
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
