//! Does the results key find the items? If not, which arrays of the page could be them.

use serde::Serialize;
use serde_json::Value;

use crate::{Check, Verdict};

/// An array in a page that could hold the results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Candidate {
    /// Its dotted path (empty: the body itself), as the results key writes it.
    pub path: String,
    /// How many items it holds.
    pub items: usize,
    /// Whether its items are objects (results usually are).
    pub objects: bool,
}

/// How deep candidates are looked for.
const DEPTH: usize = 4;

fn shown(key: &str) -> String {
    if key.is_empty() {
        "(the body)".to_string()
    } else {
        format!("`{key}`")
    }
}

/// The value at a dotted path.
pub(crate) fn dotted<'a>(body: &'a Value, path: &str) -> Option<&'a Value> {
    if path.is_empty() {
        return Some(body);
    }
    path.split('.').try_fold(body, |value, key| value.get(key))
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "object",
    }
}

/// The check of `key` on a page's body, and the candidates when it fails.
pub(crate) fn check(body: &Value, key: &str, paginated: bool) -> (Check, Vec<Candidate>) {
    match dotted(body, key) {
        Some(Value::Array(items)) => (
            Check::new(
                Verdict::Ok,
                format!("results key {} finds {} item(s)", shown(key), items.len()),
            ),
            Vec::new(),
        ),
        Some(other) if !paginated && key.is_empty() => (
            Check::new(
                Verdict::Ok,
                format!("the response is a JSON {}", kind(other)),
            ),
            Vec::new(),
        ),
        found => {
            let found_what = match found {
                Some(other) => format!("holds a {}, not a list", kind(other)),
                None => "is not in the response".to_string(),
            };
            let candidates = candidates(body);
            let hint = match candidates.first() {
                Some(best) => format!(
                    "set the results key to {} ({} item(s))",
                    shown(&best.path),
                    best.items
                ),
                None => "the page holds no list at all: check the path and inputs".to_string(),
            };
            (
                Check::new(
                    Verdict::Failed,
                    format!("results key {} {found_what}", shown(key)),
                )
                .hint(hint),
                candidates,
            )
        }
    }
}

/// Every array of the page (to a few levels), best first: lists of objects, then longer ones,
/// then shallower ones.
pub(crate) fn candidates(body: &Value) -> Vec<Candidate> {
    let mut out = Vec::new();
    walk(body, String::new(), 0, &mut out);
    out.sort_by(|a, b| {
        b.objects
            .cmp(&a.objects)
            .then(b.items.cmp(&a.items))
            .then(
                a.path
                    .matches('.')
                    .count()
                    .cmp(&b.path.matches('.').count()),
            )
            .then(a.path.cmp(&b.path))
    });
    out
}

fn walk(value: &Value, path: String, depth: usize, out: &mut Vec<Candidate>) {
    match value {
        Value::Array(items) => out.push(Candidate {
            objects: !items.is_empty() && items.iter().all(Value::is_object),
            items: items.len(),
            path,
        }),
        Value::Object(map) if depth < DEPTH => {
            for (key, child) in map {
                if key.contains('.') {
                    continue; // a dotted path cannot name it
                }
                let child_path = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                walk(child, child_path, depth + 1, out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_wrong_key_lists_the_arrays_best_first() {
        let body =
            json!({"meta": {"tags": ["a", "b", "c"]}, "data": {"items": [{"id": 1}, {"id": 2}]}});
        let (check, candidates) = check(&body, "items", true);
        assert_eq!(check.verdict, Verdict::Failed);
        assert!(check.hint.as_deref().unwrap_or("").contains("`data.items`"));
        assert_eq!(candidates[0].path, "data.items");
        assert_eq!(candidates[1].path, "meta.tags");
        let (check, _) = super::check(&body, "data.items", true);
        assert_eq!(check.verdict, Verdict::Ok);
        let (check, candidates) = super::check(&json!([{"id": 1}]), "items", true);
        assert_eq!(check.verdict, Verdict::Failed);
        assert_eq!(candidates[0].path, "");
    }
}
