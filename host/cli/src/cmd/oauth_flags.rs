//! The wizard's OAuth 2.0 fields as flags (shared by `import`, `definition new` and
//! `definition set`, with `--auth oauth2`).

use anyhow::{Result, bail};
use clap::ValueEnum;
use plugboard_definition::edit::OAuthSettings;
use plugboard_definition::{
    OAuthGrantType, TokenRefreshStrategy, TokenRequestContentType, TokenRequestMethod,
};

/// OAuth Grant Type.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum GrantArg {
    /// Authorization code (a user consents once; PKCE).
    #[value(alias = "authorization_code")]
    AuthorizationCode,
    /// Client credentials (machine to machine).
    #[value(alias = "client_credentials")]
    ClientCredentials,
}

/// Token Request Content Type.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ContentTypeArg {
    /// application/x-www-form-urlencoded.
    #[value(alias = "application/x-www-form-urlencoded")]
    Form,
    /// application/json.
    #[value(alias = "application/json")]
    Json,
}

/// Token Request Method.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum MethodArg {
    /// POST.
    #[value(alias = "POST")]
    Post,
    /// GET.
    #[value(alias = "GET")]
    Get,
}

/// Token Refresh Strategy.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RefreshArg {
    /// Refresh Buffer seconds before expiry.
    Automatic,
    /// Every Custom Interval seconds.
    #[value(alias = "custom_interval", alias = "custom")]
    CustomInterval,
}

/// OAuth 2.0 flags.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct OAuthArgs {
    /// OAuth Grant Type (oauth2 auth).
    #[arg(long = "oauth-grant-type", value_enum)]
    pub grant_type: Option<GrantArg>,
    /// Access Token Scheme (default `Bearer`).
    #[arg(long)]
    pub access_token_scheme: Option<String>,
    /// Authorization Code URL (authorization code grant).
    #[arg(long)]
    pub authorization_code_url: Option<String>,
    /// Access Token URL.
    #[arg(long)]
    pub access_token_url: Option<String>,
    /// Token Expiration Key (dotted path; seconds or a date).
    #[arg(long)]
    pub token_expiration_key: Option<String>,
    /// Token Key (dotted path).
    #[arg(long)]
    pub token_key: Option<String>,
    /// Refresh Token Key (dotted path).
    #[arg(long)]
    pub refresh_token_key: Option<String>,
    /// Token Request Content Type.
    #[arg(long, value_enum)]
    pub token_request_content_type: Option<ContentTypeArg>,
    /// Token Request Method.
    #[arg(long, value_enum)]
    pub token_request_method: Option<MethodArg>,
    /// Scope (space-separated).
    #[arg(long)]
    pub scope: Option<String>,
    /// Token Exchange Requires Basic Auth Headers.
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub token_exchange_basic_auth: Option<bool>,
    /// Include Client Config on Refresh.
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub include_client_config_on_refresh: Option<bool>,
    /// Include Redirect URI on Refresh.
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub include_redirect_uri_on_refresh: Option<bool>,
    /// Token Refresh Strategy.
    #[arg(long, value_enum)]
    pub token_refresh_strategy: Option<RefreshArg>,
    /// Refresh Buffer in seconds (30..=3600; automatic strategy).
    #[arg(long)]
    pub refresh_buffer_seconds: Option<u32>,
    /// Custom Interval in seconds (300..=86400; custom interval strategy).
    #[arg(long)]
    pub refresh_interval_seconds: Option<u32>,
    /// An Authorization Extra Param of the consent URL (repeatable).
    #[arg(long = "authorization-param", value_name = "NAME=VALUE")]
    pub authorization_params: Vec<String>,
    /// An Extra Request Header of token requests (repeatable).
    #[arg(long = "token-request-header", value_name = "NAME:VALUE")]
    pub token_request_headers: Vec<String>,
    /// Statuses that mean the token was rejected (comma-separated; default 401).
    #[arg(long, value_delimiter = ',', value_name = "STATUS")]
    pub refresh_on_status: Option<Vec<u16>>,
    /// Body text that means the token was rejected.
    #[arg(long)]
    pub expired_token_body_marker: Option<String>,
}

/// Splits `NAME<separator>VALUE` flags.
fn split_pairs(values: &[String], separator: char, flag: &str) -> Result<Vec<(String, String)>> {
    values
        .iter()
        .map(|pair| match pair.split_once(separator) {
            Some((name, value)) if !name.trim().is_empty() => {
                Ok((name.trim().to_string(), value.to_string()))
            }
            _ => bail!("{flag} takes NAME{separator}VALUE; got `{pair}`"),
        })
        .collect()
}

impl OAuthArgs {
    /// The flags as [`OAuthSettings`].
    pub fn to_settings(&self) -> Result<OAuthSettings> {
        Ok(OAuthSettings {
            grant_type: self.grant_type.map(|g| match g {
                GrantArg::AuthorizationCode => OAuthGrantType::AuthorizationCode,
                GrantArg::ClientCredentials => OAuthGrantType::ClientCredentials,
            }),
            access_token_scheme: self.access_token_scheme.clone(),
            authorization_code_url: self.authorization_code_url.clone(),
            access_token_url: self.access_token_url.clone(),
            token_expiration_key: self.token_expiration_key.clone(),
            token_key: self.token_key.clone(),
            refresh_token_key: self.refresh_token_key.clone(),
            token_request_content_type: self.token_request_content_type.map(|c| match c {
                ContentTypeArg::Form => TokenRequestContentType::Form,
                ContentTypeArg::Json => TokenRequestContentType::Json,
            }),
            token_request_method: self.token_request_method.map(|m| match m {
                MethodArg::Post => TokenRequestMethod::Post,
                MethodArg::Get => TokenRequestMethod::Get,
            }),
            scope: self.scope.clone(),
            token_exchange_basic_auth: self.token_exchange_basic_auth,
            include_client_config_on_refresh: self.include_client_config_on_refresh,
            include_redirect_uri_on_refresh: self.include_redirect_uri_on_refresh,
            token_refresh_strategy: self.token_refresh_strategy.map(|r| match r {
                RefreshArg::Automatic => TokenRefreshStrategy::Automatic,
                RefreshArg::CustomInterval => TokenRefreshStrategy::CustomInterval,
            }),
            refresh_buffer_seconds: self.refresh_buffer_seconds,
            refresh_interval_seconds: self.refresh_interval_seconds,
            authorization_extra_params: split_pairs(
                &self.authorization_params,
                '=',
                "--authorization-param",
            )?,
            extra_request_headers: split_pairs(
                &self.token_request_headers,
                ':',
                "--token-request-header",
            )?,
            refresh_on_status: self.refresh_on_status.clone(),
            expired_token_body_marker: self.expired_token_body_marker.clone(),
        })
    }
}
