//! What a component asks for, as plain serializable data (`plugboard inspect` prints it).

use serde::Serialize;
use serde_json::Value;

use crate::bindings::{self, ApiKeyLocation, AuthRequirement, PaginationStyle};

/// A component's manifest.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Manifest {
    /// Integration name.
    pub name: String,
    /// Description.
    pub description: String,
    /// SVG icon.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub icon: Option<String>,
    /// Primary host with optional port.
    pub hostname: String,
    /// Path prefix.
    pub base_path: String,
    /// `https` or `http`.
    pub scheme: String,
    /// Credentials the host applies.
    pub auth: Auth,
    /// Pagination of paginated actions.
    pub pagination: Pagination,
    /// Hosts the component may call.
    pub allowed_hosts: Vec<String>,
    /// Config values the component reads.
    pub config: Vec<ConfigDeclaration>,
    /// Secret names the component reads.
    pub secrets: Vec<String>,
    /// Shared JSON Schemas (an object by name) that action schemas reference as
    /// `#/schemas/<name>`.
    pub schemas: Value,
    /// Actions.
    pub actions: Vec<Action>,
}

/// Authentication requirement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Auth {
    /// None.
    None,
    /// API key (`api_key` credential).
    ApiKey {
        /// Header, query parameter or cookie name.
        header_name: String,
        /// Word before the key.
        preamble: String,
        /// `header`, `query` or `cookie`.
        location: String,
    },
    /// Basic (`username`, `password`).
    Basic,
    /// OAuth 2.0 (`client_id`, `client_secret`; tokens held by the host).
    #[serde(rename = "oauth2")]
    OAuth2(std::sync::Arc<plugboard_oauth::OAuth2Config>),
}

impl Auth {
    /// A short name for messages: `no`, `API key`, `Basic`, `OAuth 2.0`.
    pub fn label(&self) -> &'static str {
        match self {
            Auth::None => "no",
            Auth::ApiKey { .. } => "API key",
            Auth::Basic => "Basic",
            Auth::OAuth2(_) => "OAuth 2.0",
        }
    }
}

fn oauth2_config(o: bindings::Oauth2Auth) -> plugboard_oauth::OAuth2Config {
    use plugboard_oauth::{Grant, RefreshStrategy, RequestFormat, RequestMethod};
    plugboard_oauth::OAuth2Config {
        grant: match o.grant {
            bindings::Oauth2Grant::AuthorizationCode => Grant::AuthorizationCode,
            bindings::Oauth2Grant::ClientCredentials => Grant::ClientCredentials,
        },
        token_scheme: o.token_scheme,
        authorization_url: o.authorization_url,
        token_url: o.token_url,
        token_key: o.token_key,
        expiration_key: o.expiration_key,
        refresh_token_key: o.refresh_token_key,
        request_format: if o.json_token_request {
            RequestFormat::Json
        } else {
            RequestFormat::Form
        },
        request_method: if o.get_token_request {
            RequestMethod::Get
        } else {
            RequestMethod::Post
        },
        scope: o.scope,
        basic_auth_token_exchange: o.basic_auth_token_exchange,
        client_config_on_refresh: o.client_config_on_refresh,
        redirect_uri_on_refresh: o.redirect_uri_on_refresh,
        refresh: match o.refresh {
            bindings::TokenRefresh::Automatic(seconds) => RefreshStrategy::Automatic {
                buffer_seconds: u64::from(seconds),
            },
            bindings::TokenRefresh::Interval(seconds) => RefreshStrategy::Interval {
                every_seconds: u64::from(seconds),
            },
        },
        authorization_params: o.authorization_params,
        token_request_headers: o.token_request_headers,
        retry_statuses: o.refresh_on_status,
        expired_body_marker: o.expired_body_marker,
    }
}

/// Pagination settings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pagination {
    /// `none`, `index`, `page`, `link_header`, `link_body` or `pointer`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Style-specific settings.
    #[serde(flatten)]
    pub settings: serde_json::Map<String, Value>,
    /// Dotted path to the results.
    pub results_key: String,
    /// Page size query parameter.
    pub page_size_param: String,
    /// Items per page.
    pub default_page_size: u32,
    /// Pages per call.
    pub default_page_limit: u32,
}

/// A declared config value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigDeclaration {
    /// Name.
    pub name: String,
    /// Meaning.
    pub description: String,
    /// Default.
    pub default_value: Option<String>,
}

/// One action.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Action {
    /// Stable id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Description.
    pub description: String,
    /// HTTP method.
    pub method: String,
    /// Path template.
    pub path: String,
    /// Whether it follows pages.
    pub paginated: bool,
    /// Input JSON Schema.
    pub input_schema: Value,
    /// Output JSON Schema.
    pub output_schema: Value,
}

impl From<bindings::Manifest> for Manifest {
    fn from(m: bindings::Manifest) -> Self {
        let auth = match m.auth {
            AuthRequirement::None => Auth::None,
            AuthRequirement::Basic => Auth::Basic,
            AuthRequirement::ApiKey(key) => Auth::ApiKey {
                header_name: key.header_name,
                preamble: key.preamble,
                location: match key.location {
                    ApiKeyLocation::Header => "header",
                    ApiKeyLocation::Query => "query",
                    ApiKeyLocation::Cookie => "cookie",
                }
                .into(),
            },
            AuthRequirement::Oauth2(o) => Auth::OAuth2(std::sync::Arc::new(oauth2_config(o))),
        };
        let mut settings = serde_json::Map::new();
        let kind = match m.pagination.style {
            PaginationStyle::None => "none",
            PaginationStyle::Index(param) => {
                settings.insert("index_param".into(), param.into());
                "index"
            }
            PaginationStyle::Page(param) => {
                settings.insert("page_param".into(), param.into());
                "page"
            }
            PaginationStyle::LinkHeader(link) => {
                settings.insert("response_header_name".into(), link.header_name.into());
                settings.insert("response_header_rel".into(), link.rel.into());
                "link_header"
            }
            PaginationStyle::LinkBody(key) => {
                settings.insert("next_page_key".into(), key.into());
                "link_body"
            }
            PaginationStyle::Pointer(pointer) => {
                settings.insert("pointer_jsonpath".into(), pointer.jsonpath.into());
                settings.insert("after_param".into(), pointer.after_param.into());
                "pointer"
            }
        };
        let parse = |text: String| serde_json::from_str(&text).unwrap_or(Value::String(text));
        Manifest {
            name: m.name,
            description: m.description,
            icon: m.icon,
            hostname: m.hostname,
            base_path: m.base_path,
            scheme: m.scheme,
            auth,
            pagination: Pagination {
                kind: kind.into(),
                settings,
                results_key: m.pagination.results_key,
                page_size_param: m.pagination.page_size_param,
                default_page_size: m.pagination.default_page_size,
                default_page_limit: m.pagination.default_page_limit,
            },
            allowed_hosts: m.allowed_hosts,
            config: m
                .config
                .into_iter()
                .map(|c| ConfigDeclaration {
                    name: c.name,
                    description: c.description,
                    default_value: c.default_value,
                })
                .collect(),
            secrets: m.secrets,
            schemas: parse(m.schemas),
            actions: m
                .actions
                .into_iter()
                .map(|a| Action {
                    id: a.id,
                    name: a.name,
                    description: a.description,
                    method: a.method,
                    path: a.path,
                    paginated: a.paginated,
                    input_schema: parse(a.input_schema),
                    output_schema: parse(a.output_schema),
                })
                .collect(),
        }
    }
}
