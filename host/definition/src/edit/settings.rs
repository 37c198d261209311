//! Setting the wizard's fields (hostname, auth, pagination, ...) with range checks. Used by
//! `plugboard import` (overrides of what was detected) and `plugboard definition set`.

use super::edit_error;
use crate::{
    ApiKeyLocation, Auth, Definition, LinkLocation, MAX_PAGE_LIMIT, MAX_PAGE_SIZE, OAuth2,
    OAuthGrantType, Pagination, PaginationType, Result, Scheme, TokenRefreshStrategy,
    TokenRequestContentType, TokenRequestMethod,
};

/// Authentication type chosen by a setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthKind {
    /// No credentials.
    None,
    /// An API key or token.
    ApiKey,
    /// HTTP Basic.
    Basic,
    /// OAuth 2.0.
    #[serde(rename = "oauth2")]
    OAuth2,
}

/// Name/value pairs read from a JSON object (`{"X-Tenant": "acme"}`), in its order.
fn pairs_from_object<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> std::result::Result<Vec<(String, String)>, D::Error> {
    let map: std::collections::BTreeMap<String, String> =
        serde::Deserialize::deserialize(deserializer)?;
    Ok(map.into_iter().collect())
}

/// OAuth 2.0 fields to set (auth type `oauth2`); `None` (or empty) leaves a field as it is.
/// As JSON (the platform's import), the fields by these names.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OAuthSettings {
    /// OAuth Grant Type.
    pub grant_type: Option<OAuthGrantType>,
    /// Access Token Scheme.
    pub access_token_scheme: Option<String>,
    /// Authorization Code URL.
    pub authorization_code_url: Option<String>,
    /// Access Token URL.
    pub access_token_url: Option<String>,
    /// Token Expiration Key.
    pub token_expiration_key: Option<String>,
    /// Token Key.
    pub token_key: Option<String>,
    /// Refresh Token Key.
    pub refresh_token_key: Option<String>,
    /// Token Request Content Type.
    pub token_request_content_type: Option<TokenRequestContentType>,
    /// Token Request Method.
    pub token_request_method: Option<TokenRequestMethod>,
    /// Scope.
    pub scope: Option<String>,
    /// Token Exchange Requires Basic Auth Headers.
    pub token_exchange_basic_auth: Option<bool>,
    /// Include Client Config on Refresh.
    pub include_client_config_on_refresh: Option<bool>,
    /// Include Redirect URI on Refresh.
    pub include_redirect_uri_on_refresh: Option<bool>,
    /// Token Refresh Strategy.
    pub token_refresh_strategy: Option<TokenRefreshStrategy>,
    /// Refresh Buffer (30..=3600 s).
    pub refresh_buffer_seconds: Option<u32>,
    /// Custom Interval (300..=86400 s).
    pub refresh_interval_seconds: Option<u32>,
    /// Authorization Extra Params to add or replace.
    #[serde(deserialize_with = "pairs_from_object")]
    pub authorization_extra_params: Vec<(String, String)>,
    /// Extra Request Headers (token requests) to add or replace.
    #[serde(deserialize_with = "pairs_from_object")]
    pub extra_request_headers: Vec<(String, String)>,
    /// Statuses that mean "token rejected".
    pub refresh_on_status: Option<Vec<u16>>,
    /// Body text that means "token rejected".
    pub expired_token_body_marker: Option<String>,
}

/// Fields to set; `None` (or empty) leaves a field as it is. As JSON (the platform's import),
/// the fields by these names, the OAuth ones under `oauth`.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
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
    /// OAuth 2.0 fields (oauth2 auth).
    pub oauth: OAuthSettings,
    /// Extra request headers to add or replace.
    #[serde(deserialize_with = "pairs_from_object")]
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
        Some(AuthKind::OAuth2) if !matches!(d.auth, Auth::OAuth2(_)) => {
            let Some(url) = &s.oauth.access_token_url else {
                return Err(edit_error(
                    "auth.access_token_url",
                    "OAuth 2.0 needs the Access Token URL",
                ));
            };
            let grant = s
                .oauth
                .grant_type
                .unwrap_or(OAuthGrantType::AuthorizationCode);
            d.auth = Auth::OAuth2(Box::new(OAuth2::new(grant, url.trim())));
        }
        _ => {}
    }
    if let Auth::OAuth2(oauth) = &mut d.auth {
        apply_oauth(oauth, &s.oauth)?;
    } else if s.oauth != OAuthSettings::default() {
        return Err(edit_error(
            "auth",
            "OAuth 2.0 fields apply to oauth2 auth only; set `auth.type` to `oauth2` first",
        ));
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
                    "applies to api_key auth only; set `auth.type` to `api_key` first",
                ));
            }
        }
    }
    Ok(())
}

