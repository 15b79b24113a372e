//! Persistent state of the gateway, one trait per concern, each reached through [`Store`]:
//! the access log ([`AccessLog`]), security administrators ([`Administrators`]), users and
//! region permissions ([`Directory`]), the registry
//! of assistiti ([`Patients`]) and what its import stages ([`Staging`]), the MIUR staff files
//! ([`MiurLists`]), the substitutes
//! titolari authorise ([`Substitutions`]), serology tests ([`Serology`]), ASLs' daily counts
//! ([`AslCounts`]), the issuer slots of transaction ids ([`Issuers`]), the certificates the
//! gateway CA issued ([`Certificates`]), users' password state ([`Passwords`]), the sealed
//! second halves of their pincodes ([`Pincodes`]), operators' TOTP second factors ([`Totp`]),
//! failed credentials ([`CredentialFailures`]), the Commissioner's report ([`Commissioner`]),
//! the retention of the data sets ([`DataRetention`]), the statistics of the MIUR staff
//! lists ([`MiurStatistics`]), and the web application's sessions ([`WebSessions`]), captcha
//! challenges ([`WebCaptchas`]), the login's challenges already answered
//! ([`WebSpentChallenges`]) and pincode checks ([`WebPincodeChecks`]).
//!
//! Two backends that pass the same tests: SQLite (embedded default, a file under `./data`) and
//! PostgreSQL (production). Each concern's SQL is plain constants in its file, written once
//! with `$n` parameters (which SQLite also reads), and implemented once for both backends'
//! pools ([`backend`]); only what truly differs is written per backend. Queries are built at run
//! time (no compile-time database needed to build the crate); each backend embeds its own
//! migrations.
//!
//! Nothing is acknowledged before it is durable: SQLite runs with `synchronous=FULL`, and every
//! write method returns only after its transaction committed. Every value read back is parsed
//! again: a stored value that does not parse is a corruption error naming where it is.

pub mod access_log;
pub mod access_log_table;
pub mod access_log_writer;
pub mod administrators;
pub mod asl_counts;
pub mod backend;
pub mod certificates;
mod columns;
pub mod commissioner;
pub mod credential_failures;
pub mod data_retention;
pub mod directory;
pub mod issuers;
pub mod kept_connections;
pub mod miur_lists;
pub mod miur_statistics;
pub mod passwords;
pub mod patients;
pub mod pincodes;
pub mod postgres;
pub mod process_lock;
pub mod retention;
pub mod serology;
pub mod sign_in_state;
pub mod sqlite;
pub mod sqlite_reads;
pub mod staging;
pub mod substitutions;
pub mod totp;
pub mod transaction_writes;
pub mod web_captchas;
pub mod web_pincode_checks;
pub mod web_sessions;
pub mod web_spent_challenges;

use std::sync::Arc;

use async_trait::async_trait;

pub use access_log::{
    verify_chain, AccessLogAnchor, AccessLogEntry, CallerKind, ChainProblem, ChainReport,
    ChainedEntry,
};
pub use access_log_table::{AccessLog, AccessLogFilter, Appender};
pub use access_log_writer::{
    append_at_head, AccessLogWriter, BatchDelay, RecordError, WriterHandle, WriterStats,
};
pub use administrators::{AdministratorRecord, AdministratorScope, Administrators};
pub use asl_counts::{AslCounts, NewAslTestCount};
pub use certificates::{CertificateKind, CertificateRecord, CertificateStatus, Certificates};
pub use commissioner::{Commissioner, ReportFigures};
pub use credential_failures::{CredentialFailures, FailureCount, FailureRecorded, LockoutPolicy};
pub use data_retention::{DataCutoffs, DataRetention, PurgedData};
pub use directory::{Directory, OperatorDetails, UserRecord};
pub use issuers::{Issuers, Lease};
pub use miur_lists::{
    ListReplaced, MiurLists, ProvinceAsl, StaffFigures, StaffStaging, StagedStaff,
};
pub use miur_statistics::{AslFigures, Figures, MiurKind, MiurStatistic, MiurStatistics, Unplaced};
pub use passwords::{NewPassword, PasswordState, Passwords};
pub use patients::{
    Asl, Assistito, AssistitoStatus, ListedPatient, Mmg, Municipality, OfTitolare, Patients, Region,
};
pub use pincodes::Pincodes;
pub use process_lock::StoreLock;
pub use serology::{NewSerologyTest, SendState, SentTest, SentTestQuery, Serology, SerologyCancel};
pub use sign_in_state::{SignInState, SignInStates};
pub use staging::{StaffMatch, StagedApply, StagedAssistito, StagedImport, Staging};
pub use substitutions::{Substitution, Substitutions};
pub use totp::{StepReuse, Totp, TotpRecord};
pub use transaction_writes::{PendingWrite, TransactionWrite};
pub use web_captchas::{WebCaptchaRecord, WebCaptchas};
pub use web_pincode_checks::WebPincodeChecks;
pub use web_sessions::{WebSessionRecord, WebSessions};
pub use web_spent_challenges::WebSpentChallenges;

