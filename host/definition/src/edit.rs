//! Editing operations over a [`Definition`]: rename, delete, regex replace (with preview),
//! paginate on/off, add an action from a few fields, start a definition by hand, set the icon
//! (sanitized SVG) and set wizard fields with range checks. The CLI and the future REST API
//! share them; each returns this crate's [`Error::Edit`] with the field and the reason.

mod action_patch;
mod settings;
mod svg;

use std::collections::HashSet;
use std::sync::LazyLock;

use regex::Regex;
use serde_json::{Value, json};

pub use action_patch::{PATCHABLE, patch_action};
pub use settings::{AuthKind, OAuthSettings, Settings, apply_settings, set_action_pagination};
pub use svg::sanitize_svg;

use crate::{
    Action, Auth, DEFINITION_VERSION, Definition, Error, Method, Pagination, PaginationType,
    Parameter, ParameterLocation, RequestBody, Result, Scheme,
};

/// Longest action id.
const MAX_ID_LEN: usize = 128;
/// Longest definition name.
const MAX_NAME_LEN: usize = 100;

static PLACEHOLDER: LazyLock<Regex> = LazyLock::new(|| {
    #[allow(clippy::expect_used)]
    Regex::new(r"\{([^{}]*)\}").expect("constant regex")
});

pub(crate) fn edit_error(field: impl Into<String>, message: impl Into<String>) -> Error {
    Error::Edit {
        field: field.into(),
        message: message.into(),
    }
}

/// An action id from any text: characters outside `A-Z a-z 0-9 _ . -` become `_`, runs of `_`
/// collapse, at most 128 characters. Empty when nothing usable is left.
pub fn sanitize_id(raw: &str) -> String {
    let mut out = String::new();
    for c in raw.trim().chars() {
        let c = if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') {
            c
        } else {
            '_'
        };
        if !(c == '_' && out.ends_with('_')) {
            out.push(c);
        }
    }
    let out = out.trim_matches('_');
    out.chars().take(MAX_ID_LEN).collect()
}

/// A readable action id from method and path: `GET /users/{id}/posts` ->
/// `get_users_by_id_posts`, `GET /` -> `get_root`.
pub fn generated_id(method: Method, path: &str) -> String {
    let mut words = vec![method.as_str().to_ascii_lowercase()];
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(name) => words.push(format!("by_{name}")),
            None => words.push(segment.to_string()),
        }
    }
    if words.len() == 1 {
        words.push("root".into());
    }
    sanitize_id(&words.join("_"))
}

/// `base` itself when no id in `taken` equals it, else `base_2`, `base_3`, ... (kept within
/// 128 characters).
pub fn unique_id(base: &str, taken: &HashSet<String>) -> String {
    if !taken.contains(base) {
        return base.to_string();
    }
    (2..)
        .map(|n| {
            let suffix = format!("_{n}");
            let keep = MAX_ID_LEN.saturating_sub(suffix.len());
            format!("{}{suffix}", base.chars().take(keep).collect::<String>())
        })
        .find(|candidate| !taken.contains(candidate))
        .unwrap_or_default()
}

/// A readable name from an identifier: `listUserRepos` and `list_user_repos` -> `List user
/// repos`; all-capital words (`ID`, `URL`) keep their case.
pub fn readable_name(id: &str) -> String {
    let mut words: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut previous: Option<char> = None;
    for c in id.chars() {
        if !c.is_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            previous = None;
            continue;
        }
        let boundary =
            previous.is_some_and(|p| (p.is_lowercase() || p.is_ascii_digit()) && c.is_uppercase());
        if boundary && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        current.push(c);
        previous = Some(c);
    }
    if !current.is_empty() {
        words.push(current);
    }
    let words: Vec<String> = words
        .into_iter()
        .enumerate()
        .map(|(index, word)| {
            let acronym = word.chars().count() > 1 && word.chars().all(|c| !c.is_lowercase());
            let word = if acronym { word } else { word.to_lowercase() };
            if index == 0 {
                let mut chars = word.chars();
                chars
                    .next()
                    .map(|first| first.to_uppercase().chain(chars).collect())
                    .unwrap_or_default()
            } else {
                word
            }
        })
        .collect();
    words.join(" ")
}

