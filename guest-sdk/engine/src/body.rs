//! Request bodies in the media type an action declares: JSON, form fields, multipart (with
//! file parts), text and XML, and binary bytes given as base64.

use base64::Engine as _;
use serde_json::{Map, Value};

use crate::Failure;
use crate::request::kind;

pub use plugboard_manifest::rules::BodyEncoding as Encoding;

/// The `Content-Type` and bytes of a body input for `media_type` (`None` is JSON).
pub fn encode(media_type: Option<&str>, body: &Value) -> Result<(String, Vec<u8>), Failure> {
    let declared = media_type.unwrap_or("application/json").to_string();
    match Encoding::of(media_type) {
        Encoding::Json => {
            let bytes = serde_json::to_vec(body).map_err(|e| Failure::internal(e.to_string()))?;
            Ok((concrete(&declared, "application/json"), bytes))
        }
        Encoding::Form => {
            let fields = object(body, &declared)?;
            let mut form = url::form_urlencoded::Serializer::new(String::new());
            for (name, value) in fields {
                for item in repeated(value) {
                    form.append_pair(name, &field_text(item));
                }
            }
            Ok((declared, form.finish().into_bytes()))
        }
        Encoding::Multipart => multipart(&declared, object(body, &declared)?),
        Encoding::Text => match body {
            Value::String(text) => {
                Ok((concrete(&declared, "text/plain"), text.clone().into_bytes()))
            }
            other => Err(Failure::invalid_input(format!(
                "`body`: this action sends `{declared}`; give the body as a string, not {}",
                kind(other)
            ))),
        },
        Encoding::Binary => {
            let (data, content_type) = match body {
                Value::String(data) => (data.as_str(), None),
                Value::Object(file) => (
                    file.get("base64").and_then(Value::as_str).ok_or_else(|| {
                        Failure::invalid_input(format!(
                            "`body`: this action sends `{declared}`; give base64 text or {{\"base64\": ..., \"content_type\": ...}}"
                        ))
                    })?,
                    file.get("content_type").and_then(Value::as_str),
                ),
                other => {
                    return Err(Failure::invalid_input(format!(
                        "`body`: this action sends `{declared}`; give the bytes as base64 text, not {}",
                        kind(other)
                    )));
                }
            };
            let bytes = decode_base64("body", data)?;
            let content_type = match content_type {
                Some(given) if declared.contains('*') && is_one_line(given) => given.to_string(),
                _ => concrete(&declared, "application/octet-stream"),
            };
            Ok((content_type, bytes))
        }
    }
}

/// `declared` unless it is a wildcard (`*/*`, `image/*`), then `fallback`.
fn concrete(declared: &str, fallback: &str) -> String {
    if declared.contains('*') {
        fallback.to_string()
    } else {
        declared.to_string()
    }
}

fn object<'a>(body: &'a Value, declared: &str) -> Result<&'a Map<String, Value>, Failure> {
    body.as_object().ok_or_else(|| {
        Failure::invalid_input(format!(
            "`body`: this action sends `{declared}`; give the fields as an object, not {}",
            kind(body)
        ))
    })
}

/// An array's items (a field repeated), or the value itself; `null` is left out.
fn repeated(value: &Value) -> Vec<&Value> {
    match value {
        Value::Null => Vec::new(),
        Value::Array(items) => items.iter().filter(|v| !v.is_null()).collect(),
        other => vec![other],
    }
}

/// A field value as text: strings as they are, other values as JSON.
fn field_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn is_one_line(text: &str) -> bool {
    !text.chars().any(char::is_control)
}

fn decode_base64(field: &str, data: &str) -> Result<Vec<u8>, Failure> {
    let compact: String = data.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(&compact)
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(&compact))
        .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(&compact))
        .map_err(|e| Failure::invalid_input(format!("`{field}`: not base64: {e}")))
}

/// One part of a multipart body.
struct Part {
    name: String,
    filename: Option<String>,
    content_type: Option<String>,
    data: Vec<u8>,
}

