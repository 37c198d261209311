//! The API's own document (`/openapi.json`) against what the API really answers: every response
//! an API test gets is validated against the schema the document gives for its route, status
//! and media type, and a route the document does not describe fails the test. The document
//! lints clean with Plugboard's own linter.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use serde_json::Value;

/// The document, as the server embeds it.
static DOCUMENT: LazyLock<Value> = LazyLock::new(|| {
    serde_json::from_str(include_str!("../../src/openapi.json")).expect("openapi.json is JSON")
});

/// One validator per schema pointer, built once.
static VALIDATORS: LazyLock<Mutex<HashMap<String, Arc<jsonschema::Validator>>>> =
    LazyLock::new(Mutex::default);

/// `~` and `/` escaped for a JSON pointer.
fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// The document's path template for a request path: the one whose segments match, with the most
/// literal segments (`/tenants/fetch` before `/tenants/{tenant}`).
fn template(path: &str) -> Option<&'static str> {
    let segments: Vec<&str> = path.split('/').collect();
    let paths = DOCUMENT["paths"].as_object()?;
    paths
        .keys()
        .filter_map(|template| {
            let parts: Vec<&str> = template.split('/').collect();
            if parts.len() != segments.len() {
                return None;
            }
            let mut literal = 0;
            for (part, segment) in parts.iter().zip(&segments) {
                if part.starts_with('{') && part.ends_with('}') {
                    if segment.is_empty() {
                        return None;
                    }
                } else if part == segment {
                    literal += 1;
                } else {
                    return None;
                }
            }
            Some((literal, template.as_str()))
        })
        .max_by_key(|(literal, _)| *literal)
        .map(|(_, template)| template)
}

/// Follows a `$ref` within the document (`#/components/responses/...`), returning the target
/// and its pointer.
fn resolve(node: &'static Value, pointer: String) -> (&'static Value, String) {
    match node.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let target = reference.trim_start_matches('#').to_string();
            let node = DOCUMENT
                .pointer(&target)
                .unwrap_or_else(|| panic!("openapi.json: `{reference}` resolves to nothing"));
            resolve(node, target)
        }
        None => (node, pointer),
    }
}

/// A validator for the schema at `pointer` in the document (its `$ref`s resolve in it).
fn validator(pointer: &str) -> Arc<jsonschema::Validator> {
    let mut cache = VALIDATORS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(validator) = cache.get(pointer) {
        return validator.clone();
    }
    let mut root = DOCUMENT.clone();
    // A JSON pointer in a URI fragment: percent-encoded where a fragment may not hold it.
    let fragment = pointer
        .replace('%', "%25")
        .replace('{', "%7B")
        .replace('}', "%7D");
    root["$ref"] = Value::String(format!("#{fragment}"));
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(&root)
        .unwrap_or_else(|e| panic!("openapi.json: the schema at {pointer} does not compile: {e}"));
    let validator = Arc::new(validator);
    cache.insert(pointer.to_string(), validator.clone());
    validator
}

