//! Bundles: what a Plugboard component carries besides its code, and finalize.
//!
//! - [`read_manifest`] and [`embed_manifest`]: the manifest section (static data the signature
//!   covers; hosts read it without running the component), and the contract check.
//! - [`sign`]: Ed25519 signatures carried in the component.
//! - [`finalize`] (feature `finalize`, on by default): a definition's action table compiled into
//!   the engine's binary table format ([`plugboard_engine::table`]) and patched into a copy of
//!   the prebuilt engine component ([`patch_engine`]), with the resolved manifest as its
//!   section: no compiler runs.
//!
//! Hosts depend on this crate without `finalize`, and so without `plugboard-definition`.

mod manifest;
mod memory;
#[cfg(feature = "finalize")]
mod patch;
mod sections;
pub mod sign;

pub use manifest::{
    CONTRACT_PACKAGE, CONTRACT_VERSION, Layout, embed_manifest, layout, manifest_digest,
    read_manifest,
};
pub use memory::initial_memory;
#[cfg(feature = "finalize")]
pub use patch::patch_engine;

/// Errors of reading, writing and finalizing bundles.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The definition is invalid; every problem is listed with its JSON path.
    #[cfg(feature = "finalize")]
    #[error(transparent)]
    Definition(#[from] plugboard_definition::Error),
    /// The definition has no hostname yet (a draft imported from a spec without a server URL).
    #[cfg(feature = "finalize")]
    #[error(
        "the definition has no hostname: set the API's host (such as api.example.com) before finalize"
    )]
    NoHostname,
    /// The bytes are not a well-formed component.
    #[error("not a usable component: {0}")]
    Component(String),
    /// The engine component does not have the shape the patcher expects.
    #[error("engine component: {0}")]
    Engine(String),
    /// The action table does not fit in a 32-bit linear memory.
    #[error("the action table is too large ({0} bytes)")]
    TooLarge(usize),
    /// The component has no manifest section.
    #[error("{0}")]
    NoManifest(String),
    /// The manifest section is malformed or breaks the host's rules.
    #[error("the component's manifest: {0}")]
    Manifest(plugboard_manifest::Error),
    /// The component was built for another version of the WIT contract.
    #[error("{0}")]
    Contract(String),
    /// Signing or verifying a bundle failed.
    #[error("bundle signature: {0}")]
    Signature(String),
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(feature = "finalize")]
mod finalize;
#[cfg(feature = "finalize")]
pub use finalize::{Bundle, ENGINE_COMPONENT, compile_table, finalize};
