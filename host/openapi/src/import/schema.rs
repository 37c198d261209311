//! Resolving local `$ref`s in JSON Schemas: references to component schemas
//! (`#/components/schemas/X`) become references to the definition's shared schemas
//! (`#/schemas/X`), each component copied once; other references are inlined, with cycles and
//! size bounded.

use std::borrow::Cow;
use std::cell::Cell;
use std::collections::{BTreeMap, VecDeque};

use plugboard_definition::SHARED_SCHEMA_PREFIX;
use serde_json::{Map, Value, json};

use super::lazy::Parts;
use crate::source::{escape_segment, unescape_segment};

/// Most `$ref`s followed in a chain (`A -> B -> C`) before giving up.
const MAX_REF_CHAIN: usize = 32;
/// Deepest nesting of inlined references in one schema.
const MAX_REF_DEPTH: usize = 8;
/// Most schema nodes produced by inlined references in one schema; past it references are no
/// longer inlined.
const MAX_NODES: usize = 400;
/// Deepest nesting of schemas kept (a property of a property of ...). Deeper schemas become an
/// open schema with a note: a definition must stay well within what JSON readers take (serde
/// reads 128 levels; each schema level is two of them).
pub(crate) const MAX_SCHEMA_DEPTH: usize = 32;
/// Longest description kept inside an inlined reference.
const MAX_NESTED_DESCRIPTION: usize = 160;
/// Most schema nodes produced by inlined references across a whole import: keeps memory
/// bounded on pathological specs (past it, such references stay unexpanded and a note says
/// so). Component schemas are shared, not inlined, and do not count.
const MAX_TOTAL_NODES: usize = 500_000;
/// Where component schemas live in a spec.
const COMPONENT_PREFIX: &str = "#/components/schemas/";

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
/// Keywords dropped to keep schemas small (documentation only; `example` values can hold
/// references to `#/components/examples/...` that the definition has no place for).
const DROPPED: [&str; 6] = [
    "xml",
    "externalDocs",
    "example",
    "examples",
    "$schema",
    "$id",
];

/// Resolves references against one spec document and collects notes.
pub(crate) struct Resolver<'a> {
    root: &'a Value,
    /// The parts of the document read only when a reference reaches them (see [`Parts`]).
    parts: Option<&'a Parts<'a>>,
    /// Whether a reference reached a place that `parts` mode does not hold (`paths`, a whole
    /// section of `components`).
    reached_unread: Cell<bool>,
    /// Things worth telling the user (dangling or external references).
    pub notes: Vec<String>,
    /// Nodes produced by inlined references so far across every schema.
    total_nodes: usize,
    /// Shared schemas by name: component schemas referenced so far, rewritten.
    pub schemas: BTreeMap<String, Value>,
    /// Component schemas referenced but not copied yet: (name, spec reference).
    pending: VecDeque<(String, String)>,
}

impl<'a> Resolver<'a> {
    #[cfg(test)]
    pub(crate) fn new(root: &'a Value) -> Self {
        Resolver::with_parts(root, None)
    }

    /// A resolver for a document whose path items and component entries are read lazily.
    pub(crate) fn with_parts(root: &'a Value, parts: Option<&'a Parts<'a>>) -> Self {
        Resolver {
            root,
            parts,
            reached_unread: Cell::new(false),
            notes: Vec::new(),
            total_nodes: 0,
            schemas: BTreeMap::new(),
            pending: VecDeque::new(),
        }
    }

    /// Whether a reference reached a place that a lazily read document does not hold (it must
    /// then be imported whole).
    pub(crate) fn reached_unread(&self) -> bool {
        self.reached_unread.get()
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

    /// The value a local reference points at; the fragment is a JSON pointer in URI-fragment
    /// form (RFC 6901 section 6: percent-encoded, `#/paths/~1a~1%7Bid%7D`).
    fn lookup(&self, reference: &str) -> Option<&'a Value> {
        let pointer = crate::lint::refs::local_pointer(reference)?;
        if let Some(parts) = self.parts {
            if parts.unread(&pointer) {
                self.reached_unread.set(true);
            }
            if let Some(found) = parts.lookup(&pointer) {
                return found;
            }
        }
        self.root.pointer(&pointer)
    }

