//! Validation rules. Every rule reports a [`Problem`] with the JSON path it concerns, and all
//! problems are collected (never only the first).

use std::collections::{BTreeSet, HashSet};
use std::sync::LazyLock;

use plugboard_manifest::rules::{
    HostPort, authorization_param_problem, dotted_key_problem, icon_problem, is_media_type,
    is_token, parameter_styles, plain_http_credentials_problem, refresh_status_problem,
    seconds_problem, template_host, token_request_header_problem, token_scheme_problem,
};
use regex::Regex;

use crate::{
    Action, Auth, BODY_INPUT_KEY, Definition, LinkLocation, MAX_PAGE_LIMIT, MAX_PAGE_SIZE, OAuth2,
    OAuthGrantType, Pagination, PaginationType, ParameterLocation, Problem, REFRESH_BUFFER_RANGE,
    REFRESH_INTERVAL_RANGE, TokenRefreshStrategy, oauth_url_problem,
};

static NAME: LazyLock<Regex> = LazyLock::new(|| regex_or_panic(r"^[A-Za-z0-9 _-]+$"));
static ACTION_ID: LazyLock<Regex> = LazyLock::new(|| regex_or_panic(r"^[A-Za-z0-9_.-]{1,128}$"));
static PLACEHOLDER: LazyLock<Regex> = LazyLock::new(|| regex_or_panic(r"\{([^{}]*)\}"));

/// The patterns above are constants; a failure is a bug caught by every test run.
fn regex_or_panic(pattern: &str) -> Regex {
    #[allow(clippy::expect_used)]
    Regex::new(pattern).expect("constant regex")
}

/// Longest accepted name.
const MAX_NAME_LEN: usize = 100;

pub(crate) fn problems(definition: &Definition) -> Vec<Problem> {
    let mut out = Vec::new();
    check_metadata(definition, &mut out);
    check_auth(definition, &mut out);
    check_pagination(&definition.pagination, &mut out);
    let mut ids = HashSet::new();
    for (index, action) in definition.actions.iter().enumerate() {
        let at = format!("$.actions[{index}]");
        if !ids.insert(action.id.as_str()) {
            out.push(Problem::new(
                format!("{at}.id"),
                format!("duplicate action id `{}`; ids must be unique", action.id),
            ));
        }
        check_action(action, &at, definition.pagination.kind, &mut out);
        check_action_refs(action, &at, definition, &mut out);
    }
    for (name, schema) in &definition.schemas {
        let mut at = String::from("$.schemas");
        push_key(&mut at, name);
        if name.is_empty() {
            out.push(Problem::new(
                "$.schemas",
                "a shared schema name must not be empty",
            ));
        }
        if !(schema.is_object() || schema.is_boolean()) {
            out.push(Problem::new(
                at.clone(),
                "a JSON Schema is an object or a boolean",
            ));
        }
        check_refs(schema, &mut at, definition, &mut out);
    }
    if definition.actions.is_empty() {
        out.push(Problem::new(
            "$.actions",
            "an integration needs at least one action",
        ));
    }
    out
}

