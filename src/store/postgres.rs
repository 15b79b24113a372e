//! The PostgreSQL backend: production, the docker-compose stack.
//!
//! The access log is append-only in the database itself: a trigger refuses UPDATE, DELETE and
//! TRUNCATE unless the transaction set `tsgate.purge = 'on'`, which only the purge does.

use std::str::FromStr;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Postgres, QueryBuilder, Row};

use super::access_log::{decode_hash, AccessLogRow, ACCESS_LOG_COLUMNS};
use super::registry::postgres_queries as Q;
use super::{
    AccessLogAnchor, ChainedEntry, Directory, Issuers, PendingWrite, Registry, Store, StoreError,
};

const BACKEND: &str = "postgres";

/// Rows per INSERT statement: 14 binds a row stays well under PostgreSQL's 65535-bind limit.
const INSERT_CHUNK: usize = 1000;

/// The PostgreSQL-backed [`Store`].
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
}

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
            .max_connections(10)
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
        Ok(PostgresStore { pool })
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
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(StoreError::query(context))?;
        for chunk in batch.chunks(INSERT_CHUNK) {
            let mut insert: QueryBuilder<Postgres> =
                QueryBuilder::new(format!("INSERT INTO access_log ({ACCESS_LOG_COLUMNS}) "));
            insert.push_values(chunk, |mut row, e| {
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
            insert
                .build()
                .execute(&mut *tx)
                .await
                .map_err(StoreError::conflict_or_query(context))?;
        }
        Q::insert_writes(&mut tx, writes).await?;
        tx.commit().await.map_err(StoreError::query(context))
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
            "SELECT {ACCESS_LOG_COLUMNS} FROM access_log WHERE seq > $1 ORDER BY seq LIMIT $2"
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
            .begin()
            .await
            .map_err(StoreError::query(context))?;
        // Lets the append-only trigger through, for this transaction only (SET LOCAL).
        sqlx::query("SELECT set_config('tsgate.purge', 'on', true)")
            .execute(&mut *tx)
            .await
            .map_err(StoreError::query(context))?;
        // Serialises concurrent purges: each computes its prefix from what the previous left.
        sqlx::query("SELECT first_seq FROM access_log_anchor WHERE id = 1 FOR UPDATE")
            .execute(&mut *tx)
            .await
            .map_err(StoreError::query(context))?;

        let first_kept: Option<i64> =
            sqlx::query_scalar("SELECT seq FROM access_log WHERE at_ms >= $1 ORDER BY seq LIMIT 1")
                .bind(cutoff.timestamp_millis())
                .fetch_optional(&mut *tx)
                .await
                .map_err(StoreError::query(context))?;
        let new_anchor = match first_kept {
            Some(seq) => {
                let prev: String =
                    sqlx::query_scalar("SELECT prev_hash FROM access_log WHERE seq = $1")
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
                    // Nothing to purge.
                    None => return Ok(0),
                }
            }
        };

        let deleted = sqlx::query("DELETE FROM access_log WHERE seq < $1")
            .bind(new_anchor.0)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::query(context))?
            .rows_affected();
        if deleted > 0 {
            sqlx::query("UPDATE access_log_anchor SET first_seq = $1, prev_hash = $2 WHERE id = 1")
                .bind(new_anchor.0)
                .bind(&new_anchor.1)
                .execute(&mut *tx)
                .await
                .map_err(StoreError::query(context))?;
        }
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

async fn read_anchor(pool: &PgPool) -> Result<AccessLogAnchor, StoreError> {
    let (first_seq, prev_hash): (i64, String) =
        sqlx::query_as("SELECT first_seq, prev_hash FROM access_log_anchor WHERE id = 1")
            .fetch_one(pool)
            .await
            .map_err(StoreError::query("reading the access-log anchor failed"))?;
    AccessLogAnchor::from_stored(first_seq, &prev_hash)
}
