//! The token manager: hands out access tokens per credential, refreshes them before they
//! expire (per the integration's strategy) and when an API rejects one, with exactly one token
//! request in flight per credential however many calls wait for it.
//!
//! A token request runs in its own task, which holds the credential's lock until the answer is
//! stored: a caller that gives up (its deadline passed) neither cancels a refresh half-way (the
//! provider may already have rotated the refresh token) nor lets a second refresh start.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::authorize::PendingAuthorization;
use crate::config::Client;
use crate::exchange::{GrantRequest, Issued, now, request_token};
use crate::store::{Failure, TokenRecord, TokenStore};
use crate::{Error, Result};
use plugboard_manifest::{Grant, OAuth2, Refresh};

/// How long after a failed token request the next one may be tried (calls in between get the
/// stored error, or the old token while it is still valid, instead of hammering the provider).
pub const DEFAULT_COOLDOWN: Duration = Duration::from_secs(30);
/// Longest wait for one token request. It is the manager's, not a caller's: a call with a
/// short deadline stops waiting, the request goes on for the others.
pub const TOKEN_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The credential key for a client of an integration: the same for every process that uses
/// the same token endpoint, client id and scope, so that a login and later calls meet. Meant
/// for one user per client (the CLI); a platform with many installations of one OAuth app
/// passes its own key per installation.
pub fn credential_key(config: &OAuth2, client: &Client) -> String {
    let mut hash = Sha256::new();
    for part in [&config.token_url, &client.id, &config.scope] {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    let digest = hash.finalize();
    let mut key = String::with_capacity(32);
    for byte in &digest[..16] {
        // Writing to a String cannot fail.
        let _ = write!(key, "{byte:02x}");
    }
    key
}

/// A token in the in-memory cache.
#[derive(Clone)]
struct Cached {
    token: Arc<str>,
    obtained_at: u64,
    expires_at: u64,
    /// After a failed refresh: the still valid token is used until then without another try.
    hold_until: u64,
}

/// Per-credential state: the cached token (read without waiting), the lock that makes token
/// requests single-flight, and a record whose save failed (kept so a rotated refresh token is
/// not lost; saved again with the next change).
#[derive(Default)]
struct Slot {
    cached: Mutex<Option<Cached>>,
    flight: Arc<tokio::sync::Mutex<()>>,
    unsaved: Mutex<Option<TokenRecord>>,
}

impl Slot {
    fn fresh(&self, config: &OAuth2, now: u64) -> Option<Arc<str>> {
        let cached = self.cached.lock().ok()?;
        let cached = cached.as_ref()?;
        let usable = !stale(config, cached.obtained_at, cached.expires_at, now)
            || (now < cached.hold_until && now < cached.expires_at);
        usable.then(|| cached.token.clone())
    }

    fn set(&self, cached: Option<Cached>) {
        if let Ok(mut slot) = self.cached.lock() {
            *slot = cached;
        }
    }

    fn cache(&self, token: &Arc<str>, record: &TokenRecord, hold_until: u64) {
        self.set(Some(Cached {
            token: token.clone(),
            obtained_at: record.obtained_at,
            expires_at: record.expires_at.unwrap_or(0),
            hold_until,
        }));
    }

    fn holds(&self, token: &str) -> bool {
        self.cached
            .lock()
            .ok()
            .is_some_and(|c| c.as_ref().is_some_and(|c| &*c.token == token))
    }

    fn take_unsaved(&self) -> Option<TokenRecord> {
        self.unsaved.lock().ok()?.take()
    }

    fn keep_unsaved(&self, record: TokenRecord) {
        if let Ok(mut unsaved) = self.unsaved.lock() {
            *unsaved = Some(record);
        }
    }
}

/// Whether a token obtained at `obtained_at` and expiring at `expires_at` must be replaced
/// before use at `now`.
fn stale(config: &OAuth2, obtained_at: u64, expires_at: u64, now: u64) -> bool {
    if now >= expires_at {
        return true;
    }
    match config.refresh {
        Refresh::Automatic { buffer_seconds } => {
            let lifetime = expires_at.saturating_sub(obtained_at);
            now.saturating_add(u64::from(buffer_seconds).min(lifetime / 2)) >= expires_at
        }
        Refresh::Interval { every_seconds } => {
            now >= obtained_at.saturating_add(u64::from(every_seconds))
        }
    }
}

/// The record's access token if it has not expired yet (stale or not).
fn unexpired(record: &TokenRecord, now: u64) -> Option<Arc<str>> {
    let token = record.access_token.as_deref()?;
    (now < record.expires_at.unwrap_or(0)).then(|| Arc::from(token))
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

impl CredentialStatus {
    /// Whether calls can get a token without a new login.
    pub fn authorized(&self, now: u64) -> bool {
        let valid = self.has_access_token && self.expires_at.is_some_and(|at| now < at);
        let refreshable = self.has_refresh_token
            && !self
                .failure
                .as_ref()
                .is_some_and(|f| f.needs_reauthorization);
        valid || refreshable
    }
}

/// Hands out access tokens; share one per process (behind an `Arc`).
pub struct TokenManager {
    inner: Arc<Inner>,
}

struct Inner {
    http: plugboard_egress::EgressClient,
    store: Arc<dyn TokenStore>,
    slots: Mutex<HashMap<String, Arc<Slot>>>,
    cooldown: Duration,
}

impl std::fmt::Debug for TokenManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenManager")
            .field("cooldown", &self.inner.cooldown)
            .finish_non_exhaustive()
    }
}

