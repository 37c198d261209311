//! The deployment recipes run what they say: the systemd unit passes `systemd-analyze verify`
//! (when systemd is installed) and keeps the settings wasmtime and the graceful stop need, and
//! the commands of the unit and of the container image, run with their environment, start a
//! server that answers their health check. (`docker build` itself needs a Docker daemon and
//! base images, which tests do not assume.)

mod common;

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{free_port, spawn_server};

fn repo_file(name: &str) -> (PathBuf, String) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    (path, text)
}

/// `GET path` on `base` (`http://127.0.0.1:port`); the status code (0 when unreachable).
fn get_status(base: &str, path: &str) -> u16 {
    let address = base.trim_start_matches("http://");
    let Ok(mut stream) = std::net::TcpStream::connect(address) else {
        return 0;
    };
    let request = format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    let mut answer = String::new();
    if stream.write_all(request.as_bytes()).is_err() || stream.read_to_string(&mut answer).is_err()
    {
        return 0;
    }
    answer
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0)
}

/// Runs `args` (a `plugboard serve` command line, the binary left out) with `env`, waits until
/// it serves at `base`, and returns the status of `GET health` on it.
fn serve_and_check(args: &[String], env: &[(String, String)], base: &str, health: &str) -> u16 {
    let mut command = Command::new(env!("CARGO_BIN_EXE_plugboard"));
    command.args(args);
    for (name, _) in std::env::vars() {
        if name.starts_with("PLUGBOARD_") {
            command.env_remove(name);
        }
    }
    command.envs(env.iter().map(|(k, v)| (k, v)));
    let mut server = spawn_server(command, base.to_string());
    let lines = server.wait_serving();
    assert!(lines.iter().any(|l| l.contains("serving on")), "{lines:?}");
    let status = get_status(base, health);
    let _ = server.child.kill();
    let _ = server.child.wait();
    status
}

/// The values of `key=` lines of a unit (in order).
fn unit_values<'a>(unit: &'a str, key: &str) -> Vec<&'a str> {
    unit.lines()
        .filter_map(|line| line.trim().strip_prefix(key)?.strip_prefix('='))
        .collect()
}

#[test]
fn the_systemd_unit_verifies_and_its_command_serves() {
    let (_, unit) = repo_file("deploy/plugboard.service");
    // wasmtime maps the code it compiles executable: W^X enforcement would stop every call.
    assert!(
        unit_values(&unit, "MemoryDenyWriteExecute").is_empty(),
        "MemoryDenyWriteExecute must stay unset"
    );
    for (key, value) in [
        ("NoNewPrivileges", "yes"),
        ("ProtectSystem", "strict"),
        ("ProtectHome", "yes"),
        ("PrivateTmp", "yes"),
        ("PrivateDevices", "yes"),
        ("SystemCallFilter", "@system-service"),
        ("KillSignal", "SIGTERM"),
        ("StateDirectory", "plugboard"),
    ] {
        assert_eq!(unit_values(&unit, key), [value], "{key}=");
    }
    // More than the server's 30 s graceful stop before SIGKILL.
    let timeout = unit_values(&unit, "TimeoutStopSec");
    let seconds: u64 = timeout
        .first()
        .and_then(|t| t.trim_end_matches('s').parse().ok())
        .unwrap_or_else(|| panic!("TimeoutStopSec= in seconds: {timeout:?}"));
    assert!(seconds > 30, "TimeoutStopSec={seconds}");
    let exec = unit_values(&unit, "ExecStart");
    let [exec] = exec[..] else {
        panic!("one ExecStart=: {exec:?}");
    };
    let mut words = exec.split_whitespace();
    let binary = words.next().expect("ExecStart= names a binary");

    // systemd's own check, on a copy whose binary is the one just built (verify needs it to
    // exist); its warnings count as failures.
    let built = env!("CARGO_BIN_EXE_plugboard");
    let dir = tempfile::tempdir().expect("temp dir");
    let copy = dir.path().join("plugboard.service");
    std::fs::write(&copy, unit.replace(binary, built)).expect("write the unit");
    match Command::new("systemd-analyze")
        .arg("verify")
        .arg(&copy)
        .output()
    {
        Ok(output) => {
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(
                output.status.success() && stderr.trim().is_empty(),
                "systemd-analyze verify: {stderr}"
            );
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("note: no systemd-analyze here; the unit's syntax was not verified");
        }
        Err(e) => panic!("cannot run systemd-analyze: {e}"),
    }

    // Its command line and environment, with the state and cache directories in a temporary
    // folder and a free port.
    let port = free_port();
    let (state, cache) = (dir.path().join("state"), dir.path().join("cache"));
    std::fs::create_dir_all(&state).expect("state dir");
    let localize = |text: &str| {
        text.replace("/var/lib/plugboard", common::path(&state))
            .replace("/var/cache/plugboard", common::path(&cache))
            .replace(":8080", &format!(":{port}"))
    };
    let args: Vec<String> = words.map(localize).collect();
    assert!(args.first().is_some_and(|a| a == "serve"), "{args:?}");
    let env: Vec<(String, String)> = unit_values(&unit, "Environment")
        .iter()
        .map(|pair| {
            let (name, value) = pair.split_once('=').expect("Environment=NAME=value");
            (name.to_string(), localize(value))
        })
        .collect();
    let base = format!("http://127.0.0.1:{port}");
    assert_eq!(serve_and_check(&args, &env, &base, "/healthz"), 200);
    assert!(state.join("plugboard.db").is_file() && state.join("secret.key").is_file());
}

