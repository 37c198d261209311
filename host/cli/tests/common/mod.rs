//! Helpers shared by the CLI's test binaries (each uses some of them).
#![allow(dead_code)]

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Runs the `plugboard` binary; returns (success, stdout, stderr). The token key of the
/// environment is not inherited, so key files are what a test uses.
pub fn plugboard(args: &[&str]) -> (bool, String, String) {
    run(Path::new(env!("CARGO_BIN_EXE_plugboard")), None, args)
}

/// Runs `binary` (a `plugboard` copied elsewhere, say), in `cwd` if given, as [`plugboard`]
/// does.
pub fn run(binary: &Path, cwd: Option<&Path>, args: &[&str]) -> (bool, String, String) {
    let mut command = Command::new(binary);
    if let Some(cwd) = cwd {
        command.current_dir(cwd);
    }
    let output = command
        .args(args)
        .env_remove("PLUGBOARD_TOKEN_KEY")
        .output()
        .expect("run plugboard");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A `plugboard` command that reads no stdin and never falls back to the user's cache dir or
/// an inherited cache setting.
pub fn command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_plugboard"));
    command.env_remove("PLUGBOARD_CACHE_DIR");
    command.stdin(Stdio::null());
    command
}

/// Runs [`command`] with `args` to the end.
pub fn output(args: &[&str]) -> std::process::Output {
    command().args(args).output().expect("run plugboard")
}

/// Standard output, lossily decoded.
pub fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Standard error, lossily decoded.
pub fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A path as a command-line argument.
#[allow(clippy::unwrap_used)]
pub fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// One JSON call to a server's API with a bearer token: (status, body); status 0 when the
/// server cannot be reached (it is gone).
pub async fn call(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    method: &str,
    path: &str,
    body: serde_json::Value,
) -> (u16, serde_json::Value) {
    let mut request = http
        .request(method.parse().expect("method"), format!("{base}{path}"))
        .header("authorization", format!("Bearer {token}"));
    if !body.is_null() {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    match request.send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            let text = response.text().await.unwrap_or_default();
            (status, serde_json::from_str(&text).unwrap_or_default())
        }
        Err(_) => (0, serde_json::Value::Null),
    }
}

/// A `plugboard serve` process on a free loopback port.
pub struct Server {
    /// The process.
    pub child: Child,
    /// `http://127.0.0.1:port`.
    pub base: String,
    stderr: std::sync::mpsc::Receiver<String>,
}

/// Starts `plugboard serve` on the data directory (embedded store, key file there), allowing
/// loopback (where the tests' upstream APIs run).
pub fn start_serve(data_dir: &Path) -> Server {
    start_serve_with(data_dir, &["--allow-network", "127.0.0.0/8"])
}

/// Starts `plugboard serve` on the data directory with these extra arguments.
pub fn start_serve_with(data_dir: &Path, extra: &[&str]) -> Server {
    start_serve_at(free_port(), data_dir, extra)
}

/// A loopback port free right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// Starts `plugboard serve` on `port` (when its address must be known before it starts, as
/// for `--public-url`).
pub fn start_serve_at(port: u16, data_dir: &Path, extra: &[&str]) -> Server {
    let mut command = Command::new(env!("CARGO_BIN_EXE_plugboard"));
    command
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(data_dir)
        .args(extra)
        .env_remove("PLUGBOARD_SECRET_KEY")
        .env_remove("PLUGBOARD_DATABASE_URL");
    spawn_server(command, format!("http://127.0.0.1:{port}"))
}

/// Starts a server `command` (a `plugboard serve` command line) that will answer at `base`;
/// its stderr is read for [`Server::wait_serving`].
pub fn spawn_server(mut command: Command, base: String) -> Server {
    let mut child = command
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start plugboard serve");
    let stderr = child.stderr.take().expect("stderr");
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    Server {
        child,
        base,
        stderr: receiver,
    }
}

/// A server left behind by a failing test is stopped with it.
impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// The rest of stderr, until the process closes it (it exited) or 30 s pass.
    pub fn rest_of_stderr(&self) -> Vec<String> {
        let mut lines = Vec::new();
        while let Ok(line) = self.stderr.recv_timeout(Duration::from_secs(30)) {
            lines.push(line);
        }
        lines
    }

    /// Lines of stderr until the server says it is serving.
    pub fn wait_serving(&self) -> Vec<String> {
        let mut lines = Vec::new();
        loop {
            let line = self
                .stderr
                .recv_timeout(Duration::from_secs(60))
                .unwrap_or_else(|_| panic!("the server did not start: {lines:?}"));
            let done = line.contains("serving on");
            lines.push(line);
            if done {
                return lines;
            }
        }
    }
}
