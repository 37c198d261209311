//! Compiled components cached on disk, keyed by the hash of a component's code and the engine's
//! compatibility hash, so the same code is compiled once per engine configuration.
//!
//! A compiled artifact is native code: whoever could swap one could run anything in the host.
//! So each artifact is stored with a keyed MAC (BLAKE3 keyed hash) over the component's hash and
//! the artifact, with a key created once per data directory (0600), kept apart from the cache
//! directory. An artifact is used only when its MAC checks out; otherwise it is recompiled.
//!
//! The directory is bounded in bytes ([`CompileCache::with_max_bytes`]): after each new
//! artifact, the least recently used ones (by modification time, which a use refreshes) are
//! removed until the rest fits. Removing a file another process has mapped is safe: its mapping
//! stays until that process lets it go, and that process compiles again next time.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};

use wasmtime::Engine;
use wasmtime::component::Component;

use crate::{Error, Result};

/// Bytes of the MAC key and of the MAC that ends each artifact file.
const MAC_LEN: usize = plugboard_oauth::KEY_LEN;

/// Hex BLAKE3 hash of a component's code (what compiles: its custom sections left out).
pub(crate) fn code_hash(layout: &plugboard_bundle::Layout, component: &[u8]) -> String {
    let mut hasher = blake3::Hasher::new();
    for part in layout.code(component) {
        update(&mut hasher, part);
    }
    hasher.finalize().to_hex().to_string()
}

/// Hashes `bytes` into `hasher`, on every core when there are enough of them to pay for it.
fn update(hasher: &mut blake3::Hasher, bytes: &[u8]) {
    if bytes.len() >= 1 << 20 {
        hasher.update_rayon(bytes);
    } else {
        hasher.update(bytes);
    }
}

/// What [`CompileCache::with_max_bytes`] is by default: 1 GiB.
pub const DEFAULT_COMPILE_CACHE_BYTES: u64 = 1 << 30;

/// Where compiled components are cached, and the key that vouches for them.
#[derive(Clone)]
pub struct CompileCache {
    dir: PathBuf,
    key: [u8; MAC_LEN],
    max_bytes: u64,
}