fn check_metadata(d: &Definition, out: &mut Vec<Problem>) {
    let name = d.name.trim();
    if name.is_empty() {
        out.push(Problem::new("$.name", "the name is required"));
    } else if !NAME.is_match(&d.name) {
        out.push(Problem::new(
            "$.name",
            "use letters, digits, spaces, `-` and `_` only",
        ));
    } else if d.name.len() > MAX_NAME_LEN {
        out.push(Problem::new(
            "$.name",
            format!("at most {MAX_NAME_LEN} characters"),
        ));
    }
    if d.description.trim().is_empty() {
        out.push(Problem::new("$.description", "the description is required"));
    }
    if let Some(icon) = &d.icon {
        check_icon(icon, out);
    }
    // A draft may lack its hostname (a spec without a server URL); finalize asks for it. A
    // template (`{account}.blob.core.windows.net`) is checked as such.
    match plugboard_manifest::rules::host_template(&d.hostname) {
        _ if d.hostname.is_empty() => {}
        Ok(names) if !names.is_empty() => {}
        Ok(_) => check_host(&d.hostname, "$.hostname", out),
        Err(problem) => out.push(Problem::new("$.hostname", problem)),
    }
    for (i, host) in d.extra_hosts.iter().enumerate() {
        check_host(host, &format!("$.extra_hosts[{i}]"), out);
    }
    let base = &d.base_path;
    if !base.is_empty()
        && (!base.starts_with('/')
            || base.ends_with('/')
            || base.contains(['?', '#'])
            || base.contains(char::is_whitespace))
    {
        out.push(Problem::new(
            "$.base_path",
            "a base path starts with `/`, does not end with `/` and has no query, fragment or spaces (example: `/v2`)",
        ));
    }
    for (name, value) in &d.extra_request_headers {
        let mut at = String::from("$.extra_request_headers");
        crate::push_member(&mut at, name);
        if !is_token(name) {
            out.push(Problem::new(at.clone(), "not a valid header name"));
        }
        if value.chars().any(|c| c.is_control() && c != '\t') {
            out.push(Problem::new(
                at,
                "a header value must not contain line breaks or other control characters",
            ));
        }
    }
}

fn check_icon(icon: &str, out: &mut Vec<Problem>) {
    if let Some(problem) = icon_problem(icon) {
        out.push(Problem::new("$.icon", problem));
    }
}

fn check_host(host: &str, path: &str, out: &mut Vec<Problem>) {
    if host.contains("://") {
        out.push(Problem::new(
            path,
            format!(
                "write the host without a scheme (`{}`); use `scheme` for http",
                host.split("://").nth(1).unwrap_or(host)
            ),
        ));
    } else if host.contains('/') {
        out.push(Problem::new(
            path,
            "write the host without a path; put the path prefix in `base_path`",
        ));
    } else if let Err(problem) = HostPort::parse(host) {
        out.push(Problem::new(path, problem));
    }
}

impl Definition {
    /// Why this definition may not send its credentials where it would (plain http to a host
    /// that is not loopback), or `None`.
    pub fn plain_http_credentials_problem(&self) -> Option<String> {
        if matches!(self.auth, Auth::None) {
            return None;
        }
        let host = template_host(&self.hostname).ok()?;
        plain_http_credentials_problem(self.scheme, &host)
    }
}

fn check_auth(d: &Definition, out: &mut Vec<Problem>) {
    if let Some(problem) = d.plain_http_credentials_problem() {
        out.push(Problem::new("$.scheme", problem));
    }
    if let Auth::OAuth2(oauth) = &d.auth {
        check_oauth(oauth, out);
    }
    if let Auth::ApiKey {
        api_key_header_name,
        api_key_preamble,
        ..
    } = &d.auth
    {
        if !is_token(api_key_header_name) {
            out.push(Problem::new(
                "$.auth.api_key_header_name",
                "not a valid header name",
            ));
        }
        if api_key_preamble.contains(['\r', '\n']) {
            out.push(Problem::new(
                "$.auth.api_key_preamble",
                "the preamble must be one line",
            ));
        }
    }
}

/// An OAuth endpoint URL (see [`oauth_url_problem`]), or a problem at `path`.
fn check_oauth_url(path: &str, text: &str, out: &mut Vec<Problem>) {
    if let Some(problem) = oauth_url_problem(text) {
        out.push(Problem::new(path, problem));
    }
}

