//! Which specification a document follows.

use serde_json::Value;

use crate::{Error, Result};

/// The specification version of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpecVersion {
    /// Swagger 2.0.
    Swagger2,
    /// OpenAPI 3.0.x (the full version string).
    OpenApi30(String),
    /// OpenAPI 3.1.x (the full version string).
    OpenApi31(String),
}

/// Detects the version from the `openapi` or `swagger` field.
pub fn detect(document: &Value) -> Result<SpecVersion> {
    if let Some(openapi) = document.get("openapi") {
        let text = match openapi {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        return if text.starts_with("3.0") {
            Ok(SpecVersion::OpenApi30(text))
        } else if text.starts_with("3.1") {
            Ok(SpecVersion::OpenApi31(text))
        } else {
            Err(Error::UnknownVersion {
                found: format!("openapi {text}"),
            })
        };
    }
    match document.get("swagger") {
        Some(Value::String(s)) if s == "2.0" => Ok(SpecVersion::Swagger2),
        Some(other) => Err(Error::UnknownVersion {
            found: format!("swagger {other}"),
        }),
        None => Err(Error::UnknownVersion {
            found: "(missing: no `openapi` or `swagger` field)".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn versions() {
        assert_eq!(
            detect(&json!({"swagger": "2.0"})).unwrap(),
            SpecVersion::Swagger2
        );
        assert_eq!(
            detect(&json!({"openapi": "3.0.3"})).unwrap(),
            SpecVersion::OpenApi30("3.0.3".into())
        );
        assert_eq!(
            detect(&json!({"openapi": "3.1.0"})).unwrap(),
            SpecVersion::OpenApi31("3.1.0".into())
        );
        assert!(detect(&json!({"openapi": "4.0"})).is_err());
        assert!(detect(&json!({"info": {}})).is_err());
    }
}
