//! Server-side sessions of the web application. The browser holds only a random id in a cookie;
//! the store keeps its SHA-256 (`id_hash`), so reading this table opens no session. Kept in the
//! store, not in memory, so that several gateway instances share them and a logout is
//! everywhere at once. Rotation (at login, after a password change) is a delete and a create.

use chrono::{DateTime, Utc};
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Pool, Type};

use super::backend::Backend;
use super::StoreError;

/// One session as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebSessionRecord {
    /// SHA-256 of the cookie's id, hexadecimal.
    pub id_hash: String,
    /// The operator logged in; `None` before login and for an administrator.
    pub user_id: Option<String>,
    /// The security administrator logged in (the administration pages); `None` otherwise. A
    /// session is an operator's or an administrator's, never both.
    pub admin_id: Option<String>,
    /// The token every form of this session must send back.
    pub csrf_token: String,
    /// The operator's password must be changed before any other page opens.
    pub must_change_password: bool,
    /// The chain (PEM) of the smart card that opened the session; `None` when it was opened
    /// otherwise. The session ends when the TLS layer no longer accepts it.
    pub card_chain: Option<String>,
    pub created: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
}

/// Reached through [`super::Store::web_sessions`].
#[async_trait::async_trait]
pub trait WebSessions: Send + Sync {
    /// Stores a new session (its `id_hash` is new: 256 random bits).
    async fn create(&self, session: &WebSessionRecord) -> Result<(), StoreError>;

    /// The session whose id hashes to `id_hash`, whatever its age (the caller applies the
    /// timeouts, which are configuration).
    async fn find(&self, id_hash: &str) -> Result<Option<WebSessionRecord>, StoreError>;

    /// Records activity at `now` (the idle timeout counts from it); `false` if it is gone.
    async fn touch(&self, id_hash: &str, now: DateTime<Utc>) -> Result<bool, StoreError>;

    /// Ends one session (logout, rotation); `true` if it existed.
    async fn delete(&self, id_hash: &str) -> Result<bool, StoreError>;

    /// Ends every session of `user_id` (a password change elsewhere); how many there were.
    async fn delete_of_user(&self, user_id: &str) -> Result<u64, StoreError>;

    /// Ends every session of the administrator `admin_id` (their password reset, their account
    /// disabled); how many there were.
    async fn delete_of_administrator(&self, admin_id: &str) -> Result<u64, StoreError>;

    /// Forgets sessions idle since before `idle_before` or created before `created_before`:
    /// they can no longer be used anyway. How many went.
    async fn purge(
        &self,
        idle_before: DateTime<Utc>,
        created_before: DateTime<Utc>,
    ) -> Result<u64, StoreError>;

    /// The titolare a substitute doctor chose to act for in this session (seed 003 §3.3.1);
    /// `None`: the doctor acts for their own patients, or the session is gone.
    async fn acting_for(&self, id_hash: &str) -> Result<Option<String>, StoreError>;

    /// Remembers (or, with `None`, forgets) the titolare this session acts for; `false` if the
    /// session is gone.
    async fn set_acting_for(
        &self,
        id_hash: &str,
        titolare_cf: Option<&str>,
    ) -> Result<bool, StoreError>;
}

const CREATE: &str = "INSERT INTO web_sessions \
     (id_hash, user_id, admin_id, csrf_token, must_change_password, created_ms, last_seen_ms, \
     card_chain) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

const FIND: &str = "SELECT id_hash, user_id, admin_id, csrf_token, must_change_password, \
     created_ms, last_seen_ms, card_chain FROM web_sessions WHERE id_hash = $1";

const TOUCH: &str = "UPDATE web_sessions SET last_seen_ms = $2 WHERE id_hash = $1";

const DELETE: &str = "DELETE FROM web_sessions WHERE id_hash = $1";

const DELETE_OF_USER: &str = "DELETE FROM web_sessions WHERE user_id = $1";

const DELETE_OF_ADMINISTRATOR: &str = "DELETE FROM web_sessions WHERE admin_id = $1";

const PURGE: &str = "DELETE FROM web_sessions WHERE last_seen_ms < $1 OR created_ms < $2";

const ACTING_FOR: &str = "SELECT acting_for FROM web_sessions WHERE id_hash = $1";

const SET_ACTING_FOR: &str = "UPDATE web_sessions SET acting_for = $2 WHERE id_hash = $1";

type Row = (
    String,
    Option<String>,
    Option<String>,
    String,
    i64,
    i64,
    i64,
    Option<String>,
);