impl TokenManager {
    /// A manager over `store`, sending token requests with `http` (which must not follow
    /// redirects: a token request is never replayed to another place), only where its egress
    /// policy allows.
    pub fn new(http: plugboard_egress::EgressClient, store: Arc<dyn TokenStore>) -> TokenManager {
        TokenManager {
            inner: Arc::new(Inner {
                http,
                store,
                slots: Mutex::new(HashMap::new()),
                cooldown: DEFAULT_COOLDOWN,
            }),
        }
    }

    /// Sets the wait after a failed token request.
    pub fn with_cooldown(mut self, cooldown: Duration) -> TokenManager {
        // Nothing else holds the state before the first token request.
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.cooldown = cooldown;
        }
        self
    }

    /// A usable access token for the credential `key`: the cached one while it is fresh, else
    /// one obtained now (client credentials, or the refresh token of an earlier
    /// authorization). Concurrent callers for one key share one token request.
    pub async fn access_token(
        &self,
        key: &str,
        config: &OAuth2,
        client: &Client,
    ) -> Result<Arc<str>> {
        let slot = self.inner.slot(key)?;
        if let Some(token) = slot.fresh(config, now()) {
            return Ok(token);
        }
        let flight = slot.flight.clone().lock_owned().await;
        if let Some(token) = slot.fresh(config, now()) {
            return Ok(token);
        }
        let inner = self.inner.clone();
        let (key, config, client) = (key.to_string(), config.clone(), client.clone());
        let task = tokio::spawn(async move {
            let _flight = flight;
            inner.obtain(&key, &slot, &config, &client).await
        });
        task.await
            .map_err(|e| Error::Store(format!("the token request task failed: {e}")))?
    }

    /// Says that an API rejected `token` (a 401, or the integration's other signs): if it is
    /// still the current token of `key`, it is dropped so the next
    /// [`TokenManager::access_token`] obtains a new one. A token already replaced by another
    /// caller is left alone, so many rejections of one token cause one refresh.
    pub async fn token_rejected(&self, key: &str, token: &str) -> Result<()> {
        let slot = self.inner.slot(key)?;
        let _flight = slot.flight.lock().await;
        if slot.holds(token) {
            slot.set(None);
        }
        let mut record = match slot.take_unsaved() {
            Some(record) => record,
            None => match self.inner.load(key).await? {
                Some(record) => record,
                None => return Ok(()),
            },
        };
        if record.access_token.as_deref() == Some(token) {
            record.access_token = None;
            record.expires_at = None;
            self.inner.save(key, &slot, record).await;
        }
        Ok(())
    }

    /// Completes an authorization: exchanges the code (with the PKCE verifier) and stores the
    /// tokens for `key`, replacing any earlier state (and failure) of the credential.
    pub async fn complete_authorization(
        &self,
        key: &str,
        config: &OAuth2,
        client: &Client,
        pending: &PendingAuthorization,
        code: &str,
    ) -> Result<()> {
        let slot = self.inner.slot(key)?;
        let _flight = slot.flight.lock().await;
        let grant = GrantRequest::AuthorizationCode {
            code,
            redirect_uri: &pending.redirect_uri,
            verifier: &pending.verifier,
        };
        let issued = request_token(
            &self.inner.http,
            config,
            client,
            grant,
            TOKEN_REQUEST_TIMEOUT,
        )
        .await;
        let outcome = if issued.is_ok() { "ok" } else { "error" };
        metrics::counter!("plugboard_token_requests_total", "grant" => "authorization_code", "outcome" => outcome)
            .increment(1);
        let issued = issued?;
        if issued.refresh_token.is_none() {
            tracing::warn!(
                key,
                "the provider gave no refresh token: the credential works until the access token expires"
            );
        }
        slot.take_unsaved();
        let record = TokenRecord {
            redirect_uri: Some(pending.redirect_uri.clone()),
            ..TokenRecord::default()
        };
        self.inner.keep(key, &slot, record, issued).await;
        Ok(())
    }

    /// Stores a refresh token obtained elsewhere (an operator pasting one) unless the
    /// credential already has a working one: when it has no state, no refresh token, or needs
    /// re-authorization.
    pub async fn seed_refresh_token(&self, key: &str, refresh_token: &str) -> Result<()> {
        let current = self.inner.load(key).await?;
        let keep = current.as_ref().is_some_and(|record| {
            record.refresh_token.is_some()
                && !record
                    .failure
                    .as_ref()
                    .is_some_and(|f| f.needs_reauthorization)
        });
        if keep || current.as_ref().and_then(|r| r.refresh_token.as_deref()) == Some(refresh_token)
        {
            return Ok(());
        }
        let record = TokenRecord {
            refresh_token: Some(refresh_token.to_string()),
            ..TokenRecord::default()
        };
        let store = self.inner.store.clone();
        let key = key.to_string();
        blocking(move || store.save(&key, &record)).await
    }

    /// What is stored for `key`, without secrets.
    pub async fn status(&self, key: &str) -> Result<Option<CredentialStatus>> {
        Ok(self.inner.load(key).await?.map(|record| CredentialStatus {
            has_access_token: record.access_token.is_some(),
            expires_at: record.expires_at,
            has_refresh_token: record.refresh_token.is_some(),
            failure: record.failure,
        }))
    }

    /// Forgets the credential's tokens (after any token request in flight for it).
    pub async fn forget(&self, key: &str) -> Result<()> {
        let slot = self.inner.slot(key)?;
        let _flight = slot.flight.lock().await;
        slot.set(None);
        slot.take_unsaved();
        let store = self.inner.store.clone();
        let key = key.to_string();
        blocking(move || store.remove(&key)).await
    }
}

