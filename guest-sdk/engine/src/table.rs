//! The compiled action table: the form in which finalize hands a definition to the engine.
//!
//! The table is read in place from the component's linear memory (a data segment that the
//! bundler adds), so an instance never parses the whole table: `invoke` binary-searches the
//! index and parses one small action record.
//!
//! Layout (integers are u32 little-endian; offsets are from the start of the table):
//! ```text
//! magic "PBTABLE1" | count | meta (off, len) | icon (off, len) | shared schemas (off, len)
//! index: count entries sorted by id bytes, each
//!        id (off, len) | record (off, len) | input schema (off, len) | output schema (off, len)
//! data:  strings and JSON records referenced above
//! ```

use serde::{Deserialize, Serialize};

/// First bytes of every table.
pub const TABLE_MAGIC: &[u8; 8] = b"PBTABLE1";

/// Marker in the engine's table slot; the bundler finds it and writes the table's address and
/// length in the 8 bytes that follow.
pub const SLOT_MAGIC: [u8; 16] = *b"\x7fPBSLOT\x00\x91\xc3\x5e\x2a\xd4\x08\xb6\x3f";

const HEADER_LEN: usize = 8 + 4 + 8 + 8 + 8;
const ENTRY_LEN: usize = 32;

/// Integration-wide settings the engine needs on every call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meta {
    /// Integration name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Primary host with optional port.
    pub hostname: String,
    /// Path prefix (`/v2`) or empty.
    pub base_path: String,
    /// `https` or `http`.
    pub scheme: String,
    /// Authentication the host applies.
    pub auth: AuthInfo,
    /// Pagination for paginated actions.
    pub pagination: PaginationConfig,
    /// Hosts the component may call.
    pub allowed_hosts: Vec<String>,
    /// Headers sent with every request to the primary host.
    pub extra_request_headers: Vec<(String, String)>,
}

/// Authentication requirement, as declared to the host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AuthInfo {
    /// No credentials.
    None,
    /// An API key.
    ApiKey {
        /// Header / query parameter / cookie name.
        header_name: String,
        /// Word before the key.
        preamble: String,
        /// `header`, `query` or `cookie`.
        location: String,
    },
    /// HTTP Basic.
    Basic,
    /// OAuth 2.0, with the fields of the WIT `oauth2-auth` record.
    #[serde(rename = "oauth2")]
    OAuth2(Box<OAuth2Info>),
}

/// OAuth 2.0 settings as declared to the host (see the WIT `oauth2-auth` record).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OAuth2Info {
    /// `authorization_code` or `client_credentials`.
    pub grant: String,
    /// Word before the token.
    pub token_scheme: String,
    /// Consent URL; empty for client credentials.
    pub authorization_url: String,
    /// Token endpoint.
    pub token_url: String,
    /// Dotted path of the token.
    pub token_key: String,
    /// Dotted path of the expiry.
    pub expiration_key: String,
    /// Dotted path of the refresh token.
    pub refresh_token_key: String,
    /// JSON token requests.
    pub json_token_request: bool,
    /// GET token requests.
    pub get_token_request: bool,
    /// Scopes.
    pub scope: String,
    /// Client credentials as Basic.
    pub basic_auth_token_exchange: bool,
    /// Client credentials on refresh.
    pub client_config_on_refresh: bool,
    /// Redirect URI on refresh.
    pub redirect_uri_on_refresh: bool,
    /// Refresh buffer in seconds (automatic strategy).
    pub refresh_buffer: Option<u32>,
    /// Refresh interval in seconds (custom interval strategy).
    pub refresh_interval: Option<u32>,
    /// Extra consent URL parameters.
    pub authorization_params: Vec<(String, String)>,
    /// Extra token request headers.
    pub token_request_headers: Vec<(String, String)>,
    /// Statuses meaning "token rejected".
    pub refresh_on_status: Vec<u16>,
    /// Body text meaning "token rejected".
    pub expired_body_marker: Option<String>,
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
pub struct ActionRecord {
    /// Display name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Upper-case method.
    pub method: String,
    /// Path template.
    pub path: String,
    /// Parameters in definition order.
    pub params: Vec<ParamRecord>,
    /// `Some(required)` when the action takes a JSON body.
    pub body: Option<bool>,
    /// Whether to follow pages.
    pub paginated: bool,
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

/// One action for the writer.
#[derive(Debug, Clone)]
pub struct ActionEntry {
    /// Stable id.
    pub id: String,
    /// Compiled record.
    pub record: ActionRecord,
    /// Input JSON Schema text.
    pub input_schema: String,
    /// Output JSON Schema text.
    pub output_schema: String,
}

/// A malformed table (a component that was not finalized, or was tampered with).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableError(pub String);

impl std::fmt::Display for TableError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "action table: {}", self.0)
    }
}