/// The problems of OAuth 2.0 settings (paths under `$.auth`).
pub(crate) fn check_oauth(o: &OAuth2, out: &mut Vec<Problem>) {
    let at = "$.auth";
    check_oauth_url(&format!("{at}.access_token_url"), &o.access_token_url, out);
    match (&o.grant_type, &o.authorization_code_url) {
        (OAuthGrantType::AuthorizationCode, None) => out.push(Problem::new(
            format!("{at}.authorization_code_url"),
            "the authorization code grant needs the Authorization Code URL",
        )),
        (_, Some(url)) => check_oauth_url(&format!("{at}.authorization_code_url"), url, out),
        (OAuthGrantType::ClientCredentials, None) => {}
    }
    if let Some(problem) = token_scheme_problem(&o.access_token_scheme) {
        out.push(Problem::new(format!("{at}.access_token_scheme"), problem));
    }
    for (field, key) in [
        ("token_key", &o.token_key),
        ("token_expiration_key", &o.token_expiration_key),
        ("refresh_token_key", &o.refresh_token_key),
    ] {
        if let Some(problem) = dotted_key_problem(key) {
            out.push(Problem::new(format!("{at}.{field}"), problem));
        }
    }
    if let Some(problem) = seconds_problem(&REFRESH_BUFFER_RANGE, o.refresh_buffer_seconds) {
        out.push(Problem::new(
            format!("{at}.refresh_buffer_seconds"),
            problem,
        ));
    }
    match (o.token_refresh_strategy, o.refresh_interval_seconds) {
        (TokenRefreshStrategy::CustomInterval, None) => out.push(Problem::new(
            format!("{at}.refresh_interval_seconds"),
            "the custom interval strategy needs refresh_interval_seconds",
        )),
        (TokenRefreshStrategy::Automatic, Some(_)) => out.push(Problem::new(
            format!("{at}.refresh_interval_seconds"),
            "applies to the `custom_interval` token refresh strategy only",
        )),
        (_, Some(seconds)) => {
            if let Some(problem) = seconds_problem(&REFRESH_INTERVAL_RANGE, seconds) {
                out.push(Problem::new(
                    format!("{at}.refresh_interval_seconds"),
                    problem,
                ));
            }
        }
        (TokenRefreshStrategy::Automatic, None) => {}
    }
    for (name, value) in &o.extra_request_headers {
        if let Some(problem) = token_request_header_problem(name, value) {
            out.push(Problem::new(
                format!("{at}.extra_request_headers.{name}"),
                problem,
            ));
        }
    }
    for name in o.authorization_extra_params.keys() {
        if let Some(problem) = authorization_param_problem(name) {
            out.push(Problem::new(
                format!("{at}.authorization_extra_params.{name}"),
                problem,
            ));
        }
    }
    for (index, status) in o.refresh_on_status.iter().enumerate() {
        if let Some(problem) = refresh_status_problem(*status) {
            out.push(Problem::new(
                format!("{at}.refresh_on_status[{index}]"),
                problem,
            ));
        }
    }
    if o.expired_token_body_marker.as_deref() == Some("") {
        out.push(Problem::new(
            format!("{at}.expired_token_body_marker"),
            "must not be empty (leave it out for none)",
        ));
    }
}

fn check_pagination(p: &Pagination, out: &mut Vec<Problem>) {
    check_pagination_at(p, "$.pagination", out);
}

