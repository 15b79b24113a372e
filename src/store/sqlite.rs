//! The SQLite backend: the embedded default, one file under `./data`.
//!
//! WAL lets readers run while the access-log writer commits; `synchronous=FULL` makes every
//! commit durable before it is acknowledged. Write transactions start with `BEGIN IMMEDIATE`
//! so they take the write lock up front and wait (busy timeout) instead of failing half-way
//! when another connection wrote first.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::pool::PoolConnection;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{QueryBuilder, Sqlite};

use super::access_log_table::{
    self, push_entries, AccessLogFilter, SQLITE_PURGE_MARKER, SQLITE_PURGE_MARKER_REMOVED,
};
use super::backend;
use super::kept_connections::KeptConnections;
use super::sqlite_reads::SqliteReads;
use super::transaction_writes::push_write;
use super::{
    AccessLog, AccessLogAnchor, AccessLogEntry, Administrators, Appender, AslCounts, Certificates,
    ChainedEntry, Commissioner, CredentialFailures, DataRetention, Directory, Issuers, MiurLists,
    MiurStatistics, Passwords, Patients, PendingWrite, Pincodes, Serology, SignInStates, Staging,
    Store, StoreError, Substitutions, Totp, WebCaptchas, WebPincodeChecks, WebSessions,
    WebSpentChallenges,
};

const BACKEND: &str = "sqlite";

/// How long a connection waits for another's write lock before giving up.
pub(super) const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// 64 MiB of page cache a connection (the default is 2 MiB): the registry's indexes stay in
/// memory, and a large import does not thrash.
pub(super) const CACHE_SIZE_KIB: i64 = -65536;

/// Rows per INSERT statement: 17 binds a row stays well under SQLite's 32766-variable limit.
const INSERT_CHUNK: usize = 500;

/// The SQLite-backed [`Store`].
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// The registry's and serology's other reads (and, for an in-memory database, the
    /// request path's too), on connections kept out of the pool: sqlx pings a connection on
    /// its way back to the pool, a second hand-off to its worker thread and back per query.
    kept: KeptConnections<Sqlite>,
    /// The request path's reads of a database file, in place on the request's thread, without
    /// sqlx's worker thread; `None` for an in-memory database, whose reads stay on `kept`.
    reads: Option<SqliteReads>,
}

/// Connections kept for the request path's reads, idle or not, out of the pool's
/// [`MAX_CONNECTIONS`].
const KEPT_FOR_READS: u32 = 4;
/// The kept ones on top of what the pool had before them (one kept by the access-log writer,
/// four for everything else: a MIUR import's staging, the web pages, the directory's polling),
/// so that connections kept idle never leave the rest waiting.
const MAX_CONNECTIONS: u32 = KEPT_FOR_READS + 5;

impl SqliteStore {
    /// Opens `sqlite://path?mode=rwc` or `sqlite:path`, creating the file (unless the URL sets
    /// a `mode`) and its directory, and runs the migrations.
    pub async fn connect(url: &str) -> Result<SqliteStore, StoreError> {
        let mut options =
            SqliteConnectOptions::from_str(url).map_err(|source| StoreError::InvalidUrl {
                backend: BACKEND,
                source,
            })?;
        if !url.contains("mode=") {
            options = options.create_if_missing(true);
        }
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        if !in_memory {
            create_parent_dir(options.get_filename())?;
        }
        SqliteStore::open(options, in_memory).await
    }

    /// Opens the database described by `options` (with the store's pragmas applied) and runs
    /// the migrations.
    async fn open(
        options: SqliteConnectOptions,
        in_memory: bool,
    ) -> Result<SqliteStore, StoreError> {
        let filename = options.get_filename().to_path_buf();
        let options = options
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true)
            .pragma("cache_size", CACHE_SIZE_KIB.to_string());
        let pool = SqlitePoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            // An SQLite connection is a handle in this process, not a socket that can drop: the
            // ping sqlx sends before handing one out checks nothing and costs a round trip to
            // the connection's worker thread (two thread wake-ups) on every query.
            .test_before_acquire(false)
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Connect {
                backend: BACKEND,
                source,
            })?;
        sqlx::migrate!("migrations/sqlite")
            .run(&pool)
            .await
            .map_err(|source| StoreError::Migrate {
                backend: BACKEND,
                source,
            })?;
        let kept = KeptConnections::new(pool.clone(), KEPT_FOR_READS as usize);
        // The reads in place open the file the pool opened, whatever the working directory.
        let database = std::fs::canonicalize(&filename).unwrap_or(filename);
        let reads = (!in_memory).then(|| SqliteReads::new(&database, kept.clone()));
        Ok(SqliteStore { pool, kept, reads })
    }

    /// The underlying pool, for callers that need SQL the trait does not offer.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

