//! Specs in, definitions out: read OpenAPI 3.0/3.1 and Swagger 2.0 documents (JSON or YAML)
//! with source positions, convert Swagger 2.0 to OpenAPI 3.0, lint with precise locations,
//! repair on request, and import every operation as an action of a draft definition.
//!
//! The flow: [`source`] (text -> JSON value + positions) -> [`version`] -> [`convert`] (2.0 ->
//! 3.0) -> [`lint`] / [`repair`] -> [`import`] (3.x -> `plugboard_definition::Definition`).

pub mod convert;
mod error;
pub mod import;
pub mod lint;
pub mod repair;
pub mod source;
pub mod version;

pub use error::{Error, Result};
