//! Where token state lives between calls and processes: a small trait, an in-memory store and
//! an encrypted file store.
//!
//! The file store keeps every record in one file, encrypted with AES-256-GCM (a fresh random
//! nonce per write, the file's format version as associated data). Writes go to a temporary
//! file in the same directory and are renamed over the old one, so a crash leaves the old or
//! the new state, never a mix; a rotated refresh token is saved in the same write as the
//! access token that came with it. A lock file serializes writers across processes.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use base64::Engine as _;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// Token state of one credential. Secret fields never appear in `Debug` output.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRecord {
    /// The current access token, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token: Option<String>,
    /// When the access token was obtained (Unix seconds).
    #[serde(default)]
    pub obtained_at: u64,
    /// When it expires (Unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<u64>,
    /// The refresh token, if the provider gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// The redirect URI used at authorization (sent on refresh when configured).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_uri: Option<String>,
    /// The last failed token request: the credential needs attention (re-authorization for
    /// the authorization code grant).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
}

impl std::fmt::Debug for TokenRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redacted = |present: bool| if present { "<redacted>" } else { "<none>" };
        f.debug_struct("TokenRecord")
            .field("access_token", &redacted(self.access_token.is_some()))
            .field("obtained_at", &self.obtained_at)
            .field("expires_at", &self.expires_at)
            .field("refresh_token", &redacted(self.refresh_token.is_some()))
            .field("redirect_uri", &self.redirect_uri)
            .field("failure", &self.failure)
            .finish()
    }
}

/// A failed token request, as the provider explained it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    /// What went wrong (the provider's `error` and `error_description`, or the transport
    /// error); never contains a secret.
    pub message: String,
    /// When (Unix seconds).
    pub at: u64,
    /// Whether only a new authorization (`plugboard auth login`) can fix it.
    pub needs_reauthorization: bool,
}

/// Persistent token state by credential key.
pub trait TokenStore: Send + Sync {
    /// The record of a credential, if any.
    fn load(&self, key: &str) -> Result<Option<TokenRecord>>;
    /// Replaces the record of a credential (atomically: the old or the new record survives a
    /// crash, never a mix).
    fn save(&self, key: &str, record: &TokenRecord) -> Result<()>;
    /// Forgets a credential.
    fn remove(&self, key: &str) -> Result<()>;
    /// Takes the credential's lock across processes (hosts sharing the store), held while the
    /// returned guard lives; the token manager holds it around each token request so that one
    /// refresh happens however many hosts need one. Default: no cross-process lock.
    fn lock(&self, _key: &str) -> Result<Option<Box<dyn Send>>> {
        Ok(None)
    }
}

/// Token state in memory only (lost at exit).
#[derive(Debug, Default)]
pub struct MemoryStore(Mutex<BTreeMap<String, TokenRecord>>);

impl MemoryStore {
    /// An empty store.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }
}

fn poisoned() -> Error {
    Error::Store("a thread panicked while holding the store".into())
}

impl TokenStore for MemoryStore {
    fn load(&self, key: &str) -> Result<Option<TokenRecord>> {
        Ok(self.0.lock().map_err(|_| poisoned())?.get(key).cloned())
    }

    fn save(&self, key: &str, record: &TokenRecord) -> Result<()> {
        self.0
            .lock()
            .map_err(|_| poisoned())?
            .insert(key.to_string(), record.clone());
        Ok(())
    }

    fn remove(&self, key: &str) -> Result<()> {
        self.0.lock().map_err(|_| poisoned())?.remove(key);
        Ok(())
    }
}

/// The file format version, also the AEAD's associated data.
const FILE_VERSION: u32 = 1;
/// Length of a store key in bytes (AES-256).
pub const KEY_LEN: usize = 32;

/// The encrypted file as written.
#[derive(Serialize, Deserialize)]
struct Sealed {
    version: u32,
    nonce: String,
    ciphertext: String,
}

/// Token state in one encrypted file.
pub struct FileStore {
    path: PathBuf,
    lock_path: PathBuf,
    key: LessSafeKey,
    rng: SystemRandom,
    guard: Mutex<()>,
}

impl std::fmt::Debug for FileStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl FileStore {
    /// A store at `path` encrypted with `key`. The file is created on the first save.
    pub fn open(path: impl Into<PathBuf>, key: &[u8; KEY_LEN]) -> Result<FileStore> {
        let path = path.into();
        let unbound = UnboundKey::new(&AES_256_GCM, key)
            .map_err(|_| Error::Store("invalid store key".into()))?;
        let mut lock_path = path.clone().into_os_string();
        lock_path.push(".lock");
        Ok(FileStore {
            path,
            lock_path: PathBuf::from(lock_path),
            key: LessSafeKey::new(unbound),
            rng: SystemRandom::new(),
            guard: Mutex::new(()),
        })
    }

