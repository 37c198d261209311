//! The OAuth 2.0 credential of one call: which client and credential key it is, its access
//! tokens from the shared token manager, and the refresh after an API rejected one.

use std::sync::Arc;

use plugboard_manifest::{Failure, OAuth2};
use plugboard_oauth::{Client, TokenManager, credential_key};
use reqwest::header::HeaderValue;

use crate::outbound::sensitive;
use crate::{Credentials, Error, InvokeOptions, Result};

/// The OAuth 2.0 credential of one call: tokens come from the shared manager.
pub(crate) struct OAuthCall {
    manager: Arc<TokenManager>,
    /// The integration's OAuth 2.0 settings (as overridden for this configuration).
    pub(crate) config: Arc<OAuth2>,
    key: String,
    client: Client,
}

impl OAuthCall {
    /// The credential of a call with `config`: the client from `client_id` / `client_secret`,
    /// the credential key, and a `refresh_token` credential seeded into the store if it has
    /// nothing yet for that key.
    pub(crate) async fn new(
        manager: &Arc<TokenManager>,
        config: Arc<OAuth2>,
        options: &InvokeOptions,
    ) -> Result<OAuthCall> {
        let client = oauth_client(&options.credentials).ok_or(Error::MissingCredentials {
            auth: "OAuth 2.0",
            names: vec!["client_id"],
        })?;
        let key = options
            .credential_key
            .clone()
            .unwrap_or_else(|| credential_key(&config, &client));
        if let Some(refresh_token) = options.credentials.get("refresh_token") {
            manager
                .seed_refresh_token(&key, refresh_token)
                .await
                .map_err(|e| Error::Tokens(e.to_string()))?;
        }
        Ok(OAuthCall {
            manager: manager.clone(),
            config,
            key,
            client,
        })
    }

    /// A usable access token and its `Authorization` value. A credential that needs a user's
    /// consent is noted in `consent_needed`, so the caller can say so precisely.
    pub(crate) async fn authorization(
        &self,
        consent_needed: &mut Option<String>,
    ) -> std::result::Result<(Arc<str>, HeaderValue), Failure> {
        let token = self
            .manager
            .access_token(&self.key, &self.config, &self.client)
            .await
            .map_err(|e| oauth_failure(e, consent_needed))?;
        let value = sensitive(&format!("{} {token}", self.config.token_scheme))?;
        Ok((token, value))
    }

    /// After the API rejected `token`: drops it (one token request however many calls saw the
    /// rejection) and returns the next usable token, as [`OAuthCall::authorization`] does.
    pub(crate) async fn after_rejection(
        &self,
        token: &str,
        consent_needed: &mut Option<String>,
    ) -> std::result::Result<(Arc<str>, HeaderValue), Failure> {
        self.manager
            .token_rejected(&self.key, token)
            .await
            .map_err(|e| oauth_failure(e, consent_needed))?;
        self.authorization(consent_needed).await
    }
}

/// A token manager error as the component sees it (`denied`), noting a needed consent.
fn oauth_failure(error: plugboard_oauth::Error, consent_needed: &mut Option<String>) -> Failure {
    if let plugboard_oauth::Error::NeedsAuthorization(message) = &error {
        *consent_needed = Some(message.clone());
    }
    Failure::denied(format!("OAuth 2.0: {error}"))
}

/// The OAuth client from the `client_id` and (optional) `client_secret` credentials.
pub fn oauth_client(credentials: &Credentials) -> Option<Client> {
    Some(Client {
        id: credentials.get("client_id")?.to_string(),
        secret: credentials.get("client_secret").map(str::to_string),
    })
}
