//! Compiled components cached on disk, keyed by the bundle's hash and the engine's compatibility
//! hash, so a bundle is compiled once per engine configuration.
//!
//! A compiled artifact is native code: whoever could swap one could run anything in the host.
//! So each artifact is stored with a keyed MAC (BLAKE3 keyed hash) over the component's hash and
//! the artifact, with a key created once per data directory (0600), kept apart from the cache
//! directory. An artifact is used only when its MAC checks out; otherwise it is recompiled.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};

use wasmtime::Engine;
use wasmtime::component::Component;

use crate::{Error, Result};

/// Bytes of the MAC key and of the MAC that ends each artifact file.
const MAC_LEN: usize = plugboard_oauth::KEY_LEN;

/// Hex BLAKE3 hash of a bundle (the runtime's name for its bytes).
pub(crate) fn content_hash(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

/// Where compiled components are cached, and the key that vouches for them.
#[derive(Clone)]
pub struct CompileCache {
    dir: PathBuf,
    key: [u8; MAC_LEN],
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
        let key = plugboard_oauth::load_or_create_key(key_file).map_err(|e| Error::Io {
            path: key_file.display().to_string(),
            source: std::io::Error::other(e.to_string()),
        })?;
        Ok(CompileCache {
            dir: dir.into(),
            key,
        })
    }

    /// A cache with a key held by the caller.
    pub fn with_key(dir: impl Into<PathBuf>, key: [u8; MAC_LEN]) -> CompileCache {
        CompileCache {
            dir: dir.into(),
            key,
        }
    }

    /// The cache directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn mac(&self, hash: &str, artifact: &[u8]) -> blake3::Hash {
        let mut mac = blake3::Hasher::new_keyed(&self.key);
        mac.update(hash.as_bytes()).update(&[0]).update(artifact);
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
        let file = std::fs::read(&path).ok()?;
        let split = file.len().checked_sub(MAC_LEN)?;
        let (artifact, mac) = file.split_at(split);
        if self.mac(hash, artifact) != blake3::Hash::from_slice(mac).ok()? {
            tracing::warn!(
                "ignoring {}: it does not belong to this component or was altered",
                path.display()
            );
            return None;
        }
        // SAFETY: the MAC proves the artifact was written by this runtime (who holds the key)
        // for this component; wasmtime still checks its header against this engine.
        match unsafe { Component::deserialize(engine, artifact) } {
            Ok(component) => Some(component),
            Err(e) => {
                tracing::warn!("ignoring unusable cache entry {}: {e}", path.display());
                None
            }
        }
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
        file.persist(self.path(engine, hash))
            .map_err(|e| io(e.error))?;
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
