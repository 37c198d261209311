//! The component glue: the `integration` world's exports over the engine, and the host's `http`
//! and `logging` imports as the engine's [`Transport`].

use plugboard_guest::bindings::plugboard::integration::types as wit;
use plugboard_guest::{Guest, http, logging};

use crate::table::{AuthInfo, PaginationStyle, SLOT_MAGIC, Table};
use crate::{EngineError, HttpRequest, HttpResponse, Transport};

/// The slot the bundler patches: after the magic, the address and length of the action table
/// that finalize appended as a data segment. Read with volatile loads so the compiler cannot
/// assume the zeros it was built with.
#[repr(C)]
struct Slot {
    magic: [u8; 16],
    ptr: u32,
    len: u32,
}

#[used]
static TABLE_SLOT: Slot = Slot {
    magic: SLOT_MAGIC,
    ptr: 0,
    len: 0,
};

fn table() -> Result<Table<'static>, EngineError> {
    // SAFETY: plain loads of two u32 fields of a static.
    let (ptr, len) = unsafe {
        (
            core::ptr::read_volatile(&raw const TABLE_SLOT.ptr),
            core::ptr::read_volatile(&raw const TABLE_SLOT.len),
        )
    };
    if len == 0 {
        return Err(EngineError::Internal(
            "this engine has no action table: make components with `plugboard build`".into(),
        ));
    }
    // SAFETY: the bundler placed `len` bytes at `ptr` in an active data segment of this
    // module's memory, which is never written. A tampered bundle can at worst make this read
    // trap (out of bounds), which the host contains.
    let bytes = unsafe { core::slice::from_raw_parts(ptr as usize as *const u8, len as usize) };
    Ok(Table::new(bytes)?)
}

struct Engine;

impl Guest for Engine {
    fn manifest() -> Result<wit::Manifest, wit::Error> {
        manifest().map_err(to_wit)
    }

    fn invoke(action_id: String, input: String) -> Result<String, wit::Error> {
        let table = table().map_err(to_wit)?;
        let output =
            crate::invoke(&table, &action_id, &input, &mut HostTransport).map_err(to_wit)?;
        serde_json::to_string(&output).map_err(|e| wit::Error::Internal(e.to_string()))
    }
}

plugboard_guest::export!(Engine with_types_in plugboard_guest::bindings);

