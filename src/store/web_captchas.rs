//! The web application's captcha challenges: one live challenge per session and form, its
//! answer sealed (the web seals and opens it; the store never sees it in clear). A challenge is
//! used once: [`WebCaptchas::take`] deletes it, and only the request whose delete removed the
//! row may judge the answer, so two posts of one form cannot both pass.

use chrono::{DateTime, Utc};
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Pool, Type};

use super::backend::{begin, Backend};
use super::StoreError;

/// One challenge as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebCaptchaRecord {
    /// 128 random bits: what the form and the image's address name.
    pub id: String,
    /// The session it was issued to (its `id_hash`).
    pub session_hash: String,
    /// The form it guards (`login`, `otp`).
    pub form: String,
    pub sealed_answer: String,
    /// Wrong answers this session already gave on this form.
    pub failures: u32,
    pub expires: DateTime<Utc>,
}

/// Reached through [`super::Store::web_captchas`].
#[async_trait::async_trait]
pub trait WebCaptchas: Send + Sync {
    /// Stores `challenge` in place of its session's challenge for the same form, if any.
    async fn replace(&self, challenge: &WebCaptchaRecord) -> Result<(), StoreError>;

    /// The session's challenge `id`, whatever its age (the caller judges the expiry).
    async fn find(
        &self,
        session_hash: &str,
        id: &str,
    ) -> Result<Option<WebCaptchaRecord>, StoreError>;

    /// The session's challenge for `form`, if any.
    async fn find_for_form(
        &self,
        session_hash: &str,
        form: &str,
    ) -> Result<Option<WebCaptchaRecord>, StoreError>;

    /// Uses the session's challenge `id` up: `true` if this call deleted it.
    async fn take(&self, session_hash: &str, id: &str) -> Result<bool, StoreError>;

    /// Forgets challenges expired before `now`; how many went.
    async fn purge(&self, now: DateTime<Utc>) -> Result<u64, StoreError>;
}

const DELETE_FOR_FORM: &str = "DELETE FROM web_captchas WHERE session_hash = $1 AND form = $2";

const INSERT: &str = "INSERT INTO web_captchas \
     (id, session_hash, form, sealed_answer, failures, expires_ms) VALUES ($1, $2, $3, $4, $5, $6)";

const COLUMNS: &str = "SELECT id, session_hash, form, sealed_answer, failures, expires_ms \
     FROM web_captchas";

const TAKE: &str = "DELETE FROM web_captchas WHERE session_hash = $1 AND id = $2";

const PURGE: &str = "DELETE FROM web_captchas WHERE expires_ms < $1";

type Row = (String, String, String, String, i64, i64);

#[async_trait::async_trait]
impl<DB: Backend> WebCaptchas for Pool<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'c> &'c Pool<DB>: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> String: Decode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
{
    async fn replace(&self, challenge: &WebCaptchaRecord) -> Result<(), StoreError> {
        let context = "storing a captcha challenge failed";
        let mut tx = begin(self, context).await?;
        sqlx::query(DELETE_FOR_FORM)
            .bind(challenge.session_hash.as_str())
            .bind(challenge.form.as_str())
            .execute(&mut *tx)
            .await
            .map_err(StoreError::query(context))?;
        sqlx::query(INSERT)
            .bind(challenge.id.as_str())
            .bind(challenge.session_hash.as_str())
            .bind(challenge.form.as_str())
            .bind(challenge.sealed_answer.as_str())
            .bind(i64::from(challenge.failures))
            .bind(challenge.expires.timestamp_millis())
            .execute(&mut *tx)
            .await
            .map_err(StoreError::query(context))?;
        tx.commit().await.map_err(StoreError::query(context))
    }

    async fn find(
        &self,
        session_hash: &str,
        id: &str,
    ) -> Result<Option<WebCaptchaRecord>, StoreError> {
        let query = format!("{COLUMNS} WHERE session_hash = $1 AND id = $2");
        let row: Option<Row> = sqlx::query_as(&query)
            .bind(session_hash)
            .bind(id)
            .fetch_optional(self)
            .await
            .map_err(StoreError::query("reading a captcha challenge failed"))?;
        row.map(record).transpose()
    }

    async fn find_for_form(
        &self,
        session_hash: &str,
        form: &str,
    ) -> Result<Option<WebCaptchaRecord>, StoreError> {
        let query = format!("{COLUMNS} WHERE session_hash = $1 AND form = $2");
        let row: Option<Row> = sqlx::query_as(&query)
            .bind(session_hash)
            .bind(form)
            .fetch_optional(self)
            .await
            .map_err(StoreError::query("reading a captcha challenge failed"))?;
        row.map(record).transpose()
    }

    async fn take(&self, session_hash: &str, id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query(TAKE)
            .bind(session_hash)
            .bind(id)
            .execute(self)
            .await
            .map_err(StoreError::query("using a captcha challenge failed"))?;
        Ok(DB::rows_affected(&done) > 0)
    }

    async fn purge(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let done = sqlx::query(PURGE)
            .bind(now.timestamp_millis())
            .execute(self)
            .await
            .map_err(StoreError::query(
                "purging expired captcha challenges failed",
            ))?;
        Ok(DB::rows_affected(&done))
    }
}

fn record(
    (id, session_hash, form, sealed_answer, failures, expires_ms): Row,
) -> Result<WebCaptchaRecord, StoreError> {
    let corrupt =
        |column: &'static str, value: String, expected: &'static str| StoreError::CorruptRow {
            table: "web_captchas",
            key: id.clone(),
            column,
            value,
            expected,
        };
    let expires = DateTime::from_timestamp_millis(expires_ms).ok_or_else(|| {
        corrupt(
            "expires_ms",
            expires_ms.to_string(),
            "milliseconds since the epoch",
        )
    })?;
    let failures = u32::try_from(failures)
        .map_err(|_| corrupt("failures", failures.to_string(), "a count from 0"))?;
    Ok(WebCaptchaRecord {
        id,
        session_hash,
        form,
        sealed_answer,
        failures,
        expires,
    })
}
