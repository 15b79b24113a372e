//! The access log as stored: the [`AccessLog`] trait and the SQL both backends share. What
//! differs stays in each backend — how a batch is committed (SQLite sends it as one
//! multi-statement query) and how a purge gets past the append-only guard — around the shared
//! statements here.

use chrono::{DateTime, Utc};
use sqlx::{
    ColumnIndex, Decode, Encode, Executor, IntoArguments, Pool, QueryBuilder, Transaction, Type,
};

use super::access_log::{
    decode_hash, AccessLogAnchor, AccessLogEntry, CallerKind, ChainedEntry, ADMIN_SERVICE,
};
use super::backend::Backend;
use super::{PendingWrite, StoreError};

/// Appending, reading and purging the chained entries. Reached through
/// [`super::Store::access_log`].
#[async_trait::async_trait]
pub trait AccessLog: Send + Sync {
    /// Appends already-chained entries in ONE transaction: all of them are stored or none.
    /// Entries must continue the chain (see [`super::access_log_writer`], the only caller in
    /// the gateway); a seq already taken fails the whole batch.
    async fn append(&self, batch: &[ChainedEntry]) -> Result<(), StoreError> {
        self.append_with(batch, &[]).await
    }

    /// Like [`AccessLog::append`], and in the same transaction the data those transactions
    /// write (a serology test sent, an ASL's daily count): the group commit acknowledges both
    /// together or neither.
    async fn append_with(
        &self,
        batch: &[ChainedEntry],
        writes: &[PendingWrite],
    ) -> Result<(), StoreError>;

    /// A connection of its own for the single writer's commits, kept between batches: taken
    /// from the pool for each commit, a connection costs two more hand-offs to the store (the
    /// pool tests it on its way back), which at moderate load, with one or two entries a
    /// commit, is paid by one or two requests. `None`: this store has none to give (the writer
    /// then commits through [`AccessLog::append_with`]).
    async fn appender(&self) -> Result<Option<Box<dyn Appender>>, StoreError> {
        Ok(None)
    }

    /// Seq and hash of the last entry of the chain, `None` for a log never written.
    /// When a purge removed every entry, the head is still known from the anchor
    /// (`anchor.first_seq - 1`, `anchor.prev_hash`), so numbering never restarts.
    async fn head(&self) -> Result<Option<(i64, [u8; 32])>, StoreError>;

    /// Where the retained chain starts: the seq of the first retained entry and the hash it
    /// must link to. `(1, zeros)` until the first purge.
    async fn anchor(&self) -> Result<AccessLogAnchor, StoreError>;

    /// Up to `limit` entries with `seq > after_seq`, ordered by seq. A row that cannot be
    /// decoded (tampered beyond parsing) yields [`StoreError::CorruptAccessLogRow`].
    async fn read(&self, after_seq: i64, limit: i64) -> Result<Vec<ChainedEntry>, StoreError>;

    /// Up to `limit` entries with `seq > after_seq` that `filter` selects, ordered by seq: what
    /// `tsgate audit show` pages through.
    async fn search(
        &self,
        filter: &AccessLogFilter,
        after_seq: i64,
        limit: i64,
    ) -> Result<Vec<ChainedEntry>, StoreError>;

    /// Deletes the oldest entries, up to (not including) the first entry whose time is at or
    /// after `cutoff`, and moves the anchor in the same transaction so the retained chain still
    /// verifies. Only a prefix is removed: the chain never gets a hole. Returns how many
    /// entries were deleted.
    async fn purge_before(&self, cutoff: DateTime<Utc>) -> Result<u64, StoreError>;
}

/// A connection held by the access-log writer: commits exactly what
/// [`AccessLog::append_with`] does, on the same connection every time. After a failure the
/// writer drops it (the pool then checks it) and asks for another.
#[async_trait::async_trait]
pub trait Appender: Send {
    async fn append_with(
        &mut self,
        batch: &[ChainedEntry],
        writes: &[PendingWrite],
    ) -> Result<(), StoreError>;