impl std::fmt::Debug for CompileCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompileCache")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl CompileCache {
    /// A cache in `dir` whose artifacts are vouched for by the key in `key_file`, created (owner
    /// only) when missing. Keep the key file out of `dir`: whoever can write the cache must not
    /// be able to replace the key.
    pub fn open(dir: impl Into<PathBuf>, key_file: &Path) -> Result<CompileCache> {
        let dir = dir.into();
        if key_file.starts_with(&dir) {
            return Err(Error::Io {
                path: key_file.display().to_string(),
                source: std::io::Error::other(
                    "the cache key must not be in the cache directory it vouches for",
                ),
            });
        }
        let key = plugboard_oauth::load_or_create_key(key_file).map_err(|e| Error::Io {
            path: key_file.display().to_string(),
            source: std::io::Error::other(e.to_string()),
        })?;
        Ok(CompileCache {
            dir,
            key,
            max_bytes: DEFAULT_COMPILE_CACHE_BYTES,
        })
    }

    /// The same cache, keeping at most `max_bytes` of artifacts on disk.
    pub fn with_max_bytes(mut self, max_bytes: u64) -> CompileCache {
        self.max_bytes = max_bytes;
        self
    }

    /// Removes the least recently used artifacts until the rest fits in the limit; `keep` (the
    /// artifact just written) stays whatever its size. Failures are logged: a cache that cannot
    /// be pruned still works.
    fn prune(&self, keep: &Path) {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        let mut artifacts = Vec::new();
        let mut total = 0u64;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_none_or(|e| e != "cwasm") {
                continue;
            }
            let Ok(meta) = entry.metadata() else { continue };
            total += meta.len();
            if path != keep {
                let used = meta.modified().unwrap_or(std::time::SystemTime::UNIX_EPOCH);
                artifacts.push((used, meta.len(), path));
            }
        }
        if total <= self.max_bytes {
            return;
        }
        artifacts.sort();
        for (_, len, path) in artifacts {
            if total <= self.max_bytes {
                break;
            }
            match std::fs::remove_file(&path) {
                Ok(()) => total -= len,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => total -= len,
                Err(e) => tracing::warn!("cannot remove cache entry {}: {e}", path.display()),
            }
        }
    }

    fn mac(&self, hash: &str, artifact: &[u8]) -> blake3::Hash {
        let mut mac = blake3::Hasher::new_keyed(&self.key);
        mac.update(hash.as_bytes()).update(&[0]);
        update(&mut mac, artifact);
        mac.finalize()
    }

    fn path(&self, engine: &Engine, hash: &str) -> PathBuf {
        let mut hasher = DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        self.dir
            .join(format!("{hash}-{:016x}.cwasm", hasher.finish()))
    }

    /// The cached artifact of `hash`, when there is one whose MAC checks out.
    fn read(&self, engine: &Engine, hash: &str) -> Option<Component> {
        let path = self.path(engine, hash);
        let file = std::fs::File::open(&path).ok()?;
        match self.verify(&file, hash) {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(
                    "ignoring {}: it does not belong to this component or was altered",
                    path.display()
                );
                return None;
            }
            Err(e) => {
                tracing::warn!("ignoring unreadable cache entry {}: {e}", path.display());
                return None;
            }
        }
        // A use makes it the most recently used (what pruning goes by).
        if let Err(e) = file.set_modified(std::time::SystemTime::now()) {
            tracing::debug!("cannot mark {} as used: {e}", path.display());
        }
        // SAFETY: the MAC proves the artifact was written by this runtime (who holds the key)
        // for this component; wasmtime still checks its header against this engine.
        match unsafe { deserialize_verified(engine, &file) } {
            Ok(component) => Some(component),
            Err(e) => {
                tracing::warn!("ignoring unusable cache entry {}: {e:#}", path.display());
                None
            }
        }
    }

    /// Whether the file is an artifact followed by its MAC for `hash`.
    fn verify(&self, file: &std::fs::File, hash: &str) -> std::io::Result<bool> {
        // SAFETY: a private, read-only map of a file this runtime wrote (0600); it is only read
        // while `file` is open, and the cache never writes a file in place (new artifacts are
        // renamed over old ones, which leaves this mapping alone).
        let map = unsafe { memmap2::Mmap::map(file)? };
        let Some((artifact, stored)) = map.split_last_chunk::<MAC_LEN>() else {
            return Ok(false);
        };
        Ok(self.mac(hash, artifact) == blake3::Hash::from_bytes(*stored))
    }

    /// Stores an artifact with its MAC.
    fn write(&self, engine: &Engine, hash: &str, artifact: &[u8]) -> Result<()> {
        let mac = self.mac(hash, artifact);
        let io = |source| Error::Io {
            path: self.dir.display().to_string(),
            source,
        };
        std::fs::create_dir_all(&self.dir).map_err(io)?;
        let mut file = tempfile::NamedTempFile::new_in(&self.dir).map_err(io)?;
        file.write_all(artifact).map_err(io)?;
        file.write_all(mac.as_bytes()).map_err(io)?;
        let path = self.path(engine, hash);
        file.persist(&path).map_err(|e| io(e.error))?;
        self.prune(&path);
        Ok(())
    }
}

/// Compiles `bytes`, or uses the vouched-for artifact from `cache`.
pub(crate) fn load_component(
    engine: &Engine,
    bytes: &[u8],
    hash: &str,
    cache: Option<&CompileCache>,
) -> Result<Component> {
    let compile_error = |e: wasmtime::Error| Error::Compile(format!("{e:#}"));
    let Some(cache) = cache else {
        return Component::new(engine, bytes).map_err(compile_error);
    };
    if let Some(component) = cache.read(engine, hash) {
        return Ok(component);
    }
    let artifact = engine.precompile_component(bytes).map_err(compile_error)?;
    if let Err(e) = cache.write(engine, hash, &artifact) {
        tracing::warn!("cannot cache the compiled component: {e}");
    }
    // SAFETY: the artifact was produced just now by this engine.
    unsafe { Component::deserialize(engine, &artifact) }.map_err(compile_error)
}