/// Runs store I/O (file reads, fsync, a lock file) off the async worker threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Error::Store(format!("the store task failed: {e}")))?
}

impl Inner {
    fn slot(&self, key: &str) -> Result<Arc<Slot>> {
        let mut slots = self
            .slots
            .lock()
            .map_err(|_| Error::Store("a thread panicked in the token manager".into()))?;
        if let Some(slot) = slots.get(key) {
            return Ok(slot.clone());
        }
        let slot = Arc::new(Slot::default());
        slots.insert(key.to_string(), slot.clone());
        Ok(slot)
    }

    async fn load(&self, key: &str) -> Result<Option<TokenRecord>> {
        let store = self.store.clone();
        let key = key.to_string();
        blocking(move || store.load(&key)).await
    }

    /// Saves a record; when that fails, keeps it in the slot (to be saved with the next change)
    /// so that a rotated refresh token is not lost, and logs why.
    async fn save(&self, key: &str, slot: &Slot, record: TokenRecord) {
        let store = self.store.clone();
        let owned_key = key.to_string();
        let copy = record.clone();
        if let Err(error) = blocking(move || store.save(&owned_key, &copy)).await {
            tracing::error!(key, %error, "cannot save token state; kept in memory");
            slot.keep_unsaved(record);
        }
    }