#[async_trait::async_trait]
impl<DB: Backend> WebSessions for Pool<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'c> &'c Pool<DB>: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB>,
    for<'q> String: Decode<'q, DB> + Type<DB>,
    for<'q> Option<String>: Decode<'q, DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
{
    async fn create(&self, session: &WebSessionRecord) -> Result<(), StoreError> {
        sqlx::query(CREATE)
            .bind(session.id_hash.as_str())
            .bind(session.user_id.as_deref())
            .bind(session.admin_id.as_deref())
            .bind(session.csrf_token.as_str())
            .bind(i64::from(session.must_change_password))
            .bind(session.created.timestamp_millis())
            .bind(session.last_seen.timestamp_millis())
            .bind(session.card_chain.as_deref())
            .execute(self)
            .await
            .map_err(StoreError::query("creating a web session failed"))?;
        Ok(())
    }

    async fn find(&self, id_hash: &str) -> Result<Option<WebSessionRecord>, StoreError> {
        let row: Option<Row> = sqlx::query_as(FIND)
            .bind(id_hash)
            .fetch_optional(self)
            .await
            .map_err(StoreError::query("reading a web session failed"))?;
        row.map(record).transpose()
    }

    async fn touch(&self, id_hash: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let done = sqlx::query(TOUCH)
            .bind(id_hash)
            .bind(now.timestamp_millis())
            .execute(self)
            .await
            .map_err(StoreError::query(
                "recording a web session's activity failed",
            ))?;
        Ok(DB::rows_affected(&done) > 0)
    }

    async fn delete(&self, id_hash: &str) -> Result<bool, StoreError> {
        let done = sqlx::query(DELETE)
            .bind(id_hash)
            .execute(self)
            .await
            .map_err(StoreError::query("ending a web session failed"))?;
        Ok(DB::rows_affected(&done) > 0)
    }

    async fn delete_of_user(&self, user_id: &str) -> Result<u64, StoreError> {
        let done = sqlx::query(DELETE_OF_USER)
            .bind(user_id)
            .execute(self)
            .await
            .map_err(StoreError::query("ending a user's web sessions failed"))?;
        Ok(DB::rows_affected(&done))
    }

    async fn delete_of_administrator(&self, admin_id: &str) -> Result<u64, StoreError> {
        let done = sqlx::query(DELETE_OF_ADMINISTRATOR)
            .bind(admin_id)
            .execute(self)
            .await
            .map_err(StoreError::query(
                "ending an administrator's web sessions failed",
            ))?;
        Ok(DB::rows_affected(&done))
    }

    async fn purge(
        &self,
        idle_before: DateTime<Utc>,
        created_before: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let done = sqlx::query(PURGE)
            .bind(idle_before.timestamp_millis())
            .bind(created_before.timestamp_millis())
            .execute(self)
            .await
            .map_err(StoreError::query("purging expired web sessions failed"))?;
        Ok(DB::rows_affected(&done))
    }

    async fn acting_for(&self, id_hash: &str) -> Result<Option<String>, StoreError> {
        let row: Option<(Option<String>,)> = sqlx::query_as(ACTING_FOR)
            .bind(id_hash)
            .fetch_optional(self)
            .await
            .map_err(StoreError::query(
                "reading the titolare a web session acts for failed",
            ))?;
        Ok(row.and_then(|(titolare,)| titolare))
    }

    async fn set_acting_for(
        &self,
        id_hash: &str,
        titolare_cf: Option<&str>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(SET_ACTING_FOR)
            .bind(id_hash)
            .bind(titolare_cf)
            .execute(self)
            .await
            .map_err(StoreError::query(
                "recording the titolare a web session acts for failed",
            ))?;
        Ok(DB::rows_affected(&done) > 0)
    }
}

fn record(
    (id_hash, user_id, admin_id, csrf_token, must_change, created_ms, last_seen_ms, card_chain): Row,
) -> Result<WebSessionRecord, StoreError> {
    let instant = |ms: i64, column: &'static str| {
        DateTime::from_timestamp_millis(ms).ok_or_else(|| StoreError::CorruptRow {
            table: "web_sessions",
            key: id_hash.clone(),
            column,
            value: ms.to_string(),
            expected: "milliseconds since the epoch",
        })
    };
    let (created, last_seen) = (
        instant(created_ms, "created_ms")?,
        instant(last_seen_ms, "last_seen_ms")?,
    );
    Ok(WebSessionRecord {
        id_hash,
        user_id,
        admin_id,
        csrf_token,
        must_change_password: must_change != 0,
        card_chain,
        created,
        last_seen,
    })
}
