//! Cutting a spec down: tag and path globs, then dropping components nothing uses any more.

use std::collections::{HashMap, HashSet};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde_json::Value;

use super::Change;
use crate::lint::checks::{METHODS, path_pointer};
use crate::lint::refs::{component_of, local_pointer};
use crate::lint::scan::scan;
use crate::{Error, Result};

/// Compiled globs (`None` when the list is empty).
#[derive(Debug)]
pub(super) struct Filters {
    include_tags: Option<GlobSet>,
    exclude_tags: Option<GlobSet>,
    include_paths: Option<GlobSet>,
    exclude_paths: Option<GlobSet>,
}

fn compile(globs: &[String], flag: &str, paths: bool) -> Result<Option<GlobSet>> {
    if globs.is_empty() {
        return Ok(None);
    }
    let mut set = GlobSetBuilder::new();
    for glob in globs {
        let compiled = GlobBuilder::new(glob)
            .literal_separator(paths)
            .build()
            .map_err(|e| Error::InvalidOption(format!("{flag} `{glob}`: {e}")))?;
        set.add(compiled);
    }
    set.build()
        .map(Some)
        .map_err(|e| Error::InvalidOption(format!("{flag}: {e}")))
}

impl Filters {
    pub(super) fn new(options: &super::CleanOptions) -> Result<Filters> {
        Ok(Filters {
            include_tags: compile(&options.include_tags, "--include-tags", false)?,
            exclude_tags: compile(&options.exclude_tags, "--exclude-tags", false)?,
            include_paths: compile(&options.include_paths, "--include-paths", true)?,
            exclude_paths: compile(&options.exclude_paths, "--exclude-paths", true)?,
        })
    }

    /// Why a path is dropped, if it is.
    fn drops_path(&self, path: &str) -> Option<&'static str> {
        if let Some(set) = &self.include_paths
            && !set.is_match(path)
        {
            return Some("not matched by --include-paths");
        }
        if let Some(set) = &self.exclude_paths
            && set.is_match(path)
        {
            return Some("matched by --exclude-paths");
        }
        None
    }

    /// Why an operation with these tags is dropped, if it is.
    fn drops_operation(&self, tags: &[&str]) -> Option<&'static str> {
        if let Some(set) = &self.include_tags
            && !tags.iter().any(|t| set.is_match(t))
        {
            return Some("no tag matched by --include-tags");
        }
        if let Some(set) = &self.exclude_tags
            && tags.iter().any(|t| set.is_match(t))
        {
            return Some("a tag matched by --exclude-tags");
        }
        None
    }

    /// Removes the paths and operations the globs exclude.
    pub(super) fn apply(&self, value: &mut Value, changes: &mut Vec<Change>) {
        let Some(Value::Object(paths)) = value.get_mut("paths") else {
            return;
        };
        let mut kept = serde_json::Map::new();
        for (path, mut item) in std::mem::take(paths) {
            let pointer = path_pointer(&path);
            if let Some(why) = self.drops_path(&path) {
                changes.push(Change::new(
                    "filter",
                    pointer,
                    format!("removed path `{path}` ({why})"),
                ));
                continue;
            }
            if let Value::Object(item) = &mut item {
                let had_operations = METHODS.iter().any(|m| item.contains_key(*m));
                for method in METHODS {
                    let Some(op) = item.get(*method) else {
                        continue;
                    };
                    let tags: Vec<&str> = op
                        .get("tags")
                        .and_then(Value::as_array)
                        .map(|t| t.iter().filter_map(Value::as_str).collect())
                        .unwrap_or_default();
                    if let Some(why) = self.drops_operation(&tags) {
                        changes.push(Change::new(
                            "filter",
                            format!("{pointer}/{method}"),
                            format!("removed {} {path} ({why})", method.to_ascii_uppercase()),
                        ));
                        item.remove(*method);
                    }
                }
                if had_operations && !METHODS.iter().any(|m| item.contains_key(*m)) {
                    changes.push(Change::new(
                        "filter",
                        pointer,
                        format!("removed path `{path}`: no operations left"),
                    ));
                    continue;
                }
            }
            kept.insert(path, item);
        }
        *paths = kept;
    }
}

/// Component maps that are only reachable through `$ref` (so unused entries can go).
const PRUNABLE: &[&str] = &[
    "/components/schemas",
    "/components/parameters",
    "/components/responses",
    "/components/requestBodies",
    "/components/headers",
    "/components/links",
    "/components/callbacks",
    "/components/pathItems",
    "/definitions",
    "/parameters",
    "/responses",
];

/// Drops components that nothing outside the components reaches through `$ref`.
pub(super) fn drop_unused_components(value: &mut Value, changes: &mut Vec<Change>) {
    let reachable = {
        let scanned = scan(value);
        let mut edges: HashMap<&str, Vec<String>> = HashMap::new();
        let mut work: Vec<String> = Vec::new();
        for site in &scanned.refs {
            let Some(target) = local_pointer(site.target) else {
                continue;
            };
            let Some(to) = component_of(&target) else {
                continue;
            };
            match component_of(&site.pointer) {
                Some(from) => edges.entry(from).or_default().push(to.to_string()),
                None => work.push(to.to_string()),
            }
        }
        let mut reachable: HashSet<String> = HashSet::new();
        while let Some(next) = work.pop() {
            if reachable.insert(next.clone())
                && let Some(targets) = edges.get(next.as_str())
            {
                work.extend(targets.iter().cloned());
            }
        }
        reachable
    };
    for map in PRUNABLE {
        let Some(Value::Object(entries)) = value.pointer_mut(map) else {
            continue;
        };
        let before = entries.len();
        entries.retain(|name, _| {
            reachable.contains(&format!("{map}/{}", crate::source::escape_segment(name)))
        });
        let removed = before - entries.len();
        if removed > 0 {
            changes.push(Change::new(
                "unused-components",
                *map,
                format!("removed {removed} entries no remaining operation uses"),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::repair::CleanOptions;
    use serde_json::json;

    #[test]
    fn path_globs_respect_segments() {
        let filters = Filters::new(&CleanOptions {
            include_paths: vec!["/users/*".into()],
            ..CleanOptions::default()
        })
        .expect("globs");
        assert_eq!(filters.drops_path("/users/{id}"), None);
        assert!(filters.drops_path("/users/{id}/pets").is_some());
        assert!(filters.drops_path("/pets").is_some());
    }

    #[test]
    fn bad_globs_are_refused_with_the_flag() {
        let err = Filters::new(&CleanOptions {
            exclude_tags: vec!["[a".into()],
            ..CleanOptions::default()
        })
        .expect_err("bad glob");
        assert!(err.to_string().contains("--exclude-tags `[a`"), "{err}");
    }

    #[test]
    fn unused_components_go() {
        let mut value = json!({
            "paths": {"/a": {"get": {"responses": {"200": {"$ref": "#/components/responses/A"}}}}},
            "components": {
                "responses": {"A": {"content": {"x": {"schema": {"$ref": "#/components/schemas/S"}}}}, "B": {}},
                "schemas": {"S": {}, "T": {"$ref": "#/components/schemas/S"}}
            }
        });
        let mut changes = Vec::new();
        drop_unused_components(&mut value, &mut changes);
        assert_eq!(
            value["components"]["responses"],
            json!({"A": {"content": {"x": {"schema": {"$ref": "#/components/schemas/S"}}}}})
        );
        assert_eq!(value["components"]["schemas"], json!({"S": {}}));
        assert_eq!(changes.len(), 2);
    }
}
