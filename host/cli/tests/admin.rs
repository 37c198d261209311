//! Starting `plugboard serve` checks what can fail (the port) before it creates anything, so a
//! failed start does not spend the one-time admin token; `plugboard admin token` mints a new one
//! on the server host when it is lost.

mod common;

use std::process::Command;

use common::{path, plugboard, start_serve};

fn me(base: &str, token: &str) -> u16 {
    let output = Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H"])
        .arg(format!("Authorization: Bearer {token}"))
        .arg(format!("{base}/v1/me"))
        .output()
        .expect("curl");
    String::from_utf8_lossy(&output.stdout).parse().unwrap_or(0)
}

#[test]
fn a_taken_port_spends_nothing_and_a_lost_admin_token_is_recovered() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    // The port is taken: the start fails before the database exists.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port();
    let (ok, _, err) = plugboard(&[
        "serve",
        "--listen",
        &format!("127.0.0.1:{port}"),
        "--data-dir",
        path(&data),
    ]);
    assert!(!ok && err.contains("--listen"), "{err}");
    assert!(!data.join("plugboard.db").exists());
    drop(taken);

    // Recovery before any start is refused with what to do.
    std::fs::create_dir_all(&data).expect("data dir");
    let (ok, _, err) = plugboard(&["admin", "token", "--data-dir", path(&data)]);
    assert!(!ok && err.contains("start `plugboard serve`"), "{err}");

    // The first real start creates the admin and shows its token once.
    let mut server = start_serve(&data);
    let lines = server.wait_serving();
    let first = lines
        .iter()
        .find(|l| l.starts_with("pbt_"))
        .unwrap_or_else(|| panic!("no admin token in {lines:?}"))
        .clone();
    assert_eq!(me(&server.base, &first), 200);

    // The token is lost: a new one, minted on the host, works too.
    let (ok, out, err) = plugboard(&["admin", "token", "--data-dir", path(&data)]);
    assert!(ok, "{err}");
    let recovered = out.trim().to_string();
    assert!(recovered.starts_with("pbt_") && recovered != first, "{out}");
    assert!(err.contains("admin"), "{err}");
    assert_eq!(me(&server.base, &recovered), 200);
    assert_eq!(me(&server.base, "pbt_wrong"), 401);
    server.child.kill().expect("kill");
    let _ = server.child.wait();
}
