//! [`OAuthMockServer`]: the npm package `oauth2-mock-server` as a child process.

use std::fs::{self, OpenOptions};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use super::JwtVerifier;

/// The version of `oauth2-mock-server` installed when none is configured.
pub const MOCK_SERVER_VERSION: &str = "8.2.3";

/// Environment variable naming an `oauth2-mock-server` executable to use instead of installing one.
pub const MOCK_SERVER_ENV: &str = "PLUGBOARD_OAUTH2_MOCK_SERVER";

/// How long the server may take to print where it listens.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// How long to wait for another process's install before giving up.
const INSTALL_WAIT: Duration = Duration::from_secs(10 * 60);

/// A lock file older than this is left over from a killed install and is removed.
const STALE_LOCK: Duration = Duration::from_secs(10 * 60);

/// The stdout line that names the listening address.
const LISTENING_PREFIX: &str = "OAuth 2 server listening on ";

/// The stdout line that names the issuer (the `iss` of every token).
const ISSUER_PREFIX: &str = "OAuth 2 issuer is ";

/// A running `oauth2-mock-server` on `127.0.0.1` with an ephemeral port: a standard OAuth 2.0
/// authorization server (any client is accepted; tokens are RS256 JWTs valid for 3600 s).
/// Dropping it kills the process.
///
/// The executable is [`MOCK_SERVER_ENV`] when set, else
/// `$HOME/.cache/plugboard/npm/node_modules/.bin/oauth2-mock-server`, installed there with npm
/// on first use (needs Node.js >= 20.19 and npm).
///
/// Its endpoints: `POST /token` (form or JSON body; `client_credentials`, `authorization_code`,
/// `refresh_token`, `password`), `GET /authorize` (302 to `redirect_uri?code=..&state=..`,
/// remembering a PKCE challenge that `/token` then checks when a `code_verifier` is sent),
/// `GET /jwks`.
#[derive(Debug)]
pub struct OAuthMockServer {
    child: Child,
    base_url: String,
    issuer: String,
    stderr: Arc<Mutex<String>>,
}

