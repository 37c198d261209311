//! The definition's types. Every field has a doc comment: they become the JSON Schema's
//! descriptions (`plugboard definition schema`).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// An integration definition, format version 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Definition {
    /// Optional link to this document's JSON Schema, for editors.
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// Format version; always 1 for this format.
    pub definition_version: u32,
    /// Integration name: letters, digits, spaces, `-` and `_` only.
    #[schemars(length(min = 1, max = 100), regex(pattern = r"^[A-Za-z0-9 _-]+$"))]
    pub name: String,
    /// What the integration does (required).
    pub description: String,
    /// Optional SVG icon markup (no scripts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<String>,
    /// API hostname without scheme, optionally with `:port` (`api.example.com`, `127.0.0.1:8080`).
    pub hostname: String,
    /// Path prefix shared by every action (`/v2`); empty for none.
    #[serde(default)]
    pub base_path: String,
    /// URL scheme: `https` (default) or `http` (for local testing).
    #[serde(default)]
    pub scheme: Scheme,
    /// Other hosts (with optional `:port`) the integration may call without credentials.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra_hosts: Vec<String>,
    /// Authentication method; the host applies it, the component never sees credentials.
    #[serde(default)]
    pub auth: Auth,
    /// Extra Request Headers: sent with every request to the hostname (not secret).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra_request_headers: BTreeMap<String, String>,
    /// Pagination used by every action marked `paginated`.
    #[serde(default)]
    pub pagination: Pagination,
    /// Shared JSON Schemas that action schemas reference as `{"$ref": "#/schemas/<name>"}`
    /// (imported from the spec's components).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub schemas: BTreeMap<String, serde_json::Value>,
    /// The actions, each one an HTTP operation.
    pub actions: Vec<Action>,
}

pub use plugboard_manifest::{ApiKeyLocation, Scheme};

/// Authentication method.
// Deserialize goes through `AuthRepr`: serde ignores `deny_unknown_fields` on the unit variants
// of an internally tagged enum, so `{"type": "basic", "api_key_header_name": "X"}` would be
// accepted and the stray field silently dropped.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Auth {
    /// No credentials.
    #[default]
    None,
    /// A static key or token (credential `api_key`).
    ApiKey {
        /// API Key Header Name: header (or query parameter / cookie) carrying the key.
        #[serde(default = "default_api_key_header_name")]
        api_key_header_name: String,
        /// API Key Preamble: word sent before the key, such as `Bearer`; empty for none.
        #[serde(default)]
        api_key_preamble: String,
        /// Where the key goes: `header` (default), `query` or `cookie`.
        #[serde(default)]
        location: ApiKeyLocation,
    },
    /// HTTP Basic (credentials `username` and `password`).
    Basic,
    /// OAuth 2.0 (credentials `client_id` and `client_secret`; tokens held by the host).
    #[serde(rename = "oauth2")]
    OAuth2(Box<crate::OAuth2>),
}

fn default_api_key_header_name() -> String {
    "Authorization".into()
}

/// [`Auth`] as read: the same shape, with empty struct variants so that unknown fields are
/// rejected for every type.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum AuthRepr {
    None {},
    ApiKey {
        #[serde(default = "default_api_key_header_name")]
        api_key_header_name: String,
        #[serde(default)]
        api_key_preamble: String,
        #[serde(default)]
        location: ApiKeyLocation,
    },
    Basic {},
    #[serde(rename = "oauth2")]
    OAuth2(Box<crate::OAuth2>),
}

impl<'de> Deserialize<'de> for Auth {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match AuthRepr::deserialize(deserializer)? {
            AuthRepr::None {} => Auth::None,
            AuthRepr::ApiKey {
                api_key_header_name,
                api_key_preamble,
                location,
            } => Auth::ApiKey {
                api_key_header_name,
                api_key_preamble,
                location,
            },
            AuthRepr::Basic {} => Auth::Basic,
            AuthRepr::OAuth2(settings) => Auth::OAuth2(settings),
        })
    }
}

/// Pagination type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PaginationType {
    /// No pagination.
    #[default]
    None,
    /// Offset pagination: Index Param, advanced by the page size, from 0.
    Index,
    /// Page numbers: Page Param, from 1.
    Page,
    /// A next link in a response header or the JSON body.
    Link,
    /// A cursor read with Pointer JSONPath and sent as After Param.
    Pointer,
}

impl PaginationType {
    /// The type as written in a definition (`none`, `index`, `page`, `link`, `pointer`).
    pub fn as_str(self) -> &'static str {
        match self {
            PaginationType::None => "none",
            PaginationType::Index => "index",
            PaginationType::Page => "page",
            PaginationType::Link => "link",
            PaginationType::Pointer => "pointer",
        }
    }
}

/// Where the next link is found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum LinkLocation {
    /// A response header (Response Header Name / Response Header Rel).
    #[default]
    Header,
    /// The JSON response body (Next Page Key).
    Body,
}

impl LinkLocation {
    /// `header` or `body`.
    pub fn as_str(self) -> &'static str {
        match self {
            LinkLocation::Header => "header",
            LinkLocation::Body => "body",
        }
    }
}