    /// Obtains a token (under the credential's lock): the stored one if another process
    /// refreshed it, else a token request; records a failure with its cooldown.
    async fn obtain(
        &self,
        key: &str,
        slot: &Slot,
        config: &OAuth2,
        client: &Client,
    ) -> Result<Arc<str>> {
        // Other hosts sharing the store wait here while this one refreshes, then find the
        // fresh token in the store.
        let store = self.store.clone();
        let lock_key = key.to_string();
        let _across_hosts = blocking(move || store.lock(&lock_key)).await?;
        let now = now();
        let mut record = match slot.take_unsaved() {
            Some(record) => record,
            None => self.load(key).await?.unwrap_or_default(),
        };
        if let Some(token) = &record.access_token {
            let expires_at = record.expires_at.unwrap_or(0);
            if !stale(config, record.obtained_at, expires_at, now) {
                let token: Arc<str> = Arc::from(token.as_str());
                slot.cache(&token, &record, 0);
                return Ok(token);
            }
        }
        if let Some(failure) = &record.failure {
            let retry_at = failure.at.saturating_add(self.cooldown.as_secs());
            if let Some(token) = unexpired(&record, now).filter(|_| now < retry_at) {
                slot.cache(&token, &record, retry_at);
                return Ok(token);
            }
            if failure.needs_reauthorization {
                return Err(Error::NeedsAuthorization(format!(
                    "{}; a user must authorize the credential again",
                    failure.message
                )));
            }
            if now < retry_at {
                return Err(Error::CoolingDown {
                    message: failure.message.clone(),
                    retry_in: retry_at - now,
                });
            }
        }
        let grant = match (config.grant, record.refresh_token.as_deref()) {
            (Grant::ClientCredentials, _) => GrantRequest::ClientCredentials,
            (Grant::AuthorizationCode, Some(refresh_token)) => GrantRequest::Refresh {
                refresh_token,
                redirect_uri: record.redirect_uri.as_deref(),
            },
            (Grant::AuthorizationCode, None) => {
                return Err(Error::NeedsAuthorization(
                    "this credential has not been authorized yet (no refresh token): a user must \
                     consent first"
                        .into(),
                ));
            }
        };
        tracing::debug!(key, grant = ?config.grant, "requesting an access token");
        let kind = match grant {
            GrantRequest::ClientCredentials => "client_credentials",
            GrantRequest::Refresh { .. } => "refresh_token",
            GrantRequest::AuthorizationCode { .. } => "authorization_code",
        };
        let result = request_token(&self.http, config, client, grant, TOKEN_REQUEST_TIMEOUT).await;
        let outcome = if result.is_ok() { "ok" } else { "error" };
        metrics::counter!("plugboard_token_requests_total", "grant" => kind, "outcome" => outcome)
            .increment(1);
        let error = match result {
            Ok(issued) => return Ok(self.keep(key, slot, record, issued).await),
            Err(error) => error,
        };
        // Another process may have refreshed meanwhile (its rotation spent our refresh
        // token): its state wins, and this is no failure of the credential.
        if let Ok(Some(current)) = self.load(key).await
            && (current.obtained_at != record.obtained_at
                || current.refresh_token != record.refresh_token)
        {
            if let Some(token) = unexpired(&current, now) {
                slot.cache(&token, &current, 0);
                return Ok(token);
            }
            return Err(error);
        }
        let needs_reauthorization = config.grant == Grant::AuthorizationCode
            && matches!(&error, Error::Provider { error, .. } if error == "invalid_grant");
        tracing::warn!(key, %error, "token request failed");
        let still_valid = unexpired(&record, now);
        if still_valid.is_none() {
            record.access_token = None;
        }
        record.failure = Some(Failure {
            message: error.to_string(),
            at: now,
            needs_reauthorization,
        });
        self.save(key, slot, record.clone()).await;
        if let Some(token) = still_valid {
            // The old token works until it expires; no new try before the cooldown ends.
            slot.cache(&token, &record, now.saturating_add(self.cooldown.as_secs()));
            return Ok(token);
        }
        slot.set(None);
        Err(if needs_reauthorization {
            Error::NeedsAuthorization(format!(
                "refreshing the token failed ({error}); a user must authorize the credential again"
            ))
        } else {
            error
        })
    }

