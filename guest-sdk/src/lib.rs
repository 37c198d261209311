//! Guest-side bindings for Plugboard integration components.
//!
//! Components are built for `wasm32-wasip2`. A custom-code integration implements the
//! `custom-integration` world of `wit/plugboard.wit`: it exports `invoke`, and `describe`, which
//! `plugboard build` calls once to record the component's manifest (static data the host reads
//! and enforces; a host never calls `describe`). It imports `http`, `config`, `secrets` and
//! `logging` from the host.
//!
//! Describe the integration once with [`Integration`], write each action as a typed function,
//! and export it with [`integration!`]. Failures are [`Failure`]s, the same type the host
//! reports. The manifest types are re-exported as [`manifest`].

/// Bindings generated from `wit/plugboard.wit` (the `custom-integration` world).
#[allow(missing_docs, unsafe_op_in_unsafe_fn, clippy::all)]
pub mod bindings {
    wit_bindgen::generate!({
        world: "custom-integration",
        path: "../wit",
        pub_export_macro: true,
        export_macro_name: "export",
        default_bindings_module: "plugboard_guest::bindings",
    });
}

mod integration;

pub use bindings::plugboard::integration::{config, http, logging, secrets, types};
pub use bindings::{Guest, export};
pub use integration::{Integration, config_value, get_json, secret_value, send_json};
pub use plugboard_manifest::{self as manifest, Failure};

impl From<types::Error> for Failure {
    fn from(error: types::Error) -> Failure {
        match error {
            types::Error::InvalidInput(message) => Failure::InvalidInput { message },
            types::Error::UpstreamStatus(s) => Failure::UpstreamStatus {
                status: s.status,
                body_excerpt: s.body_excerpt,
                message: s.message,
            },
            types::Error::Transport(message) => Failure::Transport { message },
            types::Error::Denied(message) => Failure::Denied { message },
            types::Error::LimitExceeded(message) => Failure::LimitExceeded { message },
            types::Error::Internal(message) => Failure::Internal { message },
        }
    }
}

impl From<Failure> for types::Error {
    fn from(failure: Failure) -> types::Error {
        match failure {
            Failure::InvalidInput { message } => types::Error::InvalidInput(message),
            Failure::UpstreamStatus {
                status,
                body_excerpt,
                message,
            } => types::Error::UpstreamStatus(types::UpstreamStatus {
                status,
                body_excerpt,
                message,
            }),
            Failure::Transport { message } => types::Error::Transport(message),
            Failure::Denied { message } => types::Error::Denied(message),
            Failure::LimitExceeded { message } => types::Error::LimitExceeded(message),
            Failure::Internal { message } => types::Error::Internal(message),
        }
    }
}