/// The pagination rules for the integration's settings or an action's own (`at`).
fn check_pagination_at(p: &Pagination, at: &str, out: &mut Vec<Problem>) {
    if !(1..=MAX_PAGE_SIZE).contains(&p.default_page_size) {
        out.push(Problem::new(
            format!("{at}.default_page_size"),
            format!("must be 1..={MAX_PAGE_SIZE}, got {}", p.default_page_size),
        ));
    }
    if !(1..=MAX_PAGE_LIMIT).contains(&p.default_page_limit) {
        out.push(Problem::new(
            format!("{at}.default_page_limit"),
            format!("must be 1..={MAX_PAGE_LIMIT}, got {}", p.default_page_limit),
        ));
    }
    check_dotted(&p.results_key, &format!("{at}.results_key"), true, out);
    if !p.page_size_param.is_empty() {
        check_param_name(&p.page_size_param, &format!("{at}.page_size_param"), out);
    }
    let kind = p.kind;
    let mut require = |field: &str, value: &Option<String>, wanted: bool| match (value, wanted) {
        (None, true) => out.push(Problem::new(
            format!("{at}.{field}"),
            format!("required for pagination type `{}`", kind.as_str()),
        )),
        (Some(_), false) => out.push(Problem::new(
            format!("{at}.{field}"),
            format!("not used by pagination type `{}`; remove it", kind.as_str()),
        )),
        (Some(v), true) if v.trim().is_empty() => {
            out.push(Problem::new(format!("{at}.{field}"), "must not be empty"))
        }
        _ => {}
    };
    let link = kind == PaginationType::Link;
    let location = p.next_link_location.unwrap_or_default();
    require("index_param", &p.index_param, kind == PaginationType::Index);
    require("page_param", &p.page_param, kind == PaginationType::Page);
    require(
        "pointer_jsonpath",
        &p.pointer_jsonpath,
        kind == PaginationType::Pointer,
    );
    require(
        "after_param",
        &p.after_param,
        kind == PaginationType::Pointer,
    );
    require(
        "next_page_key",
        &p.next_page_key,
        link && location == LinkLocation::Body,
    );
    if !(link && location == LinkLocation::Header) {
        require("response_header_name", &p.response_header_name, false);
        require("response_header_rel", &p.response_header_rel, false);
    }
    if !link && p.next_link_location.is_some() {
        require("next_link_location", &Some(String::new()), false);
    }
    // An empty rel matches no link, so pagination would silently stop after the first page.
    if link
        && location == LinkLocation::Header
        && p.response_header_rel
            .as_ref()
            .is_some_and(|v| v.trim().is_empty())
    {
        out.push(Problem::new(
            format!("{at}.response_header_rel"),
            "must not be empty",
        ));
    }
    // Empty values were reported above ("must not be empty"); the checks below are for the rest.
    let given = |value: &Option<String>| value.clone().filter(|v| !v.trim().is_empty());
    if let Some(path) = given(&p.pointer_jsonpath)
        && let Err(e) = serde_json_path::JsonPath::parse(&path)
    {
        out.push(Problem::new(
            format!("{at}.pointer_jsonpath"),
            format!("not a valid JSONPath (RFC 9535): {e}"),
        ));
    }
    if let Some(key) = given(&p.next_page_key) {
        check_dotted(&key, &format!("{at}.next_page_key"), false, out);
    }
    for (field, value) in [
        ("index_param", &p.index_param),
        ("page_param", &p.page_param),
        ("after_param", &p.after_param),
    ] {
        if let Some(v) = given(value) {
            check_param_name(&v, &format!("{at}.{field}"), out);
        }
    }
    if let Some(v) = &p.response_header_name
        && !is_token(v)
    {
        out.push(Problem::new(
            format!("{at}.response_header_name"),
            "not a valid header name",
        ));
    }
}

fn check_dotted(key: &str, path: &str, empty_ok: bool, out: &mut Vec<Problem>) {
    if key.is_empty() {
        if !empty_ok {
            out.push(Problem::new(path, "must not be empty"));
        }
    } else if key.split('.').any(|segment| segment.trim().is_empty()) {
        out.push(Problem::new(
            path,
            "a dotted path has no empty segments (`results`, `data.items`)",
        ));
    }
}

fn check_param_name(name: &str, path: &str, out: &mut Vec<Problem>) {
    if name.trim().is_empty() || name.contains(['&', '=', '#', '\r', '\n']) {
        out.push(Problem::new(
            path,
            "a query parameter name must be non-empty and have no `&`, `=` or `#`",
        ));
    }
}

