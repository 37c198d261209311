//! Spec work (lint, clean, import, a definition's create, update and finalize, a bundle's
//! upload) under a bounded concurrency and a memory budget, so that no caller can take the
//! server's memory with large or hostile documents.
//!
//! A request first takes a job slot (at most [`SpecLimits::jobs`] at once, so at most that many
//! bodies are read), then reads its body (at most [`SpecLimits::max_body_bytes`]), then reserves
//! the memory its work is estimated to need out of [`SpecLimits::memory_bytes`]. Each wait is
//! bounded by [`SpecLimits::wait`]; past it the answer is 503 with `Retry-After`. A body that
//! could never fit the budget is refused at once (413).

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use crate::AppState;
use crate::problem::{ApiResult, Problem};

const MIB: u64 = 1 << 20;

/// The operator's limits on spec work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpecLimits {
    /// Largest body a spec route takes.
    pub max_body_bytes: usize,
    /// Spec jobs that may run at once.
    pub jobs: u32,
    /// Memory that running spec jobs may be estimated to use in total.
    pub memory_bytes: u64,
    /// How long a request waits for a job slot and for its memory before it is answered 503.
    pub wait: Duration,
}

impl Default for SpecLimits {
    /// 64 MiB bodies (Microsoft Graph pretty-printed is 34 MB), one job per core (at least 2), a 1 GiB budget, a 10 s wait.
    fn default() -> Self {
        SpecLimits {
            max_body_bytes: 64 << 20,
            jobs: std::thread::available_parallelism()
                .map_or(2, |n| n.get() as u32)
                .max(2),
            memory_bytes: 1 << 30,
            wait: Duration::from_secs(10),
        }
    }
}

/// What a body costs to work on, by what it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cost {
    /// A JSON or YAML document (a spec or a definition).
    Document,
    /// A WebAssembly component (compiled when it is loaded).
    Component,
}

impl Cost {
    /// The memory working on `bytes` is estimated to take at its peak.
    ///
    /// A document costs about 220 bytes per value it holds at the peak of a parse and an
    /// import (the value tree, the position index and their growth), whatever its size in
    /// bytes: `[0,0,...]` costs 100 times its size, a pretty-printed real spec 10 times. The
    /// number of values is bounded by the count of `,` `:` `[` `{` and newlines, which a scan
    /// counts at memory speed. A component costs its compilation: about 24 times its size.
    /// Measured figures: BENCHMARKS.md, "Spec work".
    pub fn estimate(self, bytes: &[u8]) -> u64 {
        let len = bytes.len() as u64;
        match self {
            Cost::Document => {
                let marks = bytes
                    .iter()
                    .filter(|b| matches!(b, b',' | b':' | b'[' | b'{' | b'\n'))
                    .count() as u64;
                16 * MIB + 4 * len + 224 * marks
            }
            Cost::Component => 64 * MIB + 24 * len,
        }
    }
}

/// The job slots and the memory budget (in MiB) of a server.
#[derive(Debug, Clone)]
pub(crate) struct SpecWork {
    limits: SpecLimits,
    jobs: Arc<Semaphore>,
    memory_mib: Arc<Semaphore>,
}

impl SpecWork {
    pub(crate) fn new(limits: SpecLimits) -> SpecWork {
        let budget_mib = (limits.memory_bytes / MIB).clamp(1, u32::MAX as u64) as usize;
        SpecWork {
            limits,
            jobs: Arc::new(Semaphore::new(limits.jobs.max(1) as usize)),
            memory_mib: Arc::new(Semaphore::new(budget_mib)),
        }
    }

    /// Spec jobs running now.
    pub(crate) fn in_flight(&self) -> usize {
        (self.limits.jobs.max(1) as usize).saturating_sub(self.jobs.available_permits())
    }

    fn budget_mib(&self) -> u64 {
        (self.limits.memory_bytes / MIB).max(1)
    }

    fn overloaded(&self, what: &str) -> Problem {
        Problem::overloaded(
            format!(
                "{what}; this server runs {} spec job(s) at once within a {} MiB budget",
                self.limits.jobs,
                self.budget_mib()
            ),
            self.limits.wait,
        )
    }
}

/// A spec route's body, read after its job slot was taken; [`Ticket::reserve`] the memory its
/// work needs before working on it.
pub(crate) struct SpecBody {
    /// The body.
    pub bytes: Bytes,
    /// The job slot (and later the memory) held for this request.
    pub ticket: Ticket,
}

