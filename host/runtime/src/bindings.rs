//! Host bindings generated from `wit/plugboard.wit` (the `integration` world), and the one
//! mapping between the WIT `error` variant and [`Failure`].

use plugboard_manifest::Failure;

wasmtime::component::bindgen!({
    world: "integration",
    path: "../../wit",
    imports: { default: async | trappable },
    exports: { default: async },
});

pub use plugboard::integration::types::{Error as GuestError, UpstreamStatus};

impl From<GuestError> for Failure {
    fn from(error: GuestError) -> Failure {
        match error {
            GuestError::InvalidInput(message) => Failure::InvalidInput { message },
            GuestError::UpstreamStatus(s) => Failure::UpstreamStatus {
                status: s.status,
                body_excerpt: s.body_excerpt,
                message: s.message,
            },
            GuestError::Transport(message) => Failure::Transport { message },
            GuestError::Denied(message) => Failure::Denied { message },
            GuestError::LimitExceeded(message) => Failure::LimitExceeded { message },
            GuestError::Internal(message) => Failure::Internal { message },
        }
    }
}

impl From<Failure> for GuestError {
    fn from(failure: Failure) -> GuestError {
        match failure {
            Failure::InvalidInput { message } => GuestError::InvalidInput(message),
            Failure::UpstreamStatus {
                status,
                body_excerpt,
                message,
            } => GuestError::UpstreamStatus(UpstreamStatus {
                status,
                body_excerpt,
                message,
            }),
            Failure::Transport { message } => GuestError::Transport(message),
            Failure::Denied { message } => GuestError::Denied(message),
            Failure::LimitExceeded { message } => GuestError::LimitExceeded(message),
            Failure::Internal { message } => GuestError::Internal(message),
        }
    }
}
