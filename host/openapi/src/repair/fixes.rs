//! The fixes for the troubleshooting classes, one function each.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value, json};

use super::Change;
use crate::lint::checks::{
    INFO_DESCRIPTION, METHODS, OPERATION_ID, OPERATION_ID_UNIQUE, TRAILING_SLASH, path_pointer,
    suggested_operation_id,
};
use crate::lint::pattern::{PATTERN_DELIMITERS, PATTERN_VALID, PatternCache, Problem};
use crate::lint::refs::{CIRCULAR, RefGraph};
use crate::lint::scan::{REQUIRED_DEFINED, near_match, scan};

/// The path key without trailing slashes (`/` stays `/`).
fn trimmed(path: &str) -> &str {
    let t = path.trim_end_matches('/');
    if t.is_empty() { "/" } else { t }
}

/// Strips trailing slashes from path keys; paths that become equal are merged when no key
/// (method, `parameters`, ...) appears in two of them with different values.
pub(super) fn trailing_slashes(value: &mut Value, changes: &mut Vec<Change>) {
    let Some(Value::Object(paths)) = value.get_mut("paths") else {
        return;
    };
    if !paths.keys().any(|p| p.len() > 1 && p.ends_with('/')) {
        return;
    }
    // Group the keys by their trimmed form and decide which groups merge cleanly.
    let mut groups: HashMap<String, Vec<String>> = HashMap::new();
    for path in paths.keys() {
        groups
            .entry(trimmed(path).to_string())
            .or_default()
            .push(path.clone());
    }
    let mut blocked: HashMap<String, String> = HashMap::new();
    for (target, members) in &groups {
        if members.len() < 2 {
            continue;
        }
        let mut seen: HashMap<&str, (&str, &Value)> = HashMap::new();
        'members: for member in members {
            let Some(Value::Object(item)) = paths.get(member.as_str()) else {
                continue;
            };
            for (key, v) in item {
                match seen.get(key.as_str()) {
                    Some((other, existing)) if *existing != v => {
                        blocked.insert(
                            target.to_string(),
                            format!("`{other}` and `{member}` both define `{key}` differently"),
                        );
                        break 'members;
                    }
                    Some(_) => {}
                    None => {
                        seen.insert(key, (member, v));
                    }
                }
            }
        }
    }
    let mut merged = Map::new();
    for (path, item) in std::mem::take(paths) {
        let target = trimmed(&path).to_string();
        if target == path {
            merge_into(&mut merged, path, item);
            continue;
        }
        let pointer = path_pointer(&path);
        if let Some(why) = blocked.get(&target) {
            changes.push(Change::new(
                TRAILING_SLASH,
                pointer,
                format!("left `{path}` as it is: stripping the slash would merge it into `{target}`, but {why}; merge them by hand"),
            ));
            merge_into(&mut merged, path, item);
            continue;
        }
        let description = if groups.get(target.as_str()).is_some_and(|g| g.len() > 1) {
            format!("merged `{path}` into `{target}`")
        } else {
            format!("renamed `{path}` to `{target}`")
        };
        changes.push(Change::new(TRAILING_SLASH, pointer, description));
        merge_into(&mut merged, target, item);
    }
    *paths = merged;
}

fn merge_into(paths: &mut Map<String, Value>, key: String, item: Value) {
    match (paths.get_mut(&key), item) {
        (Some(Value::Object(existing)), Value::Object(item)) => {
            for (k, v) in item {
                existing.entry(k).or_insert(v);
            }
        }
        (_, item) => {
            paths.insert(key, item);
        }
    }
}

/// Generates missing operationIds from method and path and renames later duplicates.
pub(super) fn operation_ids(value: &mut Value, changes: &mut Vec<Change>) {
    let Some(Value::Object(paths)) = value.get_mut("paths") else {
        return;
    };
    let mut taken: HashSet<String> = HashSet::new();
    for item in paths.values() {
        for method in METHODS {
            if let Some(Value::String(id)) = item.get(*method).and_then(|op| op.get("operationId"))
                && !id.trim().is_empty()
            {
                taken.insert(id.clone());
            }
        }
    }
    let unique = |base: &str, taken: &mut HashSet<String>| -> String {
        let mut candidate = base.to_string();
        let mut n = 2;
        while taken.contains(&candidate) {
            candidate = format!("{base}{n}");
            n += 1;
        }
        taken.insert(candidate.clone());
        candidate
    };
    let mut seen: HashSet<String> = HashSet::new();
    for (path, item) in paths.iter_mut() {
        let Value::Object(item) = item else { continue };
        for method in METHODS {
            let Some(Value::Object(op)) = item.get_mut(*method) else {
                continue;
            };
            let pointer = format!("{}/{method}", path_pointer(path));
            let upper = method.to_ascii_uppercase();
            match op.get("operationId") {
                Some(Value::String(id)) if !id.trim().is_empty() => {
                    if seen.insert(id.clone()) {
                        continue;
                    }
                    let new = unique(id, &mut taken);
                    changes.push(Change::new(
                        OPERATION_ID_UNIQUE,
                        format!("{pointer}/operationId"),
                        format!(
                            "renamed duplicate operationId `{id}` of {upper} {path} to `{new}`"
                        ),
                    ));
                    seen.insert(new.clone());
                    op.insert("operationId".into(), Value::String(new));
                }
                _ => {
                    let new = unique(&suggested_operation_id(method, path), &mut taken);
                    changes.push(Change::new(
                        OPERATION_ID,
                        pointer,
                        format!("added operationId `{new}` to {upper} {path}"),
                    ));
                    seen.insert(new.clone());
                    op.insert("operationId".into(), Value::String(new));
                }
            }
        }
    }
}

