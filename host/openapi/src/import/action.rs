//! One action from one operation: id, name, parameters, request body, output schema, `Accept`
//! and the pagination it looks like.

use std::collections::{BTreeSet, HashSet};

use plugboard_definition::edit::{generated_id, readable_name, sanitize_id, unique_id};
use plugboard_definition::{
    Action, BodyEncoding, Method, Parameter, ParameterLocation, RequestBody,
};
use serde_json::Value;

use super::schema::Resolver;
use super::{pagination, selector};
use crate::source::escape_segment;

pub(super) struct Context<'a> {
    /// The path without its query or fragment.
    pub(super) path: &'a str,
    /// The path as the spec writes it.
    pub(super) raw_path: &'a str,
    /// What its query or fragment says (see [`selector`]).
    pub(super) terms: &'a [selector::Term],
    /// The header the auth settings write (lower case), if any.
    pub(super) auth_header: Option<&'a str>,
    pub(super) item: &'a Value,
    pub(super) method: Method,
    pub(super) at: &'a str,
}

/// One action and its detected pagination.
pub(super) fn build_action(
    resolver: &mut Resolver<'_>,
    cx: &Context<'_>,
    operation: &Value,
    taken: &mut HashSet<String>,
    notes: &mut Vec<String>,
) -> (Action, Option<pagination::Detected>) {
    let at = cx.at;
    let operation_id = operation
        .get("operationId")
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim();
    let base = match sanitize_id(operation_id) {
        id if id.is_empty() => {
            generated_id(cx.method, &cx.raw_path.replace(['?', '#', '&', '='], "/"))
        }
        id => {
            if id != operation_id {
                notes.push(format!(
                    "{at}: operationId `{operation_id}` became id `{id}`"
                ));
            }
            id
        }
    };
    let id = unique_id(&base, taken);
    if id != base {
        notes.push(format!(
            "{at}: id `{base}` is taken; this operation's id is `{id}`"
        ));
    }
    taken.insert(id.clone());
    let text = |key: &str| {
        operation
            .get(key)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    let name = text("summary")
        .and_then(|s| s.lines().next())
        .map(str::to_string)
        .unwrap_or_else(|| {
            readable_name(if operation_id.is_empty() {
                &id
            } else {
                operation_id
            })
        });
    let description = text("description")
        .or(text("summary"))
        .map(str::to_string)
        .unwrap_or_else(|| format!("{} {}", cx.method.as_str(), cx.raw_path));
    let has_json_body = operation.get("requestBody").is_some();
    let mut parameters = parameters(resolver, cx, operation, has_json_body, notes);
    if !cx.terms.is_empty() {
        let done = selector::apply(cx.terms, &mut parameters);
        notes.push(format!(
            "{at}: path `{}` imported as `{}` with {}",
            cx.raw_path,
            cx.path,
            done.join(", ")
        ));
    }
    let request_body = request_body(resolver, operation, at, notes);
    let placeholders: BTreeSet<&str> = cx
        .path
        .split('{')
        .skip(1)
        .filter_map(|s| s.split_once('}').map(|(name, _)| name))
        .collect();
    for name in placeholders {
        if !parameters
            .iter()
            .any(|p| p.location == ParameterLocation::Path && p.name == name)
        {
            notes.push(format!(
                "{at}: path placeholder `{{{name}}}` has no parameter; added as a required string"
            ));
            parameters.retain(|p| p.name != name);
            parameters.push(Parameter {
                name: name.to_string(),
                location: ParameterLocation::Path,
                required: true,
                description: String::new(),
                schema: Some(serde_json::json!({"type": "string"})),
                value: None,
                style: None,
                explode: None,
            });
        }
    }
    // `security: []` overrides the document's requirement: no credentials.
    let anonymous = operation
        .get("security")
        .and_then(Value::as_array)
        .is_some_and(Vec::is_empty);
    let (output_schema, link_header) = response(resolver, operation, at);
    let detected = pagination::detect(&pagination::Operation {
        is_get: cx.method == Method::Get,
        extension: operation.get("x-ms-pageable"),
        parameters: &parameters,
        response: output_schema.as_ref(),
        schemas: &resolver.schemas,
        link_header,
    });
    let action = Action {
        id,
        name,
        description,
        method: cx.method,
        path: cx.path.to_string(),
        parameters,
        request_body,
        output_schema,
        accept: accept(resolver, operation, at),
        paginated: false,
        pagination: None,
        anonymous,
        tags: operation_tags(operation),
    };
    (action, detected)
}

/// The operation's tags (strings only, each once, in the spec's order).
fn operation_tags(operation: &Value) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    for tag in operation
        .get("tags")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        if !tags.iter().any(|t| t == tag) {
            tags.push(tag.to_string());
        }
    }
    tags
}

