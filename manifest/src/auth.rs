//! How the host authenticates an integration's requests. Every choice is an enum: a value this
//! build does not know is an error when the manifest is read, never a silent fallback.

use serde::{Deserialize, Serialize};

/// Smallest and largest refresh buffer (automatic refresh), in seconds.
pub const REFRESH_BUFFER_RANGE: std::ops::RangeInclusive<u32> = 30..=3600;
/// Smallest and largest refresh interval, in seconds.
pub const REFRESH_INTERVAL_RANGE: std::ops::RangeInclusive<u32> = 300..=86_400;

/// The OAuth 2.0 defaults, shown by the wizard and applied when a definition is resolved.
pub mod defaults {
    /// Word before the token in `Authorization`.
    pub const TOKEN_SCHEME: &str = "Bearer";
    /// Dotted path of the access token in the token response.
    pub const TOKEN_KEY: &str = "access_token";
    /// Dotted path of the lifetime in the token response.
    pub const EXPIRATION_KEY: &str = "expires_in";
    /// Dotted path of the refresh token in the token response.
    pub const REFRESH_TOKEN_KEY: &str = "refresh_token";
    /// Refresh this many seconds before expiry.
    pub const REFRESH_BUFFER_SECONDS: u32 = 300;
    /// Statuses that mean the token was rejected.
    pub const REFRESH_ON_STATUS: &[u16] = &[401];
    /// Send the client id and secret with refresh requests.
    pub const CLIENT_CONFIG_ON_REFRESH: bool = true;
}

/// The credentials an installation supplies and the host applies; the `secrets` import never
/// hands them to a component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthCredential {
    /// The key of API key auth.
    ApiKey,
    /// Basic auth's user name.
    Username,
    /// Basic auth's password.
    Password,
    /// The OAuth 2.0 client id.
    ClientId,
    /// The OAuth 2.0 client secret.
    ClientSecret,
    /// An OAuth 2.0 refresh token obtained elsewhere (seeds the token store).
    RefreshToken,
}

impl AuthCredential {
    /// Every auth credential.
    pub const ALL: [AuthCredential; 6] = [
        AuthCredential::ApiKey,
        AuthCredential::Username,
        AuthCredential::Password,
        AuthCredential::ClientId,
        AuthCredential::ClientSecret,
        AuthCredential::RefreshToken,
    ];

    /// The credential's name: `api_key`, `username`, `password`, `client_id`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            AuthCredential::ApiKey => "api_key",
            AuthCredential::Username => "username",
            AuthCredential::Password => "password",
            AuthCredential::ClientId => "client_id",
            AuthCredential::ClientSecret => "client_secret",
            AuthCredential::RefreshToken => "refresh_token",
        }
    }

    /// Whether `name` is one of the auth credentials.
    pub fn is_auth_credential(name: &str) -> bool {
        AuthCredential::ALL.iter().any(|c| c.as_str() == name)
    }
}

/// Authentication of requests to the primary host, applied by the host.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Auth {
    /// No credentials.
    #[default]
    None,
    /// One secret key (credential `api_key`).
    ApiKey(ApiKey),
    /// HTTP Basic (credentials `username` and `password`).
    Basic,
    /// OAuth 2.0 (credentials `client_id` and, for confidential clients, `client_secret`): the
    /// host obtains, caches and refreshes access tokens. Shared: every call of a bundle uses
    /// the same settings.
    #[serde(rename = "oauth2")]
    OAuth2(std::sync::Arc<OAuth2>),
}

// Deserialize goes through `AuthRepr`: serde ignores `deny_unknown_fields` on the unit variants
// of an internally tagged enum, so `{"type": "none", "token_url": "..."}` would be accepted.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum AuthRepr {
    None {},
    ApiKey(ApiKey),
    Basic {},
    #[serde(rename = "oauth2")]
    OAuth2(Box<OAuth2>),
}

impl<'de> Deserialize<'de> for Auth {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match AuthRepr::deserialize(deserializer)? {
            AuthRepr::None {} => Auth::None,
            AuthRepr::ApiKey(key) => Auth::ApiKey(key),
            AuthRepr::Basic {} => Auth::Basic,
            AuthRepr::OAuth2(settings) => Auth::OAuth2(settings.into()),
        })
    }
}

impl Auth {
    /// A short name for messages: `no`, `API key`, `Basic`, `OAuth 2.0`.
    pub fn label(&self) -> &'static str {
        match self {
            Auth::None => "no",
            Auth::ApiKey(_) => "API key",
            Auth::Basic => "Basic",
            Auth::OAuth2(_) => "OAuth 2.0",
        }
    }

    /// The credentials an installation must supply for this auth.
    pub fn required_credentials(&self) -> &'static [AuthCredential] {
        match self {
            Auth::None => &[],
            Auth::ApiKey(_) => &[AuthCredential::ApiKey],
            Auth::Basic => &[AuthCredential::Username, AuthCredential::Password],
            Auth::OAuth2(_) => &[AuthCredential::ClientId],
        }
    }
}

