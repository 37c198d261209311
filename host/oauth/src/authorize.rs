//! The authorization code grant's first half: a consent URL with `state` and a PKCE (S256)
//! challenge, and the check of what the provider sends back to the redirect URI.

use base64::Engine as _;
use ring::rand::{SecureRandom, SystemRandom};
use sha2::{Digest, Sha256};

use crate::config::Client;
use crate::{Error, Result};
use plugboard_manifest::OAuth2;

/// A consent in progress: what must come back (`state`) and what proves it is ours
/// (`verifier`). Keep it until the callback arrives; it is single-use.
#[derive(Clone, PartialEq, Eq)]
pub struct PendingAuthorization {
    /// The URL to open in a browser.
    pub consent_url: String,
    /// The redirect URI the provider sends the code to.
    pub redirect_uri: String,
    /// The `state` value the callback must carry.
    pub state: String,
    /// The PKCE code verifier (sent with the code exchange only).
    pub(crate) verifier: String,
}

impl std::fmt::Debug for PendingAuthorization {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingAuthorization")
            .field("consent_url", &self.consent_url)
            .field("redirect_uri", &self.redirect_uri)
            .finish_non_exhaustive()
    }
}

impl PendingAuthorization {
    /// The PKCE code verifier, for a host that keeps a consent in progress elsewhere (sealed
    /// in its store) until the callback arrives.
    pub fn verifier(&self) -> &str {
        &self.verifier
    }

    /// A consent in progress read back from where a host kept it (the consent URL is not
    /// needed any more, and is empty).
    pub fn resume(redirect_uri: &str, state: &str, verifier: &str) -> PendingAuthorization {
        PendingAuthorization {
            consent_url: String::new(),
            redirect_uri: redirect_uri.to_string(),
            state: state.to_string(),
            verifier: verifier.to_string(),
        }
    }
}

/// Random URL-safe text from `bytes` random bytes.
fn random_text(bytes: usize) -> Result<String> {
    let mut buf = vec![0u8; bytes];
    SystemRandom::new()
        .fill(&mut buf)
        .map_err(|_| Error::Authorization("no system randomness".into()))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf))
}

/// The S256 challenge of a verifier (RFC 7636 section 4.2).
pub fn pkce_challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Starts an authorization: the consent URL for `client` with a fresh state and PKCE
/// verifier, the configured scope and extra parameters.
pub fn begin(config: &OAuth2, client: &Client, redirect_uri: &str) -> Result<PendingAuthorization> {
    let Some(authorization_url) = config.authorization_url.as_deref() else {
        return Err(Error::Config(
            "the integration has no authorization URL (it uses client credentials)".into(),
        ));
    };
    let mut url = url::Url::parse(authorization_url)
        .map_err(|e| Error::Config(format!("authorization URL `{authorization_url}`: {e}")))?;
    let state = random_text(24)?;
    // 32 random bytes give a 43-character verifier, the shortest RFC 7636 allows.
    let verifier = random_text(32)?;
    {
        let mut query = url.query_pairs_mut();
        query
            .append_pair("response_type", "code")
            .append_pair("client_id", &client.id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("state", &state)
            .append_pair("code_challenge", &pkce_challenge(&verifier))
            .append_pair("code_challenge_method", "S256");
        if !config.scope.is_empty() {
            query.append_pair("scope", &config.scope);
        }
        for (name, value) in &config.authorization_params {
            query.append_pair(name, value);
        }
    }
    Ok(PendingAuthorization {
        consent_url: url.into(),
        redirect_uri: redirect_uri.to_string(),
        state,
        verifier,
    })
}

/// Whether the query of a request to the redirect URI carries this login's `state` (a
/// listener keeps waiting for the provider's redirect when it does not).
pub fn callback_matches(pending: &PendingAuthorization, query: &str) -> bool {
    url::form_urlencoded::parse(query.as_bytes())
        .any(|(key, value)| key == "state" && value == pending.state.as_str())
}

/// Reads the query of the request that reached the redirect URI: the code, after checking
/// `state`; the provider's error (`error`, `error_description`) when consent failed.
pub fn code_from_callback(pending: &PendingAuthorization, query: &str) -> Result<String> {
    let mut code = None;
    let mut state = None;
    let mut error = None;
    let mut description = None;
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        match key.as_ref() {
            "code" => code = Some(value.into_owned()),
            "state" => state = Some(value.into_owned()),
            "error" => error = Some(value.into_owned()),
            "error_description" => description = Some(value.into_owned()),
            _ => {}
        }
    }
    // The state first: an error redirect carries it too (RFC 6749 section 4.1.2.1), and a
    // redirect without the right state is not the provider's answer to this login.
    if state.as_deref() != Some(pending.state.as_str()) {
        return Err(Error::Authorization(
            "the callback's `state` does not match this login (a stale or forged redirect)".into(),
        ));
    }
    if let Some(error) = error {
        return Err(Error::Authorization(match description {
            Some(description) => format!("the provider refused: {error}: {description}"),
            None => format!("the provider refused: {error}"),
        }));
    }
    code.filter(|c| !c.is_empty())
        .ok_or_else(|| Error::Authorization("the callback has no `code`".into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use plugboard_manifest::Grant;

    #[test]
    fn rfc7636_example_challenge() {
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn consent_url_and_callback() {
        let mut config = OAuth2::new(Grant::ClientCredentials, "http://127.0.0.1:1/token");
        config.grant = Grant::AuthorizationCode;
        config.authorization_url = Some("http://127.0.0.1:1/authorize?tenant=x".into());
        config.scope = "read write".into();
        config.authorization_params = vec![("access_type".into(), "offline".into())];
        let client = Client {
            id: "cid".into(),
            secret: None,
        };
        let pending = begin(&config, &client, "http://127.0.0.1:9/callback").unwrap();
        let url = url::Url::parse(&pending.consent_url).unwrap();
        let query: std::collections::BTreeMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(query["tenant"], "x");
        assert_eq!(query["client_id"], "cid");
        assert_eq!(query["scope"], "read write");
        assert_eq!(query["access_type"], "offline");
        assert_eq!(query["code_challenge"], pkce_challenge(&pending.verifier));
        assert_eq!(pending.verifier.len(), 43);

        let good = format!("code=abc&state={}", pending.state);
        assert_eq!(code_from_callback(&pending, &good).unwrap(), "abc");
        assert!(code_from_callback(&pending, "code=abc&state=other").is_err());
        let refused = code_from_callback(
            &pending,
            &format!(
                "error=access_denied&error_description=user+said+no&state={}",
                pending.state
            ),
        )
        .unwrap_err();
        // Without the right state, an error redirect is not believed either.
        assert!(
            code_from_callback(&pending, "error=access_denied")
                .unwrap_err()
                .to_string()
                .contains("state")
        );
        assert!(refused.to_string().contains("user said no"), "{refused}");
    }
}
