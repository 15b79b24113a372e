//! The PostgreSQL backend: production, the docker-compose stack.
//!
//! The access log is append-only in the database itself: a trigger refuses UPDATE, DELETE and
//! TRUNCATE unless the transaction set `tsgate.purge = 'on'`, which only the purge does.

use std::str::FromStr;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::{Postgres, QueryBuilder};

use super::access_log_table::{
    self, push_entries, push_entry_rows, AccessLogFilter, INSERT_ENTRIES, POSTGRES_LOCK_ANCHOR,
    POSTGRES_PURGE_ON,
};
use super::kept_connections::KeptConnections;
use super::transaction_writes::push_write;
use super::TransactionWrite;
use super::{
    AccessLog, AccessLogAnchor, AccessLogEntry, Administrators, Appender, AslCounts, Certificates,
    ChainedEntry, Commissioner, CredentialFailures, DataRetention, Directory, Issuers, MiurLists,
    MiurStatistics, Passwords, Patients, PendingWrite, Pincodes, Serology, SignInStates, Staging,
    Store, StoreError, Substitutions, Totp, WebCaptchas, WebPincodeChecks, WebSessions,
    WebSpentChallenges,
};

const BACKEND: &str = "postgres";

/// Rows per INSERT statement: 14 binds a row stays well under PostgreSQL's 65535-bind limit.
const INSERT_CHUNK: usize = 1000;

/// Bind parameters one statement may carry (the protocol counts them in 16 bits).
const MAX_BINDS: usize = 65_535;

/// Binds of one access-log row ([`push_entries`]) and at most of one transaction's data
/// ([`push_write`]).
const ENTRY_BINDS: usize = 17;
const WRITE_BINDS: usize = 8;

/// Whether a batch can be committed as ONE statement (data-modifying `WITH` clauses, atomic like
/// any statement): one round trip to PostgreSQL instead of BEGIN, one per INSERT and COMMIT,
/// each a wake-up of the server process and of the gateway's task. Not when the binds would
/// overflow, nor when two cancels name the same send: in one statement the second UPDATE of a
/// row would silently do nothing, where in a transaction it fails the batch (a test cancelled
/// twice must fail the commit). Nor when a cancel names a send of the same batch: every part of
/// one statement sees the table as it was before it, so the UPDATE would miss the new row (the
/// services never do this, a cancel reads its send committed; the rule keeps the two forms
/// equivalent anyway).
fn fits_one_statement(batch: &[ChainedEntry], writes: &[PendingWrite]) -> bool {
    if batch.len() * ENTRY_BINDS + writes.len() * WRITE_BINDS > MAX_BINDS {
        return false;
    }
    let sent: std::collections::HashSet<&str> = writes
        .iter()
        .filter(|pending| matches!(pending.write, TransactionWrite::SerologyTest(_)))
        .map(|pending| pending.transaction_id.as_str())
        .collect();
    let mut cancelled = std::collections::HashSet::new();
    writes.iter().all(|pending| match &pending.write {
        TransactionWrite::SerologyCancel(cancel) => {
            let send = cancel.send_transaction_id.as_str();
            !sent.contains(send) && cancelled.insert(send)
        }
        _ => true,
    })
}

/// The PostgreSQL-backed [`Store`].
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
    /// The request path's reads (sign-in state, registry, serology), on connections kept out
    /// of the pool: sqlx pings a connection on its way back to the pool, a second round trip
    /// to PostgreSQL per query.
    kept: KeptConnections<Postgres>,
}

/// Connections kept for the request path's reads, idle or not, out of the pool's
/// [`MAX_CONNECTIONS`].
const KEPT_FOR_READS: u32 = 6;
/// The kept ones on top of the ten the pool had before them (one kept by the access-log
/// writer, the rest for everything else), so that connections kept idle never leave the rest
/// waiting. The pool opens a connection only when one is asked for.
const MAX_CONNECTIONS: u32 = KEPT_FOR_READS + 10;

impl PostgresStore {
    /// Connects to `postgres://…` or `postgresql://…` and runs the migrations.
    pub async fn connect(url: &str) -> Result<PostgresStore, StoreError> {
        let options = PgConnectOptions::from_str(url).map_err(|source| StoreError::InvalidUrl {
            backend: BACKEND,
            source,
        })?;
        PostgresStore::connect_with(options).await
    }

    /// Connects with explicit options (tests set `search_path` to a schema of their own) and
    /// runs the migrations.
    pub async fn connect_with(options: PgConnectOptions) -> Result<PostgresStore, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            // sqlx tests every connection as it returns to the pool; testing it again when it
            // is taken out cost every query a second round trip to PostgreSQL (and a wake-up of
            // its server process). A connection that died while idle (PostgreSQL restarted)
            // now fails the one query that takes it, and is closed on its way back.
            .test_before_acquire(false)
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Connect {
                backend: BACKEND,
                source,
            })?;
        sqlx::migrate!("migrations/postgres")
            .run(&pool)
            .await
            .map_err(|source| StoreError::Migrate {
                backend: BACKEND,
                source,
            })?;
        let kept = KeptConnections::new(pool.clone(), KEPT_FOR_READS as usize);
        Ok(PostgresStore { pool, kept })
    }

    /// The underlying pool, for callers that need SQL the trait does not offer.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

