//! The token manager: hands out access tokens per credential, refreshes them before they
//! expire (per the integration's strategy) and when an API rejects one, with exactly one token
//! request in flight per credential however many calls wait for it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::authorize::PendingAuthorization;
use crate::config::{Client, Grant, OAuth2Config, RefreshStrategy};
use crate::exchange::{GrantRequest, Issued, now, request_token};
use crate::store::{Failure, TokenRecord, TokenStore};
use crate::{Error, Result};

/// How long after a failed token request the next one may be tried (calls in between fail at
/// once with the stored error instead of hammering the provider).
pub const DEFAULT_COOLDOWN: Duration = Duration::from_secs(30);

/// The credential key for a client of an integration: the same for every process that uses
/// the same token endpoint, client id and scope, so that a login and later calls meet.
pub fn credential_key(config: &OAuth2Config, client: &Client) -> String {
    let mut hash = Sha256::new();
    for part in [&config.token_url, &client.id, &config.scope] {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    let digest = hash.finalize();
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// A token in the in-memory cache.
#[derive(Clone)]
struct Cached {
    token: Arc<str>,
    obtained_at: u64,
    expires_at: u64,
}

/// Per-credential state: the cached token (read without waiting) and the lock that makes
/// token requests single-flight.
#[derive(Default)]
struct Slot {
    cached: Mutex<Option<Cached>>,
    flight: tokio::sync::Mutex<()>,
}

impl Slot {
    fn fresh(&self, config: &OAuth2Config, now: u64) -> Option<Arc<str>> {
        let cached = self.cached.lock().ok()?;
        let cached = cached.as_ref()?;
        (!stale(config, cached.obtained_at, cached.expires_at, now)).then(|| cached.token.clone())
    }

    fn set(&self, cached: Option<Cached>) {
        if let Ok(mut slot) = self.cached.lock() {
            *slot = cached;
        }
    }

    fn holds(&self, token: &str) -> bool {
        self.cached
            .lock()
            .ok()
            .is_some_and(|c| c.as_ref().is_some_and(|c| &*c.token == token))
    }
}

/// Whether a token obtained at `obtained_at` and expiring at `expires_at` must be replaced
/// before use at `now`.
fn stale(config: &OAuth2Config, obtained_at: u64, expires_at: u64, now: u64) -> bool {
    if now >= expires_at {
        return true;
    }
    match config.refresh {
        RefreshStrategy::Automatic { buffer_seconds } => {
            let lifetime = expires_at.saturating_sub(obtained_at);
            now.saturating_add(buffer_seconds.min(lifetime / 2)) >= expires_at
        }
        RefreshStrategy::Interval { every_seconds } => {
            now >= obtained_at.saturating_add(every_seconds)
        }
    }
}

/// What is known about a credential, without secrets (for `plugboard auth status`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialStatus {
    /// An access token is stored.
    pub has_access_token: bool,
    /// When it expires (Unix seconds).
    pub expires_at: Option<u64>,
    /// A refresh token is stored.
    pub has_refresh_token: bool,
    /// The last failure, if the credential is failing.
    pub failure: Option<Failure>,
}

/// Hands out access tokens; share one per process (behind an `Arc`).
pub struct TokenManager {
    http: reqwest::Client,
    store: Arc<dyn TokenStore>,
    slots: Mutex<HashMap<String, Arc<Slot>>>,
    cooldown: Duration,
}

impl std::fmt::Debug for TokenManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenManager")
            .field("cooldown", &self.cooldown)
            .finish_non_exhaustive()
    }
}

impl TokenManager {
    /// A manager over `store`, sending token requests with `http` (which must not follow
    /// redirects: a token request is never replayed to another place).
    pub fn new(http: reqwest::Client, store: Arc<dyn TokenStore>) -> TokenManager {
        TokenManager {
            http,
            store,
            slots: Mutex::new(HashMap::new()),
            cooldown: DEFAULT_COOLDOWN,
        }
    }

    /// Sets the wait after a failed token request.
    pub fn with_cooldown(mut self, cooldown: Duration) -> TokenManager {
        self.cooldown = cooldown;
        self
    }

