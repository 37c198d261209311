//! Setting the wizard's fields (hostname, auth, pagination, ...) with range checks. Used by
//! `plugboard import` (overrides of what was detected) and `plugboard definition set`.

use super::edit_error;
use crate::{
    ApiKeyLocation, Auth, Definition, LinkLocation, MAX_PAGE_LIMIT, MAX_PAGE_SIZE, Pagination,
    PaginationType, Result, Scheme,
};

/// Authentication type chosen by a setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthKind {
    /// No credentials.
    None,
    /// An API key or token.
    ApiKey,
    /// HTTP Basic.
    Basic,
}

/// Fields to set; `None` (or empty) leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Settings {
    /// Hostname (optionally with `:port`).
    pub hostname: Option<String>,
    /// Base path (`/v2`; empty for none).
    pub base_path: Option<String>,
    /// Scheme.
    pub scheme: Option<Scheme>,
    /// Auth type.
    pub auth: Option<AuthKind>,
    /// API Key Header Name (api-key auth).
    pub api_key_header_name: Option<String>,
    /// API Key Preamble (api-key auth).
    pub api_key_preamble: Option<String>,
    /// Where the key goes (api-key auth).
    pub api_key_location: Option<ApiKeyLocation>,
    /// Extra request headers to add or replace.
    pub extra_headers: Vec<(String, String)>,
    /// Pagination type; changing it clears the previous type's own fields, and `none` unmarks
    /// every paginated action.
    pub pagination: Option<PaginationType>,
    /// Results Key.
    pub results_key: Option<String>,
    /// Page Size Param.
    pub page_size_param: Option<String>,
    /// Default Page Size (1..=1000).
    pub default_page_size: Option<u32>,
    /// Default Page Limit (1..=20).
    pub default_page_limit: Option<u32>,
    /// Index Param (type `index`).
    pub index_param: Option<String>,
    /// Page Param (type `page`).
    pub page_param: Option<String>,
    /// Next Link Location (type `link`).
    pub link_location: Option<LinkLocation>,
    /// Response Header Rel (type `link`, header).
    pub response_header_rel: Option<String>,
    /// Response Header Name (type `link`, header).
    pub response_header_name: Option<String>,
    /// Next Page Key (type `link`, body).
    pub next_page_key: Option<String>,
    /// After Param (type `pointer`).
    pub after_param: Option<String>,
    /// Pointer JSONPath (type `pointer`).
    pub pointer_jsonpath: Option<String>,
}

/// Applies the settings and returns notes on side effects (actions unmarked, ...). Values out
/// of range and fields that do not apply to the resulting pagination or auth type are refused
/// before anything changes.
pub fn apply_settings(definition: &mut Definition, settings: &Settings) -> Result<Vec<String>> {
    if *settings == Settings::default() {
        return Ok(Vec::new());
    }
    let mut working = definition.clone();
    let notes = apply(&mut working, settings)?;
    *definition = working;
    Ok(notes)
}

fn apply(d: &mut Definition, s: &Settings) -> Result<Vec<String>> {
    let mut notes = Vec::new();
    if let Some(hostname) = &s.hostname {
        d.hostname = hostname.trim().to_string();
    }
    if let Some(base_path) = &s.base_path {
        d.base_path = base_path.trim().to_string();
    }
    if let Some(scheme) = s.scheme {
        d.scheme = scheme;
    }
    apply_auth(d, s)?;
    for (name, value) in &s.extra_headers {
        d.extra_request_headers
            .insert(name.trim().to_string(), value.trim().to_string());
    }
    apply_pagination(d, s, &mut notes)?;
    Ok(notes)
}

fn apply_auth(d: &mut Definition, s: &Settings) -> Result<()> {
    match s.auth {
        Some(AuthKind::None) => d.auth = Auth::None,
        Some(AuthKind::Basic) => d.auth = Auth::Basic,
        Some(AuthKind::ApiKey) if !matches!(d.auth, Auth::ApiKey { .. }) => {
            d.auth = Auth::ApiKey {
                api_key_header_name: "Authorization".into(),
                api_key_preamble: String::new(),
                location: ApiKeyLocation::Header,
            }
        }
        _ => {}
    }
    let key_fields = [
        ("api_key_header_name", s.api_key_header_name.is_some()),
        ("api_key_preamble", s.api_key_preamble.is_some()),
        ("api_key_location", s.api_key_location.is_some()),
    ];
    match &mut d.auth {
        Auth::ApiKey {
            api_key_header_name,
            api_key_preamble,
            location,
        } => {
            if let Some(name) = &s.api_key_header_name {
                *api_key_header_name = name.trim().to_string();
            }
            if let Some(preamble) = &s.api_key_preamble {
                *api_key_preamble = preamble.trim().to_string();
            }
            if let Some(l) = s.api_key_location {
                *location = l;
            }
        }
        _ => {
            if let Some((field, _)) = key_fields.iter().find(|(_, given)| *given) {
                return Err(edit_error(
                    format!("auth.{field}"),
                    "applies to api-key auth only; choose it with the auth setting (`--auth api-key`)",
                ));
            }
        }
    }
    Ok(())
}