#[async_trait]
impl Store for PostgresStore {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    async fn close(&self) {
        self.kept.close();
        self.pool.close().await;
    }

    fn access_log(&self) -> &dyn AccessLog {
        &self.pool
    }

    fn administrators(&self) -> &dyn Administrators {
        &self.pool
    }

    fn directory(&self) -> &dyn Directory {
        &self.pool
    }

    fn patients(&self) -> &dyn Patients {
        &self.kept
    }

    fn staging(&self) -> &dyn Staging {
        &self.pool
    }

    fn substitutions(&self) -> &dyn Substitutions {
        &self.pool
    }

    fn serology(&self) -> &dyn Serology {
        &self.kept
    }

    fn asl_counts(&self) -> &dyn AslCounts {
        &self.pool
    }

    fn issuers(&self) -> &dyn Issuers {
        &self.pool
    }

    fn credential_failures(&self) -> &dyn CredentialFailures {
        &self.pool
    }

    fn passwords(&self) -> &dyn Passwords {
        &self.pool
    }

    fn sign_in_states(&self) -> &dyn SignInStates {
        &self.kept
    }

    fn pincodes(&self) -> &dyn Pincodes {
        &self.pool
    }

    fn certificates(&self) -> &dyn Certificates {
        &self.pool
    }

    fn commissioner(&self) -> &dyn Commissioner {
        &self.pool
    }

    fn data_retention(&self) -> &dyn DataRetention {
        &self.pool
    }

    fn totp(&self) -> &dyn Totp {
        &self.pool
    }

    fn miur_statistics(&self) -> &dyn MiurStatistics {
        &self.pool
    }

    fn miur_lists(&self) -> &dyn MiurLists {
        &self.pool
    }

    fn web_sessions(&self) -> &dyn WebSessions {
        &self.pool
    }

    fn web_captchas(&self) -> &dyn WebCaptchas {
        &self.pool
    }

    fn web_pincode_checks(&self) -> &dyn WebPincodeChecks {
        &self.pool
    }

    fn web_spent_challenges(&self) -> &dyn WebSpentChallenges {
        &self.pool
    }
}

const APPEND_CONTEXT: &str = "appending to the access log failed";

/// The writer's own connection (see [`AccessLog::appender`]).
struct PgAppender(PoolConnection<Postgres>);

#[async_trait]
impl Appender for PgAppender {
    async fn append_with(
        &mut self,
        batch: &[ChainedEntry],
        writes: &[PendingWrite],
    ) -> Result<(), StoreError> {
        if batch.is_empty() && writes.is_empty() {
            return Ok(());
        }
        append_on(&mut self.0, batch, writes).await
    }

    async fn append_serialized(
        &mut self,
        entries: &[AccessLogEntry],
        writes: &[PendingWrite],
    ) -> Result<(i64, (i64, [u8; 32])), StoreError> {
        append_serialized_on(&mut self.0, entries, writes).await
    }
}

/// The advisory lock every append to the access log takes, in its transaction: shared by an
/// append chained onto the head its writer knows ([`append_on`]), exclusive by one that reads
/// the head under it ([`append_serialized_on`]), which then cannot lose the race for the next
/// seq. Any key would do; this one spells "tsgatelg".
const CHAIN_LOCK: i64 = 0x7473_6761_7465_6c67;

/// Commits `batch` and `writes` on `conn`, all or nothing: one statement when
/// [`fits_one_statement`], else one transaction. The entries are inserted once the chain's
/// lock is held, shared.
async fn append_on(
    conn: &mut PgConnection,
    batch: &[ChainedEntry],
    writes: &[PendingWrite],
) -> Result<(), StoreError> {
    let context = APPEND_CONTEXT;
    if fits_one_statement(batch, writes) {
        let mut query: QueryBuilder<Postgres> = QueryBuilder::new(format!(
            "WITH gate AS MATERIALIZED (SELECT pg_advisory_xact_lock_shared({CHAIN_LOCK})), "
        ));
        for (i, chunk) in batch.chunks(INSERT_CHUNK).enumerate() {
            // Each entry waits for the lock: the rows come from a query that reads the gate.
            query.push(format!("entries_{i} AS ({INSERT_ENTRIES}SELECT * FROM ("));
            push_entry_rows(&mut query, chunk);
            query.push(") AS entry WHERE EXISTS (SELECT FROM gate)), ");
        }
        for (i, write) in writes.iter().enumerate() {
            query.push(format!("write_{i} AS ("));
            push_write(&mut query, write);
            query.push("), ");
        }
        query.push("appended AS (SELECT 1) SELECT 1");
        return query
            .build()
            .execute(&mut *conn)
            .await
            .map(drop)
            .map_err(StoreError::conflict_or_query(context));
    }
    let mut tx = sqlx::Connection::begin(&mut *conn)
        .await
        .map_err(StoreError::query(context))?;
    sqlx::query("SELECT pg_advisory_xact_lock_shared($1)")
        .bind(CHAIN_LOCK)
        .execute(&mut *tx)
        .await
        .map_err(StoreError::query(context))?;
    insert_batch(&mut tx, batch, writes).await?;
    tx.commit().await.map_err(StoreError::query(context))
}

