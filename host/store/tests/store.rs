//! The store on both backends: an SQLite file and a PostgreSQL server started by the test.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use plugboard_store::{ConfigurationChange, Error, Page, PageRequest, Role, Sealer, Status, Store};
use serde_json::json;

/// Every item of a list, walked one page of `limit` at a time by its cursors.
async fn walk<T, F, Fut>(limit: u32, mut list: F) -> Vec<T>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: std::future::Future<Output = plugboard_store::Result<Page<T>>>,
{
    let mut out = Vec::new();
    let mut request = PageRequest { after: None, limit };
    for _ in 0..100 {
        let page = list(request.clone()).await.unwrap();
        assert!(page.items.len() <= limit as usize);
        out.extend(page.items);
        match page.next {
            Some(next) => {
                // Opaque to callers: it goes out as text and comes back.
                let text = next.encode();
                request.after = Some(plugboard_store::Cursor::parse(&text).unwrap());
            }
            None => return out,
        }
    }
    panic!("the cursors never ended");
}

async fn exercise(store: &Store) {
    // Organizations: a tree.
    assert!(store.is_empty().await.unwrap());
    let root = store
        .create_organization("Root MSP", None, true)
        .await
        .unwrap();
    let child = store
        .create_organization("Customer A", Some(&root.id), false)
        .await
        .unwrap();
    let grandchild = store
        .create_organization("A / Branch", Some(&child.id), false)
        .await
        .unwrap();
    let other = store
        .create_organization("Other MSP", None, false)
        .await
        .unwrap();
    assert!(!store.is_empty().await.unwrap());
    let subtree: Vec<String> = store
        .subtree(&root.id)
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.id)
        .collect();
    assert_eq!(
        subtree,
        vec![root.id.clone(), child.id.clone(), grandchild.id.clone()]
    );
    let id = root.id.as_str();
    let paged: Vec<String> = walk(1, |page| async move { store.subtree_page(id, &page).await })
        .await
        .into_iter()
        .map(|o| o.id)
        .collect();
    assert_eq!(paged, subtree, "pages of one give the same order");
    assert!(store.is_within(&grandchild.id, &root.id).await.unwrap());
    assert!(!store.is_within(&root.id, &child.id).await.unwrap());
    assert!(!store.is_within(&other.id, &root.id).await.unwrap());
    assert!(matches!(
        store
            .create_organization("x", Some("org_missing"), false)
            .await,
        Err(Error::NotFound(_))
    ));
    let switched = store
        .set_custom_integrations(&child.id, true)
        .await
        .unwrap();
    assert!(switched.custom_integrations.0);

    // Users and tokens.
    let (admin, token) = store
        .create_user(&root.id, "Ada", Role::Admin)
        .await
        .unwrap();
    assert_eq!(
        store.user_by_token(&token).await.unwrap(),
        Some(admin.clone())
    );
    assert_eq!(store.user_by_token("pbt_wrong").await.unwrap(), None);

    // Integrations: draft -> finalized versions, never back to draft.
    let definition = json!({"name": "Items", "actions": [{"id": "a"}]});
    let integration = store
        .create_integration(&root.id, "Items", &definition)
        .await
        .unwrap();
    assert_eq!(integration.status, Status::Draft);
    let edited = json!({"name": "Items", "actions": [{"id": "a"}, {"id": "b"}]});
    store
        .update_draft(&integration.id, "Items", &edited)
        .await
        .unwrap();
    assert!(matches!(
        store.set_status(&integration.id, Status::Published).await,
        Err(Error::Conflict(_))
    ));
    let report = json!({"added": ["a", "b"]});
    let new = |status| plugboard_store::NewVersion {
        name: "Items",
        definition: &edited,
        component: b"\0asm-one",
        bundle_hash: "hash-1",
        manifest_digest: "digest-1",
        status,
        change_report: &report,
    };
    let v1 = store
        .finalize(&integration.id, 0, &new(Status::Published))
        .await
        .unwrap();
    assert_eq!(v1.version, 1);
    assert!(matches!(
        store
            .update_draft(&integration.id, "Items", &definition)
            .await,
        Err(Error::Conflict(_))
    ));
    // A finalize against a stale version is a conflict, not a second version 2.
    assert!(matches!(
        store
            .finalize(&integration.id, 0, &new(Status::Hidden))
            .await,
        Err(Error::Conflict(_))
    ));
    let v2 = store
        .finalize(&integration.id, 1, &new(Status::Hidden))
        .await
        .unwrap();
    assert_eq!(v2.version, 2);
    let current = store.integration(&integration.id).await.unwrap();
    assert_eq!(
        (current.status, current.current_version),
        (Status::Hidden, Some(2))
    );
    assert!(matches!(
        store.set_status(&integration.id, Status::Draft).await,
        Err(Error::Invalid(_))
    ));
    store
        .set_status(&integration.id, Status::Published)
        .await
        .unwrap();
    let (version, stored_definition) = store.version(&integration.id, 1).await.unwrap();
    assert_eq!(version.change_report, json!({"added": ["a", "b"]}));
    assert_eq!(version.manifest_digest.as_deref(), Some("digest-1"));
    assert_eq!(stored_definition, edited);
    assert_eq!(store.bundle("hash-1").await.unwrap(), b"\0asm-one");
    let listed = store
        .integrations(&root.id, &PageRequest::default())
        .await
        .unwrap();
    assert_eq!(listed.items.len(), 1);
    assert_eq!(listed.next, None);
    let summary = &listed.items[0];
    assert_eq!(
        (
            summary.action_count,
            summary.auth_type.as_str(),
            summary.has_icon
        ),
        (2, "none", false),
        "the summary follows the finalized definition"
    );
    // Created in the same second: the id breaks the tie, so no page repeats or skips one.
    let mut made = Vec::new();
    for name in ["C", "A", "B"] {
        let definition = json!({"name": name, "description": format!("about {name}"),
            "icon": "<svg/>", "auth": {"type": "api_key"}, "actions": []});
        let created = store
            .create_integration(&other.id, name, &definition)
            .await
            .unwrap();
        made.push(created.id);
    }
    let id = other.id.as_str();
    let paged = walk(2, |page| async move { store.integrations(id, &page).await }).await;
    let ids: Vec<&str> = paged.iter().map(|i| i.id.as_str()).collect();
    let mut expected: Vec<&str> = made.iter().map(String::as_str).collect();
    expected.sort_by_key(|id| {
        let i = paged.iter().find(|i| i.id == *id).unwrap();
        (i.created_at, i.id.clone())
    });
    assert_eq!(ids, expected);
    assert_eq!(
        (
            paged[0].description.starts_with("about"),
            paged[0].has_icon,
            paged[0].auth_type.as_str()
        ),
        (true, true, "api_key")
    );
    let id = grandchild.id.as_str();
    let installable = walk(1, |page| async move { store.installable(id, &page).await }).await;
    assert_eq!(installable.len(), 1, "the published one above");
    let from_integrations = PageRequest {
        after: Some(
            store
                .integrations(
                    &other.id,
                    &PageRequest {
                        after: None,
                        limit: 1,
                    },
                )
                .await
                .unwrap()
                .next
                .unwrap(),
        ),
        limit: 1,
    };
    assert!(
        matches!(
            store.installable(&root.id, &from_integrations).await,
            Err(Error::Paging {
                parameter: "cursor",
                ..
            })
        ),
        "a cursor of another list is refused"
    );

    // Installations with sealed credentials and named configurations.
    let sealer = Sealer::new(&[5u8; 32]);
    let credentials = BTreeMap::from([("api_key".to_string(), "k-secret-1".to_string())]);
    let config = serde_json::Map::from_iter([("region".to_string(), json!("eu"))]);
    let installation = store
        .install(
            &child.id,
            &integration.id,
            "default",
            &ConfigurationChange {
                config: &config,
                auth: None,
                credentials: Some(&credentials),
                default: true,
            },
            &sealer,
        )
        .await
        .unwrap();
    let opened = store
        .configuration(&installation.id, None, &sealer)
        .await
        .unwrap();
    assert_eq!(opened.credentials, credentials);
    assert_eq!(opened.config["region"], "eu");
    assert!(!format!("{opened:?}").contains("k-secret-1"));
    assert!(matches!(
        store
            .configuration(&installation.id, None, &Sealer::new(&[6u8; 32]))
            .await,
        Err(Error::Seal(_))
    ));
    let staging = BTreeMap::from([("api_key".to_string(), "k-staging".to_string())]);
    let updated = store
        .set_configuration(
            &installation.id,
            "staging",
            &ConfigurationChange {
                config: &serde_json::Map::new(),
                auth: None,
                credentials: Some(&staging),
                default: true,
            },
            &sealer,
        )
        .await
        .unwrap();
    assert_eq!(updated.configurations, vec!["staging", "default"]);
    let default = store
        .configuration(&installation.id, None, &sealer)
        .await
        .unwrap();
    assert_eq!(default.name, "staging");
    // Replacing the default without `default` keeps it the default, and absent credentials
    // keep the stored ones (under a new config).
    let region = serde_json::Map::from_iter([("region".to_string(), json!("us"))]);
    store
        .set_configuration(
            &installation.id,
            "staging",
            &ConfigurationChange {
                config: &region,
                auth: None,
                credentials: None,
                default: false,
            },
            &sealer,
        )
        .await
        .unwrap();
    let default = store
        .configuration(&installation.id, None, &sealer)
        .await
        .unwrap();
    assert_eq!(
        (default.name.as_str(), &default.credentials),
        ("staging", &staging)
    );
    assert_eq!(default.config["region"], "us");
    assert!(matches!(
        store
            .set_configuration(
                &installation.id,
                "bad name!",
                &ConfigurationChange {
                    config: &serde_json::Map::new(),
                    auth: None,
                    credentials: Some(&staging),
                    default: false,
                },
                &sealer
            )
            .await,
        Err(Error::Invalid(_))
    ));
    let page = PageRequest::default();
    let listed = store.installations(&child.id, &page).await.unwrap().items;
    let one = store.installation(&installation.id).await.unwrap();
    assert!(one.configurations.len() > 1, "{one:?}");
    assert_eq!(listed, [one], "a list shows what one read shows");
    assert!(
        store
            .installations(&other.id, &page)
            .await
            .unwrap()
            .items
            .is_empty()
    );
    assert_eq!(store.installation_count(&integration.id).await.unwrap(), 1);

    // The audit log.
    store
        .audit(
            Some(&root.id),
            Some(&admin.id),
            "integration.finalize",
            &integration.id,
            "version 2",
        )
        .await
        .unwrap();
    store
        .audit(
            Some(&root.id),
            Some(&admin.id),
            "invoke",
            &integration.id,
            "ok",
        )
        .await
        .unwrap();
    let id = root.id.as_str();
    let log = walk(1, |page| async move {
        store
            .audit_log(id, &plugboard_store::AuditFilter::default(), &page)
            .await
    })
    .await;
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["invoke", "integration.finalize"], "newest first");
    // Filters, on SQLite and PostgreSQL alike.
    let filtered = |filter: plugboard_store::AuditFilter| async move {
        let page = store
            .audit_log(id, &filter, &plugboard_store::PageRequest::default())
            .await
            .unwrap();
        page.items.into_iter().map(|e| e.action).collect::<Vec<_>>()
    };
    let by_action = |action: &str| plugboard_store::AuditFilter {
        action: Some(action.into()),
        ..Default::default()
    };
    assert_eq!(
        filtered(by_action("integration")).await,
        ["integration.finalize"]
    );
    assert_eq!(filtered(by_action("invoke")).await, ["invoke"]);
    assert!(filtered(by_action("integration.fin")).await.is_empty());
    assert!(
        filtered(by_action("_nvoke")).await.is_empty(),
        "no LIKE wildcards"
    );
    let by_user = plugboard_store::AuditFilter {
        user_id: Some(admin.id.clone()),
        target: Some(integration.id[..8].to_string()),
        ..Default::default()
    };
    assert_eq!(filtered(by_user).await, ["invoke", "integration.finalize"]);
    let future = plugboard_store::AuditFilter {
        since: Some(i64::MAX / 2),
        ..Default::default()
    };
    assert!(filtered(future).await.is_empty());
    let past = plugboard_store::AuditFilter {
        until: Some(0),
        ..Default::default()
    };
    assert!(filtered(past).await.is_empty());
}