    fn slot(&self, key: &str) -> Result<Arc<Slot>> {
        let mut slots = self
            .slots
            .lock()
            .map_err(|_| Error::Store("a thread panicked in the token manager".into()))?;
        Ok(slots.entry(key.to_string()).or_default().clone())
    }

    /// A usable access token for the credential `key`: the cached one while it is fresh, else
    /// one obtained now (client credentials, or the refresh token of an earlier
    /// authorization). Concurrent callers for one key share one token request. `timeout`
    /// bounds the token request.
    pub async fn access_token(
        &self,
        key: &str,
        config: &OAuth2Config,
        client: &Client,
        timeout: Duration,
    ) -> Result<Arc<str>> {
        let slot = self.slot(key)?;
        if let Some(token) = slot.fresh(config, now()) {
            return Ok(token);
        }
        let _flight = slot.flight.lock().await;
        let now = now();
        if let Some(token) = slot.fresh(config, now) {
            return Ok(token);
        }
        let mut record = self.store.load(key)?.unwrap_or_default();
        if let Some(token) = &record.access_token {
            let expires_at = record.expires_at.unwrap_or(0);
            if !stale(config, record.obtained_at, expires_at, now) {
                let token: Arc<str> = Arc::from(token.as_str());
                slot.set(Some(Cached {
                    token: token.clone(),
                    obtained_at: record.obtained_at,
                    expires_at,
                }));
                return Ok(token);
            }
        }
        if let Some(failure) = &record.failure {
            let retry_at = failure.at.saturating_add(self.cooldown.as_secs());
            if now < retry_at {
                return Err(Error::CoolingDown {
                    message: failure.message.clone(),
                    retry_in: retry_at - now,
                    needs_reauthorization: failure.needs_reauthorization,
                });
            }
        }
        let refresh_token = record.refresh_token.clone();
        let grant = match (config.grant, refresh_token.as_deref()) {
            (Grant::ClientCredentials, _) => GrantRequest::ClientCredentials,
            (Grant::AuthorizationCode, Some(refresh_token)) => GrantRequest::Refresh {
                refresh_token,
                redirect_uri: record.redirect_uri.as_deref(),
            },
            (Grant::AuthorizationCode, None) => {
                return Err(Error::NeedsAuthorization(
                    "this credential has not been authorized yet (no refresh token): run \
                     `plugboard auth login`"
                        .into(),
                ));
            }
        };
        tracing::debug!(key, grant = ?config.grant, "requesting an access token");
        match request_token(&self.http, config, client, grant, timeout).await {
            Ok(issued) => Ok(self.keep(key, &slot, record, issued)?),
            Err(error) => {
                let needs_reauthorization = config.grant == Grant::AuthorizationCode
                    && matches!(
                        error,
                        Error::Provider {
                            status: 400 | 401,
                            ..
                        }
                    );
                tracing::warn!(key, %error, "token request failed");
                record.access_token = None;
                record.failure = Some(Failure {
                    message: error.to_string(),
                    at: now,
                    needs_reauthorization,
                });
                self.store.save(key, &record)?;
                slot.set(None);
                Err(if needs_reauthorization {
                    Error::NeedsAuthorization(format!(
                        "refreshing the token failed ({error}); authorize again with \
                         `plugboard auth login`"
                    ))
                } else {
                    error
                })
            }
        }
    }

    /// Stores a newly issued token (with the refresh token it brought, or the old one when
    /// it brought none) in one write, and caches it.
    fn keep(
        &self,
        key: &str,
        slot: &Slot,
        mut record: TokenRecord,
        issued: Issued,
    ) -> Result<Arc<str>> {
        let token: Arc<str> = Arc::from(issued.access_token.as_str());
        record.access_token = Some(issued.access_token);
        record.obtained_at = issued.obtained_at;
        record.expires_at = Some(issued.expires_at);
        if issued.refresh_token.is_some() {
            record.refresh_token = issued.refresh_token;
        }
        record.failure = None;
        self.store.save(key, &record)?;
        slot.set(Some(Cached {
            token: token.clone(),
            obtained_at: issued.obtained_at,
            expires_at: issued.expires_at,
        }));
        Ok(token)
    }

