//! Paths with a query or a fragment (`/?Action=DescribeInstances&Version=2016-11-15`,
//! `/#X-Amz-Target=Svc.Op`, `/channels#x-amz-chime-bearer`, `/alerts?lat={lat}`): specs use
//! them to tell apart operations that share a path. The route is the part before the first `?`
//! or `#`; what follows names fixed query parameters or headers, required ones, or query
//! parameters written as templates.

use percent_encoding::percent_decode_str;
use plugboard_definition::{Parameter, ParameterLocation};
use serde_json::json;

/// Headers the auth settings set; a selector cannot add them.
const RESERVED_HEADERS: [&str; 1] = ["authorization"];

/// One `name` or `name=value` of a path's query or fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Term {
    /// Whether it came after `#` (else after `?`).
    pub in_fragment: bool,
    /// Parameter name (percent-decoded).
    pub name: String,
    /// The value, if any (percent-decoded).
    pub value: Option<String>,
}

/// A path split into its route and its terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Split<'a> {
    /// The part before the first `?` or `#`.
    pub route: &'a str,
    /// What follows, in order.
    pub terms: Vec<Term>,
}

/// Splits `path` at its first `?` or `#`; `None` when it has neither.
pub(crate) fn split(path: &str) -> Option<Split<'_>> {
    let at = path.find(['?', '#'])?;
    let (route, rest) = path.split_at(at);
    let mut terms = Vec::new();
    let mut in_fragment = false;
    let mut start = 0;
    let bytes = rest.as_bytes();
    for end in 1..=rest.len() {
        if end < rest.len() && !matches!(bytes[end], b'?' | b'#') {
            continue;
        }
        let part = &rest[start..end];
        in_fragment = match part.as_bytes().first() {
            Some(b'#') => true,
            Some(b'?') => in_fragment,
            _ => in_fragment,
        };
        for pair in part[1..].split('&').filter(|p| !p.is_empty()) {
            let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().trim().to_string();
            let (name, value) = match pair.split_once('=') {
                Some((name, value)) => (decode(name), Some(decode(value))),
                None => (decode(pair), None),
            };
            if !name.is_empty() {
                terms.push(Term {
                    in_fragment,
                    name,
                    value,
                });
            }
        }
        start = end;
    }
    Some(Split { route, terms })
}