/// A definition name from any text (letters, digits, spaces, `-` and `_`; other characters
/// become spaces; at most 100 characters). Empty when nothing usable is left.
pub fn sanitize_name(raw: &str) -> String {
    let mapped: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_') {
                c
            } else {
                ' '
            }
        })
        .collect();
    let joined = mapped.split_whitespace().collect::<Vec<_>>().join(" ");
    joined
        .chars()
        .take(MAX_NAME_LEN)
        .collect::<String>()
        .trim()
        .to_string()
}

/// Validates a draft: every rule except "at least one action" (a definition started by hand has
/// none until `actions add`).
pub fn check_draft(definition: &Definition) -> Result<()> {
    match definition.validate() {
        Err(Error::Invalid(problems)) => {
            let problems: Vec<_> = problems
                .into_iter()
                .filter(|p| !(p.path == "$.actions" && definition.actions.is_empty()))
                .collect();
            if problems.is_empty() {
                Ok(())
            } else {
                Err(Error::Invalid(problems))
            }
        }
        other => other,
    }
}

/// Index of the action with this id, or an error listing the known ids.
pub fn find(definition: &Definition, id: &str) -> Result<usize> {
    definition
        .actions
        .iter()
        .position(|a| a.id == id)
        .ok_or_else(|| {
            let known: Vec<&str> = definition.actions.iter().map(|a| a.id.as_str()).collect();
            edit_error(
                format!("action `{id}`"),
                format!("no action has this id; known ids: {}", known.join(", ")),
            )
        })
}

/// Renames an action (its id stays).
pub fn rename(definition: &mut Definition, id: &str, name: &str) -> Result<()> {
    let name = name.trim();
    if name.is_empty() {
        return Err(edit_error(
            format!("action `{id}`"),
            "the new name is empty",
        ));
    }
    let index = find(definition, id)?;
    definition.actions[index].name = name.to_string();
    Ok(())
}

/// Deletes actions by id and returns them. Every id must exist, and at least one action must
/// remain.
pub fn delete(definition: &mut Definition, ids: &[String]) -> Result<Vec<Action>> {
    for id in ids {
        find(definition, id)?;
    }
    let doomed: HashSet<&str> = ids.iter().map(String::as_str).collect();
    if definition
        .actions
        .iter()
        .all(|a| doomed.contains(a.id.as_str()))
    {
        return Err(edit_error(
            "actions",
            "refusing to delete every action: a definition needs at least one",
        ));
    }
    let (removed, kept) = std::mem::take(&mut definition.actions)
        .into_iter()
        .partition(|a| doomed.contains(a.id.as_str()));
    definition.actions = kept;
    Ok(removed)
}

/// Which text a regex replace changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplaceField {
    /// Action names.
    Name,
    /// Action descriptions.
    Description,
    /// Both.
    Both,
}

/// One change made (or previewed) by [`replace`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Change {
    /// The action's id.
    pub id: String,
    /// `name` or `description`.
    pub field: &'static str,
    /// Text before.
    pub old: String,
    /// Text after.
    pub new: String,
}

