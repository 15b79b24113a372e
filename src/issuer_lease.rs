//! This process's issuer slot of numeric transaction ids: leased at start-up (with where to
//! continue), renewed while the gateway runs, replaced if it was lost, released at a clean stop.
//! Only PostgreSQL leases expire; a SQLite gateway is its store's sole issuer for its life.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::bail;

use crate::domain::TransactionIds;
use crate::store::{Lease, Store, StoreError};

/// How long a lease lasts without renewal: a crashed gateway's slot is free again after this.
pub const LEASE_TTL: Duration = Duration::from_secs(20);
/// Renewed this often, so a few failed renewals in a row still leave time.
const RENEW_EVERY: Duration = Duration::from_secs(5);
/// At start-up, with every slot held (gateways killed without releasing theirs), how long to
/// wait for one to expire.
const START_WAIT: Duration = Duration::from_secs(25);

/// Leases a slot and reads the highest committed numeric id: the ids this process issues.
pub async fn start(store: &dyn Store) -> anyhow::Result<(TransactionIds, Lease)> {
    let holder = format!(
        "pid {} {}",
        std::process::id(),
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    let deadline = Instant::now() + START_WAIT;
    loop {
        match lease_and_continue(store, &holder).await? {
            Some(((slot_ids, until), lease)) => {
                tracing::info!(
                    slot = lease.slot.index,
                    slots = lease.slot.count,
                    after = slot_ids,
                    "issuing numeric transaction ids"
                );
                return Ok((
                    TransactionIds::continuing(lease.slot, slot_ids, until),
                    lease,
                ));
            }
            None if Instant::now() < deadline => {
                tracing::warn!("every transaction-id issuer slot is leased; waiting for one");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            None => bail!(
                "every issuer slot of numeric transaction ids is leased by a running gateway \
                 (table transaction_id_issuers): stop one, or wait {} s for a crashed one's \
                 lease to expire",
                LEASE_TTL.as_secs()
            ),
        }
    }
}

/// A new lease, the highest committed id, and until when the lease surely holds.
async fn lease_and_continue(
    store: &dyn Store,
    holder: &str,
) -> Result<Option<((u64, Option<Instant>), Lease)>, StoreError> {
    // Measured from before the request: the database counts the TTL from a later instant.
    let asked = Instant::now();
    let Some(lease) = store.issuers().lease(holder, LEASE_TTL).await? else {
        return Ok(None);
    };
    // Read after leasing, so whatever a previous holder of the slot committed is seen.
    let after = store.issuers().highest_numeric_id().await?.unwrap_or(0);
    let until = lease.expires.then_some(asked + LEASE_TTL);
    Ok(Some(((after, until), lease)))
}

/// Renews `lease` until the task is aborted; if it was lost (this process could not reach the
/// database for longer than the TTL, and another took the slot), numeric ids stop at once and
/// a new slot is leased. `current` always holds the lease in force, for the release.
pub async fn keep(store: Arc<dyn Store>, ids: Arc<TransactionIds>, current: Arc<Mutex<Lease>>) {
    loop {
        tokio::time::sleep(RENEW_EVERY).await;
        let lease = current
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let asked = Instant::now();
        match store.issuers().renew(&lease, LEASE_TTL).await {
            Ok(true) => ids.extend_lease(asked + LEASE_TTL),
            Ok(false) => {
                tracing::error!(
                    slot = lease.slot.index,
                    "the transaction-id issuer lease was lost; leasing another slot"
                );
                match lease_and_continue(store.as_ref(), &lease.holder).await {
                    Ok(Some(((after, until), new))) => {
                        ids.move_to(new.slot, after, until.unwrap_or(asked + LEASE_TTL));
                        *current.lock().unwrap_or_else(PoisonError::into_inner) = new;
                    }
                    Ok(None) => tracing::error!(
                        "no transaction-id issuer slot is free: numeric ids are refused"
                    ),
                    Err(error) => tracing::error!(%error, "leasing an issuer slot failed"),
                }
            }
            // Numeric ids stop by themselves when the lease runs out unrenewed.
            Err(error) => tracing::warn!(%error, "renewing the transaction-id issuer lease failed"),
        }
    }
}

/// Frees the slot at a clean stop (a crash leaves it to expire).
pub async fn release(store: &dyn Store, lease: &Lease) {
    if lease.expires {
        if let Err(error) = store.issuers().release(lease).await {
            tracing::warn!(%error, "releasing the transaction-id issuer lease failed");
        }
    }
}
