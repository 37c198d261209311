//! A throwaway PostgreSQL server on 127.0.0.1 for tests: `initdb` into a temporary directory,
//! `pg_ctl start` on a free port, stopped and deleted on drop. Set `PLUGBOARD_TEST_POSTGRES_URL`
//! to use a running server instead (each test then gets its own database).
//!
//! PostgreSQL refuses to run as root; as root the cluster is created and run as the `postgres`
//! system user (Debian's package creates it). `.ci/run` installs the package when `initdb` is
//! missing.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A running PostgreSQL server (or a database on the one named by the environment).
pub struct Postgres {
    url: String,
    cluster: Option<(tempfile::TempDir, PathBuf, bool)>,
}

/// The environment variable naming an existing server to use.
pub const POSTGRES_ENV: &str = "PLUGBOARD_TEST_POSTGRES_URL";

fn bin_dir() -> PathBuf {
    if let Ok(output) = Command::new("pg_config").arg("--bindir").output()
        && output.status.success()
    {
        let dir = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
        if dir.join("initdb").is_file() {
            return dir;
        }
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|dir| dir.flatten().map(|e| e.path().join("bin")).collect())
        .unwrap_or_default();
    versions.sort();
    versions
        .into_iter()
        .rev()
        .find(|dir| dir.join("initdb").is_file())
        .expect("PostgreSQL is not installed (no initdb): `apt-get install postgresql`, or set PLUGBOARD_TEST_POSTGRES_URL")
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Runs a PostgreSQL tool, as the `postgres` user when we are root.
fn run(as_postgres: bool, program: &Path, args: &[&str]) {
    let output = if as_postgres {
        Command::new("runuser")
            .arg("-u")
            .arg("postgres")
            .arg("--")
            .arg(program)
            .args(args)
            .output()
    } else {
        Command::new(program).args(args).output()
    }
    .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
    assert!(
        output.status.success(),
        "{} {args:?} failed: {}{}",
        program.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

impl Postgres {
    /// Starts a server (or picks the one in [`POSTGRES_ENV`]) with a fresh database.
    pub fn start() -> Postgres {
        if let Ok(url) = std::env::var(POSTGRES_ENV) {
            let name = format!("pb_{}", std::process::id());
            let _ = Command::new("psql")
                .args([&url, "-c", &format!("CREATE DATABASE {name}")])
                .output();
            let base = url.rsplit_once('/').map_or(url.as_str(), |(base, _)| base);
            return Postgres {
                url: format!("{base}/{name}"),
                cluster: None,
            };
        }
        let bin = bin_dir();
        let root = is_root();
        let dir = tempfile::Builder::new()
            .prefix("plugboard-pg")
            .tempdir()
            .expect("temp dir");
        let data = dir.path().join("data");
        let socket = dir.path().join("sock");
        std::fs::create_dir_all(&socket).expect("socket dir");
        if root {
            let chown = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()
                .expect("chown");
            assert!(chown.success(), "chown to postgres failed");
        }
        let data_text = data.to_string_lossy().into_owned();
        run(
            root,
            &bin.join("initdb"),
            &[
                "-D",
                &data_text,
                "-U",
                "plugboard",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let options = format!(
            "-h 127.0.0.1 -p {port} -k {} -c fsync=off -c max_connections=200",
            socket.display()
        );
        run(
            root,
            &bin.join("pg_ctl"),
            &[
                "-D",
                &data_text,
                "-o",
                &options,
                "-w",
                "-l",
                &format!("{data_text}/../log"),
                "start",
            ],
        );
        let url = format!("postgres://plugboard@127.0.0.1:{port}/postgres");
        Postgres {
            url,
            cluster: Some((dir, bin, root)),
        }
    }

    /// The connection URL.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if let Some((dir, bin, root)) = &self.cluster {
            let data = dir.path().join("data");
            let data_text = data.to_string_lossy().into_owned();
            let stop = |as_postgres: bool| {
                let program = bin.join("pg_ctl");
                let args = ["-D", data_text.as_str(), "-m", "immediate", "-w", "stop"];
                if as_postgres {
                    Command::new("runuser")
                        .args(["-u", "postgres", "--"])
                        .arg(&program)
                        .args(args)
                        .output()
                } else {
                    Command::new(&program).args(args).output()
                }
            };
            let _ = stop(*root);
        }
    }
}
