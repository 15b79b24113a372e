//! Issuer slots of numeric transaction ids, and where a starting process continues them.
//!
//! PostgreSQL may be shared by several gateways: each leases one slot of the
//! `transaction_id_issuers` table (database time, renewed while it runs) and issues only the
//! ids of that slot (see [`crate::domain::transaction_id`]). SQLite is served by one process
//! (its lock file sees to that), which is the sole issuer and needs no lease.
//!
//! Every process starts after the highest numeric id the access log holds, whichever slot
//! issued it: the ids are 18 digits, so their text order is their numeric order, and the
//! access log's transaction-id index finds the highest without a scan.

use std::time::Duration;

use sqlx::{PgPool, SqlitePool};

use super::columns::StoredRow;
use super::StoreError;
use crate::domain::IssuerSlot;

/// A slot held by this process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub slot: IssuerSlot,
    /// Who holds it, as the table shows it.
    pub holder: String,
    /// The lease runs out unless renewed (PostgreSQL); `false`: held for the process's life.
    pub expires: bool,
}

/// The issuer slots of one backend (reached through [`super::Store::issuers`]).
#[async_trait::async_trait]
pub trait Issuers: Send + Sync {
    /// Leases a free (or expired) slot to `holder` for `ttl`; `None` when all are held.
    async fn lease(&self, holder: &str, ttl: Duration) -> Result<Option<Lease>, StoreError>;

    /// Extends the lease by `ttl` from now; `false` if it is no longer this holder's.
    async fn renew(&self, lease: &Lease, ttl: Duration) -> Result<bool, StoreError>;

    /// Frees the slot at a clean shutdown.
    async fn release(&self, lease: &Lease) -> Result<(), StoreError>;

    /// The highest numeric transaction id in the access log.
    async fn highest_numeric_id(&self) -> Result<Option<u64>, StoreError>;
}

/// The highest 18-digit id, walking the transaction-id index down from the top of the range.
const HIGHEST_NUMERIC_SQLITE: &str = "SELECT transaction_id FROM access_log \
     WHERE transaction_id BETWEEN '000000000000000000' AND '999999999999999999' \
     AND length(transaction_id) = 18 AND transaction_id NOT GLOB '*[^0-9]*' \
     ORDER BY transaction_id DESC LIMIT 1";

const HIGHEST_NUMERIC_POSTGRES: &str = "SELECT transaction_id FROM access_log \
     WHERE transaction_id BETWEEN '000000000000000000' AND '999999999999999999' \
     AND transaction_id ~ '^[0-9]{18}$' \
     ORDER BY transaction_id DESC LIMIT 1";

fn parse_id(text: Option<String>) -> Result<Option<u64>, StoreError> {
    text.map(|t| {
        t.parse().map_err(|_| {
            StoredRow::new("access_log", &t).corrupt("transaction_id", &t, "an 18-digit number")
        })
    })
    .transpose()
}

#[async_trait::async_trait]
impl Issuers for SqlitePool {
    async fn lease(&self, holder: &str, _ttl: Duration) -> Result<Option<Lease>, StoreError> {
        Ok(Some(Lease {
            slot: IssuerSlot::SOLE,
            holder: holder.to_owned(),
            expires: false,
        }))
    }

    async fn renew(&self, _lease: &Lease, _ttl: Duration) -> Result<bool, StoreError> {
        Ok(true)
    }

    async fn release(&self, _lease: &Lease) -> Result<(), StoreError> {
        Ok(())
    }

    async fn highest_numeric_id(&self) -> Result<Option<u64>, StoreError> {
        let id: Option<String> = sqlx::query_scalar(HIGHEST_NUMERIC_SQLITE)
            .fetch_optional(self)
            .await
            .map_err(StoreError::query(
                "reading the highest transaction id failed",
            ))?;
        parse_id(id)
    }
}

#[async_trait::async_trait]
impl Issuers for PgPool {
    async fn lease(&self, holder: &str, ttl: Duration) -> Result<Option<Lease>, StoreError> {
        let context = "leasing a transaction-id issuer slot failed";
        // SKIP LOCKED: two gateways starting together take two different slots.
        let slot: Option<i16> = sqlx::query_scalar(
            "UPDATE transaction_id_issuers \
             SET holder = $1, expires_at = now() + $2 * interval '1 millisecond' \
             WHERE slot = (SELECT slot FROM transaction_id_issuers \
                           WHERE holder IS NULL OR expires_at < now() \
                           ORDER BY expires_at, slot LIMIT 1 FOR UPDATE SKIP LOCKED) \
             RETURNING slot",
        )
        .bind(holder)
        .bind(ttl_millis(ttl))
        .fetch_optional(self)
        .await
        .map_err(StoreError::query(context))?;
        let Some(slot) = slot else {
            return Ok(None);
        };
        let count: i64 = sqlx::query_scalar("SELECT count(*) FROM transaction_id_issuers")
            .fetch_one(self)
            .await
            .map_err(StoreError::query(context))?;
        Ok(Some(Lease {
            slot: IssuerSlot {
                index: u64::try_from(slot).unwrap_or(0),
                count: u64::try_from(count).unwrap_or(1),
            },
            holder: holder.to_owned(),
            expires: true,
        }))
    }

    async fn renew(&self, lease: &Lease, ttl: Duration) -> Result<bool, StoreError> {
        let renewed = sqlx::query(
            "UPDATE transaction_id_issuers \
             SET expires_at = now() + $3 * interval '1 millisecond' \
             WHERE slot = $1 AND holder = $2 AND expires_at >= now()",
        )
        .bind(slot_index(lease))
        .bind(&lease.holder)
        .bind(ttl_millis(ttl))
        .execute(self)
        .await
        .map_err(StoreError::query(
            "renewing a transaction-id issuer lease failed",
        ))?
        .rows_affected();
        Ok(renewed == 1)
    }

    async fn release(&self, lease: &Lease) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE transaction_id_issuers SET holder = NULL, expires_at = '-infinity' \
             WHERE slot = $1 AND holder = $2",
        )
        .bind(slot_index(lease))
        .bind(&lease.holder)
        .execute(self)
        .await
        .map_err(StoreError::query(
            "releasing a transaction-id issuer lease failed",
        ))?;
        Ok(())
    }

    async fn highest_numeric_id(&self) -> Result<Option<u64>, StoreError> {
        let id: Option<String> = sqlx::query_scalar(HIGHEST_NUMERIC_POSTGRES)
            .fetch_optional(self)
            .await
            .map_err(StoreError::query(
                "reading the highest transaction id failed",
            ))?;
        parse_id(id)
    }
}

fn ttl_millis(ttl: Duration) -> f64 {
    ttl.as_secs_f64() * 1000.0
}

fn slot_index(lease: &Lease) -> i16 {
    i16::try_from(lease.slot.index).unwrap_or(i16::MAX)
}