/// Everything the gateway keeps between requests. Used as `Arc<dyn Store>`.
#[async_trait]
pub trait Store: Send + Sync {
    /// Which backend this is (`"sqlite"` or `"postgres"`), for logs and `/health`.
    fn backend(&self) -> &'static str;

    /// Closes the connection pool, waiting for in-flight queries; later calls fail.
    async fn close(&self);

    /// The hash-chained access log, and the data transactions write with their entries.
    fn access_log(&self) -> &dyn AccessLog;

    /// The security administrators, central and of each ASL.
    fn administrators(&self) -> &dyn Administrators;

    /// Users, their profiles, and the services each region may call.
    fn directory(&self) -> &dyn Directory;

    /// The registry of assistiti: regions, ASLs, MMGs, patients and their lists
    /// (docs/registry.md).
    fn patients(&self) -> &dyn Patients;

    /// What a registry import stages: the assistiti file and the school-staff list.
    fn staging(&self) -> &dyn Staging;

    /// The substitutes each titolare authorises.
    fn substitutions(&self) -> &dyn Substitutions;

    /// The serology tests sent and cancelled.
    fn serology(&self) -> &dyn Serology;

    /// The ASLs' daily counts of tests.
    fn asl_counts(&self) -> &dyn AslCounts;

    /// Issuer slots of numeric transaction ids, and the highest one committed.
    fn issuers(&self) -> &dyn Issuers;

    /// Failed credentials per account, and account locks.
    fn credential_failures(&self) -> &dyn CredentialFailures;

    /// Each user's password state (to change, since when) and the passwords it replaced.
    fn passwords(&self) -> &dyn Passwords;

    /// What a password sign-in reads on every call (failures, password state, profiles), in
    /// one query.
    fn sign_in_states(&self) -> &dyn SignInStates;

    /// The sealed second half of each operator's pincode.
    fn pincodes(&self) -> &dyn Pincodes;

    /// The register of certificates the gateway CA has issued.
    fn certificates(&self) -> &dyn Certificates;

    /// The Commissioner's report: its figures (seed 003 §5.4) and the record of daily sends.
    fn commissioner(&self) -> &dyn Commissioner;

    /// The retention purge of serology tests, ASL counts, staff lists and statistics.
    fn data_retention(&self) -> &dyn DataRetention;

    /// Operators' TOTP secrets (sealed), enrollments and the last step each accepted.
    fn totp(&self) -> &dyn Totp;

    /// The statistics of the MIUR staff lists (seed 003 §2.4), aggregated and anonymous.
    fn miur_statistics(&self) -> &dyn MiurStatistics;

    /// The MIUR staff files as they are imported: staged CFs, their figures, the lists.
    fn miur_lists(&self) -> &dyn MiurLists;

    /// The web application's server-side sessions.
    fn web_sessions(&self) -> &dyn WebSessions;

    /// The web application's captcha challenges, answers sealed.
    fn web_captchas(&self) -> &dyn WebCaptchas;

    /// The web sessions that passed the OTP service's pincode page.
    fn web_pincode_checks(&self) -> &dyn WebPincodeChecks;

    /// The login captcha's challenges already answered right (each serves once).
    fn web_spent_challenges(&self) -> &dyn WebSpentChallenges;
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

    /// A read in place on SQLite failed ([`sqlite_reads`]); `context` says what the store was
    /// doing.
    #[error("{context}")]
    Read {
        context: &'static str,
        #[source]
        source: rusqlite::Error,
    },

    /// The store was closed before this call.
    #[error("{context}: the store is closed")]
    Closed { context: &'static str },

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
    CorruptAccessLogRow { seq: i64, detail: String },

    /// The anchor of the retained chain cannot be decoded.
    #[error("the access-log anchor is unreadable: {detail}")]
    CorruptAnchor { detail: String },

    /// A stored value of another table does not parse as what its column holds (a date, a
    /// codice fiscale, a region or ASL code, a profile name, a status, a transaction id): only
    /// tampering or a foreign writer produces this, since every write path parses first.
    #[error("{table} row {key:?}: {column} {value:?} is not {expected}")]
    CorruptRow {
        table: &'static str,
        /// What identifies the row (its key, as stored).
        key: String,
        column: &'static str,
        value: String,
        /// What the column holds, e.g. "a valid codice fiscale".
        expected: &'static str,
    },
}

impl StoreError {
    /// Wraps a sqlx error with what the store was doing.
    pub(crate) fn query(context: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
        move |source| StoreError::Query { context, source }
    }

    /// Wraps a rusqlite error with what the store was doing.
    pub(crate) fn read(context: &'static str) -> impl Fn(rusqlite::Error) -> StoreError {
        move |source| StoreError::Read { context, source }
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
