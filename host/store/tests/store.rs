//! The store on both backends: an SQLite file and a PostgreSQL server started by the test.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use plugboard_store::{ConfigurationChange, Error, Role, Sealer, Status, Store};
use serde_json::json;

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
    assert_eq!(store.integrations(&root.id).await.unwrap().len(), 1);

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
    assert_eq!(store.installations(&child.id).await.unwrap().len(), 1);
    assert!(store.installations(&other.id).await.unwrap().is_empty());
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
    let log = store.audit_log(&root.id, 10).await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].action, "integration.finalize");
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
    let listed = store.integrations(&org.id).await.unwrap();
    assert_eq!(listed.len(), 2);
    let unreadable = listed.iter().find(|i| i.id == broken.id).unwrap();
    assert!(unreadable.definition.is_null());
    assert!(unreadable.definition_error.is_some());
    let readable = listed.iter().find(|i| i.id == fine.id).unwrap();
    assert_eq!(readable.definition["name"], "Fine");
}