/// Fills a missing or empty `info.description` from the title.
pub(super) fn info_description(value: &mut Value, changes: &mut Vec<Change>) {
    let Value::Object(root) = value else { return };
    let info = root
        .entry("info")
        .or_insert_with(|| json!({"title": "API", "version": "1.0.0"}));
    if !info.is_object() {
        *info = json!({"title": "API", "version": "1.0.0"});
    }
    let Value::Object(info) = info else { return };
    if matches!(info.get("description"), Some(Value::String(d)) if !d.trim().is_empty()) {
        return;
    }
    let (description, from) = match info.get("title") {
        Some(Value::String(t)) if !t.trim().is_empty() => (t.clone(), "the title"),
        _ => (
            "No description provided.".to_string(),
            "a placeholder (no title either)",
        ),
    };
    changes.push(Change::new(
        INFO_DESCRIPTION,
        "/info/description",
        format!("set `info.description` from {from}: \"{description}\""),
    ));
    info.insert("description".into(), Value::String(description));
}

/// Drops invalid patterns; removes `/` delimiters from patterns written without flags.
pub(super) fn patterns(value: &mut Value, changes: &mut Vec<Change>) {
    let mut cache = PatternCache::default();
    let mut edits: Vec<(String, Option<String>)> = Vec::new();
    for site in scan(value).patterns {
        match cache.problem(site.pattern) {
            Some(Problem::Invalid(reason)) => {
                changes.push(Change::new(
                    PATTERN_VALID,
                    site.pointer.clone(),
                    format!("dropped invalid pattern `{}` ({reason})", site.pattern),
                ));
                edits.push((site.pointer, None));
            }
            Some(Problem::Delimited { body, flags }) if flags.is_empty() => {
                changes.push(Change::new(
                    PATTERN_DELIMITERS,
                    site.pointer.clone(),
                    format!("removed the `/` delimiters: `{}` -> `{body}`", site.pattern),
                ));
                edits.push((site.pointer, Some(body)));
            }
            _ => {}
        }
    }
    for (pointer, replacement) in edits {
        let Some((parent, _)) = pointer.rsplit_once('/') else {
            continue;
        };
        if let Some(Value::Object(schema)) = value.pointer_mut(parent) {
            match replacement {
                Some(body) => {
                    schema.insert("pattern".into(), Value::String(body));
                }
                None => {
                    schema.remove("pattern");
                }
            }
        }
    }
}

/// Fixes `required` names that `properties` does not define: a near match (same name up to
/// case, `_` and `-`) replaces the name; otherwise the property is added (allowing any value).
pub(super) fn required(value: &mut Value, changes: &mut Vec<Change>) {
    // (schema pointer, index, name, near match), owned so the value can be edited after.
    let sites: Vec<(String, usize, String, Option<String>)> = scan(value)
        .required_missing
        .into_iter()
        .map(|s| {
            let near = near_match(s.name, &s.defined).map(str::to_string);
            (s.schema, s.index, s.name.to_string(), near)
        })
        .collect();
    // Back to front so removals do not shift the indices still to come.
    for (schema_ptr, index, name, near) in sites.into_iter().rev() {
        let Some(Value::Object(schema)) = value.pointer_mut(&schema_ptr) else {
            continue;
        };
        let pointer = format!("{schema_ptr}/required/{index}");
        match near {
            Some(near) => {
                let Some(Value::Array(required)) = schema.get_mut("required") else {
                    continue;
                };
                let already = required.iter().any(|r| r.as_str() == Some(near.as_str()));
                if already {
                    required.remove(index);
                    changes.push(Change::new(
                        REQUIRED_DEFINED,
                        pointer,
                        format!("removed `{name}` from `required` (not in `properties`; `{near}` is already required)"),
                    ));
                } else {
                    required[index] = Value::String(near.clone());
                    changes.push(Change::new(
                        REQUIRED_DEFINED,
                        pointer,
                        format!("removed `{name}` from `required` and required the defined property `{near}` instead"),
                    ));
                }
            }
            None => {
                if let Some(Value::Object(properties)) = schema.get_mut("properties") {
                    properties.insert(
                        name.clone(),
                        json!({"description": "Added by plugboard clean: listed in `required` but not defined."}),
                    );
                    changes.push(Change::new(
                        REQUIRED_DEFINED,
                        pointer,
                        format!(
                            "added `{name}` to `properties` (any value) since `required` lists it"
                        ),
                    ));
                }
            }
        }
    }
}

/// Breaks each `$ref` cycle at the reference that closes it: the `$ref` is replaced by a plain
/// schema of the target's `type` (or `object`).
pub(super) fn cycles(value: &mut Value, changes: &mut Vec<Change>) {
    let found = {
        let scanned = scan(value);
        let mut ignored = Vec::new();
        RefGraph::build(value, &scanned.refs, &mut ignored).cycles()
    };
    for cycle in found {
        let target = cycle.path.last().cloned().unwrap_or_default();
        let name = target.rsplit('/').next().unwrap_or_default().to_string();
        let kind = value
            .pointer(&target)
            .and_then(|t| t.get("type"))
            .and_then(Value::as_str)
            .unwrap_or("object")
            .to_string();
        for site in &cycle.closing {
            let Some(Value::Object(object)) = value.pointer_mut(site) else {
                continue;
            };
            object.remove("$ref");
            object
                .entry("type")
                .or_insert_with(|| Value::String(kind.clone()));
            object.entry("description").or_insert_with(|| {
                Value::String(format!(
                    "Circular reference to `{}` removed by plugboard clean.",
                    crate::source::unescape_segment(&name)
                ))
            });
            changes.push(Change::new(
                CIRCULAR,
                site.clone(),
                format!(
                    "broke the cycle {} here: replaced the `$ref` with `type: {kind}`",
                    cycle.describe()
                ),
            ));
        }
    }
}