    /// Chains `entries` onto the head read in the same transaction, under a lock every append
    /// to this database takes, and appends them with `writes`: unlike [`Self::append_with`],
    /// which chains onto the head its writer knows and loses when another writer appended
    /// first, this cannot lose the race, so a writer that lost once is never starved by
    /// another that keeps winning. Returns the first entry's seq and the new head.
    async fn append_serialized(
        &mut self,
        entries: &[AccessLogEntry],
        writes: &[PendingWrite],
    ) -> Result<(i64, (i64, [u8; 32])), StoreError>;
}

/// Which entries an auditor asks for; every part given must match (`None`: any).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessLogFilter {
    /// Administrative actions only (the partial indexes of migration 0009/0010 serve these).
    pub administrative: bool,
    /// Who acted: the caller id (region code, user id, administrator id, OS user) or the
    /// operator's CF.
    pub actor: Option<String>,
    /// On whom an administrative action was.
    pub target: Option<String>,
    /// The operation (`user-grant`, `InvioOTP`...).
    pub operation: Option<String>,
    /// From this time, inclusive.
    pub from: Option<DateTime<Utc>>,
    /// Up to this time, exclusive.
    pub until: Option<DateTime<Utc>>,
}

pub(crate) const INSERT_ENTRIES: &str = "INSERT INTO access_log (seq, transaction_id, at_ms, \
     caller_kind, caller_id, region, operator_cf, titolare_cf, declared_auth, service, \
     operation, outcome, client_address, target, detail, prev_hash, hash) ";

/// The columns of a row, in [`AccessLogRow`]'s order.
macro_rules! columns {
    () => {
        "seq, transaction_id, at_ms, caller_kind, caller_id, region, operator_cf, titolare_cf, \
         declared_auth, service, operation, outcome, client_address, target, detail, prev_hash, \
         hash"
    };
}

const READ: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM access_log WHERE seq > $1 ORDER BY seq LIMIT $2"
);

const LAST_ENTRY: &str = "SELECT seq, hash FROM access_log ORDER BY seq DESC LIMIT 1";

const ANCHOR: &str = "SELECT first_seq, prev_hash FROM access_log_anchor WHERE id = 1";

const FIRST_KEPT: &str = "SELECT seq FROM access_log WHERE at_ms >= $1 ORDER BY seq LIMIT 1";

const PREV_HASH_OF: &str = "SELECT prev_hash FROM access_log WHERE seq = $1";

const DELETE_BEFORE: &str = "DELETE FROM access_log WHERE seq < $1";

const MOVE_ANCHOR: &str =
    "UPDATE access_log_anchor SET first_seq = $1, prev_hash = $2 WHERE id = 1";

// How a purge gets past the append-only guard, which differs: SQLite's triggers let deletes
// through while a marker row exists (removed before the commit, so never seen outside the
// purge); PostgreSQL's trigger while the transaction set `tsgate.purge` (SET LOCAL), and the
// anchor row's lock serialises concurrent purges.
pub(crate) const SQLITE_PURGE_MARKER: &str = "INSERT INTO purge_in_progress (id) VALUES (1)";
pub(crate) const SQLITE_PURGE_MARKER_REMOVED: &str = "DELETE FROM purge_in_progress";
pub(crate) const POSTGRES_PURGE_ON: &str = "SELECT set_config('tsgate.purge', 'on', true)";
pub(crate) const POSTGRES_LOCK_ANCHOR: &str =
    "SELECT first_seq FROM access_log_anchor WHERE id = 1 FOR UPDATE";

/// Pushes the VALUES of `entries` onto an [`INSERT_ENTRIES`] statement.
pub(crate) fn push_entries<'q, DB>(query: &mut QueryBuilder<'q, DB>, entries: &'q [ChainedEntry])
where
    DB: Backend,
    &'q str: Encode<'q, DB> + Type<DB>,
    Option<&'q str>: Encode<'q, DB> + Type<DB>,
    String: Encode<'q, DB> + Type<DB>,
    i64: Encode<'q, DB> + Type<DB>,
{
    query.push(INSERT_ENTRIES);
    push_entry_rows(query, entries);
}