/// Serializes a table. `schemas` is the JSON text of the shared schemas (an object by name,
/// or empty for none). Entries may come in any order; ids must be unique.
pub fn write_table(
    meta: &Meta,
    icon: Option<&str>,
    schemas: &str,
    entries: &[ActionEntry],
) -> Vec<u8> {
    let mut order: Vec<usize> = (0..entries.len()).collect();
    order.sort_by(|&a, &b| entries[a].id.as_bytes().cmp(entries[b].id.as_bytes()));
    let index_len = entries.len() * ENTRY_LEN;
    let mut data = Vec::with_capacity(entries.len() * 256);
    let base = HEADER_LEN + index_len;
    let push = |data: &mut Vec<u8>, bytes: &[u8]| -> (u32, u32) {
        let off = base + data.len();
        data.extend_from_slice(bytes);
        (off as u32, bytes.len() as u32)
    };
    let meta_json = serde_json::to_vec(meta).unwrap_or_default();
    let meta_ref = push(&mut data, &meta_json);
    let icon_ref = push(&mut data, icon.unwrap_or("").as_bytes());
    let schemas_ref = push(&mut data, schemas.as_bytes());
    let mut index = Vec::with_capacity(index_len);
    for &i in &order {
        let entry = &entries[i];
        let record = serde_json::to_vec(&entry.record).unwrap_or_default();
        for (off, len) in [
            push(&mut data, entry.id.as_bytes()),
            push(&mut data, &record),
            push(&mut data, entry.input_schema.as_bytes()),
            push(&mut data, entry.output_schema.as_bytes()),
        ] {
            index.extend_from_slice(&off.to_le_bytes());
            index.extend_from_slice(&len.to_le_bytes());
        }
    }
    let mut out = Vec::with_capacity(base + data.len());
    out.extend_from_slice(TABLE_MAGIC);
    out.extend_from_slice(&(entries.len() as u32).to_le_bytes());
    for (off, len) in [meta_ref, icon_ref, schemas_ref] {
        out.extend_from_slice(&off.to_le_bytes());
        out.extend_from_slice(&len.to_le_bytes());
    }
    out.extend_from_slice(&index);
    out.extend_from_slice(&data);
    out
}

/// A table read in place.
#[derive(Debug, Clone, Copy)]
pub struct Table<'a> {
    bytes: &'a [u8],
    count: usize,
}

/// One index entry, with its pieces still borrowed from the table.
#[derive(Debug, Clone, Copy)]
pub struct EntryRef<'a> {
    /// Action id.
    pub id: &'a str,
    /// Record JSON.
    pub record: &'a [u8],
    /// Input schema JSON text.
    pub input_schema: &'a str,
    /// Output schema JSON text.
    pub output_schema: &'a str,
}

impl<'a> Table<'a> {
    /// Checks the header and index bounds (not the records: those are read lazily).
    pub fn new(bytes: &'a [u8]) -> Result<Table<'a>, TableError> {
        if bytes.len() < HEADER_LEN || &bytes[..8] != TABLE_MAGIC {
            return Err(TableError("missing or unknown table header".into()));
        }
        let count = read_u32(bytes, 8)? as usize;
        let index_end = count
            .checked_mul(ENTRY_LEN)
            .and_then(|n| n.checked_add(HEADER_LEN))
            .ok_or_else(|| TableError("index size overflows".into()))?;
        if index_end > bytes.len() {
            return Err(TableError("index runs past the end of the table".into()));
        }
        Ok(Table { bytes, count })
    }

    /// Number of actions.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether the table has no actions.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Integration settings.
    pub fn meta(&self) -> Result<Meta, TableError> {
        let bytes = self.slice_at(12)?;
        serde_json::from_slice(bytes).map_err(|e| TableError(format!("meta: {e}")))
    }

    /// SVG icon, if any.
    pub fn icon(&self) -> Result<Option<&'a str>, TableError> {
        let icon = self.str_at(20)?;
        Ok((!icon.is_empty()).then_some(icon))
    }

