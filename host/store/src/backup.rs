//! Backups of the embedded (SQLite) database while a server writes to it.
//!
//! Copying `plugboard.db` is not a backup: in WAL mode the newest commits live in
//! `plugboard.db-wal` until a checkpoint moves them, and a copy taken mid-checkpoint is torn.
//! [`backup`] runs `VACUUM INTO`, which reads the database inside one read transaction (a
//! consistent snapshot that writers never block and never see) and writes a compact copy. The
//! source is only read, never created and never migrated: a newer `plugboard` must not change
//! the schema under an older running server. PostgreSQL is backed up with its own tools.

use std::path::{Path, PathBuf};

use sqlx::any::install_default_drivers;
use sqlx::{AnyConnection, Connection as _, Row as _};

use crate::{Error, Result, random_bytes, redact_url};

/// What [`backup`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backup {
    /// The backup file.
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// The newest migration applied to the copied database: a restore needs a `plugboard`
    /// that knows it (an older one refuses to start on it).
    pub schema_version: i64,
    /// Organizations in the copy.
    pub organizations: i64,
    /// Integrations in the copy.
    pub integrations: i64,
    /// Installations in the copy.
    pub installations: i64,
}

/// Copies the SQLite database at `database_url` into the new file `output`, consistently while
/// a server runs on it. The copy is a plain SQLite file (rollback journal, checked with
/// `PRAGMA quick_check`, readable by its owner only) that is restored by putting it in place of
/// `plugboard.db`.
///
/// `output` must not exist: a backup never overwrites a file. The copy is written under a
/// temporary name beside `output` and linked into place only when complete, so an interrupted
/// backup leaves no file that looks like a backup.
pub async fn backup(database_url: &str, output: &Path) -> Result<Backup> {
    if database_url.starts_with("postgres://") || database_url.starts_with("postgresql://") {
        return Err(Error::Backup(
            "a PostgreSQL database is backed up with pg_dump and restored with pg_restore".into(),
        ));
    }
    if !database_url.starts_with("sqlite:") {
        return Err(Error::Invalid(format!(
            "database URL `{}` is neither sqlite: nor postgres://",
            redact_url(database_url)
        )));
    }
    if database_url.contains(":memory:") {
        return Err(Error::Backup(
            "an in-memory database ends with its process; there is nothing to back up".into(),
        ));
    }
    if output.symlink_metadata().is_ok() {
        return Err(Error::Backup(format!(
            "{} exists; a backup never overwrites a file",
            output.display()
        )));
    }
    let (dir, name) = match (output.parent(), output.file_name()) {
        (Some(dir), Some(name)) => (
            if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            },
            name.to_string_lossy(),
        ),
        _ => {
            return Err(Error::Backup(format!(
                "{} is not a file name",
                output.display()
            )));
        }
    };
    if !dir.is_dir() {
        return Err(Error::Backup(format!(
            "{}: no such directory",
            dir.display()
        )));
    }
    let partial = dir.join(format!(
        ".{name}.{}.partial",
        hex::encode(random_bytes::<6>()?)
    ));
    let result = write_copy(database_url, &partial).await;
    let result = match result {
        Ok(counts) => put_in_place(&partial, output).map(|bytes| Backup {
            path: output.to_path_buf(),
            bytes,
            ..counts
        }),
        Err(error) => Err(error),
    };
    // Whatever happened, the temporary name goes (it is a second link after success).
    let _ = std::fs::remove_file(&partial);
    result
}