fn multipart(declared: &str, fields: &Map<String, Value>) -> Result<(String, Vec<u8>), Failure> {
    let mut parts = Vec::new();
    for (name, value) in fields {
        if !is_one_line(name) || name.contains('"') {
            return Err(Failure::invalid_input(format!(
                "`body.{name}`: a form field name has no quotes or line breaks"
            )));
        }
        for item in repeated(value) {
            parts.push(part(name, item)?);
        }
    }
    let boundary = boundary(&parts);
    let mut out = Vec::new();
    for part in &parts {
        out.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        let mut disposition = format!("Content-Disposition: form-data; name=\"{}\"", part.name);
        if let Some(filename) = &part.filename {
            disposition.push_str(&format!("; filename=\"{filename}\""));
        }
        out.extend_from_slice(disposition.as_bytes());
        out.extend_from_slice(b"\r\n");
        if let Some(content_type) = &part.content_type {
            out.extend_from_slice(format!("Content-Type: {content_type}\r\n").as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&part.data);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let essence = declared.split(';').next().unwrap_or(declared).trim();
    Ok((format!("{essence}; boundary={boundary}"), out))
}

/// A field: a file part for `{"base64": ...}`, a JSON part for other objects, else text.
fn part(name: &str, value: &Value) -> Result<Part, Failure> {
    let field = format!("body.{name}");
    match value {
        Value::Object(file) if file.contains_key("base64") => {
            let data = file.get("base64").and_then(Value::as_str).ok_or_else(|| {
                Failure::invalid_input(format!("`{field}.base64`: give the bytes as base64 text"))
            })?;
            let text = |key: &str| -> Result<Option<String>, Failure> {
                match file.get(key) {
                    None | Some(Value::Null) => Ok(None),
                    Some(Value::String(text)) if is_one_line(text) && !text.contains('"') => {
                        Ok(Some(text.clone()))
                    }
                    Some(_) => Err(Failure::invalid_input(format!(
                        "`{field}.{key}`: a one-line string without quotes"
                    ))),
                }
            };
            Ok(Part {
                name: name.to_string(),
                filename: Some(text("filename")?.unwrap_or_else(|| name.to_string())),
                content_type: Some(
                    text("content_type")?.unwrap_or_else(|| "application/octet-stream".into()),
                ),
                data: decode_base64(&format!("{field}.base64"), data)?,
            })
        }
        Value::Object(_) => Ok(Part {
            name: name.to_string(),
            filename: None,
            content_type: Some("application/json".into()),
            data: value.to_string().into_bytes(),
        }),
        other => Ok(Part {
            name: name.to_string(),
            filename: None,
            content_type: None,
            data: field_text(other).into_bytes(),
        }),
    }
}

/// A boundary that occurs in no part (FNV-1a of the parts, then counted up).
fn boundary(parts: &[Part]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.name.bytes().chain(part.data.iter().copied()) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    (0u64..)
        .map(|n| format!("plugboard-{:016x}", hash.wrapping_add(n)))
        .find(|candidate| {
            !parts
                .iter()
                .any(|p| contains(&p.data, candidate.as_bytes()))
        })
        .unwrap_or_else(|| "plugboard-boundary".into())
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn media_types_choose_the_encoding() {
        assert_eq!(Encoding::of(None), Encoding::Json);
        assert_eq!(
            Encoding::of(Some("application/vnd.api+json")),
            Encoding::Json
        );
        assert_eq!(
            Encoding::of(Some("application/x-www-form-urlencoded; charset=utf-8")),
            Encoding::Form
        );
        assert_eq!(
            Encoding::of(Some("multipart/form-data")),
            Encoding::Multipart
        );
        assert_eq!(Encoding::of(Some("text/csv")), Encoding::Text);
        assert_eq!(Encoding::of(Some("application/soap+xml")), Encoding::Text);
        assert_eq!(Encoding::of(Some("application/pdf")), Encoding::Binary);
        assert_eq!(Encoding::of(Some("*/*")), Encoding::Binary);
    }

    #[test]
    fn form_fields_repeat_arrays_and_print_values() {
        let (content_type, bytes) = encode(
            Some("application/x-www-form-urlencoded"),
            &json!({"q": "a b&c", "n": 1.5, "tags": ["x", "y"], "skip": null, "o": {"k": 1}}),
        )
        .unwrap();
        assert_eq!(content_type, "application/x-www-form-urlencoded");
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            "q=a+b%26c&n=1.5&tags=x&tags=y&o=%7B%22k%22%3A1%7D"
        );
        let err = encode(Some("application/x-www-form-urlencoded"), &json!("text")).unwrap_err();
        assert!(format!("{err:?}").contains("as an object"), "{err:?}");
    }

    #[test]
    fn multipart_has_text_json_and_file_parts() {
        let (content_type, bytes) = encode(
            Some("multipart/form-data"),
            &json!({
                "title": "Report",
                "meta": {"v": 1},
                "file": {"base64": "aGVsbG8=", "filename": "a.txt", "content_type": "text/plain"}
            }),
        )
        .unwrap();
        let boundary = content_type
            .strip_prefix("multipart/form-data; boundary=")
            .unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert!(
            text.contains(&format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nReport\r\n"
            )),
            "{text}"
        );
        assert!(
            text.contains("name=\"meta\"\r\nContent-Type: application/json\r\n\r\n{\"v\":1}\r\n"),
            "{text}"
        );
        assert!(
            text.contains(
                "name=\"file\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nhello\r\n"
            ),
            "{text}"
        );
        assert!(text.ends_with(&format!("--{boundary}--\r\n")));
        let err = encode(Some("multipart/form-data"), &json!({"f": {"base64": "@@"}})).unwrap_err();
        assert!(
            format!("{err:?}").contains("`body.f.base64`: not base64"),
            "{err:?}"
        );
    }

    #[test]
    fn text_and_binary_bodies() {
        let (content_type, bytes) = encode(Some("application/xml"), &json!("<a/>")).unwrap();
        assert_eq!(
            (content_type.as_str(), bytes.as_slice()),
            ("application/xml", &b"<a/>"[..])
        );
        assert!(encode(Some("text/plain"), &json!({"a": 1})).is_err());
        let (content_type, bytes) = encode(Some("application/pdf"), &json!("JVBERi0=")).unwrap();
        assert_eq!(
            (content_type.as_str(), bytes.as_slice()),
            ("application/pdf", &b"%PDF-"[..])
        );
        let (content_type, _) = encode(
            Some("image/*"),
            &json!({"base64": "iVBORw==", "content_type": "image/png"}),
        )
        .unwrap();
        assert_eq!(content_type, "image/png");
        let (content_type, _) = encode(Some("*/*"), &json!("AAAA")).unwrap();
        assert_eq!(content_type, "application/octet-stream");
    }
}