fn manifest() -> Result<wit::Manifest, EngineError> {
    let table = table()?;
    let meta = table.meta()?;
    let mut actions = Vec::with_capacity(table.len());
    for i in 0..table.len() {
        let entry = table.entry(i)?;
        let record = entry.parse_record()?;
        actions.push(wit::Action {
            id: entry.id.to_string(),
            name: record.name,
            description: record.description,
            method: record.method,
            path: record.path,
            paginated: record.paginated,
            input_schema: entry.input_schema.to_string(),
            output_schema: entry.output_schema.to_string(),
        });
    }
    let auth = match meta.auth {
        AuthInfo::None => wit::AuthRequirement::None,
        AuthInfo::Basic => wit::AuthRequirement::Basic,
        AuthInfo::ApiKey {
            header_name,
            preamble,
            location,
        } => wit::AuthRequirement::ApiKey(wit::ApiKeyAuth {
            header_name,
            preamble,
            location: match location.as_str() {
                "query" => wit::ApiKeyLocation::Query,
                "cookie" => wit::ApiKeyLocation::Cookie,
                _ => wit::ApiKeyLocation::Header,
            },
        }),
        AuthInfo::OAuth2(o) => wit::AuthRequirement::Oauth2(wit::Oauth2Auth {
            grant: if o.grant == "client_credentials" {
                wit::Oauth2Grant::ClientCredentials
            } else {
                wit::Oauth2Grant::AuthorizationCode
            },
            token_scheme: o.token_scheme,
            authorization_url: o.authorization_url,
            token_url: o.token_url,
            token_key: o.token_key,
            expiration_key: o.expiration_key,
            refresh_token_key: o.refresh_token_key,
            json_token_request: o.json_token_request,
            get_token_request: o.get_token_request,
            scope: o.scope,
            basic_auth_token_exchange: o.basic_auth_token_exchange,
            client_config_on_refresh: o.client_config_on_refresh,
            redirect_uri_on_refresh: o.redirect_uri_on_refresh,
            refresh: match (o.refresh_interval, o.refresh_buffer) {
                (Some(every), _) => wit::TokenRefresh::Interval(every),
                (None, buffer) => wit::TokenRefresh::Automatic(buffer.unwrap_or(300)),
            },
            authorization_params: o.authorization_params,
            token_request_headers: o.token_request_headers,
            refresh_on_status: o.refresh_on_status,
            expired_body_marker: o.expired_body_marker,
        }),
    };
    let p = meta.pagination;
    let style = match p.style {
        PaginationStyle::None => wit::PaginationStyle::None,
        PaginationStyle::Index { param } => wit::PaginationStyle::Index(param),
        PaginationStyle::Page { param } => wit::PaginationStyle::Page(param),
        PaginationStyle::LinkHeader { header_name, rel } => {
            wit::PaginationStyle::LinkHeader(wit::LinkHeader { header_name, rel })
        }
        PaginationStyle::LinkBody { next_page_key } => {
            wit::PaginationStyle::LinkBody(next_page_key)
        }
        PaginationStyle::Pointer {
            jsonpath,
            after_param,
        } => wit::PaginationStyle::Pointer(wit::Pointer {
            jsonpath,
            after_param,
        }),
    };
    Ok(wit::Manifest {
        name: meta.name,
        description: meta.description,
        icon: table.icon()?.map(str::to_string),
        hostname: meta.hostname,
        base_path: meta.base_path,
        scheme: meta.scheme,
        auth,
        pagination: wit::Pagination {
            style,
            results_key: p.results_key,
            page_size_param: p.page_size_param,
            default_page_size: p.page_size,
            default_page_limit: p.page_limit,
        },
        allowed_hosts: meta.allowed_hosts,
        config: Vec::new(),
        secrets: Vec::new(),
        schemas: match table.schemas()? {
            "" => "{}".to_string(),
            text => text.to_string(),
        },
        actions,
    })
}

struct HostTransport;

impl Transport for HostTransport {
    fn send(&mut self, request: HttpRequest) -> Result<HttpResponse, EngineError> {
        let response = http::send(&http::Request {
            method: request.method,
            url: request.url,
            headers: request.headers,
            body: request.body,
        })
        .map_err(from_wit)?;
        Ok(HttpResponse {
            status: response.status,
            headers: response.headers,
            body: response.body,
        })
    }

    fn log(&mut self, message: &str) {
        logging::log(logging::Level::Debug, message);
    }
}

fn to_wit(error: EngineError) -> wit::Error {
    match error {
        EngineError::InvalidInput(m) => wit::Error::InvalidInput(m),
        EngineError::UpstreamStatus {
            status,
            body_excerpt,
            message,
        } => wit::Error::UpstreamStatus(wit::UpstreamStatus {
            status,
            body_excerpt,
            message,
        }),
        EngineError::Transport(m) => wit::Error::Transport(m),
        EngineError::Denied(m) => wit::Error::Denied(m),
        EngineError::LimitExceeded(m) => wit::Error::LimitExceeded(m),
        EngineError::Internal(m) => wit::Error::Internal(m),
    }
}

fn from_wit(error: wit::Error) -> EngineError {
    match error {
        wit::Error::InvalidInput(m) => EngineError::InvalidInput(m),
        wit::Error::UpstreamStatus(s) => EngineError::UpstreamStatus {
            status: s.status,
            body_excerpt: s.body_excerpt,
            message: s.message,
        },
        wit::Error::Transport(m) => EngineError::Transport(m),
        wit::Error::Denied(m) => EngineError::Denied(m),
        wit::Error::LimitExceeded(m) => EngineError::LimitExceeded(m),
        wit::Error::Internal(m) => EngineError::Internal(m),
    }
}