/// `VACUUM INTO partial`, then checks the copy and reads its counts.
async fn write_copy(database_url: &str, partial: &Path) -> Result<Backup> {
    install_default_drivers();
    let target = partial.to_str().ok_or_else(|| {
        Error::Backup(format!(
            "{} is not valid UTF-8; choose another output path",
            partial.display()
        ))
    })?;
    // Read-write though only read: on a stopped database a read-only connection would leave a
    // WAL index (`-shm`) behind, owned by whoever ran the backup, which can stop the server
    // from writing; the last read-write connection to close removes it.
    let source_url = with_mode(database_url, "rw");
    let mut source = AnyConnection::connect(&source_url).await.map_err(|e| {
        Error::Backup(format!(
            "cannot open the database {}: {e}",
            redact_url(database_url)
        ))
    })?;
    sqlx::query("PRAGMA busy_timeout = 10000")
        .execute(&mut source)
        .await?;
    sqlx::query("VACUUM INTO $1")
        .bind(target)
        .execute(&mut source)
        .await
        .map_err(|e| Error::Backup(format!("copying {} failed: {e}", redact_url(database_url))))?;
    source.close().await?;

    let mut copy = AnyConnection::connect(&format!("sqlite://{target}?mode=rw")).await?;
    // One self-contained file, whatever the source's journal mode (the server turns WAL back
    // on when it opens the restored file).
    sqlx::query("PRAGMA journal_mode = DELETE")
        .execute(&mut copy)
        .await?;
    let check: String = sqlx::query("PRAGMA quick_check")
        .fetch_one(&mut copy)
        .await?
        .try_get(0)?;
    if check != "ok" {
        return Err(Error::Backup(format!("the copy fails its check: {check}")));
    }
    let version = sqlx::query("SELECT MAX(version) AS v FROM _sqlx_migrations WHERE success")
        .fetch_one(&mut copy)
        .await
        .ok()
        .and_then(|row| row.try_get::<Option<i64>, _>("v").ok().flatten())
        .ok_or_else(|| {
            Error::Backup(format!(
                "{} is not a Plugboard database (no migrations applied)",
                redact_url(database_url)
            ))
        })?;
    let counts = sqlx::query(
        "SELECT (SELECT COUNT(*) FROM organizations) AS o, \
         (SELECT COUNT(*) FROM integrations) AS i, (SELECT COUNT(*) FROM installations) AS n",
    )
    .fetch_one(&mut copy)
    .await?;
    let backup = Backup {
        path: partial.to_path_buf(),
        bytes: 0,
        schema_version: version,
        organizations: counts.try_get("o")?,
        integrations: counts.try_get("i")?,
        installations: counts.try_get("n")?,
    };
    copy.close().await?;
    // Owner-only, like a key: the copy holds sealed credentials and API token hashes.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(partial, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| Error::Backup(format!("cannot restrict {}: {e}", partial.display())))?;
    }
    std::fs::File::open(partial)
        .and_then(|file| file.sync_all())
        .map_err(|e| Error::Backup(format!("cannot sync {}: {e}", partial.display())))?;
    Ok(backup)
}

/// Links the complete copy at `output` (failing, never replacing, when something appeared
/// there meanwhile); returns its size.
fn put_in_place(partial: &Path, output: &Path) -> Result<u64> {
    let exists = || {
        Error::Backup(format!(
            "{} exists; a backup never overwrites a file",
            output.display()
        ))
    };
    match std::fs::hard_link(partial, output) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Err(exists()),
        // A file system without hard links: a rename, after checking again.
        Err(_) if output.symlink_metadata().is_ok() => return Err(exists()),
        Err(_) => std::fs::rename(partial, output)
            .map_err(|e| Error::Backup(format!("cannot write {}: {e}", output.display())))?,
    }
    if let Some(dir) = output.parent().filter(|d| !d.as_os_str().is_empty()) {
        // Make the new name durable too (best effort: not every platform syncs directories).
        let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
    }
    std::fs::metadata(output)
        .map(|m| m.len())
        .map_err(|e| Error::Backup(format!("cannot read {}: {e}", output.display())))
}

