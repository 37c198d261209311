//! The compiled action table: the form in which finalize hands a definition to the engine.
//!
//! The table is read in place from the component's linear memory (a data segment that the
//! bundler adds), so an instance never parses the whole table: `invoke` binary-searches the
//! index and parses one small action record. It holds only what the engine needs to build
//! requests (base URL, extra headers, pagination, each action's method, path and parameters);
//! what the host enforces is the component's manifest, not this table.
//!
//! The bytes are a [`plugboard_manifest::packed`] layout with magic `PBTABLE2`: one fixed blob
//! (the [`Meta`] as JSON) and one entry per action keyed by id, whose value is its
//! [`ActionRecord`] as JSON.

use std::rc::Rc;

use plugboard_manifest::packed::{self, Packed};
use plugboard_manifest::{Failure, Scheme};
use serde::{Deserialize, Serialize};

/// First bytes of every table.
pub const TABLE_MAGIC: &[u8; 8] = b"PBTABLE2";

/// Marker in the engine's table slot; the bundler finds it and writes the table's address and
/// length in the 8 bytes that follow.
pub const SLOT_MAGIC: [u8; 16] = *b"\x7fPBSLOT\x00\x91\xc3\x5e\x2a\xd4\x08\xb6\x3f";

/// Integration-wide settings the engine needs on every call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    /// Primary host with optional port.
    pub hostname: String,
    /// Path prefix (`/v2`) or empty.
    pub base_path: String,
    /// The primary host's scheme.
    pub scheme: Scheme,
    /// Pagination for paginated actions.
    pub pagination: PaginationConfig,
    /// Headers sent with every request to the primary host.
    pub extra_request_headers: Vec<(String, String)>,
}

/// Pagination, compiled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaginationConfig {
    /// How to find the next page.
    pub style: PaginationStyle,
    /// Dotted path to the results array; empty for the body itself.
    pub results_key: String,
    /// Page size query parameter, or empty.
    pub page_size_param: String,
    /// Items per page.
    pub page_size: u32,
    /// Pages at most per invocation.
    pub page_limit: u32,
}

/// How to find the next page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PaginationStyle {
    /// No pagination.
    None,
    /// Offset in `param`, from 0.
    Index {
        /// Query parameter.
        param: String,
    },
    /// Page number in `param`, from 1.
    Page {
        /// Query parameter.
        param: String,
    },
    /// Next link in a response header.
    LinkHeader {
        /// Header name, lower case.
        header_name: String,
        /// Link relation to follow.
        rel: String,
    },
    /// Next link at a dotted path of the body.
    LinkBody {
        /// Dotted path.
        next_page_key: String,
    },
    /// Cursor from a JSONPath, sent as `after_param`.
    Pointer {
        /// RFC 9535 JSONPath.
        jsonpath: String,
        /// Query parameter.
        after_param: String,
    },
}

/// One action, compiled: what `invoke` needs to build requests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionRecord {
    /// Upper-case method.
    pub method: String,
    /// Path template.
    pub path: String,
    /// Parameters in definition order.
    pub params: Vec<ParamRecord>,
    /// `Some(required)` when the action takes a body.
    pub body: Option<bool>,
    /// The body's media type (`None` is JSON).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_media: Option<String>,
    /// The `Accept` header (`None` is `application/json`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accept: Option<String>,
    /// Whether to follow pages.
    pub paginated: bool,
    /// This action's own pagination (else the integration's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pagination: Option<PaginationConfig>,
}

/// One parameter, compiled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParamRecord {
    /// Name (input key and request name).
    pub name: String,
    /// `path`, `query` or `header`.
    pub location: ParamLocation,
    /// Whether the input must have it.
    pub required: bool,
    /// JSON types the parameter's schema allows (`integer`, `number`, `string`, `boolean`,
    /// `array`, ...); empty allows any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub types: Vec<String>,
    /// A fixed value, always sent; not an input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// OpenAPI `style` (`None`: `form` in the query, `simple` elsewhere).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub style: Option<String>,
    /// OpenAPI `explode` (`None`: true for `form`, false otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explode: Option<bool>,
}

