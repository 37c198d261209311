//! Test support for Plugboard's end-to-end tests: a loopback API that serves one data set in
//! every pagination style, and OAuth 2.0 peers (a real authorization server and a configurable
//! token endpoint) whose tokens the API can require, a fault-injection server, and a throwaway
//! PostgreSQL server.

pub mod api;
pub mod bench;
pub mod faults;
pub mod oauth;
pub mod postgres;

/// Components built from source by this crate's build script, as `cargo build` leaves them
/// (custom code without a recorded manifest: `plugboard build` records it).
pub mod components {
    /// The deliberately hostile custom-code component (`tests/components/hostile`).
    pub const HOSTILE_WASM: &str = env!("PLUGBOARD_HOSTILE_WASM");
    /// A component whose initial memory is 768 MiB (`tests/components/bloated`).
    pub const BLOATED_WASM: &str = env!("PLUGBOARD_BLOATED_WASM");
    /// The custom-code example (`examples/custom-code`).
    pub const EXAMPLE_CUSTOM_WASM: &str = env!("PLUGBOARD_EXAMPLE_CUSTOM_WASM");

    /// `bytes` with the last occurrence of `from` replaced by `to` (of the same length): in a
    /// bundle, the manifest section comes after the code, so this edits the manifest.
    ///
    /// # Panics
    ///
    /// When `from` does not occur or the lengths differ (a broken test).
    pub fn replace_last(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
        assert_eq!(from.len(), to.len(), "same length");
        let at = bytes
            .windows(from.len())
            .rposition(|w| w == from)
            .expect("the text to replace");
        let mut out = bytes.to_vec();
        out[at..at + to.len()].copy_from_slice(to);
        out
    }
}