fn create_parent_dir(file: &std::path::Path) -> Result<(), StoreError> {
    match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
                path: dir.to_path_buf(),
                source,
            })
        }
        _ => Ok(()),
    }
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    async fn close(&self) {
        if let Some(reads) = &self.reads {
            reads.close();
        }
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
        match &self.reads {
            Some(reads) => reads,
            None => &self.kept,
        }
    }

    fn staging(&self) -> &dyn Staging {
        &self.pool
    }

    fn substitutions(&self) -> &dyn Substitutions {
        &self.pool
    }

    fn serology(&self) -> &dyn Serology {
        match &self.reads {
            Some(reads) => reads,
            None => &self.kept,
        }
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
        match &self.reads {
            Some(reads) => reads,
            None => &self.kept,
        }
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
struct SqliteAppender(PoolConnection<Sqlite>);

#[async_trait]
impl Appender for SqliteAppender {
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

    /// `BEGIN IMMEDIATE` takes the database's write lock: the head read after it is the one
    /// the batch follows.
    async fn append_serialized(
        &mut self,
        entries: &[AccessLogEntry],
        writes: &[PendingWrite],
    ) -> Result<(i64, (i64, [u8; 32])), StoreError> {
        let conn = &mut self.0;
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut **conn)
            .await
            .map_err(StoreError::query(APPEND_CONTEXT))?;
        let head = match access_log_table::head_on::<Sqlite>(conn).await {
            Ok(head) => head.unwrap_or((0, [0; 32])),
            Err(error) => {
                end_transaction(conn).await;
                return Err(error);
            }
        };
        let chained = ChainedEntry::chain_onto(head, entries.iter().cloned());
        commit_batch(conn, "", &chained, writes).await?;
        let last = ChainedEntry::head_after(head, &chained);
        Ok((head.0 + 1, last))
    }
}

/// Commits `batch` and `writes` in one transaction on `conn`, sent as ONE multi-statement
/// query, BEGIN to COMMIT: sqlx runs SQLite on a worker thread, and each statement sent
/// separately was a round trip to it (two thread wake-ups), the largest cost of a recorded
/// request after the fsync itself.
async fn append_on(
    conn: &mut PoolConnection<Sqlite>,
    batch: &[ChainedEntry],
    writes: &[PendingWrite],
) -> Result<(), StoreError> {
    commit_batch(conn, "BEGIN IMMEDIATE; ", batch, writes).await
}

/// Sends `begin`, the INSERTs of `batch` and `writes`, and COMMIT as one query.
async fn commit_batch(
    conn: &mut PoolConnection<Sqlite>,
    begin: &'static str,
    batch: &[ChainedEntry],
    writes: &[PendingWrite],
) -> Result<(), StoreError> {
    let mut query: QueryBuilder<Sqlite> = QueryBuilder::new(begin);
    for chunk in batch.chunks(INSERT_CHUNK) {
        push_entries(&mut query, chunk);
        query.push("; ");
    }
    for write in writes {
        push_write(&mut query, write);
        query.push("; ");
    }
    query.push("COMMIT");
    let result = query.build().execute(&mut **conn).await;
    if result.is_err() {
        end_transaction(conn).await;
    }
    result
        .map(drop)
        .map_err(StoreError::conflict_or_query(APPEND_CONTEXT))
}

/// A statement failed after BEGIN: ends the transaction before the connection is used again,
/// or has the pool close it if even that fails.
async fn end_transaction(conn: &mut PoolConnection<Sqlite>) {
    if sqlx::query("ROLLBACK").execute(&mut **conn).await.is_err() {
        conn.close_on_drop();
    }
}

#[async_trait]
impl AccessLog for SqlitePool {
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
        Ok(Some(Box::new(SqliteAppender(conn))))
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
        let mut tx = backend::begin(self, context).await?;
        sqlx::query(SQLITE_PURGE_MARKER)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::query(context))?;
        let (deleted, first_seq) = access_log_table::purge_prefix(&mut tx, cutoff).await?;
        sqlx::query(SQLITE_PURGE_MARKER_REMOVED)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::query(context))?;
        tx.commit().await.map_err(StoreError::query(context))?;
        if deleted > 0 {
            tracing::info!(deleted, first_seq, "purged the access log");
        }
        Ok(deleted)
    }
}