    /// Like [`Resolver::lookup`], for a value used once: a lazily read component is read
    /// again (not kept).
    fn lookup_once(&self, reference: &str) -> Option<Cow<'a, Value>> {
        if let Some(parts) = self.parts
            && let Some(pointer) = crate::lint::refs::local_pointer(reference)
            && let Some(found) = parts.read(&pointer)
        {
            return found.map(Cow::Owned);
        }
        self.lookup(reference).map(Cow::Borrowed)
    }

    /// Whether a local reference points at something.
    fn exists(&self, reference: &str) -> bool {
        if let Some(parts) = self.parts
            && let Some(pointer) = crate::lint::refs::local_pointer(reference)
            && let Some(found) = parts.contains(&pointer)
        {
            return found;
        }
        self.lookup(reference).is_some()
    }

    /// A copy of `schema` for the definition: references to component schemas rewritten to
    /// `#/schemas/X` (and the components copied into [`Resolver::schemas`], transitively),
    /// other local references inlined (a reference already being inlined on the current path
    /// replaced by `{"description": "recursive reference to X"}`), documentation-only keywords
    /// and `x-` extensions dropped, and OpenAPI 3.0 `nullable` turned into a `null` type.
    pub(crate) fn schema(&mut self, schema: &Value, at: &str) -> Value {
        let resolved = self.resolve(schema, &mut State::new(at));
        // Components are copied with a work list (not recursively): chains of components can
        // be long.
        while let Some((name, reference)) = self.pending.pop_front() {
            let copy = match self.lookup_once(&reference) {
                Some(target) => self.resolve(&target, &mut State::new(&reference[1..])),
                None => json!({}),
            };
            self.schemas.insert(name, copy);
        }
        resolved
    }

    /// The shared schema name for a reference to a component schema, if it is one (and it
    /// exists); registers the component to be copied.
    fn component(&mut self, reference: &str) -> Option<String> {
        let segment = reference.strip_prefix(COMPONENT_PREFIX)?;
        if segment.is_empty() || segment.contains('/') {
            return None;
        }
        let name =
            unescape_segment(&percent_encoding::percent_decode_str(segment).decode_utf8_lossy());
        if !self.schemas.contains_key(&name) {
            if !self.exists(reference) {
                return None;
            }
            // A placeholder until the copy is made: marks it as seen (cycles end here).
            self.schemas.insert(name.clone(), Value::Null);
            self.pending
                .push_back((name.clone(), reference.to_string()));
        }
        Some(name)
    }

    /// The keywords next to a `$ref` (allowed in 3.1; they refine the target), resolved;
    /// `None` when there are none.
    fn siblings(
        &mut self,
        map: &Map<String, Value>,
        state: &mut State,
    ) -> Option<Map<String, Value>> {
        let siblings: Map<String, Value> = map
            .iter()
            .filter(|(k, _)| k.as_str() != "$ref")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if siblings.is_empty() {
            return None;
        }
        match self.resolve(&Value::Object(siblings), state) {
            Value::Object(extra) => Some(extra),
            _ => None,
        }
    }

    /// [`Resolver::resolve_level`] one nesting level down, at most [`MAX_SCHEMA_DEPTH`] deep.
    fn resolve(&mut self, schema: &Value, state: &mut State) -> Value {
        if state.depth >= MAX_SCHEMA_DEPTH {
            if !state.truncated {
                state.truncated = true;
                self.notes.push(format!(
                    "{}: the schema nests deeper than {MAX_SCHEMA_DEPTH} levels; deeper parts are left open",
                    state.at
                ));
            }
            return json!({"description": format!("(not expanded: nested deeper than {MAX_SCHEMA_DEPTH} levels)")});
        }
        state.depth += 1;
        let resolved = self.resolve_level(schema, state);
        state.depth -= 1;
        resolved
    }

    fn resolve_level(&mut self, schema: &Value, state: &mut State) -> Value {
        let inlining = !state.stack.is_empty();
        if inlining {
            state.nodes += 1;
            self.total_nodes += 1;
        }
        let Value::Object(map) = schema else {
            return schema.clone();
        };
        if state.nodes > MAX_NODES {
            return json!({"description": "(not expanded: the schema is too large)"});
        }
        if self.total_nodes > MAX_TOTAL_NODES {
            if self.total_nodes == MAX_TOTAL_NODES + 1 {
                self.notes.push(format!(
                    "the spec's inlined references are very large: past {MAX_TOTAL_NODES} schema nodes, references other than to component schemas are no longer expanded"
                ));
            }
            return json!({"description": "(not expanded: the spec's schemas are too large)"});
        }
        if let Some(reference) = map.get("$ref").and_then(Value::as_str)
            && let Some(name) = self.component(reference)
        {
            let mut out = Map::new();
            out.insert(
                "$ref".into(),
                Value::String(format!("{SHARED_SCHEMA_PREFIX}{}", escape_segment(&name))),
            );
            if let Some(extra) = self.siblings(map, state) {
                out.extend(extra.into_iter().filter(|(k, _)| k != "$ref"));
            }
            return Value::Object(out);
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
            if let Value::Object(resolved_map) = &mut resolved
                && let Some(extra) = self.siblings(map, state)
            {
                resolved_map.extend(extra);
            }
            return resolved;
        }
        // Sized once: a definition holds many small schemas, and a map grown entry by entry
        // keeps up to twice the room it needs.
        let mut out = Map::with_capacity(map.len());
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
    /// Schema levels above the one being resolved.
    depth: usize,
    /// Whether a too deep part was left open (noted once per schema).
    truncated: bool,
}

