//! What a runtime keeps loaded: bundles (by the key they were loaded under) and linked
//! components (by code hash, shared by every bundle with the same code), in one cache, least
//! recently used first out, within a byte budget.
//!
//! Using a bundle uses its code too, so a component is always more recently used than each of
//! its cached bundles and is evicted only after all of them: what the cache counts for a
//! component is freed when it goes (unless a caller still holds one of its bundles).

use std::sync::Arc;

use lru::LruCache;

use crate::bindings::IntegrationPre;
use crate::host::State;
use crate::runtime::Bundle;

/// Bytes counted for an entry on top of its manifest or code (the map entry, the parsed
/// header and host policy).
const ENTRY_OVERHEAD: u64 = 4 << 10;

/// What the cache holds, for operators and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheUsage {
    /// Bytes counted: manifests of the bundles, code of the components.
    pub bytes: u64,
    /// The budget.
    pub capacity: u64,
    /// Bundles kept.
    pub bundles: usize,
    /// Linked components kept.
    pub components: usize,
}

#[derive(Clone, PartialEq, Eq, Hash)]
enum Key {
    Bundle(String),
    Code(String),
}

enum Entry {
    Bundle(Arc<Bundle>),
    Code(IntegrationPre<State>),
}

/// The cache (behind the runtime's mutex).
pub(crate) struct Loaded {
    capacity: u64,
    used: u64,
    entries: LruCache<Key, (Entry, u64)>,
}

impl Loaded {
    pub(crate) fn new(capacity: u64) -> Loaded {
        Loaded {
            capacity,
            used: 0,
            entries: LruCache::unbounded(),
        }
    }

    /// The linked component of `code_hash`, if kept (now the most recently used).
    pub(crate) fn code(&mut self, code_hash: &str) -> Option<IntegrationPre<State>> {
        match self.entries.get(&Key::Code(code_hash.to_string())) {
            Some((Entry::Code(pre), _)) => Some(pre.clone()),
            _ => None,
        }
    }

    /// Keeps a linked component whose code takes `code_bytes`; returns the one kept (another
    /// load may have linked it meanwhile).
    pub(crate) fn insert_code(
        &mut self,
        code_hash: &str,
        pre: IntegrationPre<State>,
        code_bytes: u64,
    ) -> IntegrationPre<State> {
        if let Some(kept) = self.code(code_hash) {
            return kept;
        }
        self.put(
            Key::Code(code_hash.to_string()),
            Entry::Code(pre.clone()),
            code_bytes,
        );
        pre
    }

    /// The bundle kept under `key`, if any (it and its code now the most recently used).
    pub(crate) fn bundle(&mut self, key: &str) -> Option<Arc<Bundle>> {
        let bundle = match self.entries.get(&Key::Bundle(key.to_string())) {
            Some((Entry::Bundle(bundle), _)) => bundle.clone(),
            _ => return None,
        };
        self.entries.promote(&Key::Code(bundle.code_hash.clone()));
        Some(bundle)
    }

    /// Keeps `bundle` under `key`.
    pub(crate) fn insert_bundle(&mut self, key: &str, bundle: Arc<Bundle>) {
        let weight = bundle.manifest.bytes().len() as u64;
        let code = Key::Code(bundle.code_hash.clone());
        self.put(Key::Bundle(key.to_string()), Entry::Bundle(bundle), weight);
        self.entries.promote(&code);
    }

    fn put(&mut self, key: Key, entry: Entry, bytes: u64) {
        let weight = bytes + ENTRY_OVERHEAD;
        if let Some((_, old)) = self.entries.put(key, (entry, weight)) {
            self.used -= old;
        }
        self.used += weight;
        while self.used > self.capacity {
            match self.entries.pop_lru() {
                Some((_, (_, weight))) => self.used -= weight,
                None => break,
            }
        }
    }

    pub(crate) fn usage(&self) -> CacheUsage {
        let mut usage = CacheUsage {
            bytes: self.used,
            capacity: self.capacity,
            bundles: 0,
            components: 0,
        };
        for (key, _) in self.entries.iter() {
            match key {
                Key::Bundle(_) => usage.bundles += 1,
                Key::Code(_) => usage.components += 1,
            }
        }
        usage
    }
}