/// Where a parameter goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamLocation {
    /// Path template.
    Path,
    /// Query string.
    Query,
    /// Header.
    Header,
}

/// Serializes a table; ids must be unique.
pub fn write_table(
    meta: &Meta,
    actions: impl IntoIterator<Item = (String, ActionRecord)>,
) -> Result<Vec<u8>, plugboard_manifest::Error> {
    let json = |value: serde_json::Result<Vec<u8>>| {
        value.map_err(|e| plugboard_manifest::Error::Json {
            what: "action table",
            message: e.to_string(),
        })
    };
    let meta = json(serde_json::to_vec(meta))?;
    let entries = actions
        .into_iter()
        .map(|(id, record)| Ok([id.into_bytes(), json(serde_json::to_vec(&record))?]))
        .collect::<Result<Vec<_>, plugboard_manifest::Error>>()?;
    packed::write::<2>(TABLE_MAGIC, &[&meta], entries)
}

/// A table read in place.
#[derive(Debug, Clone, Copy)]
pub struct Table<'a> {
    packed: Packed<'a, 2>,
}

impl<'a> Table<'a> {
    /// Checks the header and index bounds (not the records: those are read lazily).
    pub fn new(bytes: &'a [u8]) -> Result<Table<'a>, Failure> {
        Ok(Table {
            packed: Packed::new(bytes, TABLE_MAGIC, 1).map_err(broken)?,
        })
    }

    /// Number of actions.
    pub fn len(&self) -> usize {
        self.packed.len()
    }

    /// Whether the table has no actions.
    pub fn is_empty(&self) -> bool {
        self.packed.is_empty()
    }

    /// Integration settings.
    pub fn meta(&self) -> Result<Meta, Failure> {
        let bytes = self.packed.fixed(0).map_err(broken)?;
        serde_json::from_slice(bytes)
            .map_err(|e| Failure::internal(format!("action table: meta: {e}")))
    }

    /// Action id `i` in id order.
    pub fn id(&self, i: usize) -> Result<&'a str, Failure> {
        self.packed.text(i, 0).map_err(broken)
    }

    /// The record of the action with this id, parsed; `None` when there is none.
    pub fn record(&self, id: &str) -> Result<Option<ActionRecord>, Failure> {
        let Some(i) = self.packed.find(id.as_bytes()).map_err(broken)? else {
            return Ok(None);
        };
        let bytes = self.packed.field(i, 1).map_err(broken)?;
        serde_json::from_slice(bytes)
            .map(Some)
            .map_err(|e| Failure::internal(format!("action table: record of `{id}`: {e}")))
    }
}

/// Records [`Parsed`] keeps at most: a warm instance usually serves a few actions.
pub const PARSED_RECORDS: usize = 16;

/// A table with what calls read from it kept parsed: its meta, and the records of the last
/// [`PARSED_RECORDS`] actions called. A warm instance keeps one between calls, so a repeated
/// call parses nothing from the table again. The table is read-only data, the same for every
/// installation, so nothing of one call's input or output is kept.
#[derive(Debug)]
pub struct Parsed<'a> {
    table: Table<'a>,
    meta: Option<Rc<Meta>>,
    records: Vec<(Box<str>, Rc<ActionRecord>)>,
}

