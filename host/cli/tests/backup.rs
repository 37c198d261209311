//! `plugboard backup` on a live server: writers keep creating organizations and integrations
//! through the API while the backup runs; the backup, restored into a new data directory with
//! its key, starts a second server that has everything committed before the backup began,
//! nothing begun after it ended, and an installation whose sealed credentials still open (it
//! invokes a loopback API that checks them).

mod common;

use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{call, path, start_serve};
use plugboard_tests::api::{AuthCheck, TestApi};
use serde_json::{Value, json};

/// Runs `plugboard backup` with these arguments and no key or data dir from the environment.
fn backup(args: &[&str]) -> (bool, String) {
    backup_with_key(args, None)
}

/// Runs `plugboard backup` with `PLUGBOARD_SECRET_KEY` set to `key` (or unset).
fn backup_with_key(args: &[&str], key: Option<&str>) -> (bool, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_plugboard"));
    command
        .arg("backup")
        .args(args)
        .env_remove("PLUGBOARD_SECRET_KEY")
        .env_remove("PLUGBOARD_DATA_DIR")
        .env_remove("PLUGBOARD_DATABASE_URL");
    if let Some(key) = key {
        command.env("PLUGBOARD_SECRET_KEY", key);
    }
    let output = command.output().expect("run plugboard backup");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A created thing and when its request was sent and answered.
#[derive(Debug, Clone)]
struct Created {
    id: String,
    sent: Instant,
    answered: Instant,
}

/// Every id of a paged list (`key` is the list's key in the answer).
async fn all_ids(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    path: &str,
    key: &str,
) -> Vec<String> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let query = match &cursor {
            Some(cursor) => format!("{path}?limit=1000&cursor={cursor}"),
            None => format!("{path}?limit=1000"),
        };
        let (status, page) = call(http, base, token, "GET", &query, Value::Null).await;
        assert_eq!(status, 200, "{query}: {page}");
        ids.extend(
            page[key]
                .as_array()
                .unwrap_or_else(|| panic!("no `{key}` in {page}"))
                .iter()
                .filter_map(|item| item["id"].as_str().map(str::to_string)),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => return ids,
        }
    }
}

/// A task that creates things with `make(i)` (a POST to `path` answering 201 with an id) until
/// `stop`, recording each.
fn writer(
    http: reqwest::Client,
    base: String,
    token: String,
    path: String,
    make: fn(usize) -> Value,
    stop: Arc<std::sync::atomic::AtomicBool>,
) -> (Arc<Mutex<Vec<Created>>>, tokio::task::JoinHandle<()>) {
    let created = Arc::new(Mutex::new(Vec::new()));
    let record = created.clone();
    let task = tokio::spawn(async move {
        let mut i = 0;
        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
            let sent = Instant::now();
            let (status, body) = call(&http, &base, &token, "POST", &path, make(i)).await;
            assert_eq!(status, 201, "{path}: {body}");
            let id = body["id"].as_str().expect("id").to_string();
            record.lock().expect("record").push(Created {
                id,
                sent,
                answered: Instant::now(),
            });
            i += 1;
        }
    });
    (created, task)
}

fn snapshot(created: &Mutex<Vec<Created>>) -> Vec<Created> {
    created.lock().expect("record").clone()
}