impl SpecBody {
    /// Reserves the memory working on the body takes (see [`Ticket::reserve`]); returns the
    /// body and the ticket to hold while working on it.
    pub(crate) async fn admit(self, cost: Cost) -> ApiResult<(Bytes, Ticket)> {
        let SpecBody { bytes, mut ticket } = self;
        ticket.reserve(cost, &bytes).await?;
        Ok((bytes, ticket))
    }
}

/// The body as text (a spec or a definition is UTF-8).
pub(crate) fn text(bytes: &[u8]) -> ApiResult<&str> {
    std::str::from_utf8(bytes)
        .map_err(|e| Problem::bad_request(format!("the request body is not UTF-8 text: {e}")))
}

/// The body as JSON.
pub(crate) fn json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> ApiResult<T> {
    serde_json::from_slice(bytes).map_err(|e| {
        Problem::bad_request(format!(
            "the request body is not valid JSON for this route: {e}"
        ))
    })
}

/// Runs spec work on tokio's blocking threads (so the async workers keep serving other
/// requests meanwhile), holding its ticket until the work ends, even if the caller left.
pub(crate) async fn off_thread<T: Send + 'static>(
    ticket: Ticket,
    work: impl FnOnce() -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    tokio::task::spawn_blocking(move || {
        let _ticket = ticket;
        work()
    })
    .await
    .map_err(Problem::internal)?
}

/// A job slot and the memory reserved for it; dropping it gives both back.
pub(crate) struct Ticket {
    work: SpecWork,
    deadline: Instant,
    _job: OwnedSemaphorePermit,
    memory: Vec<OwnedSemaphorePermit>,
}

impl Ticket {
    /// Reserves `cost`'s estimate for `bytes` (on top of what this ticket holds); refuses at
    /// once what could never fit the budget, and answers 503 if the memory does not come free
    /// in time.
    pub(crate) async fn reserve(&mut self, cost: Cost, bytes: &[u8]) -> ApiResult<()> {
        let need_mib = cost.estimate(bytes).div_ceil(MIB);
        let held: u64 = self.memory.iter().map(|p| p.num_permits() as u64).sum();
        if need_mib + held > self.work.budget_mib() {
            return Err(Problem::too_large(format!(
                "working on this {} ({} bytes) needs about {} MiB, more than this server's spec-work budget of {} MiB; split it or ask the operator to raise the budget",
                match cost {
                    Cost::Document => "document",
                    Cost::Component => "component",
                },
                bytes.len(),
                need_mib + held,
                self.work.budget_mib()
            )));
        }
        let permit = tokio::time::timeout_at(
            self.deadline,
            self.work
                .memory_mib
                .clone()
                .acquire_many_owned(need_mib as u32),
        )
        .await
        .ok()
        .and_then(Result::ok)
        .ok_or_else(|| {
            self.work.overloaded(&format!(
                "the memory this work needs ({need_mib} MiB) did not come free in time"
            ))
        })?;
        self.memory.push(permit);
        Ok(())
    }
}

impl FromRequest<AppState> for SpecBody {
    type Rejection = Problem;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let work = state.spec_work.clone();
        let limit = work.limits.max_body_bytes;
        let declared = request
            .headers()
            .get(axum::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|len| len > limit as u64) {
            return Err(body_too_large(limit));
        }
        let deadline = Instant::now() + work.limits.wait;
        let job = tokio::time::timeout_at(deadline, work.jobs.clone().acquire_owned())
            .await
            .ok()
            .and_then(Result::ok)
            .ok_or_else(|| work.overloaded("no spec job slot came free in time"))?;
        let bytes = axum::body::to_bytes(request.into_body(), limit)
            .await
            .map_err(|e| {
                if is_length_limit(&e) {
                    body_too_large(limit)
                } else {
                    Problem::bad_request(format!("the request body cannot be read: {e}"))
                }
            })?;
        Ok(SpecBody {
            bytes,
            ticket: Ticket {
                work,
                deadline,
                _job: job,
                memory: Vec::new(),
            },
        })
    }
}

fn body_too_large(limit: usize) -> Problem {
    Problem::too_large(format!(
        "the body is larger than this server takes for spec work ({} MiB)",
        limit as u64 / MIB
    ))
}

/// Whether reading a body failed for its length limit.
fn is_length_limit(error: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if e.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = e.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_costs_by_its_values_not_only_its_bytes() {
        let dense = format!("[{}0]", "0,".repeat(500_000));
        let sparse = format!("\"{}\"", "x".repeat(1_000_000));
        let dense_cost = Cost::Document.estimate(dense.as_bytes());
        let sparse_cost = Cost::Document.estimate(sparse.as_bytes());
        assert!(dense_cost > 100 * MIB, "{dense_cost}");
        assert!(sparse_cost < 24 * MIB, "{sparse_cost}");
    }
}