    /// A store at `path` whose key is read from `key_path` (base64, 32 bytes), or created
    /// there (readable by the owner only) when the file does not exist.
    pub fn open_with_key_file(path: impl Into<PathBuf>, key_path: &Path) -> Result<FileStore> {
        let path = path.into();
        if path == key_path {
            return Err(Error::Store(format!(
                "{}: the store and its key file must be different files",
                path.display()
            )));
        }
        let key = load_or_create_key(key_path)?;
        FileStore::open(path, &key)
    }

    /// The store file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn read_all(&self) -> Result<BTreeMap<String, TokenRecord>> {
        let text = match std::fs::read(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
            Err(e) => return Err(io_error(&self.path, &e)),
        };
        let where_ = self.path.display();
        let sealed: Sealed = serde_json::from_slice(&text)
            .map_err(|e| Error::Store(format!("{where_} is not a token store: {e}")))?;
        if sealed.version != FILE_VERSION {
            return Err(Error::Store(format!(
                "{where_} has format version {}; this build reads version {FILE_VERSION}",
                sealed.version
            )));
        }
        let b64 = base64::engine::general_purpose::STANDARD;
        let nonce: [u8; NONCE_LEN] = b64
            .decode(&sealed.nonce)
            .ok()
            .and_then(|n| n.try_into().ok())
            .ok_or_else(|| Error::Store(format!("{where_}: invalid nonce")))?;
        let mut data = b64
            .decode(&sealed.ciphertext)
            .map_err(|_| Error::Store(format!("{where_}: invalid ciphertext")))?;
        let plain = self
            .key
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(FILE_VERSION.to_be_bytes()),
                &mut data,
            )
            .map_err(|_| {
                Error::Store(format!(
                    "{where_} cannot be decrypted: wrong key, or the file was altered"
                ))
            })?;
        serde_json::from_slice(plain)
            .map_err(|e| Error::Store(format!("{where_}: unreadable records: {e}")))
    }

    fn write_all(&self, records: &BTreeMap<String, TokenRecord>) -> Result<()> {
        let mut data = serde_json::to_vec(records)
            .map_err(|e| Error::Store(format!("cannot encode records: {e}")))?;
        let mut nonce = [0u8; NONCE_LEN];
        self.rng
            .fill(&mut nonce)
            .map_err(|_| Error::Store("no system randomness".into()))?;
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(FILE_VERSION.to_be_bytes()),
                &mut data,
            )
            .map_err(|_| Error::Store("encryption failed".into()))?;
        let b64 = base64::engine::general_purpose::STANDARD;
        let sealed = Sealed {
            version: FILE_VERSION,
            nonce: b64.encode(nonce),
            ciphertext: b64.encode(&data),
        };
        let text = serde_json::to_vec(&sealed)
            .map_err(|e| Error::Store(format!("cannot encode the store: {e}")))?;
        write_private(&self.path, &text, true)
    }

    /// Runs a read-modify-write under the in-process guard and the cross-process lock file.
    fn update(&self, change: impl FnOnce(&mut BTreeMap<String, TokenRecord>)) -> Result<()> {
        let _guard = self.guard.lock().map_err(|_| poisoned())?;
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&self.lock_path)
            .map_err(|e| io_error(&self.lock_path, &e))?;
        lock.lock().map_err(|e| io_error(&self.lock_path, &e))?;
        let mut records = self.read_all()?;
        change(&mut records);
        self.write_all(&records)
    }
}

impl TokenStore for FileStore {
    fn load(&self, key: &str) -> Result<Option<TokenRecord>> {
        let _guard = self.guard.lock().map_err(|_| poisoned())?;
        Ok(self.read_all()?.remove(key))
    }

    fn save(&self, key: &str, record: &TokenRecord) -> Result<()> {
        self.update(|records| {
            records.insert(key.to_string(), record.clone());
        })
    }

    fn remove(&self, key: &str) -> Result<()> {
        self.update(|records| {
            records.remove(key);
        })
    }
}

/// The secret key in `key_path` (base64, [`KEY_LEN`] bytes), or a new random one written there
/// readable by its owner only when the file does not exist. Two processes that create it at the
/// same moment agree: the first one written wins and both use it.
pub fn load_or_create_key(key_path: &Path) -> Result<[u8; KEY_LEN]> {
    let read = |key_path: &Path| -> Result<[u8; KEY_LEN]> {
        let text = std::fs::read_to_string(key_path).map_err(|e| io_error(key_path, &e))?;
        parse_key(text.trim()).map_err(|e| Error::Store(format!("{}: {e}", key_path.display())))
    };
    if key_path.exists() {
        return read(key_path);
    }
    let mut key = [0u8; KEY_LEN];
    SystemRandom::new()
        .fill(&mut key)
        .map_err(|_| Error::Store("no system randomness".into()))?;
    let text = base64::engine::general_purpose::STANDARD.encode(key);
    match write_private(key_path, text.as_bytes(), false) {
        Ok(()) => Ok(key),
        Err(_) if key_path.exists() => read(key_path),
        Err(e) => Err(e),
    }
}

