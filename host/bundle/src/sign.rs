//! Signed bundles: an Ed25519 signature over the component, carried in the component itself as
//! its last top-level custom section (`plugboard-signature`), so a signed bundle is still one
//! `.wasm` file that any host loads (wasmtime ignores the section).
//!
//! The signed bytes are the component without that section. Keys are base64: a private key is
//! its PKCS#8 document, a public key its 32 raw bytes; a key id is the first 16 hex digits of
//! the SHA-256 of the public key.

use crate::sections::{CUSTOM, custom, custom_section, sections};
use crate::{Error, Result};
use base64::Engine as _;
use ring::signature::{ED25519, Ed25519KeyPair, KeyPair as _, UnparsedPublicKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The custom section that carries the signature.
pub const SIGNATURE_SECTION: &str = "plugboard-signature";

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// What the signature section holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct SignatureBody {
    algorithm: String,
    public_key: String,
    signature: String,
}

/// A new key pair: (private key, public key), both base64.
pub fn generate_key() -> Result<(String, String)> {
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng)
        .map_err(|_| Error::Signature("cannot generate a key pair".into()))?;
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref())
        .map_err(|_| Error::Signature("cannot read the generated key".into()))?;
    Ok((
        B64.encode(pkcs8.as_ref()),
        B64.encode(pair.public_key().as_ref()),
    ))
}

/// The key id of a base64 public key.
pub fn key_id(public_key: &str) -> Result<String> {
    let raw = decode_public(public_key)?;
    Ok(hex::encode(&Sha256::digest(raw)[..8]))
}

fn decode_public(public_key: &str) -> Result<[u8; 32]> {
    B64.decode(public_key.trim())
        .ok()
        .and_then(|k| k.try_into().ok())
        .ok_or_else(|| Error::Signature("a public key is 32 bytes in base64".into()))
}

/// The component without a signature, and the signature's body if there is one. Only a
/// top-level custom section that ends the component counts; a signature section anywhere
/// else is an error (it could not have been verified as written).
fn split(component: &[u8]) -> Result<(&[u8], Option<SignatureBody>)> {
    let sections = sections(component)?;
    let mut found: Option<(usize, SignatureBody)> = None;
    for (index, section) in sections.iter().enumerate() {
        if section.id != CUSTOM {
            continue;
        }
        let (name, data) = custom(component, section)?;
        if name != SIGNATURE_SECTION {
            continue;
        }
        if found.is_some() {
            return Err(Error::Signature("more than one signature section".into()));
        }
        if index + 1 != sections.len() {
            return Err(Error::Signature(
                "the signature section is not the last section".into(),
            ));
        }
        let body: SignatureBody = serde_json::from_slice(data)
            .map_err(|e| Error::Signature(format!("unreadable signature: {e}")))?;
        found = Some((section.start, body));
    }
    Ok(match found {
        Some((end, body)) => (&component[..end], Some(body)),
        None => (component, None),
    })
}

fn encode_section(body: &SignatureBody) -> Result<Vec<u8>> {
    let data = serde_json::to_vec(body).map_err(|e| Error::Signature(e.to_string()))?;
    Ok(custom_section(SIGNATURE_SECTION, &data))
}

/// Whether the component carries a signature section (valid or not).
pub fn is_signed(component: &[u8]) -> Result<bool> {
    Ok(split(component)?.1.is_some())
}

/// Signs a component with a base64 private key (replacing an earlier signature).
pub fn sign(component: &[u8], private_key: &str) -> Result<Vec<u8>> {
    let pkcs8 = B64
        .decode(private_key.trim())
        .map_err(|_| Error::Signature("a private key is base64".into()))?;
    let pair = Ed25519KeyPair::from_pkcs8(&pkcs8)
        .map_err(|_| Error::Signature("not an Ed25519 private key (PKCS#8)".into()))?;
    let (unsigned, _) = split(component)?;
    let body = SignatureBody {
        algorithm: "ed25519".into(),
        public_key: B64.encode(pair.public_key().as_ref()),
        signature: B64.encode(pair.sign(unsigned).as_ref()),
    };
    let mut signed = unsigned.to_vec();
    signed.extend_from_slice(&encode_section(&body)?);
    Ok(signed)
}

/// What a signature check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verified {
    /// No signature.
    Unsigned,
    /// A valid signature by a trusted key (its id).
    Trusted(String),
    /// A valid signature by a key that is not trusted (its id).
    Untrusted(String),
}

/// Checks a component's signature against trusted base64 public keys. A signature that does
/// not match the bytes (an altered component) is an error, whoever signed it.
pub fn verify(component: &[u8], trusted: &[String]) -> Result<Verified> {
    let (unsigned, body) = split(component)?;
    let Some(body) = body else {
        return Ok(Verified::Unsigned);
    };
    if body.algorithm != "ed25519" {
        return Err(Error::Signature(format!(
            "unknown signature algorithm `{}`",
            body.algorithm
        )));
    }
    let public = decode_public(&body.public_key)?;
    let signature = B64
        .decode(&body.signature)
        .map_err(|_| Error::Signature("the signature is not base64".into()))?;
    UnparsedPublicKey::new(&ED25519, public)
        .verify(unsigned, &signature)
        .map_err(|_| {
            Error::Signature(
                "the signature does not match the component: it was altered after signing".into(),
            )
        })?;
    let id = key_id(&body.public_key)?;
    let trusted = trusted
        .iter()
        .filter_map(|k| decode_public(k).ok())
        .any(|k| k == public);
    Ok(if trusted {
        Verified::Trusted(id)
    } else {
        Verified::Untrusted(id)
    })
}

#[cfg(all(test, feature = "finalize"))]
mod tests {
    use super::*;

    fn component() -> Vec<u8> {
        crate::ENGINE_COMPONENT.to_vec()
    }

    #[test]
    fn sign_verify_and_tamper() {
        let (private, public) = generate_key().unwrap();
        let (_, other_public) = generate_key().unwrap();
        let unsigned = component();
        assert_eq!(verify(&unsigned, &[]).unwrap(), Verified::Unsigned);
        let signed = sign(&unsigned, &private).unwrap();
        let id = key_id(&public).unwrap();
        assert_eq!(
            verify(&signed, std::slice::from_ref(&public)).unwrap(),
            Verified::Trusted(id.clone())
        );
        assert_eq!(
            verify(&signed, &[other_public]).unwrap(),
            Verified::Untrusted(id)
        );
        // Re-signing replaces the signature instead of stacking one.
        let again = sign(&signed, &private).unwrap();
        assert_eq!(again.len(), signed.len());
        // One flipped byte in the code: refused.
        let mut tampered = signed.clone();
        tampered[100] ^= 1;
        assert!(verify(&tampered, std::slice::from_ref(&public)).is_err());
        // Bytes after the signature: the section is no longer last, refused.
        let mut appended = signed.clone();
        appended.extend_from_slice(
            &encode_section(&SignatureBody {
                algorithm: "x".into(),
                public_key: String::new(),
                signature: String::new(),
            })
            .unwrap(),
        );
        assert!(verify(&appended, &[public]).is_err());
        assert!(verify(b"not wasm", &[]).is_err());
    }
}