    /// Says that an API rejected `token` (a 401, or the integration's other signs): if it is
    /// still the current token of `key`, it is dropped so the next
    /// [`TokenManager::access_token`] obtains a new one. A token already replaced by another
    /// caller is left alone, so many rejections of one token cause one refresh.
    pub async fn token_rejected(&self, key: &str, token: &str) -> Result<()> {
        let slot = self.slot(key)?;
        let _flight = slot.flight.lock().await;
        if slot.holds(token) {
            slot.set(None);
        }
        if let Some(mut record) = self.store.load(key)?
            && record.access_token.as_deref() == Some(token)
        {
            record.access_token = None;
            self.store.save(key, &record)?;
        }
        Ok(())
    }

    /// Completes an authorization: exchanges the code (with the PKCE verifier) and stores the
    /// tokens for `key`, replacing any earlier state (and failure) of the credential.
    pub async fn complete_authorization(
        &self,
        key: &str,
        config: &OAuth2Config,
        client: &Client,
        pending: &PendingAuthorization,
        code: &str,
        timeout: Duration,
    ) -> Result<()> {
        let slot = self.slot(key)?;
        let _flight = slot.flight.lock().await;
        let grant = GrantRequest::AuthorizationCode {
            code,
            redirect_uri: &pending.redirect_uri,
            verifier: &pending.verifier,
        };
        let issued = request_token(&self.http, config, client, grant, timeout).await?;
        if issued.refresh_token.is_none() {
            tracing::warn!(
                key,
                "the provider gave no refresh token: the credential works until the access token expires"
            );
        }
        let record = TokenRecord {
            redirect_uri: Some(pending.redirect_uri.clone()),
            ..TokenRecord::default()
        };
        self.keep(key, &slot, record, issued)?;
        Ok(())
    }

    /// Stores a refresh token obtained elsewhere (an operator pasting one), unless the
    /// credential already has state.
    pub fn seed_refresh_token(&self, key: &str, refresh_token: &str) -> Result<()> {
        if self.store.load(key)?.is_some() {
            return Ok(());
        }
        let record = TokenRecord {
            refresh_token: Some(refresh_token.to_string()),
            ..TokenRecord::default()
        };
        self.store.save(key, &record)
    }

    /// What is stored for `key`, without secrets.
    pub fn status(&self, key: &str) -> Result<Option<CredentialStatus>> {
        Ok(self.store.load(key)?.map(|record| CredentialStatus {
            has_access_token: record.access_token.is_some(),
            expires_at: record.expires_at,
            has_refresh_token: record.refresh_token.is_some(),
            failure: record.failure,
        }))
    }

    /// Forgets the credential's tokens.
    pub fn forget(&self, key: &str) -> Result<()> {
        self.slot(key)?.set(None);
        self.store.remove(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staleness_per_strategy() {
        let mut config = OAuth2Config::client_credentials("http://t/token");
        config.refresh = RefreshStrategy::Automatic {
            buffer_seconds: 300,
        };
        // A one-hour token: refreshed in its last 5 minutes.
        assert!(!stale(&config, 0, 3600, 3299));
        assert!(stale(&config, 0, 3600, 3300));
        // A one-minute token: the buffer is capped at half its lifetime.
        assert!(!stale(&config, 0, 60, 29));
        assert!(stale(&config, 0, 60, 30));
        config.refresh = RefreshStrategy::Interval { every_seconds: 600 };
        assert!(!stale(&config, 0, 3600, 599));
        assert!(stale(&config, 0, 3600, 600));
        assert!(stale(&config, 0, 300, 300));
    }

    #[test]
    fn credential_keys_separate_clients() {
        let config = OAuth2Config::client_credentials("http://t/token");
        let a = Client {
            id: "a".into(),
            secret: None,
        };
        let b = Client {
            id: "b".into(),
            secret: None,
        };
        assert_ne!(credential_key(&config, &a), credential_key(&config, &b));
        assert_eq!(credential_key(&config, &a).len(), 32);
    }
}
