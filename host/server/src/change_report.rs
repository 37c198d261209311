//! What changed between two finalized versions of an integration: actions added, removed,
//! renamed and changed, with breaking changes flagged (what an installation depends on).
//! Action ids are stable across renames, so a rename is not a removal.

use std::collections::BTreeMap;

use plugboard_definition::{Action, Definition};
use serde_json::{Value, json};

/// A required input key of an action (parameters and body).
fn required_inputs(action: &Action) -> Vec<String> {
    let mut out: Vec<String> = action
        .parameters
        .iter()
        .filter(|p| p.required)
        .map(|p| p.name.clone())
        .collect();
    if action.request_body.as_ref().is_some_and(|b| b.required) {
        out.push("body".into());
    }
    out
}

/// The change report from `previous` (None for the first version) to `next`.
pub fn change_report(previous: Option<&Definition>, next: &Definition) -> Value {
    let Some(previous) = previous else {
        return json!({
            "first_version": true,
            "added": next.actions.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(),
            "removed": [], "renamed": [], "changed": [], "breaking": false,
            "breaking_reasons": [],
        });
    };
    let before: BTreeMap<&str, &Action> = previous
        .actions
        .iter()
        .map(|a| (a.id.as_str(), a))
        .collect();
    let after: BTreeMap<&str, &Action> = next.actions.iter().map(|a| (a.id.as_str(), a)).collect();
    let added: Vec<&str> = after
        .keys()
        .filter(|id| !before.contains_key(*id))
        .copied()
        .collect();
    let removed: Vec<&str> = before
        .keys()
        .filter(|id| !after.contains_key(*id))
        .copied()
        .collect();
    let mut renamed = Vec::new();
    let mut changed = Vec::new();
    let mut breaking_reasons: Vec<String> = removed
        .iter()
        .map(|id| format!("action `{id}` was removed"))
        .collect();
    for (id, old) in &before {
        let Some(new) = after.get(id) else { continue };
        if old.name != new.name {
            renamed.push(json!({"id": id, "from": old.name, "to": new.name}));
        }
        let mut what = Vec::new();
        if old.method != new.method || old.path != new.path {
            what.push("method or path");
            breaking_reasons.push(format!(
                "action `{id}` moved from {} {} to {} {}",
                old.method.as_str(),
                old.path,
                new.method.as_str(),
                new.path
            ));
        }
        let old_required = required_inputs(old);
        let new_required: Vec<String> = required_inputs(new)
            .into_iter()
            .filter(|k| !old_required.contains(k))
            .collect();
        if !new_required.is_empty() {
            what.push("required inputs");
            breaking_reasons.push(format!(
                "action `{id}` now requires {}",
                new_required.join(", ")
            ));
        }
        // A parameter whose schema changed (type, format, enum, ...) can refuse inputs that
        // installed callers send today.
        for parameter in &old.parameters {
            if let Some(now) = new.parameters.iter().find(|p| p.name == parameter.name)
                && now.schema != parameter.schema
            {
                what.push("a parameter's schema");
                breaking_reasons.push(format!(
                    "action `{id}` changed the schema of parameter `{}`",
                    parameter.name
                ));
            }
        }
        let schema = |a: &Action| {
            serde_json::to_value((
                &a.parameters,
                &a.request_body,
                &a.output_schema,
                a.paginated,
            ))
            .unwrap_or(Value::Null)
        };
        if schema(old) != schema(new) && what.is_empty() {
            what.push("parameters, body, output or pagination");
        }
        if !what.is_empty() {
            changed.push(json!({"id": id, "what": what}));
        }
    }
    if previous.hostname != next.hostname || previous.base_path != next.base_path {
        breaking_reasons.push(format!(
            "the API moved from {}{} to {}{}",
            previous.hostname, previous.base_path, next.hostname, next.base_path
        ));
    }
    if std::mem::discriminant(&previous.auth) != std::mem::discriminant(&next.auth) {
        breaking_reasons.push("the auth type changed (installations need new credentials)".into());
    }
    json!({
        "first_version": false,
        "added": added,
        "removed": removed,
        "renamed": renamed,
        "changed": changed,
        "breaking": !breaking_reasons.is_empty(),
        "breaking_reasons": breaking_reasons,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn definition(actions: Value, hostname: &str) -> Definition {
        Definition::from_json(
            &json!({"definition_version": 1, "name": "T", "description": "d",
                "hostname": hostname, "actions": actions})
            .to_string(),
        )
        .unwrap()
    }

    #[test]
    fn renames_additions_and_breaking_changes() {
        let v1 = definition(
            json!([
                {"id": "list", "name": "List", "method": "GET", "path": "/items"},
                {"id": "get", "name": "Get", "method": "GET", "path": "/items/{id}", "parameters": [{"name": "id", "in": "path", "required": true}]},
                {"id": "drop", "name": "Drop", "method": "DELETE", "path": "/items/{id}", "parameters": [{"name": "id", "in": "path", "required": true}]}
            ]),
            "api.example.com",
        );
        let v2 = definition(
            json!([
                {"id": "list", "name": "List items", "method": "GET", "path": "/items"},
                {"id": "get", "name": "Get", "method": "GET", "path": "/v2/items/{id}", "parameters": [{"name": "id", "in": "path", "required": true}]},
                {"id": "add", "name": "Add", "method": "POST", "path": "/items"}
            ]),
            "api.example.com",
        );
        let report = change_report(Some(&v1), &v2);
        assert_eq!(report["added"], json!(["add"]));
        assert_eq!(report["removed"], json!(["drop"]));
        assert_eq!(report["renamed"][0]["to"], "List items");
        assert_eq!(report["changed"][0]["id"], "get");
        assert_eq!(report["breaking"], true);
        assert_eq!(report["breaking_reasons"].as_array().map(Vec::len), Some(2));
        // A parameter's type changes: breaking.
        let typed = |kind: &str| {
            definition(
                json!([{"id": "list", "name": "List", "method": "GET", "path": "/items",
                    "parameters": [{"name": "limit", "in": "query", "schema": {"type": kind}}]}]),
                "api.example.com",
            )
        };
        let retyped = change_report(Some(&typed("integer")), &typed("string"));
        assert_eq!(retyped["breaking"], true, "{retyped}");
        assert!(
            retyped["breaking_reasons"][0]
                .as_str()
                .is_some_and(|r| r.contains("`limit`"))
        );
        let same = change_report(Some(&v1), &v1);
        assert_eq!(same["breaking"], false);
        assert_eq!(change_report(None, &v1)["first_version"], true);
    }
}
