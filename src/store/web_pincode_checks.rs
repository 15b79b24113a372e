//! The web sessions whose operator typed the right pincode on the OTP service's page (seed 000:
//! the pincode opens the service for the rest of the session). Only that it happened, and
//! when, is kept; a session's checks go with it.

use chrono::{DateTime, Utc};
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Pool, Type};

use super::backend::{begin, Backend};
use super::StoreError;

/// Reached through [`super::Store::web_pincode_checks`].
#[async_trait::async_trait]
pub trait WebPincodeChecks: Send + Sync {
    /// Records that the session `session_hash` passed the pincode page at `at`.
    async fn record(&self, session_hash: &str, at: DateTime<Utc>) -> Result<(), StoreError>;

    /// Whether the session `session_hash` passed it.
    async fn passed(&self, session_hash: &str) -> Result<bool, StoreError>;
}

const DELETE: &str = "DELETE FROM web_pincode_checks WHERE session_hash = $1";

const INSERT: &str = "INSERT INTO web_pincode_checks (session_hash, checked_ms) VALUES ($1, $2)";

const PASSED: &str = "SELECT COUNT(*) FROM web_pincode_checks WHERE session_hash = $1";

#[async_trait::async_trait]
impl<DB: Backend> WebPincodeChecks for Pool<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'c> &'c Pool<DB>: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
{
    async fn record(&self, session_hash: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        let context = "recording a pincode check failed";
        let mut tx = begin(self, context).await?;
        sqlx::query(DELETE)
            .bind(session_hash)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::query(context))?;
        sqlx::query(INSERT)
            .bind(session_hash)
            .bind(at.timestamp_millis())
            .execute(&mut *tx)
            .await
            .map_err(StoreError::query(context))?;
        tx.commit().await.map_err(StoreError::query(context))
    }

    async fn passed(&self, session_hash: &str) -> Result<bool, StoreError> {
        let (count,): (i64,) = sqlx::query_as(PASSED)
            .bind(session_hash)
            .fetch_one(self)
            .await
            .map_err(StoreError::query("reading a pincode check failed"))?;
        Ok(count > 0)
    }
}