#[tokio::test]
async fn sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("plugboard.db").display());
    let store = Store::open(&url).await.unwrap();
    exercise(&store).await;
    drop(store);
    // Reopening applies no migration twice and keeps the data.
    let again = Store::open(&url).await.unwrap();
    assert!(!again.is_empty().await.unwrap());
}

#[tokio::test]
async fn postgres_server() {
    let server = plugboard_tests::postgres::Postgres::start();
    let store = Store::open(server.url()).await.unwrap();
    exercise(&store).await;
}

#[tokio::test]
async fn bad_urls_are_clear_errors() {
    let error = Store::open("mysql://root:pw@db/x")
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("neither sqlite: nor postgres://"), "{error}");
    assert!(!error.contains("pw@"), "{error}");
}

/// What the store writes it can read back: a definition nested deeper than JSON readers take is
/// refused before the write; a row written before that check (unreadable) is listed with its
/// error instead of failing the whole list.
#[tokio::test]
async fn what_is_stored_reads_back_and_one_bad_row_fails_no_list() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("plugboard.db").display());
    let store = Store::open(&url).await.unwrap();
    let org = store.create_organization("Root", None, true).await.unwrap();
    let mut deep = json!("leaf");
    for _ in 0..200 {
        deep = json!({"nested": deep});
    }
    let refused = store
        .create_integration(&org.id, "Deep", &json!({"schema": deep}))
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, Error::Invalid(m) if m.contains("would not read back")),
        "{refused}"
    );
    let fine = store
        .create_integration(&org.id, "Fine", &json!({"name": "Fine"}))
        .await
        .unwrap();
    let broken = store
        .create_integration(&org.id, "Broken", &json!({"name": "Broken"}))
        .await
        .unwrap();
    // A row as an older build could have written it.
    let text = format!("{}\"leaf\"{}", "[".repeat(200), "]".repeat(200));
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    sqlx::query("UPDATE integrations SET definition = ?1 WHERE id = ?2")
        .bind(text)
        .bind(&broken.id)
        .execute(&pool)
        .await
        .unwrap();
    let listed = store
        .integrations(&org.id, &PageRequest::default())
        .await
        .unwrap();
    assert_eq!(listed.items.len(), 2, "a list reads no definition");
    let unreadable = store.integration(&broken.id).await.unwrap();
    assert!(unreadable.definition.is_null());
    assert!(unreadable.definition_error.is_some());
    let readable = store.integration(&fine.id).await.unwrap();
    assert_eq!(readable.definition["name"], "Fine");
}

