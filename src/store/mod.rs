//! Persistent state of the gateway: the access log, the users/authorisation tables and, through
//! [`Registry`], the registry of assistiti the services read.
//!
//! One [`Store`] trait, two backends that pass the same tests: SQLite (embedded default, a file
//! under `./data`) and PostgreSQL (production). Queries are built at run time (no compile-time
//! database needed to build the crate); each backend embeds its own migrations.
//!
//! Nothing is acknowledged before it is durable: SQLite runs with `synchronous=FULL`, and every
//! write method returns only after its transaction committed.

pub mod access_log;
pub mod access_log_writer;
pub mod issuers;
pub mod postgres;
pub mod process_lock;
pub mod registry;
pub mod retention;
pub mod sqlite;
pub mod users;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

pub use access_log::{
    verify_chain, AccessLogAnchor, AccessLogEntry, CallerKind, ChainProblem, ChainReport,
    ChainedEntry,
};
pub use access_log_writer::{AccessLogWriter, RecordError, WriterHandle, WriterStats};
pub use issuers::{Issuers, Lease};
pub use process_lock::StoreLock;
pub use registry::{
    Asl, Assistito, AssistitoStatus, ListedPatient, Mmg, Municipality, NewAslTestCount,
    NewSerologyTest, PendingWrite, Region, Registry, SendState, SentTest, SentTestQuery,
    SerologyCancel, StaffMatch, StaffMember, StagedApply, StagedAssistito, Staging, Substitution,
    TransactionWrite,
};
pub use users::{Directory, UserRecord};

/// Everything the gateway keeps between requests. Used as `Arc<dyn Store>`.
#[async_trait]
pub trait Store: Send + Sync {
    /// Which backend this is (`"sqlite"` or `"postgres"`), for logs and `/health`.
    fn backend(&self) -> &'static str;

    /// Closes the connection pool, waiting for in-flight queries; later calls fail.
    async fn close(&self);

    // --- access log -------------------------------------------------------------------------

    /// Appends already-chained entries in ONE transaction: all of them are stored or none.
    /// Entries must continue the chain (see [`access_log_writer`], the only caller in the
    /// gateway); a seq already taken fails the whole batch.
    async fn append_access_log(&self, batch: &[ChainedEntry]) -> Result<(), StoreError> {
        self.append_access_log_with(batch, &[]).await
    }

    /// Like [`Store::append_access_log`], and in the same transaction the data those
    /// transactions write (a serology test sent, an ASL's daily count): the group commit
    /// acknowledges both together or neither.
    async fn append_access_log_with(
        &self,
        batch: &[ChainedEntry],
        writes: &[PendingWrite],
    ) -> Result<(), StoreError>;

    /// Seq and hash of the last entry of the chain, `None` for a log never written.
    /// When a purge removed every entry, the head is still known from the anchor
    /// (`anchor.first_seq - 1`, `anchor.prev_hash`), so numbering never restarts.
    async fn access_log_head(&self) -> Result<Option<(i64, [u8; 32])>, StoreError>;

    /// Where the retained chain starts: the seq of the first retained entry and the hash it
    /// must link to. `(1, zeros)` until the first purge.
    async fn access_log_anchor(&self) -> Result<AccessLogAnchor, StoreError>;

    /// Up to `limit` entries with `seq > after_seq`, ordered by seq. A row that cannot be
    /// decoded (tampered beyond parsing) yields [`StoreError::CorruptRow`].
    async fn read_access_log(
        &self,
        after_seq: i64,
        limit: i64,
    ) -> Result<Vec<ChainedEntry>, StoreError>;

    /// Deletes the oldest entries, up to (not including) the first entry whose time is at or
    /// after `cutoff`, and moves the anchor in the same transaction so the retained chain still
    /// verifies. Only a prefix is removed: the chain never gets a hole. Returns how many
    /// entries were deleted.
    async fn purge_access_log_before(&self, cutoff: DateTime<Utc>) -> Result<u64, StoreError>;

    /// Users, their profiles, and the services each region may call.
    fn directory(&self) -> &dyn Directory;

    /// The registry of assistiti, substitutes, serology tests and ASL counts (docs/registry.md),
    /// kept in the same database.
    fn registry(&self) -> &dyn Registry;
    /// Issuer slots of numeric transaction ids, and the highest one committed.
    fn issuers(&self) -> &dyn Issuers;
}

