//! Errors as RFC 9457 problem details (`application/problem+json`): a type, a title, the
//! status and a detail that says what is wrong and where.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// An API error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// HTTP status.
    pub status: StatusCode,
    /// Short, stable kind (`not-found`, `forbidden`, ...); the type URI ends with it.
    pub kind: &'static str,
    /// What is wrong, specifically.
    pub detail: String,
    /// The request fields (JSON paths such as `credentials.api_key`) the problem is about.
    pub fields: Vec<String>,
    /// When to try again (`Retry-After`), for a busy answer.
    pub retry_after: Option<std::time::Duration>,
    /// More members of the answer (RFC 9457 extensions), such as an invocation's exchanges.
    pub extensions: Option<Box<serde_json::Map<String, serde_json::Value>>>,
}

#[derive(Serialize)]
struct Body<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    detail: &'a str,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    fields: &'a [String],
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    extensions: Option<&'a serde_json::Map<String, serde_json::Value>>,
}

impl Problem {
    fn new(status: StatusCode, kind: &'static str, detail: impl Into<String>) -> Problem {
        Problem {
            status,
            kind,
            detail: detail.into(),
            fields: Vec::new(),
            retry_after: None,
            extensions: None,
        }
    }

    /// The same problem with one more member in its answer (`name` must not be a standard one).
    pub fn with_member(mut self, name: &str, value: serde_json::Value) -> Problem {
        self.extensions
            .get_or_insert_with(Box::default)
            .insert(name.to_string(), value);
        self
    }

    /// 429: the caller's share of the host is in use, or the host is; try again after
    /// `retry_after`.
    pub fn busy(detail: impl Into<String>, retry_after: std::time::Duration) -> Problem {
        let mut problem = Problem::new(StatusCode::TOO_MANY_REQUESTS, "busy", detail);
        problem.retry_after = Some(retry_after);
        problem
    }

    /// 503: the server's capacity for this work is in use; try again after `retry_after`.
    pub fn overloaded(detail: impl Into<String>, retry_after: std::time::Duration) -> Problem {
        let mut problem = Problem::new(StatusCode::SERVICE_UNAVAILABLE, "overloaded", detail);
        problem.retry_after = Some(retry_after);
        problem
    }

    /// 413: the body is larger than the server takes.
    pub fn too_large(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "too-large", detail)
    }

    /// The same problem, naming the request fields it is about.
    pub fn with_fields(mut self, fields: impl IntoIterator<Item = String>) -> Problem {
        self.fields = fields.into_iter().collect();
        self
    }

    /// 400: the request is malformed or invalid.
    pub fn bad_request(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::BAD_REQUEST, "bad-request", detail)
    }

    /// 401: no valid API token.
    pub fn unauthorized(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::UNAUTHORIZED, "unauthorized", detail)
    }

    /// 403: the caller's role does not allow it.
    pub fn forbidden(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::FORBIDDEN, "forbidden", detail)
    }

    /// 404: no such thing, or not visible to the caller (the same answer, so nothing leaks).
    pub fn not_found(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::NOT_FOUND, "not-found", detail)
    }

    /// 409: conflicts with the current state.
    pub fn conflict(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::CONFLICT, "conflict", detail)
    }

    /// 422: well-formed but not acceptable (a broken spec or definition).
    pub fn unprocessable(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", detail)
    }

    /// 502: the integration's upstream or component failed.
    pub fn bad_gateway(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::BAD_GATEWAY, "upstream", detail)
    }

    /// 500: a server fault (details are logged, not returned).
    pub fn internal(detail: impl std::fmt::Display) -> Problem {
        tracing::error!(%detail, "internal error");
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "an internal error occurred; the server log has the details",
        )
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        // Server-side failures are logged with their cause (in the request's span: route and
        // request id); a caller's mistakes are only in the access log. An internal error was
        // logged with its cause where it was made (its detail here is the generic one).
        if self.status.is_server_error() && self.kind != "internal" {
            tracing::error!(status = self.status.as_u16(), kind = self.kind, detail = %self.detail, "answered with an error");
        }
        let body = Body {
            kind: format!("https://plugboard.invalid/problems/{}", self.kind),
            title: self.status.canonical_reason().unwrap_or("Error"),
            status: self.status.as_u16(),
            detail: &self.detail,
            fields: &self.fields,
            extensions: self.extensions.as_deref(),
        };
        let text = serde_json::to_string(&body).unwrap_or_else(|_| "{}".into());
        let mut response = (
            self.status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            text,
        )
            .into_response();
        if let Some(wait) = self.retry_after {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                header::HeaderValue::from(wait.as_secs().max(1)),
            );
        }
        response
    }
}

impl From<plugboard_store::Error> for Problem {
    fn from(error: plugboard_store::Error) -> Problem {
        use plugboard_store::Error as E;
        match error {
            E::NotFound(what) => Problem::not_found(format!("{what} not found")),
            E::Conflict(message) => Problem::conflict(message),
            E::Invalid(message) => Problem::unprocessable(message),
            E::Paging { parameter, message } => {
                Problem::bad_request(format!("query parameter `{parameter}`: {message}"))
                    .with_fields([parameter.to_string()])
            }
            other => Problem::internal(other),
        }
    }
}

impl From<axum::extract::rejection::JsonRejection> for Problem {
    fn from(rejection: axum::extract::rejection::JsonRejection) -> Problem {
        Problem::bad_request(rejection.body_text())
    }
}

/// Result of a handler.
pub type ApiResult<T> = Result<T, Problem>;

/// A JSON body, or the rejection (turned into a problem by the handler).
pub type JsonBody<T> = Result<axum::Json<T>, axum::extract::rejection::JsonRejection>;

/// An optional JSON body: empty means the default, anything else must parse.
pub fn optional_body<T: serde::de::DeserializeOwned + Default>(bytes: &[u8]) -> ApiResult<T> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(bytes).map_err(|e| {
        Problem::bad_request(format!(
            "the request body is not valid JSON for this route: {e}"
        ))
    })
}

/// Turns a store "not found" into the caller's "not found" (`what`); other failures stay
/// what they are.
pub fn not_found_as(error: plugboard_store::Error, what: impl FnOnce() -> Problem) -> Problem {
    match error {
        plugboard_store::Error::NotFound(_) => what(),
        other => other.into(),
    }
}