/// Replaces every match of `pattern` (the `regex` crate's syntax) in action names and/or
/// descriptions with `replacement` (`$1`, `${name}` for groups) and returns the changes. Run it
/// on a clone for a preview. A replacement leaving a name empty is refused.
pub fn replace(
    definition: &mut Definition,
    pattern: &str,
    replacement: &str,
    field: ReplaceField,
) -> Result<Vec<Change>> {
    let regex = Regex::new(pattern)
        .map_err(|e| edit_error("pattern", format!("not a valid regular expression: {e}")))?;
    let mut changes = Vec::new();
    for action in &mut definition.actions {
        let targets: Vec<(&'static str, &mut String)> = match field {
            ReplaceField::Name => vec![("name", &mut action.name)],
            ReplaceField::Description => vec![("description", &mut action.description)],
            ReplaceField::Both => vec![
                ("name", &mut action.name),
                ("description", &mut action.description),
            ],
        };
        for (name, text) in targets {
            let new = regex.replace_all(text, replacement).into_owned();
            if new == *text {
                continue;
            }
            if name == "name" && new.trim().is_empty() {
                return Err(edit_error(
                    format!("action `{}`", action.id),
                    format!("the replacement leaves the name `{text}` empty"),
                ));
            }
            changes.push(Change {
                id: action.id.clone(),
                field: name,
                old: std::mem::replace(text, new.clone()),
                new,
            });
        }
    }
    Ok(changes)
}

/// Marks actions paginated (`on`) or not, and returns how many changed. Marking needs the
/// integration's pagination type to be set.
pub fn set_paginated(definition: &mut Definition, ids: &[String], on: bool) -> Result<usize> {
    let all_own = ids.iter().all(|id| {
        definition
            .actions
            .iter()
            .any(|a| &a.id == id && a.pagination.is_some())
    });
    if on && definition.pagination.kind == PaginationType::None && !all_own {
        return Err(edit_error(
            "pagination.type",
            "the integration has no pagination (`none`): set its type first (`pagination.type`: index, page, link or pointer)",
        ));
    }
    let mut indexes = Vec::new();
    for id in ids {
        indexes.push(find(definition, id)?);
    }
    let mut changed = 0;
    for index in indexes {
        let action = &mut definition.actions[index];
        if action.paginated != on {
            action.paginated = on;
            changed += 1;
        }
        if !on {
            action.pagination = None;
        }
    }
    Ok(changed)
}

/// An action described by a few fields (`actions add`).
#[derive(Debug, Clone, PartialEq)]
pub struct NewAction {
    /// Id; generated from method and path when `None`.
    pub id: Option<String>,
    /// HTTP method.
    pub method: Method,
    /// Path template; each `{name}` becomes a required string path parameter.
    pub path: String,
    /// Name; a readable form of the id when `None`.
    pub name: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Query parameters as `name` or `name:type`.
    pub query: Vec<String>,
    /// Header parameters as `name` or `name:type`.
    pub headers: Vec<String>,
    /// JSON Schema of a request body.
    pub body_schema: Option<Value>,
    /// Whether the action follows pages.
    pub paginated: bool,
}

/// Parses an HTTP method name (any case).
pub fn parse_method(text: &str) -> Result<Method> {
    serde_json::from_value(Value::String(text.trim().to_ascii_uppercase())).map_err(|_| {
        edit_error(
            "method",
            format!("`{text}` is not one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS"),
        )
    })
}

/// A parameter from `name` or `name:type` (`string`, `integer`, `number`, `boolean`, `array`).
pub fn parse_parameter(text: &str, location: ParameterLocation) -> Result<Parameter> {
    let (name, kind) = text.split_once(':').unwrap_or((text, "string"));
    let (name, kind) = (name.trim(), kind.trim().to_ascii_lowercase());
    let field = match location {
        ParameterLocation::Query => "query",
        ParameterLocation::Header => "header",
        ParameterLocation::Path => "path",
    };
    if name.is_empty() {
        return Err(edit_error(field, format!("`{text}` has an empty name")));
    }
    let schema = match kind.as_str() {
        "string" | "integer" | "number" | "boolean" => json!({"type": kind}),
        "array" => json!({"type": "array", "items": {"type": "string"}}),
        _ => {
            return Err(edit_error(
                field,
                format!(
                    "`{text}`: type `{kind}` is not one of string, integer, number, boolean, array"
                ),
            ));
        }
    };
    Ok(Parameter {
        name: name.to_string(),
        location,
        required: false,
        description: String::new(),
        schema: Some(schema),
        value: None,
        style: None,
        explode: None,
    })
}