impl OAuthMockServer {
    /// Starts the server (installing it first if needed) and waits until it listens.
    ///
    /// # Panics
    ///
    /// When the executable cannot be found or installed, or the server does not start within
    /// 20 s; the message says why and what to install.
    pub fn start() -> OAuthMockServer {
        let bin = executable();
        let mut child = Command::new(&bin)
            .args(["-a", "127.0.0.1", "-p", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|error| {
                panic!(
                    "cannot run {} ({error}); it needs `node` (Node.js >= 20.19) on PATH",
                    bin.display()
                )
            });

        let stderr = Arc::new(Mutex::new(String::new()));
        if let Some(mut pipe) = child.stderr.take() {
            let sink = Arc::clone(&stderr);
            spawn_drain("oauth2-mock-stderr", move || {
                let mut chunk = [0u8; 4096];
                while let Ok(n @ 1..) = pipe.read(&mut chunk) {
                    if let Ok(mut text) = sink.lock() {
                        text.push_str(&String::from_utf8_lossy(&chunk[..n]));
                    }
                }
            });
        }
        let (lines_tx, lines_rx) = mpsc::channel::<String>();
        if let Some(pipe) = child.stdout.take() {
            spawn_drain("oauth2-mock-stdout", move || {
                // Keeps reading to the end so the child never blocks on a full pipe.
                for line in BufReader::new(pipe).lines() {
                    let Ok(line) = line else { break };
                    let _ = lines_tx.send(line);
                }
            });
        }

        let mut server = OAuthMockServer {
            child,
            base_url: String::new(),
            issuer: String::new(),
            stderr,
        };
        let deadline = Instant::now() + START_TIMEOUT;
        let mut seen = Vec::new();
        while server.base_url.is_empty() || server.issuer.is_empty() {
            let left = deadline.saturating_duration_since(Instant::now());
            match lines_rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(url) = line.strip_prefix(LISTENING_PREFIX) {
                        server.base_url = url.trim().trim_end_matches('/').to_owned();
                    } else if let Some(url) = line.strip_prefix(ISSUER_PREFIX) {
                        server.issuer = url.trim().trim_end_matches('/').to_owned();
                    }
                    seen.push(line);
                }
                Err(RecvTimeoutError::Timeout) => panic!(
                    "{} did not print where it listens within {START_TIMEOUT:?}; stdout: {seen:?}; \
                     stderr: {}",
                    bin.display(),
                    server.stderr_text()
                ),
                Err(RecvTimeoutError::Disconnected) => {
                    let status = server.child.wait();
                    // The stderr reader may still be copying the last bytes.
                    std::thread::sleep(Duration::from_millis(100));
                    panic!(
                        "{} exited before listening ({status:?}); stdout: {seen:?}; stderr: {}",
                        bin.display(),
                        server.stderr_text()
                    );
                }
            }
        }
        server
    }

    /// The `iss` the server puts in its tokens. Note: `http://localhost:PORT`, not
    /// `http://127.0.0.1:PORT` (the server names loopback addresses `localhost`).
    pub fn issuer(&self) -> String {
        self.issuer.clone()
    }

    /// Where the server listens: `http://127.0.0.1:PORT` (no trailing slash).
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.base_url
            .rsplit(':')
            .next()
            .and_then(|port| port.parse().ok())
            .expect("the listening URL ends with a port")
    }

    /// `http://127.0.0.1:PORT/token`.
    pub fn token_url(&self) -> String {
        format!("{}/token", self.base_url)
    }

    /// `http://127.0.0.1:PORT/authorize`.
    pub fn authorize_url(&self) -> String {
        format!("{}/authorize", self.base_url)
    }

    /// `http://127.0.0.1:PORT/jwks`.
    pub fn jwks_url(&self) -> String {
        format!("{}/jwks", self.base_url)
    }

    /// A verifier for this server's tokens (fetches its JWKS).
    ///
    /// # Panics
    ///
    /// When the JWKS cannot be fetched or read.
    pub async fn verifier(&self) -> JwtVerifier {
        JwtVerifier::fetch(&self.jwks_url(), &self.issuer)
            .await
            .unwrap_or_else(|error| panic!("JWKS of the mock server: {error}"))
    }

    /// Like [`OAuthMockServer::verifier`], for callers that are not async (or are inside a
    /// runtime they must not block on).
    pub fn verifier_blocking(&self) -> JwtVerifier {
        JwtVerifier::fetch_blocking(&self.jwks_url(), &self.issuer)
            .unwrap_or_else(|error| panic!("JWKS of the mock server: {error}"))
    }

    /// What the process wrote on stderr so far.
    pub fn stderr_text(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

impl Drop for OAuthMockServer {
    fn drop(&mut self) {
        // An error means it already exited.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `f` on a detached, named thread (a pipe reader that ends at end of file).
fn spawn_drain(name: &str, f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(f)
        .expect("spawn a pipe reader thread");
}

/// The `oauth2-mock-server` executable: configured, already installed, or installed now.
fn executable() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    // `get_or_init` makes other threads wait while one locates or installs it.
    BIN.get_or_init(|| {
        if let Some(path) = std::env::var_os(MOCK_SERVER_ENV).filter(|p| !p.is_empty()) {
            let path = PathBuf::from(path);
            assert!(
                path.is_file(),
                "{MOCK_SERVER_ENV}={} does not name a file (it should be the `oauth2-mock-server` \
                 executable, e.g. node_modules/.bin/oauth2-mock-server)",
                path.display()
            );
            return path;
        }
        let home = std::env::var_os("HOME")
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| {
                panic!("HOME is not set: cannot place oauth2-mock-server; set {MOCK_SERVER_ENV}")
            });
        install(&Path::new(&home).join(".cache/plugboard/npm"))
    })
    .clone()
}

/// Whether the expected version is installed under `prefix`.
fn installed(prefix: &Path) -> bool {
    let manifest = prefix.join("node_modules/oauth2-mock-server/package.json");
    let version = fs::read(manifest)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .and_then(|json| json["version"].as_str().map(str::to_owned));
    version.as_deref() == Some(MOCK_SERVER_VERSION) && bin_path(prefix).is_file()
}

fn bin_path(prefix: &Path) -> PathBuf {
    prefix.join("node_modules/.bin/oauth2-mock-server")
}

/// Installs the package under `prefix` unless it is there, holding `prefix/install.lock` so
/// concurrent test processes install it once.
fn install(prefix: &Path) -> PathBuf {
    if installed(prefix) {
        return bin_path(prefix);
    }
    fs::create_dir_all(prefix)
        .unwrap_or_else(|error| panic!("cannot create {}: {error}", prefix.display()));
    let _lock = InstallLock::acquire(&prefix.join("install.lock"));
    // Another process may have installed it while this one waited.
    if installed(prefix) {
        return bin_path(prefix);
    }
    let package = format!("oauth2-mock-server@{MOCK_SERVER_VERSION}");
    let output = Command::new("npm")
        .args(["install", "--silent", "--no-audit", "--no-fund", "--prefix"])
        .arg(prefix)
        .arg(&package)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|error| {
            panic!(
                "cannot run npm to install {package} ({error}): install Node.js >= 20.19 with npm \
                 (e.g. `apt-get install nodejs npm`), or set {MOCK_SERVER_ENV} to an \
                 oauth2-mock-server executable"
            )
        });
    assert!(
        output.status.success(),
        "`npm install --prefix {} {package}` failed ({}): {}{}\nInstall it by hand or set \
         {MOCK_SERVER_ENV} to an oauth2-mock-server executable.",
        prefix.display(),
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    assert!(
        installed(prefix),
        "npm installed {package} under {} but {} is missing",
        prefix.display(),
        bin_path(prefix).display()
    );
    bin_path(prefix)
}

/// An exclusive lock file, created with `create_new` and removed on drop.
pub(super) struct InstallLock(PathBuf);

impl InstallLock {
    /// Waits (up to 10 minutes) until this process creates the lock file; removes a stale one.
    pub(super) fn acquire(path: &Path) -> InstallLock {
        let deadline = Instant::now() + INSTALL_WAIT;
        loop {
            match OpenOptions::new().write(true).create_new(true).open(path) {
                Ok(mut file) => {
                    let _ = writeln!(file, "{}", std::process::id());
                    return InstallLock(path.to_owned());
                }
                Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
                    let age = fs::metadata(path)
                        .and_then(|m| m.modified())
                        .ok()
                        .and_then(|modified| SystemTime::now().duration_since(modified).ok());
                    if age.is_some_and(|age| age > STALE_LOCK) {
                        let _ = fs::remove_file(path);
                        continue;
                    }
                    assert!(
                        Instant::now() < deadline,
                        "waited {INSTALL_WAIT:?} for {} (another install of oauth2-mock-server); \
                         remove it if no install is running",
                        path.display()
                    );
                    std::thread::sleep(Duration::from_millis(200));
                }
                Err(error) => panic!("cannot create {}: {error}", path.display()),
            }
        }
    }
}

impl Drop for InstallLock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}
