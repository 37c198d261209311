//! Per-call limits: wall time, linear memory, response size and request count.

use std::time::Duration;

/// Limits applied to one invocation. Every limit that stops a call is named in the error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock time for the whole call, host requests included.
    pub timeout: Duration,
    /// Linear memory the component may have, its initial memory included (all its memories
    /// together).
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

/// The store's resource limiter: enforces [`Limits::memory_bytes`] over every memory of the
/// instance, the initial ones included, and remembers a refusal so a trap that follows can be
/// reported as a memory limit rather than a crash.
#[derive(Debug)]
pub(crate) struct CallLimiter {
    memory_bytes: usize,
    /// Bytes of linear memory the instance has, all memories together.
    in_use: usize,
    /// The total a refused growth asked for.
    pub(crate) memory_refused: Option<usize>,
}

/// Tables and instances are small and fixed for our components; these caps only stop abuse.
const MAX_TABLE_ELEMENTS: usize = 100_000;

impl CallLimiter {
    pub(crate) fn new(memory_bytes: usize) -> CallLimiter {
        CallLimiter {
            memory_bytes,
            in_use: 0,
            memory_refused: None,
        }
    }

    /// Bytes of linear memory the instance has now.
    pub(crate) fn in_use(&self) -> usize {
        self.in_use
    }

    /// Takes over what a warm instance's previous call counted (its memories exist already).
    pub(crate) fn carry_over(&mut self, previous: &CallLimiter) {
        self.in_use = previous.in_use;
    }
}

impl wasmtime::ResourceLimiter for CallLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        // A new memory starts at `current == 0`: its initial size counts like any growth.
        let total = self.in_use.saturating_sub(current).saturating_add(desired);
        if total <= self.memory_bytes {
            self.in_use = total;
            return Ok(true);
        }
        self.memory_refused = Some(total);
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

#[cfg(test)]
mod tests {
    use super::*;
    use wasmtime::ResourceLimiter as _;

    #[test]
    fn initial_memories_count_and_all_memories_add_up() {
        let mut limiter = CallLimiter::new(16 << 20);
        assert!(!limiter.memory_growing(0, 768 << 20, None).unwrap());
        assert_eq!(limiter.memory_refused, Some(768 << 20));
        let mut limiter = CallLimiter::new(16 << 20);
        assert!(limiter.memory_growing(0, 10 << 20, None).unwrap());
        assert!(
            !limiter.memory_growing(0, 8 << 20, None).unwrap(),
            "a second memory adds up"
        );
        assert!(limiter.memory_growing(10 << 20, 15 << 20, None).unwrap());
        assert!(!limiter.memory_growing(15 << 20, 17 << 20, None).unwrap());
    }
}
