//! Document-level and operation-level rules: version, info, operationIds, path keys and path
//! parameters.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::{Finding, Severity};
use crate::source::escape_segment;

/// `info.description` missing or empty.
pub(crate) const INFO_DESCRIPTION: &str = "info-description";
/// An operation without `operationId`.
pub(crate) const OPERATION_ID: &str = "operation-operationId";
/// Two operations with the same `operationId`.
pub(crate) const OPERATION_ID_UNIQUE: &str = "operation-operationId-unique";
/// A path key ending with `/`.
pub(crate) const TRAILING_SLASH: &str = "path-keys-no-trailing-slash";
/// A path key with a query or fragment (Spectral's `path-not-include-query`).
pub(crate) const PATH_QUERY: &str = "path-not-include-query";
/// Import refuses the spec.
pub(crate) const IMPORT_REFUSED: &str = "import-refused";
/// Import leaves something out (an operation, a parameter, a security scheme, ...).
pub(crate) const IMPORT_SKIPPED: &str = "import-skipped";
/// Import changes or decides something (a rewritten path, a chosen media type, ...).
pub(crate) const IMPORT_CHANGED: &str = "import-changed";
/// A document without a single operation under `paths`.
pub(crate) const OPERATIONS: &str = "paths-have-operations";
/// Path template variables and `in: path` parameters that do not match.
pub(crate) const PATH_PARAMS: &str = "path-params";
/// Not OpenAPI 3.0/3.1 or Swagger 2.0.
pub(crate) const VERSION: &str = "oas-version";
/// A Swagger 2.0 document that cannot be converted to OpenAPI 3.
pub(crate) const CONVERT: &str = "oas2-convertible";

/// The HTTP methods of a path item, in the order OpenAPI lists them.
pub(crate) const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// A JSON pointer to `/paths/<path>`.
pub(crate) fn path_pointer(path: &str) -> String {
    format!("/paths/{}", escape_segment(path))
}

pub(super) fn version(value: &Value, findings: &mut Vec<Finding>) {
    if let Err(e) = crate::version::detect(value) {
        let pointer = if value.get("openapi").is_some() {
            "/openapi"
        } else if value.get("swagger").is_some() {
            "/swagger"
        } else {
            ""
        };
        findings.push(Finding::new(
            VERSION,
            Severity::Error,
            pointer,
            e.to_string(),
            "start the document with `openapi: 3.0.3` (or 3.1.x), or `swagger: \"2.0\"`",
        ));
    }
}

pub(super) fn info(value: &Value, findings: &mut Vec<Finding>) {
    let hint = "add `info.description`: what the API does, for whom, and where its docs are \
                (`plugboard clean` copies the title)";
    match value.get("info") {
        Some(Value::Object(info)) => match info.get("description") {
            Some(Value::String(d)) if !d.trim().is_empty() => {}
            Some(_) => findings.push(Finding::new(
                INFO_DESCRIPTION,
                Severity::Error,
                "/info/description",
                "`info.description` is empty",
                hint,
            )),
            None => findings.push(Finding::new(
                INFO_DESCRIPTION,
                Severity::Error,
                "/info",
                "`info` has no `description`",
                hint,
            )),
        },
        _ => findings.push(Finding::new(
            INFO_DESCRIPTION,
            Severity::Error,
            if value.get("info").is_some() {
                "/info"
            } else {
                ""
            },
            "the document has no `info` object, so no description",
            "add `info` with `title`, `version` and `description`",
        )),
    }
}

/// The operationId a path and method would get from `plugboard clean`, for hints.
pub(crate) fn suggested_operation_id(method: &str, path: &str) -> String {
    let mut id = method.to_ascii_lowercase();
    let mut any = false;
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        any = true;
        if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            id.push_str("By");
            push_pascal(&mut id, name);
        } else {
            push_pascal(&mut id, segment);
        }
    }
    if !any {
        id.push_str("Root");
    }
    id
}

/// Appends `text` in PascalCase: words split at anything not a letter or digit.
fn push_pascal(out: &mut String, text: &str) {
    for word in text.split(|c: char| !c.is_ascii_alphanumeric()) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars);
        }
    }
}

/// The `{name}` variables of a path template.
pub(crate) fn template_variables(path: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else { break };
        out.push(&after[..close]);
        rest = &after[close + 1..];
    }
    out
}

/// Why a spec without operations imports nothing.
pub(crate) fn no_operations_message(value: &Value) -> String {
    let webhooks = ["webhooks", "x-webhooks"].iter().any(|key| {
        value
            .get(key)
            .and_then(Value::as_object)
            .is_some_and(|w| !w.is_empty())
    });
    if webhooks {
        "the spec has no operations to import: it describes only webhooks (requests the API sends), which an integration does not call".into()
    } else {
        "the spec has no operations to import".into()
    }
}

