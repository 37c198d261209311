//! Keyset pagination: a list answers at most `limit` items after a cursor, in a stable order,
//! and the cursor of its last item when more follow. A cursor is opaque to callers: base64url of
//! `[list, key...]`, where the key is the values of the list's order columns for the last item.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{Error, Result};

/// How many items a list answers when the caller does not say.
pub const DEFAULT_LIMIT: u32 = 100;

/// The most items a list answers at once.
pub const MAX_LIMIT: u32 = 1000;

/// Where a page starts (after the item a cursor names) and how many items it holds at most.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// The previous page's cursor; `None` for the first page.
    pub after: Option<Cursor>,
    /// At most this many items, 1 to [`MAX_LIMIT`].
    pub limit: u32,
}

impl Default for PageRequest {
    fn default() -> PageRequest {
        PageRequest {
            after: None,
            limit: DEFAULT_LIMIT,
        }
    }
}

impl PageRequest {
    /// A page from a caller's `cursor` and `limit` (query parameters): a [`Error::Paging`]
    /// naming the parameter when either is not acceptable.
    pub fn parse(cursor: Option<&str>, limit: Option<&str>) -> Result<PageRequest> {
        let limit = match limit {
            None => DEFAULT_LIMIT,
            Some(text) => text
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=MAX_LIMIT).contains(n))
                .ok_or_else(|| Error::Paging {
                    parameter: "limit",
                    message: format!("`{text}` is not a whole number from 1 to {MAX_LIMIT}"),
                })?,
        };
        let after = cursor.map(Cursor::parse).transpose()?;
        Ok(PageRequest { after, limit })
    }

    /// The key after which the list `list` starts, if any; a cursor of another list, or one
    /// whose key does not fit, is a [`Error::Paging`].
    pub(crate) fn after<K: DeserializeOwned>(&self, list: &str) -> Result<Option<K>> {
        let Some(cursor) = &self.after else {
            return Ok(None);
        };
        if cursor.list != list {
            return Err(bad_cursor(format!(
                "it belongs to another list ({}), not to {list}",
                cursor.list
            )));
        }
        serde_json::from_value(cursor.key.clone())
            .map(Some)
            .map_err(|_| bad_cursor("its key does not fit this list".into()))
    }

    /// How many rows to fetch: one more than the page holds, to learn whether more follow.
    pub(crate) fn fetch(&self) -> i64 {
        i64::from(self.limit) + 1
    }

    /// The page of `rows` (fetched with [`PageRequest::fetch`]): at most `limit` items, and the
    /// cursor of the last one when more follow.
    pub(crate) fn page<T, K: Serialize>(
        &self,
        mut rows: Vec<T>,
        list: &str,
        key: impl Fn(&T) -> K,
    ) -> Result<Page<T>> {
        let limit = usize::try_from(self.limit).unwrap_or(usize::MAX);
        let next = if rows.len() > limit {
            rows.truncate(limit);
            let last = rows.last().map(key);
            last.map(|k| Cursor::new(list, &k)).transpose()?
        } else {
            None
        };
        Ok(Page { items: rows, next })
    }
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The items, in the list's order.
    pub items: Vec<T>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<Cursor>,
}

/// Where the next page of a list starts: the list's name and the key of the last item given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    list: String,
    key: serde_json::Value,
}

fn bad_cursor(message: String) -> Error {
    Error::Paging {
        parameter: "cursor",
        message: format!("not a cursor this server gave: {message}"),
    }
}

impl Cursor {
    fn new(list: &str, key: &impl Serialize) -> Result<Cursor> {
        let key = serde_json::to_value(key).map_err(|e| Error::Invalid(e.to_string()))?;
        Ok(Cursor {
            list: list.to_string(),
            key,
        })
    }

    /// Reads a cursor as [`Cursor::encode`] wrote it.
    pub fn parse(text: &str) -> Result<Cursor> {
        let bytes = URL_SAFE_NO_PAD
            .decode(text)
            .map_err(|_| bad_cursor("it is not base64url".into()))?;
        let value: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|_| bad_cursor("its content is not what a cursor holds".into()))?;
        match value {
            serde_json::Value::Array(mut parts) if parts.len() >= 2 => {
                let key = serde_json::Value::Array(parts.split_off(1));
                match parts.pop() {
                    Some(serde_json::Value::String(list)) => Ok(Cursor { list, key }),
                    _ => Err(bad_cursor("it names no list".into())),
                }
            }
            _ => Err(bad_cursor("its content is not what a cursor holds".into())),
        }
    }

    /// The cursor as callers see it (opaque, URL-safe).
    pub fn encode(&self) -> String {
        let mut parts = vec![serde_json::Value::String(self.list.clone())];
        if let serde_json::Value::Array(key) = &self.key {
            parts.extend(key.iter().cloned());
        }
        URL_SAFE_NO_PAD.encode(serde_json::Value::Array(parts).to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_belong_to_their_list() {
        let request = PageRequest {
            limit: 2,
            ..PageRequest::default()
        };
        let page = request
            .page(vec![(1, "a"), (2, "b"), (3, "c")], "things", |&(n, s)| {
                (n, s.to_string())
            })
            .unwrap();
        assert_eq!(page.items.len(), 2);
        let text = page.next.expect("more follow").encode();
        let next = PageRequest::parse(Some(&text), Some("2")).unwrap();
        assert_eq!(
            next.after::<(i64, String)>("things").unwrap(),
            Some((2, "b".to_string()))
        );
        assert!(matches!(
            next.after::<(i64, String)>("others"),
            Err(Error::Paging {
                parameter: "cursor",
                ..
            })
        ));
        assert!(matches!(
            next.after::<(String, String, String)>("things"),
            Err(Error::Paging { .. })
        ));
        let last = request.page(vec![(1, "a")], "things", |&(n, _)| n).unwrap();
        assert_eq!(last.next, None);
    }

    #[test]
    fn bad_limits_and_cursors_name_their_parameter() {
        for limit in ["0", "1001", "-1", "ten"] {
            assert!(
                matches!(
                    PageRequest::parse(None, Some(limit)),
                    Err(Error::Paging {
                        parameter: "limit",
                        ..
                    })
                ),
                "{limit}"
            );
        }
        for cursor in ["%%%", "bm90IGpzb24", "WzFd", "WyJ4Il0"] {
            assert!(
                matches!(
                    PageRequest::parse(Some(cursor), None),
                    Err(Error::Paging {
                        parameter: "cursor",
                        ..
                    })
                ),
                "{cursor}"
            );
        }
        assert_eq!(PageRequest::parse(None, None).unwrap().limit, DEFAULT_LIMIT);
    }
}
