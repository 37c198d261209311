//! Import an OpenAPI 3.x document as a draft [`Definition`]: one action per operation, input
//! and output schemas whose references to component schemas point at the definition's shared
//! `schemas` (each component copied once; other local references inlined, cycles bounded),
//! hostname and base path from `servers`, auth suggested from `securitySchemes`, and pagination
//! suggested per operation (the most common style becomes the integration's; matching actions
//! are marked paginated). Swagger 2.0 is converted first ([`crate::convert`]).
//!
//! ```
//! let spec = serde_json::json!({"openapi": "3.0.3", "info": {"title": "Pets", "version": "1"},
//!   "servers": [{"url": "https://api.example.com/v1"}],
//!   "paths": {"/pets": {"get": {"operationId": "listPets", "responses": {"200": {"description": "ok"}}}}}});
//! let imported = plugboard_openapi::import::import(&spec, &Default::default()).unwrap();
//! assert_eq!(imported.definition.hostname, "api.example.com");
//! assert_eq!(imported.definition.actions[0].id, "listPets");
//! ```

mod action;
mod lazy;
mod pagination;
mod schema;
pub(crate) mod selector;
mod target;

use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};
use std::fmt;

use plugboard_definition::edit::sanitize_name;
use plugboard_definition::{
    Action, ApiKeyLocation, Auth, DEFINITION_VERSION, Definition, Method, Pagination,
    PaginationType, ParameterLocation, Scheme,
};
use serde_json::Value;

use crate::source::escape_segment;
use crate::version::{SpecVersion, detect};
use crate::{Error, Result};
use action::{Context, build_action};
use schema::Resolver;

pub use lazy::{PendingImport, import_json_text, read_json_text};

/// Choices made by the caller before detection.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Options {
    /// Hostname to use instead of the server URL's (required when it is relative or missing).
    pub hostname: Option<String>,
    /// Pagination type to use instead of the most common detected one (`None` type: no
    /// pagination); actions detected with that type are marked paginated.
    pub pagination: Option<PaginationType>,
}

/// The result of an import.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    /// The draft definition (valid).
    pub definition: Definition,
    /// What was imported and decided, for the user.
    pub summary: Summary,
}

/// What an import did and why.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    /// Number of actions.
    pub actions: usize,
    /// The auth chosen and why.
    pub auth: String,
    /// The pagination chosen and why.
    pub pagination: String,
    /// Ids of the actions marked paginated.
    pub paginated: Vec<String>,
    /// Everything else worth knowing: skipped operations and parameters, renamed ids,
    /// operations whose pagination differs from the integration's, unsupported auth.
    pub notes: Vec<String>,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "imported {} action(s)", self.actions)?;
        writeln!(f, "auth: {}", self.auth)?;
        writeln!(f, "pagination: {}", self.pagination)?;
        if !self.paginated.is_empty() {
            writeln!(f, "paginated actions: {}", self.paginated.join(", "))?;
        }
        for note in &self.notes {
            writeln!(f, "note: {note}")?;
        }
        Ok(())
    }
}

const METHODS: [(&str, Method); 7] = [
    ("get", Method::Get),
    ("put", Method::Put),
    ("post", Method::Post),
    ("delete", Method::Delete),
    ("options", Method::Options),
    ("head", Method::Head),
    ("patch", Method::Patch),
];

/// Imports an OpenAPI 3.0/3.1 document (Swagger 2.0 must be converted first).
pub fn import(spec: &Value, options: &Options) -> Result<Imported> {
    let paths = spec.get("paths").and_then(Value::as_object).map(|paths| {
        paths
            .iter()
            .map(|(path, item)| Some((Cow::Borrowed(path.as_str()), Cow::Borrowed(item))))
    });
    let gathered = gather(spec, paths, None, false, options)?.ok_or_else(|| Error::Import {
        pointer: "/paths".into(),
        message: "a path item could not be read".into(),
    })?;
    gathered.finish()
}