fn check_action(action: &Action, at: &str, pagination: PaginationType, out: &mut Vec<Problem>) {
    if !ACTION_ID.is_match(&action.id) {
        out.push(Problem::new(
            format!("{at}.id"),
            "use 1 to 128 of `A-Z a-z 0-9 _ . -`",
        ));
    }
    if action.name.trim().is_empty() {
        out.push(Problem::new(format!("{at}.name"), "the name is required"));
    }
    if let Some(own) = &action.pagination {
        if own.kind == PaginationType::None {
            out.push(Problem::new(
                format!("{at}.pagination.type"),
                "an action's own pagination has a type (index, page, link or pointer); remove it to use the integration's",
            ));
        }
        if !action.paginated {
            out.push(Problem::new(
                format!("{at}.pagination"),
                "the action has its own pagination but is not marked paginated",
            ));
        }
        check_pagination_at(own, &format!("{at}.pagination"), out);
    } else if action.paginated && pagination == PaginationType::None {
        out.push(Problem::new(
            format!("{at}.paginated"),
            "the action is marked paginated but `pagination.type` is `none`",
        ));
    }
    let path = &action.path;
    if !path.starts_with('/') || path.contains(['?', '#']) || path.contains(char::is_whitespace) {
        out.push(Problem::new(
            format!("{at}.path"),
            "a path starts with `/` and has no query, fragment or spaces (put query values in parameters)",
        ));
    }
    let placeholders: BTreeSet<&str> = PLACEHOLDER
        .captures_iter(path)
        .filter_map(|c| c.get(1).map(|m| m.as_str()))
        .collect();
    if placeholders.contains("") {
        out.push(Problem::new(format!("{at}.path"), "empty placeholder `{}`"));
    }
    if PLACEHOLDER.replace_all(path, "").contains(['{', '}']) {
        out.push(Problem::new(
            format!("{at}.path"),
            "unbalanced `{` or `}`; a placeholder is `{name}`",
        ));
    }
    let mut input_keys = HashSet::new();
    for (index, param) in action.parameters.iter().enumerate() {
        let p_at = format!("{at}.parameters[{index}]");
        if param.name.trim().is_empty() {
            out.push(Problem::new(format!("{p_at}.name"), "the name is required"));
            continue;
        }
        // The engine reads input key `body` as the request body only when the action has one;
        // without a request body, `body` is an ordinary parameter name.
        if !input_keys.insert(param.name.as_str()) {
            out.push(Problem::new(
                format!("{p_at}.name"),
                format!(
                    "input key `{}` is used twice (parameter names are input keys)",
                    param.name
                ),
            ));
        } else if param.name == BODY_INPUT_KEY && action.request_body.is_some() {
            out.push(Problem::new(
                format!("{p_at}.name"),
                format!(
                    "input key `{BODY_INPUT_KEY}` is used twice (it carries the request body); rename the parameter"
                ),
            ));
        }
        match param.location {
            ParameterLocation::Path if !placeholders.contains(param.name.as_str()) => {
                out.push(Problem::new(
                    format!("{p_at}.name"),
                    format!(
                        "path parameter `{}` has no `{{{}}}` in the path",
                        param.name, param.name
                    ),
                ))
            }
            ParameterLocation::Header if !is_token(&param.name) => out.push(Problem::new(
                format!("{p_at}.name"),
                "not a valid header name",
            )),
            _ => {}
        }
        if let Some(style) = &param.style {
            let allowed = parameter_styles(param.location == ParameterLocation::Query);
            if !allowed.contains(&style.as_str()) {
                out.push(Problem::new(
                    format!("{p_at}.style"),
                    format!("this location takes style {}", allowed.join(", ")),
                ));
            }
        }
        match (&param.value, param.location) {
            (Some(_), ParameterLocation::Path) => out.push(Problem::new(
                format!("{p_at}.value"),
                "a path parameter has no fixed value: write the value into the path",
            )),
            (Some(value), _) if value.chars().any(char::is_control) => out.push(Problem::new(
                format!("{p_at}.value"),
                "a fixed value is one line without control characters",
            )),
            _ => {}
        }
        if let Some(schema) = &param.schema
            && !(schema.is_object() || schema.is_boolean())
        {
            out.push(Problem::new(
                format!("{p_at}.schema"),
                "a JSON Schema is an object or a boolean",
            ));
        }
    }
    for name in &placeholders {
        let declared = action
            .parameters
            .iter()
            .any(|p| p.location == ParameterLocation::Path && p.name == *name);
        if !name.is_empty() && !declared {
            out.push(Problem::new(
                format!("{at}.path"),
                format!("placeholder `{{{name}}}` has no path parameter named `{name}`"),
            ));
        }
    }
    if let Some(schema) = &action.output_schema
        && !(schema.is_object() || schema.is_boolean())
    {
        out.push(Problem::new(
            format!("{at}.output_schema"),
            "a JSON Schema is an object or a boolean",
        ));
    }
    if let Some(media) = action
        .request_body
        .as_ref()
        .and_then(|b| b.media_type.as_deref())
        && !is_media_type(media)
    {
        out.push(Problem::new(
            format!("{at}.request_body.media_type"),
            "a media type is `type/subtype` (such as `application/x-www-form-urlencoded`), optionally with `; parameters`",
        ));
    }
    if let Some(accept) = &action.accept
        && !accept.split(',').all(is_media_type)
    {
        out.push(Problem::new(
            format!("{at}.accept"),
            "`accept` is a comma-separated list of media types (`type/subtype`, `*/*` allowed)",
        ));
    }
    if let Some(body) = &action.request_body
        && let Some(schema) = &body.schema
        && !(schema.is_object() || schema.is_boolean())
    {
        out.push(Problem::new(
            format!("{at}.request_body.schema"),
            "a JSON Schema is an object or a boolean",
        ));
    }
}

