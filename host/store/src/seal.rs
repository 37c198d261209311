//! Credentials at rest: XChaCha20-Poly1305 with a random 192-bit nonce per seal, bound to the
//! row they belong to (associated data), so sealed values cannot be moved between rows.

use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

use crate::{Error, Result, random_bytes};

/// The environment variable holding the key (32 bytes, base64).
pub const KEY_ENV: &str = "PLUGBOARD_SECRET_KEY";
/// Format version, the first byte of every sealed value.
const VERSION: u8 = 1;
const NONCE_LEN: usize = 24;

/// Seals and opens credentials.
#[derive(Clone)]
pub struct Sealer {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(<key>)")
    }
}

impl Sealer {
    /// A sealer with a 32-byte key.
    pub fn new(key: &[u8; 32]) -> Sealer {
        Sealer {
            cipher: XChaCha20Poly1305::new(key.into()),
        }
    }

    /// A sealer from base64 key text (the env variable or a key file's content).
    pub fn from_base64(text: &str) -> Result<Sealer> {
        let key: [u8; 32] = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .ok()
            .and_then(|k| k.try_into().ok())
            .ok_or_else(|| Error::Seal("the key must be 32 bytes in base64".into()))?;
        Ok(Sealer::new(&key))
    }

    /// A fresh random key in base64 (for a new key file).
    pub fn generate_key() -> Result<String> {
        Ok(base64::engine::general_purpose::STANDARD.encode(random_bytes::<32>()?))
    }

    /// Seals `plain` for the row named by `context`.
    pub fn seal(&self, plain: &[u8], context: &str) -> Result<Vec<u8>> {
        let nonce = random_bytes::<NONCE_LEN>()?;
        let sealed = self
            .cipher
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: plain,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| Error::Seal("encryption failed".into()))?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
        out.push(VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Opens a value sealed for `context`.
    pub fn open(&self, sealed: &[u8], context: &str) -> Result<Vec<u8>> {
        let (version, rest) = sealed
            .split_first()
            .ok_or_else(|| Error::Seal("empty sealed value".into()))?;
        if *version != VERSION || rest.len() < NONCE_LEN {
            return Err(Error::Seal(format!(
                "unknown sealed format (version {version})"
            )));
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let nonce = XNonce::try_from(nonce)
            .map_err(|_| Error::Seal("the sealed value's nonce is cut short".into()))?;
        self.cipher
            .decrypt(
                &nonce,
                Payload {
                    msg: ciphertext,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| {
                Error::Seal(
                    "cannot open sealed credentials: wrong key, or the data was altered or moved"
                        .into(),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_bound_to_context() {
        let sealer = Sealer::from_base64(&Sealer::generate_key().unwrap()).unwrap();
        let sealed = sealer.seal(b"api_key=s3cret", "inst_1/default").unwrap();
        assert!(!sealed.windows(6).any(|w| w == b"s3cret"));
        assert_eq!(
            sealer.open(&sealed, "inst_1/default").unwrap(),
            b"api_key=s3cret"
        );
        assert!(sealer.open(&sealed, "inst_2/default").is_err());
        let other = Sealer::new(&[9u8; 32]);
        assert!(other.open(&sealed, "inst_1/default").is_err());
        assert!(sealer.open(&[], "x").is_err());
        assert!(Sealer::from_base64("short").is_err());
    }
}