/// Why a store operation failed. Messages never contain credentials from the URL.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "unsupported database URL scheme {scheme:?}: expected sqlite:, postgres: or postgresql:"
    )]
    UnsupportedUrl { scheme: String },

    #[error("invalid {backend} database URL")]
    InvalidUrl {
        backend: &'static str,
        #[source]
        source: sqlx::Error,
    },

    #[error("cannot create the directory {path} for the SQLite database")]
    CreateDir {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// Another process serves this SQLite database (see [`process_lock`]).
    #[error(
        "the SQLite database {} is already served by another tsgate process{}: only one gateway \
         may use a SQLite store (stop the other one first, or use PostgreSQL to run several \
         instances)",
        database.display(),
        holder.map(|pid| format!(" (pid {pid})")).unwrap_or_default()
    )]
    InUse {
        database: std::path::PathBuf,
        holder: Option<u32>,
    },

    #[error("cannot use the lock file {path}")]
    LockFile {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("cannot connect to the {backend} database")]
    Connect {
        backend: &'static str,
        #[source]
        source: sqlx::Error,
    },

    #[error("migrating the {backend} database failed")]
    Migrate {
        backend: &'static str,
        #[source]
        source: sqlx::migrate::MigrateError,
    },

    /// A query failed; `context` says what the store was doing.
    #[error("{context}")]
    Query {
        context: &'static str,
        #[source]
        source: sqlx::Error,
    },

    /// A unique key is already taken (user id, CF, access-log seq).
    #[error("{what} {key:?} already exists")]
    Duplicate { what: &'static str, key: String },

    /// A write of the access-log batch hit a unique key: `on` names the table and key (or
    /// constraint) the database reported, so the log says what actually conflicted.
    #[error("{context}: the unique key {on} is already taken")]
    Conflict {
        context: &'static str,
        on: String,
        #[source]
        source: sqlx::Error,
    },

    /// A row the operation refers to does not exist (e.g. granting a profile to no one).
    #[error("{what} {key:?} does not exist")]
    NotFound { what: &'static str, key: String },

    /// A stored access-log row cannot be decoded (bad hex, unknown caller kind, ...):
    /// only tampering or a foreign writer produces this.
    #[error("access-log entry {seq} is unreadable: {detail}")]
    CorruptRow { seq: i64, detail: String },
}

impl StoreError {
    /// Wraps a sqlx error with what the store was doing.
    pub(crate) fn query(context: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
        move |source| StoreError::Query { context, source }
    }

    /// Like [`StoreError::query`], but a unique violation becomes [`StoreError::Conflict`],
    /// naming the key the database reports.
    pub(crate) fn conflict_or_query(
        context: &'static str,
    ) -> impl FnOnce(sqlx::Error) -> StoreError {
        move |source| match source.as_database_error() {
            Some(db) if db.is_unique_violation() => StoreError::Conflict {
                context,
                on: conflicting_key(db),
                source,
            },
            _ => StoreError::Query { context, source },
        }
    }

    /// Like [`StoreError::query`], but a unique violation becomes [`StoreError::Duplicate`] and
    /// a foreign-key violation [`StoreError::NotFound`], which callers handle differently.
    pub(crate) fn keyed<'k>(
        context: &'static str,
        duplicate_what: &'static str,
        missing_what: &'static str,
        key: &'k str,
    ) -> impl FnOnce(sqlx::Error) -> StoreError + 'k {
        move |source| match source.as_database_error() {
            Some(db) if db.is_unique_violation() => StoreError::Duplicate {
                what: duplicate_what,
                key: key.to_owned(),
            },
            Some(db) if db.is_foreign_key_violation() => StoreError::NotFound {
                what: missing_what,
                key: key.to_owned(),
            },
            _ => StoreError::Query { context, source },
        }
    }
}

/// What a unique violation collided on. PostgreSQL names the table and the constraint; SQLite
/// names `table.column` in its message ("UNIQUE constraint failed: serology_tests.transaction_id").
fn conflicting_key(db: &dyn sqlx::error::DatabaseError) -> String {
    match (db.table(), db.constraint()) {
        (Some(table), Some(constraint)) => format!("{table} ({constraint})"),
        (None, Some(constraint)) => constraint.to_owned(),
        _ => {
            let message = db.message();
            message
                .strip_prefix("UNIQUE constraint failed: ")
                .unwrap_or(message)
                .to_owned()
        }
    }
}

/// Opens the store named by `url` and brings its schema up to date.
///
/// `sqlite://path?mode=rwc`, `sqlite:path` (the file and its directory are created if missing),
/// `postgres://…` or `postgresql://…`.
pub async fn connect(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    let scheme = url.split(':').next().unwrap_or_default();
    match scheme {
        "sqlite" => Ok(Arc::new(sqlite::SqliteStore::connect(url).await?)),
        "postgres" | "postgresql" => Ok(Arc::new(postgres::PostgresStore::connect(url).await?)),
        // Only the scheme is echoed: the rest of the URL may hold a password.
        other => Err(StoreError::UnsupportedUrl {
            scheme: other.chars().take(32).collect(),
        }),
    }
}
