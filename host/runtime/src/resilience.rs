//! Dependable calls to undependable APIs: retries with exponential backoff and full jitter for
//! idempotent requests (on 429, 5xx other than 501/505, and transport errors), `Retry-After`
//! honoured up to a cap, and a rate budget per credential (a token bucket shared by every call,
//! which also learns from the API's rate-limit headers).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

/// How failed idempotent requests are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0: none).
    pub max_retries: u32,
    /// First backoff; doubled per retry, with full jitter.
    pub base_delay: Duration,
    /// Longest backoff.
    pub max_delay: Duration,
    /// Longest `Retry-After` waited for; a longer one is not waited for (the call gives up
    /// and says so).
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 2,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(30),
        }
    }
}

/// A rate budget: `per_second` requests on average, bursts of up to `burst`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// Average requests per second.
    pub per_second: f64,
    /// Bucket size.
    pub burst: u32,
}

/// Whether a response status is worth retrying.
pub(crate) fn retryable_status(status: u16) -> bool {
    status == 429 || ((500..=599).contains(&status) && status != 501 && status != 505)
}

/// The `Retry-After` of a response: delay-seconds or an HTTP date.
pub(crate) fn retry_after(headers: &[(String, String)]) -> Option<Duration> {
    let value = header(headers, "retry-after")?;
    if let Ok(seconds) = value.trim().parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value.trim()).ok()?;
    Some(at.duration_since(SystemTime::now()).unwrap_or_default())
}

fn header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// How long the API says no request will be accepted: `RateLimit-Remaining` /
/// `X-RateLimit-Remaining` of 0 with the matching reset (seconds, or a Unix time when it is
/// that large).
pub(crate) fn exhausted_for(headers: &[(String, String)]) -> Option<Duration> {
    let remaining = header(headers, "ratelimit-remaining")
        .or_else(|| header(headers, "x-ratelimit-remaining"))?;
    if remaining.trim().parse::<u64>().ok()? != 0 {
        return None;
    }
    let reset: u64 = header(headers, "ratelimit-reset")
        .or_else(|| header(headers, "x-ratelimit-reset"))?
        .trim()
        .parse()
        .ok()?;
    if reset >= 1_000_000_000 {
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Some(Duration::from_secs(reset.saturating_sub(now)))
    } else {
        Some(Duration::from_secs(reset))
    }
}

/// The backoff before retry number `retry` (0-based): a random time up to
/// `base * 2^retry`, capped (full jitter).
pub(crate) fn backoff(policy: &RetryPolicy, retry: u32) -> Duration {
    let ceiling = policy
        .base_delay
        .saturating_mul(1u32 << retry.min(16))
        .min(policy.max_delay);
    ceiling.mul_f64(fastrand::f64())
}

/// One credential's token bucket.
#[derive(Debug)]
struct Bucket {
    tokens: f64,
    updated: Instant,
    blocked_until: Option<Instant>,
}

/// Rate budgets by credential, shared by every call of a runtime.
#[derive(Debug, Default)]
pub(crate) struct RateBudgets {
    buckets: Mutex<HashMap<String, Arc<Mutex<Bucket>>>>,
}

/// A call's handle on its credential's budget.
#[derive(Debug, Clone)]
pub(crate) struct Budget {
    bucket: Arc<Mutex<Bucket>>,
    limit: Option<RateLimit>,
}

impl RateBudgets {
    /// The budget of `key` (created full).
    pub(crate) fn budget(&self, key: &str, limit: Option<RateLimit>) -> Budget {
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let bucket = crate::shared_entry(&mut buckets, key, || {
            Arc::new(Mutex::new(Bucket {
                tokens: limit.map_or(0.0, |l| f64::from(l.burst)),
                updated: Instant::now(),
                blocked_until: None,
            }))
        });
        Budget { bucket, limit }
    }
}

impl Budget {
    /// How long to wait before the next request may go (taking its token now).
    pub(crate) fn reserve(&self) -> Duration {
        let mut bucket = self.bucket.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let blocked = bucket
            .blocked_until
            .map_or(Duration::ZERO, |until| until.saturating_duration_since(now));
        let Some(limit) = self.limit.filter(|l| l.per_second > 0.0) else {
            return blocked;
        };
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens =
            (bucket.tokens + elapsed * limit.per_second).min(f64::from(limit.burst.max(1)));
        bucket.updated = now;
        bucket.tokens -= 1.0;
        let refill = if bucket.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-bucket.tokens / limit.per_second)
        };
        refill.max(blocked)
    }

    /// Gives back a token that was reserved but not used (the wait was too long).
    pub(crate) fn release(&self) {
        if self.limit.is_some() {
            let mut bucket = self.bucket.lock().unwrap_or_else(|e| e.into_inner());
            bucket.tokens += 1.0;
        }
    }

    /// Learns from a response: an exhausted API blocks the budget until its reset.
    pub(crate) fn learn(&self, headers: &[(String, String)]) {
        if let Some(wait) = exhausted_for(headers) {
            let mut bucket = self.bucket.lock().unwrap_or_else(|e| e.into_inner());
            let until = Instant::now() + wait;
            if bucket.blocked_until.is_none_or(|b| b < until) {
                bucket.blocked_until = Some(until);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn retry_after_and_rate_limit_headers() {
        assert_eq!(
            retry_after(&headers(&[("Retry-After", "7")])),
            Some(Duration::from_secs(7))
        );
        let soon = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(60));
        let parsed = retry_after(&headers(&[("retry-after", &soon)])).unwrap();
        assert!(parsed <= Duration::from_secs(60) && parsed >= Duration::from_secs(58));
        assert_eq!(retry_after(&headers(&[("retry-after", "soon")])), None);
        assert_eq!(
            exhausted_for(&headers(&[
                ("X-RateLimit-Remaining", "0"),
                ("X-RateLimit-Reset", "3")
            ])),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            exhausted_for(&headers(&[
                ("RateLimit-Remaining", "5"),
                ("RateLimit-Reset", "3")
            ])),
            None
        );
        assert!(retryable_status(503) && retryable_status(429) && !retryable_status(501));
        assert!(!retryable_status(404));
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let policy = RetryPolicy::default();
        for retry in 0..20 {
            assert!(backoff(&policy, retry) <= policy.max_delay);
        }
        assert!(backoff(&policy, 0) <= policy.base_delay);
    }

    #[test]
    fn bucket_spaces_requests() {
        let budgets = RateBudgets::default();
        let budget = budgets.budget(
            "k",
            Some(RateLimit {
                per_second: 10.0,
                burst: 2,
            }),
        );
        assert_eq!(budget.reserve(), Duration::ZERO);
        assert_eq!(budget.reserve(), Duration::ZERO);
        let wait = budget.reserve();
        assert!(
            wait > Duration::from_millis(50) && wait <= Duration::from_millis(110),
            "{wait:?}"
        );
        // The same key shares the bucket.
        let again = budgets.budget(
            "k",
            Some(RateLimit {
                per_second: 10.0,
                burst: 2,
            }),
        );
        assert!(again.reserve() > wait);
        let free = budgets.budget("other", None);
        assert_eq!(free.reserve(), Duration::ZERO);
        free.learn(&headers(&[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", "2"),
        ]));
        assert!(free.reserve() > Duration::from_secs(1));
    }
}