/// One path item given to [`gather`]: its key and value, `None` when it cannot be read.
type PathEntry<'s> = Option<(Cow<'s, str>, Cow<'s, Value>)>;

/// The actions an import has built: as they are, or each as compact JSON (a fraction of the
/// memory), read back by [`Gathered::finish`] once the spec has been freed.
enum Actions {
    Built(Vec<Action>),
    Compact(Vec<Box<[u8]>>),
}

/// What the first half of an import takes from the spec; [`Gathered::finish`] does the rest
/// without it.
struct Gathered {
    target: target::Target,
    auth: Auth,
    auth_why: String,
    actions: Actions,
    detected: Vec<Option<pagination::Detected>>,
    /// Where each action comes from in the spec.
    origins: Vec<String>,
    notes: Vec<String>,
    schemas: BTreeMap<String, Value>,
    name: String,
    description: String,
    pagination: Option<PaginationType>,
}

/// The first half of [`import`], with the path items given one at a time (`paths`, `None`
/// when the spec has no `paths` object), so that they can be read when the import reaches
/// them; with `compact`, each action is kept as compact JSON. `Ok(None)` when an item cannot
/// be read or, with `parts` (the document read lazily), a reference reaches a place the lazy
/// document does not hold: the caller then imports the whole document.
fn gather<'s>(
    spec: &'s Value,
    paths: Option<impl Iterator<Item = PathEntry<'s>>>,
    parts: Option<&'s lazy::Parts<'s>>,
    compact: bool,
    options: &Options,
) -> Result<Option<Gathered>> {
    if detect(spec)? == SpecVersion::Swagger2 {
        return Err(Error::Import {
            pointer: "/swagger".into(),
            message: "this is Swagger 2.0: convert it to OpenAPI 3.0 first (`plugboard_openapi::convert::to_openapi3`)".into(),
        });
    }
    let mut notes = Vec::new();
    let target = target::target(spec, options.hostname.as_deref(), &mut notes)?;
    let mut resolver = Resolver::with_parts(spec, parts);
    let (auth, auth_why) = target::auth(spec, &mut resolver, &mut notes);
    // The header the auth settings write: a parameter of that name is left to them.
    let auth_header = match &auth {
        Auth::ApiKey {
            api_key_header_name,
            location: ApiKeyLocation::Header,
            ..
        } => Some(api_key_header_name.to_ascii_lowercase()),
        Auth::Basic | Auth::OAuth2(_) => Some("authorization".to_string()),
        _ => None,
    };
    let paths = paths.ok_or_else(|| Error::Import {
        pointer: "/paths".into(),
        message: "the spec has no `paths` object".into(),
    })?;
    let mut actions = Vec::new();
    let mut compacted = Vec::new();
    let mut detected = Vec::new();
    let mut taken = HashSet::new();
    // Where each action comes from in the spec.
    let mut origins = Vec::new();
    for entry in paths {
        let Some((path, item)) = entry else {
            return Ok(None);
        };
        let (path, item): (&str, &Value) = (&path, &item);
        if path.starts_with("x-") {
            continue; // an extension, not a path
        }
        let at = format!("/paths/{}", escape_segment(path));
        let Some(item) = resolver.deref(item, &at) else {
            continue;
        };
        let rewritten = selector::hash_segments(path).or_else(|| selector::encode_spaces(path));
        if let Some(rewritten) = &rewritten {
            notes.push(format!(
                "{at}: path `{path}` imported as `{rewritten}` ({})",
                selector::why_rewritten()
            ));
        }
        let path = rewritten.as_deref().unwrap_or(path);
        let split = selector::split(path);
        let route = split.as_ref().map_or(path, |s| s.route);
        if !route.starts_with('/') {
            notes.push(format!(
                "{at}: path `{path}` skipped (a path starts with `/`)"
            ));
            continue;
        }
        if item.get("trace").is_some() {
            notes.push(format!(
                "{at}/trace: TRACE operations are not supported; skipped"
            ));
        }
        for (key, method) in METHODS {
            let Some(operation) = item.get(key) else {
                continue;
            };
            let op_at = format!("{at}/{key}");
            let built = build_action(
                &mut resolver,
                &Context {
                    path: route,
                    raw_path: path,
                    auth_header: auth_header.as_deref(),
                    terms: split.as_ref().map_or(&[], |s| &s.terms),
                    item,
                    method,
                    at: &op_at,
                },
                operation,
                &mut taken,
                &mut notes,
            );
            if resolver.reached_unread() {
                // The lazy path cannot follow this reference: leave at once for the general one.
                return Ok(None);
            }
            detected.push(built.1);
            if compact {
                let json = serde_json::to_vec(&built.0).map_err(|e| Error::Import {
                    pointer: op_at.clone(),
                    message: format!("cannot keep the action: {e}"),
                })?;
                compacted.push(json.into_boxed_slice());
            } else {
                actions.push(built.0);
            }
            origins.push(op_at);
        }
    }
    if resolver.reached_unread() {
        return Ok(None);
    }
    notes.append(&mut resolver.notes);
    let schemas = std::mem::take(&mut resolver.schemas);
    if origins.is_empty() {
        return Err(Error::Import {
            pointer: "/paths".into(),
            message: crate::lint::checks::no_operations_message(spec),
        });
    }
    let info = spec.get("info");
    let title = info
        .and_then(|i| i.get("title"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim();
    let mut name = sanitize_name(title);
    if name.is_empty() {
        name = "Imported API".into();
    }
    let description = info
        .and_then(|i| i.get("description"))
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .or(Some(title).filter(|t| !t.is_empty()))
        .unwrap_or("Imported from an OpenAPI document")
        .to_string();
    Ok(Some(Gathered {
        target,
        auth,
        auth_why,
        actions: if compact {
            Actions::Compact(compacted)
        } else {
            Actions::Built(actions)
        },
        detected,
        origins,
        notes,
        schemas,
        name,
        description,
        pagination: options.pagination,
    }))
}

impl Gathered {
    /// The second half of an import: pagination, the definition, its validation.
    fn finish(self) -> Result<Imported> {
        let Gathered {
            target,
            auth,
            auth_why,
            actions,
            detected,
            origins,
            mut notes,
            schemas,
            name,
            description,
            pagination: forced,
        } = self;
        let mut actions = match actions {
            Actions::Built(actions) => actions,
            Actions::Compact(compacted) => {
                let mut actions = Vec::with_capacity(compacted.len());
                // Each kept action is freed as soon as it is read back.
                for (json, at) in compacted.into_iter().zip(&origins) {
                    let mut action: Action =
                        serde_json::from_slice(&json).map_err(|e| Error::Import {
                            pointer: at.clone(),
                            message: format!("cannot read the kept action back: {e}"),
                        })?;
                    action::fit_schemas(&mut action);
                    actions.push(action);
                }
                actions
            }
        };
        let (pagination, pagination_why, paginated) =
            choose_pagination(&mut actions, &detected, forced, &mut notes);
        publish_page_size_range(&mut actions, &pagination);
        let mut definition = Definition {
            schema: None,
            definition_version: DEFINITION_VERSION,
            name,
            description,
            icon: None,
            hostname: target.hostname,
            base_path: target.base_path,
            scheme: target.scheme,
            extra_hosts: Vec::new(),
            auth,
            extra_request_headers: Default::default(),
            pagination,
            schemas,
            actions,
        };
        if definition.plain_http_credentials_problem().is_some() {
            definition.scheme = Scheme::Https;
            notes.push(format!(
            "/servers: the server URL is plain http, but credentials are sent only over https: the integration calls https://{}: plain http is for APIs without credentials",
            definition.hostname
        ));
        }
        drop_invalid_actions(&mut definition, &origins, &mut notes)?;
        let mut paginated = paginated;
        paginated.retain(|id| definition.actions.iter().any(|a| &a.id == id));
        Ok(Imported {
            summary: Summary {
                actions: definition.actions.len(),
                auth: auth_why,
                pagination: pagination_why,
                paginated,
                notes,
            },
            definition,
        })
    }
}

/// Validates the imported definition. An action that breaks a rule is left out with a note
/// naming its operation and the problem (one bad operation never stops the import); a problem
/// outside the actions is an error.
fn drop_invalid_actions(
    definition: &mut Definition,
    origins: &[String],
    notes: &mut Vec<String>,
) -> Result<()> {
    let Err(error) = definition.validate() else {
        return Ok(());
    };
    let plugboard_definition::Error::Invalid(problems) = &error else {
        return Err(Error::Import {
            pointer: String::new(),
            message: format!("the imported definition is not valid: {error}"),
        });
    };
    let mut bad: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for problem in problems {
        let index = problem
            .path
            .strip_prefix("$.actions[")
            .and_then(|rest| rest.split_once(']'))
            .and_then(|(index, _)| index.parse::<usize>().ok())
            .filter(|index| *index < definition.actions.len());
        match index {
            Some(index) => bad
                .entry(index)
                .or_default()
                .push(format!("{}: {}", problem.path, problem.message)),
            None => {
                return Err(Error::Import {
                    pointer: String::new(),
                    message: format!("the imported definition is not valid: {error}"),
                });
            }
        }
    }
    for (index, problems) in bad.iter().rev() {
        let action = definition.actions.remove(*index);
        let origin = origins.get(*index).map_or("", String::as_str);
        notes.push(format!(
            "{origin}: operation left out (action `{}` would break the definition's rules: {})",
            action.id,
            problems.join("; ")
        ));
    }
    if definition.actions.is_empty() {
        return Err(Error::Import {
            pointer: "/paths".into(),
            message: "no operation could be imported (see the notes)".into(),
        });
    }
    definition.validate().map_err(|e| Error::Import {
        pointer: String::new(),
        message: format!("the imported definition is not valid: {e}"),
    })
}

/// A paginated action's page size parameter takes 1..=1000 (what the engine accepts): its
/// input schema says so, so that a caller learns the range before calling.
fn publish_page_size_range(actions: &mut [Action], integration: &Pagination) {
    for action in actions.iter_mut().filter(|a| a.paginated) {
        let name = action
            .pagination
            .as_ref()
            .unwrap_or(integration)
            .page_size_param
            .clone();
        if name.is_empty() {
            continue;
        }
        let Some(param) = action
            .parameters
            .iter_mut()
            .find(|p| p.name == name && p.location == ParameterLocation::Query)
        else {
            continue;
        };
        let Some(schema) = param.schema.as_mut().and_then(Value::as_object_mut) else {
            continue;
        };
        if schema.contains_key("$ref") {
            continue;
        }
        let bound = |schema: &serde_json::Map<String, Value>, key: &str| {
            schema.get(key).and_then(Value::as_f64)
        };
        let minimum = bound(schema, "minimum").map_or(1.0, |m| m.max(1.0));
        let maximum = bound(schema, "maximum").map_or(MAX_PAGE_SIZE, |m| m.min(MAX_PAGE_SIZE));
        if minimum > maximum {
            continue;
        }
        schema.insert("minimum".into(), serde_json::json!(minimum as u64));
        schema.insert("maximum".into(), serde_json::json!(maximum as u64));
    }
}

/// Largest page size the engine sends.
const MAX_PAGE_SIZE: f64 = plugboard_definition::MAX_PAGE_SIZE as f64;

/// Picks the integration's pagination: the forced type or the most common detected setup;
/// marks matching actions paginated and notes the others.
fn choose_pagination(
    actions: &mut [Action],
    detected: &[Option<pagination::Detected>],
    forced: Option<PaginationType>,
    notes: &mut Vec<String>,
) -> (Pagination, String, Vec<String>) {
    // Distinct setups in first-seen order, with their counts.
    let mut setups: Vec<(&Pagination, usize, &str)> = Vec::new();
    for d in detected.iter().flatten() {
        match setups.iter_mut().find(|(p, _, _)| **p == d.pagination) {
            Some(entry) => entry.1 += 1,
            None => setups.push((&d.pagination, 1, &d.why)),
        }
    }
    let eligible = setups
        .iter()
        .filter(|(p, _, _)| forced.is_none_or(|k| p.kind == k));
    let best = eligible.fold(None::<&(&Pagination, usize, &str)>, |best, s| match best {
        Some(b) if b.1 >= s.1 => Some(b),
        _ => Some(s),
    });
    let (chosen, why) = match (best, forced) {
        (_, Some(PaginationType::None)) => (
            Pagination::default(),
            "none (chosen by the caller)".to_string(),
        ),
        (Some((p, count, why)), _) => (
            (*p).clone(),
            format!(
                "{} ({why}; detected on {count} operation(s))",
                p.kind.as_str()
            ),
        ),
        // Nothing detected to take the type's fields from: the caller's settings give them
        // (`plugboard import --pagination page --page-param page`), after the import.
        (None, Some(kind)) => (
            Pagination::default(),
            format!(
                "{} (chosen by the caller; no operation was detected with it, so its fields come \
                 from the settings and actions are marked paginated by hand)",
                kind.as_str()
            ),
        ),
        (None, None) => (
            Pagination::default(),
            "none (no operation looks paginated)".to_string(),
        ),
    };
    let mut paginated = Vec::new();
    for (action, d) in actions.iter_mut().zip(detected) {
        let Some(d) = d else { continue };
        if chosen.kind != PaginationType::None && d.pagination == chosen {
            action.paginated = true;
            paginated.push(action.id.clone());
        } else if forced == Some(PaginationType::None) {
            notes.push(format!(
                "action `{}` looks paginated ({}: {}); not marked paginated (pagination `none` was chosen)",
                action.id,
                d.pagination.kind.as_str(),
                d.why
            ));
        } else {
            // Another style than the integration's: the action gets its own.
            action.paginated = true;
            action.pagination = Some(d.pagination.clone());
            paginated.push(action.id.clone());
            notes.push(format!(
                "action `{}` pages in another style than the integration ({}: {}); marked paginated with its own pagination",
                action.id,
                d.pagination.kind.as_str(),
                d.why
            ));
        }
    }
    (chosen, why, paginated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_action_that_breaks_a_rule_is_left_out_with_a_note() {
        let action = |id: &str, path: &str| Action {
            id: id.into(),
            name: id.into(),
            description: String::new(),
            method: Method::Get,
            path: path.into(),
            parameters: Vec::new(),
            request_body: None,
            output_schema: None,
            accept: None,
            paginated: false,
            pagination: None,
            anonymous: false,
            tags: Vec::new(),
        };
        let mut definition = Definition {
            schema: None,
            definition_version: DEFINITION_VERSION,
            name: "Api".into(),
            description: "An API".into(),
            icon: None,
            hostname: "api.example.com".into(),
            base_path: String::new(),
            scheme: Scheme::Https,
            extra_hosts: Vec::new(),
            auth: Default::default(),
            extra_request_headers: Default::default(),
            pagination: Pagination::default(),
            schemas: Default::default(),
            actions: vec![action("good", "/items"), action("bad", "/items/{id}")],
        };
        let origins = vec![
            "/paths/~1items/get".to_string(),
            "/paths/~1items~1{id}/get".to_string(),
        ];
        let mut notes = Vec::new();
        drop_invalid_actions(&mut definition, &origins, &mut notes).unwrap();
        assert_eq!(definition.actions.len(), 1);
        assert_eq!(definition.actions[0].id, "good");
        assert!(
            notes[0].starts_with("/paths/~1items~1{id}/get: operation left out (action `bad`")
                && notes[0].contains("placeholder `{id}`"),
            "{notes:?}"
        );
        // Nothing left is an error that says so.
        definition.actions = vec![action("bad", "/items/{id}")];
        let error = drop_invalid_actions(&mut definition, &origins[1..], &mut notes).unwrap_err();
        assert!(
            error.to_string().contains("no operation could be imported"),
            "{error}"
        );
    }
}