/// The JSON array of a Dockerfile instruction (`CMD ["a", "b"]`); `prefix` includes options
/// such as `HEALTHCHECK ... CMD`.
fn exec_form(dockerfile: &str, instruction: &str) -> Vec<String> {
    // Continuation lines joined, so each instruction is one line.
    let joined = dockerfile.replace("\\\n", " ");
    let line = joined
        .lines()
        .rev()
        .find(|line| line.starts_with(instruction))
        .unwrap_or_else(|| panic!("no {instruction} in the Dockerfile"));
    let array = &line[line
        .find('[')
        .unwrap_or_else(|| panic!("{line}: exec form"))..];
    serde_json::from_str(array).unwrap_or_else(|e| panic!("{line}: {e}"))
}

#[test]
fn the_container_command_serves_and_answers_its_health_check() {
    let (_, dockerfile) = repo_file("Dockerfile");
    // The guests built by build scripts need the wasm target in the builder.
    assert!(dockerfile.contains("rustup target add wasm32-wasip2"));
    let entrypoint = exec_form(&dockerfile, "ENTRYPOINT");
    assert_eq!(entrypoint, ["plugboard"]);
    let cmd = exec_form(&dockerfile, "CMD");
    let health = exec_form(&dockerfile, "HEALTHCHECK");
    let exposed: u16 = dockerfile
        .lines()
        .find_map(|l| l.strip_prefix("EXPOSE "))
        .and_then(|p| p.trim().parse().ok())
        .expect("EXPOSE <port>");
    let listen = format!("0.0.0.0:{exposed}");
    assert_eq!(cmd, ["serve", "--listen", listen.as_str()]);
    let url = health
        .iter()
        .find(|a| a.starts_with("http://"))
        .unwrap_or_else(|| panic!("a URL in HEALTHCHECK {health:?}"));
    let health_path = url
        .strip_prefix(&format!("http://127.0.0.1:{exposed}"))
        .unwrap_or_else(|| panic!("{url} is not the exposed port on loopback"));
    assert!(dockerfile.contains("USER plugboard"), "runs as non-root");
    let env_line = dockerfile
        .lines()
        .find_map(|l| l.strip_prefix("ENV "))
        .expect("ENV");

    // The image's command and environment, with /data in a temporary folder and a free port
    // on loopback.
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).expect("data dir");
    let port = free_port();
    let env: Vec<(String, String)> = env_line
        .split_whitespace()
        .map(|pair| {
            let (name, value) = pair.split_once('=').expect("ENV NAME=value");
            (
                name.to_string(),
                value.replacen("/data", common::path(&data), 1),
            )
        })
        .collect();
    assert!(
        env.iter()
            .any(|(k, v)| k == "PLUGBOARD_DATA_DIR" && v == common::path(&data)),
        "{env:?}"
    );
    let args: Vec<String> = cmd
        .iter()
        .map(|a| a.replace(&listen, &format!("127.0.0.1:{port}")))
        .collect();
    let base = format!("http://127.0.0.1:{port}");
    assert_eq!(serve_and_check(&args, &env, &base, health_path), 200);
    assert!(data.join("plugboard.db").is_file() && data.join("secret.key").is_file());
}

#[test]
fn the_docker_context_leaves_out_build_output_but_not_workspace_members() {
    let (_, ignore) = repo_file(".dockerignore");
    let patterns: Vec<&str> = ignore
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    for needed in [".git", "target", "**/node_modules"] {
        assert!(patterns.contains(&needed), "{needed} is not ignored");
    }
    let (_, manifest) = repo_file("Cargo.toml");
    let members: Vec<&str> = manifest
        .split("members = [")
        .nth(1)
        .and_then(|rest| rest.split(']').next())
        .expect("workspace members")
        .split(',')
        .map(|m| m.trim().trim_matches('"'))
        .filter(|m| !m.is_empty())
        .collect();
    assert!(members.contains(&"host/cli"), "{members:?}");
    for member in members {
        for pattern in &patterns {
            let prefix = pattern.trim_start_matches("**/");
            assert!(
                !(member == prefix || member.starts_with(&format!("{prefix}/"))),
                "{pattern} leaves workspace member {member} out of the build"
            );
        }
    }
}
