//! The component glue: the `integration` world's `invoke` export over the engine, and the host's
//! `http` and `logging` imports as the engine's [`Transport`].

use std::cell::RefCell;

use crate::table::{Parsed, SLOT_MAGIC, Table};
use crate::{Failure, HttpRequest, HttpResponse, Transport};

/// Bindings of the `integration` world over the guest SDK's imports: the engine exports
/// `invoke` only (its manifest is the section `plugboard build` writes, never something it
/// computes).
#[allow(missing_docs, unsafe_op_in_unsafe_fn, clippy::all)]
mod bindings {
    wit_bindgen::generate!({
        world: "integration",
        path: "../../wit",
        with: {
            "plugboard:integration/types@0.2.0": plugboard_guest::types,
            "plugboard:integration/http@0.2.0": plugboard_guest::http,
            "plugboard:integration/config@0.2.0": plugboard_guest::config,
            "plugboard:integration/secrets@0.2.0": plugboard_guest::secrets,
            "plugboard:integration/logging@0.2.0": plugboard_guest::logging,
        },
    });
}

use plugboard_guest::{http, logging, types as wit};

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

fn table() -> Result<Table<'static>, Failure> {
    // SAFETY: plain loads of two u32 fields of a static.
    let (ptr, len) = unsafe {
        (
            core::ptr::read_volatile(&raw const TABLE_SLOT.ptr),
            core::ptr::read_volatile(&raw const TABLE_SLOT.len),
        )
    };
    if len == 0 {
        return Err(Failure::internal(
            "this engine has no action table: it was not finalized from a definition",
        ));
    }
    // SAFETY: the bundler placed `len` bytes at `ptr` in an active data segment of this
    // module's memory, which is never written. A tampered bundle can at worst make this read
    // trap (out of bounds), which the host contains.
    let bytes = unsafe { core::slice::from_raw_parts(ptr as usize as *const u8, len as usize) };
    Table::new(bytes)
}

thread_local! {
    /// The table with what calls parsed from it, kept for the next call of a warm instance.
    static PARSED: RefCell<Option<Parsed<'static>>> = const { RefCell::new(None) };
}

struct Engine;

impl bindings::Guest for Engine {
    fn invoke(action_id: String, input: String) -> Result<String, wit::Error> {
        PARSED.with_borrow_mut(|parsed| {
            let parsed = match parsed {
                Some(parsed) => parsed,
                None => parsed.insert(Parsed::new(table()?)),
            };
            Ok(crate::invoke(
                parsed,
                &action_id,
                &input,
                &mut HostTransport,
            )?)
        })
    }
}

bindings::export!(Engine with_types_in bindings);

struct HostTransport;

impl Transport for HostTransport {
    fn send(&mut self, request: HttpRequest) -> Result<HttpResponse, Failure> {
        let response = http::send(&http::Request {
            method: request.method,
            url: request.url,
            headers: request.headers,
            body: request.body,
        })?;
        Ok(HttpResponse {
            status: response.status,
            headers: response.headers,
            body: response.body,
        })
    }

    fn log(&mut self, message: &str) {
        logging::log(logging::Level::Debug, message);
    }

    fn config(&mut self, name: &str) -> Option<String> {
        plugboard_guest::config::get(name).ok().flatten()
    }
}