fn apply_oauth(o: &mut OAuth2, s: &OAuthSettings) -> Result<()> {
    if let Some(grant) = s.grant_type {
        o.grant_type = grant;
    }
    set(&mut o.access_token_scheme, &s.access_token_scheme);
    set_opt(&mut o.authorization_code_url, &s.authorization_code_url);
    set(&mut o.access_token_url, &s.access_token_url);
    set(&mut o.token_expiration_key, &s.token_expiration_key);
    set(&mut o.token_key, &s.token_key);
    set(&mut o.refresh_token_key, &s.refresh_token_key);
    set(&mut o.scope, &s.scope);
    if let Some(value) = s.token_request_content_type {
        o.token_request_content_type = value;
    }
    if let Some(value) = s.token_request_method {
        o.token_request_method = value;
    }
    for (target, value) in [
        (
            &mut o.token_exchange_basic_auth,
            s.token_exchange_basic_auth,
        ),
        (
            &mut o.include_client_config_on_refresh,
            s.include_client_config_on_refresh,
        ),
        (
            &mut o.include_redirect_uri_on_refresh,
            s.include_redirect_uri_on_refresh,
        ),
    ] {
        if let Some(value) = value {
            *target = value;
        }
    }
    if let Some(strategy) = s.token_refresh_strategy {
        o.token_refresh_strategy = strategy;
        if strategy == TokenRefreshStrategy::Automatic {
            o.refresh_interval_seconds = None;
        }
    }
    if let Some(seconds) = s.refresh_buffer_seconds {
        o.refresh_buffer_seconds = seconds;
    }
    if s.refresh_interval_seconds.is_some() {
        o.refresh_interval_seconds = s.refresh_interval_seconds;
    }
    for (name, value) in &s.authorization_extra_params {
        o.authorization_extra_params
            .insert(name.trim().to_string(), value.to_string());
    }
    for (name, value) in &s.extra_request_headers {
        o.extra_request_headers
            .insert(name.trim().to_string(), value.trim().to_string());
    }
    if let Some(statuses) = &s.refresh_on_status {
        o.refresh_on_status = statuses.clone();
    }
    if let Some(marker) = &s.expired_token_body_marker {
        o.expired_token_body_marker = Some(marker.clone()).filter(|m| !m.is_empty());
    }
    let mut problems = Vec::new();
    crate::validate::check_oauth(o, &mut problems);
    match problems.into_iter().next() {
        Some(problem) => Err(edit_error(
            problem.path.trim_start_matches("$.").to_string(),
            problem.message,
        )),
        None => Ok(()),
    }
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
                .filter(|a| a.paginated && a.pagination.is_none())
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

/// Gives actions their own pagination (`plugboard actions paginate --style ...`): the pagination
/// fields of `settings` applied over the action's own pagination, else the integration's, with
/// the same rules and ranges. An action whose result equals the integration's pagination uses
/// that one; `--style none` unmarks. Returns the number of actions changed.
pub fn set_action_pagination(
    definition: &mut Definition,
    ids: &[String],
    settings: &Settings,
) -> Result<usize> {
    let mut indexes = Vec::new();
    for id in ids {
        indexes.push(super::find(definition, id)?);
    }
    let mut working = definition.clone();
    let mut changed = 0;
    for index in indexes {
        let action = &working.actions[index];
        let base = action
            .pagination
            .clone()
            .unwrap_or_else(|| working.pagination.clone());
        // The pagination rules run on a copy that has only this pagination.
        let mut scratch = Definition {
            pagination: base,
            actions: Vec::new(),
            ..working.clone()
        };
        let mut notes = Vec::new();
        apply_pagination(&mut scratch, settings, &mut notes)
            .map_err(|e| prefix_field(e, &format!("actions.{}", action.id)))?;
        let action = &mut working.actions[index];
        let before = (action.paginated, action.pagination.clone());
        if scratch.pagination.kind == PaginationType::None {
            action.paginated = false;
            action.pagination = None;
        } else {
            action.paginated = true;
            action.pagination =
                (scratch.pagination != working.pagination).then_some(scratch.pagination);
        }
        if (action.paginated, action.pagination.clone()) != before {
            changed += 1;
        }
    }
    *definition = working;
    Ok(changed)
}

fn prefix_field(error: crate::Error, prefix: &str) -> crate::Error {
    match error {
        crate::Error::Edit { field, message } => crate::Error::Edit {
            field: format!("{prefix}.{field}"),
            message,
        },
        other => other,
    }
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
