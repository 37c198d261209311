//! OAuth 2.0 token state in the store, sealed like credentials, with a lock across hosts: on
//! PostgreSQL (11 or newer) a session advisory lock per credential, so that hosts sharing the
//! database make one token request per credential between them.

use plugboard_oauth::{Error as TokenError, TokenRecord, TokenStore};
use sqlx::AnyConnection;
use sqlx::Row as _;

use crate::{Backend, Sealer, Store, now};

/// [`TokenStore`] over the platform's store.
pub struct DbTokenStore {
    store: Store,
    sealer: Sealer,
    handle: tokio::runtime::Handle,
}

impl std::fmt::Debug for DbTokenStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbTokenStore")
            .field("backend", &self.store.backend())
            .finish_non_exhaustive()
    }
}

fn store_error(error: impl std::fmt::Display) -> TokenError {
    TokenError::Store(error.to_string())
}

fn context(key: &str) -> String {
    format!("oauth/{key}")
}

/// A held cross-host lock: the connection that holds the advisory lock, closed (which
/// releases the lock) when the guard is dropped.
struct AdvisoryLock(#[allow(dead_code)] AnyConnection);

impl DbTokenStore {
    /// A token store over `store`; must be created inside a tokio runtime, whose blocking
    /// threads then run its queries.
    pub fn new(store: Store, sealer: Sealer) -> DbTokenStore {
        DbTokenStore {
            store,
            sealer,
            handle: tokio::runtime::Handle::current(),
        }
    }
}

impl TokenStore for DbTokenStore {
    fn load(&self, key: &str) -> plugboard_oauth::Result<Option<TokenRecord>> {
        let row = self
            .handle
            .block_on(
                sqlx::query("SELECT record FROM oauth_tokens WHERE credential_key = $1")
                    .bind(key)
                    .fetch_optional(&self.store.pool),
            )
            .map_err(store_error)?;
        let Some(row) = row else { return Ok(None) };
        let sealed: Vec<u8> = row.try_get("record").map_err(store_error)?;
        let plain = self
            .sealer
            .open(&sealed, &context(key))
            .map_err(store_error)?;
        serde_json::from_slice(&plain)
            .map(Some)
            .map_err(store_error)
    }

    fn save(&self, key: &str, record: &TokenRecord) -> plugboard_oauth::Result<()> {
        let plain = serde_json::to_vec(record).map_err(store_error)?;
        let sealed = self
            .sealer
            .seal(&plain, &context(key))
            .map_err(store_error)?;
        self.handle
            .block_on(
                sqlx::query(
                    "INSERT INTO oauth_tokens (credential_key, record, updated_at) \
                     VALUES ($1, $2, $3) ON CONFLICT (credential_key) DO UPDATE \
                     SET record = excluded.record, updated_at = excluded.updated_at",
                )
                .bind(key)
                .bind(sealed)
                .bind(now())
                .execute(&self.store.pool),
            )
            .map_err(store_error)?;
        Ok(())
    }

    fn remove(&self, key: &str) -> plugboard_oauth::Result<()> {
        self.handle
            .block_on(
                sqlx::query("DELETE FROM oauth_tokens WHERE credential_key = $1")
                    .bind(key)
                    .execute(&self.store.pool),
            )
            .map_err(store_error)?;
        Ok(())
    }

    fn lock(&self, key: &str) -> plugboard_oauth::Result<Option<Box<dyn Send>>> {
        if self.store.backend() != Backend::Postgres {
            // One host per SQLite file: the token manager's own lock is enough.
            return Ok(None);
        }
        // A connection of its own, outside the pool: hosts waiting for the lock never starve
        // the pool the lock holder needs to save its tokens. Waiting is bounded.
        let connection = self.handle.block_on(async {
            use sqlx::Connection as _;
            let mut connection = AnyConnection::connect(&self.store.url).await?;
            sqlx::query("SET lock_timeout = '30s'")
                .execute(&mut connection)
                .await?;
            sqlx::query("SELECT pg_advisory_lock(hashtextextended($1, 0))::text AS locked")
                .bind(key)
                .fetch_one(&mut connection)
                .await?;
            Ok::<_, sqlx::Error>(connection)
        });
        Ok(Some(Box::new(AdvisoryLock(
            connection.map_err(store_error)?,
        ))))
    }
}
