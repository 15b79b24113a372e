//! The request path's reads on SQLite, run in place on the request's own thread.
//!
//! sqlx's SQLite driver runs each connection on a worker thread of its own: a statement is a
//! command sent to that thread and its rows sent back, two thread wake-ups a statement, which
//! on two cores cost several times what the statement does (README, "Registry operations").
//! The reads every SOAP request makes (the operator's sign-in state; a serology operation's
//! read together with its titolare's MMG record) are index lookups of a few microseconds, so
//! here they run synchronously, with rusqlite, on read-only connections of their own to the
//! same database file. In WAL mode a reader never waits for the writer and sees every commit
//! made before its statement began, as a read on sqlx's connections did: a lock, a reset or a
//! revoked profile is still in force at the next call.
//!
//! The statements are the ones sqlx runs on PostgreSQL, with `$n` parameters, bound here by
//! name: SQLite numbers named parameters in the order they first appear in the text, not by
//! their digits.
//!
//! A read holds its runtime thread for its statement's time: a point lookup, or one doctor's
//! list (an index range). Everything else of these traits (the registry's imports, the reads
//! off the request path) goes on through [`KeptConnections`]. An in-memory database has no
//! file another connection could open, so [`super::sqlite::SqliteStore`] keeps sqlx's reads
//! for one.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use rusqlite::{named_params, Connection, OpenFlags, Params, Row};
use sqlx::Sqlite;

use super::columns::day;
use super::kept_connections::KeptConnections;
use super::patients::{
    patient_list_of, ListRow, IS_ON_LIST_CONTEXT, IS_ON_LIST_OF_TITOLARE, PATIENT_LIST_CONTEXT,
    PATIENT_LIST_OF_TITOLARE,
};
use super::serology::{
    add_sent_test_row, send_of_titolare, SendOfTitolareRow, SentTestRow, FIND_SEND_CONTEXT,
    FIND_SEND_OF_TITOLARE, SENT_TESTS_CONTEXT, SENT_TESTS_OF_TITOLARE,
};
use super::sign_in_state::{sign_in_state_of, StateRow, STATE, STATE_CONTEXT};
use super::sqlite::{BUSY_TIMEOUT, CACHE_SIZE_KIB};
use super::{
    Asl, Assistito, ListedPatient, Mmg, Municipality, OfTitolare, Patients, Region, SendState,
    SentTest, SentTestQuery, Serology, SignInState, SignInStates, StoreError,
};
use crate::domain::{AslCode, CodiceFiscale, OperatorCf, RegionCode};

/// Idle read connections kept open, at the least: one a runtime thread is enough, since a read
/// never yields while it holds one; more are opened when needed and closed after their read.
const KEEP_IDLE_AT_LEAST: usize = 4;

/// Idle read connections kept open: one for each of tokio's runtime threads (as many as the
/// machine's cores, tokio's default) and the thread that blocks on the runtime, and never fewer
/// than [`KEEP_IDLE_AT_LEAST`], so that on a larger machine reads do not open and close a
/// connection each.
fn keep_idle() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    (cores + 1).max(KEEP_IDLE_AT_LEAST)
}

/// The request path's reads of a SQLite store, in place; the rest through sqlx.
#[derive(Clone)]
pub struct SqliteReads {
    connections: Arc<ReadConnections>,
    other: KeptConnections<Sqlite>,
}

impl std::fmt::Debug for SqliteReads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteReads")
            .field("database", &self.connections.database)
            .finish_non_exhaustive()
    }
}

/// Read-only connections to the database file.
struct ReadConnections {
    database: PathBuf,
    /// At most this many are kept idle ([`keep_idle`]).
    keep_idle: usize,
    /// Idle connections; `None` once the store is closed (reads then fail, as sqlx's do on a
    /// closed pool).
    idle: Mutex<Option<Vec<Connection>>>,
}

impl SqliteReads {
    /// Reads `database` (a file the store's pool has open and migrated) in place, and the rest
    /// through `other`.
    pub fn new(database: &Path, other: KeptConnections<Sqlite>) -> SqliteReads {
        SqliteReads {
            connections: Arc::new(ReadConnections {
                database: database.to_path_buf(),
                keep_idle: keep_idle(),
                idle: Mutex::new(Some(Vec::new())),
            }),
            other,
        }
    }

    /// Closes every idle connection; reads fail from now on.
    pub fn close(&self) {
        let idle = match self.connections.idle.lock() {
            Ok(mut idle) => idle.take(),
            Err(_) => return,
        };
        drop(idle);
    }

