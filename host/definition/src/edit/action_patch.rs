//! Editing one action by a JSON merge patch (RFC 7396): the fields an author may change, the
//! action checked as a whole, and the definition validated with it.

use serde_json::{Map, Value};

use super::{check_draft, edit_error, find};
use crate::{Action, Definition, Result};

/// The action fields a patch may set (`null` removes an optional one). The id stays: it is
/// what workflows invoke.
pub const PATCHABLE: &[&str] = &[
    "name",
    "description",
    "method",
    "path",
    "parameters",
    "request_body",
    "output_schema",
    "accept",
    "paginated",
    "pagination",
    "anonymous",
];

/// Applies a merge patch to the action `id` and returns it as changed. Unknown fields, a
/// changed id, a value of the wrong shape or a definition that no longer validates are refused
/// with the field's path (`actions.<id>.<field>` or the validator's `$.actions[i]...`), and
/// nothing changes.
pub fn patch_action(
    definition: &mut Definition,
    id: &str,
    patch: &Map<String, Value>,
) -> Result<Action> {
    let index = find(definition, id)?;
    for key in patch.keys() {
        if key == "id" {
            return Err(edit_error(
                format!("actions.{id}.id"),
                "an action's id does not change (workflows invoke it by id); rename it instead",
            ));
        }
        if !PATCHABLE.contains(&key.as_str()) {
            return Err(edit_error(
                format!("actions.{id}.{key}"),
                format!(
                    "not a field of an action that can be edited; use {}",
                    PATCHABLE.join(", ")
                ),
            ));
        }
    }
    let mut value = serde_json::to_value(&definition.actions[index])
        .map_err(|e| edit_error(format!("actions.{id}"), e.to_string()))?;
    json_patch::merge(&mut value, &Value::Object(patch.clone()));
    let text = value.to_string();
    let mut reader = serde_json::Deserializer::from_str(&text);
    let action: Action = serde_path_to_error::deserialize(&mut reader).map_err(|e| {
        let path = e.path().to_string();
        edit_error(
            if path == "." {
                format!("actions.{id}")
            } else {
                format!("actions.{id}.{path}")
            },
            e.into_inner().to_string(),
        )
    })?;
    let mut working = definition.clone();
    working.actions[index] = action.clone();
    if working.actions[index].name.trim().is_empty() {
        return Err(edit_error(
            format!("actions.{id}.name"),
            "the name is empty",
        ));
    }
    check_draft(&working)?;
    *definition = working;
    Ok(action)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;
    use serde_json::json;

    fn definition() -> Definition {
        Definition::from_json(
            &json!({
                "definition_version": 1, "name": "Items", "description": "d",
                "hostname": "api.example.com",
                "actions": [{"id": "list", "name": "List", "method": "GET", "path": "/items"}]
            })
            .to_string(),
        )
        .unwrap()
    }

    fn patch(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap()
    }

    #[test]
    fn a_patch_changes_fields_and_keeps_the_id() {
        let mut d = definition();
        let action = patch_action(
            &mut d,
            "list",
            &patch(
                json!({"name": "All items", "method": "POST", "path": "/items/search",
                "request_body": {"required": true, "schema": {"type": "object"}},
                "output_schema": {"type": "array"}}),
            ),
        )
        .unwrap();
        assert_eq!(action.id, "list");
        assert_eq!(d.actions[0].path, "/items/search");
        assert!(d.actions[0].request_body.is_some());
        // `null` removes an optional field.
        patch_action(&mut d, "list", &patch(json!({"output_schema": null}))).unwrap();
        assert!(d.actions[0].output_schema.is_none());
    }

    #[test]
    fn refused_patches_name_the_field_and_change_nothing() {
        let mut d = definition();
        let before = d.clone();
        for (p, field) in [
            (json!({"id": "x"}), "actions.list.id"),
            (json!({"colour": "red"}), "actions.list.colour"),
            (json!({"method": "FETCH"}), "actions.list.method"),
            (json!({"name": " "}), "actions.list.name"),
        ] {
            match patch_action(&mut d, "list", &patch(p.clone())) {
                Err(Error::Edit { field: f, .. }) => assert_eq!(f, field, "{p}"),
                other => panic!("{p}: {other:?}"),
            }
        }
        // A path that breaks a rule: the validator's problem.
        assert!(matches!(
            patch_action(&mut d, "list", &patch(json!({"path": "items"}))),
            Err(Error::Invalid(_))
        ));
        assert_eq!(d, before);
    }
}