fn apply_pagination(d: &mut Definition, s: &Settings, notes: &mut Vec<String>) -> Result<()> {
    if let Some(size) = s.default_page_size
        && !(1..=MAX_PAGE_SIZE).contains(&size)
    {
        return Err(edit_error(
            "pagination.default_page_size",
            format!("must be 1..={MAX_PAGE_SIZE}, got {size}"),
        ));
    }
    if let Some(limit) = s.default_page_limit
        && !(1..=MAX_PAGE_LIMIT).contains(&limit)
    {
        return Err(edit_error(
            "pagination.default_page_limit",
            format!("must be 1..={MAX_PAGE_LIMIT}, got {limit}"),
        ));
    }
    let p = &mut d.pagination;
    if let Some(kind) = s.pagination
        && kind != p.kind
    {
        if kind == PaginationType::None {
            *p = Pagination::default();
            let unmarked: Vec<String> = d
                .actions
                .iter_mut()
                .filter(|a| a.paginated)
                .map(|a| {
                    a.paginated = false;
                    a.id.clone()
                })
                .collect();
            if !unmarked.is_empty() {
                notes.push(format!(
                    "pagination is now `none`: unmarked {} paginated action(s): {}",
                    unmarked.len(),
                    unmarked.join(", ")
                ));
            }
            return check_fields_apply(&d.pagination, s);
        }
        *p = Pagination {
            kind,
            results_key: std::mem::take(&mut p.results_key),
            page_size_param: std::mem::take(&mut p.page_size_param),
            default_page_size: p.default_page_size,
            default_page_limit: p.default_page_limit,
            ..Pagination::default()
        };
        if kind == PaginationType::Link {
            p.next_link_location = Some(LinkLocation::Header);
        }
    }
    let p = &mut d.pagination;
    set(&mut p.results_key, &s.results_key);
    set(&mut p.page_size_param, &s.page_size_param);
    if let Some(size) = s.default_page_size {
        p.default_page_size = size;
    }
    if let Some(limit) = s.default_page_limit {
        p.default_page_limit = limit;
    }
    if let Some(location) = s.link_location
        && p.kind == PaginationType::Link
    {
        p.next_link_location = Some(location);
        match location {
            LinkLocation::Header => p.next_page_key = None,
            LinkLocation::Body => {
                p.response_header_name = None;
                p.response_header_rel = None;
            }
        }
    }
    check_fields_apply(p, s)?;
    set_opt(&mut p.index_param, &s.index_param);
    set_opt(&mut p.page_param, &s.page_param);
    set_opt(&mut p.response_header_rel, &s.response_header_rel);
    set_opt(&mut p.response_header_name, &s.response_header_name);
    set_opt(&mut p.next_page_key, &s.next_page_key);
    set_opt(&mut p.after_param, &s.after_param);
    set_opt(&mut p.pointer_jsonpath, &s.pointer_jsonpath);
    let missing = match p.kind {
        PaginationType::Index if p.index_param.is_none() => Some("index_param"),
        PaginationType::Page if p.page_param.is_none() => Some("page_param"),
        PaginationType::Pointer if p.after_param.is_none() => Some("after_param"),
        PaginationType::Pointer if p.pointer_jsonpath.is_none() => Some("pointer_jsonpath"),
        PaginationType::Link
            if p.next_link_location == Some(LinkLocation::Body) && p.next_page_key.is_none() =>
        {
            Some("next_page_key")
        }
        _ => None,
    };
    if let Some(field) = missing {
        return Err(edit_error(
            format!("pagination.{field}"),
            format!(
                "pagination type `{}` needs {field} (`--{}`)",
                p.kind.as_str(),
                field.replace('_', "-")
            ),
        ));
    }
    Ok(())
}

/// Refuses type-specific fields that the (resulting) pagination type does not use.
fn check_fields_apply(p: &Pagination, s: &Settings) -> Result<()> {
    let link = p.kind == PaginationType::Link;
    let location = p.next_link_location.unwrap_or_default();
    let fields = [
        (
            "index_param",
            s.index_param.is_some(),
            p.kind == PaginationType::Index,
        ),
        (
            "page_param",
            s.page_param.is_some(),
            p.kind == PaginationType::Page,
        ),
        ("next_link_location", s.link_location.is_some(), link),
        (
            "response_header_rel",
            s.response_header_rel.is_some(),
            link && location == LinkLocation::Header,
        ),
        (
            "response_header_name",
            s.response_header_name.is_some(),
            link && location == LinkLocation::Header,
        ),
        (
            "next_page_key",
            s.next_page_key.is_some(),
            link && location == LinkLocation::Body,
        ),
        (
            "after_param",
            s.after_param.is_some(),
            p.kind == PaginationType::Pointer,
        ),
        (
            "pointer_jsonpath",
            s.pointer_jsonpath.is_some(),
            p.kind == PaginationType::Pointer,
        ),
    ];
    let none = p.kind == PaginationType::None;
    let common = [
        ("results_key", s.results_key.is_some()),
        ("page_size_param", s.page_size_param.is_some()),
        ("default_page_size", s.default_page_size.is_some()),
        ("default_page_limit", s.default_page_limit.is_some()),
    ];
    for (field, given, applies) in fields
        .into_iter()
        .chain(common.into_iter().map(|(f, g)| (f, g, !none)))
    {
        if given && !applies {
            let kind = if link && !none {
                format!("link ({})", location.as_str())
            } else {
                p.kind.as_str().to_string()
            };
            return Err(edit_error(
                format!("pagination.{field}"),
                format!("does not apply to pagination type `{kind}`"),
            ));
        }
    }
    Ok(())
}

fn set(target: &mut String, value: &Option<String>) {
    if let Some(value) = value {
        *target = value.trim().to_string();
    }
}

fn set_opt(target: &mut Option<String>, value: &Option<String>) {
    if let Some(value) = value {
        *target = Some(value.trim().to_string());
    }
}