    /// Runs `read` on a connection: an idle one, or one opened for it. The connection is kept
    /// for the next read when `read` succeeded and there is room; after an error it is closed,
    /// whatever state the error left it in.
    fn read<T>(
        &self,
        context: &'static str,
        read: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let connection = self.lease(context)?;
        let value = read(&connection)?;
        if let Ok(mut idle) = self.connections.idle.lock() {
            let keep = self.connections.keep_idle;
            if let Some(idle) = idle.as_mut().filter(|idle| idle.len() < keep) {
                idle.push(connection);
            }
        }
        Ok(value)
    }

    fn lease(&self, context: &'static str) -> Result<Connection, StoreError> {
        let idle = self
            .connections
            .idle
            .lock()
            .map_err(|_| StoreError::Closed { context })?
            .as_mut()
            .map(Vec::pop);
        match idle {
            None => Err(StoreError::Closed { context }),
            Some(Some(connection)) => Ok(connection),
            Some(None) => self.open().map_err(StoreError::read(context)),
        }
    }

    /// A read-only connection with the store's busy timeout and page cache (the registry's
    /// index pages stay in memory, as on the pool's connections).
    fn open(&self) -> rusqlite::Result<Connection> {
        let connection = Connection::open_with_flags(
            &self.connections.database,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        connection.busy_timeout(BUSY_TIMEOUT)?;
        connection.pragma_update(None, "cache_size", CACHE_SIZE_KIB)?;
        Ok(connection)
    }

    /// Every row `sql` finds with `params`, each as `map` reads it.
    fn all_rows<T>(
        &self,
        context: &'static str,
        sql: &str,
        params: impl Params,
        map: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>, StoreError> {
        self.read(context, |connection| {
            let failed = StoreError::read(context);
            let mut statement = connection.prepare_cached(sql).map_err(&failed)?;
            let rows = statement.query_map(params, map).map_err(&failed)?;
            rows.collect::<rusqlite::Result<Vec<T>>>().map_err(failed)
        })
    }

    /// The first row `sql` finds with `params`, if any, as `map` reads it.
    fn first_row<T>(
        &self,
        context: &'static str,
        sql: &str,
        params: impl Params,
        map: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Option<T>, StoreError> {
        self.read(context, |connection| {
            let failed = StoreError::read(context);
            let mut statement = connection.prepare_cached(sql).map_err(&failed)?;
            let mut rows = statement.query(params).map_err(&failed)?;
            let first = rows.next().map_err(&failed)?;
            first.map(map).transpose().map_err(failed)
        })
    }
}

/// A rusqlite row, read as the list of sent tests reads a row.
struct InPlaceRow<'s, 'r> {
    row: &'r Row<'s>,
    context: &'static str,
}

impl SentTestRow for InPlaceRow<'_, '_> {
    fn text(&self, i: usize) -> Result<&str, StoreError> {
        self.row
            .get_ref(i)
            .and_then(|value| value.as_str().map_err(rusqlite::Error::from))
            .map_err(StoreError::read(self.context))
    }

    fn optional_text(&self, i: usize) -> Result<Option<&str>, StoreError> {
        self.row
            .get_ref(i)
            .and_then(|value| value.as_str_or_null().map_err(rusqlite::Error::from))
            .map_err(StoreError::read(self.context))
    }

    fn flag(&self, i: usize) -> Result<bool, StoreError> {
        self.row.get(i).map_err(StoreError::read(self.context))
    }
}

#[async_trait::async_trait]
impl SignInStates for SqliteReads {
    async fn sign_in_state(&self, user_id: &str) -> Result<SignInState, StoreError> {
        let rows: Vec<StateRow> = self.all_rows(
            STATE_CONTEXT,
            STATE,
            named_params! { "$1": user_id },
            |row| {
                Ok((
                    row.get(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get(3)?,
                    row.get(4)?,
                    row.get(5)?,
                    row.get(6)?,
                ))
            },
        )?;
        sign_in_state_of(user_id, &rows)
    }
}

#[async_trait::async_trait]
impl Serology for SqliteReads {
    async fn find_send(
        &self,
        transaction_id: &str,
        titolare: &OperatorCf,
        assistito: &CodiceFiscale,
    ) -> Result<Option<SendState>, StoreError> {
        self.other
            .find_send(transaction_id, titolare, assistito)
            .await
    }

    async fn sent_tests(&self, query: &SentTestQuery) -> Result<Vec<SentTest>, StoreError> {
        self.other.sent_tests(query).await
    }

    async fn find_send_of_titolare(
        &self,
        transaction_id: &str,
        titolare: &OperatorCf,
        assistito: Option<&CodiceFiscale>,
    ) -> Result<Option<OfTitolare<Option<SendState>>>, StoreError> {
        let params = named_params! {
            "$1": titolare.as_str(),
            "$2": transaction_id,
            "$3": assistito.map(CodiceFiscale::as_str),
        };
        let found: Option<SendOfTitolareRow> =
            self.first_row(FIND_SEND_CONTEXT, FIND_SEND_OF_TITOLARE, params, |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?))
            })?;
        found
            .map(|row| send_of_titolare(titolare, transaction_id, row))
            .transpose()
    }

    async fn sent_tests_of_titolare(
        &self,
        titolare: &OperatorCf,
        sent_by: Option<&OperatorCf>,
        dates: Option<(NaiveDate, NaiveDate)>,
    ) -> Result<Option<OfTitolare<Vec<SentTest>>>, StoreError> {
        let (from, to): (Option<String>, Option<String>) =
            dates.map(|(from, to)| (day(from), day(to))).unzip();
        let context = SENT_TESTS_CONTEXT;
        self.read(context, |connection| {
            let failed = StoreError::read(context);
            let mut statement = connection
                .prepare_cached(SENT_TESTS_OF_TITOLARE)
                .map_err(&failed)?;
            let mut rows = statement
                .query(named_params! {
                    "$1": titolare.as_str(),
                    "$2": from.as_deref(),
                    "$3": to.as_deref(),
                    "$4": sent_by.map(OperatorCf::as_str),
                })
                .map_err(&failed)?;
            let mut listed = None;
            while let Some(row) = rows.next().map_err(&failed)? {
                add_sent_test_row(titolare, &mut listed, &InPlaceRow { row, context })?;
            }
            Ok(listed)
        })
    }
}

#[async_trait::async_trait]
impl Patients for SqliteReads {
    async fn upsert_regions(&self, rows: &[Region]) -> Result<(), StoreError> {
        self.other.upsert_regions(rows).await
    }

