//! Each user's password state: whether it must be changed before the gateway accepts it (an
//! initial password, an administrator's reset), when it was last changed (the maximum age counts
//! from then), and the argon2 hashes of the passwords it replaced, so a reuse can be refused.
//! Every change of state bumps the directory version (database triggers), as changes to `users`
//! do. A user added by any path starts with a ready password (a trigger); registration by an
//! administrator marks it as one to change.

use chrono::{DateTime, Utc};
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Pool, Type};

use super::backend::{begin, Backend};
use super::StoreError;

/// A user's password: to be changed or not, and since when it is the current one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordState {
    pub must_change: bool,
    pub changed_at: DateTime<Utc>,
}

/// A new password for a user, already hashed.
#[derive(Debug, Clone, Copy)]
pub struct NewPassword<'a> {
    pub hash: &'a str,
    /// An administrator's reset: the user must change it at first use.
    pub must_change: bool,
    pub at: DateTime<Utc>,
    /// How many replaced passwords to keep (older ones are forgotten).
    pub keep_replaced: u32,
}

/// Reached through [`super::Store::passwords`].
#[async_trait::async_trait]
pub trait Passwords: Send + Sync {
    /// The user's password state; `None` for an unknown user.
    async fn state(&self, user_id: &str) -> Result<Option<PasswordState>, StoreError>;

    /// Marks the user's current password as one to change at first use (registration);
    /// `false` for an unknown user.
    async fn require_change(&self, user_id: &str, at: DateTime<Utc>) -> Result<bool, StoreError>;

    /// Replaces the user's password in one transaction: the old hash joins the replaced ones
    /// (the `keep_replaced` most recent are kept), the state is set. `false` for an unknown user.
    async fn set_password(&self, user_id: &str, new: NewPassword<'_>) -> Result<bool, StoreError>;

    /// The hashes of the passwords the user's current one replaced, most recent first.
    async fn replaced(&self, user_id: &str, limit: u32) -> Result<Vec<String>, StoreError>;
}

const STATE: &str = "SELECT must_change, changed_at_ms FROM user_passwords WHERE user_id = $1";

/// `$1` user, `$2` must change, `$3` at (ms).
const UPSERT_STATE: &str = "INSERT INTO user_passwords (user_id, must_change, changed_at_ms) \
     SELECT user_id, $2, $3 FROM users WHERE user_id = $1 \
     ON CONFLICT (user_id) DO UPDATE SET must_change = $2, changed_at_ms = $3";

const CURRENT_HASH: &str = "SELECT password_hash FROM users WHERE user_id = $1";

const KEEP_REPLACED: &str =
    "INSERT INTO password_history (user_id, password_hash, replaced_at_ms) \
     VALUES ($1, $2, $3)";

const SET_HASH: &str = "UPDATE users SET password_hash = $2 WHERE user_id = $1";

/// Forgets all but the `$2` most recent replaced passwords of `$1`.
const FORGET_OLDER: &str = "DELETE FROM password_history WHERE user_id = $1 AND id NOT IN \
     (SELECT id FROM password_history WHERE user_id = $1 ORDER BY id DESC LIMIT $2)";

const REPLACED: &str = "SELECT password_hash FROM password_history WHERE user_id = $1 \
     ORDER BY id DESC LIMIT $2";

#[async_trait::async_trait]
impl<DB: Backend> Passwords for Pool<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'c> &'c Pool<DB>: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> String: Decode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> bool: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
{
    async fn state(&self, user_id: &str) -> Result<Option<PasswordState>, StoreError> {
        let row: Option<(bool, i64)> = sqlx::query_as(STATE)
            .bind(user_id)
            .fetch_optional(self)
            .await
            .map_err(StoreError::query("reading a password's state failed"))?;
        Ok(row.map(|(must_change, changed_at_ms)| PasswordState {
            must_change,
            changed_at: DateTime::from_timestamp_millis(changed_at_ms).unwrap_or_default(),
        }))
    }

    async fn require_change(&self, user_id: &str, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let done = sqlx::query(UPSERT_STATE)
            .bind(user_id)
            .bind(true)
            .bind(at.timestamp_millis())
            .execute(self)
            .await
            .map_err(StoreError::query("marking a password to change failed"))?;
        Ok(DB::rows_affected(&done) == 1)
    }

    async fn set_password(&self, user_id: &str, new: NewPassword<'_>) -> Result<bool, StoreError> {
        const CONTEXT: &str = "changing a password failed";
        let mut tx = begin(self, CONTEXT).await?;
        let current: Option<String> = sqlx::query_scalar(CURRENT_HASH)
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(StoreError::query(CONTEXT))?;
        let Some(current) = current else {
            return Ok(false);
        };
        let at = new.at.timestamp_millis();
        sqlx::query(KEEP_REPLACED)
            .bind(user_id)
            .bind(current.as_str())
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::query(CONTEXT))?;
        sqlx::query(FORGET_OLDER)
            .bind(user_id)
            .bind(i64::from(new.keep_replaced))
            .execute(&mut *tx)
            .await
            .map_err(StoreError::query(CONTEXT))?;
        sqlx::query(SET_HASH)
            .bind(user_id)
            .bind(new.hash)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::query(CONTEXT))?;
        sqlx::query(UPSERT_STATE)
            .bind(user_id)
            .bind(new.must_change)
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::query(CONTEXT))?;
        tx.commit().await.map_err(StoreError::query(CONTEXT))?;
        Ok(true)
    }

    async fn replaced(&self, user_id: &str, limit: u32) -> Result<Vec<String>, StoreError> {
        sqlx::query_scalar(REPLACED)
            .bind(user_id)
            .bind(i64::from(limit))
            .fetch_all(self)
            .await
            .map_err(StoreError::query("reading replaced passwords failed"))
    }
}