/// `VALUES (…), (…)`: the rows of [`INSERT_ENTRIES`] for `entries`.
pub(crate) fn push_entry_rows<'q, DB>(query: &mut QueryBuilder<'q, DB>, entries: &'q [ChainedEntry])
where
    DB: Backend,
    &'q str: Encode<'q, DB> + Type<DB>,
    Option<&'q str>: Encode<'q, DB> + Type<DB>,
    String: Encode<'q, DB> + Type<DB>,
    i64: Encode<'q, DB> + Type<DB>,
{
    query.push_values(entries, |mut row, e| {
        row.push_bind(e.seq)
            .push_bind(e.entry.transaction_id.as_str())
            .push_bind(e.entry.at_ms())
            .push_bind(e.entry.caller_kind.as_str())
            .push_bind(e.entry.caller_id.as_str())
            .push_bind(e.entry.region.as_deref())
            .push_bind(e.entry.operator_cf.as_deref())
            .push_bind(e.entry.titolare_cf.as_deref())
            .push_bind(e.entry.declared_auth.as_deref())
            .push_bind(e.entry.service.as_str())
            .push_bind(e.entry.operation.as_str())
            .push_bind(e.entry.outcome.as_str())
            .push_bind(e.entry.client_address.as_deref())
            .push_bind(e.entry.target.as_deref())
            .push_bind(e.entry.detail.as_deref())
            .push_bind(hex::encode(e.prev_hash))
            .push_bind(hex::encode(e.hash));
    });
}

/// An access-log row as stored (hashes in hex, time in ms).
#[derive(Debug, sqlx::FromRow)]
struct AccessLogRow {
    seq: i64,
    transaction_id: String,
    at_ms: i64,
    caller_kind: String,
    caller_id: String,
    region: Option<String>,
    operator_cf: Option<String>,
    titolare_cf: Option<String>,
    declared_auth: Option<String>,
    service: String,
    operation: String,
    outcome: String,
    client_address: Option<String>,
    target: Option<String>,
    detail: Option<String>,
    prev_hash: String,
    hash: String,
}

impl AccessLogRow {
    fn into_chained(self) -> Result<ChainedEntry, StoreError> {
        let seq = self.seq;
        let corrupt = |detail: String| StoreError::CorruptAccessLogRow { seq, detail };
        let at = DateTime::from_timestamp_millis(self.at_ms)
            .ok_or_else(|| corrupt(format!("time {} ms is out of range", self.at_ms)))?;
        let caller_kind = CallerKind::parse(&self.caller_kind)
            .ok_or_else(|| corrupt(format!("unknown caller kind {:?}", self.caller_kind)))?;
        let prev_hash = decode_hash(&self.prev_hash)
            .ok_or_else(|| corrupt("prev_hash is not 64 hex digits".to_owned()))?;
        let hash = decode_hash(&self.hash)
            .ok_or_else(|| corrupt("hash is not 64 hex digits".to_owned()))?;
        Ok(ChainedEntry {
            seq,
            entry: AccessLogEntry {
                transaction_id: self.transaction_id,
                at,
                caller_kind,
                caller_id: self.caller_id,
                region: self.region,
                operator_cf: self.operator_cf,
                titolare_cf: self.titolare_cf,
                declared_auth: self.declared_auth,
                service: self.service,
                operation: self.operation,
                outcome: self.outcome,
                client_address: self.client_address,
                target: self.target,
                detail: self.detail,
            },
            prev_hash,
            hash,
        })
    }
}

