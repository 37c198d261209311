//! An in-memory cache of the reads every call makes: who an API token belongs to, an
//! installation, whether one organization is within another, a version, and a configuration
//! with its opened credentials.
//!
//! It is kept exact by a counter in the database, `cache_generation`, that triggers move in the
//! same transaction as any change to the rows behind these reads, whoever makes the change (this
//! process, another node on the same PostgreSQL, the CLI on the same SQLite file).
//! [`Store::sync_cache`] reads the counter and drops every entry when it moved. The request
//! path calls it once at the start of each request, so a request that starts after a change
//! committed never sees the state before it: a revoked token or replaced credentials stop
//! working at once, on every node. Requests that arrive while a read of the counter is running
//! share the next one, so under load the counter costs one small query at a time, not one per
//! request.
//!
//! Entries are stored only when no sync moved the generation while they were being read, so a
//! read that raced a change is never kept. Each kind of entry is bounded (least recently used
//! go first); failed reads and unknown tokens are never kept.

use std::future::Future;
use std::hash::Hash;
use std::num::NonZeroUsize;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use lru::LruCache;

use crate::{Configuration, Installation, Result, Store, User, Version};

/// Entries of each kind kept at most.
const CAPACITY: NonZeroUsize = NonZeroUsize::new(16_384).expect("non-zero");

/// No generation read yet: nothing is stored.
const UNSYNCED: i64 = i64::MIN;

/// The cached reads and the generation they were read under.
pub(crate) struct Cache {
    entries: Mutex<Entries>,
    /// Reads of the counter started so far (numbers the reads).
    syncs_started: AtomicU64,
    /// Held while the counter is read; holds the number of the last read that finished.
    sync: tokio::sync::Mutex<u64>,
    /// Reads answered from the cache, and reads that went to the database.
    hits: AtomicU64,
    misses: AtomicU64,
}

struct Entries {
    generation: i64,
    users: LruCache<String, User>,
    installations: LruCache<String, Installation>,
    within: LruCache<(String, String), bool>,
    versions: LruCache<(String, i64), Version>,
    configurations: LruCache<(String, Option<String>), Configuration>,
}

impl Entries {
    fn clear(&mut self) {
        self.users.clear();
        self.installations.clear();
        self.within.clear();
        self.versions.clear();
        self.configurations.clear();
    }
}

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cache").finish_non_exhaustive()
    }
}

impl Default for Cache {
    fn default() -> Cache {
        Cache {
            entries: Mutex::new(Entries {
                generation: UNSYNCED,
                users: LruCache::new(CAPACITY),
                installations: LruCache::new(CAPACITY),
                within: LruCache::new(CAPACITY),
                versions: LruCache::new(CAPACITY),
                configurations: LruCache::new(CAPACITY),
            }),
            syncs_started: AtomicU64::new(0),
            sync: tokio::sync::Mutex::new(0),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }
}

impl Cache {
    fn entries(&self) -> std::sync::MutexGuard<'_, Entries> {
        // A panic while holding the lock cannot leave entries half-written in a way that
        // matters: at worst an entry is missing.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Makes the entries as fresh as a read of the counter that started after this call did:
    /// waits for one that is running to finish, then reads it (unless a read that started
    /// after this call finished meanwhile).
    async fn sync<F: Future<Output = Result<i64>>>(&self, read: F) -> Result<()> {
        let arrived = self.syncs_started.load(Ordering::SeqCst);
        let mut last_finished = self.sync.lock().await;
        if *last_finished > arrived {
            return Ok(());
        }
        let number = self.syncs_started.fetch_add(1, Ordering::SeqCst) + 1;
        let generation = read.await?;
        let mut entries = self.entries();
        if entries.generation != generation {
            entries.clear();
            entries.generation = generation;
        }
        drop(entries);
        *last_finished = number;
        Ok(())
    }

    /// The entry under `key`, or `load`'s value, stored when no sync moved the generation
    /// while it was read.
    async fn through<K, V, F>(
        &self,
        kind: fn(&mut Entries) -> &mut LruCache<K, V>,
        key: K,
        load: F,
    ) -> Result<V>
    where
        K: Hash + Eq,
        V: Clone,
        F: Future<Output = Result<V>>,
    {
        let generation = {
            let mut entries = self.entries();
            if let Some(value) = kind(&mut entries).get(&key) {
                self.hits.fetch_add(1, Ordering::Relaxed);
                return Ok(value.clone());
            }
            entries.generation
        };
        self.misses.fetch_add(1, Ordering::Relaxed);
        let value = load.await?;
        let mut entries = self.entries();
        if generation != UNSYNCED && entries.generation == generation {
            kind(&mut entries).put(key, value.clone());
        }
        Ok(value)
    }
}

impl Store {
    /// Brings the cached reads up to date with the database (see the module's notes): call it
    /// at the start of a request; the `cached_*` reads then see every change committed before.
    pub async fn sync_cache(&self) -> Result<()> {
        self.cache
            .sync(async {
                let (value,): (i64,) =
                    sqlx::query_as("SELECT value FROM cache_generation WHERE id = 1")
                        .fetch_one(&self.pool)
                        .await?;
                Ok(value)
            })
            .await
    }

    /// Cached reads so far: (answered from memory, read from the database).
    pub fn cache_stats(&self) -> (u64, u64) {
        (
            self.cache.hits.load(Ordering::Relaxed),
            self.cache.misses.load(Ordering::Relaxed),
        )
    }

    /// [`Store::user_by_token`], cached as of the last [`Store::sync_cache`].
    pub async fn cached_user_by_token(&self, token: &str) -> Result<Option<User>> {
        let key = crate::organizations::token_hash(token);
        // Unknown tokens are not kept (anyone can send many).
        let found = self
            .cache
            .through(|e| &mut e.users, key, async {
                self.user_by_token(token)
                    .await?
                    .ok_or_else(|| crate::Error::NotFound("token".into()))
            })
            .await;
        match found {
            Ok(user) => Ok(Some(user)),
            Err(crate::Error::NotFound(_)) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// [`Store::installation`], cached as of the last [`Store::sync_cache`].
    pub async fn cached_installation(&self, id: &str) -> Result<Installation> {
        self.cache
            .through(
                |e| &mut e.installations,
                id.to_string(),
                self.installation(id),
            )
            .await
    }

    /// [`Store::is_within`], cached as of the last [`Store::sync_cache`].
    pub async fn cached_is_within(&self, id: &str, ancestor: &str) -> Result<bool> {
        self.cache
            .through(
                |e| &mut e.within,
                (id.to_string(), ancestor.to_string()),
                self.is_within(id, ancestor),
            )
            .await
    }

    /// A version without its definition ([`Store::version`]), cached as of the last
    /// [`Store::sync_cache`].
    pub async fn cached_version(&self, integration: &str, version: i64) -> Result<Version> {
        self.cache
            .through(
                |e| &mut e.versions,
                (integration.to_string(), version),
                self.version_info(integration, version),
            )
            .await
    }

    /// [`Store::configuration`] (credentials opened), cached as of the last
    /// [`Store::sync_cache`].
    pub async fn cached_configuration(
        &self,
        installation: &str,
        name: Option<&str>,
        sealer: &crate::Sealer,
    ) -> Result<Configuration> {
        self.cache
            .through(
                |e| &mut e.configurations,
                (installation.to_string(), name.map(str::to_string)),
                self.configuration(installation, name, sealer),
            )
            .await
    }
}
