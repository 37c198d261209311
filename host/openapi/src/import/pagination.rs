//! Detecting an operation's pagination style from its parameters, response and extensions.

use std::collections::BTreeMap;

use plugboard_definition::{
    LinkLocation, Pagination, PaginationType, Parameter, ParameterLocation, follow_shared,
};
use serde_json::Value;

/// Shared schemas by name, which response schemas reference.
type Schemas = BTreeMap<String, Value>;

/// Cursor query parameters (lower case): the cursor is read from the response.
const CURSOR_PARAMS: [&str; 11] = [
    "cursor",
    "after",
    "starting_after",
    "next_token",
    "nexttoken",
    "page_token",
    "pagetoken",
    "continuation_token",
    "continuationtoken",
    "next_cursor",
    "marker",
];
/// Response fields holding the next cursor (lower case).
const CURSOR_FIELDS: [&str; 12] = [
    "next_cursor",
    "nextcursor",
    "cursor",
    "next_token",
    "nexttoken",
    "next_page_token",
    "nextpagetoken",
    "end_cursor",
    "endcursor",
    "continuation_token",
    "next_marker",
    "nextmarker",
];
/// Response fields holding the next page's URL (lower case).
const NEXT_LINK_FIELDS: [&str; 8] = [
    "next",
    "next_url",
    "nexturl",
    "next_link",
    "nextlink",
    "next_page_url",
    "nextpageurl",
    "href",
];
/// Containers of a next link (`links.next`, `paging.next`).
const LINK_CONTAINERS: [&str; 5] = ["links", "_links", "paging", "pagination", "meta"];
/// Offset query parameters (lower case).
const INDEX_PARAMS: [&str; 6] = [
    "offset",
    "start",
    "skip",
    "start_index",
    "startindex",
    "from",
];
/// Page-number query parameters (lower case).
const PAGE_PARAMS: [&str; 5] = ["page", "page_number", "pagenumber", "page_no", "pageno"];
/// Page-size query parameters (lower case).
const SIZE_PARAMS: [&str; 11] = [
    "limit",
    "per_page",
    "perpage",
    "page_size",
    "pagesize",
    "size",
    "count",
    "max_results",
    "maxresults",
    "top",
    "$top",
];

/// One operation's detected pagination, and why.
pub(crate) struct Detected {
    pub pagination: Pagination,
    pub why: String,
}

/// What the detector looks at.
pub(crate) struct Operation<'a> {
    pub is_get: bool,
    pub extension: Option<&'a Value>,
    pub parameters: &'a [Parameter],
    pub response: Option<&'a Value>,
    /// Shared schemas that `response` may reference.
    pub schemas: &'a Schemas,
    pub link_header: bool,
}

pub(crate) fn detect(op: &Operation<'_>) -> Option<Detected> {
    if let Some(pageable) = op.extension
        && let Some(next) = pageable.get("nextLinkName").and_then(Value::as_str)
        && !next.is_empty()
    {
        let item = pageable
            .get("itemName")
            .and_then(Value::as_str)
            .unwrap_or("value");
        let mut pagination = base(PaginationType::Link, item.to_string(), String::new());
        pagination.next_link_location = Some(LinkLocation::Body);
        pagination.next_page_key = Some(next.to_string());
        return Some(Detected {
            pagination,
            why: format!("x-ms-pageable: next link in `{next}`, items in `{item}`"),
        });
    }
    if !op.is_get {
        return None;
    }
    let schemas = op.schemas;
    let results = op.response.and_then(|r| results_key(r, schemas))?;
    let query: Vec<&str> = op
        .parameters
        .iter()
        .filter(|p| p.location == ParameterLocation::Query)
        .map(|p| p.name.as_str())
        .collect();
    let find = |names: &[&str]| {
        query
            .iter()
            .find(|q| names.contains(&q.to_ascii_lowercase().as_str()))
            .map(|q| q.to_string())
    };
    let size = find(&SIZE_PARAMS).unwrap_or_default();
    let size_note = if size.is_empty() {
        String::new()
    } else {
        format!(", page size `{size}`")
    };
    if op.link_header {
        return Some(Detected {
            pagination: {
                let mut p = base(PaginationType::Link, results, size);
                p.next_link_location = Some(LinkLocation::Header);
                p
            },
            why: format!("`Link` response header{size_note}"),
        });
    }
    let response = op.response.unwrap_or(&Value::Null);
    if let Some(after) = find(&CURSOR_PARAMS) {
        let pointer = field_path(response, &CURSOR_FIELDS, &[], schemas)
            .map(|path| format!("$.{path}"))
            .or_else(|| last_item_id(response, &results, &after, schemas));
        if let Some(pointer) = pointer {
            let mut pagination = base(PaginationType::Pointer, results, size);
            pagination.after_param = Some(after.clone());
            pagination.pointer_jsonpath = Some(pointer.clone());
            return Some(Detected {
                pagination,
                why: format!("cursor parameter `{after}`, cursor at `{pointer}`{size_note}"),
            });
        }
    }
    if let Some(key) = field_path(response, &NEXT_LINK_FIELDS, &LINK_CONTAINERS, schemas) {
        let mut pagination = base(PaginationType::Link, results, size);
        pagination.next_link_location = Some(LinkLocation::Body);
        pagination.next_page_key = Some(key.clone());
        return Some(Detected {
            pagination,
            why: format!("next link in the response field `{key}`{size_note}"),
        });
    }
    if let Some(index) = find(&INDEX_PARAMS) {
        let mut pagination = base(PaginationType::Index, results, size);
        pagination.index_param = Some(index.clone());
        return Some(Detected {
            pagination,
            why: format!("offset parameter `{index}`{size_note}"),
        });
    }
    if let Some(page) = find(&PAGE_PARAMS) {
        let mut pagination = base(PaginationType::Page, results, size);
        pagination.page_param = Some(page.clone());
        return Some(Detected {
            pagination,
            why: format!("page parameter `{page}`{size_note}"),
        });
    }
    None
}

