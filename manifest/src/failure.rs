//! Why a call failed: the one type behind the WIT `error` variant, used by the engine, the guest
//! SDK and the host alike, with one way to print it.

use serde::{Deserialize, Serialize};

/// Why an action (or one host call inside it) failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Failure {
    /// The input does not fit the action.
    InvalidInput {
        /// What is wrong.
        message: String,
    },
    /// The upstream API answered with a non-success status.
    UpstreamStatus {
        /// Status code.
        status: u16,
        /// The first bytes of the response body, lossily decoded.
        body_excerpt: String,
        /// What was being done when the status came back.
        message: String,
    },
    /// The request never produced a response (connection refused, reset, timeout, bad URL).
    Transport {
        /// What happened.
        message: String,
    },
    /// The host refused the operation (host not allowed, undeclared secret or config).
    Denied {
        /// Why.
        message: String,
    },
    /// A per-call limit was reached (time, memory, response size, request count).
    LimitExceeded {
        /// Which limit.
        message: String,
    },
    /// Anything else: a bug or an unexpected condition.
    Internal {
        /// What happened.
        message: String,
    },
}

impl Failure {
    /// An [`Failure::InvalidInput`].
    pub fn invalid_input(message: impl Into<String>) -> Failure {
        Failure::InvalidInput {
            message: message.into(),
        }
    }

    /// A [`Failure::Transport`].
    pub fn transport(message: impl Into<String>) -> Failure {
        Failure::Transport {
            message: message.into(),
        }
    }

    /// A [`Failure::Denied`].
    pub fn denied(message: impl Into<String>) -> Failure {
        Failure::Denied {
            message: message.into(),
        }
    }

    /// A [`Failure::LimitExceeded`].
    pub fn limit_exceeded(message: impl Into<String>) -> Failure {
        Failure::LimitExceeded {
            message: message.into(),
        }
    }

    /// An [`Failure::Internal`].
    pub fn internal(message: impl Into<String>) -> Failure {
        Failure::Internal {
            message: message.into(),
        }
    }

    /// The kind as a word: `invalid_input`, `upstream_status`, `transport`, `denied`,
    /// `limit_exceeded` or `internal`.
    pub fn kind(&self) -> &'static str {
        match self {
            Failure::InvalidInput { .. } => "invalid_input",
            Failure::UpstreamStatus { .. } => "upstream_status",
            Failure::Transport { .. } => "transport",
            Failure::Denied { .. } => "denied",
            Failure::LimitExceeded { .. } => "limit_exceeded",
            Failure::Internal { .. } => "internal",
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::InvalidInput { message } => write!(f, "invalid input: {message}"),
            Failure::UpstreamStatus {
                message,
                body_excerpt,
                ..
            } => {
                write!(f, "upstream error: {message}")?;
                if !body_excerpt.is_empty() {
                    write!(f, "\nresponse body: {body_excerpt}")?;
                }
                Ok(())
            }
            Failure::Transport { message } => write!(f, "transport error: {message}"),
            Failure::Denied { message } => write!(f, "denied: {message}"),
            Failure::LimitExceeded { message } => write!(f, "limit exceeded: {message}"),
            Failure::Internal { message } => write!(f, "internal error: {message}"),
        }
    }
}

impl std::error::Error for Failure {}
