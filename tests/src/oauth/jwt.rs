//! [`JwtVerifier`]: checks RS256 JWTs against a JWKS.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::signature::{RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents};
use serde_json::Value;

use super::unix_now;
use crate::api::{BearerValidator, TokenStatus};

/// Leeway for `nbf` (the mock server backdates it by 10 s already).
const NBF_LEEWAY_SECS: u64 = 5;

/// Verifies RS256 JWTs (such as the [`super::OAuthMockServer`]'s access tokens): signature by a
/// key of the JWKS fetched once, `iss`, `exp` and `nbf`. Cheap to clone; clones share the keys
/// and the expired set (see [`JwtVerifier::expire`]).
///
/// Implements [`BearerValidator`], so `AuthCheck::bearer(verifier.clone())` protects a
/// [`crate::api::TestApi`] with the mock server's tokens.
#[derive(Debug, Clone)]
pub struct JwtVerifier {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    issuer: String,
    /// RSA public keys by `kid`: (modulus, exponent), big-endian.
    keys: BTreeMap<String, (Vec<u8>, Vec<u8>)>,
    /// Tokens verified so far (for [`JwtVerifier::expire_seen`]).
    seen: Mutex<HashSet<String>>,
    /// Tokens treated as expired although their `exp` is in the future.
    expired: Mutex<HashSet<String>>,
}

