//! The query of every list route: `limit` (1 to 1000, default 100) and `cursor` (the previous
//! page's `next_cursor`). A list answers its items under its own key and `next_cursor`, `null`
//! on the last page.

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use plugboard_store::{Page, PageRequest};
use serde::Serialize;
use serde_json::{Value, json};

use crate::problem::{ApiResult, Problem};

/// A list's page, from the query string.
#[derive(Debug, Clone)]
pub struct Paging(pub PageRequest);

impl<S: Send + Sync> FromRequestParts<S> for Paging {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Paging, Problem> {
        let Query(pairs) = Query::<Vec<(String, String)>>::from_request_parts(parts, state)
            .await
            .map_err(|e| Problem::bad_request(format!("the query string: {}", e.body_text())))?;
        let (mut cursor, mut limit) = (None, None);
        for (name, value) in &pairs {
            let slot = match name.as_str() {
                "cursor" => &mut cursor,
                "limit" => &mut limit,
                other => {
                    return Err(Problem::bad_request(format!(
                        "unknown query parameter `{other}`: a list takes `limit` and `cursor`"
                    ))
                    .with_fields([other.to_string()]));
                }
            };
            if slot.replace(value.as_str()).is_some() {
                return Err(Problem::bad_request(format!(
                    "query parameter `{name}` is given twice"
                ))
                .with_fields([name.clone()]));
            }
        }
        Ok(Paging(PageRequest::parse(cursor, limit)?))
    }
}

/// A page as a list answers it: `{"<key>": [...], "next_cursor": ...}`.
pub fn answer<T: Serialize>(key: &str, page: Page<T>) -> ApiResult<axum::Json<Value>> {
    let items = serde_json::to_value(page.items).map_err(Problem::internal)?;
    Ok(axum::Json(json!({
        key: items,
        "next_cursor": page.next.map(|c| c.encode()),
    })))
}