/// Pagination settings, shared by every paginated action. Fields not used by `type` must be
/// left out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Pagination {
    /// Pagination type.
    #[serde(rename = "type", default)]
    pub kind: PaginationType,
    /// Results Key: dotted path to the array of results (`results`, `data.items`); empty when
    /// the body itself is the array.
    #[serde(default)]
    pub results_key: String,
    /// Page Size Param: query parameter for the page size; empty when the API takes none.
    #[serde(default)]
    pub page_size_param: String,
    /// Default Page Size: items per page, 1..=1000.
    #[serde(default = "default_page_size")]
    #[schemars(range(min = 1, max = MAX_PAGE_SIZE))]
    pub default_page_size: u32,
    /// Default Page Limit: pages fetched at most per invocation, 1..=20.
    #[serde(default = "default_page_limit")]
    #[schemars(range(min = 1, max = MAX_PAGE_LIMIT))]
    pub default_page_limit: u32,
    /// Index Param (type `index`): query parameter carrying the start index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index_param: Option<String>,
    /// Page Param (type `page`): query parameter carrying the page number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_param: Option<String>,
    /// Next Link Location (type `link`): `header` or `body`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_link_location: Option<LinkLocation>,
    /// Response Header Name (link in header): defaults to `link`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_header_name: Option<String>,
    /// Response Header Rel (link in header): defaults to `next`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_header_rel: Option<String>,
    /// Next Page Key (link in body): dotted path of the next link in the JSON body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_page_key: Option<String>,
    /// Pointer JSONPath (type `pointer`): RFC 9535 JSONPath of the cursor in the response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pointer_jsonpath: Option<String>,
    /// After Param (type `pointer`): query parameter the cursor is sent as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_param: Option<String>,
}

/// Default for Default Page Size.
pub const DEFAULT_PAGE_SIZE: u32 = 100;
/// Default for Default Page Limit.
pub const DEFAULT_PAGE_LIMIT: u32 = 10;
/// Largest Default Page Size.
pub const MAX_PAGE_SIZE: u32 = 1000;
/// Largest Default Page Limit.
pub const MAX_PAGE_LIMIT: u32 = 20;

fn default_page_size() -> u32 {
    DEFAULT_PAGE_SIZE
}

fn default_page_limit() -> u32 {
    DEFAULT_PAGE_LIMIT
}

impl Default for Pagination {
    fn default() -> Self {
        Pagination {
            kind: PaginationType::None,
            results_key: String::new(),
            page_size_param: String::new(),
            default_page_size: DEFAULT_PAGE_SIZE,
            default_page_limit: DEFAULT_PAGE_LIMIT,
            index_param: None,
            page_param: None,
            next_link_location: None,
            response_header_name: None,
            response_header_rel: None,
            next_page_key: None,
            pointer_jsonpath: None,
            after_param: None,
        }
    }
}

/// One action: an HTTP operation the integration exposes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Action {
    /// Stable identifier used to invoke the action (`A-Z a-z 0-9 _ . -`); kept across renames.
    pub id: String,
    /// Display name.
    pub name: String,
    /// What the action does.
    #[serde(default)]
    pub description: String,
    /// HTTP method.
    pub method: Method,
    /// Path template below the base path, such as `/users/{id}`.
    pub path: String,
    /// Path, query and header parameters.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<Parameter>,
    /// Request body (JSON unless its `media_type` says otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_body: Option<RequestBody>,
    /// JSON Schema of the response body (of one item's page for paginated actions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_schema: Option<serde_json::Value>,
    /// The `Accept` header: the media types of the success responses (`application/json`
    /// when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accept: Option<String>,
    /// Whether the action follows pages (with its own `pagination`, else the integration's).
    #[serde(default)]
    pub paginated: bool,
    /// This action's own pagination, when it pages in another style than the integration
    /// (same fields and ranges as the integration's `pagination`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pagination: Option<Pagination>,
    /// Whether the action sends no credentials (the spec's `security: []`, such as a login).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub anonymous: bool,
    /// The spec's tags of the operation, to find and filter actions by (not used at run time).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

/// HTTP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
#[allow(missing_docs)]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
    Head,
    Options,
}

impl Method {
    /// Upper-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Head => "HEAD",
            Method::Options => "OPTIONS",
        }
    }
}

/// One parameter of an action. Its value comes from the input key of the same name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Parameter {
    /// Name in the request, and key in the action input.
    pub name: String,
    /// Where the parameter goes.
    #[serde(rename = "in")]
    pub location: ParameterLocation,
    /// Whether the input must have it (path parameters always must).
    #[serde(default)]
    pub required: bool,
    /// What the parameter means.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// JSON Schema of the value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<serde_json::Value>,
    /// A fixed value: the action always sends it, and it is not an input (a query or header
    /// constant that tells operations apart, such as AWS's `Action=DescribeInstances`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// How arrays and objects are written (OpenAPI's `style`): `form` (the default of query
    /// parameters), `deepObject` (`name[key]=value`), `spaceDelimited`, `pipeDelimited`, or
    /// `simple` (the default of path and header parameters: `a,b`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub style: Option<String>,
    /// Whether arrays and objects are written as repeated parameters (OpenAPI's `explode`; the
    /// default is true for `form`, false for the others).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explode: Option<bool>,
}

/// Where a parameter goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ParameterLocation {
    /// Substituted into the path template, percent-encoded.
    Path,
    /// A query parameter (arrays repeat the parameter).
    Query,
    /// A request header.
    Header,
}

/// A JSON request body, taken from the input key `body`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestBody {
    /// Whether the input must have a body.
    #[serde(default)]
    pub required: bool,
    /// JSON Schema of the body input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<serde_json::Value>,
    /// Media type sent as `Content-Type` (`application/json` when absent). The body input is
    /// an object for `application/x-www-form-urlencoded` and `multipart/form-data` (a file
    /// part is `{"base64", "filename", "content_type"}`), a string for text and XML types, and
    /// base64 text (or `{"base64", "content_type"}`) for other types.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
}