/// `url` with SQLite's open `mode` (unless it names one already).
fn with_mode(url: &str, mode: &str) -> String {
    if url.contains("mode=") {
        return url.to_string();
    }
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}mode={mode}")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::Store;

    /// A store with data, some of it still only in the WAL file (the pool stays open).
    async fn store_with_data(dir: &Path) -> (Store, String) {
        let url = format!("sqlite://{}", dir.join("plugboard.db").display());
        let store = Store::open(&url).await.unwrap();
        let root = store.create_organization("Root", None, true).await.unwrap();
        for i in 0..20 {
            store
                .create_organization(&format!("Customer {i}"), Some(&root.id), false)
                .await
                .unwrap();
        }
        (store, url)
    }

    #[tokio::test]
    async fn copies_what_is_only_in_the_wal_and_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let (store, url) = store_with_data(dir.path()).await;
        // What a plain copy of plugboard.db would hold: not the commits still in the WAL.
        let plain = dir.path().join("plain-copy.db");
        std::fs::copy(dir.path().join("plugboard.db"), &plain).unwrap();
        let mut conn = AnyConnection::connect(&format!("sqlite://{}", plain.display()))
            .await
            .unwrap();
        let in_plain_copy = sqlx::query("SELECT COUNT(*) AS n FROM organizations")
            .fetch_one(&mut conn)
            .await
            .map_or(0, |row| row.get::<i64, _>("n"));
        conn.close().await.unwrap();
        assert!(in_plain_copy < 21, "{in_plain_copy}");
        let output = dir.path().join("backup.db");
        let backup = backup(&url, &output).await.unwrap();
        assert_eq!(backup.organizations, 21);
        assert_eq!(backup.integrations, 0);
        assert!(backup.schema_version >= 7, "{backup:?}");
        assert_eq!(backup.bytes, std::fs::metadata(&output).unwrap().len());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&output).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // Only the backup is left beside it: no temporary file, no journal.
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("backup") || n.ends_with(".partial"))
            .collect();
        names.sort();
        assert_eq!(names, ["backup.db"]);

        // The copy opens as a store and holds everything.
        let restored = Store::open(&format!("sqlite://{}", output.display()))
            .await
            .unwrap();
        assert!(!restored.is_empty().await.unwrap());
        drop(restored);

        // Never over an existing file, and the existing file is untouched.
        let before = std::fs::read(&output).unwrap();
        store
            .create_organization("Later", None, false)
            .await
            .unwrap();
        let error = super::backup(&url, &output).await.unwrap_err();
        assert!(
            matches!(&error, Error::Backup(m) if m.contains("exists")),
            "{error}"
        );
        assert_eq!(std::fs::read(&output).unwrap(), before);
    }

    #[tokio::test]
    async fn a_stopped_database_is_copied_and_left_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let (store, url) = store_with_data(dir.path()).await;
        // Closing the last connection checkpoints and removes the WAL and its index.
        store.pool.close().await;
        // (sqlx's SQLite connections finish closing on their worker threads.)
        // On a loaded machine that can take seconds: wait up to 10 s for both files to go.
        let wal = dir.path().join("plugboard.db-wal");
        let shm = dir.path().join("plugboard.db-shm");
        for _ in 0..500 {
            if !wal.exists() && !shm.exists() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert!(!wal.exists() && !dir.path().join("plugboard.db-shm").exists());
        let before = std::fs::read(dir.path().join("plugboard.db")).unwrap();
        let output = dir.path().join("copy.db");
        let backup = backup(&url, &output).await.unwrap();
        assert_eq!(backup.organizations, 21);
        assert_eq!(
            std::fs::read(dir.path().join("plugboard.db")).unwrap(),
            before
        );
        // Nothing is left beside the database (a WAL index made by another user than the
        // server's would stop the server from writing).
        assert!(!wal.exists() && !dir.path().join("plugboard.db-shm").exists());
    }

    #[tokio::test]
    async fn refusals_say_why() {
        let dir = tempfile::tempdir().unwrap();
        let output = dir.path().join("x.db");
        let error = backup("postgres://u:secret@db/plugboard", &output)
            .await
            .unwrap_err();
        assert!(error.to_string().contains("pg_dump"), "{error}");
        let error = backup("sqlite::memory:", &output).await.unwrap_err();
        assert!(error.to_string().contains("in-memory"), "{error}");
        let error = backup("mysql://db/x", &output).await.unwrap_err();
        assert!(matches!(error, Error::Invalid(_)), "{error}");
        let missing = dir.path().join("nowhere/x.db");
        let url = format!("sqlite://{}", dir.path().join("plugboard.db").display());
        let error = backup(&url, &missing).await.unwrap_err();
        assert!(error.to_string().contains("no such directory"), "{error}");
        // No database there: nothing is created.
        let error = backup(&url, &output).await.unwrap_err();
        assert!(error.to_string().contains("cannot open"), "{error}");
        assert!(!dir.path().join("plugboard.db").exists());
        // An SQLite file that is not Plugboard's.
        let other = dir.path().join("other.db");
        let mut conn = AnyConnection::connect(&format!("sqlite://{}?mode=rwc", other.display()))
            .await
            .unwrap();
        sqlx::query("CREATE TABLE t (x INTEGER)")
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
        let error = backup(&format!("sqlite://{}", other.display()), &output)
            .await
            .unwrap_err();
        assert!(
            error.to_string().contains("not a Plugboard database"),
            "{error}"
        );
        assert!(!output.exists());
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .filter(|n| n.to_string_lossy().contains("partial"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }
}
