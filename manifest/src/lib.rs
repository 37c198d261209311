//! The resolved, typed manifest that a Plugboard host and its components share.
//!
//! A [`Manifest`] says everything a host needs to review, install and run an integration: who it
//! is, the hosts it may reach, how the host authenticates its requests, the config and secrets it
//! reads, and its action catalogue. It is *resolved*: every default was applied when it was made
//! (by `plugboard-definition` for declarative integrations, by the guest SDK for custom code), so
//! a host reads it as it is.
//!
//! It travels inside the component as static data ([`section`]), covered by the bundle's
//! signature; the host reads it without running any guest code. [`Manifest::check`] holds the
//! rules a host applies to a manifest it did not make, and [`rules`] the ones authoring shares.
//!
//! This crate depends only on serde, serde_json and url, so it builds for `wasm32-wasip2` (inside
//! components) and for the host alike. The JSON Schema comes with the `schema` feature.

mod auth;
mod check;
mod failure;
pub mod json;
pub mod packed;
pub mod rules;
pub mod section;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use auth::defaults as auth_defaults;
pub use auth::{
    ApiKey, ApiKeyLocation, Auth, AuthCredential, Grant, OAuth2, REFRESH_BUFFER_RANGE,
    REFRESH_INTERVAL_RANGE, Refresh, RequestFormat, RequestMethod,
};
pub use check::Problem;
pub use failure::Failure;

/// The manifest format this crate reads and writes.
pub const MANIFEST_VERSION: u32 = 1;

/// Everything a host needs to review, install and run one integration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Format version; 1.
    pub manifest_version: u32,
    /// Identity and capabilities.
    pub header: Header,
    /// Shared JSON Schemas (by name) that action schemas reference as `#/schemas/<name>`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub schemas: BTreeMap<String, Value>,
    /// The action catalogue.
    pub actions: Vec<Action>,
}

/// Who the integration is and what it may do: everything but the action catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Header {
    /// Display name.
    pub name: String,
    /// What the integration does.
    pub description: String,
    /// SVG markup, when the integration has an icon.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<String>,
    /// The primary API host, with an optional `:port`: the only host that gets credentials.
    pub hostname: String,
    /// The primary host's scheme.
    pub scheme: Scheme,
    /// Other hosts (with an optional `:port`) the integration may call, never with credentials.
    #[serde(default)]
    pub allowed_hosts: Vec<String>,
    /// How the host authenticates requests to the primary host.
    pub auth: Auth,
    /// Non-secret config values the integration reads.
    #[serde(default)]
    pub config: Vec<ConfigDeclaration>,
    /// Names of installation secrets the integration reads (custom code only); never the
    /// credentials the host applies for auth.
    #[serde(default)]
    pub secrets: Vec<String>,
    /// Ids of the actions that send no credentials (operations the spec marks `security: []`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub anonymous_actions: Vec<String>,
}

/// URL scheme of the primary host.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    /// HTTPS (the default).
    #[default]
    Https,
    /// Plain HTTP, for local testing.
    Http,
}

impl Scheme {
    /// `https` or `http`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Https => "https",
            Scheme::Http => "http",
        }
    }

    /// The scheme's default port.
    pub fn default_port(self) -> u16 {
        match self {
            Scheme::Https => 443,
            Scheme::Http => 80,
        }
    }
}

/// A config value the integration reads through the `config` import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ConfigDeclaration {
    /// Name (`A-Z a-z 0-9 _ . -`).
    pub name: String,
    /// What the value means.
    #[serde(default)]
    pub description: String,
    /// Used when the installation gives no value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_value: Option<String>,
}

/// One invocable action, as the host shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Action {
    /// Stable identifier used to invoke the action (`A-Z a-z 0-9 _ . -`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// What the action does.
    #[serde(default)]
    pub description: String,
    /// JSON Schema of the input object.
    pub input_schema: Value,
    /// JSON Schema of the output.
    pub output_schema: Value,
}

impl Manifest {
    /// A manifest of the current format.
    pub fn new(header: Header, schemas: BTreeMap<String, Value>, actions: Vec<Action>) -> Self {
        Manifest {
            manifest_version: MANIFEST_VERSION,
            header,
            schemas,
            actions,
        }
    }

    /// Parses a manifest from JSON (as a custom-code component describes itself) and checks it.
    pub fn from_json(text: &str) -> Result<Manifest, Error> {
        let manifest: Manifest = serde_json::from_str(text).map_err(|e| Error::Json {
            what: "manifest",
            message: e.to_string(),
        })?;
        manifest.check()?;
        Ok(manifest)
    }

    /// One action by id.
    pub fn action(&self, id: &str) -> Option<&Action> {
        self.actions.iter().find(|a| a.id == id)
    }
}

/// Why a manifest could not be read or is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The bytes do not have the section's layout (truncated, out of bounds, not sorted, ...).
    Format(String),
    /// The section is of a format version this build does not read.
    Version {
        /// The version found.
        found: String,
    },
    /// A JSON part does not parse or does not have the manifest's shape.
    Json {
        /// Which part.
        what: &'static str,
        /// serde's explanation.
        message: String,
    },
    /// The manifest parsed but breaks rules; every problem is listed.
    Invalid(Vec<Problem>),
    /// The manifest does not fit the 32-bit offsets of the section.
    TooLarge(usize),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Format(message) => write!(f, "malformed manifest section: {message}"),
            Error::Version { found } => write!(
                f,
                "manifest format {found} is not the format {MANIFEST_VERSION} this host reads"
            ),
            Error::Json { what, message } => write!(f, "the {what} is not valid: {message}"),
            Error::Invalid(problems) => {
                write!(f, "the manifest has {} problem(s):", problems.len())?;
                for problem in problems {
                    write!(f, "\n  {problem}")?;
                }
                Ok(())
            }
            Error::TooLarge(bytes) => write!(f, "the manifest is too large ({bytes} bytes)"),
        }
    }
}

impl std::error::Error for Error {}