impl JwtVerifier {
    /// Fetches the JWKS at `jwks_url` and verifies tokens whose `iss` is exactly `issuer`.
    pub async fn fetch(jwks_url: &str, issuer: &str) -> Result<JwtVerifier, String> {
        // reqwest needs a process-wide crypto provider even for plain http; another caller may
        // have installed one already.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .no_proxy()
            .build()
            .map_err(|e| format!("build an HTTP client: {e}"))?;
        let response = client
            .get(jwks_url)
            .send()
            .await
            .map_err(|e| format!("GET {jwks_url}: {e}"))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| format!("GET {jwks_url}: reading the body: {e}"))?;
        if !status.is_success() {
            return Err(format!(
                "GET {jwks_url}: status {status}: {}",
                String::from_utf8_lossy(&body)
            ));
        }
        let jwks: Value = serde_json::from_slice(&body)
            .map_err(|e| format!("GET {jwks_url}: the JWKS is not JSON: {e}"))?;
        JwtVerifier::from_jwks(&jwks, issuer)
    }

    /// Like [`JwtVerifier::fetch`] for callers that are not async; usable inside a runtime too
    /// (it fetches on a thread of its own).
    pub fn fetch_blocking(jwks_url: &str, issuer: &str) -> Result<JwtVerifier, String> {
        let (jwks_url, issuer) = (jwks_url.to_owned(), issuer.to_owned());
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| format!("build a runtime: {e}"))?;
            runtime.block_on(JwtVerifier::fetch(&jwks_url, &issuer))
        })
        .join()
        .map_err(|_| "the JWKS fetch thread panicked".to_owned())?
    }

    /// A verifier for the RSA keys of `jwks` (`{"keys": [{"kty": "RSA", "kid", "n", "e"}, ...]}`;
    /// other keys are ignored).
    pub fn from_jwks(jwks: &Value, issuer: &str) -> Result<JwtVerifier, String> {
        let entries = jwks["keys"]
            .as_array()
            .ok_or_else(|| format!("the JWKS has no `keys` array: {jwks}"))?;
        let mut keys = BTreeMap::new();
        for key in entries {
            if key["kty"] != "RSA" {
                continue;
            }
            let field = |name: &str| {
                key[name]
                    .as_str()
                    .ok_or_else(|| format!("JWK without `{name}`: {key}"))
            };
            let decode = |name: &str| {
                URL_SAFE_NO_PAD
                    .decode(field(name)?)
                    .map_err(|e| format!("JWK `{name}` is not base64url: {e}"))
            };
            keys.insert(field("kid")?.to_owned(), (decode("n")?, decode("e")?));
        }
        if keys.is_empty() {
            return Err(format!("the JWKS has no RSA key: {jwks}"));
        }
        Ok(JwtVerifier {
            inner: Arc::new(Inner {
                issuer: issuer.to_owned(),
                keys,
                seen: Mutex::new(HashSet::new()),
                expired: Mutex::new(HashSet::new()),
            }),
        })
    }

    /// The issuer tokens must name.
    pub fn issuer(&self) -> &str {
        &self.inner.issuer
    }

    /// The key ids of the JWKS.
    pub fn key_ids(&self) -> Vec<String> {
        self.inner.keys.keys().cloned().collect()
    }

    /// The claims of `token` when it is valid: three base64url parts, header `alg` RS256 with a
    /// `kid` of the JWKS, a valid RSA PKCS#1 v1.5 SHA-256 signature, `iss` equal to the issuer,
    /// `exp` in the future (and not expired by [`JwtVerifier::expire`]), `nbf` (if any) not in
    /// the future. The error says which check failed; an expired token's starts with
    /// `token expired`.
    pub fn verify(&self, token: &str) -> Result<Value, String> {
        let claims = self.verify_signed(token)?;
        let now = unix_now();
        let exp = claims["exp"]
            .as_u64()
            .ok_or_else(|| "the token has no numeric `exp`".to_owned())?;
        if exp <= now {
            return Err(format!("token expired at {exp} (now {now})"));
        }
        if self.lock_expired().contains(token) {
            return Err("token expired (marked expired by the test)".to_owned());
        }
        self.inner
            .seen
            .lock()
            .expect("token set poisoned")
            .insert(token.to_owned());
        Ok(claims)
    }

    /// Makes `token` count as expired from now on (a valid signature stays required).
    pub fn expire(&self, token: &str) {
        self.lock_expired().insert(token.to_owned());
    }

    /// Makes every token verified so far count as expired (simulates expiry without waiting).
    pub fn expire_seen(&self) {
        let seen: Vec<String> = self
            .inner
            .seen
            .lock()
            .expect("token set poisoned")
            .drain()
            .collect();
        self.lock_expired().extend(seen);
    }

    fn lock_expired(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.inner.expired.lock().expect("token set poisoned")
    }

    /// Every check but the expiry ones; the claims.
    fn verify_signed(&self, token: &str) -> Result<Value, String> {
        let mut parts = token.split('.');
        let (Some(header64), Some(payload64), Some(signature64), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err("a JWT has exactly three dot-separated parts".to_owned());
        };
        let decode_json = |what: &str, part: &str| -> Result<Value, String> {
            let bytes = URL_SAFE_NO_PAD
                .decode(part)
                .map_err(|e| format!("the {what} is not base64url: {e}"))?;
            serde_json::from_slice(&bytes).map_err(|e| format!("the {what} is not JSON: {e}"))
        };
        let header = decode_json("header", header64)?;
        let claims = decode_json("payload", payload64)?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature64)
            .map_err(|e| format!("the signature is not base64url: {e}"))?;
        if header["alg"] != "RS256" {
            return Err(format!("alg must be RS256, got {}", header["alg"]));
        }
        let kid = header["kid"]
            .as_str()
            .ok_or_else(|| "the header has no `kid`".to_owned())?;
        let (n, e) = self
            .inner
            .keys
            .get(kid)
            .ok_or_else(|| format!("kid {kid:?} is not in the JWKS"))?;
        let signing_input = &token[..header64.len() + 1 + payload64.len()];
        RsaPublicKeyComponents { n, e }
            .verify(
                &RSA_PKCS1_2048_8192_SHA256,
                signing_input.as_bytes(),
                &signature,
            )
            .map_err(|_| "bad signature".to_owned())?;
        if claims["iss"] != self.inner.issuer.as_str() {
            return Err(format!(
                "iss must be {:?}, got {}",
                self.inner.issuer, claims["iss"]
            ));
        }
        if let Some(nbf) = claims["nbf"].as_u64()
            && nbf > unix_now() + NBF_LEEWAY_SECS
        {
            return Err(format!("the token is not valid before {nbf}"));
        }
        Ok(claims)
    }
}

impl BearerValidator for JwtVerifier {
    fn status(&self, token: &str) -> TokenStatus {
        match self.verify(token) {
            Ok(_) => TokenStatus::Valid,
            Err(error) if error.starts_with("token expired") => TokenStatus::Expired,
            Err(_) => TokenStatus::Invalid,
        }
    }
}