/// Path-level and operation-level parameters (the operation's win), checked against the
/// definition rules; the ones that cannot be imported are noted.
fn parameters(
    resolver: &mut Resolver<'_>,
    cx: &Context<'_>,
    operation: &Value,
    has_body: bool,
    notes: &mut Vec<String>,
) -> Vec<Parameter> {
    let at = cx.at;
    let mut raw: Vec<(String, &Value)> = Vec::new();
    for (source, list) in [
        ("parameters", cx.item.get("parameters")),
        ("op", operation.get("parameters")),
    ] {
        for (index, param) in list
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let p_at = if source == "op" {
                format!("{at}/parameters/{index}")
            } else {
                format!(
                    "{}/parameters/{index}",
                    at.rsplit_once('/').map_or(at, |(p, _)| p)
                )
            };
            let Some(param) = resolver.deref(param, &p_at) else {
                continue;
            };
            let key = |p: &Value| {
                (
                    p.get("name").and_then(Value::as_str).map(str::to_string),
                    p.get("in").and_then(Value::as_str).map(str::to_string),
                )
            };
            raw.retain(|(_, existing)| key(existing) != key(param));
            raw.push((p_at, param));
        }
    }
    let mut out: Vec<Parameter> = Vec::new();
    for (p_at, param) in raw {
        let name = param
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .trim();
        let location = match param.get("in").and_then(Value::as_str) {
            Some("path") => ParameterLocation::Path,
            Some("query") => ParameterLocation::Query,
            Some("header") => ParameterLocation::Header,
            Some("cookie") => {
                notes.push(format!(
                    "{p_at}: cookie parameter `{name}` skipped (cookies are not supported)"
                ));
                continue;
            }
            other => {
                notes.push(format!(
                    "{p_at}: parameter `{name}` has location {other:?}; skipped"
                ));
                continue;
            }
        };
        if name.is_empty() {
            notes.push(format!("{p_at}: parameter without a name; skipped"));
            continue;
        }
        if location == ParameterLocation::Header {
            let lower = name.to_ascii_lowercase();
            if cx.auth_header == Some(lower.as_str()) {
                notes.push(format!(
                    "{p_at}: header parameter `{name}` skipped (set by the auth settings)"
                ));
                continue;
            }
            if !plugboard_definition::is_token(name) {
                notes.push(format!(
                    "{p_at}: `{name}` is not a valid header name; skipped"
                ));
                continue;
            }
        }
        let placeholder = format!("{{{name}}}");
        if location == ParameterLocation::Path
            && !cx.path.contains(&placeholder)
            && !cx.raw_path.contains(&placeholder)
        {
            notes.push(format!(
                "{p_at}: path parameter `{name}` has no `{{{name}}}` in the path; skipped"
            ));
            continue;
        }
        if out.iter().any(|p| p.name == name) || (name == "body" && has_body) {
            notes.push(format!(
                "{p_at}: parameter `{name}` skipped: its input key is already used by another parameter or the request body"
            ));
            continue;
        }
        let schema = param.get("schema").or_else(|| {
            param
                .get("content")
                .and_then(Value::as_object)
                .and_then(|c| c.values().next())
                .and_then(|m| m.get("schema"))
        });
        let schema = schema.map(|s| resolver.schema(s, &p_at));
        // `Accept` and `Content-Type` parameters with a default (or one allowed value) are sent
        // with it; without one they are inputs.
        let media_header = location == ParameterLocation::Header
            && matches!(
                name.to_ascii_lowercase().as_str(),
                "accept" | "content-type"
            );
        let fixed = media_header
            .then(|| {
                let s = schema.as_ref()?;
                s.get("default")
                    .or_else(|| {
                        s.get("enum")
                            .and_then(|e| e.as_array())
                            .filter(|e| e.len() == 1)
                            .and_then(|e| e.first())
                    })
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .flatten()
            .filter(|v| !v.chars().any(char::is_control));
        out.push(Parameter {
            name: name.to_string(),
            location,
            required: location == ParameterLocation::Path
                || param
                    .get("required")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
            description: param
                .get("description")
                .and_then(Value::as_str)
                .map(str::trim)
                .unwrap_or("")
                .to_string(),
            schema,
            value: fixed,
            style: param
                .get("style")
                .and_then(Value::as_str)
                .filter(|style| {
                    plugboard_definition::parameter_styles(location == ParameterLocation::Query)
                        .contains(style)
                })
                .map(str::to_string),
            explode: param.get("explode").and_then(Value::as_bool),
        });
    }
    out
}

/// The JSON media type of a `content` map, if any.
fn json_media(content: Option<&Value>) -> Option<(&String, &Value)> {
    let content = content?.as_object()?;
    content
        .iter()
        .find(|(t, _)| t.starts_with("application/json"))
        .or_else(|| content.iter().find(|(t, _)| t.contains("json")))
        .or_else(|| content.iter().find(|(t, _)| t.as_str() == "*/*"))
}

/// The request body: JSON when the operation offers it, else its first media type, with an
/// input schema that says what the body input is for that type.
fn request_body(
    resolver: &mut Resolver<'_>,
    operation: &Value,
    at: &str,
    notes: &mut Vec<String>,
) -> Option<RequestBody> {
    let b_at = format!("{at}/requestBody");
    let body = resolver.deref(operation.get("requestBody")?, &b_at)?;
    let content = body.get("content");
    let first_valid = content.and_then(Value::as_object).and_then(|c| {
        c.iter()
            .find(|(media, _)| plugboard_definition::is_media_type(media))
    });
    let any = content
        .and_then(Value::as_object)
        .and_then(|c| c.iter().next());
    let (media, media_object) = json_media(content).or(first_valid).or(any)?;
    if !plugboard_definition::is_media_type(media) && !media.contains("json") {
        notes.push(format!(
            "{b_at}: media type `{media}` is not `type/subtype`; the body is sent as JSON"
        ));
    }
    let m_at = format!("{b_at}/content/{}/schema", escape_segment(media));
    let declared = media_object
        .get("schema")
        .map(|s| resolver.schema(s, &m_at));
    let json =
        media.contains("json") || media == "*/*" || !plugboard_definition::is_media_type(media);
    let media_type = (!json).then(|| media.trim().to_string());
    let schema = match BodyEncoding::of(media_type.as_deref()) {
        BodyEncoding::Json | BodyEncoding::Form => declared,
        BodyEncoding::Multipart => Some(multipart_schema(declared)),
        BodyEncoding::Text => Some(serde_json::json!({
            "type": "string",
            "description": format!("the body as `{media}` text"),
        })),
        BodyEncoding::Binary => Some(serde_json::json!({
            "description": format!("the body bytes (`{media}`) as base64 text, or {{\"base64\", \"content_type\"}}"),
            "anyOf": [
                {"type": "string", "contentEncoding": "base64"},
                FILE_SCHEMA.clone(),
            ],
        })),
    };
    let offered = content.and_then(Value::as_object).map_or(0, |c| c.len());
    if let Some(media_type) = &media_type {
        notes.push(format!(
            "{b_at}: the body is sent as `{media_type}`{}",
            if offered > 1 {
                " (the first media type offered; no JSON)"
            } else {
                ""
            }
        ));
    }
    Some(RequestBody {
        required: body
            .get("required")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        schema,
        media_type,
    })
}

/// The input of a file part or binary body.
static FILE_SCHEMA: std::sync::LazyLock<Value> = std::sync::LazyLock::new(|| {
    serde_json::json!({
        "type": "object",
        "required": ["base64"],
        "properties": {
            "base64": {"type": "string", "contentEncoding": "base64"},
            "filename": {"type": "string"},
            "content_type": {"type": "string"}
        }
    })
});

/// A multipart body's schema with its binary fields (`format: binary` or `byte`) as file parts.
fn multipart_schema(declared: Option<Value>) -> Value {
    let mut schema = declared.unwrap_or_else(|| serde_json::json!({"type": "object"}));
    if let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) {
        for property in properties.values_mut() {
            let is_file = |p: &Value| {
                matches!(
                    p.get("format").and_then(Value::as_str),
                    Some("binary" | "byte")
                )
            };
            let file = if is_file(property) {
                Some(FILE_SCHEMA.clone())
            } else if property.get("type").and_then(Value::as_str) == Some("array")
                && property.get("items").is_some_and(is_file)
            {
                Some(serde_json::json!({"type": "array", "items": FILE_SCHEMA.clone()}))
            } else {
                None
            };
            if let Some(mut file) = file {
                if let Some(description) = property.get("description") {
                    file["description"] = description.clone();
                }
                *property = file;
            }
        }
    }
    schema
}