/// Parses a base64 store key of [`KEY_LEN`] bytes.
pub fn parse_key(text: &str) -> std::result::Result<[u8; KEY_LEN], String> {
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .ok()
        .and_then(|k| k.try_into().ok())
        .ok_or_else(|| format!("a store key must be {KEY_LEN} bytes in base64"))
}

fn io_error(path: &Path, e: &std::io::Error) -> Error {
    Error::Store(format!("{}: {e}", path.display()))
}

/// Writes a file readable by its owner only, atomically (temporary file + rename, then the
/// directory synced so the rename survives a crash); `replace: false` fails if the file exists.
fn write_private(path: &Path, bytes: &[u8], replace: bool) -> Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(|e| io_error(dir, &e))?;
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(|e| io_error(dir, &e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        file.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(|e| io_error(path, &e))?;
    }
    file.write_all(bytes).map_err(|e| io_error(path, &e))?;
    file.as_file().sync_all().map_err(|e| io_error(path, &e))?;
    if replace {
        file.persist(path).map_err(|e| io_error(path, &e.error))?;
    } else {
        file.persist_noclobber(path)
            .map_err(|e| io_error(path, &e.error))?;
    }
    #[cfg(unix)]
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io_error(dir, &e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(token: &str) -> TokenRecord {
        TokenRecord {
            access_token: Some(token.into()),
            obtained_at: 10,
            expires_at: Some(3610),
            refresh_token: Some(format!("refresh-{token}")),
            ..TokenRecord::default()
        }
    }

    #[test]
    fn file_store_round_trips_encrypted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens.json");
        let key_path = dir.path().join("tokens.key");
        let store = FileStore::open_with_key_file(&path, &key_path).unwrap();
        assert_eq!(store.load("a").unwrap(), None);
        store.save("a", &record("tok-a")).unwrap();
        store.save("b", &record("tok-b")).unwrap();
        store.remove("b").unwrap();
        let on_disk = std::fs::read_to_string(&path).unwrap();
        assert!(!on_disk.contains("tok-a"), "plaintext token on disk");
        // A second store with the same key file (another process) reads it.
        let again = FileStore::open_with_key_file(&path, &key_path).unwrap();
        assert_eq!(again.load("a").unwrap(), Some(record("tok-a")));
        assert_eq!(again.load("b").unwrap(), None);
        // The wrong key is a clear error, and nothing is overwritten by a failed load.
        let wrong = FileStore::open(&path, &[7u8; KEY_LEN]).unwrap();
        let error = wrong.load("a").unwrap_err().to_string();
        assert!(error.contains("wrong key"), "{error}");
        assert!(wrong.save("c", &record("c")).is_err());
        assert_eq!(again.load("a").unwrap(), Some(record("tok-a")));
    }

    #[test]
    fn the_key_file_is_made_once_and_is_never_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens.json");
        let key_path = dir.path().join("tokens.key");
        assert!(FileStore::open_with_key_file(&path, &path).is_err());
        let a = FileStore::open_with_key_file(&path, &key_path).unwrap();
        a.save("k", &record("t")).unwrap();
        let key_text = std::fs::read_to_string(&key_path).unwrap();
        let b = FileStore::open_with_key_file(&path, &key_path).unwrap();
        assert_eq!(std::fs::read_to_string(&key_path).unwrap(), key_text);
        assert_eq!(b.load("k").unwrap(), Some(record("t")));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&key_path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn tampering_is_detected() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens.json");
        let store = FileStore::open(&path, &[1u8; KEY_LEN]).unwrap();
        store.save("a", &record("tok-a")).unwrap();
        let mut sealed: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let b64 = base64::engine::general_purpose::STANDARD;
        let mut bytes = b64.decode(sealed["ciphertext"].as_str().unwrap()).unwrap();
        bytes[0] ^= 1;
        sealed["ciphertext"] = b64.encode(bytes).into();
        std::fs::write(&path, serde_json::to_vec(&sealed).unwrap()).unwrap();
        assert!(store.load("a").is_err());
    }

    #[test]
    fn debug_hides_tokens() {
        let text = format!("{:?}", record("tok-a"));
        assert!(!text.contains("tok-a"), "{text}");
    }
}
