//! The PostgreSQL backend: production, the docker-compose stack.
//!
//! The access log is append-only in the database itself: a trigger refuses UPDATE, DELETE and
//! TRUNCATE unless the transaction set `tsgate.purge = 'on'`, which only the purge does.

use std::str::FromStr;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Postgres, QueryBuilder};

use super::access_log_table::{
    self, push_entries, AccessLogFilter, POSTGRES_LOCK_ANCHOR, POSTGRES_PURGE_ON,
};
use super::transaction_writes::push_write;
use super::{
    AccessLog, AccessLogAnchor, Administrators, AslCounts, Certificates, ChainedEntry,
    Commissioner, CredentialFailures, DataRetention, Directory, Issuers, MiurLists, MiurStatistics,
    Passwords, Patients, PendingWrite, Pincodes, Serology, SignInStates, Staging, Store,
    StoreError, Substitutions, Totp, WebCaptchas, WebPincodeChecks, WebSessions,
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
        &self.pool
    }

    fn staging(&self) -> &dyn Staging {
        &self.pool
    }

    fn substitutions(&self) -> &dyn Substitutions {
        &self.pool
    }

    fn serology(&self) -> &dyn Serology {
        &self.pool
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
        &self.pool
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
        let context = "appending to the access log failed";
        let mut tx = self.begin().await.map_err(StoreError::query(context))?;
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
        tx.commit().await.map_err(StoreError::query(context))
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
