//! Following pages: index, page, link (header or body) and pointer (cursor) pagination, with
//! guards against servers that never stop.
//!
//! A paginated action returns `{"results": [...], "pages": N, "truncated": null | "reason"}`,
//! plus `"warnings": [...]` when something looks wrong (a results key not in the page).
//! It stops without truncation on: no next link or cursor, an empty page, a short page
//! (index/page, when a page size parameter is sent). It stops with a reason on: the page limit
//! with more pages left, a next link or cursor seen before, a page identical to the previous
//! one (its items are not repeated in the output), or a next link to another origin.

use std::collections::HashSet;

use serde_json::{Value, json};
use serde_json_path::JsonPath;
use url::Url;

use crate::request::{Prepared, check_status, kind};
use crate::table::{PaginationConfig, PaginationStyle};
use crate::{Failure, HttpRequest, Transport, link_header};

/// Where the next page comes from.
enum Next {
    Offset(u64),
    Page(u64),
    Link(Url),
    Cursor(Option<String>),
}

/// Fetches every page of a prepared request.
pub fn run(
    config: &PaginationConfig,
    prepared: Prepared,
    transport: &mut dyn Transport,
) -> Result<Value, Failure> {
    let page_size = page_size(config, &prepared)?;
    let size_pair: Vec<(&str, String)> = if config.page_size_param.is_empty() {
        Vec::new()
    } else {
        vec![(config.page_size_param.as_str(), page_size.to_string())]
    };
    let cursor_path = match &config.style {
        PaginationStyle::Pointer { jsonpath, .. } => {
            Some(JsonPath::parse(jsonpath).map_err(|e| {
                Failure::internal(format!("pointer JSONPath `{jsonpath}` is invalid: {e}"))
            })?)
        }
        _ => None,
    };
    let origin = prepared.parsed_url()?.origin();
    let mut next = match &config.style {
        PaginationStyle::Index { .. } => Next::Offset(0),
        PaginationStyle::Page { .. } => Next::Page(1),
        PaginationStyle::Pointer { .. } => Next::Cursor(None),
        PaginationStyle::LinkHeader { .. } | PaginationStyle::LinkBody { .. } => {
            let first = prepared.to_request(&size_pair)?;
            Next::Link(Url::parse(&first.url).map_err(|e| Failure::internal(e.to_string()))?)
        }
        PaginationStyle::None => {
            return Err(Failure::internal(
                "the action is paginated but the integration has no pagination type",
            ));
        }
    };
    let mut results: Vec<Value> = Vec::new();
    let mut previous: Option<Vec<Value>> = None;
    let mut seen: HashSet<String> = HashSet::new();
    let mut pages: u32 = 0;
    let mut warnings: Vec<String> = Vec::new();
    let truncated: Option<String> = loop {
        if pages >= config.page_limit {
            break Some(format!(
                "page limit reached: {} page(s) fetched and more remain",
                config.page_limit
            ));
        }
        let request = build_request(config, &prepared, &next, &size_pair)?;
        let request_url = Url::parse(&request.url)
            .map_err(|e| Failure::internal(format!("bad page URL: {e}")))?;
        let response = transport.send(request)?;
        // Errors name the page's URL (credentials left out), not the path template.
        let shown = format!("{} (page {})", display_url(&request_url), pages + 1);
        check_status(&prepared.method, &shown, &response)?;
        pages += 1;
        let body: Value = serde_json::from_slice(&response.body).map_err(|e| {
            Failure::internal(format!("{} {shown} is not JSON: {e}", prepared.method))
        })?;
        let (items, warning) = extract_results(&body, &config.results_key, pages)?;
        warnings.extend(warning);
        transport.log(&format!(
            "page {pages} of {} {}: {} item(s)",
            prepared.method,
            prepared.display_path,
            items.len()
        ));
        if items.is_empty() {
            break None;
        }
        if previous.as_ref() == Some(&items) {
            break Some(format!(
                "no progress: page {pages} repeats page {} (the server ignores the pagination parameter)",
                pages - 1
            ));
        }
        let count = items.len() as u64;
        results.extend(items.iter().cloned());
        previous = Some(items);
        let short = !size_pair.is_empty() && count < u64::from(page_size);
        next = match (&config.style, next) {
            (PaginationStyle::Index { .. }, Next::Offset(offset)) => {
                if short {
                    break None;
                }
                Next::Offset(offset + count)
            }
            (PaginationStyle::Page { .. }, Next::Page(page)) => {
                if short {
                    break None;
                }
                Next::Page(page + 1)
            }
            (PaginationStyle::LinkHeader { header_name, rel }, _) => {
                let values = response
                    .headers
                    .iter()
                    .filter(|(n, _)| n.eq_ignore_ascii_case(header_name))
                    .map(|(_, v)| v.as_str());
                match link_header::find(values, rel) {
                    None => break None,
                    Some(target) => match follow(&request_url, &target, &origin, &mut seen) {
                        Ok(url) => Next::Link(url),
                        Err(reason) => break Some(reason),
                    },
                }
            }
            (PaginationStyle::LinkBody { next_page_key }, _) => {
                match dotted(&body, next_page_key) {
                    None | Some(Value::Null) => break None,
                    Some(Value::String(s)) if s.trim().is_empty() => break None,
                    Some(Value::String(target)) => {
                        match follow(&request_url, target, &origin, &mut seen) {
                            Ok(url) => Next::Link(url),
                            Err(reason) => break Some(reason),
                        }
                    }
                    Some(other) => {
                        return Err(Failure::internal(format!(
                            "next page key `{next_page_key}` holds {}, not a link",
                            kind(other)
                        )));
                    }
                }
            }
            (PaginationStyle::Pointer { jsonpath, .. }, _) => {
                let cursor = cursor_path
                    .as_ref()
                    .and_then(|path| path.query(&body).first().cloned());
                let cursor = match cursor {
                    None | Some(Value::Null) => break None,
                    Some(Value::String(s)) if s.is_empty() => break None,
                    Some(Value::String(s)) => s,
                    Some(Value::Number(n)) => n.to_string(),
                    Some(other) => {
                        return Err(Failure::internal(format!(
                            "pointer `{jsonpath}` selects {}, not a cursor",
                            kind(&other)
                        )));
                    }
                };
                if !seen.insert(cursor.clone()) {
                    break Some(format!(
                        "no progress: the server repeated cursor `{}`",
                        shorten(&cursor)
                    ));
                }
                Next::Cursor(Some(cursor))
            }
            (_, state) => state,
        };
    };
    if let Some(reason) = &truncated {
        transport.log(&format!("stopped after page {pages}: {reason}"));
    }
    let mut output = json!({"results": results, "pages": pages, "truncated": truncated});
    if !warnings.is_empty() {
        output["warnings"] = json!(warnings);
    }
    Ok(output)
}