/// A path with `#name` as a whole segment before others (`/send/#env/v1/partners`) uses it as
/// a placeholder: the path with `{name}` there, or `None` when there is no such segment.
pub(crate) fn hash_segments(path: &str) -> Option<String> {
    let segments: Vec<&str> = path.split('/').collect();
    let last = segments.len().saturating_sub(1);
    let is_placeholder = |(i, segment): (usize, &&str)| {
        i < last
            && segment.strip_prefix('#').is_some_and(|name| {
                !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
            })
    };
    if !segments.iter().enumerate().any(is_placeholder) {
        return None;
    }
    Some(
        segments
            .iter()
            .enumerate()
            .map(|(i, segment)| {
                if is_placeholder((i, segment)) {
                    format!("{{{}}}", &segment[1..])
                } else {
                    segment.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("/"),
    )
}

/// A path with whitespace, percent-encoded (`/Your API Path` gives `/Your%20API%20Path`), or
/// `None` when it has none. (`#name` segments are read first, see [`hash_segments`].)
pub(crate) fn encode_spaces(path: &str) -> Option<String> {
    let path = path.trim();
    path.contains(char::is_whitespace).then(|| {
        path.chars()
            .map(|c| {
                if c.is_whitespace() {
                    let mut buffer = [0u8; 4];
                    c.encode_utf8(&mut buffer)
                        .bytes()
                        .map(|b| format!("%{b:02X}"))
                        .collect()
                } else {
                    c.to_string()
                }
            })
            .collect()
    })
}

/// Why import rewrites a path (see [`hash_segments`] and [`encode_spaces`]).
pub(crate) fn why_rewritten() -> &'static str {
    "a `#name` segment is read as the placeholder `{name}`, whitespace is percent-encoded"
}

/// The placeholder a value is written as (`{lat}` gives `lat`).
pub(crate) fn template_name(value: &str) -> Option<&str> {
    value
        .strip_prefix('{')
        .and_then(|v| v.strip_suffix('}'))
        .filter(|n| !n.is_empty() && !n.contains(['{', '}']))
}

/// Applies the terms to an operation's parameters:
/// - `name=value` fixes the value of the declared query or header parameter of that name, or
///   adds a fixed query parameter;
/// - `name={placeholder}` is a required query parameter (the declared one, moved to the query);
/// - a bare `name` makes the declared parameter required; undeclared, it is a required header
///   after `#` and a fixed empty query parameter after `?` (S3's `?uploads`).
///
/// Returns what was done, for the import notes.
pub(crate) fn apply(terms: &[Term], parameters: &mut Vec<Parameter>) -> Vec<String> {
    let mut done = Vec::new();
    for term in terms {
        let name = term.name.as_str();
        // `{name}=1` (a placeholder as the key) is read as `name={name}`.
        let (name, value) = match template_name(name) {
            Some(placeholder) => (placeholder, Some(name)),
            None => (name, term.value.as_deref()),
        };
        let declared = parameters.iter().position(|p| {
            p.name.eq_ignore_ascii_case(name) && p.location != ParameterLocation::Path
        });
        if RESERVED_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
            done.push(format!("`{name}` left out (the auth settings set it)"));
            continue;
        }
        match (value, declared) {
            (Some(value), _) if template_name(value).is_some() => {
                // Moved from the path to the query by `parameters`, or declared there.
                let placeholder = template_name(value).unwrap_or(name);
                match parameters.iter_mut().find(|p| p.name == placeholder) {
                    Some(param) => {
                        param.location = ParameterLocation::Query;
                        param.required = true;
                        if param.name != name {
                            param.name = name.to_string();
                        }
                    }
                    None => parameters.push(input(name, ParameterLocation::Query)),
                }
                done.push(format!("query parameter `{name}` (required input)"));
            }
            (Some(value), Some(index)) => {
                let param = &mut parameters[index];
                param.required = true;
                param.value = Some(value.to_string());
                param.schema = Some(json!({"type": "string", "enum": [value]}));
                let place = location_word(param.location);
                done.push(format!("{place} `{}: {value}` (fixed)", param.name));
            }
            (Some(value), None) => {
                parameters.push(Parameter {
                    name: name.to_string(),
                    location: ParameterLocation::Query,
                    required: true,
                    description: String::new(),
                    schema: Some(json!({"type": "string", "enum": [value]})),
                    value: Some(value.to_string()),
                    style: None,
                    explode: None,
                });
                done.push(format!("query parameter `{name}={value}` (fixed)"));
            }
            (None, Some(index)) => {
                let param = &mut parameters[index];
                param.required = true;
                let place = location_word(param.location);
                done.push(format!("{place} `{}` (required input)", param.name));
            }
            (None, None) if term.in_fragment => {
                if plugboard_definition::is_token(name) {
                    parameters.push(input(name, ParameterLocation::Header));
                    done.push(format!("header `{name}` (required input)"));
                } else {
                    done.push(format!("`{name}` left out (not a valid header name)"));
                }
            }
            (None, None) => {
                parameters.push(Parameter {
                    name: name.to_string(),
                    location: ParameterLocation::Query,
                    required: true,
                    description: String::new(),
                    schema: Some(json!({"type": "string", "enum": [""]})),
                    value: Some(String::new()),
                    style: None,
                    explode: None,
                });
                done.push(format!("query parameter `{name}` (fixed, empty)"));
            }
        }
    }
    done
}

/// What import makes of the terms before it knows an operation's parameters, for lint.
pub(crate) fn describe(terms: &[Term]) -> String {
    let described: Vec<String> = terms
        .iter()
        .map(|term| {
            let name = &term.name;
            let value = term.value.as_deref();
            if RESERVED_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
                return format!("`{name}` is left out (the auth settings set it)");
            }
            match (template_name(name).or(value.and_then(template_name)), value) {
                (Some(_), _) => format!("`{name}` becomes a required query input"),
                (None, Some(value)) => format!(
                    "`{name}` is sent as `{value}` (a header when the operation declares a header `{name}`, else a query parameter)"
                ),
                (None, None) if term.in_fragment => format!(
                    "`{name}` becomes required (a header unless the operation declares a query parameter `{name}`)"
                ),
                (None, None) => format!("`{name}` is sent as an empty query parameter"),
            }
        })
        .collect();
    if described.is_empty() {
        "nothing else is sent".to_string()
    } else {
        described.join("; ")
    }
}