    /// JSON text of the shared schemas (an object by name); empty when there are none.
    pub fn schemas(&self) -> Result<&'a str, TableError> {
        self.str_at(28)
    }

    /// Entry `i` in id order.
    pub fn entry(&self, i: usize) -> Result<EntryRef<'a>, TableError> {
        if i >= self.count {
            return Err(TableError(format!("entry {i} out of range")));
        }
        let at = HEADER_LEN + i * ENTRY_LEN;
        Ok(EntryRef {
            id: self.str_at(at)?,
            record: self.slice_at(at + 8)?,
            input_schema: self.str_at(at + 16)?,
            output_schema: self.str_at(at + 24)?,
        })
    }

    /// Binary search by id.
    pub fn find(&self, id: &str) -> Result<Option<EntryRef<'a>>, TableError> {
        let (mut lo, mut hi) = (0usize, self.count);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let at = HEADER_LEN + mid * ENTRY_LEN;
            let candidate = self.slice_at(at)?;
            match candidate.cmp(id.as_bytes()) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return self.entry(mid).map(Some),
            }
        }
        Ok(None)
    }

    fn slice_at(&self, at: usize) -> Result<&'a [u8], TableError> {
        let off = read_u32(self.bytes, at)? as usize;
        let len = read_u32(self.bytes, at + 4)? as usize;
        off.checked_add(len)
            .and_then(|end| self.bytes.get(off..end))
            .ok_or_else(|| TableError(format!("reference at byte {at} runs past the end")))
    }

    fn str_at(&self, at: usize) -> Result<&'a str, TableError> {
        std::str::from_utf8(self.slice_at(at)?)
            .map_err(|_| TableError(format!("string at byte {at} is not UTF-8")))
    }
}

impl EntryRef<'_> {
    /// Parses the action record.
    pub fn parse_record(&self) -> Result<ActionRecord, TableError> {
        serde_json::from_slice(self.record)
            .map_err(|e| TableError(format!("record of `{}`: {e}", self.id)))
    }
}

fn read_u32(bytes: &[u8], at: usize) -> Result<u32, TableError> {
    bytes
        .get(at..at + 4)
        .and_then(|b| b.try_into().ok())
        .map(u32::from_le_bytes)
        .ok_or_else(|| TableError(format!("truncated at byte {at}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> Meta {
        Meta {
            name: "Demo".into(),
            description: "d".into(),
            hostname: "h".into(),
            base_path: String::new(),
            scheme: "https".into(),
            auth: AuthInfo::None,
            pagination: PaginationConfig {
                style: PaginationStyle::None,
                results_key: String::new(),
                page_size_param: String::new(),
                page_size: 10,
                page_limit: 2,
            },
            allowed_hosts: vec!["h".into()],
            extra_request_headers: vec![],
        }
    }

    fn entry(id: &str) -> ActionEntry {
        ActionEntry {
            id: id.into(),
            record: ActionRecord {
                name: format!("name {id}"),
                description: String::new(),
                method: "GET".into(),
                path: "/x".into(),
                params: vec![],
                body: None,
                paginated: false,
            },
            input_schema: "{}".into(),
            output_schema: "true".into(),
        }
    }

    #[test]
    fn round_trip_and_lookup() {
        let entries: Vec<_> = ["zeta", "alpha", "mid", "beta"]
            .iter()
            .map(|i| entry(i))
            .collect();
        let bytes = write_table(&meta(), Some("<svg/>"), r#"{"A":{}}"#, &entries);
        let table = Table::new(&bytes).unwrap();
        assert_eq!(table.len(), 4);
        assert_eq!(table.meta().unwrap(), meta());
        assert_eq!(table.icon().unwrap(), Some("<svg/>"));
        assert_eq!(table.schemas().unwrap(), r#"{"A":{}}"#);
        for id in ["zeta", "alpha", "mid", "beta"] {
            let found = table.find(id).unwrap().unwrap();
            assert_eq!(found.id, id);
            assert_eq!(found.parse_record().unwrap().name, format!("name {id}"));
        }
        assert!(table.find("nope").unwrap().is_none());
        assert_eq!(table.entry(0).unwrap().id, "alpha");
    }

    #[test]
    fn malformed_tables_are_errors_not_panics() {
        let bytes = write_table(&meta(), None, "", &[entry("a")]);
        assert_eq!(Table::new(&bytes).unwrap().schemas().unwrap(), "");
        for cut in 0..bytes.len() {
            if let Ok(table) = Table::new(&bytes[..cut]) {
                let _ = table.meta();
                let _ = table.schemas();
                let _ = table.find("a");
            }
        }
        let mut corrupt = bytes.clone();
        corrupt[8] = 0xff;
        assert!(Table::new(&corrupt).is_err());
    }
}