/// Adds an action and returns its id. The definition rules are checked for it (path shape,
/// unique id and input keys, pagination set when `paginated`).
pub fn add_action(definition: &mut Definition, new: NewAction) -> Result<String> {
    let path = new.path.trim().to_string();
    if !path.starts_with('/') {
        return Err(edit_error(
            "path",
            format!("`{path}` must start with `/` (example: `/v1/things/{{id}}`)"),
        ));
    }
    let taken: HashSet<String> = definition.actions.iter().map(|a| a.id.clone()).collect();
    let id = match new.id {
        Some(id) => {
            if taken.contains(&id) {
                return Err(edit_error(
                    "id",
                    format!("an action with id `{id}` already exists"),
                ));
            }
            id
        }
        None => unique_id(&generated_id(new.method, &path), &taken),
    };
    let mut parameters: Vec<Parameter> = PLACEHOLDER
        .captures_iter(&path)
        .filter_map(|c| c.get(1))
        .map(|m| Parameter {
            name: m.as_str().to_string(),
            location: ParameterLocation::Path,
            required: true,
            description: String::new(),
            schema: Some(json!({"type": "string"})),
            value: None,
            style: None,
            explode: None,
        })
        .collect();
    for text in &new.query {
        parameters.push(parse_parameter(text, ParameterLocation::Query)?);
    }
    for text in &new.headers {
        parameters.push(parse_parameter(text, ParameterLocation::Header)?);
    }
    if let Some(schema) = &new.body_schema
        && !(schema.is_object() || schema.is_boolean())
    {
        return Err(edit_error(
            "body_schema",
            "a JSON Schema is an object or a boolean",
        ));
    }
    if new.paginated && definition.pagination.kind == PaginationType::None {
        return Err(edit_error(
            "paginated",
            "the integration has no pagination (`none`): set its type first (`pagination.type`: index, page, link or pointer)",
        ));
    }
    let name = new
        .name
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| readable_name(&id));
    let action = Action {
        id: id.clone(),
        name,
        description: new.description.unwrap_or_default(),
        method: new.method,
        path,
        parameters,
        request_body: new.body_schema.map(|schema| RequestBody {
            required: true,
            schema: Some(schema),
            media_type: None,
        }),
        output_schema: None,
        accept: None,
        paginated: new.paginated,
        pagination: None,
        anonymous: false,
        tags: Vec::new(),
    };
    definition.actions.push(action);
    if let Err(error) = check_draft(definition) {
        definition.actions.pop();
        return Err(error);
    }
    Ok(id)
}

/// A new definition with no actions yet (checked with [`check_draft`]). The name must follow
/// the name rule; it is not rewritten.
pub fn new_definition(name: &str, description: &str, hostname: &str) -> Result<Definition> {
    let definition = Definition {
        schema: None,
        definition_version: DEFINITION_VERSION,
        name: name.trim().to_string(),
        description: description.trim().to_string(),
        icon: None,
        hostname: hostname.trim().to_string(),
        base_path: String::new(),
        scheme: Scheme::Https,
        extra_hosts: Vec::new(),
        auth: Auth::None,
        extra_request_headers: Default::default(),
        pagination: Pagination::default(),
        schemas: Default::default(),
        actions: Vec::new(),
    };
    check_draft(&definition)?;
    Ok(definition)
}

/// Sets the icon from SVG text, removing scripts and event handlers ([`sanitize_svg`]).
pub fn set_icon(definition: &mut Definition, svg: &str) -> Result<()> {
    let clean = sanitize_svg(svg)?;
    let previous = definition.icon.replace(clean);
    if let Err(Error::Invalid(problems)) = definition.validate() {
        let icon: Vec<_> = problems
            .into_iter()
            .filter(|p| p.path == "$.icon")
            .collect();
        if !icon.is_empty() {
            definition.icon = previous;
            return Err(edit_error(
                "icon",
                icon.iter()
                    .map(|p| p.message.clone())
                    .collect::<Vec<_>>()
                    .join("; "),
            ));
        }
    }
    Ok(())
}