/// The `Accept` header for the success responses' media types: `None` (JSON) when they offer
/// JSON or declare none.
fn accept(resolver: &mut Resolver<'_>, operation: &Value, at: &str) -> Option<String> {
    let responses = operation.get("responses")?.as_object()?;
    let mut types: Vec<String> = Vec::new();
    for (code, response) in responses {
        if !code.starts_with('2') {
            continue;
        }
        let Some(response) = resolver.deref(response, &format!("{at}/responses/{code}")) else {
            continue;
        };
        for media in response
            .get("content")
            .and_then(Value::as_object)
            .into_iter()
            .flat_map(|c| c.keys())
        {
            if !types.contains(media) {
                types.push(media.clone());
            }
        }
    }
    // Plain JSON is the default `Accept`; other JSON types (`application/vnd.api+json`) are
    // asked for by name.
    if types.is_empty()
        || types
            .iter()
            .any(|t| t.split(';').next().unwrap_or("").trim() == "application/json")
    {
        return None;
    }
    if types.iter().any(|t| t.contains("json")) {
        types.retain(|t| t.contains("json"));
    }
    let valid: Vec<String> = types
        .into_iter()
        .filter(|t| plugboard_definition::is_media_type(t))
        .collect();
    (!valid.is_empty()).then(|| valid.join(", "))
}

