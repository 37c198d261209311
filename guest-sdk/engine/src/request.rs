//! Turning an action record and a JSON input into HTTP requests, and responses into JSON.

use std::borrow::Cow;

use base64::Engine as _;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Map, Value};
use url::Url;

use crate::table::{ActionRecord, Meta, ParamLocation};
use crate::{Failure, HttpRequest, HttpResponse};

/// Input key carrying the request body.
pub const BODY_KEY: &str = "body";

/// Bytes of a response body kept in an upstream error.
pub const EXCERPT_BYTES: usize = 512;

/// RFC 3986 unreserved characters stay; everything else in a path value is encoded (so `/`
/// inside a value cannot change the path).
const PATH_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A request ready to send, before pagination parameters are added.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// Upper-case method.
    pub method: String,
    /// URL with path and query parameters from the input, as text: the host parses it (and
    /// refuses one that does not parse), so the engine parses it only to change its query.
    pub url: String,
    /// Headers from the definition and the input.
    pub headers: Vec<(String, String)>,
    /// Body bytes, in the action's media type.
    pub body: Option<Vec<u8>>,
    /// Path template, for messages (never contains credentials).
    pub display_path: String,
    /// Input values of query parameters, by name (pagination reads a page size from here).
    pub query_inputs: Map<String, Value>,
}

impl Prepared {
    /// The request with `extra` query parameters set (replacing same-named ones).
    pub fn to_request(&self, extra: &[(&str, String)]) -> Result<HttpRequest, Failure> {
        if extra.is_empty() {
            return Ok(self.request_for(&self.url));
        }
        let mut url = self.parsed_url()?;
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| !extra.iter().any(|(name, _)| name == k))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        url.query_pairs_mut()
            .clear()
            .extend_pairs(&kept)
            .extend_pairs(extra.iter().map(|(k, v)| (*k, v)));
        if url.query() == Some("") {
            url.set_query(None);
        }
        Ok(self.request_for(url.as_str()))
    }

    /// The URL, parsed.
    pub fn parsed_url(&self) -> Result<Url, Failure> {
        parse_url(&self.url)
    }

    /// The request as it is (no query parameters added), without copying it: for an action
    /// that is not paginated, which sends one request.
    pub fn into_request(self) -> HttpRequest {
        HttpRequest {
            method: self.method,
            url: self.url,
            headers: self.headers,
            body: self.body,
        }
    }

    /// The same request sent to another URL (a next link).
    pub fn request_for(&self, url: &str) -> HttpRequest {
        HttpRequest {
            method: self.method.clone(),
            url: url.to_string(),
            headers: self.headers.clone(),
            body: self.body.clone(),
        }
    }
}

/// `template` with each `{name}` of `values` replaced by its (encoded) value, in one pass;
/// placeholders without a value stay as they are. Encoded values hold no braces, so a value
/// never makes a placeholder.
fn fill_path(template: &str, values: &[(&str, String)]) -> String {
    let mut path = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        path.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let filled = values.iter().find_map(|(name, value)| {
            let tail = after.strip_prefix(name)?.strip_prefix('}')?;
            Some((value, tail))
        });
        match filled {
            Some((value, tail)) => {
                path.push_str(value);
                rest = tail;
            }
            None => {
                path.push('{');
                rest = after;
            }
        }
    }
    path.push_str(rest);
    path
}

/// Refuses path parameter values that make a `.` or `..` segment: URL parsers remove such
/// segments (and the one before `..`), so the request would reach another path, even above the
/// base path. Values cannot hold `/` (it is encoded), so the template and the path have the same
/// segments, and a dot segment the template does not have came from a value.
fn refuse_dot_segments(template: &str, path: &str) -> Result<(), Failure> {
    for (written, filled) in template.split('/').zip(path.split('/')) {
        if matches!(filled, "." | "..") && written != filled {
            return Err(Failure::invalid_input(format!(
                "path parameter values make the path segment `{filled}` (from `{written}`), which would change the path"
            )));
        }
    }
    Ok(())
}

