//! Compiled components cached on disk, keyed by the bundle's SHA-256 and the engine's
//! compatibility hash, so a bundle is compiled once per engine configuration.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

use crate::{Error, Result};

/// Hex SHA-256 of a bundle.
pub(crate) fn content_hash(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Compiles `bytes`, or maps a precompiled artifact from `cache_dir` when one exists.
pub(crate) fn load_component(
    engine: &Engine,
    bytes: &[u8],
    hash: &str,
    cache_dir: Option<&Path>,
) -> Result<Component> {
    let Some(dir) = cache_dir else {
        return Component::new(engine, bytes).map_err(|e| Error::Compile(format!("{e:#}")));
    };
    let path = artifact_path(engine, dir, hash);
    if path.is_file() {
        // SAFETY: the file was written by `precompile_component` of an engine with the same
        // compatibility hash (part of the file name) into the operator's cache directory;
        // wasmtime still checks its header and refuses a mismatched artifact.
        match unsafe { Component::deserialize_file(engine, &path) } {
            Ok(component) => return Ok(component),
            Err(e) => tracing::warn!("ignoring unusable cache entry {}: {e}", path.display()),
        }
    }
    let compiled = engine
        .precompile_component(bytes)
        .map_err(|e| Error::Compile(format!("{e:#}")))?;
    write_atomically(dir, &path, &compiled)?;
    // SAFETY: as above; the artifact was produced just now by this engine.
    unsafe { Component::deserialize_file(engine, &path) }
        .map_err(|e| Error::Compile(format!("{e:#}")))
}

fn artifact_path(engine: &Engine, dir: &Path, hash: &str) -> PathBuf {
    let mut hasher = DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    dir.join(format!("{hash}-{:016x}.cwasm", hasher.finish()))
}

/// Writes through a temporary file and renames, so readers never see a partial artifact.
fn write_atomically(dir: &Path, path: &Path, bytes: &[u8]) -> Result<()> {
    let io = |source| Error::Io {
        path: dir.display().to_string(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
    file.write_all(bytes).map_err(io)?;
    file.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}
