//! Warm instances: an instance whose call ended cleanly is kept for the next call with the same
//! bundle, credentials, config and tenant, instead of being torn down and instantiated again
//! (the pooled memory slot reset, the pages faulted back in, the instantiation itself).
//!
//! Isolation: an instance is only ever handed to a call with the same key, which covers the
//! bundle, the credential key (on the platform: the installation's configuration and its
//! credentials' revision), the tenant and every config value; so nothing one installation's
//! calls left in memory is ever seen by another's. An instance is kept only when its call
//! returned (no trap, no time limit, no memory refusal) and left no WASI resource open, for at
//! most [`MAX_CALLS`] calls and while its memory stays under [`MAX_KEPT_MEMORY`]. Each call gets
//! a fresh per-call state (WASI context, outbound requests, limits, logs), as a new instance
//! would.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use lru::LruCache;
use wasmtime::Store;

use crate::bindings::Integration;
use crate::host::State;
use crate::slots::Tenant;

/// Calls one instance serves at most before it is dropped.
pub(crate) const MAX_CALLS: u32 = 1_000;
/// Instances whose memories together grew past this are not kept.
pub(crate) const MAX_KEPT_MEMORY: usize = 8 << 20;

/// What a warm instance may be reused for.
pub(crate) type WarmKey = [u8; 32];

/// A unique number for each loaded bundle (part of the key: two bundles never share).
pub(crate) fn next_bundle_number() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// The key of a call: its bundle, credential key, tenant and config.
pub(crate) fn key(
    bundle: u64,
    credential_key: &str,
    tenant: Option<&Tenant>,
    config: &BTreeMap<String, String>,
) -> WarmKey {
    let mut hash = blake3::Hasher::new();
    hash.update(&bundle.to_le_bytes());
    let mut field = |bytes: &[u8]| {
        hash.update(&(bytes.len() as u64).to_le_bytes());
        hash.update(bytes);
    };
    field(credential_key.as_bytes());
    if let Some(tenant) = tenant {
        field(tenant.organization.as_bytes());
        field(tenant.installation.as_bytes());
    }
    for (name, value) in config {
        field(name.as_bytes());
        field(value.as_bytes());
    }
    *hash.finalize().as_bytes()
}

/// An instance kept between calls, in its store.
pub(crate) struct Warm {
    pub(crate) store: Store<State>,
    pub(crate) instance: Integration,
    /// Calls it has served.
    pub(crate) calls: u32,
}

/// The warm instances, least recently used dropped first when full.
pub(crate) struct WarmInstances {
    inner: Mutex<Inner>,
    capacity: usize,
}

struct Inner {
    by_key: LruCache<WarmKey, Vec<Warm>>,
    count: usize,
}

impl WarmInstances {
    /// Keeps at most `capacity` instances (0: none).
    pub(crate) fn new(capacity: usize) -> WarmInstances {
        WarmInstances {
            inner: Mutex::new(Inner {
                by_key: LruCache::unbounded(),
                count: 0,
            }),
            capacity,
        }
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A warm instance for `key`, if one is kept.
    pub(crate) fn take(&self, key: &WarmKey) -> Option<Warm> {
        if self.capacity == 0 {
            return None;
        }
        let mut inner = self.inner();
        let list = inner.by_key.get_mut(key)?;
        let warm = list.pop();
        if list.is_empty() {
            inner.by_key.pop(key);
        }
        if warm.is_some() {
            inner.count -= 1;
        }
        warm
    }

    /// Keeps `warm` for the next call with `key`; when full, first drops the instances of the
    /// least recently used key (outside the lock: dropping a store frees its slot).
    pub(crate) fn put(&self, key: WarmKey, warm: Warm) {
        if self.capacity == 0 {
            return;
        }
        let mut evicted = Vec::new();
        {
            let mut inner = self.inner();
            while inner.count >= self.capacity {
                let Some((_, list)) = inner.by_key.pop_lru() else {
                    break;
                };
                inner.count -= list.len();
                evicted.push(list);
            }
            inner.count += 1;
            inner.by_key.get_or_insert_mut(key, Vec::new).push(warm);
        }
        drop(evicted);
    }

    /// Drops every kept instance (their slots go back to the pool).
    pub(crate) fn clear(&self) {
        let dropped = {
            let mut inner = self.inner();
            inner.count = 0;
            std::mem::replace(&mut inner.by_key, LruCache::unbounded())
        };
        drop(dropped);
    }

    /// Instances kept now.
    pub(crate) fn len(&self) -> usize {
        self.inner().count
    }
}
