//! Finalize: a definition becomes a self-contained component.

use std::collections::BTreeMap;

use plugboard_definition::{
    Action, Definition, LinkLocation, Pagination, PaginationType, ParameterLocation,
};
use plugboard_engine::table::{
    ActionRecord, Meta, PaginationConfig, PaginationStyle, ParamLocation, ParamRecord, write_table,
};

use crate::manifest::embed_section;
use crate::{Error, Result, manifest_digest, patch_engine, read_manifest};

/// The declarative engine component, built from `guest-sdk/engine` by this crate's build script.
pub static ENGINE_COMPONENT: &[u8] = include_bytes!(env!("PLUGBOARD_ENGINE_WASM"));

/// A finalized component and what went into it.
#[derive(Debug, Clone)]
pub struct Bundle {
    /// The component binary (`.wasm`).
    pub component: Vec<u8>,
    /// Size of the compiled action table in bytes.
    pub table_bytes: usize,
    /// Number of actions.
    pub actions: usize,
    /// Digest of its manifest section ([`crate::manifest_digest`]).
    pub manifest_digest: String,
}

/// Validates a definition and produces its component: the engine with the action table, and
/// the resolved manifest as its manifest section.
pub fn finalize(definition: &Definition) -> Result<Bundle> {
    definition.validate()?;
    if definition.hostname.is_empty() {
        return Err(Error::NoHostname);
    }
    let table = compile_table(definition)?;
    let component = patch_engine(ENGINE_COMPONENT, &table)?;
    let section = definition.manifest_section().map_err(Error::Manifest)?;
    let component = embed_section(&component, &section)?;
    let manifest_digest = manifest_digest(&read_manifest(&component)?);
    Ok(Bundle {
        component,
        table_bytes: table.len(),
        actions: definition.actions.len(),
        manifest_digest,
    })
}

/// Compiles a (validated) definition into the engine's table format: what the engine needs to
/// build requests, and nothing the host enforces.
pub fn compile_table(definition: &Definition) -> Result<Vec<u8>> {
    let meta = Meta {
        hostname: plugboard_manifest::rules::lowercase_host(&definition.hostname),
        base_path: definition.base_path.clone(),
        scheme: definition.scheme,
        pagination: pagination_config(&definition.pagination),
        extra_request_headers: definition
            .extra_request_headers
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
            .collect(),
    };
    let actions = definition.actions.iter().map(|action| {
        (
            action.id.clone(),
            action_record(action, &definition.schemas),
        )
    });
    write_table(&meta, actions).map_err(|e| match e {
        plugboard_manifest::Error::TooLarge(bytes) => Error::TooLarge(bytes),
        other => Error::Engine(other.to_string()),
    })
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
                value: p.value.clone(),
                style: p.style.clone(),
                explode: p.explode,
            })
            .collect(),
        body: action.request_body.as_ref().map(|b| b.required),
        body_media: action
            .request_body
            .as_ref()
            .and_then(|b| b.media_type.clone()),
        accept: action.accept.clone(),
        pagination: action.pagination.as_ref().map(pagination_config),
        paginated: action.paginated,
    }
}