fn input(name: &str, location: ParameterLocation) -> Parameter {
    Parameter {
        name: name.to_string(),
        location,
        required: true,
        description: String::new(),
        schema: Some(json!({"type": "string"})),
        value: None,
        style: None,
        explode: None,
    }
}

fn location_word(location: ParameterLocation) -> &'static str {
    match location {
        ParameterLocation::Header => "header",
        ParameterLocation::Query => "query parameter",
        ParameterLocation::Path => "path parameter",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn term(in_fragment: bool, name: &str, value: Option<&str>) -> Term {
        Term {
            in_fragment,
            name: name.into(),
            value: value.map(Into::into),
        }
    }

    #[test]
    fn splits_queries_and_fragments() {
        assert_eq!(split("/items"), None);
        let s = split("/?Action=DescribeInstances&Version=2016-11-15").unwrap();
        assert_eq!(s.route, "/");
        assert_eq!(
            s.terms,
            vec![
                term(false, "Action", Some("DescribeInstances")),
                term(false, "Version", Some("2016-11-15"))
            ]
        );
        let s = split("/2013-01-01/documents/batch#format=sdk&Content-Type").unwrap();
        assert_eq!(s.route, "/2013-01-01/documents/batch");
        assert_eq!(
            s.terms,
            vec![
                term(true, "format", Some("sdk")),
                term(true, "Content-Type", None)
            ]
        );
        let s = split("/{Bucket}?uploads#x-id=Upload%20Part").unwrap();
        assert_eq!(s.route, "/{Bucket}");
        assert_eq!(
            s.terms,
            vec![
                term(false, "uploads", None),
                term(true, "x-id", Some("Upload Part"))
            ]
        );
    }

    #[test]
    fn hash_segments_are_placeholders() {
        assert_eq!(
            hash_segments("/send/#env/v1/partners/{partnerId}").as_deref(),
            Some("/send/{env}/v1/partners/{partnerId}")
        );
        assert_eq!(hash_segments("/#X-Amz-Target=Svc.Op"), None);
        assert_eq!(hash_segments("/channels#x-amz-chime-bearer"), None);
        assert_eq!(hash_segments("/items"), None);
        assert_eq!(
            encode_spaces("/Your Pull DOC\tPath ").as_deref(),
            Some("/Your%20Pull%20DOC%09Path")
        );
        assert_eq!(encode_spaces("/items"), None);
    }

    #[test]
    fn terms_fix_require_or_add_parameters() {
        let declared = |name: &str, location| Parameter {
            name: name.into(),
            location,
            required: false,
            description: "declared".into(),
            schema: None,
            value: None,
            style: None,
            explode: None,
        };
        let mut params = vec![
            declared("X-Amz-Target", ParameterLocation::Header),
            declared("name", ParameterLocation::Query),
            declared("lat", ParameterLocation::Path),
            declared("search", ParameterLocation::Path),
        ];
        let done = apply(
            &[
                term(true, "X-Amz-Target", Some("Svc.Op")),
                term(true, "name", None),
                term(false, "lat", Some("{lat}")),
                term(true, "operation", Some("tag-resource")),
                term(true, "x-amz-chime-bearer", None),
                term(false, "uploads", None),
                term(true, "Content-Type", None),
                term(false, "{search}", Some("1")),
            ],
            &mut params,
        );
        assert_eq!(done.len(), 8, "{done:?}");
        let find = |name: &str| params.iter().find(|p| p.name == name).unwrap();
        assert_eq!(find("X-Amz-Target").value.as_deref(), Some("Svc.Op"));
        assert_eq!(find("X-Amz-Target").location, ParameterLocation::Header);
        assert!(find("name").required && find("name").value.is_none());
        assert_eq!(find("lat").location, ParameterLocation::Query);
        assert!(find("lat").required);
        assert_eq!(find("search").location, ParameterLocation::Query);
        assert_eq!(find("operation").value.as_deref(), Some("tag-resource"));
        assert_eq!(find("operation").location, ParameterLocation::Query);
        assert_eq!(
            find("x-amz-chime-bearer").location,
            ParameterLocation::Header
        );
        assert!(find("x-amz-chime-bearer").required);
        assert_eq!(find("uploads").value.as_deref(), Some(""));
        assert!(params.iter().all(|p| p.name != "Authorization"));
    }
}
