//! Each operator's TOTP second factor: the secret as sealed by the caller (the store never sees
//! it in clear), whether its enrollment was confirmed with a valid code, and the last step whose
//! code was accepted. Accepting a code is one conditional UPDATE that moves that step forward,
//! so of two gateways sharing the database that see the same code at once, exactly one wins.

use chrono::{DateTime, Utc};
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Pool, Type};

use super::backend::Backend;
use super::StoreError;

/// A user's TOTP row.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpRecord {
    /// The secret as [`crate::pki::sealing::SealingKey::seal`] made it.
    pub sealed_secret: String,
    /// A valid code was given after the secret was shown: the second factor is in force.
    pub confirmed: bool,
    /// The last step whose code was accepted.
    pub last_step: Option<i64>,
    pub created_at: DateTime<Utc>,
}

impl std::fmt::Debug for TotpRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TotpRecord")
            .field("confirmed", &self.confirmed)
            .field("last_step", &self.last_step)
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

/// Whether a code may serve again within the step it was accepted for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepReuse {
    /// A person typing a code: each code once (a later step only).
    Never,
    /// Practice software sending a burst of calls with one code: the same step again is
    /// accepted, an earlier one never.
    SameStep,
}

/// Reached through [`super::Store::totp`].
#[async_trait::async_trait]
pub trait Totp: Send + Sync {
    /// The user's row; `None` when they never started an enrollment (or it was reset).
    async fn totp(&self, user_id: &str) -> Result<Option<TotpRecord>, StoreError>;

    /// Stores a new, unconfirmed secret for an existing user, replacing an unconfirmed one.
    /// `false` if the user is unknown or has a confirmed secret (reset it first).
    async fn start_enrollment(
        &self,
        user_id: &str,
        sealed_secret: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Confirms the unconfirmed `sealed_secret` with a code of `step`, which becomes the last
    /// accepted one. `false` if that secret is no longer the user's pending one.
    async fn confirm(
        &self,
        user_id: &str,
        sealed_secret: &str,
        step: i64,
    ) -> Result<bool, StoreError>;

    /// Accepts a code of `step` for the user's confirmed `sealed_secret`: atomically, only if
    /// `step` is later than the last accepted one (or equal, with [`StepReuse::SameStep`]).
    /// `false` when refused (replayed, or the secret changed meanwhile).
    async fn accept_step(
        &self,
        user_id: &str,
        sealed_secret: &str,
        step: i64,
        reuse: StepReuse,
    ) -> Result<bool, StoreError>;

    /// Forgets the user's secret (a lost phone); `true` if there was one.
    async fn reset(&self, user_id: &str) -> Result<bool, StoreError>;
}

const READ: &str = "SELECT sealed_secret, confirmed, last_step, created_at_ms \
     FROM operator_totp WHERE user_id = $1";

/// `$1` user, `$2` sealed secret, `$3` at (ms). Only for a user that exists; a confirmed secret
/// is left alone (the UPDATE's WHERE).
const START: &str = "INSERT INTO operator_totp \
     (user_id, sealed_secret, confirmed, last_step, created_at_ms) \
     SELECT user_id, $2, FALSE, NULL, $3 FROM users WHERE user_id = $1 \
     ON CONFLICT (user_id) DO UPDATE SET sealed_secret = $2, last_step = NULL, \
     created_at_ms = $3 WHERE operator_totp.confirmed = FALSE";

const CONFIRM: &str = "UPDATE operator_totp SET confirmed = TRUE, last_step = $3 \
     WHERE user_id = $1 AND sealed_secret = $2 AND confirmed = FALSE";

const ACCEPT_LATER: &str = "UPDATE operator_totp SET last_step = $3 \
     WHERE user_id = $1 AND sealed_secret = $2 AND confirmed = TRUE \
     AND (last_step IS NULL OR last_step < $3)";

const ACCEPT_SAME_OR_LATER: &str = "UPDATE operator_totp SET last_step = $3 \
     WHERE user_id = $1 AND sealed_secret = $2 AND confirmed = TRUE \
     AND (last_step IS NULL OR last_step <= $3)";

const RESET: &str = "DELETE FROM operator_totp WHERE user_id = $1";

#[async_trait::async_trait]
impl<DB: Backend> Totp for Pool<DB>
where
    for<'c> &'c Pool<DB>: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> String: Decode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Decode<'q, DB>,
    for<'q> bool: Decode<'q, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
{
    async fn totp(&self, user_id: &str) -> Result<Option<TotpRecord>, StoreError> {
        let row: Option<(String, bool, Option<i64>, i64)> = sqlx::query_as(READ)
            .bind(user_id)
            .fetch_optional(self)
            .await
            .map_err(StoreError::query("reading a TOTP enrollment failed"))?;
        Ok(row.map(
            |(sealed_secret, confirmed, last_step, created_at_ms)| TotpRecord {
                sealed_secret,
                confirmed,
                last_step,
                created_at: DateTime::from_timestamp_millis(created_at_ms).unwrap_or_default(),
            },
        ))
    }

    async fn start_enrollment(
        &self,
        user_id: &str,
        sealed_secret: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(START)
            .bind(user_id)
            .bind(sealed_secret)
            .bind(at.timestamp_millis())
            .execute(self)
            .await
            .map_err(StoreError::query("starting a TOTP enrollment failed"))?;
        Ok(DB::rows_affected(&done) == 1)
    }

    async fn confirm(
        &self,
        user_id: &str,
        sealed_secret: &str,
        step: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(CONFIRM)
            .bind(user_id)
            .bind(sealed_secret)
            .bind(step)
            .execute(self)
            .await
            .map_err(StoreError::query("confirming a TOTP enrollment failed"))?;
        Ok(DB::rows_affected(&done) == 1)
    }

    async fn accept_step(
        &self,
        user_id: &str,
        sealed_secret: &str,
        step: i64,
        reuse: StepReuse,
    ) -> Result<bool, StoreError> {
        let sql = match reuse {
            StepReuse::Never => ACCEPT_LATER,
            StepReuse::SameStep => ACCEPT_SAME_OR_LATER,
        };
        let done = sqlx::query(sql)
            .bind(user_id)
            .bind(sealed_secret)
            .bind(step)
            .execute(self)
            .await
            .map_err(StoreError::query("accepting a TOTP code failed"))?;
        Ok(DB::rows_affected(&done) == 1)
    }

    async fn reset(&self, user_id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query(RESET)
            .bind(user_id)
            .execute(self)
            .await
            .map_err(StoreError::query("resetting a TOTP enrollment failed"))?;
        Ok(DB::rows_affected(&done) > 0)
    }
}