/// [`AccessLog::read`], for either backend.
pub(crate) async fn read<DB>(
    pool: &Pool<DB>,
    after_seq: i64,
    limit: i64,
) -> Result<Vec<ChainedEntry>, StoreError>
where
    DB: Backend,
    for<'c> &'c Pool<DB>: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> String: Decode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> &'q str: ColumnIndex<DB::Row>,
{
    let rows: Vec<AccessLogRow> = sqlx::query_as(READ)
        .bind(after_seq)
        .bind(limit)
        .fetch_all(pool)
        .await
        .map_err(StoreError::query("reading the access log failed"))?;
    rows.into_iter().map(AccessLogRow::into_chained).collect()
}

/// [`AccessLog::search`], for either backend. Each condition is one an index of migration
/// 0009 (SQLite) / 0010 (PostgreSQL) serves.
pub(crate) async fn search<DB>(
    pool: &Pool<DB>,
    filter: &AccessLogFilter,
    after_seq: i64,
    limit: i64,
) -> Result<Vec<ChainedEntry>, StoreError>
where
    DB: Backend,
    for<'c> &'c Pool<DB>: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> &'q str: ColumnIndex<DB::Row>,
{
    // The statement text is built here and bound in the same order (see backend.rs on why not
    // sqlx's QueryBuilder in generic code). `$n` placeholders suit both backends; SQLite numbers
    // them by first appearance, so they appear in increasing order.
    let mut sql = String::from(concat!(
        "SELECT ",
        columns!(),
        " FROM access_log WHERE seq > $1"
    ));
    if filter.administrative {
        // A literal, not a bind, so that the planner matches the partial indexes' predicate.
        sql.push_str(&format!(" AND service = '{ADMIN_SERVICE}'"));
    }
    let mut texts: Vec<&str> = Vec::new();
    let mut times: Vec<i64> = Vec::new();
    if let Some(actor) = filter.actor.as_deref() {
        let n = 2 + texts.len();
        if filter.administrative {
            // Each half on its partial index (an OR of the two would scan).
            sql.push_str(&format!(
                " AND seq IN (SELECT seq FROM access_log WHERE service = '{ADMIN_SERVICE}' \
                 AND caller_id = ${n} UNION ALL SELECT seq FROM access_log \
                 WHERE service = '{ADMIN_SERVICE}' AND operator_cf = ${n})"
            ));
        } else {
            sql.push_str(&format!(" AND (caller_id = ${n} OR operator_cf = ${n})"));
        }
        texts.push(actor);
    }
    if let Some(target) = filter.target.as_deref() {
        sql.push_str(&format!(" AND target = ${}", 2 + texts.len()));
        texts.push(target);
    }
    if let Some(operation) = filter.operation.as_deref() {
        sql.push_str(&format!(" AND operation = ${}", 2 + texts.len()));
        texts.push(operation);
    }
    if let Some(from) = filter.from {
        times.push(from.timestamp_millis());
        sql.push_str(&format!(" AND at_ms >= ${}", 1 + texts.len() + times.len()));
    }
    if let Some(until) = filter.until {
        times.push(until.timestamp_millis());
        sql.push_str(&format!(" AND at_ms < ${}", 1 + texts.len() + times.len()));
    }
    sql.push_str(&format!(
        " ORDER BY seq LIMIT ${}",
        2 + texts.len() + times.len()
    ));
    let mut query = sqlx::query_as::<DB, AccessLogRow>(&sql).bind(after_seq);
    for text in texts {
        query = query.bind(text.to_owned());
    }
    for time in times {
        query = query.bind(time);
    }
    let rows: Vec<AccessLogRow> = query
        .bind(limit)
        .fetch_all(pool)
        .await
        .map_err(StoreError::query("searching the access log failed"))?;
    rows.into_iter().map(AccessLogRow::into_chained).collect()
}

/// [`AccessLog::head`], for either backend.
pub(crate) async fn head<DB>(pool: &Pool<DB>) -> Result<Option<(i64, [u8; 32])>, StoreError>
where
    DB: Backend,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> String: Decode<'q, DB> + Type<DB>,
    for<'q> i64: Decode<'q, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
{
    let mut conn = pool
        .acquire()
        .await
        .map_err(StoreError::query("reading the access-log head failed"))?;
    head_on(&mut conn).await
}

