//! Finalize: turn a definition into a self-contained integration component.
//!
//! The action table is compiled into the engine's binary table format
//! ([`plugboard_engine::table`]) and patched into a copy of the prebuilt engine component
//! ([`patch`]): no compiler runs, and the cost is a copy of the engine plus the table.
//! [`sign`] signs and verifies bundles (Ed25519, carried in the component).

mod patch;
pub mod sign;

use std::collections::BTreeMap;

use plugboard_definition::{
    Action, ApiKeyLocation, Auth, Definition, LinkLocation, OAuth2, Pagination, PaginationType,
    ParameterLocation, TokenRefreshStrategy, TokenRequestContentType, TokenRequestMethod,
};
use plugboard_engine::table::{
    ActionEntry, ActionRecord, AuthInfo, Meta, OAuth2Info, PaginationConfig, PaginationStyle,
    ParamLocation, ParamRecord, write_table,
};

pub use patch::patch_engine;

/// The declarative engine component, built from `guest-sdk/engine` by this crate's build script.
pub static ENGINE_COMPONENT: &[u8] = include_bytes!(env!("PLUGBOARD_ENGINE_WASM"));

/// Errors from finalize.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The definition is invalid; every problem is listed with its JSON path.
    #[error(transparent)]
    Definition(#[from] plugboard_definition::Error),
    /// The engine component does not have the shape the patcher expects.
    #[error("engine component: {0}")]
    Engine(String),
    /// The action table does not fit in a 32-bit linear memory.
    #[error("the action table is too large ({0} bytes)")]
    TooLarge(usize),
    /// Signing or verifying a bundle failed.
    #[error("bundle signature: {0}")]
    Signature(String),
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A finalized component and what went into it.
#[derive(Debug, Clone)]
pub struct Bundle {
    /// The component binary (`.wasm`).
    pub component: Vec<u8>,
    /// Size of the compiled action table in bytes.
    pub table_bytes: usize,
    /// Number of actions.
    pub actions: usize,
}

/// Validates a definition and produces its component.
pub fn finalize(definition: &Definition) -> Result<Bundle> {
    definition.validate()?;
    let table = compile_table(definition);
    let component = patch_engine(ENGINE_COMPONENT, &table)?;
    Ok(Bundle {
        component,
        table_bytes: table.len(),
        actions: definition.actions.len(),
    })
}

/// Compiles a (validated) definition into the engine's table format.
pub fn compile_table(definition: &Definition) -> Vec<u8> {
    let meta = Meta {
        name: definition.name.clone(),
        description: definition.description.clone(),
        hostname: definition.hostname.to_ascii_lowercase(),
        base_path: definition.base_path.clone(),
        scheme: definition.scheme.as_str().to_string(),
        auth: auth_info(&definition.auth),
        pagination: pagination_config(&definition.pagination),
        allowed_hosts: definition.allowed_hosts(),
        extra_request_headers: definition
            .extra_request_headers
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
            .collect(),
    };
    let results_key = &definition.pagination.results_key;
    let entries: Vec<ActionEntry> = definition
        .actions
        .iter()
        .map(|action| ActionEntry {
            id: action.id.clone(),
            record: action_record(action, &definition.schemas),
            input_schema: plugboard_definition::input_schema(action).to_string(),
            output_schema: plugboard_definition::output_schema(
                action,
                results_key,
                &definition.schemas,
            )
            .to_string(),
        })
        .collect();
    let schemas = if definition.schemas.is_empty() {
        String::new()
    } else {
        serde_json::to_string(&definition.schemas).unwrap_or_default()
    };
    write_table(&meta, definition.icon.as_deref(), &schemas, &entries)
}

fn auth_info(auth: &Auth) -> AuthInfo {
    match auth {
        Auth::None => AuthInfo::None,
        Auth::Basic => AuthInfo::Basic,
        Auth::ApiKey {
            api_key_header_name,
            api_key_preamble,
            location,
        } => AuthInfo::ApiKey {
            header_name: api_key_header_name.clone(),
            preamble: api_key_preamble.clone(),
            location: match location {
                ApiKeyLocation::Header => "header",
                ApiKeyLocation::Query => "query",
                ApiKeyLocation::Cookie => "cookie",
            }
            .to_string(),
        },
        Auth::OAuth2(o) => AuthInfo::OAuth2(Box::new(oauth2_info(o))),
    }
}

fn oauth2_info(o: &OAuth2) -> OAuth2Info {
    let interval = o
        .refresh_interval_seconds
        .filter(|_| o.token_refresh_strategy == TokenRefreshStrategy::CustomInterval);
    OAuth2Info {
        grant: o.grant_type.as_str().to_string(),
        token_scheme: o.access_token_scheme.clone(),
        authorization_url: o.authorization_code_url.clone().unwrap_or_default(),
        token_url: o.access_token_url.clone(),
        token_key: o.token_key.clone(),
        expiration_key: o.token_expiration_key.clone(),
        refresh_token_key: o.refresh_token_key.clone(),
        json_token_request: o.token_request_content_type == TokenRequestContentType::Json,
        get_token_request: o.token_request_method == TokenRequestMethod::Get,
        scope: o.scope.clone(),
        basic_auth_token_exchange: o.token_exchange_basic_auth,
        client_config_on_refresh: o.include_client_config_on_refresh,
        redirect_uri_on_refresh: o.include_redirect_uri_on_refresh,
        refresh_buffer: interval.is_none().then_some(o.refresh_buffer_seconds),
        refresh_interval: interval,
        authorization_params: o
            .authorization_extra_params
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        token_request_headers: o
            .extra_request_headers
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        refresh_on_status: o.refresh_on_status.clone(),
        expired_body_marker: o.expired_token_body_marker.clone(),
    }
}

fn pagination_config(p: &Pagination) -> PaginationConfig {
    let text = |value: &Option<String>, default: &str| {
        value.clone().unwrap_or_else(|| default.to_string())
    };
    let style = match p.kind {
        PaginationType::None => PaginationStyle::None,
        PaginationType::Index => PaginationStyle::Index {
            param: text(&p.index_param, "offset"),
        },
        PaginationType::Page => PaginationStyle::Page {
            param: text(&p.page_param, "page"),
        },
        PaginationType::Link => match p.next_link_location.unwrap_or_default() {
            LinkLocation::Header => PaginationStyle::LinkHeader {
                header_name: text(&p.response_header_name, "link").to_ascii_lowercase(),
                rel: text(&p.response_header_rel, "next"),
            },
            LinkLocation::Body => PaginationStyle::LinkBody {
                next_page_key: text(&p.next_page_key, "next"),
            },
        },
        PaginationType::Pointer => PaginationStyle::Pointer {
            jsonpath: text(&p.pointer_jsonpath, "$.next"),
            after_param: text(&p.after_param, "after"),
        },
    };
    PaginationConfig {
        style,
        results_key: p.results_key.clone(),
        page_size_param: p.page_size_param.clone(),
        page_size: p.default_page_size,
        page_limit: p.default_page_limit,
    }
}

/// The JSON types a parameter schema's `type` allows (a string or an array of strings),
/// looking through references to shared schemas.
fn schema_types(
    schema: Option<&serde_json::Value>,
    schemas: &BTreeMap<String, serde_json::Value>,
) -> Vec<String> {
    match schema
        .and_then(|s| plugboard_definition::follow_shared(s, schemas))
        .and_then(|s| s.get("type"))
    {
        Some(serde_json::Value::String(t)) => vec![t.clone()],
        Some(serde_json::Value::Array(ts)) => ts
            .iter()
            .filter_map(|t| t.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

fn action_record(action: &Action, schemas: &BTreeMap<String, serde_json::Value>) -> ActionRecord {
    ActionRecord {
        name: action.name.clone(),
        description: action.description.clone(),
        method: action.method.as_str().to_string(),
        path: action.path.clone(),
        params: action
            .parameters
            .iter()
            .map(|p| ParamRecord {
                name: p.name.clone(),
                location: match p.location {
                    ParameterLocation::Path => ParamLocation::Path,
                    ParameterLocation::Query => ParamLocation::Query,
                    ParameterLocation::Header => ParamLocation::Header,
                },
                required: p.required,
                types: schema_types(p.schema.as_ref(), schemas),
            })
            .collect(),
        body: action.request_body.as_ref().map(|b| b.required),
        paginated: action.paginated,
    }
}
