//! Where `--output` files go (every command writes them the same way, `files::write_atomically`):
//! through symbolic links, into devices and FIFOs in place, with the permissions a user expects.
#![cfg(unix)]

use std::os::unix::fs::{FileTypeExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../openapi/tests/fixtures/convert")
        .join(name)
}

/// `plugboard convert <petstore> -o <out>`.
fn convert_to(out: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_plugboard"))
        .arg("convert")
        .arg(fixture("petstore.swagger.json"))
        .arg("-o")
        .arg(out)
        .output()
        .expect("run plugboard")
}

/// Asserts that `text` is the petstore's conversion.
fn assert_converted(text: &str) {
    let expected = std::fs::read_to_string(fixture("petstore.openapi.json")).expect("expected");
    let expected: Value = serde_json::from_str(&expected).expect("expected JSON");
    let written: Value = serde_json::from_str(text).expect("the output is JSON");
    assert_eq!(written, expected);
}

fn is_symlink(path: &Path) -> bool {
    std::fs::symlink_metadata(path)
        .expect("metadata")
        .file_type()
        .is_symlink()
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o7777
}

#[test]
fn a_link_stays_a_link_and_an_existing_file_keeps_its_permissions() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real.json");
    std::fs::write(&real, "old").unwrap();
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).unwrap();
    let link = dir.path().join("out.json");
    std::os::unix::fs::symlink("real.json", &link).unwrap();

    let output = convert_to(&link);
    assert!(output.status.success(), "{output:?}");
    assert!(is_symlink(&link), "the link was replaced by a file");
    assert_converted(&std::fs::read_to_string(&real).unwrap());
    assert_eq!(mode(&real), 0o640);
    // Nothing else is left behind: the temporary file was renamed onto the link's target.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
}

#[test]
fn a_dangling_link_gets_its_file_created() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("out.json");
    std::os::unix::fs::symlink("made.json", &link).unwrap();
    let output = convert_to(&link);
    assert!(output.status.success(), "{output:?}");
    assert!(is_symlink(&link));
    assert_converted(&std::fs::read_to_string(dir.path().join("made.json")).unwrap());
}

#[test]
fn a_new_file_gets_the_permissions_creating_it_gives() {
    // The umask the child inherits (Linux reports it; elsewhere the usual 022 is assumed).
    let umask = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("Umask:"))
                .and_then(|value| u32::from_str_radix(value.trim(), 8).ok())
        })
        .unwrap_or(0o022);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("new.json");
    let output = convert_to(&out);
    assert!(output.status.success(), "{output:?}");
    assert_eq!(mode(&out), 0o666 & !umask);
}

#[test]
fn a_fifo_is_written_in_place_not_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("out.fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    // The reader opens the FIFO (blocking until a writer does) and reads to the end.
    let (sent, received) = std::sync::mpsc::channel();
    let reader_path = fifo.clone();
    std::thread::spawn(move || {
        let text = std::fs::read_to_string(reader_path);
        let _ = sent.send(text);
    });

    let output = convert_to(&fifo);
    assert!(output.status.success(), "{output:?}");
    // Checked before waiting for the reader: had a file been renamed over the FIFO, the
    // reader would wait forever.
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo(),
        "the FIFO was replaced by a file"
    );
    let text = received
        .recv_timeout(Duration::from_secs(30))
        .expect("the reader got the output")
        .expect("read the FIFO");
    assert_converted(&text);
}

#[test]
fn an_existing_file_keeps_its_permission_bits_but_not_setuid() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.json");
    std::fs::write(&out, "old").unwrap();
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o4750)).unwrap();
    let output = convert_to(&out);
    assert!(output.status.success(), "{output:?}");
    assert_eq!(mode(&out), 0o750);
}

/// Runs `script` with `sh -c`, `$0` the CLI, `$1` the petstore spec and `$2` `out`.
fn shell(script: &str, out: &Path) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_plugboard"))
        .arg(fixture("petstore.swagger.json"))
        .arg(out)
        .output()
        .expect("run sh")
}

#[test]
fn dev_stdout_is_written_where_the_shell_points_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.txt");
    let output = shell(
        r#"{ echo header; "$0" convert "$1" -o /dev/stdout; echo footer; } > "$2""#,
        &out,
    );
    assert!(output.status.success(), "{output:?}");
    let text = std::fs::read_to_string(&out).unwrap();
    let body = text
        .strip_prefix("header\n")
        .and_then(|rest| rest.strip_suffix("footer\n"))
        .unwrap_or_else(|| panic!("the header or footer is lost: {text}"));
    assert_converted(body);
}

#[test]
fn a_descriptor_opened_for_appending_is_appended_to() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("log.txt");
    std::fs::write(&out, "earlier\n").unwrap();
    let output = shell(r#""$0" convert "$1" -o /dev/fd/3 3>>"$2""#, &out);
    assert!(output.status.success(), "{output:?}");
    let text = std::fs::read_to_string(&out).unwrap();
    let body = text
        .strip_prefix("earlier\n")
        .unwrap_or_else(|| panic!("what was there is lost: {text}"));
    assert_converted(body);
}
