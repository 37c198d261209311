//! Per-call limits: wall time, linear memory, response size and request count.

use std::time::Duration;

/// Limits applied to one invocation. Every limit that stops a call is named in the error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock time for the whole call, host requests included.
    pub timeout: Duration,
    /// Linear memory the component may have (never below its initial size).
    pub memory_bytes: usize,
    /// Largest upstream response body accepted.
    pub response_bytes: usize,
    /// Outbound requests per call.
    pub max_requests: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            timeout: Duration::from_secs(30),
            memory_bytes: 64 << 20,
            response_bytes: 16 << 20,
            max_requests: 50,
        }
    }
}

/// The store's resource limiter: enforces [`Limits::memory_bytes`] and remembers a refusal so a
/// trap that follows can be reported as a memory limit rather than a crash.
#[derive(Debug)]
pub(crate) struct CallLimiter {
    memory_bytes: usize,
    pub(crate) memory_refused: Option<usize>,
}

/// Tables and instances are small and fixed for our components; these caps only stop abuse.
const MAX_TABLE_ELEMENTS: usize = 100_000;

impl CallLimiter {
    pub(crate) fn new(memory_bytes: usize) -> CallLimiter {
        CallLimiter {
            memory_bytes,
            memory_refused: None,
        }
    }
}

impl wasmtime::ResourceLimiter for CallLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        // The initial image (which holds the action table) is always allowed.
        if current == 0 || desired <= self.memory_bytes {
            return Ok(true);
        }
        self.memory_refused = Some(desired);
        Ok(false)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }
}
