//! Where the API lives (servers) and how it authenticates (security schemes).

use plugboard_definition::{ApiKeyLocation, Auth, OAuth2, OAuthGrantType, Scheme};
use serde_json::Value;

use super::schema::Resolver;
use crate::{Error, Result};

/// Hostname, base path and scheme.
pub(crate) struct Target {
    pub hostname: String,
    pub base_path: String,
    pub scheme: Scheme,
}

/// The note for a draft without a hostname.
pub(crate) const NO_HOSTNAME: &str =
    "the draft has no hostname: set the API's host (such as api.example.com) before finalize";

/// Reads the first https server URL, else the first (variables replaced by their defaults).
/// `hostname` (a flag) replaces the URL's host. Without a usable host (no server URL, a
/// relative one, a variable without a default) the hostname stays empty and a note says so: the
/// draft imports, and finalize asks for the hostname.
pub(crate) fn target(
    spec: &Value,
    hostname: Option<&str>,
    notes: &mut Vec<String>,
) -> Result<Target> {
    let servers = spec.get("servers").and_then(Value::as_array);
    let is_https = |server: &Value| {
        server
            .get("url")
            .and_then(Value::as_str)
            .is_some_and(|url| {
                url.get(..8)
                    .is_some_and(|s| s.eq_ignore_ascii_case("https://"))
            })
    };
    let index = servers
        .and_then(|s| s.iter().position(is_https))
        .unwrap_or(0);
    let server = servers.and_then(|s| s.get(index));
    let url_pointer = format!("/servers/{index}/url");
    let raw = server
        .and_then(|s| s.get("url"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let mut url_text = raw.to_string();
    if let Some(variables) = server
        .and_then(|s| s.get("variables"))
        .and_then(Value::as_object)
    {
        for (name, variable) in variables {
            if let Some(default) = variable
                .get("default")
                .and_then(Value::as_str)
                .filter(|d| !d.is_empty())
            {
                url_text = url_text.replace(&format!("{{{name}}}"), default);
            }
        }
    }
    let given = hostname.map(str::trim).filter(|h| !h.is_empty());
    let unusable = |reason: String, base_path: String, notes: &mut Vec<String>| {
        let hostname = match given {
            Some(h) => h.to_string(),
            None => {
                notes.push(format!("{url_pointer}: {reason}; {NO_HOSTNAME}"));
                String::new()
            }
        };
        Ok(Target {
            hostname,
            base_path,
            scheme: Scheme::Https,
        })
    };
    // Variables without a default in the host (`https://{account}.blob.core.windows.net`)
    // make a hostname template: each is a config value the installation sets.
    if let Some(target) = host_template_target(&url_text, given, notes, &url_pointer) {
        return Ok(target);
    }
    if url_text.contains(['{', '}']) {
        let unset: Vec<String> = url_text
            .split('{')
            .skip(1)
            .filter_map(|s| s.split_once('}').map(|(name, _)| format!("`{name}`")))
            .collect();
        return unusable(
            format!(
                "the server URL `{raw}` has variables without a default ({}; an integration calls one host: set the hostname, such as `myaccount.blob.core.windows.net`)",
                unset.join(", ")
            ),
            String::new(),
            notes,
        );
    }
    // A protocol-relative URL (`//api.example.com/v1`) names a host: https is assumed.
    if url_text.starts_with("//") {
        notes.push(format!(
            "{url_pointer}: the server URL `{url_text}` has no scheme; https is assumed"
        ));
        url_text = format!("https:{url_text}");
    }
    match url::Url::parse(&url_text) {
        Ok(url) => {
            let scheme = match url.scheme() {
                "https" => Scheme::Https,
                "http" => Scheme::Http,
                other => {
                    return Err(Error::Import {
                        pointer: url_pointer.clone(),
                        message: format!(
                            "the server URL `{url_text}` uses scheme `{other}`; only http and https are supported"
                        ),
                    });
                }
            };
            let host = match (url.host_str(), url.port()) {
                (Some(host), Some(port)) => format!("{host}:{port}"),
                (Some(host), None) => host.to_string(),
                (None, _) => String::new(),
            };
            let hostname = match given {
                Some(h) => h.to_string(),
                None if !host.is_empty() => host,
                None => {
                    return unusable(
                        format!("the server URL `{url_text}` has no host"),
                        base_path(url.path()),
                        notes,
                    );
                }
            };
            if server.is_some_and(|_| spec["servers"].as_array().is_some_and(|s| s.len() > 1)) {
                notes.push(format!(
                    "the spec lists several servers; using `{url_text}` (the first with https, else the first)"
                ));
            }
            Ok(Target {
                hostname,
                base_path: base_path(url.path()),
                scheme,
            })
        }
        Err(_) => {
            // A relative URL: its path is the base path.
            let path = url_text.split(['?', '#']).next().unwrap_or("");
            let path = if path.starts_with('/') { path } else { "" };
            let reason = if raw.is_empty() {
                "the spec has no server URL".to_string()
            } else {
                format!("the server URL `{raw}` is relative")
            };
            unusable(reason, base_path(path), notes)
        }
    }
}

/// A server URL whose unset variables are whole labels of its host, as a hostname template
/// (`{account}.blob.core.windows.net`); `None` when it is not one.
fn host_template_target(
    url_text: &str,
    given: Option<&str>,
    notes: &mut Vec<String>,
    url_pointer: &str,
) -> Option<Target> {
    if given.is_some() || !url_text.contains('{') {
        return None;
    }
    let (scheme_text, rest) = url_text.split_once("://")?;
    let scheme = match scheme_text.to_ascii_lowercase().as_str() {
        "https" => Scheme::Https,
        "http" => Scheme::Http,
        _ => return None,
    };
    let (host, path) = match rest.find('/') {
        Some(at) => rest.split_at(at),
        None => (rest, ""),
    };
    if path.contains(['{', '}']) {
        return None;
    }
    let names = plugboard_definition::host_template(host).ok()?;
    if names.is_empty() {
        return None;
    }
    notes.push(format!(
        "{url_pointer}: the hostname `{host}` is set per installation: {} {} config value(s) each installation gives (one DNS label each)",
        names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", "),
        if names.len() == 1 { "is a" } else { "are" }
    ));
    Some(Target {
        hostname: host.to_string(),
        base_path: base_path(path.split(['?', '#']).next().unwrap_or("")),
        scheme,
    })
}

fn base_path(path: &str) -> String {
    path.trim_end_matches('/').to_string()
}

/// The suggested auth and a sentence saying why.
pub(crate) fn auth(
    spec: &Value,
    resolver: &mut Resolver<'_>,
    notes: &mut Vec<String>,
) -> (Auth, String) {
    let operations = operation_requirements(spec);
    let mut chosen = None;
    let (auth, why) = pick_auth(spec, &operations, resolver, notes, &mut chosen);
    if let Some(name) = chosen {
        note_uncovered(&operations, &name, notes);
        note_together(spec, &name, notes);
    }
    (auth, why)
}

/// Every security requirement object of the spec: the document's, then each operation's.
fn requirements(spec: &Value) -> impl Iterator<Item = &serde_json::Map<String, Value>> {
    let operations = spec
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .flat_map(|(_, item)| item.as_object().into_iter().flatten())
        .map(|(_, op)| op.get("security"));
    std::iter::once(spec.get("security"))
        .chain(operations)
        .flat_map(requirement_objects)
}

/// The requirement objects of one `security` array.
fn requirement_objects(
    security: Option<&Value>,
) -> impl Iterator<Item = &serde_json::Map<String, Value>> {
    security
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
}

/// Appends the names not in `names` yet.
fn push_new<'a>(names: &mut Vec<String>, new: impl IntoIterator<Item = &'a String>) {
    for name in new {
        if !names.contains(name) {
            names.push(name.clone());
        }
    }
}