/// The summary columns of integrations stored before they existed are filled by the migration
/// that adds them: its backfill, run again over rows whose columns were reset, gives what a
/// write gives (a definition and an uploaded bundle's manifest alike).
async fn backfill(store: &Store, url: &str, migration: &str) {
    let org = store.create_organization("Root", None, true).await.unwrap();
    let definition = json!({"name": "Hand", "description": "by hand", "icon": "<svg/>",
        "auth": {"type": "basic"}, "actions": [{"id": "a"}, {"id": "b"}]});
    let bundle = json!({"kind": "bundle", "signer": "k", "manifest": {"header": {"name": "Up",
        "description": "uploaded", "auth": {"type": "oauth2"}}, "actions": [{"id": "x"}]}});
    for (name, definition) in [("Hand", &definition), ("Up", &bundle)] {
        store
            .create_integration(&org.id, name, definition)
            .await
            .unwrap();
    }
    let written = store
        .integrations(&org.id, &PageRequest::default())
        .await
        .unwrap()
        .items;
    let update = migration
        .split(';')
        .find(|statement| statement.contains("UPDATE integrations"))
        .unwrap();
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(url).await.unwrap();
    sqlx::query(
        "UPDATE integrations SET description = '', action_count = 0, auth_type = 'none', \
         has_icon = 0",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(update).execute(&pool).await.unwrap();
    let filled = store
        .integrations(&org.id, &PageRequest::default())
        .await
        .unwrap()
        .items;
    assert_eq!(filled, written);
    let mut facts: Vec<_> = filled
        .iter()
        .map(|i| {
            (
                i.name.as_str(),
                i.action_count,
                i.auth_type.as_str(),
                i.has_icon,
            )
        })
        .collect();
    facts.sort();
    assert_eq!(
        facts,
        [("Hand", 2, "basic", true), ("Up", 1, "oauth2", false)]
    );
}

#[tokio::test]
async fn summaries_of_older_rows_are_filled_by_the_migration() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("plugboard.db").display());
    let store = Store::open(&url).await.unwrap();
    let migration = include_str!("../migrations/sqlite/0005_list_summaries.sql");
    backfill(&store, &url, migration).await;
    let server = plugboard_tests::postgres::Postgres::start();
    let store = Store::open(server.url()).await.unwrap();
    let migration = include_str!("../migrations/postgres/0005_list_summaries.sql");
    backfill(&store, server.url(), migration).await;
}