/// The page size: the input's value for the page size parameter, else the configured default.
fn page_size(config: &PaginationConfig, prepared: &Prepared) -> Result<u32, Failure> {
    let Some(value) = prepared.query_inputs.get(&config.page_size_param) else {
        return Ok(config.page_size);
    };
    let parsed = match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    };
    match parsed {
        Some(n @ 1..=1000) => Ok(n as u32),
        _ => Err(Failure::invalid_input(format!(
            "`{}` must be a page size of 1..=1000",
            config.page_size_param
        ))),
    }
}

fn build_request(
    config: &PaginationConfig,
    prepared: &Prepared,
    next: &Next,
    size_pair: &[(&str, String)],
) -> Result<HttpRequest, Failure> {
    let mut extra: Vec<(&str, String)> = size_pair.to_vec();
    match (&config.style, next) {
        (PaginationStyle::Index { param }, Next::Offset(offset)) => {
            extra.push((param.as_str(), offset.to_string()));
        }
        (PaginationStyle::Page { param }, Next::Page(page)) => {
            extra.push((param.as_str(), page.to_string()));
        }
        (PaginationStyle::Pointer { after_param, .. }, Next::Cursor(Some(cursor))) => {
            extra.push((after_param.as_str(), cursor.clone()));
        }
        (_, Next::Link(url)) => return Ok(prepared.request_for(url.as_str())),
        _ => {}
    }
    prepared.to_request(&extra)
}