    /// Stores a newly issued token (with the refresh token it brought, or the old one when it
    /// brought none) in one write, and caches it.
    async fn keep(
        &self,
        key: &str,
        slot: &Slot,
        mut record: TokenRecord,
        issued: Issued,
    ) -> Arc<str> {
        let token: Arc<str> = Arc::from(issued.access_token.as_str());
        record.access_token = Some(issued.access_token);
        record.obtained_at = issued.obtained_at;
        record.expires_at = Some(issued.expires_at);
        if issued.refresh_token.is_some() {
            record.refresh_token = issued.refresh_token;
        }
        record.failure = None;
        slot.cache(&token, &record, 0);
        self.save(key, slot, record).await;
        token
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staleness_per_strategy() {
        let mut config = OAuth2::new(Grant::ClientCredentials, "http://t/token");
        config.refresh = Refresh::Automatic {
            buffer_seconds: 300,
        };
        // A one-hour token: refreshed in its last 5 minutes.
        assert!(!stale(&config, 0, 3600, 3299));
        assert!(stale(&config, 0, 3600, 3300));
        // A one-minute token: the buffer is capped at half its lifetime.
        assert!(!stale(&config, 0, 60, 29));
        assert!(stale(&config, 0, 60, 30));
        config.refresh = Refresh::Interval { every_seconds: 600 };
        assert!(!stale(&config, 0, 3600, 599));
        assert!(stale(&config, 0, 3600, 600));
        assert!(stale(&config, 0, 300, 300));
    }

    #[test]
    fn credential_keys_separate_clients() {
        let config = OAuth2::new(Grant::ClientCredentials, "http://t/token");
        let a = Client {
            id: "a".into(),
            secret: None,
        };
        let b = Client {
            id: "b".into(),
            secret: None,
        };
        assert_ne!(credential_key(&config, &a), credential_key(&config, &b));
        // Stored tokens are found by this key: its spelling must never change.
        assert_eq!(
            credential_key(&config, &a),
            "a1e0ea0af58dc623be61438a3572bb38"
        );
    }

    #[test]
    fn status_says_when_a_login_is_needed() {
        let mut status = CredentialStatus {
            has_access_token: true,
            expires_at: Some(100),
            has_refresh_token: true,
            failure: None,
        };
        assert!(status.authorized(50));
        status.failure = Some(Failure {
            message: "invalid_grant".into(),
            at: 10,
            needs_reauthorization: true,
        });
        assert!(status.authorized(50), "the access token still works");
        assert!(!status.authorized(100));
    }
}
