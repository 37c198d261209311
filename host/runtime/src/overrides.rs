//! A configuration's overrides of the integration's auth settings: the manifest's values are
//! the defaults of every configuration, and an operator may change the ones that only shape
//! requests to the integration's own host (never where they go): the API key's header name and
//! preamble, the OAuth 2.0 scope, and extra request headers. The host applies them, like
//! credentials; the guest never sees them.

use std::collections::BTreeMap;

use plugboard_manifest::Auth;
use reqwest::header::{HeaderName, HeaderValue};
use serde::{Deserialize, Serialize};

/// Headers a configuration cannot set: those the host controls for every request.
const RESERVED_HEADERS: &[&str] = &[
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "upgrade",
    "te",
    "trailer",
    "keep-alive",
    "proxy-authorization",
    "proxy-connection",
];

/// What a configuration overrides (absent: the integration's value).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthOverrides {
    /// API key auth: the header, query parameter or cookie that carries the key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header_name: Option<String>,
    /// API key auth: the word before the key (empty for none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preamble: Option<String>,
    /// OAuth 2.0: the scope requested (its tokens are this configuration's own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Headers added to (or replacing those of) every request to the integration's host.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra_headers: BTreeMap<String, String>,
}

/// A refused override: the field (`auth.header_name`, `auth.extra_headers.X-Y`) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverrideProblem {
    /// The field, as a JSON path below the configuration.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl AuthOverrides {
    /// Whether nothing is overridden.
    pub fn is_empty(&self) -> bool {
        *self == AuthOverrides::default()
    }

    /// Checks the overrides against the integration's auth: each must apply to its auth type,
    /// and every header name and value must be valid and not one the host controls (nor the
    /// one that carries the credentials).
    pub fn check(&self, auth: &Auth) -> Result<(), Vec<OverrideProblem>> {
        let mut problems = Vec::new();
        let mut refuse = |field: String, message: String| {
            problems.push(OverrideProblem { field, message });
        };
        let kind = auth.label();
        let api_key = matches!(auth, Auth::ApiKey(_));
        if let Some(name) = &self.header_name {
            if !api_key {
                refuse(
                    "auth.header_name".into(),
                    format!("applies to API key auth; this integration uses {kind} auth"),
                );
            } else if name.trim().is_empty() || HeaderName::from_bytes(name.as_bytes()).is_err() {
                refuse(
                    "auth.header_name".into(),
                    format!("`{name}` is not a valid header or parameter name"),
                );
            }
        }
        if let Some(preamble) = &self.preamble {
            if !api_key {
                refuse(
                    "auth.preamble".into(),
                    format!("applies to API key auth; this integration uses {kind} auth"),
                );
            } else if HeaderValue::from_str(preamble).is_err() || preamble.contains(' ') {
                refuse(
                    "auth.preamble".into(),
                    "a preamble is one word of visible characters, such as `Bearer`".into(),
                );
            }
        }
        if self.scope.is_some() && !matches!(auth, Auth::OAuth2(_)) {
            refuse(
                "auth.scope".into(),
                format!("applies to OAuth 2.0; this integration uses {kind} auth"),
            );
        }
        let credential_header = self.effective(auth).credential_header();
        for (name, value) in &self.extra_headers {
            let field = format!("auth.extra_headers.{name}");
            let lower = name.to_ascii_lowercase();
            if HeaderName::from_bytes(name.as_bytes()).is_err() {
                refuse(field, format!("`{name}` is not a valid header name"));
            } else if RESERVED_HEADERS.contains(&lower.as_str()) {
                refuse(
                    field,
                    format!("`{name}` is set by the host for every request"),
                );
            } else if credential_header.as_deref() == Some(lower.as_str()) {
                refuse(field, format!("`{name}` carries the credentials"));
            } else if HeaderValue::from_str(value).is_err() {
                refuse(
                    field,
                    "the value has characters a header cannot carry".into(),
                );
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    /// The integration's auth with these overrides applied.
    pub fn effective(&self, auth: &Auth) -> Auth {
        let mut auth = auth.clone();
        match &mut auth {
            Auth::ApiKey(key) => {
                if let Some(name) = &self.header_name {
                    key.header_name.clone_from(name);
                }
                if let Some(preamble) = &self.preamble {
                    key.preamble.clone_from(preamble);
                }
            }
            Auth::OAuth2(settings) => {
                if let Some(scope) = &self.scope {
                    // A copy of the bundle's shared settings, for this configuration only.
                    std::sync::Arc::make_mut(settings).scope.clone_from(scope);
                }
            }
            Auth::None | Auth::Basic => {}
        }
        auth
    }

    /// The extra headers, parsed (invalid ones were refused by [`AuthOverrides::check`] and
    /// are skipped).
    pub(crate) fn headers(&self) -> Vec<(HeaderName, HeaderValue)> {
        self.extra_headers
            .iter()
            .filter_map(|(name, value)| {
                Some((
                    HeaderName::from_bytes(name.as_bytes()).ok()?,
                    HeaderValue::from_str(value).ok()?,
                ))
            })
            .collect()
    }
}

/// The header that carries an auth's credentials (lowercase), if it uses one.
trait CredentialHeader {
    fn credential_header(&self) -> Option<String>;
}

impl CredentialHeader for Auth {
    fn credential_header(&self) -> Option<String> {
        match self {
            Auth::None => None,
            Auth::Basic | Auth::OAuth2(_) => Some("authorization".into()),
            Auth::ApiKey(key) => (key.location == plugboard_manifest::ApiKeyLocation::Header)
                .then(|| key.header_name.to_ascii_lowercase()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plugboard_manifest::{ApiKey, ApiKeyLocation};

    fn api_key() -> Auth {
        Auth::ApiKey(ApiKey {
            header_name: "X-Api-Key".into(),
            preamble: String::new(),
            location: ApiKeyLocation::Header,
        })
    }

    #[test]
    fn overrides_apply_to_their_auth_type_only() {
        let overrides = AuthOverrides {
            header_name: Some("Authorization".into()),
            preamble: Some("Token".into()),
            ..AuthOverrides::default()
        };
        assert!(overrides.check(&api_key()).is_ok());
        let Auth::ApiKey(key) = overrides.effective(&api_key()) else {
            panic!("api key")
        };
        assert_eq!(
            (key.header_name.as_str(), key.preamble.as_str()),
            ("Authorization", "Token")
        );
        let problems = overrides.check(&Auth::Basic).unwrap_err();
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["auth.header_name", "auth.preamble"]);
    }

    #[test]
    fn a_scope_override_changes_a_copy_never_the_bundle_s_shared_settings() {
        let mut settings =
            plugboard_manifest::OAuth2::new(plugboard_manifest::Grant::ClientCredentials, "x");
        settings.scope = "read".into();
        let bundle = Auth::OAuth2(std::sync::Arc::new(settings));
        let overrides = AuthOverrides {
            scope: Some("read write".into()),
            ..AuthOverrides::default()
        };
        let Auth::OAuth2(effective) = overrides.effective(&bundle) else {
            panic!("oauth2")
        };
        let Auth::OAuth2(shared) = &bundle else {
            panic!("oauth2")
        };
        assert_eq!(
            (effective.scope.as_str(), shared.scope.as_str()),
            ("read write", "read")
        );
    }

    #[test]
    fn extra_headers_cannot_take_the_host_s_or_the_credentials_header() {
        let overrides = AuthOverrides {
            extra_headers: [
                ("X-Tenant".to_string(), "acme".to_string()),
                ("Host".to_string(), "evil.example".to_string()),
                ("x-api-key".to_string(), "other".to_string()),
                ("Bad Name".to_string(), "x".to_string()),
                ("X-Line".to_string(), "a\nb".to_string()),
            ]
            .into(),
            ..AuthOverrides::default()
        };
        let problems = overrides.check(&api_key()).unwrap_err();
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "auth.extra_headers.Bad Name",
                "auth.extra_headers.Host",
                "auth.extra_headers.X-Line",
                "auth.extra_headers.x-api-key"
            ]
        );
        assert_eq!(
            overrides.headers().len(),
            3,
            "the invalid name and value are skipped"
        );
    }
}
