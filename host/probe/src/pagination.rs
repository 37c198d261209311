//! Do the pages advance? What in a page points at the next one, and which pagination settings
//! follow it.

use plugboard_definition::{Action, LinkLocation, Pagination, PaginationType};
use plugboard_runtime::Exchange;
use serde::Serialize;
use serde_json::Value;

use crate::results::dotted;
use crate::{Check, Verdict};

/// What the first page shows of a next page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Signs {
    /// A `Link` header with `rel="next"`.
    pub link_header: bool,
    /// The dotted path of a next-page URL in the body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_url: Option<String>,
    /// The dotted path of a next-page cursor in the body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

impl Signs {
    fn any(&self) -> bool {
        self.link_header || self.next_url.is_some() || self.cursor.is_some()
    }

    fn describe(&self) -> String {
        if self.link_header {
            "a `Link` header with rel=\"next\"".to_string()
        } else if let Some(path) = &self.next_url {
            format!("a next-page URL at `{path}`")
        } else if let Some(path) = &self.cursor {
            format!("a cursor at `{path}`")
        } else {
            "nothing".to_string()
        }
    }
}

/// Keys that hold a cursor (lower case, without `_` and `-`).
const CURSOR_KEYS: &[&str] = &[
    "nextcursor",
    "cursor",
    "nextpagetoken",
    "pagetoken",
    "nexttoken",
    "continuationtoken",
    "continuation",
    "after",
    "endcursor",
    "next",
];

/// Query parameters that send a cursor, best first.
const CURSOR_PARAMS: &[&str] = &[
    "after",
    "cursor",
    "page_token",
    "pageToken",
    "starting_after",
    "continuation",
    "next",
];

/// What the first page (its body and headers) shows of a next page.
pub fn signs(body: &Value, first: Option<&Exchange>) -> Signs {
    let link_header = first.and_then(|e| e.response.as_ref()).is_some_and(|r| {
        r.headers.iter().any(|(name, value)| {
            name.eq_ignore_ascii_case("link")
                && (value.contains("rel=\"next\"") || value.contains("rel=next"))
        })
    });
    let mut signs = Signs {
        link_header,
        ..Signs::default()
    };
    walk(body, String::new(), 0, &mut signs);
    signs
}

fn walk(value: &Value, path: String, depth: usize, signs: &mut Signs) {
    let Value::Object(map) = value else { return };
    for (key, child) in map {
        let child_path = if path.is_empty() {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        let plain: String = key
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        if let Value::String(text) = child {
            let url = text.starts_with("http://")
                || text.starts_with("https://")
                || text.starts_with('/')
                || text.starts_with('?');
            if url && plain.contains("next") && signs.next_url.is_none() {
                signs.next_url = Some(child_path.clone());
            } else if !url && CURSOR_KEYS.contains(&plain.as_str()) && signs.cursor.is_none() {
                signs.cursor = Some(child_path.clone());
            }
        } else if depth < 3 {
            walk(child, child_path, depth + 1, signs);
        }
    }
}

/// The pagination that follows `signs` (keeping the page size and limit), if any.
fn following(
    current: &Pagination,
    action: &Action,
    signs: &Signs,
    results_key: &str,
) -> Option<Pagination> {
    let base = Pagination {
        kind: PaginationType::None,
        results_key: results_key.to_string(),
        page_size_param: current.page_size_param.clone(),
        default_page_size: current.default_page_size,
        default_page_limit: current.default_page_limit,
        ..Pagination::default()
    };
    if signs.link_header {
        return Some(Pagination {
            kind: PaginationType::Link,
            next_link_location: Some(LinkLocation::Header),
            ..base
        });
    }
    if let Some(path) = &signs.next_url {
        return Some(Pagination {
            kind: PaginationType::Link,
            next_link_location: Some(LinkLocation::Body),
            next_page_key: Some(path.clone()),
            ..base
        });
    }
    if let Some(path) = &signs.cursor {
        let declared: Vec<&str> = action.parameters.iter().map(|p| p.name.as_str()).collect();
        let param = CURSOR_PARAMS
            .iter()
            .find(|p| declared.contains(p))
            .copied()
            .unwrap_or("cursor");
        return Some(Pagination {
            kind: PaginationType::Pointer,
            pointer_jsonpath: Some(format!("$.{path}")),
            after_param: Some(param.to_string()),
            ..base
        });
    }
    None
}

/// The items of an exchange's page at `results_key`.
fn items<'a>(page: &'a Value, results_key: &str) -> Option<&'a Vec<Value>> {
    dotted(page, results_key).and_then(Value::as_array)
}