/// The number the backup's report prints before ` {what}`.
fn printed(report: &str, what: &str) -> usize {
    report
        .split(&format!(" {what}"))
        .next()
        .and_then(|head| head.rsplit([' ', ';', ',', '(']).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count of {what} in {report}"))
}

#[cfg(unix)]
fn mode(file: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(file)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backup_under_write_load_restores_into_a_working_server() {
    plugboard_runtime::install_crypto_provider();
    let upstream = TestApi::start(AuthCheck::header("X-Api-Key", "k-backed-up"))
        .await
        .expect("test api");
    let dir = tempfile::tempdir().expect("temp dir");
    let (data, restored, out) = (
        dir.path().join("data"),
        dir.path().join("restored"),
        dir.path().join("backups"),
    );
    std::fs::create_dir_all(&out).expect("backups dir");
    let http = reqwest::Client::new();

    let mut server = start_serve(&data);
    let lines = server.wait_serving();
    let admin = lines
        .iter()
        .find(|l| l.starts_with("pbt_"))
        .unwrap_or_else(|| panic!("no admin token in {lines:?}"))
        .clone();
    let base = server.base.clone();
    let (_, me) = call(&http, &base, &admin, "GET", "/v1/me", Value::Null).await;
    let root = me["user"]["organization_id"]
        .as_str()
        .expect("org")
        .to_string();

    // An installation with a sealed API key, for a customer organization.
    let (status, customer) = call(
        &http,
        &base,
        &admin,
        "POST",
        "/v1/organizations",
        json!({"name": "Customer A"}),
    )
    .await;
    assert_eq!(status, 201, "{customer}");
    let customer = customer["id"].as_str().expect("id").to_string();
    let definition = json!({
        "definition_version": 1, "name": "Items", "description": "Keyed items",
        "hostname": upstream.host(), "scheme": "http",
        "auth": {"type": "api_key", "api_key_header_name": "X-Api-Key"},
        "actions": [{"id": "list", "name": "List", "method": "GET", "path": "/page/items"}]
    });
    let integrations = format!("/v1/organizations/{root}/integrations");
    let (status, integration) = call(&http, &base, &admin, "POST", &integrations, definition).await;
    assert_eq!(status, 201, "{integration}");
    let integration = integration["id"].as_str().expect("id").to_string();
    let (status, finalized) = call(
        &http,
        &base,
        &admin,
        "POST",
        &format!("/v1/integrations/{integration}/finalize"),
        json!({"status": "published"}),
    )
    .await;
    assert_eq!(status, 201, "{finalized}");
    let (status, installation) = call(
        &http,
        &base,
        &admin,
        "POST",
        &format!("/v1/organizations/{customer}/installations"),
        json!({"integration_id": integration, "credentials": {"api_key": "k-backed-up"}}),
    )
    .await;
    assert_eq!(status, 201, "{installation}");
    let installation = installation["id"].as_str().expect("id").to_string();
    let invoke = format!("/v1/installations/{installation}/actions/list/invoke");
    let (status, result) = call(&http, &base, &admin, "POST", &invoke, json!({})).await;
    assert_eq!(status, 200, "{result}");

    // Writers: organizations and draft integrations, as fast as the server takes them.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (orgs, org_writer) = writer(
        http.clone(),
        base.clone(),
        admin.clone(),
        "/v1/organizations".into(),
        |i| json!({"name": format!("Load {i}")}),
        stop.clone(),
    );
    let (drafts, draft_writer) = writer(
        http.clone(),
        base.clone(),
        admin.clone(),
        integrations.clone(),
        |i| {
            json!({
                "definition_version": 1, "name": format!("Draft {i}"), "description": "Load",
                "hostname": "api.example.com",
                "actions": [{"id": "get", "name": "Get", "method": "GET", "path": "/x"}]
            })
        },
        stop.clone(),
    );
    while snapshot(&orgs).len() < 30 || snapshot(&drafts).len() < 30 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // The backup, while the writers go on.
    let file = out.join("plugboard-backup.db");
    let started = Instant::now();
    let args = [
        "--data-dir".to_string(),
        path(&data).to_string(),
        "-o".to_string(),
        path(&file).to_string(),
        "--with-key".to_string(),
    ];
    let (ok, report) = tokio::task::spawn_blocking(move || {
        backup(&args.iter().map(String::as_str).collect::<Vec<_>>())
    })
    .await
    .expect("backup thread");
    let ended = Instant::now();
    assert!(ok, "{report}");
    // Writes landed while it ran.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let during = snapshot(&orgs)
        .iter()
        .filter(|c| c.answered > started && c.sent < ended)
        .count();
    assert!(during > 0, "no write landed during the backup");
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    org_writer.await.expect("org writer");
    draft_writer.await.expect("draft writer");
    assert!(report.contains("consistent snapshot"), "{report}");
    let key_copy = out.join("plugboard-backup.db.secret.key");
    assert!(report.contains(path(&key_copy)), "{report}");
    assert_eq!(
        std::fs::read_to_string(&key_copy).expect("key copy").trim(),
        std::fs::read_to_string(data.join("secret.key"))
            .expect("key")
            .trim()
    );
    #[cfg(unix)]
    assert_eq!(mode(&key_copy), 0o600);

    // Refusals: an existing output (left as it was), an existing key copy, PostgreSQL, a data
    // directory without a database.
    let before = std::fs::read(&file).expect("backup");
    let (ok, err) = backup(&["--data-dir", path(&data), "-o", path(&file)]);
    assert!(!ok && err.contains("-o") && err.contains("exists"), "{err}");
    assert_eq!(std::fs::read(&file).expect("backup"), before);
    let other = out.join("other.db");
    std::fs::write(out.join("other.db.secret.key"), "x").expect("write");
    let (ok, err) = backup(&["--data-dir", path(&data), "-o", path(&other), "--with-key"]);
    assert!(
        !ok && err.contains("--with-key") && err.contains("exists"),
        "{err}"
    );
    assert!(!other.exists(), "nothing is written when the key cannot be");
    let (ok, err) = backup(&[
        "--database",
        "postgres://plugboard:secret@db/plugboard",
        "-o",
        path(&other),
    ]);
    assert!(
        !ok && err.contains("pg_dump") && err.contains("PLUGBOARD_SECRET_KEY"),
        "{err}"
    );
    assert!(!err.contains("secret@"), "{err}");
    let (ok, err) = backup(&["--data-dir", path(&out), "-o", path(&other)]);
    assert!(
        !ok && err.contains("--data-dir") && err.contains("no plugboard.db"),
        "{err}"
    );
    // Without --with-key: where the key is, and that it must travel with the backup.
    let (ok, err) = backup(&["--data-dir", path(&data), "-o", path(&other)]);
    assert!(ok, "{err}");
    assert!(
        err.contains(path(&data.join("secret.key"))) && err.contains("--with-key"),
        "{err}"
    );
    // The server prefers env PLUGBOARD_SECRET_KEY to the file, and so does the backup.
    let env_key = plugboard_store::Sealer::generate_key().expect("key");
    let (ok, err) = backup_with_key(
        &["--data-dir", path(&data), "-o", path(&out.join("third.db"))],
        Some(&env_key),
    );
    assert!(
        ok && err.contains("sealed with the key in PLUGBOARD_SECRET_KEY"),
        "{err}"
    );
    let (ok, err) = backup_with_key(
        &[
            "--data-dir",
            path(&data),
            "-o",
            path(&out.join("fourth.db")),
            "--with-key",
        ],
        Some(&env_key),
    );
    assert!(ok, "{err}");
    assert_eq!(
        std::fs::read_to_string(out.join("fourth.db.secret.key")).expect("key copy"),
        env_key
    );
    let (ok, err) = backup_with_key(
        &["--data-dir", path(&data), "-o", path(&out.join("fifth.db"))],
        Some("not a key"),
    );
    assert!(!ok && err.contains("PLUGBOARD_SECRET_KEY"), "{err}");

    server.child.kill().expect("stop the first server");
    let _ = server.child.wait();

    // Restore: the backup as plugboard.db and its key as secret.key in a new data directory.
    std::fs::create_dir_all(&restored).expect("restored dir");
    std::fs::copy(&file, restored.join("plugboard.db")).expect("restore the database");
    std::fs::copy(&key_copy, restored.join("secret.key")).expect("restore the key");
    let mut second = start_serve(&restored);
    let lines = second.wait_serving();
    assert!(
        !lines.iter().any(|l| l.starts_with("pbt_")),
        "the restored database is not a new one: {lines:?}"
    );
    let base = second.base.clone();

    // Everything answered before the backup started is there; nothing sent after it ended.
    let listed = all_ids(&http, &base, &admin, "/v1/organizations", "organizations").await;
    let drafts_listed = all_ids(&http, &base, &admin, &integrations, "integrations").await;
    for (what, created, listed) in [
        ("organization", snapshot(&orgs), &listed),
        ("integration", snapshot(&drafts), &drafts_listed),
    ] {
        for c in &created {
            if c.answered < started {
                assert!(listed.contains(&c.id), "{what} {} is missing", c.id);
            }
            if c.sent > ended {
                assert!(!listed.contains(&c.id), "{what} {} is from after", c.id);
            }
        }
    }
    // The counts the backup printed are what the restored server lists (the root, the
    // customer and the load organizations; the keyed integration and the drafts).
    assert_eq!(printed(&report, "organizations"), listed.len(), "{report}");
    assert_eq!(
        printed(&report, "integrations"),
        drafts_listed.len(),
        "{report}"
    );
    assert_eq!(printed(&report, "installations"), 1, "{report}");
    assert!(listed.contains(&customer) && drafts_listed.contains(&integration));

    // The installation invokes the API with its credentials, opened with the restored key.
    let hits = upstream.hits("/page");
    let (status, result) = call(&http, &base, &admin, "POST", &invoke, json!({})).await;
    assert_eq!(status, 200, "{result}");
    assert_eq!(
        result["output"]["items"].as_array().map(Vec::len),
        Some(10),
        "{result}"
    );
    assert_eq!(upstream.hits("/page"), hits + 1);
    let sent = upstream.last_request("/page").expect("a request");
    assert_eq!(sent.header("x-api-key"), Some("k-backed-up"));

    // And the restored server takes writes.
    let (status, _) = call(
        &http,
        &base,
        &admin,
        "POST",
        "/v1/organizations",
        json!({"name": "After restore"}),
    )
    .await;
    assert_eq!(status, 201);
    second.child.kill().expect("stop the second server");
    let _ = second.child.wait();
}