pub(super) fn paths(value: &Value, findings: &mut Vec<Finding>) {
    let Some(Value::Object(paths)) = value.get("paths") else {
        return;
    };
    let has_operation = paths.values().any(|item| {
        item.as_object()
            .is_some_and(|item| METHODS.iter().any(|m| item.contains_key(*m)))
    });
    if !has_operation {
        findings.push(Finding::new(
            OPERATIONS,
            Severity::Error,
            "/paths",
            no_operations_message(value),
            "import needs at least one operation (`get`, `post`, ... under a path)",
        ));
    }
    let mut seen_ids: HashMap<&str, (&str, &str)> = HashMap::new();
    let mut seen_templates: HashMap<String, &str> = HashMap::new();
    for (path, item) in paths {
        let path_ptr = path_pointer(path);
        if !path.starts_with("x-") {
            check_path_template(path, &path_ptr, &mut seen_templates, findings);
        }
        if path.len() > 1 && path.ends_with('/') {
            let trimmed = path.trim_end_matches('/');
            let trimmed = if trimmed.is_empty() { "/" } else { trimmed };
            findings.push(Finding::new(
                TRAILING_SLASH,
                Severity::Error,
                path_ptr.clone(),
                format!("path `{path}` ends with a slash"),
                format!("write the path as `{trimmed}` (or run `plugboard clean`)"),
            ));
        }
        let rewritten = crate::import::selector::hash_segments(path)
            .or_else(|| crate::import::selector::encode_spaces(path));
        if let Some(rewritten) = &rewritten {
            findings.push(Finding::new(
                PATH_QUERY,
                Severity::Warning,
                path_ptr.clone(),
                format!("path `{path}` has a `#` segment or whitespace"),
                format!(
                    "import calls `{rewritten}` ({})",
                    crate::import::selector::why_rewritten()
                ),
            ));
        } else if let Some(split) = crate::import::selector::split(path) {
            findings.push(Finding::new(
                PATH_QUERY,
                Severity::Warning,
                path_ptr.clone(),
                format!("path `{path}` has a query or fragment"),
                format!(
                    "import calls `{}`: {}",
                    split.route,
                    crate::import::selector::describe(&split.terms)
                ),
            ));
        }
        let Value::Object(item) = item else { continue };
        let path_params = declared_path_params(value, item.get("parameters"));
        for method in METHODS {
            let Some(Value::Object(op)) = item.get(*method) else {
                continue;
            };
            let op_ptr = format!("{path_ptr}/{method}");
            let upper = method.to_ascii_uppercase();
            match op.get("operationId") {
                Some(Value::String(id)) if !id.trim().is_empty() => {
                    if let Some((first_path, first_method)) = seen_ids.get(id.as_str()) {
                        findings.push(Finding::new(
                            OPERATION_ID_UNIQUE,
                            Severity::Error,
                            format!("{op_ptr}/operationId"),
                            format!(
                                "operationId `{id}` of {upper} {path} is already used by {} {first_path}",
                                first_method.to_ascii_uppercase()
                            ),
                            format!(
                                "give this operation its own id, e.g. `{}` (or run `plugboard clean`)",
                                suggested_operation_id(method, path)
                            ),
                        ));
                    } else {
                        seen_ids.insert(id.as_str(), (path.as_str(), method));
                    }
                }
                other => findings.push(Finding::new(
                    OPERATION_ID,
                    Severity::Error,
                    if other.is_some() {
                        format!("{op_ptr}/operationId")
                    } else {
                        op_ptr.clone()
                    },
                    format!("{upper} {path} has no operationId"),
                    format!(
                        "add `operationId: {}` (or run `plugboard clean`)",
                        suggested_operation_id(method, path)
                    ),
                )),
            }
            let mut declared = path_params.clone();
            declared.extend(declared_path_params(value, op.get("parameters")));
            check_path_params(path, &upper, &op_ptr, &declared, findings);
        }
    }
}

/// Names of the `in: path` parameters in a `parameters` array (local `$ref`s followed once).
fn declared_path_params<'a>(root: &'a Value, parameters: Option<&'a Value>) -> HashSet<&'a str> {
    let mut out = HashSet::new();
    let Some(Value::Array(parameters)) = parameters else {
        return out;
    };
    for parameter in parameters {
        let parameter = match parameter.get("$ref") {
            Some(Value::String(r)) => match super::refs::resolve_local(root, r) {
                Some(target) => target,
                None => continue,
            },
            _ => parameter,
        };
        if parameter.get("in").and_then(Value::as_str) == Some("path")
            && let Some(name) = parameter.get("name").and_then(Value::as_str)
        {
            out.insert(name);
        }
    }
    out
}