/// Judges the pages of a paginated call; the pagination that fits when the current one does
/// not.
pub(crate) fn check(
    current: &Pagination,
    action: &Action,
    exchanges: &[Exchange],
    results_key: &str,
    signs: &Signs,
    results_found: bool,
) -> (Check, Option<Pagination>) {
    let pages: Vec<Value> = exchanges
        .iter()
        .filter_map(|e| e.response.as_ref())
        .filter(|r| (200..300).contains(&r.status))
        .filter_map(|r| serde_json::from_slice(&r.body.bytes()).ok())
        .collect();
    let suggested = following(current, action, signs, results_key).filter(|s| {
        s.kind != current.kind
            || s.next_page_key != current.next_page_key
            || s.pointer_jsonpath != current.pointer_jsonpath
    });
    let style = current.kind.as_str();
    match pages.as_slice() {
        [] => (Check::new(Verdict::Failed, "no page to judge"), None),
        [first, second, ..] => {
            let (one, two) = (items(first, results_key), items(second, results_key));
            match (one, two) {
                (Some(one), Some(two)) if !one.is_empty() && one == two => {
                    let check = Check::new(
                        Verdict::Failed,
                        format!(
                            "page 2 repeats page 1: the API ignores how {style} pagination asks for the next page"
                        ),
                    );
                    let check = match &suggested {
                        Some(s) => check.hint(format!(
                            "the page shows {}: use {} pagination",
                            signs.describe(),
                            s.kind.as_str()
                        )),
                        None => check.hint(
                            "check the page, offset or cursor parameter's name against the API's docs",
                        ),
                    };
                    (check, suggested)
                }
                (_, Some(two)) => (
                    Check::new(
                        Verdict::Ok,
                        format!(
                            "page 2 differs from page 1 ({} item(s) on page 2)",
                            two.len()
                        ),
                    ),
                    None,
                ),
                _ => (
                    Check::new(Verdict::Warning, "page 2 holds no list at the results key"),
                    suggested,
                ),
            }
        }
        [first] => {
            let count = items(first, results_key).map_or(0, Vec::len);
            if !results_found && signs.any() {
                // Pages stop when the results key finds nothing: that is the first thing to fix.
                (
                    Check::new(
                        Verdict::Warning,
                        format!(
                            "stopped after one page, which shows {}: the results key found no items, so the pages stopped",
                            signs.describe()
                        ),
                    )
                    .hint("fix the results key, then probe again"),
                    suggested,
                )
            } else if signs.any() {
                let check = Check::new(
                    Verdict::Failed,
                    format!(
                        "stopped after one page although it shows {}",
                        signs.describe()
                    ),
                );
                let check = match &suggested {
                    Some(s) => check.hint(format!("use {} pagination", s.kind.as_str())),
                    None => check.hint("check the pagination's fields against what the page shows"),
                };
                (check, suggested)
            } else if count >= current.default_page_size as usize && count > 0 {
                (
                    Check::new(
                        Verdict::Warning,
                        format!("one full page ({count} items) and nothing points at a next page"),
                    )
                    .hint("it may hold everything; if not, the API pages in a way the page does not show (see its docs)"),
                    None,
                )
            } else {
                (
                    Check::new(
                        Verdict::Ok,
                        format!("one page holds everything ({count} item(s))"),
                    ),
                    None,
                )
            }
        }
    }
}