/// The 2xx response's JSON schema, and whether it declares a `Link` header.
fn response(resolver: &mut Resolver<'_>, operation: &Value, at: &str) -> (Option<Value>, bool) {
    let Some(responses) = operation.get("responses").and_then(Value::as_object) else {
        return (None, false);
    };
    let preferred = ["200", "201", "202", "203", "206", "2XX", "2xx"];
    let code = preferred
        .iter()
        .find(|c| responses.contains_key(**c))
        .map(|c| c.to_string())
        .or_else(|| responses.keys().find(|k| k.starts_with('2')).cloned());
    let Some(code) = code else {
        return (None, false);
    };
    let r_at = format!("{at}/responses/{code}");
    let Some(response) = responses.get(&code).and_then(|r| resolver.deref(r, &r_at)) else {
        return (None, false);
    };
    let link_header = response
        .get("headers")
        .and_then(Value::as_object)
        .is_some_and(|h| h.keys().any(|k| k.eq_ignore_ascii_case("link")));
    let schema = json_media(response.get("content")).and_then(|(media, m)| {
        let s_at = format!("{r_at}/content/{}/schema", escape_segment(media));
        m.get("schema").map(|s| resolver.schema(s, &s_at))
    });
    (schema, link_header)
}

/// Rebuilds the action's schemas with maps of their exact size: serde_json's reader grows each
/// map entry by entry, which can leave twice the room a map needs (about 20 MB in Microsoft
/// Graph's definition).
pub(super) fn fit_schemas(action: &mut Action) {
    for parameter in &mut action.parameters {
        if let Some(schema) = &mut parameter.schema {
            fit(schema);
        }
    }
    if let Some(schema) = action.request_body.as_mut().and_then(|b| b.schema.as_mut()) {
        fit(schema);
    }
    if let Some(schema) = &mut action.output_schema {
        fit(schema);
    }
}

/// [`fit_schemas`] for one value.
fn fit(value: &mut Value) {
    match value {
        Value::Object(map) => {
            let members = std::mem::take(map);
            let mut fitted = serde_json::Map::with_capacity(members.len());
            for (key, mut member) in members {
                fit(&mut member);
                fitted.insert(key, member);
            }
            *map = fitted;
        }
        Value::Array(items) => items.iter_mut().for_each(fit),
        _ => {}
    }
}