/// Validates the input against the action and builds the request.
pub fn prepare(meta: &Meta, record: &ActionRecord, input: &Value) -> Result<Prepared, Failure> {
    let Value::Object(input) = input else {
        return Err(Failure::invalid_input(format!(
            "the input must be a JSON object, got {}",
            kind(input)
        )));
    };
    let inputs = || record.params.iter().filter(|p| p.value.is_none());
    for key in input.keys() {
        let known = inputs().any(|p| &p.name == key) || (key == BODY_KEY && record.body.is_some());
        if !known {
            if let Some(fixed) = record.params.iter().find(|p| &p.name == key) {
                return Err(Failure::invalid_input(format!(
                    "input key `{key}`: this action always sends `{key}` as `{}`; leave it out",
                    fixed.value.as_deref().unwrap_or_default()
                )));
            }
            let mut allowed: Vec<&str> = inputs().map(|p| p.name.as_str()).collect();
            if record.body.is_some() {
                allowed.push(BODY_KEY);
            }
            return Err(Failure::invalid_input(format!(
                "unknown input key `{key}`; this action takes: {}",
                if allowed.is_empty() {
                    "nothing".to_string()
                } else {
                    allowed.join(", ")
                }
            )));
        }
    }
    let missing: Vec<&str> = inputs()
        .filter(|p| {
            (p.required || p.location == ParamLocation::Path) && is_absent(input.get(&p.name))
        })
        .map(|p| p.name.as_str())
        .chain((record.body == Some(true) && is_absent(input.get(BODY_KEY))).then_some(BODY_KEY))
        .collect();
    if !missing.is_empty() {
        return Err(Failure::invalid_input(format!(
            "missing required input: {}",
            missing.join(", ")
        )));
    }

    let mut path_values: Vec<(&str, String)> = Vec::new();
    let mut query = Vec::new();
    let mut query_inputs = Map::new();
    let accept = record.accept.as_deref().unwrap_or("application/json");
    let mut headers = vec![("accept".to_string(), accept.to_string())];
    headers.extend(meta.extra_request_headers.iter().cloned());
    for param in &record.params {
        let fixed = param.value.clone().map(Value::String);
        let Some(value) = fixed
            .as_ref()
            .or_else(|| input.get(&param.name).filter(|v| !v.is_null()))
        else {
            continue;
        };
        if fixed.is_none() {
            check_type(&param.name, &param.types, value)?;
        }
        // Arrays and objects are written in the parameter's style where its schema says it
        // takes them (arrays always repeat in the query); otherwise they are refused.
        let declares = |kind: &str| param.types.iter().any(|t| t == kind);
        let structured = match value {
            Value::Array(_) => declares("array") || param.location == ParamLocation::Query,
            Value::Object(_) => declares("object"),
            _ => true,
        };
        if !structured {
            scalar(&param.name, value)?;
        }
        match param.location {
            ParamLocation::Path => {
                let text = simple(&param.name, value, param.explode == Some(true))?;
                if text.is_empty() {
                    return Err(Failure::invalid_input(format!(
                        "path parameter `{}` is empty; an empty segment would change the path",
                        param.name
                    )));
                }
                let encoded: Cow<str> = utf8_percent_encode(&text, PATH_VALUE).into();
                path_values.push((&param.name, encoded.into_owned()));
            }
            ParamLocation::Query => {
                query_inputs.insert(param.name.clone(), value.clone());
                query_pairs(param, value, &mut query)?;
            }
            ParamLocation::Header => {
                let text = simple(&param.name, value, param.explode == Some(true))?;
                if text.contains(['\r', '\n']) {
                    return Err(Failure::invalid_input(format!(
                        "header `{}` must be one line",
                        param.name
                    )));
                }
                let name = param.name.to_ascii_lowercase();
                // A parameter named like a header the engine sets replaces it.
                headers.retain(|(existing, _)| *existing != name);
                headers.push((name, text));
            }
        }
    }
    let path = fill_path(&record.path, &path_values);
    refuse_dot_segments(&record.path, &path)?;
    let url = [
        meta.scheme.as_str(),
        "://",
        &meta.hostname,
        &meta.base_path,
        &path,
    ]
    .concat();
    let url = with_query(url, &query)?;
    let body = match input.get(BODY_KEY) {
        Some(body) if record.body.is_some() && !body.is_null() => {
            let (content_type, bytes) = crate::body::encode(record.body_media.as_deref(), body)?;
            headers.retain(|(name, _)| name != "content-type");
            headers.push(("content-type".into(), content_type));
            Some(bytes)
        }
        _ => None,
    };
    Ok(Prepared {
        method: record.method.clone(),
        url,
        headers,
        body,
        display_path: record.path.clone(),
        query_inputs,
    })
}