/// A path whose template repeats a variable, or that differs from an earlier path only in
/// its variable names (`/a/{x}` and `/a/{y}`: every request matches both, so which operation
/// runs is up to the server).
fn check_path_template<'p>(
    path: &'p str,
    path_ptr: &str,
    seen_templates: &mut HashMap<String, &'p str>,
    findings: &mut Vec<Finding>,
) {
    let variables = template_variables(path);
    let mut repeated: Vec<&str> = Vec::new();
    for (index, variable) in variables.iter().enumerate() {
        if variables[..index].contains(variable) && !repeated.contains(variable) {
            repeated.push(variable);
            findings.push(Finding::new(
                PATH_PARAMS,
                Severity::Error,
                path_ptr,
                format!("path `{path}` uses the variable `{{{variable}}}` more than once"),
                "give each path variable its own name",
            ));
        }
    }
    if variables.is_empty() {
        return;
    }
    let mut shape = String::with_capacity(path.len());
    let mut rest = path;
    for variable in &variables {
        let open = rest.find('{').unwrap_or(rest.len());
        shape.push_str(&rest[..open]);
        shape.push_str("{}");
        rest = rest.get(open + variable.len() + 2..).unwrap_or("");
    }
    shape.push_str(rest);
    match seen_templates.get(&shape) {
        Some(first) => findings.push(Finding::new(
            PATH_PARAMS,
            Severity::Warning,
            path_ptr,
            format!(
                "path `{path}` is equivalent to `{first}`: they differ only in variable names, so a request matches both"
            ),
            format!("merge the operations of `{path}` into `{first}`, or make the paths differ in a fixed part"),
        )),
        None => {
            seen_templates.insert(shape, path);
        }
    }
}

fn check_path_params(
    path: &str,
    upper: &str,
    op_ptr: &str,
    declared: &HashSet<&str>,
    findings: &mut Vec<Finding>,
) {
    let variables = template_variables(path);
    for variable in &variables {
        if !declared.contains(variable) {
            findings.push(Finding::new(
                PATH_PARAMS,
                Severity::Error,
                op_ptr,
                format!("{upper} {path}: path variable `{{{variable}}}` has no `in: path` parameter"),
                format!("add `{{name: {variable}, in: path, required: true, schema: {{type: string}}}}` to the operation's or path's parameters"),
            ));
        }
    }
    let mut extra: Vec<&&str> = declared
        .iter()
        .filter(|name| !variables.contains(name))
        .collect();
    extra.sort();
    for name in extra {
        findings.push(Finding::new(
            PATH_PARAMS,
            Severity::Error,
            op_ptr,
            format!(
                "{upper} {path}: parameter `{name}` is `in: path` but the path has no `{{{name}}}`"
            ),
            format!("add `{{{name}}}` to the path, or change the parameter's `in`"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggested_ids_are_readable() {
        assert_eq!(suggested_operation_id("get", "/users"), "getUsers");
        assert_eq!(
            suggested_operation_id("POST", "/users/{user_id}/pets/"),
            "postUsersByUserIdPets"
        );
        assert_eq!(suggested_operation_id("get", "/"), "getRoot");
        assert_eq!(
            suggested_operation_id("delete", "/v1/api-keys.json"),
            "deleteV1ApiKeysJson"
        );
    }

    #[test]
    fn a_document_without_operations_is_an_error_that_names_webhooks() {
        let mut findings = Vec::new();
        paths(
            &serde_json::json!({"paths": {"/a": {"parameters": []}}, "webhooks": {"paid": {}}}),
            &mut findings,
        );
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].rule, OPERATIONS);
        assert_eq!(findings[0].severity, Severity::Error);
        assert!(
            findings[0].message.contains("only webhooks"),
            "{}",
            findings[0].message
        );
    }

    #[test]
    fn equivalent_and_repeated_templates() {
        let spec = serde_json::json!({"paths": {
            "/a/{x}/b": {}, "/a/{y}/b": {}, "/a/{x}/c": {}, "/r/{id}/s/{id}": {}, "/plain": {"get": {"operationId": "plain"}}
        }});
        let mut findings = Vec::new();
        paths(&spec, &mut findings);
        let messages: Vec<_> = findings
            .iter()
            .map(|f| (f.severity, f.pointer.as_str(), f.message.as_str()))
            .collect();
        assert_eq!(
            messages,
            vec![
                (
                    Severity::Warning,
                    "/paths/~1a~1{y}~1b",
                    "path `/a/{y}/b` is equivalent to `/a/{x}/b`: they differ only in variable names, so a request matches both"
                ),
                (
                    Severity::Error,
                    "/paths/~1r~1{id}~1s~1{id}",
                    "path `/r/{id}/s/{id}` uses the variable `{id}` more than once"
                ),
            ]
        );
    }

    #[test]
    fn template_variables_in_order() {
        assert_eq!(template_variables("/a/{x}/b/{y}.json"), vec!["x", "y"]);
        assert_eq!(template_variables("/a/{x"), Vec::<&str>::new());
    }
}
