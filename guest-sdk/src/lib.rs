//! Guest-side bindings for Plugboard integration components.
//!
//! Components are built for `wasm32-wasip2` and implement the `integration` world of
//! `wit/plugboard.wit`: export `manifest` and `invoke`, import `http`, `config`, `secrets` and
//! `logging` from the host. Either describe a custom-code integration with typed actions
//! ([`Integration`], exported with [`integration!`]), or implement [`bindings::Guest`] yourself
//! and call `plugboard_guest::export!(YourType);`.

/// Bindings generated from `wit/plugboard.wit`.
#[allow(missing_docs, unsafe_op_in_unsafe_fn, clippy::all)]
pub mod bindings {
    wit_bindgen::generate!({
        world: "integration",
        path: "../wit",
        pub_export_macro: true,
        export_macro_name: "export",
        default_bindings_module: "plugboard_guest::bindings",
    });
}

mod integration;

pub use bindings::plugboard::integration::types::{self, Error};
pub use bindings::plugboard::integration::{config, http, logging, secrets};
pub use bindings::{Guest, Manifest, export};
pub use integration::{Integration, config_value, get_json, send_json};