/// Resolves a next link against the request URL; refuses another origin and repeats.
fn follow(
    base: &Url,
    target: &str,
    origin: &url::Origin,
    seen: &mut HashSet<String>,
) -> Result<Url, String> {
    let url = base
        .join(target.trim())
        .map_err(|e| format!("next link `{}` is not a URL: {e}", shorten(target)))?;
    if &url.origin() != origin {
        return Err(format!(
            "next link points to another origin ({}); not followed",
            url.origin().ascii_serialization()
        ));
    }
    seen.insert(base.as_str().to_string());
    if !seen.insert(url.as_str().to_string()) {
        return Err(format!(
            "no progress: the server repeated next link `{}`",
            shorten(url.as_str())
        ));
    }
    Ok(url)
}

/// The items at `results_key` (empty for the body itself). Missing or null means no items.
/// A page's items under `results_key`, and a warning when the key is not in the page (the
/// settings are likely wrong: an empty list would hide it).
fn extract_results(
    body: &Value,
    results_key: &str,
    page: u32,
) -> Result<(Vec<Value>, Option<String>), Failure> {
    let found = if results_key.is_empty() {
        Some(body)
    } else {
        dotted(body, results_key)
    };
    match found {
        None => {
            let keys = match body {
                Value::Object(map) if !map.is_empty() => format!(
                    "top-level keys: {}",
                    map.keys().take(20).cloned().collect::<Vec<_>>().join(", ")
                ),
                other => format!("the page is {}", kind(other)),
            };
            Ok((
                Vec::new(),
                Some(format!(
                    "results key '{results_key}' not found in page {page}; {keys}"
                )),
            ))
        }
        Some(Value::Null) => Ok((Vec::new(), None)),
        Some(Value::Array(items)) => Ok((items.clone(), None)),
        Some(other) => Err(Failure::internal(format!(
            "results key `{}` in page {page} holds {}, not an array; set Results Key to the path of the list",
            if results_key.is_empty() {
                "(the body)"
            } else {
                results_key
            },
            kind(other)
        ))),
    }
}

/// Follows a dotted path (`data.items`, `links.0.href`) through objects and arrays.
pub fn dotted<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.')
        .try_fold(value, |current, segment| match current {
            Value::Object(map) => map.get(segment),
            Value::Array(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        })
}

fn shorten(text: &str) -> String {
    if text.chars().count() > 120 {
        format!("{}...", text.chars().take(120).collect::<String>())
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests;

/// Query parameter names whose values are left out of messages.
const SECRET_QUERY_NAMES: [&str; 10] = [
    "token",
    "key",
    "secret",
    "password",
    "signature",
    "sig",
    "auth",
    "code",
    "session",
    "credential",
];

/// A URL for messages: no user name or password, and the values of query parameters named like
/// secrets (`access_token`, `api_key`, `X-Amz-Signature`, ...) replaced by `***`. The host also
/// removes the call's credential values from every message.
pub fn display_url(url: &Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    if shown.query().is_some() {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(name, value)| {
                let lower = name.to_ascii_lowercase();
                let secret = SECRET_QUERY_NAMES.iter().any(|s| lower.contains(s));
                let value = if secret {
                    "***".to_string()
                } else {
                    value.into_owned()
                };
                (name.into_owned(), value)
            })
            .collect();
        shown.query_pairs_mut().clear().extend_pairs(pairs);
    }
    shown.to_string()
}