impl State {
    fn new(at: &str) -> State {
        State {
            stack: Vec::new(),
            nodes: 0,
            at: at.to_string(),
            depth: 0,
            truncated: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn component_refs_are_shared_and_other_refs_inlined() {
        let root = json!({"components": {"schemas": {
            "Node": {"type": "object", "x-internal": true, "properties": {
                "x-name": {"type": "string", "nullable": true,
                    "example": {"$ref": "#/components/examples/e"}},
                "child": {"$ref": "#/components/schemas/Node"},
                "tag": {"$ref": "#/components/schemas/a~1Tag"},
                "copy": {"$ref": "#/components/schemas/Node/properties/x-name"}}},
            "a/Tag": {"type": "string", "xml": {"name": "t"}},
            "Loop": {"type": "object", "properties": {
                "self": {"$ref": "#/components/schemas/Loop/properties/self"}}}}}});
        let mut resolver = Resolver::new(&root);
        let schema = resolver.schema(&json!({"$ref": "#/components/schemas/Node"}), "/x");
        assert_eq!(schema, json!({"$ref": "#/schemas/Node"}));
        assert_eq!(
            resolver.schemas["Node"],
            json!({"type": "object", "properties": {
                "x-name": {"type": ["string", "null"]},
                "child": {"$ref": "#/schemas/Node"},
                "tag": {"$ref": "#/schemas/a~1Tag"},
                "copy": {"type": ["string", "null"]}}})
        );
        assert_eq!(resolver.schemas["a/Tag"], json!({"type": "string"}));
        assert_eq!(resolver.schemas.len(), 2);
        // A cycle through inlined references is cut.
        let looped = resolver.schema(
            &json!({"$ref": "#/components/schemas/Loop/properties/self"}),
            "/z",
        );
        assert_eq!(looped["description"], "recursive reference to self");
        let dangling = resolver.schema(&json!({"$ref": "#/nope"}), "/y");
        assert_eq!(dangling["description"], "unresolved reference #/nope");
        let missing = resolver.schema(&json!({"$ref": "#/components/schemas/Nope"}), "/w");
        assert_eq!(
            missing["description"],
            "unresolved reference #/components/schemas/Nope"
        );
        assert_eq!(resolver.notes.len(), 2);
    }
}