/// Audit entries are queued and written by a writer task in batches; a clean close writes every
/// one queued before it, from however many writers.
async fn a_clean_close_writes_every_queued_audit_entry(url: &str) {
    let store = Store::open(url).await.unwrap();
    let (root, admin, _) = store.bootstrap().await.unwrap().expect("a new database");
    let writers = (0..8).map(|writer| {
        let (store, root, admin) = (store.clone(), root.id.clone(), admin.id.clone());
        tokio::spawn(async move {
            for call in 0..625 {
                store
                    .audit(
                        Some(&root),
                        Some(&admin),
                        "invoke",
                        &format!("{writer}/{call}"),
                        "ok",
                    )
                    .await
                    .unwrap();
            }
        })
    });
    for writer in writers {
        writer.await.unwrap();
    }
    store.close().await;
    let again = Store::open(url).await.unwrap();
    let id = root.id.as_str();
    let again = &again;
    let invokes = plugboard_store::AuditFilter {
        action: Some("invoke".into()),
        ..Default::default()
    };
    let invokes = &invokes;
    let log = walk(1_000, |page| async move {
        again.audit_log(id, invokes, &page).await
    })
    .await;
    assert_eq!(log.len(), 8 * 625);
    let mut targets: Vec<&str> = log.iter().map(|e| e.target.as_str()).collect();
    targets.sort_unstable();
    targets.dedup();
    assert_eq!(targets.len(), 8 * 625, "every entry once");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_clean_close_writes_every_queued_audit_entry_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("plugboard.db").display());
    a_clean_close_writes_every_queued_audit_entry(&url).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_clean_close_writes_every_queued_audit_entry_on_postgres() {
    let server = plugboard_tests::postgres::Postgres::start();
    a_clean_close_writes_every_queued_audit_entry(server.url()).await;
}
