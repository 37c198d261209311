//! An [`Error`] as data a script can match on: the WIT `error` case it is (`kind`), that case's
//! fields, and for errors the host raised itself (not the component) a `cause` with its own
//! fields.

use std::borrow::Cow;

use serde_json::{Map, Value, json};

use crate::Error;

impl Error {
    /// The case of the WIT `error` variant (`wit/plugboard.wit`) this error is, kebab-case:
    /// `invalid-input`, `upstream-status`, `transport`, `denied`, `limit-exceeded` or
    /// `internal`. The host's own errors take the case that fits them (a time limit is
    /// `limit-exceeded`, missing credentials are `denied`, a crash is `internal`).
    pub fn kind(&self) -> Cow<'static, str> {
        Cow::Borrowed(match self {
            // The WIT case names are `Failure`'s own kinds, written with `-`.
            Error::Guest(failure) => return Cow::Owned(failure.kind().replace('_', "-")),
            Error::UnknownAction { .. } | Error::InvalidBody { .. } | Error::Hostname(_) => {
                "invalid-input"
            }
            Error::MissingCredentials { .. } | Error::NeedsConsent(_) => "denied",
            Error::Timeout(_) | Error::MemoryLimit { .. } | Error::Busy { .. } => "limit-exceeded",
            Error::Setup(_)
            | Error::Compile(_)
            | Error::Bundle(_)
            | Error::Incompatible(_)
            | Error::Io { .. }
            | Error::Tokens(_)
            | Error::Describe(_)
            | Error::Trap { .. }
            | Error::BadOutput(_) => "internal",
        })
    }

    /// Which of the host's errors this is, kebab-case (`timeout`, `memory-limit`,
    /// `missing-credentials`, `unknown-action`, `trap`, ...); `None` for a failure the
    /// component reported, which its `kind` says all about.
    pub fn cause(&self) -> Option<&'static str> {
        Some(match self {
            Error::Guest(_) => return None,
            Error::Setup(_) => "setup",
            Error::Compile(_) => "compile",
            Error::Bundle(_) => "bundle",
            Error::Incompatible(_) => "incompatible",
            Error::Io { .. } => "io",
            Error::Tokens(_) => "tokens",
            Error::NeedsConsent(_) => "needs-consent",
            Error::Describe(_) => "describe",
            Error::UnknownAction { .. } => "unknown-action",
            Error::MissingCredentials { .. } => "missing-credentials",
            Error::InvalidBody { .. } => "invalid-body",
            Error::Hostname(_) => "hostname",
            Error::Timeout(_) => "timeout",
            Error::MemoryLimit { .. } => "memory-limit",
            Error::Trap { .. } => "trap",
            Error::Busy { .. } => "busy",
            Error::BadOutput(_) => "bad-output",
        })
    }

    /// The error as a JSON object: `kind` ([`Error::kind`]) and the fields of that WIT case
    /// (`message` always; `status` and `body_excerpt` for `upstream-status`). An error the host
    /// raised adds `cause` ([`Error::cause`]) and what it knows: `action` and `available`,
    /// `auth` and `credentials` (names, never values), `field`, `timeout_ms`, `limit_bytes` and
    /// `requested_bytes`, `stderr`, `retry_after_ms`, `path`.
    pub fn to_json(&self) -> Value {
        if let Error::Guest(failure) = self {
            let mut object = match serde_json::to_value(failure) {
                Ok(Value::Object(object)) => object,
                _ => Map::new(),
            };
            object.insert("kind".into(), json!(self.kind()));
            return Value::Object(object);
        }
        let mut object = Map::new();
        object.insert("kind".into(), json!(self.kind()));
        object.insert("message".into(), json!(self.to_string()));
        object.insert("cause".into(), json!(self.cause()));
        let fields = match self {
            Error::UnknownAction { id, available } => {
                json!({"action": id, "available": available})
            }
            Error::MissingCredentials { auth, names } => {
                json!({"auth": auth, "credentials": names})
            }
            Error::InvalidBody { field, .. } => json!({"field": field}),
            Error::Timeout(limit) => json!({"timeout_ms": millis(*limit)}),
            Error::MemoryLimit { limit, requested } => {
                json!({"limit_bytes": limit, "requested_bytes": requested})
            }
            Error::Trap { stderr, .. } if !stderr.is_empty() => json!({"stderr": stderr}),
            Error::Busy { retry_after, .. } => json!({"retry_after_ms": millis(*retry_after)}),
            Error::Io { path, .. } => json!({"path": path}),
            _ => Value::Null,
        };
        if let Value::Object(fields) = fields {
            object.extend(fields);
        }
        Value::Object(object)
    }
}

/// Whole milliseconds, saturating.
fn millis(duration: std::time::Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use plugboard_manifest::Failure;

    #[test]
    fn a_component_failure_is_its_wit_case_with_its_fields() {
        let error = Error::Guest(Failure::UpstreamStatus {
            status: 404,
            body_excerpt: "{\"error\": \"no such item\"}".into(),
            message: "GET /items/7".into(),
        });
        assert_eq!(
            error.to_json(),
            json!({
                "kind": "upstream-status",
                "status": 404,
                "body_excerpt": "{\"error\": \"no such item\"}",
                "message": "GET /items/7",
            })
        );
        assert_eq!(error.cause(), None);
        let error = Error::Guest(Failure::transport("connection refused"));
        assert_eq!(
            error.to_json(),
            json!({"kind": "transport", "message": "connection refused"})
        );
    }

    #[test]
    fn a_host_error_takes_the_case_that_fits_and_names_its_cause() {
        let error = Error::Timeout(Duration::from_millis(300));
        assert_eq!(
            error.to_json(),
            json!({
                "kind": "limit-exceeded",
                "cause": "timeout",
                "message": "time limit of 300 ms exceeded; the call was stopped",
                "timeout_ms": 300,
            })
        );
        let error = Error::MissingCredentials {
            auth: "api_key",
            names: vec!["api_key"],
        };
        let json = error.to_json();
        assert_eq!(json["kind"], "denied");
        assert_eq!(json["cause"], "missing-credentials");
        assert_eq!(json["credentials"], json!(["api_key"]));
        let error = Error::UnknownAction {
            id: "nope".into(),
            available: 2,
        };
        assert_eq!(error.kind(), "invalid-input");
        assert_eq!(error.to_json()["action"], "nope");
    }
}