fn base(kind: PaginationType, results_key: String, page_size_param: String) -> Pagination {
    Pagination {
        kind,
        results_key,
        page_size_param,
        ..Pagination::default()
    }
}

/// The schema itself, or the shared schema it references (`null` when dangling).
fn follow<'a>(schema: &'a Value, schemas: &'a Schemas) -> &'a Value {
    follow_shared(schema, schemas).unwrap_or(&Value::Null)
}

fn is_array(schema: &Value, schemas: &Schemas) -> bool {
    let schema = follow(schema, schemas);
    match schema.get("type") {
        Some(Value::String(t)) => t == "array",
        Some(Value::Array(types)) => types.iter().any(|t| t == "array"),
        _ => schema.get("items").is_some(),
    }
}

fn properties<'a>(
    schema: &'a Value,
    schemas: &'a Schemas,
) -> impl Iterator<Item = (&'a String, &'a Value)> {
    follow(schema, schemas)
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
}

/// Dotted path of the results array in a response schema: empty for an array body, else the
/// first array property (top level first, then one level down). `None` without an array.
pub(crate) fn results_key(schema: &Value, schemas: &Schemas) -> Option<String> {
    if is_array(schema, schemas) {
        return Some(String::new());
    }
    if let Some((name, _)) =
        properties(schema, schemas).find(|(n, s)| is_array(s, schemas) && !n.contains('.'))
    {
        return Some(name.clone());
    }
    properties(schema, schemas).find_map(|(outer, inner)| {
        properties(inner, schemas)
            .find(|(n, s)| is_array(s, schemas) && !n.contains('.') && !outer.contains('.'))
            .map(|(name, _)| format!("{outer}.{name}"))
    })
}

/// Dotted path of a string-like field named one of `names`: at the top level, or inside one
/// of `containers` (or any object property when `containers` is empty).
fn field_path(
    schema: &Value,
    names: &[&str],
    containers: &[&str],
    schemas: &Schemas,
) -> Option<String> {
    let matches = |name: &str, s: &Value| {
        names.contains(&name.to_ascii_lowercase().as_str())
            && !name.contains('.')
            && follow(s, schemas).get("type").is_none_or(|t| {
                t == "string" || t.as_array().is_some_and(|a| a.contains(&"string".into()))
            })
    };
    if let Some((name, _)) =
        properties(schema, schemas).find(|(n, s)| matches(n, s) && !n.eq_ignore_ascii_case("href"))
    {
        return Some(name.clone());
    }
    properties(schema, schemas).find_map(|(outer, inner)| {
        let container =
            containers.is_empty() || containers.contains(&outer.to_ascii_lowercase().as_str());
        if !container || outer.contains('.') {
            return None;
        }
        properties(inner, schemas).find_map(|(name, s)| {
            if matches(name, s) && !name.eq_ignore_ascii_case("href") {
                return Some(format!("{outer}.{name}"));
            }
            // HAL: `_links.next.href`.
            if name.eq_ignore_ascii_case("next") {
                return properties(s, schemas)
                    .find(|(n, _)| n.eq_ignore_ascii_case("href"))
                    .map(|(href, _)| format!("{outer}.{name}.{href}"));
            }
            None
        })
    })
}

/// `$.data[-1].id` for APIs whose cursor is the last item's id (`starting_after`, `after`).
fn last_item_id(schema: &Value, results: &str, param: &str, schemas: &Schemas) -> Option<String> {
    if !matches!(
        param.to_ascii_lowercase().as_str(),
        "starting_after" | "after"
    ) {
        return None;
    }
    let mut array = follow(schema, schemas);
    for segment in results.split('.').filter(|s| !s.is_empty()) {
        array = follow(array.get("properties")?.get(segment)?, schemas);
    }
    follow(array.get("items")?, schemas)
        .get("properties")?
        .get("id")?;
    let path = if results.is_empty() {
        "$".to_string()
    } else {
        format!("$.{results}")
    };
    Some(format!("{path}[-1].id"))
}