/// Deserializes the artifact in `file`, which [`CompileCache::verify`] checked: the artifact
/// is the file without its last [`MAC_LEN`] bytes. On Linux wasmtime maps the very file that
/// was verified (reopened through `/proc/self/fd`, so a file renamed into its place meanwhile
/// is not the one used), and its data images are mapped copy-on-write from the page cache;
/// elsewhere the artifact is read into memory.
///
/// # Safety
///
/// The file must hold an artifact made by `Engine::precompile_component` (a verified MAC says
/// this runtime wrote it).
unsafe fn deserialize_verified(
    engine: &Engine,
    file: &std::fs::File,
) -> wasmtime::Result<Component> {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        let path = format!("/proc/self/fd/{}", file.as_raw_fd());
        // wasmtime ignores bytes after the artifact's last section: the trailing MAC is fine.
        // SAFETY: as the caller promises.
        unsafe { Component::deserialize_file(engine, path) }
    }
    #[cfg(not(target_os = "linux"))]
    {
        use std::io::Read;
        let mut bytes = Vec::new();
        (&*file).read_to_end(&mut bytes)?;
        bytes.truncate(bytes.len().saturating_sub(MAC_LEN));
        // SAFETY: as the caller promises.
        unsafe { Component::deserialize(engine, &bytes) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_made_once_and_never_kept_in_the_cache() {
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("cache");
        assert!(CompileCache::open(&cache, &cache.join("cache.key")).is_err());
        let key = dir.path().join("data/cache.key");
        let first = CompileCache::open(&cache, &key).unwrap();
        let again = CompileCache::open(&cache, &key).unwrap();
        assert_eq!(first.key, again.key);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&key).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // A MAC binds the artifact to its component.
        assert_ne!(first.mac("a", b"code"), first.mac("b", b"code"));
    }

    #[test]
    fn the_cache_keeps_within_its_bytes_the_most_recently_used() {
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::default();
        // The smallest component there is (its artifact is a few kB of headers).
        let component = b"\0asm\x0d\0\x01\0";
        let artifact = engine.precompile_component(component).unwrap();
        let each = (artifact.len() + MAC_LEN) as u64;
        let cache = CompileCache::open(dir.path().join("cache"), &dir.path().join("key"))
            .unwrap()
            .with_max_bytes(3 * each);
        let load = |hash: &str| load_component(&engine, component, hash, Some(&cache)).unwrap();
        let files = || {
            let mut names: Vec<String> = std::fs::read_dir(dir.path().join("cache"))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            names
        };
        let past = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        for (i, hash) in ["a", "b", "c"].iter().enumerate() {
            load(hash);
            // Distinct ages without sleeping: a is the oldest.
            let path = cache.path(&engine, hash);
            let age = past + std::time::Duration::from_secs(i as u64);
            std::fs::File::options()
                .write(true)
                .open(&path)
                .unwrap()
                .set_modified(age)
                .unwrap();
        }
        assert_eq!(files().len(), 3);
        // Using a makes b the least recently used, so d's arrival removes b.
        load("a");
        load("d");
        let kept = files();
        assert_eq!(kept.len(), 3, "{kept:?}");
        assert!(kept.iter().any(|f| f.starts_with("a-")), "{kept:?}");
        assert!(!kept.iter().any(|f| f.starts_with("b-")), "{kept:?}");
        assert!(kept.iter().any(|f| f.starts_with("d-")), "{kept:?}");
        // Ten more: never more than the limit on disk.
        for i in 0..10 {
            load(&format!("more{i}"));
            let bytes: u64 = std::fs::read_dir(dir.path().join("cache"))
                .unwrap()
                .map(|e| e.unwrap().metadata().unwrap().len())
                .sum();
            assert!(bytes <= 3 * each, "{bytes} > {}", 3 * each);
        }
    }
}