/// `url` (a URL's text) with `query` pairs added, form-encoded as `Url::query_pairs_mut` adds
/// them. Without a `?` or `#` in it, the pairs are appended to the text (the host parses the
/// URL anyway); otherwise the URL is parsed so they land in its query, before any fragment.
fn with_query(mut url: String, query: &[(String, String)]) -> Result<String, Failure> {
    if query.is_empty() {
        return Ok(url);
    }
    if url.contains(['?', '#']) {
        let mut parsed = parse_url(&url)?;
        parsed.query_pairs_mut().extend_pairs(query);
        return Ok(parsed.into());
    }
    url.push('?');
    let start = url.len();
    Ok(url::form_urlencoded::Serializer::for_suffix(url, start)
        .extend_pairs(query)
        .finish())
}

/// `text` parsed as a URL; a URL the engine built that does not parse is its own fault.
fn parse_url(text: &str) -> Result<Url, Failure> {
    Url::parse(text)
        .map_err(|e| Failure::internal(format!("cannot build a URL from `{text}`: {e}")))
}

/// Checks a parameter value against its schema's types. Text that reads as the declared
/// scalar type (`"5"` for an integer) is accepted: it is sent as text either way.
fn check_type(name: &str, types: &[String], value: &Value) -> Result<(), Failure> {
    if types.is_empty() {
        return Ok(());
    }
    let fits = |ty: &str| match (ty, value) {
        ("string", Value::String(_)) | ("boolean", Value::Bool(_)) | ("array", Value::Array(_)) => {
            true
        }
        ("object", Value::Object(_)) | ("number", Value::Number(_)) => true,
        ("integer", Value::Number(n)) => {
            n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
        }
        ("integer", Value::String(s)) => s.trim().parse::<i128>().is_ok(),
        ("number", Value::String(s)) => s.trim().parse::<f64>().is_ok_and(f64::is_finite),
        ("boolean", Value::String(s)) => matches!(s.as_str(), "true" | "false"),
        // A single value for an array parameter is sent as one repetition.
        ("array", Value::String(_) | Value::Number(_) | Value::Bool(_)) => true,
        _ => false,
    };
    if types.iter().any(|ty| fits(ty)) {
        return Ok(());
    }
    let shown = value.to_string();
    let shown = if shown.chars().count() > 60 {
        format!("{}...", shown.chars().take(60).collect::<String>())
    } else {
        shown
    };
    Err(Failure::invalid_input(format!(
        "`{name}` must be {}, got {shown}",
        types.join(" or ")
    )))
}

fn is_absent(value: Option<&Value>) -> bool {
    value.is_none_or(Value::is_null)
}

/// A path or header value in OpenAPI's `simple` style: arrays as `a,b`; objects as `k,v,k2,v2`
/// (`k=v,k2=v2` exploded).
fn simple(name: &str, value: &Value, explode: bool) -> Result<String, Failure> {
    match value {
        Value::Array(items) => Ok(items
            .iter()
            .filter(|item| !item.is_null())
            .map(|item| scalar(name, item))
            .collect::<Result<Vec<_>, _>>()?
            .join(",")),
        Value::Object(map) => {
            let mut parts = Vec::with_capacity(map.len() * 2);
            for (key, item) in map.iter().filter(|(_, item)| !item.is_null()) {
                let text = scalar(name, item)?;
                if explode {
                    parts.push(format!("{key}={text}"));
                } else {
                    parts.push(key.clone());
                    parts.push(text);
                }
            }
            Ok(parts.join(","))
        }
        other => scalar(name, other),
    }
}

