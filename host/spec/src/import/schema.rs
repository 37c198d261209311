//! Resolving local `$ref`s into self-contained JSON Schemas, with cycles and size bounded.

use serde_json::{Map, Value, json};

/// Most `$ref`s followed in a chain (`A -> B -> C`) before giving up.
const MAX_REF_CHAIN: usize = 32;
/// Deepest nesting of expanded references in one schema.
const MAX_REF_DEPTH: usize = 8;
/// Most schema nodes in one resolved schema; past it references are no longer expanded.
const MAX_NODES: usize = 400;
/// Longest description kept inside an expanded reference.
const MAX_NESTED_DESCRIPTION: usize = 160;
/// Most schema nodes expanded across a whole import: keeps memory bounded on huge specs (past
/// it, references stay unexpanded and a note says so).
const MAX_TOTAL_NODES: usize = 500_000;

/// Keywords whose value is a map of name -> schema.
const SCHEMA_MAPS: [&str; 5] = [
    "properties",
    "patternProperties",
    "$defs",
    "definitions",
    "dependentSchemas",
];
/// Keywords whose value is one schema.
const SCHEMA_ONE: [&str; 10] = [
    "items",
    "additionalProperties",
    "not",
    "contains",
    "propertyNames",
    "if",
    "then",
    "else",
    "unevaluatedProperties",
    "unevaluatedItems",
];
/// Keywords whose value is a list of schemas.
const SCHEMA_LISTS: [&str; 4] = ["allOf", "anyOf", "oneOf", "prefixItems"];
/// Keywords dropped to keep schemas small (documentation only).
const DROPPED: [&str; 5] = ["xml", "externalDocs", "examples", "$schema", "$id"];

/// Resolves references against one spec document and collects notes.
pub(crate) struct Resolver<'a> {
    root: &'a Value,
    /// Things worth telling the user (dangling or external references).
    pub notes: Vec<String>,
    /// Nodes expanded so far across every schema.
    total_nodes: usize,
}

impl<'a> Resolver<'a> {
    pub(crate) fn new(root: &'a Value) -> Self {
        Resolver {
            root,
            notes: Vec::new(),
            total_nodes: 0,
        }
    }

