//! The Plugboard platform's store.
//!
//! One code path over sqlx's `Any` driver: an embedded SQLite file by default (WAL, foreign
//! keys on), PostgreSQL when the URL says `postgres://`. Each backend has its own migrations
//! (`migrations/sqlite`, `migrations/postgres`, the same schema in each dialect), applied when
//! the store opens. Every change that spans rows runs in one transaction, so a crash leaves the
//! state before or after it, never half of it.
//!
//! Credentials are sealed ([`Sealer`], XChaCha20-Poly1305) before they reach the database and
//! bound to their row; API tokens are stored as SHA-256 hashes.
//!
//! [`backup`] copies a live SQLite database consistently (`VACUUM INTO`).

mod audit;
mod backup;
mod cache;
mod consents;
mod installations;
mod integrations;
mod model;
mod organizations;
mod page;
mod recordings;
mod seal;
mod tenants;
mod tokens;
mod users;

use std::time::{SystemTime, UNIX_EPOCH};

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor as _};

pub use backup::{Backup, backup};
pub use consents::{Consent, TakenConsent};
pub use installations::{ConfigurationChange, Uninstalled};
pub use integrations::NewVersion;
pub use model::*;
pub use organizations::api_token_id;
pub use page::{Cursor, DEFAULT_LIMIT, MAX_LIMIT, Page, PageRequest};
pub use recordings::Recording;
pub use seal::{KEY_ENV, Sealer};
pub use tenants::{TenantMapping, TenantSource};
pub use tokens::DbTokenStore;

/// Errors of the store.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The database failed (connection, constraint, I/O).
    #[error("database: {0}")]
    Database(sqlx::Error),
    /// Applying the migrations failed.
    #[error("database migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// No such thing (or not visible to the caller).
    #[error("{0} not found")]
    NotFound(String),
    /// The change conflicts with the current state (e.g. editing a finalized integration).
    #[error("{0}")]
    Conflict(String),
    /// The input is not acceptable.
    #[error("{0}")]
    Invalid(String),
    /// A list's `limit` or `cursor` is not acceptable.
    #[error("`{parameter}`: {message}")]
    Paging {
        /// The query parameter (`limit` or `cursor`).
        parameter: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// Sealing or opening credentials failed (wrong key, altered data).
    #[error("credentials: {0}")]
    Seal(String),
    /// A backup could not be made (the output exists, the source is not a Plugboard SQLite
    /// database, the copy failed its check, ...).
    #[error("{0}")]
    Backup(String),
}

impl From<sqlx::Error> for Error {
    /// A unique-key violation is a conflict (two writers raced, or the thing exists).
    fn from(error: sqlx::Error) -> Error {
        if error
            .as_database_error()
            .is_some_and(|e| e.is_unique_violation())
        {
            return Error::Conflict(
                "a concurrent change got there first (or it already exists); try again".into(),
            );
        }
        Error::Database(error)
    }
}

/// Result with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// Which database is behind the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// The store: a connection pool and the backend it talks to. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// The connection URL (for connections outside the pool, e.g. holding a lock).
    url: String,
    /// The cached reads of the request path.
    cache: std::sync::Arc<cache::Cache>,
    /// The queue of audit entries to the writer task.
    audit: audit::AuditWriter,
}

impl Store {
    /// Opens (creating when needed) the database at `url` (`sqlite:///path/plugboard.db`,
    /// `sqlite::memory:` or `postgres://user@host/db`) and applies the migrations.
    pub async fn open(url: &str) -> Result<Store> {
        install_default_drivers();
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            return Err(Error::Invalid(format!(
                "database URL `{}` is neither sqlite: nor postgres://",
                redact_url(url)
            )));
        };
        let url = match backend {
            // Create the file on first use.
            Backend::Sqlite if !url.contains("mode=") && !url.contains(":memory:") => {
                let separator = if url.contains('?') { '&' } else { '?' };
                format!("{url}{separator}mode=rwc")
            }
            _ => url.to_string(),
        };
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        let cores = u32::try_from(cores).unwrap_or(64);
        // Sized for the cores: SQLite runs each connection's statements on a thread of its own
        // (readers in parallel, one writer at a time); PostgreSQL connections mostly wait on
        // the network, so more of them keep the cores busy. Statements are prepared once per
        // connection and kept (sqlx's statement cache).
        let mut options = AnyPoolOptions::new();
        if backend == Backend::Postgres {
            options = options
                .max_connections((cores * 4).clamp(8, 64))
                .min_connections(cores.min(8));
        }
        if backend == Backend::Sqlite {
            options = options
                // One connection for an in-memory database (each connection is its own one).
                .max_connections(if url.contains(":memory:") {
                    1
                } else {
                    (cores * 2).clamp(8, 16)
                })
                .after_connect(|conn, _| {
                    Box::pin(async move {
                        // WAL with synchronous=NORMAL: a crash of the process loses nothing
                        // committed; only a power loss may lose the last commits.
                        conn.execute(
                            "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; \
                             PRAGMA synchronous = NORMAL;",
                        )
                        .await?;
                        Ok(())
                    })
                });
        }
        let pool = options.connect(&url).await?;
        if backend == Backend::Sqlite {
            pool.execute("PRAGMA journal_mode = WAL;").await?;
        }
        match backend {
            Backend::Sqlite => sqlx::migrate!("migrations/sqlite").run(&pool).await?,
            Backend::Postgres => sqlx::migrate!("migrations/postgres").run(&pool).await?,
        }
        Ok(Store {
            audit: audit::AuditWriter::start(pool.clone(), backend),
            pool,
            backend,
            url,
            cache: std::sync::Arc::default(),
        })
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Whether the database answers (`SELECT 1`), for readiness.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// The pool's connections: (open, idle).
    pub fn pool_stats(&self) -> (u32, u32) {
        let idle = u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX);
        (self.pool.size(), idle)
    }

    /// Writes the audit entries still queued, then closes the pool after the connections in
    /// use are given back (a clean stop: SQLite checkpoints its write-ahead log).
    pub async fn close(&self) {
        if let Err(error) = self.flush_audit().await {
            tracing::error!(%error, "the audit entries still queued could not be written");
        }
        self.pool.close().await;
    }
}

/// Unix seconds now.
fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// A new random id: `prefix` and 16 random bytes in hex.
fn new_id(prefix: &str) -> Result<String> {
    Ok(format!("{prefix}_{}", hex::encode(random_bytes::<16>()?)))
}

fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    use ring::rand::SecureRandom as _;
    let mut bytes = [0u8; N];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| Error::Seal("no system randomness".into()))?;
    Ok(bytes)
}

/// A database URL without its password, for messages.
fn redact_url(url: &str) -> String {
    let authority_end = |from: usize| url[from..].find('/').map_or(url.len(), |i| from + i);
    let scheme = url.find("://");
    let at = scheme.and_then(|s| url[..authority_end(s + 3)].rfind('@'));
    match (scheme, at) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_redacted() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db:5432/x"),
            "postgres://app:***@db:5432/x"
        );
        assert_eq!(redact_url("sqlite:///tmp/x.db"), "sqlite:///tmp/x.db");
        assert_eq!(
            redact_url("postgres://app:p@ss@db/x"),
            "postgres://app:***@db/x"
        );
    }
}
