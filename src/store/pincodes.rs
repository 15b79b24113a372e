//! The second half of each operator's pincode, kept sealed (seed 004 §3.2: the ASL hands over
//! the first half, the operator obtains the second on the portal after their first
//! authentication). The store only ever sees the sealed text (`crate::pki::sealing`) and the
//! argon2 hash of the whole pincode in `users`; the first half is kept nowhere.

use chrono::{DateTime, Utc};
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Pool, Type};

use super::backend::{begin, Backend};
use super::StoreError;

/// Reached through [`super::Store::pincodes`].
#[async_trait::async_trait]
pub trait Pincodes: Send + Sync {
    /// The sealed second half of the user's pincode; `None` for a user registered before
    /// pincodes came in halves (or an unknown user).
    async fn sealed_second_half(&self, user_id: &str) -> Result<Option<String>, StoreError>;

    /// Keeps the sealed second half of the pincode the user was registered with (replacing any);
    /// `false` for an unknown user.
    async fn keep_second_half(
        &self,
        user_id: &str,
        sealed: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Gives the user a new pincode in one transaction: its argon2 `hash` in `users` (which
    /// bumps the directory version, so no gateway keeps accepting the old one) and its `sealed`
    /// second half. `false` for an unknown user.
    async fn replace(
        &self,
        user_id: &str,
        hash: &str,
        sealed: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
}

const SEALED: &str = "SELECT sealed FROM pincode_second_halves WHERE user_id = $1";

/// `$1` user, `$2` sealed, `$3` at (ms); nothing for an unknown user.
const UPSERT: &str = "INSERT INTO pincode_second_halves (user_id, sealed, set_at_ms) \
     SELECT user_id, $2, $3 FROM users WHERE user_id = $1 \
     ON CONFLICT (user_id) DO UPDATE SET sealed = $2, set_at_ms = $3";

const SET_HASH: &str = "UPDATE users SET pincode_hash = $2 WHERE user_id = $1";

#[async_trait::async_trait]
impl<DB: Backend> Pincodes for Pool<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'c> &'c Pool<DB>: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> String: Decode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
{
    async fn sealed_second_half(&self, user_id: &str) -> Result<Option<String>, StoreError> {
        sqlx::query_scalar(SEALED)
            .bind(user_id)
            .fetch_optional(self)
            .await
            .map_err(StoreError::query("reading a pincode's second half failed"))
    }

    async fn keep_second_half(
        &self,
        user_id: &str,
        sealed: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(UPSERT)
            .bind(user_id)
            .bind(sealed)
            .bind(at.timestamp_millis())
            .execute(self)
            .await
            .map_err(StoreError::query("keeping a pincode's second half failed"))?;
        Ok(DB::rows_affected(&done) == 1)
    }

    async fn replace(
        &self,
        user_id: &str,
        hash: &str,
        sealed: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        const CONTEXT: &str = "replacing a pincode failed";
        let mut tx = begin(self, CONTEXT).await?;
        let updated = sqlx::query(SET_HASH)
            .bind(user_id)
            .bind(hash)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::query(CONTEXT))?;
        if DB::rows_affected(&updated) != 1 {
            return Ok(false);
        }
        sqlx::query(UPSERT)
            .bind(user_id)
            .bind(sealed)
            .bind(at.timestamp_millis())
            .execute(&mut *tx)
            .await
            .map_err(StoreError::query(CONTEXT))?;
        tx.commit().await.map_err(StoreError::query(CONTEXT))?;
        Ok(true)
    }
}
