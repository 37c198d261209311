//! The declarative engine that runs inside every finalized Plugboard component.
//!
//! It reads the action table that finalize placed in its memory ([`table`]), turns an action id
//! and a JSON input into HTTP requests ([`request`]), follows pages ([`paginate`]) and returns
//! JSON. It never sees credentials: the host applies them to requests to the primary host.
//!
//! The logic is plain Rust over a [`Transport`], so it is tested natively; the component glue
//! (`wasm32` only) maps the transport to the host's `http` import.

pub mod body;
pub mod link_header;
pub mod paginate;
pub mod request;
pub mod table;

#[cfg(target_arch = "wasm32")]
mod component;

use serde_json::Value;

/// One outbound request.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpRequest {
    /// Upper-case method.
    pub method: String,
    /// Absolute URL.
    pub url: String,
    /// Headers.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Option<Vec<u8>>,
}

/// One upstream response.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Headers, names in lower case.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// First value of a header (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        header_in(&self.headers, name)
    }
}

/// First value of a header (case-insensitive name) in a header list.
pub(crate) fn header_in<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

pub use plugboard_manifest::Failure;

/// Sends requests for the engine (the host's `http` import inside a component).
pub trait Transport {
    /// Sends one request.
    fn send(&mut self, request: HttpRequest) -> Result<HttpResponse, Failure>;
    /// Records a diagnostic message.
    fn log(&mut self, _message: &str) {}
    /// The installation's value of a declared config name (fills hostname placeholders).
    fn config(&mut self, _name: &str) -> Option<String> {
        None
    }
}

/// Runs one action of `table` with a JSON input (an object; empty text means `{}`); returns
/// the output as JSON text.
pub fn invoke(
    table: &mut table::Parsed<'_>,
    action_id: &str,
    input: &str,
    transport: &mut dyn Transport,
) -> Result<String, Failure> {
    let record = table
        .record(action_id)?
        .ok_or_else(|| Failure::invalid_input(format!("unknown action `{action_id}`")))?;
    let mut meta = table.meta()?;
    if meta.hostname.contains('{') {
        // `{account}.blob.core.windows.net`: the installation's config fills the placeholders
        // (the host checks that requests go to the host it resolves the same way).
        let hostname = plugboard_manifest::rules::resolve_host_template(&meta.hostname, |name| {
            transport.config(name)
        })
        .map_err(Failure::invalid_input)?;
        std::rc::Rc::make_mut(&mut meta).hostname = hostname;
    }
    let input: Value = if input.trim().is_empty() {
        Value::Object(Default::default())
    } else {
        serde_json::from_str(input)
            .map_err(|e| Failure::invalid_input(format!("input is not JSON: {e}")))?
    };
    let prepared = request::prepare(&meta, &record, &input)?;
    if record.paginated {
        let pages = paginate::run(
            record.pagination.as_ref().unwrap_or(&meta.pagination),
            prepared,
            transport,
        )?;
        serde_json::to_string(&pages).map_err(|e| Failure::internal(e.to_string()))
    } else {
        let response = transport.send(prepared.into_request())?;
        request::check_status(&record.method, &record.path, &response)?;
        request::body_to_json(response)
    }
}
