//! A call's request body checked against its action's body schema, from the signed manifest,
//! before the component runs: a body that does not fit is an `invalid-input` error naming the
//! field (`body.items.0.price`), not an upstream 400 with whatever the API says.
//!
//! Validators are compiled once per action and bundle (lazily, on first call), with only the
//! shared schemas the body reaches; patterns use the linear-time `regex` engine, so a hostile
//! pattern cannot stall the host. A schema the validator cannot compile is not checked (the API
//! still judges the body).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, OnceLock};

use jsonschema::{PatternOptions, Validator};
use plugboard_manifest::section::ManifestSection;
use serde_json::{Map, Value};

/// Most shared schemas one body schema may pull in.
const MAX_REACHED: usize = 4096;

/// Compiled body validators of one bundle, by action id (`None`: nothing to check).
#[derive(Default)]
pub(crate) struct BodyChecks {
    compiled: Mutex<HashMap<String, Option<Arc<Validator>>>>,
    shared: OnceLock<BTreeMap<String, Value>>,
}

/// A body that does not fit its schema: where (a dotted path from `body`) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BodyProblem {
    pub(crate) field: String,
    pub(crate) message: String,
}

impl BodyChecks {
    /// Checks the `body` of a call's input (JSON text) against the action's body schema.
    pub(crate) fn check(
        &self,
        manifest: &ManifestSection,
        action: &str,
        input: &str,
    ) -> Result<(), BodyProblem> {
        let Some(validator) = self.validator(manifest, action) else {
            return Ok(());
        };
        // Input that is not JSON, or has no body, is the engine's to report.
        let Ok(input) = serde_json::from_str::<Value>(input) else {
            return Ok(());
        };
        let Some(body) = input.get("body") else {
            return Ok(());
        };
        match validator.iter_errors(body).next() {
            None => Ok(()),
            Some(error) => {
                let mut field = String::from("body");
                for segment in error.instance_path().as_str().split('/').skip(1) {
                    field.push('.');
                    field.push_str(&segment.replace("~1", "/").replace("~0", "~"));
                }
                Err(BodyProblem {
                    field,
                    message: error.to_string(),
                })
            }
        }
    }

    fn validator(&self, manifest: &ManifestSection, action: &str) -> Option<Arc<Validator>> {
        let mut compiled = self.compiled.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(known) = compiled.get(action) {
            return known.clone();
        }
        let built = self.build(manifest, action).map(Arc::new);
        compiled.insert(action.to_string(), built.clone());
        built
    }

    fn build(&self, manifest: &ManifestSection, action: &str) -> Option<Validator> {
        let action = manifest.action(action).ok()??;
        let schema = action.input_schema.pointer("/properties/body")?.clone();
        let shared = self
            .shared
            .get_or_init(|| manifest.schemas().unwrap_or_default());
        let mut root = match schema {
            Value::Object(map) => map,
            Value::Bool(true) => return None,
            other => {
                let mut map = Map::new();
                map.insert("allOf".into(), Value::Array(vec![other]));
                map
            }
        };
        let reached = reached_schemas(&Value::Object(root.clone()), shared)?;
        if !reached.is_empty() {
            root.insert("schemas".into(), Value::Object(reached));
        }
        jsonschema::options()
            .should_validate_formats(false)
            .with_pattern_options(PatternOptions::regex())
            .build(&Value::Object(root))
            .map_err(|e| tracing::debug!(%e, "a body schema does not compile; bodies go unchecked"))
            .ok()
    }
}

/// The shared schemas `schema` reaches through `#/schemas/...` references, transitively; `None`
/// when there are too many to check bodies cheaply.
fn reached_schemas(schema: &Value, shared: &BTreeMap<String, Value>) -> Option<Map<String, Value>> {
    let mut reached = Map::new();
    let mut pending = Vec::new();
    collect_refs(schema, &mut pending);
    while let Some(name) = pending.pop() {
        if reached.contains_key(&name) {
            continue;
        }
        let Some(target) = shared.get(&name) else {
            continue;
        };
        if reached.len() >= MAX_REACHED {
            return None;
        }
        collect_refs(target, &mut pending);
        reached.insert(name, target.clone());
    }
    Some(reached)
}

fn collect_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(name) = map
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(plugboard_manifest::rules::shared_schema_name)
            {
                out.push(name);
            }
            map.values().for_each(|v| collect_refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}