/// API key auth.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ApiKey {
    /// The header, query parameter or cookie that carries the key.
    pub header_name: String,
    /// A word sent before the key, such as `Bearer`; empty for none.
    pub preamble: String,
    /// Where the key goes.
    pub location: ApiKeyLocation,
}

/// Where an API key is placed in each request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum ApiKeyLocation {
    /// A request header (the default).
    #[default]
    Header,
    /// A query parameter.
    Query,
    /// A cookie.
    Cookie,
}

impl ApiKeyLocation {
    /// `header`, `query` or `cookie`.
    pub fn as_str(self) -> &'static str {
        match self {
            ApiKeyLocation::Header => "header",
            ApiKeyLocation::Query => "query",
            ApiKeyLocation::Cookie => "cookie",
        }
    }
}

/// OAuth 2.0 settings, applied by the host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct OAuth2 {
    /// The grant that obtains access tokens.
    pub grant: Grant,
    /// Word before the token in `Authorization` (`Bearer`).
    pub token_scheme: String,
    /// Where users consent (authorization code grant only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_url: Option<String>,
    /// The token endpoint.
    pub token_url: String,
    /// Dotted path of the access token in the token response.
    pub token_key: String,
    /// Dotted path of the lifetime (seconds) or expiry date in the token response.
    pub expiration_key: String,
    /// Dotted path of the refresh token in the token response.
    pub refresh_token_key: String,
    /// How token request parameters are encoded.
    pub request_format: RequestFormat,
    /// The token request's HTTP method.
    pub request_method: RequestMethod,
    /// Space-separated scopes; empty for none.
    pub scope: String,
    /// Send the client id and secret as HTTP Basic on token requests.
    pub basic_auth_token_exchange: bool,
    /// Send the client id and secret with refresh requests too.
    pub client_config_on_refresh: bool,
    /// Send the redirect URI with refresh requests.
    pub redirect_uri_on_refresh: bool,
    /// When a cached access token is replaced.
    pub refresh: Refresh,
    /// Extra query parameters of the consent URL.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authorization_params: Vec<(String, String)>,
    /// Extra headers of token requests.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub token_request_headers: Vec<(String, String)>,
    /// Response statuses that mean the token was rejected: refresh once, retry once.
    pub refresh_on_status: Vec<u16>,
    /// A text that, found in a response body, means the token was rejected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expired_body_marker: Option<String>,
}

impl OAuth2 {
    /// Settings for `grant` at `token_url`, every other field at its [default](defaults) (the
    /// authorization code grant also needs `authorization_url`).
    pub fn new(grant: Grant, token_url: impl Into<String>) -> OAuth2 {
        OAuth2 {
            grant,
            token_scheme: defaults::TOKEN_SCHEME.into(),
            authorization_url: None,
            token_url: token_url.into(),
            token_key: defaults::TOKEN_KEY.into(),
            expiration_key: defaults::EXPIRATION_KEY.into(),
            refresh_token_key: defaults::REFRESH_TOKEN_KEY.into(),
            request_format: RequestFormat::default(),
            request_method: RequestMethod::default(),
            scope: String::new(),
            basic_auth_token_exchange: false,
            client_config_on_refresh: defaults::CLIENT_CONFIG_ON_REFRESH,
            redirect_uri_on_refresh: false,
            refresh: Refresh::Automatic {
                buffer_seconds: defaults::REFRESH_BUFFER_SECONDS,
            },
            authorization_params: Vec::new(),
            token_request_headers: Vec::new(),
            refresh_on_status: defaults::REFRESH_ON_STATUS.to_vec(),
            expired_body_marker: None,
        }
    }
}

/// An OAuth 2.0 grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Grant {
    /// Authorization code (with PKCE): a user consents once, then refresh tokens keep the
    /// installation authorized.
    AuthorizationCode,
    /// Client credentials: machine to machine.
    ClientCredentials,
}

impl Grant {
    /// `authorization_code` or `client_credentials`.
    pub fn as_str(self) -> &'static str {
        match self {
            Grant::AuthorizationCode => "authorization_code",
            Grant::ClientCredentials => "client_credentials",
        }
    }
}

/// How token request parameters are encoded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum RequestFormat {
    /// Form encoding (RFC 6749).
    #[default]
    #[serde(rename = "application/x-www-form-urlencoded")]
    Form,
    /// A JSON object.
    #[serde(rename = "application/json")]
    Json,
}

/// The token request's HTTP method.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "UPPERCASE")]
pub enum RequestMethod {
    /// POST with the parameters in the body (RFC 6749).
    #[default]
    Post,
    /// GET with the parameters in the query string.
    Get,
}

/// When the host replaces a cached access token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "strategy", rename_all = "snake_case", deny_unknown_fields)]
pub enum Refresh {
    /// This many seconds before it expires (capped at half the token's lifetime).
    Automatic {
        /// Seconds before expiry.
        buffer_seconds: u32,
    },
    /// When it is this many seconds old (or expired, whichever comes first).
    Interval {
        /// Seconds after it was obtained.
        every_seconds: u32,
    },
}