/// Checks one response against the document; panics naming the route, the status and what
/// does not match.
pub fn check(method: &str, path: &str, status: u16, content_type: &str, body: &str) {
    let route = format!("{method} {path}");
    let template = template(path).unwrap_or_else(|| {
        panic!("{route} answered {status}, but openapi.json describes no such path: document it")
    });
    let method = method.to_ascii_lowercase();
    let operation = format!("/paths/{}/{method}", escape(template));
    let responses = DOCUMENT
        .pointer(&format!("{operation}/responses"))
        .unwrap_or_else(|| {
            panic!("{route} answered {status}, but openapi.json describes no {method} of {template}: document it")
        });
    let code = status.to_string();
    let range = format!("{}XX", status / 100);
    let (key, response) = [code.as_str(), range.as_str(), "default"]
        .into_iter()
        .find_map(|key| responses.get(key).map(|r| (key, r)))
        .unwrap_or_else(|| {
            panic!("{route} answered {status}, but openapi.json gives {method} {template} no {status} (nor default) response")
        });
    let (response, pointer) = resolve(response, format!("{operation}/responses/{}", escape(key)));
    let media = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let Some(content) = response.get("content").and_then(Value::as_object) else {
        assert!(
            body.is_empty(),
            "{route} answered {status} with a {media} body, but openapi.json says it has none"
        );
        return;
    };
    let Some(described) = content.get(&media) else {
        panic!(
            "{route} answered {status} as `{media}`, but openapi.json gives {} for it",
            content.keys().cloned().collect::<Vec<_>>().join(", ")
        );
    };
    if described.get("schema").is_none() {
        return;
    }
    let instance = if media == "application/json" || media.ends_with("+json") {
        serde_json::from_str(body).unwrap_or_else(|e| {
            panic!("{route} answered {status} as `{media}` with a body that is not JSON ({e}): {body:.200}")
        })
    } else {
        Value::String(body.to_string())
    };
    let schema = format!("{pointer}/content/{}/schema", escape(&media));
    let validator = validator(&schema);
    let errors: Vec<String> = validator
        .iter_errors(&instance)
        .map(|e| {
            let at = e.instance_path().to_string();
            format!("at `{}`: {e}", if at.is_empty() { "/" } else { &at })
        })
        .collect();
    assert!(
        errors.is_empty(),
        "{route} answered {status}, which does not match openapi.json ({template}, {schema}):\n{}\nbody: {body:.2000}",
        errors.join("\n")
    );
}

/// The document lints without a warning or an error (infos are allowed: they say what an import
/// of it would do).
#[test]
fn the_document_lints_clean() {
    use plugboard_openapi::lint::Severity;
    let findings = plugboard_openapi::lint::lint(&DOCUMENT);
    let serious: Vec<_> = findings
        .iter()
        .filter(|f| matches!(f.severity, Severity::Error | Severity::Warning))
        .collect();
    assert!(serious.is_empty(), "{serious:#?}");
}

/// Every response schema of the document is a real schema: a `$ref` to a component, or a
/// schema that says what it holds (never a bare `{"type": "object"}`); and every component
/// schema compiles.
#[test]
fn every_response_has_a_real_schema() {
    let mut bare = Vec::new();
    let mut checked = 0;
    for (path, item) in DOCUMENT["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("path item") {
            let Some(responses) = operation.get("responses").and_then(Value::as_object) else {
                continue;
            };
            for (code, response) in responses {
                let pointer = format!("/paths/{}/{method}/responses/{code}", escape(path));
                let (response, pointer) = resolve(response, pointer);
                for (media, content) in response["content"].as_object().into_iter().flatten() {
                    let schema = &content["schema"];
                    checked += 1;
                    let described = schema.get("$ref").is_some()
                        || schema.get("properties").is_some()
                        || schema.get("type").is_some_and(|t| t != "object");
                    if !described {
                        bare.push(format!("{pointer} {media}: {schema}"));
                    }
                }
            }
        }
    }
    assert!(checked > 40, "{checked}");
    assert!(
        bare.is_empty(),
        "responses without a real schema:\n{}",
        bare.join("\n")
    );
    for name in DOCUMENT["components"]["schemas"]
        .as_object()
        .expect("schemas")
        .keys()
    {
        validator(&format!("/components/schemas/{name}"));
    }
}

/// The check fails what it should: an undocumented route, a body of the wrong shape.
#[test]
fn the_check_refuses_what_the_document_does_not_say() {
    let refused = |method: &'static str, path: &'static str, status: u16, body: &'static str| {
        std::panic::catch_unwind(|| check(method, path, status, "application/json", body)).is_err()
    };
    assert!(refused("GET", "/v1/nowhere", 200, "{}"));
    assert!(refused("PATCH", "/v1/organizations", 200, "{}"));
    assert!(refused("GET", "/v1/me", 200, r#"{"user": {"id": 1}}"#));
    assert!(refused(
        "GET",
        "/v1/organizations",
        200,
        r#"{"organizations": []}"#
    ));
    assert!(!refused(
        "GET",
        "/v1/organizations",
        200,
        r#"{"organizations": [], "next_cursor": null}"#
    ));
    assert!(!refused(
        "GET",
        "/v1/me",
        200,
        r#"{"user": {"id": "u", "organization_id": "o", "name": "n", "role": "admin"}}"#
    ));
}
