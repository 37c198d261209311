//! How an integration talks to its OAuth 2.0 provider, and the client credentials of one
//! installation.

use plugboard_manifest::OAuth2;

/// Whether a response with this status and body means the access token was rejected: one of the
/// `refresh_on_status` statuses, or the expired-token body marker. A success that carries the
/// marker counts only for an idempotent request (`idempotent`): a POST whose data merely
/// contains the marker text must not run twice.
pub fn rejects_token(config: &OAuth2, status: u16, body: &[u8], idempotent: bool) -> bool {
    if config.refresh_on_status.contains(&status) {
        return true;
    }
    let success = (200..300).contains(&status);
    (idempotent || !success)
        && config
            .expired_body_marker
            .as_deref()
            .is_some_and(|marker| !marker.is_empty() && contains(body, marker.as_bytes()))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(haystack, needle).is_some()
}

/// The OAuth client of one installation. The secret never appears in `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct Client {
    /// Client id.
    pub id: String,
    /// Client secret; `None` for a public client (PKCE only).
    pub secret: Option<String>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("id", &self.id)
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plugboard_manifest::Grant;

    #[test]
    fn rejection_by_status_or_marker() {
        let mut config = OAuth2::new(Grant::ClientCredentials, "http://t/token");
        assert!(rejects_token(&config, 401, b"", false));
        assert!(!rejects_token(&config, 403, b"", true));
        config.expired_body_marker = Some("token_expired".into());
        assert!(rejects_token(
            &config,
            200,
            br#"{"error":"token_expired"}"#,
            true
        ));
        assert!(!rejects_token(&config, 200, br#"{"items":[]}"#, true));
        // A POST that succeeded is not sent again because its data contains the marker.
        assert!(!rejects_token(
            &config,
            201,
            br#"{"note":"token_expired"}"#,
            false
        ));
        assert!(rejects_token(
            &config,
            400,
            br#"{"error":"token_expired"}"#,
            false
        ));
    }

    #[test]
    fn secret_is_redacted() {
        let client = Client {
            id: "c".into(),
            secret: Some("s3cret".into()),
        };
        assert!(!format!("{client:?}").contains("s3cret"));
    }
}