/// Reads the head under the chain's lock, held exclusive, chains `entries` onto it and commits
/// them with `writes`: see [`Appender::append_serialized`].
async fn append_serialized_on(
    conn: &mut PgConnection,
    entries: &[AccessLogEntry],
    writes: &[PendingWrite],
) -> Result<(i64, (i64, [u8; 32])), StoreError> {
    let context = APPEND_CONTEXT;
    let mut tx = sqlx::Connection::begin(&mut *conn)
        .await
        .map_err(StoreError::query(context))?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(CHAIN_LOCK)
        .execute(&mut *tx)
        .await
        .map_err(StoreError::query(context))?;
    let head = access_log_table::head_on::<Postgres>(&mut tx)
        .await?
        .unwrap_or((0, [0; 32]));
    let chained = ChainedEntry::chain_onto(head, entries.iter().cloned());
    insert_batch(&mut tx, &chained, writes).await?;
    tx.commit().await.map_err(StoreError::query(context))?;
    let last = ChainedEntry::head_after(head, &chained);
    Ok((head.0 + 1, last))
}

/// The INSERTs of a batch, one statement a chunk of entries and one a transaction's data.
async fn insert_batch(
    tx: &mut PgConnection,
    batch: &[ChainedEntry],
    writes: &[PendingWrite],
) -> Result<(), StoreError> {
    let context = APPEND_CONTEXT;
    for chunk in batch.chunks(INSERT_CHUNK) {
        let mut insert: QueryBuilder<Postgres> = QueryBuilder::new("");
        push_entries(&mut insert, chunk);
        insert
            .build()
            .execute(&mut *tx)
            .await
            .map_err(StoreError::conflict_or_query(context))?;
    }
    for write in writes {
        let mut query: QueryBuilder<Postgres> = QueryBuilder::new("");
        push_write(&mut query, write);
        query
            .build()
            .execute(&mut *tx)
            .await
            .map_err(StoreError::conflict_or_query(
                "recording a transaction's data failed",
            ))?;
    }
    Ok(())
}

#[async_trait]
impl AccessLog for PgPool {
    async fn append_with(
        &self,
        batch: &[ChainedEntry],
        writes: &[PendingWrite],
    ) -> Result<(), StoreError> {
        if batch.is_empty() && writes.is_empty() {
            return Ok(());
        }
        let mut conn = self
            .acquire()
            .await
            .map_err(StoreError::query(APPEND_CONTEXT))?;
        append_on(&mut conn, batch, writes).await
    }

    async fn appender(&self) -> Result<Option<Box<dyn Appender>>, StoreError> {
        let conn = self
            .acquire()
            .await
            .map_err(StoreError::query(APPEND_CONTEXT))?;
        Ok(Some(Box::new(PgAppender(conn))))
    }

    async fn head(&self) -> Result<Option<(i64, [u8; 32])>, StoreError> {
        access_log_table::head(self).await
    }

    async fn anchor(&self) -> Result<AccessLogAnchor, StoreError> {
        access_log_table::anchor(self).await
    }

    async fn read(&self, after_seq: i64, limit: i64) -> Result<Vec<ChainedEntry>, StoreError> {
        access_log_table::read(self, after_seq, limit).await
    }

    async fn search(
        &self,
        filter: &AccessLogFilter,
        after_seq: i64,
        limit: i64,
    ) -> Result<Vec<ChainedEntry>, StoreError> {
        access_log_table::search(self, filter, after_seq, limit).await
    }

    async fn purge_before(&self, cutoff: DateTime<Utc>) -> Result<u64, StoreError> {
        let context = "purging the access log failed";
        let mut tx = self.begin().await.map_err(StoreError::query(context))?;
        sqlx::query(POSTGRES_PURGE_ON)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::query(context))?;
        sqlx::query(POSTGRES_LOCK_ANCHOR)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::query(context))?;
        let (deleted, first_seq) = access_log_table::purge_prefix(&mut tx, cutoff).await?;
        tx.commit().await.map_err(StoreError::query(context))?;
        if deleted > 0 {
            tracing::info!(deleted, first_seq, "purged the access log");
        }
        Ok(deleted)
    }
}