/// A query parameter's pairs in its style: arrays repeated (`form`, exploded: the default) or
/// joined (`,`, space or `|`); objects as `key=value` pairs (`form`, exploded), `name=k,v`
/// (`form`), or `name[key]=value` (`deepObject`).
fn query_pairs(
    param: &crate::table::ParamRecord,
    value: &Value,
    query: &mut Vec<(String, String)>,
) -> Result<(), Failure> {
    let name = &param.name;
    let style = param.style.as_deref().unwrap_or("form");
    let explode = param.explode.unwrap_or(style == "form");
    match value {
        Value::Array(items) => {
            let texts = items
                .iter()
                .filter(|item| !item.is_null())
                .map(|item| scalar(name, item))
                .collect::<Result<Vec<_>, _>>()?;
            if explode {
                query.extend(texts.into_iter().map(|text| (name.clone(), text)));
            } else {
                let separator = match style {
                    "spaceDelimited" => " ",
                    "pipeDelimited" => "|",
                    _ => ",",
                };
                query.push((name.clone(), texts.join(separator)));
            }
        }
        Value::Object(map) if style == "deepObject" => {
            for (key, item) in map.iter().filter(|(_, item)| !item.is_null()) {
                query.push((format!("{name}[{key}]"), scalar(name, item)?));
            }
        }
        Value::Object(map) if explode => {
            for (key, item) in map.iter().filter(|(_, item)| !item.is_null()) {
                query.push((key.clone(), scalar(name, item)?));
            }
        }
        Value::Object(_) => query.push((name.clone(), simple(name, value, false)?)),
        other => query.push((name.clone(), scalar(name, other)?)),
    }
    Ok(())
}

/// A parameter value as text: strings as they are, numbers and booleans printed.
fn scalar(name: &str, value: &Value) -> Result<String, Failure> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        other => Err(Failure::invalid_input(format!(
            "`{name}` must be a string, number or boolean, got {}",
            kind(other)
        ))),
    }
}

/// JSON type name, for messages.
pub use plugboard_manifest::rules::json_kind as kind;

/// Fails with `upstream-status` unless the status is 2xx.
pub fn check_status(method: &str, path: &str, response: &HttpResponse) -> Result<(), Failure> {
    if (200..300).contains(&response.status) {
        return Ok(());
    }
    let end = floor_char_boundary(&response.body, EXCERPT_BYTES);
    let body_excerpt = String::from_utf8_lossy(&response.body[..end]).into_owned();
    let hint = match response.status {
        401 => "; the API rejected the credentials (check the installation's credentials)",
        403 => "; the credentials are not allowed to do this",
        404 => "; check the hostname, base path and path parameters",
        429 => "; the API is rate limiting",
        300..=399 => "; redirects to another origin are not followed",
        _ => "",
    };
    // The host says how often it tried and why it stopped.
    let mut retries = String::new();
    if let Some(attempts) = response.header("x-plugboard-attempts") {
        retries.push_str(&format!("; {attempts} attempts"));
    }
    if let Some(why) = response.header("x-plugboard-gave-up") {
        retries.push_str(&format!("; {why}"));
    }
    Err(Failure::UpstreamStatus {
        status: response.status,
        body_excerpt,
        message: format!(
            "{method} {path} returned status {}{hint}{retries}",
            response.status
        ),
    })
}

/// Largest index `<= max` that does not split a UTF-8 sequence (keeps excerpts readable).
fn floor_char_boundary(bytes: &[u8], max: usize) -> usize {
    let mut end = max.min(bytes.len());
    while end > 0 && end < bytes.len() && (bytes[end] & 0xC0) == 0x80 {
        end -= 1;
    }
    end
}

