//! The login captcha's challenges already answered right ([`crate::web::captcha::stateless`]):
//! a challenge is not stored when it is issued, so this is what makes it single-use. Only a
//! digest of the challenge and its expiry are kept, and only until that expiry.

use chrono::{DateTime, Utc};
use sqlx::{Encode, Executor, IntoArguments, Pool, Type};

use super::backend::{begin, Backend};
use super::StoreError;

/// Reached through [`super::Store::web_spent_challenges`].
#[async_trait::async_trait]
pub trait WebSpentChallenges: Send + Sync {
    /// Records the challenge `digest` as answered, until `expires` (rows expired at `now` are
    /// forgotten first): `true` if this call recorded it, `false` if it already was.
    async fn spend(
        &self,
        digest: &str,
        expires: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
}

const PURGE: &str = "DELETE FROM web_spent_challenges WHERE expires_ms < $1";

const SPEND: &str = "INSERT INTO web_spent_challenges (digest, expires_ms) VALUES ($1, $2) \
     ON CONFLICT (digest) DO NOTHING";

#[async_trait::async_trait]
impl<DB: Backend> WebSpentChallenges for Pool<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
{
    async fn spend(
        &self,
        digest: &str,
        expires: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let context = "recording an answered captcha challenge failed";
        let mut tx = begin(self, context).await?;
        sqlx::query(PURGE)
            .bind(now.timestamp_millis())
            .execute(&mut *tx)
            .await
            .map_err(StoreError::query(context))?;
        let done = sqlx::query(SPEND)
            .bind(digest)
            .bind(expires.timestamp_millis())
            .execute(&mut *tx)
            .await
            .map_err(StoreError::query(context))?;
        tx.commit().await.map_err(StoreError::query(context))?;
        Ok(DB::rows_affected(&done) == 1)
    }
}
