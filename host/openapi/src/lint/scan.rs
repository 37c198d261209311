//! One pass over the whole value: every `$ref`, every schema `pattern`, and every `required`
//! name a schema's `properties` do not define. Data (`example`, `examples`, `default`, `enum`,
//! `const`, `x-` extensions) is skipped; the keys of name maps (`properties`, `schemas`,
//! `paths`, ...) are never read as keywords.

use serde_json::Value;

use super::{Finding, Severity};

/// A `required` name that is not in `properties`.
pub(crate) const REQUIRED_DEFINED: &str = "schema-required-defined";

/// Keys whose value maps names to nodes (so its keys are names, not keywords).
const NAME_MAPS: &[&str] = &[
    "properties",
    "patternProperties",
    "definitions",
    "$defs",
    "schemas",
    "responses",
    "parameters",
    "requestBodies",
    "headers",
    "securitySchemes",
    "securityDefinitions",
    "links",
    "callbacks",
    "content",
    "paths",
    "encoding",
    "variables",
    "dependentSchemas",
    "webhooks",
    "pathItems",
];

/// Keys whose value is data, not spec structure.
const DATA: &[&str] = &["example", "examples", "default", "enum", "const", "mapping"];

/// A `$ref` string and the pointer of the object that holds it.
#[derive(Debug)]
pub(crate) struct RefSite<'a> {
    /// Pointer of the object with the `$ref` key.
    pub pointer: String,
    /// The `$ref` value.
    pub target: &'a str,
}

/// A `pattern` keyword.
#[derive(Debug)]
pub(crate) struct PatternSite<'a> {
    /// Pointer of the `pattern` value.
    pub pointer: String,
    /// The pattern.
    pub pattern: &'a str,
}

/// A `required` entry naming no property.
#[derive(Debug)]
pub(crate) struct RequiredSite<'a> {
    /// Pointer of the schema.
    pub schema: String,
    /// Index in `required`.
    pub index: usize,
    /// The name.
    pub name: &'a str,
    /// The names `properties` does define.
    pub defined: Vec<&'a str>,
}

/// What [`scan`] collects.
#[derive(Debug, Default)]
pub(crate) struct Scanned<'a> {
    /// Every `$ref` (string-valued).
    pub refs: Vec<RefSite<'a>>,
    /// Every string `pattern` in a node (not in data or name maps).
    pub patterns: Vec<PatternSite<'a>>,
    /// Every undefined `required` name.
    pub required_missing: Vec<RequiredSite<'a>>,
}

/// Walks the value once.
pub(crate) fn scan(value: &Value) -> Scanned<'_> {
    let mut scanned = Scanned::default();
    let mut pointer = String::new();
    walk(value, &mut pointer, false, &mut scanned);
    scanned
}

fn push_segment(pointer: &mut String, segment: &str) {
    pointer.push('/');
    if segment.contains(['~', '/']) {
        pointer.push_str(&crate::source::escape_segment(segment));
    } else {
        pointer.push_str(segment);
    }
}

fn walk<'a>(value: &'a Value, pointer: &mut String, names: bool, out: &mut Scanned<'a>) {
    match value {
        Value::Object(object) => {
            if !names {
                node(object, pointer, out);
            }
            for (key, child) in object {
                if !names && (DATA.contains(&key.as_str()) || key.starts_with("x-")) {
                    continue;
                }
                if !child.is_object() && !child.is_array() {
                    continue;
                }
                let len = pointer.len();
                push_segment(pointer, key);
                walk(
                    child,
                    pointer,
                    !names && NAME_MAPS.contains(&key.as_str()),
                    out,
                );
                pointer.truncate(len);
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                if !item.is_object() && !item.is_array() {
                    continue;
                }
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&index.to_string());
                walk(item, pointer, false, out);
                pointer.truncate(len);
            }
        }
        _ => {}
    }
}

