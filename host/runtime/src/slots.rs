//! Fair shares of the instance pool: a call takes a slot of the pool, and of its organization's
//! and installation's shares, waiting a bounded time for them; no organization or installation
//! can hold the whole pool while others wait.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::{Error, Result};

/// Who a call runs for, so that the pool is shared fairly among them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    /// The organization the call runs for.
    pub organization: String,
    /// The installation whose credentials it uses.
    pub installation: String,
}

/// How the pool is shared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shares {
    /// Calls one organization may run at once.
    pub per_organization: u32,
    /// Calls one installation may run at once.
    pub per_installation: u32,
    /// How long a call waits for a slot before it is refused as busy.
    pub wait: Duration,
}

impl Shares {
    /// A quarter of the pool per organization and an eighth per installation (at least one
    /// each), and a 2 s wait.
    pub fn for_pool(max_instances: u32) -> Shares {
        Shares {
            per_organization: (max_instances / 4).max(1),
            per_installation: (max_instances / 8).max(1),
            wait: Duration::from_secs(2),
        }
    }
}

/// The slots of a call; dropping it gives them back.
pub(crate) struct Slot {
    _permits: Vec<OwnedSemaphorePermit>,
}

/// The pool's slots and every tenant's share of them.
pub(crate) struct Slots {
    pool: Arc<Semaphore>,
    pool_size: u32,
    shares: Shares,
    organizations: Mutex<HashMap<String, Arc<Semaphore>>>,
    installations: Mutex<HashMap<String, Arc<Semaphore>>>,
}

impl Slots {
    pub(crate) fn new(pool_size: u32, shares: Shares) -> Slots {
        Slots {
            pool: Arc::new(Semaphore::new(pool_size as usize)),
            pool_size,
            shares,
            organizations: Mutex::default(),
            installations: Mutex::default(),
        }
    }

    /// Slots for one call: its installation's share, its organization's, then the pool's, all
    /// within [`Shares::wait`].
    pub(crate) async fn acquire(&self, tenant: Option<&Tenant>) -> Result<Slot> {
        let started = tokio::time::Instant::now();
        let slot = self.take_all(tenant).await;
        metrics::histogram!("plugboard_slot_wait_seconds").record(started.elapsed().as_secs_f64());
        match &slot {
            Ok(_) => {
                let in_use = self.pool_size as usize - self.pool.available_permits();
                metrics::gauge!("plugboard_instances_in_use").set(in_use as f64);
            }
            Err(_) => metrics::counter!("plugboard_slot_busy_total").increment(1),
        }
        slot
    }

    async fn take_all(&self, tenant: Option<&Tenant>) -> Result<Slot> {
        let deadline = tokio::time::Instant::now() + self.shares.wait;
        let mut permits = Vec::with_capacity(3);
        if let Some(tenant) = tenant {
            for (kind, map, key, share) in [
                (
                    "installation",
                    &self.installations,
                    &tenant.installation,
                    self.shares.per_installation,
                ),
                (
                    "organization",
                    &self.organizations,
                    &tenant.organization,
                    self.shares.per_organization,
                ),
            ] {
                let semaphore = share_of(map, key, share);
                permits.push(take(semaphore, deadline).await.ok_or_else(|| Error::Busy {
                    message: format!(
                        "{kind} `{key}` already runs {share} call(s), its share of this host"
                    ),
                    retry_after: self.shares.wait,
                })?);
            }
        }
        permits.push(
            take(self.pool.clone(), deadline)
                .await
                .ok_or_else(|| Error::Busy {
                    message: format!(
                        "all {} instance slots of this host are in use",
                        self.pool_size
                    ),
                    retry_after: self.shares.wait,
                })?,
        );
        Ok(Slot { _permits: permits })
    }
}

/// The semaphore of one tenant (created at its share on first use).
fn share_of(map: &Mutex<HashMap<String, Arc<Semaphore>>>, key: &str, share: u32) -> Arc<Semaphore> {
    let mut map = map.lock().unwrap_or_else(|e| e.into_inner());
    // Forget tenants with nothing running, so the map stays as small as the busy tenants.
    if map.len() > 4096 {
        map.retain(|_, s| s.available_permits() < share as usize);
    }
    crate::shared_entry(&mut map, key, || Arc::new(Semaphore::new(share as usize)))
}

async fn take(
    semaphore: Arc<Semaphore>,
    deadline: tokio::time::Instant,
) -> Option<OwnedSemaphorePermit> {
    tokio::time::timeout_at(deadline, semaphore.acquire_owned())
        .await
        .ok()
        .and_then(Result::ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant(organization: &str, installation: &str) -> Tenant {
        Tenant {
            organization: organization.into(),
            installation: installation.into(),
        }
    }

    #[tokio::test]
    async fn one_tenant_cannot_take_the_whole_pool() {
        let slots = Slots::new(
            4,
            Shares {
                per_organization: 2,
                per_installation: 2,
                wait: Duration::from_millis(50),
            },
        );
        let a = tenant("org-a", "inst-a");
        let _first = slots.acquire(Some(&a)).await.unwrap();
        let _second = slots.acquire(Some(&a)).await.unwrap();
        let busy = slots.acquire(Some(&a)).await.err().expect("over its share");
        assert!(
            matches!(&busy, Error::Busy { message, .. } if message.contains("org-a") || message.contains("inst-a")),
            "{busy}"
        );
        // Another organization still gets slots, up to the pool.
        let b = tenant("org-b", "inst-b");
        let _third = slots.acquire(Some(&b)).await.unwrap();
        let _fourth = slots.acquire(Some(&b)).await.unwrap();
        let full = slots.acquire(None).await.err().expect("pool full");
        assert!(
            matches!(&full, Error::Busy { message, .. } if message.contains("all 4")),
            "{full}"
        );
        drop(_first);
        assert!(slots.acquire(Some(&a)).await.is_ok());
    }
}