fn check_action_refs(action: &Action, at: &str, definition: &Definition, out: &mut Vec<Problem>) {
    for (index, param) in action.parameters.iter().enumerate() {
        if let Some(schema) = &param.schema {
            let mut path = format!("{at}.parameters[{index}].schema");
            check_refs(schema, &mut path, definition, out);
        }
    }
    if let Some(body) = &action.request_body
        && let Some(schema) = &body.schema
    {
        let mut path = format!("{at}.request_body.schema");
        check_refs(schema, &mut path, definition, out);
    }
    if let Some(schema) = &action.output_schema {
        let mut path = format!("{at}.output_schema");
        check_refs(schema, &mut path, definition, out);
    }
}

/// Keywords whose values are instance data, not schemas: a `$ref` inside them is plain data.
const SCHEMA_DATA_KEYWORDS: &[&str] = &["default", "enum", "const", "example", "examples"];

/// Every `$ref` string inside `value` must name a shared schema: `#/schemas/<name>` (values of
/// data keywords such as `default` and `example` are not schemas and are not checked).
fn check_refs(
    value: &serde_json::Value,
    path: &mut String,
    definition: &Definition,
    out: &mut Vec<Problem>,
) {
    use serde_json::Value;
    let len = path.len();
    match value {
        Value::Object(map) => {
            for (key, member) in map {
                push_key(path, key);
                if key == "$ref"
                    && let Value::String(reference) = member
                {
                    match crate::shared_schema_name(reference) {
                        Some(name) if definition.schemas.contains_key(&name) => {}
                        Some(name) => out.push(Problem::new(
                            path.clone(),
                            format!(
                                "reference `{reference}` names no shared schema (`{name}` is not in `schemas`)"
                            ),
                        )),
                        None => out.push(Problem::new(
                            path.clone(),
                            format!(
                                "reference `{reference}` is not supported: references must be `#/schemas/<name>`"
                            ),
                        )),
                    }
                } else if !SCHEMA_DATA_KEYWORDS.contains(&key.as_str()) {
                    check_refs(member, path, definition, out);
                }
                path.truncate(len);
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                path.push_str(&format!("[{index}]"));
                check_refs(item, path, definition, out);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

/// Appends `.key` (or `["key"]` when the key is not a plain name) to a JSON path.
fn push_key(path: &mut String, key: &str) {
    let plain = !key.is_empty()
        && !key.starts_with(|c: char| c.is_ascii_digit())
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$' || c == '-');
    if plain {
        path.push('.');
        path.push_str(key);
    } else {
        path.push('[');
        path.push_str(&serde_json::Value::String(key.to_string()).to_string());
        path.push(']');
    }
}
