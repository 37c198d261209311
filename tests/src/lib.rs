//! Test support for Plugboard's end-to-end tests: a loopback API that serves one data set in
//! every pagination style, and OAuth 2.0 peers (a real authorization server and a configurable
//! token endpoint) whose tokens the API can require, a fault-injection server, and a throwaway
//! PostgreSQL server.

pub mod api;
pub mod faults;
pub mod oauth;
pub mod postgres;

/// Components built from source by this crate's build script, as `cargo build` leaves them
/// (custom code without a recorded manifest: `plugboard build` records it).
pub mod components {
    /// The deliberately hostile custom-code component (`tests/components/hostile`).
    pub const HOSTILE_WASM: &str = env!("PLUGBOARD_HOSTILE_WASM");
    /// The custom-code example (`examples/custom-code`).
    pub const EXAMPLE_CUSTOM_WASM: &str = env!("PLUGBOARD_EXAMPLE_CUSTOM_WASM");
}
