//! OAuth 2.0 consents in progress on the platform: what a `state` was issued for, kept until
//! the provider's redirect brings it back, single use, expiring. The state itself is never
//! stored (only its SHA-256), and the PKCE verifier is sealed to its row.

use sha2::Digest as _;
use sqlx::Row as _;

use crate::{Result, Sealer, Store, now};

/// A consent in progress, as started by a user.
#[derive(Clone, PartialEq, Eq)]
pub struct Consent {
    /// The installation whose configuration is being authorized.
    pub installation_id: String,
    /// The configuration's name.
    pub configuration: String,
    /// The configuration's token key when consent started (it changes with new credentials or
    /// another scope): a consent for replaced credentials is not completed.
    pub credential_key: String,
    /// Who started it.
    pub user_id: String,
    /// The redirect URI sent to the provider (sent again with the code).
    pub redirect_uri: String,
    /// The PKCE verifier (secret; never in `Debug`).
    pub verifier: String,
    /// When it stops being accepted (Unix seconds).
    pub expires_at: i64,
}

impl std::fmt::Debug for Consent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Consent")
            .field("installation_id", &self.installation_id)
            .field("configuration", &self.configuration)
            .field("credential_key", &self.credential_key)
            .field("user_id", &self.user_id)
            .field("redirect_uri", &self.redirect_uri)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// What a taken state turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TakenConsent {
    /// A consent in progress (now spent).
    Pending(Consent),
    /// It was issued but has expired (now removed).
    Expired,
    /// Never issued, or already used.
    Unknown,
}

fn state_hash(state: &str) -> String {
    hex::encode(sha2::Sha256::digest(state.as_bytes()))
}

fn seal_context(hash: &str) -> String {
    format!("consent/{hash}")
}

impl Store {
    /// Keeps a consent in progress under its `state` (removing expired ones).
    pub async fn begin_consent(
        &self,
        state: &str,
        consent: &Consent,
        sealer: &Sealer,
    ) -> Result<()> {
        let hash = state_hash(state);
        let sealed = sealer.seal(consent.verifier.as_bytes(), &seal_context(&hash))?;
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM oauth_consents WHERE expires_at <= $1")
            .bind(now())
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO oauth_consents (state_hash, installation_id, configuration, credential_key, \
             user_id, redirect_uri, verifier, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&hash)
        .bind(&consent.installation_id)
        .bind(&consent.configuration)
        .bind(&consent.credential_key)
        .bind(&consent.user_id)
        .bind(&consent.redirect_uri)
        .bind(sealed)
        .bind(consent.expires_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Takes the consent issued with `state`: the row is deleted in the same statement that
    /// reads it, so a state is used once however many callbacks race.
    pub async fn take_consent(&self, state: &str, sealer: &Sealer) -> Result<TakenConsent> {
        let hash = state_hash(state);
        let row = sqlx::query(
            "DELETE FROM oauth_consents WHERE state_hash = $1 RETURNING installation_id, \
             configuration, credential_key, user_id, redirect_uri, verifier, expires_at",
        )
        .bind(&hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(TakenConsent::Unknown);
        };
        let expires_at: i64 = row.try_get("expires_at")?;
        if expires_at <= now() {
            return Ok(TakenConsent::Expired);
        }
        let sealed: Vec<u8> = row.try_get("verifier")?;
        let verifier = String::from_utf8(sealer.open(&sealed, &seal_context(&hash))?)
            .map_err(|e| crate::Error::Seal(format!("stored verifier: {e}")))?;
        Ok(TakenConsent::Pending(Consent {
            installation_id: row.try_get("installation_id")?,
            configuration: row.try_get("configuration")?,
            credential_key: row.try_get("credential_key")?,
            user_id: row.try_get("user_id")?,
            redirect_uri: row.try_get("redirect_uri")?,
            verifier,
            expires_at,
        }))
    }
}