fn node<'a>(object: &'a serde_json::Map<String, Value>, pointer: &str, out: &mut Scanned<'a>) {
    if let Some(Value::String(target)) = object.get("$ref") {
        out.refs.push(RefSite {
            pointer: pointer.to_string(),
            target,
        });
    }
    if let Some(Value::String(pattern)) = object.get("pattern") {
        out.patterns.push(PatternSite {
            pointer: format!("{pointer}/pattern"),
            pattern,
        });
    }
    if let (Some(Value::Array(required)), Some(Value::Object(properties))) =
        (object.get("required"), object.get("properties"))
    {
        // Names may come from composition or a referenced schema: only a plain schema is
        // checked.
        if ["allOf", "anyOf", "oneOf", "$ref", "patternProperties"]
            .iter()
            .any(|k| object.contains_key(*k))
            || is_composition_branch(pointer)
        {
            return;
        }
        for (index, name) in required.iter().enumerate() {
            if let Value::String(name) = name
                && !properties.contains_key(name)
            {
                out.required_missing.push(RequiredSite {
                    schema: pointer.to_string(),
                    index,
                    name,
                    defined: properties.keys().map(String::as_str).collect(),
                });
            }
        }
    }
}

/// Whether the schema at `pointer` is a branch of `allOf`/`anyOf`/`oneOf`: its `required`
/// names may be defined by the parent schema's `properties`.
fn is_composition_branch(pointer: &str) -> bool {
    let mut segments = pointer.rsplit('/');
    let index = segments.next().unwrap_or("");
    let parent = segments.next().unwrap_or("");
    !index.is_empty()
        && index.bytes().all(|b| b.is_ascii_digit())
        && matches!(parent, "allOf" | "anyOf" | "oneOf")
}

/// The finding for an undefined `required` name.
pub(super) fn required_finding(site: &RequiredSite<'_>) -> Finding {
    let hint = match near_match(site.name, &site.defined) {
        Some(close) => {
            format!("did you mean `{close}`? Fix the name in `required` (or run `plugboard clean`)")
        }
        None => format!(
            "define `{}` under `properties`, or remove it from `required` (or run `plugboard clean`)",
            site.name
        ),
    };
    Finding::new(
        REQUIRED_DEFINED,
        Severity::Error,
        format!("{}/required/{}", site.schema, site.index),
        format!(
            "`{}` is listed in `required` but not defined in `properties`",
            site.name
        ),
        hint,
    )
}

/// A defined name equal to `name` ignoring case, `_` and `-` (a likely typo).
pub(crate) fn near_match<'a>(name: &str, defined: &[&'a str]) -> Option<&'a str> {
    let norm = |s: &str| {
        s.chars()
            .filter(|c| *c != '_' && *c != '-')
            .flat_map(char::to_lowercase)
            .collect::<String>()
    };
    let wanted = norm(name);
    defined.iter().copied().find(|d| norm(d) == wanted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_and_data_are_not_keywords() {
        let value = json!({
            "components": {"schemas": {
                "$ref": {"type": "object", "properties": {
                    "pattern": {"type": "string", "pattern": "^a$"},
                    "$ref": {"type": "string"}
                }},
                "E": {"type": "string", "example": {"pattern": "[", "$ref": "#/nowhere"}},
                "R": {"required": ["a", "b"], "properties": {"a": {}}},
                "a/b": {"items": [{"$ref": "#/x"}]}
            }}
        });
        let scanned = scan(&value);
        let patterns: Vec<_> = scanned
            .patterns
            .iter()
            .map(|p| p.pointer.as_str())
            .collect();
        assert_eq!(
            patterns,
            vec!["/components/schemas/$ref/properties/pattern/pattern"]
        );
        let refs: Vec<_> = scanned.refs.iter().map(|r| r.pointer.as_str()).collect();
        assert_eq!(refs, vec!["/components/schemas/a~1b/items/0"]);
        assert_eq!(scanned.required_missing.len(), 1);
        assert_eq!(scanned.required_missing[0].name, "b");
        assert_eq!(scanned.required_missing[0].index, 1);
    }

    #[test]
    fn near_matches() {
        assert_eq!(near_match("user_id", &["userId", "x"]), Some("userId"));
        assert_eq!(near_match("name", &["title"]), None);
    }
}
