//! OAuth 2.0 settings of a definition, named as the wizard names them (OAuth Grant Type,
//! Access Token URL, Token Key, Token Refresh Strategy, ...).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use plugboard_manifest::auth_defaults as defaults;
pub use plugboard_manifest::rules::{
    RESERVED_AUTHORIZATION_PARAMS, RESERVED_TOKEN_HEADERS, oauth_url_problem,
};
pub use plugboard_manifest::{
    Grant as OAuthGrantType, REFRESH_BUFFER_RANGE, REFRESH_INTERVAL_RANGE,
    RequestFormat as TokenRequestContentType, RequestMethod as TokenRequestMethod,
};

/// OAuth 2.0: the host obtains, caches and refreshes access tokens (credentials `client_id`
/// and, for confidential clients, `client_secret`; the authorization code grant also needs a
/// one-time consent, `plugboard auth login`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OAuth2 {
    /// OAuth Grant Type.
    pub grant_type: OAuthGrantType,
    /// Access Token Scheme: the word before the token in `Authorization`.
    #[serde(default = "default_token_scheme")]
    pub access_token_scheme: String,
    /// Authorization Code URL: where users consent (authorization code grant).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_code_url: Option<String>,
    /// Access Token URL: the token endpoint.
    pub access_token_url: String,
    /// Token Expiration Key: dotted path of the lifetime (seconds) or expiry date in the token
    /// response.
    #[serde(default = "default_expiration_key")]
    pub token_expiration_key: String,
    /// Token Key: dotted path of the access token in the token response.
    #[serde(default = "default_token_key")]
    pub token_key: String,
    /// Refresh Token Key: dotted path of the refresh token in the token response.
    #[serde(default = "default_refresh_token_key")]
    pub refresh_token_key: String,
    /// Token Request Content Type.
    #[serde(default)]
    pub token_request_content_type: TokenRequestContentType,
    /// Token Request Method.
    #[serde(default)]
    pub token_request_method: TokenRequestMethod,
    /// Scope: space-separated; empty for none.
    #[serde(default)]
    pub scope: String,
    /// Token Exchange Requires Basic Auth Headers: send the client id and secret as HTTP
    /// Basic instead of in the parameters.
    #[serde(default)]
    pub token_exchange_basic_auth: bool,
    /// Include Client Config on Refresh: send the client id and secret with refresh requests.
    #[serde(default = "default_true")]
    pub include_client_config_on_refresh: bool,
    /// Include Redirect URI on Refresh.
    #[serde(default)]
    pub include_redirect_uri_on_refresh: bool,
    /// Token Refresh Strategy.
    #[serde(default)]
    pub token_refresh_strategy: TokenRefreshStrategy,
    /// Refresh Buffer (automatic strategy): refresh this many seconds before expiry
    /// (30..=3600).
    #[serde(default = "default_refresh_buffer")]
    #[schemars(range(min = *REFRESH_BUFFER_RANGE.start(), max = *REFRESH_BUFFER_RANGE.end()))]
    pub refresh_buffer_seconds: u32,
    /// Custom Interval (custom interval strategy): refresh when the token is this many seconds
    /// old (300..=86400).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = *REFRESH_INTERVAL_RANGE.start(), max = *REFRESH_INTERVAL_RANGE.end()))]
    pub refresh_interval_seconds: Option<u32>,
    /// Authorization Extra Params: added to the consent URL (e.g. `access_type=offline`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub authorization_extra_params: BTreeMap<String, String>,
    /// Extra Request Headers: added to token requests.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra_request_headers: BTreeMap<String, String>,
    /// Statuses that mean the token was rejected: the host refreshes it once and retries the
    /// request once. Default `[401]`; add 403 for APIs that answer 403 to an expired token.
    #[serde(default = "default_refresh_on_status")]
    pub refresh_on_status: Vec<u16>,
    /// A text that, found in a response body, means the token was rejected (for APIs that
    /// answer 200 with an error body).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expired_token_body_marker: Option<String>,
}

impl OAuth2 {
    /// Settings for `grant_type` and `access_token_url` with every other field at its default.
    pub fn new(grant_type: OAuthGrantType, access_token_url: impl Into<String>) -> OAuth2 {
        OAuth2 {
            grant_type,
            access_token_scheme: default_token_scheme(),
            authorization_code_url: None,
            access_token_url: access_token_url.into(),
            token_expiration_key: default_expiration_key(),
            token_key: default_token_key(),
            refresh_token_key: default_refresh_token_key(),
            token_request_content_type: TokenRequestContentType::default(),
            token_request_method: TokenRequestMethod::default(),
            scope: String::new(),
            token_exchange_basic_auth: false,
            include_client_config_on_refresh: default_true(),
            include_redirect_uri_on_refresh: false,
            token_refresh_strategy: TokenRefreshStrategy::default(),
            refresh_buffer_seconds: default_refresh_buffer(),
            refresh_interval_seconds: None,
            authorization_extra_params: BTreeMap::new(),
            extra_request_headers: BTreeMap::new(),
            refresh_on_status: default_refresh_on_status(),
            expired_token_body_marker: None,
        }
    }
}

fn default_token_scheme() -> String {
    defaults::TOKEN_SCHEME.into()
}
fn default_expiration_key() -> String {
    defaults::EXPIRATION_KEY.into()
}
fn default_token_key() -> String {
    defaults::TOKEN_KEY.into()
}
fn default_refresh_token_key() -> String {
    defaults::REFRESH_TOKEN_KEY.into()
}
fn default_true() -> bool {
    defaults::CLIENT_CONFIG_ON_REFRESH
}
fn default_refresh_buffer() -> u32 {
    defaults::REFRESH_BUFFER_SECONDS
}
fn default_refresh_on_status() -> Vec<u16> {
    defaults::REFRESH_ON_STATUS.to_vec()
}

/// Token Refresh Strategy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TokenRefreshStrategy {
    /// Refresh Buffer seconds before the token expires.
    #[default]
    Automatic,
    /// Every Custom Interval seconds.
    CustomInterval,
}