    /// Follows `$ref` on a non-schema object (parameter, request body, response, path item)
    /// until it is no longer a reference. `None` for a dangling or external reference (noted).
    pub(crate) fn deref<'v>(&mut self, value: &'v Value, at: &str) -> Option<&'v Value>
    where
        'a: 'v,
    {
        let mut current = value;
        for _ in 0..MAX_REF_CHAIN {
            let Some(reference) = current.get("$ref").and_then(Value::as_str) else {
                return Some(current);
            };
            match self.lookup(reference) {
                Some(target) => current = target,
                None => {
                    self.notes.push(format!(
                        "{at}: reference `{reference}` cannot be resolved (only local `#/...` references that exist are); skipped"
                    ));
                    return None;
                }
            }
        }
        self.notes.push(format!(
            "{at}: more than {MAX_REF_CHAIN} chained references; skipped"
        ));
        None
    }

    fn lookup(&self, reference: &str) -> Option<&'a Value> {
        let fragment = reference.strip_prefix('#')?;
        if fragment.is_empty() {
            return Some(self.root);
        }
        self.root.pointer(fragment)
    }

    /// A self-contained copy of `schema`: local references inlined, a reference already being
    /// expanded on the current path replaced by `{"description": "recursive reference to X"}`,
    /// documentation-only keywords and `x-` extensions dropped, and OpenAPI 3.0 `nullable`
    /// turned into a `null` type.
    pub(crate) fn schema(&mut self, schema: &Value, at: &str) -> Value {
        let mut state = State {
            stack: Vec::new(),
            nodes: 0,
            at: at.to_string(),
        };
        self.resolve(schema, &mut state)
    }

    fn resolve(&mut self, schema: &Value, state: &mut State) -> Value {
        state.nodes += 1;
        self.total_nodes += 1;
        let Value::Object(map) = schema else {
            return schema.clone();
        };
        if state.nodes > MAX_NODES {
            return json!({"description": "(not expanded: the schema is too large)"});
        }
        if self.total_nodes > MAX_TOTAL_NODES {
            if self.total_nodes == MAX_TOTAL_NODES + 1 {
                self.notes.push(format!(
                    "the spec's schemas are very large: past {MAX_TOTAL_NODES} schema nodes, action schemas are no longer expanded"
                ));
            }
            return json!({"description": "(not expanded: the spec's schemas are too large)"});
        }
        if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
            let name = reference
                .rsplit('/')
                .next()
                .unwrap_or(reference)
                .to_string();
            if state.stack.iter().any(|r| r == reference) {
                return json!({"description": format!("recursive reference to {name}")});
            }
            if state.stack.len() >= MAX_REF_DEPTH || state.nodes >= MAX_NODES {
                return json!({"description": format!("{name} (not expanded: the schema is too large)")});
            }
            let Some(target) = self.lookup(reference) else {
                self.notes.push(format!(
                    "{}: reference `{reference}` cannot be resolved (only local `#/...` references that exist are); left open",
                    state.at
                ));
                return json!({"description": format!("unresolved reference {reference}")});
            };
            state.stack.push(reference.to_string());
            let mut resolved = self.resolve(target, state);
            state.stack.pop();
            // Keywords next to `$ref` (allowed in 3.1) refine the target.
            let siblings: Map<String, Value> = map
                .iter()
                .filter(|(k, _)| k.as_str() != "$ref")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            if !siblings.is_empty()
                && let Value::Object(resolved_map) = &mut resolved
                && let Value::Object(extra) = self.resolve(&Value::Object(siblings), state)
            {
                resolved_map.extend(extra);
            }
            return resolved;
        }
        let mut out = Map::new();
        for (key, value) in map {
            if DROPPED.contains(&key.as_str()) || key.starts_with("x-") {
                continue;
            }
            let value = if SCHEMA_MAPS.contains(&key.as_str()) {
                match value {
                    Value::Object(members) => Value::Object(
                        members
                            .iter()
                            .map(|(name, s)| (name.clone(), self.resolve(s, state)))
                            .collect(),
                    ),
                    other => other.clone(),
                }
            } else if SCHEMA_ONE.contains(&key.as_str()) {
                self.resolve(value, state)
            } else if SCHEMA_LISTS.contains(&key.as_str()) {
                match value {
                    Value::Array(items) => {
                        Value::Array(items.iter().map(|s| self.resolve(s, state)).collect())
                    }
                    other => other.clone(),
                }
            } else if key == "discriminator" {
                // The mapping names component schemas that are inlined here (and can list
                // thousands of them): keep only the property name.
                match value.get("propertyName") {
                    Some(name) => json!({"propertyName": name}),
                    None => continue,
                }
            } else if key == "description" && !state.stack.is_empty() {
                // Descriptions of referenced schemas are repeated in every action that uses
                // them: keep them short.
                match value {
                    Value::String(text) if text.chars().count() > MAX_NESTED_DESCRIPTION => {
                        let short: String = text.chars().take(MAX_NESTED_DESCRIPTION).collect();
                        Value::String(format!("{short}..."))
                    }
                    other => other.clone(),
                }
            } else {
                value.clone()
            };
            out.insert(key.clone(), value);
        }
        if out.get("nullable") == Some(&Value::Bool(true)) {
            out.remove("nullable");
            if let Some(Value::String(kind)) = out.get("type") {
                let kind = kind.clone();
                out.insert("type".into(), json!([kind, "null"]));
            }
        }
        Value::Object(out)
    }
}

struct State {
    stack: Vec<String>,
    nodes: usize,
    at: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cycles_are_bounded_and_refs_inlined() {
        let root = json!({"components": {"schemas": {
            "Node": {"type": "object", "x-internal": true, "properties": {
                "x-name": {"type": "string", "nullable": true},
                "child": {"$ref": "#/components/schemas/Node"},
                "tag": {"$ref": "#/components/schemas/Tag"}}},
            "Tag": {"type": "string", "xml": {"name": "t"}}}}});
        let mut resolver = Resolver::new(&root);
        let schema = resolver.schema(&json!({"$ref": "#/components/schemas/Node"}), "/x");
        assert_eq!(
            schema,
            json!({"type": "object", "properties": {
                "x-name": {"type": ["string", "null"]},
                "child": {"description": "recursive reference to Node"},
                "tag": {"type": "string"}}})
        );
        let dangling = resolver.schema(&json!({"$ref": "#/nope"}), "/y");
        assert_eq!(dangling["description"], "unresolved reference #/nope");
        assert_eq!(resolver.notes.len(), 1);
    }
}