/// The schemes that requirements name together with `name` (all of them are needed at once,
/// like an API key and a user id in two headers), in a note: only `name` is applied.
fn note_together(spec: &Value, name: &str, notes: &mut Vec<String>) {
    let mut together: Vec<String> = Vec::new();
    for names in requirements(spec).filter(|names| names.contains_key(name)) {
        push_new(&mut together, names.keys().filter(|k| *k != name));
    }
    if !together.is_empty() {
        notes.push(format!(
            "the spec requires security scheme `{name}` together with {}; an integration applies one credential, so only `{name}` is sent",
            together
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
}

/// The operations that need a security scheme other than `name` (their requirements do not
/// name it), in a note: the chosen auth does not serve them.
fn note_uncovered(requirements: &[(String, Vec<String>)], name: &str, notes: &mut Vec<String>) {
    let total = requirements.iter().filter(|(_, r)| !r.is_empty()).count();
    let uncovered: Vec<&str> = requirements
        .iter()
        .filter(|(_, r)| !r.is_empty() && !r.iter().any(|s| s == name))
        .map(|(op, _)| op.as_str())
        .collect();
    if uncovered.is_empty() {
        return;
    }
    let shown: Vec<&str> = uncovered.iter().take(10).copied().collect();
    notes.push(format!(
        "security scheme `{name}` serves {} of the {total} operations that need credentials; these need another scheme: {}{}",
        total - uncovered.len(),
        shown.join(", "),
        if uncovered.len() > shown.len() {
            format!(" and {} more", uncovered.len() - shown.len())
        } else {
            String::new()
        }
    ));
}

/// Every operation (`METHOD /path`) with the scheme names its security requirements use (its
/// own `security`, else the document's); empty for `security: []` and no requirement.
fn operation_requirements(spec: &Value) -> Vec<(String, Vec<String>)> {
    let global = spec.get("security");
    let mut out = Vec::new();
    for (path, item) in spec
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        for (method, op) in item.as_object().into_iter().flatten() {
            if !matches!(
                method.as_str(),
                "get" | "put" | "post" | "delete" | "options" | "head" | "patch"
            ) {
                continue;
            }
            let mut names: Vec<String> = Vec::new();
            for requirement in requirement_objects(op.get("security").or(global)) {
                push_new(&mut names, requirement.keys());
            }
            out.push((format!("{} {path}", method.to_ascii_uppercase()), names));
        }
    }
    out
}

/// The auth of the supported scheme that serves the most operations (ties: the document's
/// requirement first, then the operations', then the declared order); `chosen` names it.
fn pick_auth(
    spec: &Value,
    operations: &[(String, Vec<String>)],
    resolver: &mut Resolver<'_>,
    notes: &mut Vec<String>,
    chosen: &mut Option<String>,
) -> (Auth, String) {
    let Some(schemes) = spec
        .pointer("/components/securitySchemes")
        .and_then(Value::as_object)
    else {
        return (
            Auth::None,
            "none (the spec declares no security schemes)".into(),
        );
    };
    // Candidates: the global requirement first, then the operations', then every scheme.
    let mut order: Vec<String> = Vec::new();
    for requirement in requirements(spec) {
        push_new(&mut order, requirement.keys());
    }
    push_new(&mut order, schemes.keys());
    // Most operations served first (a stable sort keeps the order above for ties).
    let served = |name: &str| {
        operations
            .iter()
            .filter(|(_, names)| names.iter().any(|n| n == name))
            .count()
    };
    order.sort_by_cached_key(|name| std::cmp::Reverse(served(name)));
    for name in order {
        let Some(scheme) = schemes
            .get(&name)
            .and_then(|s| resolver.deref(s, &format!("/components/securitySchemes/{name}")))
        else {
            continue;
        };
        let kind = scheme.get("type").and_then(Value::as_str).unwrap_or("");
        match kind {
            "apiKey" => {
                let header = scheme.get("name").and_then(Value::as_str).unwrap_or("");
                let location = match scheme.get("in").and_then(Value::as_str) {
                    Some("query") => ApiKeyLocation::Query,
                    Some("cookie") => ApiKeyLocation::Cookie,
                    _ => ApiKeyLocation::Header,
                };
                if header.is_empty() {
                    notes.push(format!("security scheme `{name}` (apiKey) has no `name`; skipped"));
                    continue;
                }
                if !plugboard_definition::is_token(header) {
                    notes.push(format!(
                        "security scheme `{name}` (apiKey): `{header}` is not a valid header, query parameter or cookie name (letters, digits and ``!#$%&'*+.^_`|~-``, no spaces); skipped: set the auth yourself"
                    ));
                    continue;
                }
                let place = match location {
                    ApiKeyLocation::Header => "header",
                    ApiKeyLocation::Query => "query parameter",
                    ApiKeyLocation::Cookie => "cookie",
                };
                *chosen = Some(name.clone());
                return (
                    Auth::ApiKey {
                        api_key_header_name: header.to_string(),
                        api_key_preamble: String::new(),
                        location,
                    },
                    format!("api_key in {place} `{header}` (security scheme `{name}`)"),
                );
            }
            "http" => {
                let http = scheme
                    .get("scheme")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_ascii_lowercase();
                match http.as_str() {
                    "basic" => {
                        *chosen = Some(name.clone());
                        return (Auth::Basic, format!("basic (security scheme `{name}`)"));
                    }
                    "bearer" => {
                        *chosen = Some(name.clone());
                        return (bearer(), format!("api_key sent as `Authorization: Bearer <key>` (security scheme `{name}`, HTTP bearer)"));
                    }
                    other => notes.push(format!(
                        "security scheme `{name}` uses HTTP `{other}` authentication, which Plugboard does not support; skipped"
                    )),
                }
            }
            "oauth2" => {
                let scopes = required_scopes(spec, &name);
                if let Some((oauth, why)) = oauth_from_flows(spec, scheme, &name, &scopes, notes) {
                    *chosen = Some(name.clone());
                    return (Auth::OAuth2(Box::new(oauth)), why);
                }
                let described = describe_oauth(scheme, kind);
                notes.push(format!(
                    "the spec uses {described} (security scheme `{name}`), with no authorization code or client credentials flow Plugboard can run (implicit and password flows are not supported): with it, each installation gives an access token it obtained from the provider as the `api_key` credential, sent as `Authorization: Bearer <token>`; use `--auth oauth2` if the provider also offers authorization code or client credentials"
                ));
                // A token the user obtains stands in; it competes on the operations served.
                *chosen = Some(name.clone());
                return (
                    bearer(),
                    format!("api_key sent as `Authorization: Bearer <token>` (stand-in for OAuth 2.0 scheme `{name}`)"),
                );
            }
            "openIdConnect" => {
                let described = describe_oauth(scheme, kind);
                notes.push(format!(
                    "the spec uses {described} (security scheme `{name}`); its endpoints are behind a discovery URL: auth is set to a bearer token sent as api_key; set `--auth oauth2 --access-token-url ...` with the provider's endpoints"
                ));
                *chosen = Some(name.clone());
                return (
                    bearer(),
                    format!("api_key sent as `Authorization: Bearer <token>` (stand-in for OpenID Connect scheme `{name}`)"),
                );
            }
            other => notes.push(format!(
                "security scheme `{name}` has type `{other}`, which Plugboard does not support; skipped"
            )),
        }
    }
    (Auth::None, "none (no supported security scheme)".into())
}

/// The scopes that the spec's security requirements ask of scheme `name` (global and
/// per operation), in order of first use.
fn required_scopes(spec: &Value, name: &str) -> Vec<String> {
    let mut scopes: Vec<String> = Vec::new();
    for requirement in requirements(spec) {
        for scope in requirement
            .get(name)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !scopes.iter().any(|s| s == scope) {
                scopes.push(scope.to_string());
            }
        }
    }
    scopes
}

/// OAuth 2.0 settings from a scheme's flows: the authorization code flow when there is one,
/// else client credentials; the scopes the requirements ask for.
fn oauth_from_flows(
    spec: &Value,
    scheme: &Value,
    name: &str,
    scopes: &[String],
    notes: &mut Vec<String>,
) -> Option<(OAuth2, String)> {
    let flows = scheme.get("flows")?;
    // OpenAPI allows URLs relative to the (first) server.
    let base = spec
        .pointer("/servers/0/url")
        .and_then(Value::as_str)
        .and_then(|u| url::Url::parse(u).ok());
    let url = |flow: &Value, key: &str| {
        let text = flow.get(key).and_then(Value::as_str)?;
        let absolute = match url::Url::parse(text) {
            Ok(url) => url,
            Err(url::ParseError::RelativeUrlWithoutBase) => base.as_ref()?.join(text).ok()?,
            Err(_) => return None,
        };
        // Only what the definition accepts (https; plain http only for loopback hosts).
        let absolute = absolute.to_string();
        plugboard_definition::oauth_url_problem(&absolute)
            .is_none()
            .then_some(absolute)
    };
    let mut oauth = if let Some(flow) = flows.get("authorizationCode")
        && let (Some(authorize), Some(token)) =
            (url(flow, "authorizationUrl"), url(flow, "tokenUrl"))
    {
        let mut oauth = OAuth2::new(OAuthGrantType::AuthorizationCode, token);
        oauth.authorization_code_url = Some(authorize);
        oauth
    } else if let Some(flow) = flows.get("clientCredentials")
        && let Some(token) = url(flow, "tokenUrl")
    {
        OAuth2::new(OAuthGrantType::ClientCredentials, token)
    } else {
        return None;
    };
    oauth.scope = scopes.join(" ");
    let grant = match oauth.grant_type {
        OAuthGrantType::AuthorizationCode => "authorization code",
        OAuthGrantType::ClientCredentials => "client credentials",
    };
    let scope_note = if scopes.is_empty() {
        "no scopes".to_string()
    } else {
        format!("scopes {}", scopes.join(" "))
    };
    if flows.get("authorizationCode").is_some() && flows.get("clientCredentials").is_some() {
        notes.push(format!(
            "security scheme `{name}` offers authorization code and client credentials; chose authorization code (`--oauth-grant-type client-credentials` for the other)"
        ));
    }
    Some((
        oauth,
        format!("OAuth 2.0 {grant} (security scheme `{name}`, {scope_note})"),
    ))
}

fn bearer() -> Auth {
    Auth::ApiKey {
        api_key_header_name: "Authorization".into(),
        api_key_preamble: "Bearer".into(),
        location: ApiKeyLocation::Header,
    }
}

/// `OAuth 2.0 client credentials (token URL ..., scopes a, b)`.
fn describe_oauth(scheme: &Value, kind: &str) -> String {
    if kind == "openIdConnect" {
        let url = scheme
            .get("openIdConnectUrl")
            .and_then(Value::as_str)
            .unwrap_or("?");
        return format!("OpenID Connect (discovery URL {url})");
    }
    let mut parts = Vec::new();
    for (flow, details) in scheme
        .get("flows")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let grant = match flow.as_str() {
            "clientCredentials" => "client credentials",
            "authorizationCode" => "authorization code",
            "implicit" => "implicit",
            "password" => "password",
            other => other,
        };
        let mut facts = Vec::new();
        for (key, label) in [
            ("authorizationUrl", "authorization URL"),
            ("tokenUrl", "token URL"),
            ("refreshUrl", "refresh URL"),
        ] {
            if let Some(url) = details.get(key).and_then(Value::as_str) {
                facts.push(format!("{label} {url}"));
            }
        }
        let scopes: Vec<&str> = details
            .get("scopes")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(s, _)| s.as_str())
            .collect();
        if !scopes.is_empty() {
            facts.push(format!("scopes {}", scopes.join(", ")));
        }
        parts.push(format!("{grant} ({})", facts.join("; ")));
    }
    if parts.is_empty() {
        "OAuth 2.0".into()
    } else {
        format!("OAuth 2.0 {}", parts.join(", "))
    }
}
