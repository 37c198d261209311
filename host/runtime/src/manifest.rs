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