/// [`AccessLog::head`] on `conn`: inside a transaction, the head that transaction sees.
pub(crate) async fn head_on<DB>(
    conn: &mut DB::Connection,
) -> Result<Option<(i64, [u8; 32])>, StoreError>
where
    DB: Backend,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> String: Decode<'q, DB> + Type<DB>,
    for<'q> i64: Decode<'q, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
{
    let last: Option<(i64, String)> = sqlx::query_as(LAST_ENTRY)
        .fetch_optional(&mut *conn)
        .await
        .map_err(StoreError::query("reading the access-log head failed"))?;
    match last {
        Some((seq, hash)) => {
            let hash = decode_hash(&hash).ok_or_else(|| StoreError::CorruptAccessLogRow {
                seq,
                detail: "hash is not 64 hex digits".to_owned(),
            })?;
            Ok(Some((seq, hash)))
        }
        None => Ok(anchor_on(conn).await?.head()),
    }
}

/// [`AccessLog::anchor`], for either backend.
pub(crate) async fn anchor<DB>(pool: &Pool<DB>) -> Result<AccessLogAnchor, StoreError>
where
    DB: Backend,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> String: Decode<'q, DB> + Type<DB>,
    for<'q> i64: Decode<'q, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
{
    let mut conn = pool
        .acquire()
        .await
        .map_err(StoreError::query("reading the access-log anchor failed"))?;
    anchor_on(&mut conn).await
}

/// [`AccessLog::anchor`] on `conn`.
async fn anchor_on<DB>(conn: &mut DB::Connection) -> Result<AccessLogAnchor, StoreError>
where
    DB: Backend,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> String: Decode<'q, DB> + Type<DB>,
    for<'q> i64: Decode<'q, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
{
    let (first_seq, prev_hash): (i64, String) = sqlx::query_as(ANCHOR)
        .fetch_one(&mut *conn)
        .await
        .map_err(StoreError::query("reading the access-log anchor failed"))?;
    AccessLogAnchor::from_stored(first_seq, &prev_hash)
}

/// The part of [`AccessLog::purge_before`] both backends share, inside a transaction that has
/// already got past the append-only guard: deletes the prefix before `cutoff` and moves the
/// anchor. Returns how many entries were deleted and the new first seq.
pub(crate) async fn purge_prefix<DB>(
    tx: &mut Transaction<'static, DB>,
    cutoff: DateTime<Utc>,
) -> Result<(u64, i64), StoreError>
where
    DB: Backend,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
{
    let context = "purging the access log failed";
    let first_kept: Option<i64> = sqlx::query_scalar(FIRST_KEPT)
        .bind(cutoff.timestamp_millis())
        .fetch_optional(&mut **tx)
        .await
        .map_err(StoreError::query(context))?;
    let (first_seq, prev_hash) = match first_kept {
        Some(seq) => {
            let prev: String = sqlx::query_scalar(PREV_HASH_OF)
                .bind(seq)
                .fetch_one(&mut **tx)
                .await
                .map_err(StoreError::query(context))?;
            (seq, prev)
        }
        None => {
            // Every entry is older than the cutoff: keep the head in the anchor.
            let last: Option<(i64, String)> = sqlx::query_as(LAST_ENTRY)
                .fetch_optional(&mut **tx)
                .await
                .map_err(StoreError::query(context))?;
            match last {
                Some((seq, hash)) => (seq + 1, hash),
                // Nothing to purge.
                None => return Ok((0, 1)),
            }
        }
    };
    let deleted = sqlx::query(DELETE_BEFORE)
        .bind(first_seq)
        .execute(&mut **tx)
        .await
        .map_err(StoreError::query(context))?;
    let deleted = DB::rows_affected(&deleted);
    if deleted > 0 {
        sqlx::query(MOVE_ANCHOR)
            .bind(first_seq)
            .bind(prev_hash)
            .execute(&mut **tx)
            .await
            .map_err(StoreError::query(context))?;
    }
    Ok((deleted, first_seq))
}
