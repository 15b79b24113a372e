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
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{QueryBuilder, Row, Sqlite};

use super::access_log::{decode_hash, AccessLogRow, ACCESS_LOG_COLUMNS};
use super::registry::sqlite_queries as Q;
use super::{
    AccessLogAnchor, ChainedEntry, Directory, Issuers, PendingWrite, Registry, Store, StoreError,
};

const BACKEND: &str = "sqlite";

/// How long a connection waits for another's write lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Rows per INSERT statement: 14 binds a row stays well under SQLite's 32766-variable limit.
const INSERT_CHUNK: usize = 500;

/// The SQLite-backed [`Store`].
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

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
        SqliteStore::connect_with(options).await
    }

    /// Opens the database described by `options` (with the store's pragmas applied) and runs
    /// the migrations.
    pub async fn connect_with(options: SqliteConnectOptions) -> Result<SqliteStore, StoreError> {
        let options = options
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true)
            // 64 MiB of page cache a connection (the default is 2 MiB): the registry's indexes
            // stay in memory, and a large import does not thrash.
            .pragma("cache_size", "-65536");
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
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
        Ok(SqliteStore { pool })
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
        self.pool.close().await;
    }

    async fn append_access_log_with(
        &self,
        batch: &[ChainedEntry],
        writes: &[PendingWrite],
    ) -> Result<(), StoreError> {
        if batch.is_empty() && writes.is_empty() {
            return Ok(());
        }
        let context = "appending to the access log failed";
        // One multi-statement query, BEGIN to COMMIT: sqlx runs SQLite on a worker thread,
        // and each statement sent separately was a round trip to it (two thread wake-ups),
        // the largest cost of a recorded request after the fsync itself.
        let mut query: QueryBuilder<Sqlite> = QueryBuilder::new("BEGIN IMMEDIATE; ");
        for chunk in batch.chunks(INSERT_CHUNK) {
            query.push(format_args!(
                "INSERT INTO access_log ({ACCESS_LOG_COLUMNS}) "
            ));
            query.push_values(chunk, |mut row, e| {
                row.push_bind(e.seq)
                    .push_bind(&e.entry.transaction_id)
                    .push_bind(e.entry.at_ms())
                    .push_bind(e.entry.caller_kind.as_str())
                    .push_bind(&e.entry.caller_id)
                    .push_bind(&e.entry.region)
                    .push_bind(&e.entry.operator_cf)
                    .push_bind(&e.entry.titolare_cf)
                    .push_bind(&e.entry.declared_auth)
                    .push_bind(&e.entry.service)
                    .push_bind(&e.entry.operation)
                    .push_bind(&e.entry.outcome)
                    .push_bind(hex::encode(e.prev_hash))
                    .push_bind(hex::encode(e.hash));
            });
            query.push("; ");
        }
        for write in writes {
            Q::push_write(&mut query, write);
            query.push("; ");
        }
        query.push("COMMIT");
        let mut conn = self
            .pool
            .acquire()
            .await
            .map_err(StoreError::query(context))?;
        let result = query.build().execute(&mut *conn).await;
        if result.is_err() {
            // A statement failed after BEGIN: end the transaction before the connection goes
            // back to the pool, or close the connection if even that fails.
            if sqlx::query("ROLLBACK").execute(&mut *conn).await.is_err() {
                let _ = conn.close().await;
            }
        }
        result
            .map(drop)
            .map_err(StoreError::conflict_or_query(context))
    }

    async fn access_log_head(&self) -> Result<Option<(i64, [u8; 32])>, StoreError> {
        let context = "reading the access-log head failed";
        let last = sqlx::query("SELECT seq, hash FROM access_log ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&self.pool)
            .await
            .map_err(StoreError::query(context))?;
        match last {
            Some(row) => {
                let seq: i64 = row.try_get("seq").map_err(StoreError::query(context))?;
                let hash: String = row.try_get("hash").map_err(StoreError::query(context))?;
                let hash = decode_hash(&hash).ok_or_else(|| StoreError::CorruptRow {
                    seq,
                    detail: "hash is not 64 hex digits".to_owned(),
                })?;
                Ok(Some((seq, hash)))
            }
            None => Ok(self.access_log_anchor().await?.head()),
        }
    }

    async fn access_log_anchor(&self) -> Result<AccessLogAnchor, StoreError> {
        read_anchor(&self.pool).await
    }

    async fn read_access_log(
        &self,
        after_seq: i64,
        limit: i64,
    ) -> Result<Vec<ChainedEntry>, StoreError> {
        let rows: Vec<AccessLogRow> = sqlx::query_as(&format!(
            "SELECT {ACCESS_LOG_COLUMNS} FROM access_log WHERE seq > ? ORDER BY seq LIMIT ?"
        ))
        .bind(after_seq)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(StoreError::query("reading the access log failed"))?;
        rows.into_iter().map(AccessLogRow::into_chained).collect()
    }

    async fn purge_access_log_before(&self, cutoff: DateTime<Utc>) -> Result<u64, StoreError> {
        let context = "purging the access log failed";
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(StoreError::query(context))?;
        // The marker is what the append-only trigger lets deletes through for; it is removed
        // before commit, so it is never visible outside this transaction.
        sqlx::query("INSERT INTO purge_in_progress (id) VALUES (1)")
            .execute(&mut *tx)
            .await
            .map_err(StoreError::query(context))?;

        let first_kept: Option<i64> =
            sqlx::query_scalar("SELECT seq FROM access_log WHERE at_ms >= ? ORDER BY seq LIMIT 1")
                .bind(cutoff.timestamp_millis())
                .fetch_optional(&mut *tx)
                .await
                .map_err(StoreError::query(context))?;
        let new_anchor = match first_kept {
            Some(seq) => {
                let prev: String =
                    sqlx::query_scalar("SELECT prev_hash FROM access_log WHERE seq = ?")
                        .bind(seq)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(StoreError::query(context))?;
                (seq, prev)
            }
            None => {
                // Every entry is older than the cutoff: keep the head in the anchor.
                let last: Option<(i64, String)> =
                    sqlx::query_as("SELECT seq, hash FROM access_log ORDER BY seq DESC LIMIT 1")
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(StoreError::query(context))?;
                match last {
                    Some((seq, hash)) => (seq + 1, hash),
                    // Nothing to purge; dropping the transaction rolls back the marker.
                    None => return Ok(0),
                }
            }
        };

        let deleted = sqlx::query("DELETE FROM access_log WHERE seq < ?")
            .bind(new_anchor.0)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::query(context))?
            .rows_affected();
        if deleted > 0 {
            sqlx::query("UPDATE access_log_anchor SET first_seq = ?, prev_hash = ? WHERE id = 1")
                .bind(new_anchor.0)
                .bind(&new_anchor.1)
                .execute(&mut *tx)
                .await
                .map_err(StoreError::query(context))?;
        }
        sqlx::query("DELETE FROM purge_in_progress")
            .execute(&mut *tx)
            .await
            .map_err(StoreError::query(context))?;
        tx.commit().await.map_err(StoreError::query(context))?;
        if deleted > 0 {
            tracing::info!(deleted, first_seq = new_anchor.0, "purged the access log");
        }
        Ok(deleted)
    }

    fn directory(&self) -> &dyn Directory {
        &self.pool
    }

    fn registry(&self) -> &dyn Registry {
        &self.pool
    }

    fn issuers(&self) -> &dyn Issuers {
        &self.pool
    }
}

async fn read_anchor(pool: &SqlitePool) -> Result<AccessLogAnchor, StoreError> {
    let (first_seq, prev_hash): (i64, String) =
        sqlx::query_as("SELECT first_seq, prev_hash FROM access_log_anchor WHERE id = 1")
            .fetch_one(pool)
            .await
            .map_err(StoreError::query("reading the access-log anchor failed"))?;
    AccessLogAnchor::from_stored(first_seq, &prev_hash)
}
