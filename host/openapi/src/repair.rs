//! Repair a spec (`plugboard clean`): fix the troubleshooting classes [`crate::lint`] reports as
//! errors, and cut huge specs down by tag and path globs. Every change is listed.
//!
//! Fixes, in order: filters (then unused components are dropped), trailing slashes (merging
//! paths only where nothing collides), operationIds (missing ones generated from method and
//! path, later duplicates renamed), `info.description` (from the title), invalid `pattern`s
//! (dropped; `/.../` delimiters without flags removed), undefined `required` names (a near
//! match fixes the name, otherwise the property is added), and circular `$ref`s (broken at the
//! reference that closes each cycle). The result lints free of those errors.

use serde::Serialize;
use serde_json::Value;

use crate::{Error, Result};

mod filter;
mod fixes;

/// What to keep: globs over tags and path keys (`*` stays within a path segment, `**`
/// crosses segments). Empty lists keep everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CleanOptions {
    /// Keep only operations with a tag matching one of these.
    pub include_tags: Vec<String>,
    /// Drop operations with a tag matching one of these.
    pub exclude_tags: Vec<String>,
    /// Keep only paths matching one of these.
    pub include_paths: Vec<String>,
    /// Drop paths matching one of these.
    pub exclude_paths: Vec<String>,
}

impl CleanOptions {
    fn filters(&self) -> bool {
        !(self.include_tags.is_empty()
            && self.exclude_tags.is_empty()
            && self.include_paths.is_empty()
            && self.exclude_paths.is_empty())
    }
}

/// One change made by [`clean`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// The lint rule it fixes (or `filter` / `unused-components` for cuts).
    pub rule: String,
    /// JSON pointer of the changed place in the input.
    pub pointer: String,
    /// What was done.
    pub description: String,
}

impl Change {
    pub(crate) fn new(
        rule: &str,
        pointer: impl Into<String>,
        description: impl Into<String>,
    ) -> Change {
        Change {
            rule: rule.to_string(),
            pointer: pointer.into(),
            description: description.into(),
        }
    }
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let pointer = if self.pointer.is_empty() {
            "/"
        } else {
            &self.pointer
        };
        write!(f, "{} at {pointer}: {}", self.rule, self.description)
    }
}

/// The repaired spec and every change made.
#[derive(Debug, Clone, PartialEq)]
pub struct Cleaned {
    /// The repaired spec.
    pub value: Value,
    /// What was changed, in order.
    pub changes: Vec<Change>,
}

/// Only the cut of [`clean`]: the operations and paths the filters keep, and the components
/// nothing uses any more (no repair); the spec as it is when there are no filters.
pub fn filter(value: &Value, options: &CleanOptions) -> Result<Cleaned> {
    if let Some(error) = Error::unless_mapping(value) {
        return Err(error);
    }
    let filters = filter::Filters::new(options)?;
    let mut value = value.clone();
    let mut changes = Vec::new();
    if options.filters() {
        filters.apply(&mut value, &mut changes);
        filter::drop_unused_components(&mut value, &mut changes);
    }
    Ok(Cleaned { value, changes })
}

/// Repairs a spec (OpenAPI 3.x or Swagger 2.0, as it is).
pub fn clean(value: &Value, options: &CleanOptions) -> Result<Cleaned> {
    let Cleaned {
        mut value,
        mut changes,
    } = filter(value, options)?;
    fixes::trailing_slashes(&mut value, &mut changes);
    fixes::operation_ids(&mut value, &mut changes);
    fixes::info_description(&mut value, &mut changes);
    fixes::patterns(&mut value, &mut changes);
    fixes::required(&mut value, &mut changes);
    fixes::cycles(&mut value, &mut changes);
    Ok(Cleaned { value, changes })
}