/// The body of a non-paginated response as JSON text: JSON as it came (checked, not parsed
/// into a tree and written again); an empty body as `null`; UTF-8 text as a string; other
/// bytes as `{"content_type": ..., "base64": ...}`. A body that claims to be JSON
/// (`application/json`, `...+json`) but is not is an error, not text.
pub fn body_to_json(response: HttpResponse) -> Result<String, Failure> {
    let HttpResponse { headers, body, .. } = response;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok("null".to_string());
    }
    let content_type = crate::header_in(&headers, "content-type");
    let essence = content_type
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim();
    let claims_json =
        essence.eq_ignore_ascii_case("application/json") || essence.ends_with("+json");
    // The body moves into the output: JSON that checks out is not copied.
    let error = match String::from_utf8(body) {
        Ok(text) => match plugboard_manifest::json::check(text.as_bytes()) {
            Ok(()) => return Ok(text),
            Err(error) if claims_json => error.to_string(),
            Err(_) => return Ok(Value::String(text).to_string()),
        },
        Err(error) if claims_json => error.utf8_error().to_string(),
        Err(error) => {
            return Ok(serde_json::json!({
                "content_type": content_type,
                "base64": base64::engine::general_purpose::STANDARD.encode(error.as_bytes()),
            })
            .to_string());
        }
    };
    Err(Failure::internal(format!(
        "the upstream answered `{essence}` that is not valid JSON: {error}"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::{PaginationConfig, PaginationStyle, ParamRecord};
    use plugboard_manifest::Scheme;
    use serde_json::json;

    #[test]
    fn one_pass_fills_the_path_as_replacing_each_placeholder_in_turn_does() {
        let values = [("id", "1".to_string()), ("idx", "2%2F".to_string())];
        for template in [
            "/users/{id}",
            "/a/{id}/b/{id}",
            "/{idx}/{id}",
            "/{id}{idx}",
            "/{{id}}",
            "/{other}/{id}",
            "/{id",
            "/id}/{",
            "/plain",
            "",
        ] {
            let mut replaced = template.to_string();
            for (name, value) in &values {
                replaced = replaced.replace(&format!("{{{name}}}"), value);
            }
            assert_eq!(fill_path(template, &values), replaced, "{template}");
        }
    }

    #[test]
    fn a_query_added_to_the_text_parses_as_the_url_crate_adds_it() {
        let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
            list.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        for (url, query) in [
            ("http://api.test:8080/v1/items", pairs(&[("a", "1")])),
            (
                "https://API.test:443/v1/a b/é",
                pairs(&[("q", "x y&z=1#f"), ("é", "ü/?"), ("", "")]),
            ),
            ("https://api.test/search?kind=all", pairs(&[("q", "1")])),
            ("https://api.test/p#frag", pairs(&[("q", "1")])),
            ("https://api.test/p", pairs(&[])),
        ] {
            let text = with_query(url.to_string(), &query).unwrap();
            let mut expected = Url::parse(url).unwrap();
            if !query.is_empty() {
                expected.query_pairs_mut().extend_pairs(&query);
            }
            // What the host does with the text: parse it.
            assert_eq!(Url::parse(&text).unwrap(), expected, "{url} {query:?}");
        }
    }

    pub(crate) fn meta() -> Meta {
        Meta {
            hostname: "api.test:8080".into(),
            base_path: "/v1".into(),
            scheme: Scheme::Http,
            pagination: PaginationConfig {
                style: PaginationStyle::None,
                results_key: String::new(),
                page_size_param: String::new(),
                page_size: 10,
                page_limit: 5,
            },
            extra_request_headers: vec![("x-extra".into(), "1".into())],
        }
    }

    fn record() -> ActionRecord {
        let p = |name: &str, location, required| ParamRecord {
            name: name.into(),
            location,
            required,
            types: if name == "file" {
                vec!["integer".into(), "string".into()]
            } else {
                vec![]
            },
            value: None,
            style: None,
            explode: None,
        };
        ActionRecord {
            body_media: None,
            accept: None,
            method: "POST".into(),
            path: "/users/{id}/files/{file}".into(),
            params: vec![
                p("id", ParamLocation::Path, true),
                p("file", ParamLocation::Path, true),
                p("tag", ParamLocation::Query, false),
                p("x-trace", ParamLocation::Header, false),
            ],
            body: Some(false),
            paginated: false,
            pagination: None,
        }
    }

    #[test]
    fn builds_path_query_headers_and_body() {
        let input = json!({"id": "a b/c", "file": 7, "tag": ["x&y", "z"], "x-trace": "t1", "body": {"k": 1}});
        let prepared = prepare(&meta(), &record(), &input).unwrap();
        let request = prepared.to_request(&[("page", "2".into())]).unwrap();
        assert_eq!(
            request.url,
            "http://api.test:8080/v1/users/a%20b%2Fc/files/7?tag=x%26y&tag=z&page=2"
        );
        assert!(request.headers.contains(&("x-trace".into(), "t1".into())));
        assert!(request.headers.contains(&("x-extra".into(), "1".into())));
        assert_eq!(request.body.as_deref(), Some(&br#"{"k":1}"#[..]));
    }

    #[test]
    fn fixed_values_are_always_sent_and_are_not_inputs() {
        let mut record = record();
        let fixed = |name: &str, location, value: &str| ParamRecord {
            name: name.into(),
            location,
            required: true,
            types: vec![],
            value: Some(value.into()),
            style: None,
            explode: None,
        };
        record.params.push(fixed(
            "Action",
            ParamLocation::Query,
            "Describe Things&More",
        ));
        record
            .params
            .push(fixed("X-Amz-Target", ParamLocation::Header, "Svc.Op"));
        let prepared = prepare(&meta(), &record, &json!({"id": "a", "file": 1})).unwrap();
        let request = prepared.to_request(&[]).unwrap();
        assert_eq!(
            request.url,
            "http://api.test:8080/v1/users/a/files/1?Action=Describe+Things%26More"
        );
        assert!(
            request
                .headers
                .contains(&("x-amz-target".into(), "Svc.Op".into()))
        );
        let err = prepare(
            &meta(),
            &record,
            &json!({"id": "a", "file": 1, "Action": "Other"}),
        )
        .unwrap_err();
        assert!(
            matches!(&err, Failure::InvalidInput { message } if message.contains("always sends `Action` as `Describe Things&More`")),
            "{err:?}"
        );
    }

    #[test]
    fn styles_write_arrays_and_objects() {
        let param =
            |name: &str, location, style: Option<&str>, explode: Option<bool>| ParamRecord {
                name: name.into(),
                location,
                required: false,
                types: vec![],
                value: None,
                style: style.map(Into::into),
                explode,
            };
        let param =
            |name: &str, location, style: Option<&str>, explode: Option<bool>| ParamRecord {
                types: vec!["array".into(), "object".into()],
                ..param(name, location, style, explode)
            };
        let record = ActionRecord {
            method: "GET".into(),
            path: "/codes/{codes}".into(),
            params: vec![
                param("codes", ParamLocation::Path, None, None),
                param("filter", ParamLocation::Query, Some("deepObject"), None),
                param("point", ParamLocation::Query, None, None),
                param("ids", ParamLocation::Query, None, Some(false)),
                param(
                    "tags",
                    ParamLocation::Query,
                    Some("pipeDelimited"),
                    Some(false),
                ),
                param("X-Ids", ParamLocation::Header, None, None),
            ],
            body: None,
            body_media: None,
            accept: None,
            paginated: false,
            pagination: None,
        };
        let input = json!({"codes": ["TP", "TB"], "filter": {"gte": 5, "name": "a b"},
            "point": {"lat": 1.5, "lon": 2, "alt": null}, "ids": [1, null, 2], "tags": ["x", "y"], "X-Ids": [7, 8]});
        let request = prepare(&meta(), &record, &input)
            .unwrap()
            .to_request(&[])
            .unwrap();
        assert_eq!(
            request.url,
            "http://api.test:8080/v1/codes/TP%2CTB?filter%5Bgte%5D=5&filter%5Bname%5D=a+b&lat=1.5&lon=2&ids=1%2C2&tags=x%7Cy"
        );
        assert!(request.headers.contains(&("x-ids".into(), "7,8".into())));
    }

    #[test]
    fn dot_values_never_change_the_path() {
        for dots in [".", ".."] {
            let err = prepare(&meta(), &record(), &json!({"id": dots, "file": 1})).unwrap_err();
            assert!(
                matches!(&err, Failure::InvalidInput { message } if message.contains("change the path")),
                "{dots}: {err:?}"
            );
        }
        let prepared = prepare(&meta(), &record(), &json!({"id": "...", "file": ".x"})).unwrap();
        assert_eq!(
            prepared.to_request(&[]).unwrap().url,
            "http://api.test:8080/v1/users/.../files/.x"
        );
    }

    #[test]
    fn input_errors_name_the_key() {
        let err = prepare(&meta(), &record(), &json!({"id": 1})).unwrap_err();
        assert_eq!(err, Failure::invalid_input("missing required input: file"));
        let err = prepare(&meta(), &record(), &json!({"id": 1, "file": 2, "nope": 1})).unwrap_err();
        assert!(
            matches!(err, Failure::InvalidInput { message: m } if m.contains("`nope`") && m.contains("tag"))
        );
        let err = prepare(&meta(), &record(), &json!({"id": {}, "file": 2})).unwrap_err();
        assert!(matches!(err, Failure::InvalidInput { message: m } if m.contains("`id`")));
        let err = prepare(&meta(), &record(), &json!([1])).unwrap_err();
        assert!(matches!(err, Failure::InvalidInput { message: m } if m.contains("object")));
    }

    #[test]
    fn parameter_types_are_checked_with_text_coercion() {
        let types = |t: &[&str]| t.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(check_type("n", &types(&["integer"]), &json!(5)).is_ok());
        assert!(check_type("n", &types(&["integer"]), &json!("5")).is_ok());
        assert!(check_type("n", &types(&["integer"]), &json!(5.0)).is_ok());
        let err = check_type("n", &types(&["integer"]), &json!("abc")).unwrap_err();
        assert_eq!(
            err,
            Failure::invalid_input("`n` must be integer, got \"abc\"")
        );
        assert!(check_type("n", &types(&["integer"]), &json!(5.5)).is_err());
        assert!(check_type("b", &types(&["boolean"]), &json!("true")).is_ok());
        assert!(check_type("b", &types(&["boolean"]), &json!("yes")).is_err());
        assert!(check_type("s", &types(&["string"]), &json!(1)).is_err());
        assert!(check_type("a", &types(&["array"]), &json!(["x"])).is_ok());
        assert!(check_type("any", &[], &json!({"x": 1})).is_ok());
    }

    /// A 200 response with `body` and a `content-type` of `ct`.
    fn ok_response(body: &[u8], ct: &str) -> HttpResponse {
        HttpResponse {
            status: 200,
            headers: vec![("content-type".into(), ct.into())],
            body: body.to_vec(),
        }
    }

    #[test]
    fn bodies_become_json() {
        let json = |response: HttpResponse| -> Value {
            serde_json::from_str(&body_to_json(response).unwrap()).unwrap()
        };
        assert_eq!(json(ok_response(b"", "")), Value::Null);
        assert_eq!(json(ok_response(b" \n", "application/json")), Value::Null);
        assert!(
            body_to_json(ok_response(
                b"{\"a\": [1",
                "application/json; charset=utf-8"
            ))
            .is_err()
        );
        // JSON passes as it came, spacing and key order included.
        assert_eq!(
            body_to_json(ok_response(
                b"{\"b\": 1, \"a\": [true, null, \"\\u00e9\"]}",
                "application/json"
            ))
            .unwrap(),
            "{\"b\": 1, \"a\": [true, null, \"\\u00e9\"]}"
        );
        assert_eq!(json(ok_response(b"hi", "text/plain")), json!("hi"));
        assert_eq!(
            json(ok_response(&[0xff, 0x00], "application/octet-stream")),
            json!({"content_type": "application/octet-stream", "base64": "/wA="})
        );
    }

    #[test]
    fn only_json_a_value_parse_accepts_passes_as_json() {
        // Each of these is refused by a parse into a value, so it must not pass as JSON: a lone
        // surrogate escape, a bad escape, invalid UTF-8 in a string, a number out of range,
        // nesting past the depth limit, trailing text.
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        for body in [
            &b"\"\\ud800\""[..],
            b"\"\\q\"",
            b"\"\xff\"",
            b"1e400",
            deep.as_bytes(),
            b"{} x",
        ] {
            assert!(serde_json::from_slice::<Value>(body).is_err());
            assert!(
                body_to_json(ok_response(body, "application/json")).is_err(),
                "{body:?}"
            );
            // As text, not as JSON, when the upstream does not claim JSON.
            if let Ok(text) = body_to_json(ok_response(body, "text/plain")) {
                assert!(text.starts_with('"') || text.starts_with('{'), "{text}");
                serde_json::from_str::<Value>(&text).unwrap();
            }
        }
    }

    #[test]
    fn upstream_errors_carry_status_and_excerpt() {
        let response = HttpResponse {
            status: 401,
            headers: vec![],
            body: "é".repeat(400).into_bytes(),
        };
        let Failure::UpstreamStatus {
            status,
            body_excerpt,
            message,
        } = check_status("GET", "/x", &response).unwrap_err()
        else {
            panic!("wrong variant")
        };
        assert_eq!(status, 401);
        assert_eq!(body_excerpt.len(), 512);
        assert!(message.contains("credentials"));
    }
}