impl<'a> Parsed<'a> {
    /// Nothing parsed yet.
    pub fn new(table: Table<'a>) -> Parsed<'a> {
        Parsed {
            table,
            meta: None,
            records: Vec::new(),
        }
    }

    /// [`Table::meta`], parsed on first use.
    pub fn meta(&mut self) -> Result<Rc<Meta>, Failure> {
        if let Some(meta) = &self.meta {
            return Ok(meta.clone());
        }
        let meta = Rc::new(self.table.meta()?);
        self.meta = Some(meta.clone());
        Ok(meta)
    }

    /// [`Table::record`], parsed on first use (the oldest kept record makes room).
    pub fn record(&mut self, id: &str) -> Result<Option<Rc<ActionRecord>>, Failure> {
        if let Some((_, record)) = self.records.iter().find(|(kept, _)| **kept == *id) {
            return Ok(Some(record.clone()));
        }
        let Some(record) = self.table.record(id)? else {
            return Ok(None);
        };
        let record = Rc::new(record);
        if self.records.len() == PARSED_RECORDS {
            self.records.remove(0);
        }
        self.records.push((id.into(), record.clone()));
        Ok(Some(record))
    }
}

/// A malformed table (a component that was not finalized, or was tampered with).
fn broken(error: plugboard_manifest::Error) -> Failure {
    Failure::internal(format!("action table: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> Meta {
        Meta {
            hostname: "h".into(),
            base_path: String::new(),
            scheme: Scheme::Https,
            pagination: PaginationConfig {
                style: PaginationStyle::None,
                results_key: String::new(),
                page_size_param: String::new(),
                page_size: 10,
                page_limit: 2,
            },
            extra_request_headers: vec![],
        }
    }

    fn record(id: &str) -> (String, ActionRecord) {
        let record = ActionRecord {
            method: "GET".into(),
            path: format!("/{id}"),
            params: vec![],
            body: None,
            body_media: None,
            accept: None,
            paginated: false,
            pagination: None,
        };
        (id.to_string(), record)
    }

    #[test]
    fn round_trip_and_lookup() {
        let ids = ["zeta", "alpha", "mid", "beta"];
        let bytes = write_table(&meta(), ids.iter().map(|i| record(i))).unwrap();
        let table = Table::new(&bytes).unwrap();
        assert_eq!(table.len(), 4);
        assert_eq!(table.meta().unwrap(), meta());
        for id in ids {
            assert_eq!(table.record(id).unwrap().unwrap().path, format!("/{id}"));
        }
        assert!(table.record("nope").unwrap().is_none());
        assert_eq!(table.id(0).unwrap(), "alpha");
    }

    #[test]
    fn parsed_keeps_the_meta_and_the_last_records_it_read() {
        let ids: Vec<String> = (0..PARSED_RECORDS + 2)
            .map(|i| format!("a{i:02}"))
            .collect();
        let bytes = write_table(&meta(), ids.iter().map(|i| record(i))).unwrap();
        let mut parsed = Parsed::new(Table::new(&bytes).unwrap());
        let meta_once = parsed.meta().unwrap();
        assert!(Rc::ptr_eq(&meta_once, &parsed.meta().unwrap()));
        assert_eq!(*meta_once, meta());
        let first = parsed.record("a00").unwrap().unwrap();
        assert!(Rc::ptr_eq(&first, &parsed.record("a00").unwrap().unwrap()));
        for id in &ids {
            assert_eq!(parsed.record(id).unwrap().unwrap().path, format!("/{id}"));
        }
        assert_eq!(parsed.records.len(), PARSED_RECORDS);
        // The oldest made room, and is read again from the table when asked for.
        let again = parsed.record("a00").unwrap().unwrap();
        assert!(!Rc::ptr_eq(&first, &again));
        assert_eq!(*first, *again);
        assert!(parsed.record("nope").unwrap().is_none());
    }

    #[test]
    fn malformed_tables_are_errors_not_panics() {
        let bytes = write_table(&meta(), [record("a")]).unwrap();
        for cut in 0..bytes.len() {
            if let Ok(table) = Table::new(&bytes[..cut]) {
                let _ = table.meta();
                let _ = table.record("a");
            }
        }
        let mut corrupt = bytes.clone();
        corrupt[8] = 0xff;
        assert!(Table::new(&corrupt).is_err());
    }
}