    async fn upsert_asls(&self, rows: &[Asl]) -> Result<(), StoreError> {
        self.other.upsert_asls(rows).await
    }

    async fn upsert_municipalities(&self, rows: &[Municipality]) -> Result<(), StoreError> {
        self.other.upsert_municipalities(rows).await
    }

    async fn upsert_mmgs(&self, rows: &[Mmg]) -> Result<(), StoreError> {
        self.other.upsert_mmgs(rows).await
    }

    async fn upsert_assistiti(&self, rows: &[Assistito]) -> Result<(), StoreError> {
        self.other.upsert_assistiti(rows).await
    }

    async fn find_mmg(&self, cf: &OperatorCf) -> Result<Option<Mmg>, StoreError> {
        self.other.find_mmg(cf).await
    }

    async fn find_asl(
        &self,
        region_code: RegionCode,
        code: AslCode,
    ) -> Result<Option<Asl>, StoreError> {
        self.other.find_asl(region_code, code).await
    }

    async fn find_assistito(&self, cf: &CodiceFiscale) -> Result<Option<Assistito>, StoreError> {
        self.other.find_assistito(cf).await
    }

    async fn patient_list(&self, titolare: &OperatorCf) -> Result<Vec<ListedPatient>, StoreError> {
        self.other.patient_list(titolare).await
    }

    async fn is_on_list(
        &self,
        titolare: &OperatorCf,
        assistito: &CodiceFiscale,
    ) -> Result<bool, StoreError> {
        self.other.is_on_list(titolare, assistito).await
    }

    async fn patient_list_of_titolare(
        &self,
        titolare: &OperatorCf,
    ) -> Result<Option<OfTitolare<Vec<ListedPatient>>>, StoreError> {
        let params = named_params! { "$1": titolare.as_str() };
        let rows: Vec<ListRow> = self.all_rows(
            PATIENT_LIST_CONTEXT,
            PATIENT_LIST_OF_TITOLARE,
            params,
            |row| {
                Ok((
                    row.get(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get(3)?,
                    row.get(4)?,
                ))
            },
        )?;
        patient_list_of(titolare, rows)
    }

    async fn is_on_list_of_titolare(
        &self,
        titolare: &OperatorCf,
        assistito: Option<&CodiceFiscale>,
    ) -> Result<Option<OfTitolare<bool>>, StoreError> {
        let params = named_params! {
            "$1": titolare.as_str(),
            "$2": assistito.map(CodiceFiscale::as_str),
        };
        let row: Option<(String, bool)> =
            self.first_row(IS_ON_LIST_CONTEXT, IS_ON_LIST_OF_TITOLARE, params, |row| {
                Ok((row.get(0)?, row.get(1)?))
            })?;
        row.map(|(region_code, on_list)| OfTitolare::of(titolare, &region_code, on_list))
            .transpose()
    }

    async fn staff_per_mmg(
        &self,
        region_code: RegionCode,
        asl_code: AslCode,
    ) -> Result<Vec<(OperatorCf, i64)>, StoreError> {
        self.other.staff_per_mmg(region_code, asl_code).await
    }
}
