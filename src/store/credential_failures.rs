//! Consecutive failed credentials per account, and until when it is locked. Kept in the store so
//! every gateway instance counts the same failures and a lock survives a restart; each failure
//! is one atomic statement, so concurrent failures are all counted. Apart from `users`, whose
//! changes bump the directory version (and drop every cached verification): a failure must not.

use chrono::{DateTime, Duration, Utc};
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Pool, Type};

use super::backend::Backend;
use super::StoreError;

/// An account's failures since its last success, and its lock if it has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FailureCount {
    pub failures: u32,
    /// Locked until then (a past instant means the lock has expired).
    pub locked_until: Option<DateTime<Utc>>,
}

impl FailureCount {
    pub fn locked_at(&self, now: DateTime<Utc>) -> bool {
        self.locked_until.is_some_and(|until| until > now)
    }

    /// The count after one more failure at `at`: [`CredentialFailures::record_failure`]'s rule
    /// (the SQL of `RECORD_FAILURE`), for counts kept elsewhere (administrators', read from the
    /// access log). A failure while locked counts but does not extend the lock; the first after
    /// a lock expired counts from one again; the `max_failures`-th locks until `at + lock_for`.
    pub fn after_failure(self, at: DateTime<Utc>, policy: LockoutPolicy) -> FailureCount {
        if self.locked_at(at) {
            return FailureCount {
                failures: self.failures.saturating_add(1),
                ..self
            };
        }
        let failures = match self.locked_until {
            Some(_) => 1,
            None => self.failures.saturating_add(1),
        };
        FailureCount {
            failures,
            locked_until: (failures >= policy.max_failures).then(|| at + policy.lock_for),
        }
    }
}

/// When failures lock an account, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    pub max_failures: u32,
    pub lock_for: Duration,
}

/// What one more failure did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureRecorded {
    pub count: FailureCount,
    /// This failure is the one that locked the account (exactly one of concurrent ones is).
    pub locked_now: bool,
}

/// Reached through [`super::Store::credential_failures`].
#[async_trait::async_trait]
pub trait CredentialFailures: Send + Sync {
    /// The user's count; zero when they have none.
    async fn count(&self, user_id: &str) -> Result<FailureCount, StoreError>;

    /// Counts one failure at `now` for an existing user: the `max_failures`-th in a row locks
    /// the account until `now + lock_for`; failures while locked do not extend the lock; the
    /// first failure after a lock expired counts from one again.
    async fn record_failure(
        &self,
        user_id: &str,
        now: DateTime<Utc>,
        policy: LockoutPolicy,
    ) -> Result<FailureRecorded, StoreError>;

    /// Forgets the user's failures and lock (a success, or an administrator's unlock);
    /// `true` if there were any.
    async fn clear(&self, user_id: &str) -> Result<bool, StoreError>;
}

const COUNT: &str = "SELECT failures, locked_until_ms FROM credential_failures WHERE user_id = $1";

/// `$1` user, `$2` now (ms), `$3` max failures, `$4` lock length (ms). The SET expressions read
/// the row as it was before this statement.
const RECORD_FAILURE: &str =
    "INSERT INTO credential_failures (user_id, failures, locked_until_ms) \
     VALUES ($1, 1, CASE WHEN 1 >= $3 THEN $2 + $4 ELSE NULL END) \
     ON CONFLICT (user_id) DO UPDATE SET \
     failures = CASE WHEN credential_failures.locked_until_ms <= $2 THEN 1 \
                     ELSE credential_failures.failures + 1 END, \
     locked_until_ms = CASE \
         WHEN credential_failures.locked_until_ms > $2 THEN credential_failures.locked_until_ms \
         WHEN (CASE WHEN credential_failures.locked_until_ms <= $2 THEN 1 \
                    ELSE credential_failures.failures + 1 END) >= $3 THEN $2 + $4 \
         ELSE NULL END \
     RETURNING failures, locked_until_ms";

const CLEAR: &str = "DELETE FROM credential_failures WHERE user_id = $1";

#[async_trait::async_trait]
impl<DB: Backend> CredentialFailures for Pool<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'c> &'c Pool<DB>: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Decode<'q, DB>,
    usize: ColumnIndex<DB::Row>,
{
    async fn count(&self, user_id: &str) -> Result<FailureCount, StoreError> {
        let row: Option<(i64, Option<i64>)> = sqlx::query_as(COUNT)
            .bind(user_id)
            .fetch_optional(self)
            .await
            .map_err(StoreError::query("reading credential failures failed"))?;
        Ok(row.map(failure_count).unwrap_or_default())
    }

    async fn record_failure(
        &self,
        user_id: &str,
        now: DateTime<Utc>,
        policy: LockoutPolicy,
    ) -> Result<FailureRecorded, StoreError> {
        let row: (i64, Option<i64>) = sqlx::query_as(RECORD_FAILURE)
            .bind(user_id)
            .bind(now.timestamp_millis())
            .bind(i64::from(policy.max_failures))
            .bind(policy.lock_for.num_milliseconds())
            .fetch_one(self)
            .await
            .map_err(StoreError::query("counting a credential failure failed"))?;
        let count = failure_count(row);
        Ok(FailureRecorded {
            count,
            locked_now: count.failures == policy.max_failures && count.locked_at(now),
        })
    }

    async fn clear(&self, user_id: &str) -> Result<bool, StoreError> {
        let cleared = sqlx::query(CLEAR)
            .bind(user_id)
            .execute(self)
            .await
            .map_err(StoreError::query("clearing credential failures failed"))?;
        Ok(DB::rows_affected(&cleared) > 0)
    }
}

fn failure_count((failures, locked_until_ms): (i64, Option<i64>)) -> FailureCount {
    FailureCount {
        failures: u32::try_from(failures).unwrap_or(u32::MAX),
        locked_until: locked_until_ms.and_then(DateTime::from_timestamp_millis),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_counts_locks_at_the_maximum_and_starts_again_after_the_lock() {
        let policy = LockoutPolicy {
            max_failures: 3,
            lock_for: Duration::minutes(15),
        };
        let t0 = DateTime::from_timestamp_millis(1_700_000_000_000).unwrap_or_default();
        let minute = Duration::minutes(1);
        let mut count = FailureCount::default();
        for n in 0..2 {
            count = count.after_failure(t0 + minute * n, policy);
        }
        assert_eq!((count.failures, count.locked_until), (2, None));
        let locking = t0 + minute * 2;
        count = count.after_failure(locking, policy);
        assert_eq!(count.locked_until, Some(locking + policy.lock_for));
        count = count.after_failure(locking + minute, policy);
        assert_eq!(
            (count.failures, count.locked_until),
            (4, Some(locking + policy.lock_for)),
            "counted, not extended"
        );
        count = count.after_failure(locking + policy.lock_for, policy);
        assert_eq!((count.failures, count.locked_until), (1, None));
    }
}
