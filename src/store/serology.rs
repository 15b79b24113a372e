//! The serology tests doctors send (docs/services/sierologici.md, from seed 003 §3.4): what a
//! cancel reads of a send (§3.4.3) and the list of sent tests (§3.4.4). Sends and cancels are
//! written with their access-log entry ([`super::TransactionWrite`]).

use chrono::NaiveDate;
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Row, Type};

use super::backend::Backend;
use super::columns::{day, StoredRow};
use super::kept_connections::KeptConnections;
use super::patients::titolare_region;
use super::{OfTitolare, StoreError};
use crate::domain::{CodiceFiscale, OperatorCf};

/// A serology test as the doctor sends it (§3.4.2); id and time come from the transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSerologyTest {
    pub test_date: NaiveDate,
    /// Who did the test: the titolare or a substitute, whose check letter may be wrong.
    pub doctor_cf: OperatorCf,
    /// A registered MMG.
    pub titolare_cf: OperatorCf,
    pub assistito_cf: CodiceFiscale,
    pub on_list: bool,
}

/// The cancellation of a send (§3.4.3), decided by the operation from a [`SendState`] it read;
/// the time and the cancelling transaction's id come from the transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerologyCancel {
    /// The transaction id of the send, as the request names it.
    pub send_transaction_id: String,
    pub titolare_cf: OperatorCf,
    pub assistito_cf: CodiceFiscale,
}

/// A test as the list of sent tests shows it (§3.4.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentTest {
    pub transaction_id: String,
    pub assistito_cf: CodiceFiscale,
    /// `None` when the CF is not in the registry.
    pub name: Option<String>,
    pub surname: Option<String>,
    pub test_date: NaiveDate,
    pub sent_on: NaiveDate,
    pub doctor_cf: OperatorCf,
    pub on_list: bool,
}

/// A send as a cancel request finds it (§3.4.3): who sent it, and whether it is cancelled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendState {
    pub doctor_cf: OperatorCf,
    pub cancelled: bool,
}

/// Which tests a list shows: all of a titolare's, or only those one doctor sent for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentTestQuery {
    pub titolare_cf: OperatorCf,
    /// `Some(substitute)`: only what that doctor entered.
    pub sent_by: Option<OperatorCf>,
    /// Dates the tests were sent (Europe/Rome), inclusive.
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// Reached through [`super::Store::serology`].
#[async_trait::async_trait]
pub trait Serology: Send + Sync {
    /// The send `transaction_id` for that titolare and assistito, if there is one. A cancel
    /// reads it, decides, and writes its [`SerologyCancel`] with its access-log entry; the
    /// database refuses to cancel a test twice, so a decision made on a stale read fails its
    /// commit instead of being acknowledged.
    async fn find_send(
        &self,
        transaction_id: &str,
        titolare: &OperatorCf,
        assistito: &CodiceFiscale,
    ) -> Result<Option<SendState>, StoreError>;

    /// Tests sent for a titolare in a date range, not cancelled, in the order they were sent.
    async fn sent_tests(&self, query: &SentTestQuery) -> Result<Vec<SentTest>, StoreError>;

    /// [`Serology::find_send`] with the titolare's MMG record, in one query (see
    /// [`OfTitolare`]); no assistito (a malformed CF, refused after the titolare's checks)
    /// finds no send.
    async fn find_send_of_titolare(
        &self,
        transaction_id: &str,
        titolare: &OperatorCf,
        assistito: Option<&CodiceFiscale>,
    ) -> Result<Option<OfTitolare<Option<SendState>>>, StoreError>;

    /// [`Serology::sent_tests`] with the titolare's MMG record, in one query; without dates
    /// (`from` and `to` not both valid, refused after the titolare's checks) no test is read.
    async fn sent_tests_of_titolare(
        &self,
        titolare: &OperatorCf,
        sent_by: Option<&OperatorCf>,
        dates: Option<(NaiveDate, NaiveDate)>,
    ) -> Result<Option<OfTitolare<Vec<SentTest>>>, StoreError>;
}

const FIND_SEND: &str = "SELECT doctor_cf, cancelled_at_ms FROM serology_tests \
     WHERE transaction_id = $1 AND titolare_cf = $2 AND assistito_cf = $3";

const SENT_TESTS: &str = "SELECT t.transaction_id, t.assistito_cf, a.name, a.surname, \
     t.test_date, t.sent_on, t.doctor_cf, t.on_list FROM serology_tests t \
     LEFT JOIN assistiti a ON a.cf = t.assistito_cf \
     WHERE t.titolare_cf = $1 AND t.sent_on >= $2 AND t.sent_on <= $3 \
     AND t.cancelled_at_ms IS NULL AND ($4 IS NULL OR t.doctor_cf = $4) \
     ORDER BY t.sent_at_ms, t.transaction_id";

/// [`FIND_SEND`] joined to the titolare's MMG row; `doctor_cf` (NOT NULL in the table) is NULL
/// when there is no such send.
pub(super) const FIND_SEND_OF_TITOLARE: &str =
    "SELECT m.region_code, t.doctor_cf, t.cancelled_at_ms \
     FROM mmg m LEFT JOIN serology_tests t \
     ON t.transaction_id = $2 AND t.titolare_cf = m.cf AND t.assistito_cf = $3 \
     WHERE m.cf = $1";

/// [`SENT_TESTS`] joined to the titolare's MMG row: its columns first, then the region (one
/// row with NULL test columns when no test is listed, none when the titolare is no MMG).
pub(super) const SENT_TESTS_OF_TITOLARE: &str = "SELECT t.transaction_id, t.assistito_cf, a.name, \
     a.surname, t.test_date, t.sent_on, t.doctor_cf, t.on_list, m.region_code FROM mmg m \
     LEFT JOIN serology_tests t ON t.titolare_cf = m.cf \
     AND t.sent_on >= $2 AND t.sent_on <= $3 \
     AND t.cancelled_at_ms IS NULL AND ($4 IS NULL OR t.doctor_cf = $4) \
     LEFT JOIN assistiti a ON a.cf = t.assistito_cf \
     WHERE m.cf = $1 \
     ORDER BY t.sent_at_ms, t.transaction_id";

pub(super) const SENT_TESTS_CONTEXT: &str = "listing sent serology tests failed";

pub(super) const FIND_SEND_CONTEXT: &str = "looking up a serology send failed";

/// A row of [`SENT_TESTS`] or [`SENT_TESTS_OF_TITOLARE`] as a driver hands it over: sqlx's
/// rows (PostgreSQL, and SQLite's other reads) and rusqlite's (SQLite's request path,
/// [`super::sqlite_reads`]), so that one piece of code reads the list from either. Texts are
/// borrowed from the row and copied once, into what keeps them.
pub(super) trait SentTestRow {
    fn text(&self, i: usize) -> Result<&str, StoreError>;
    fn optional_text(&self, i: usize) -> Result<Option<&str>, StoreError>;
    fn flag(&self, i: usize) -> Result<bool, StoreError>;
}

impl<R: Row> SentTestRow for R
where
    for<'r> &'r str: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> Option<&'r str>: Decode<'r, R::Database>,
    for<'r> bool: Decode<'r, R::Database> + Type<R::Database>,
    usize: ColumnIndex<R>,
{
    fn text(&self, i: usize) -> Result<&str, StoreError> {
        self.try_get(i)
            .map_err(StoreError::query(SENT_TESTS_CONTEXT))
    }

    fn optional_text(&self, i: usize) -> Result<Option<&str>, StoreError> {
        self.try_get(i)
            .map_err(StoreError::query(SENT_TESTS_CONTEXT))
    }

    fn flag(&self, i: usize) -> Result<bool, StoreError> {
        self.try_get(i)
            .map_err(StoreError::query(SENT_TESTS_CONTEXT))
    }
}

/// One test of [`SENT_TESTS`] (or of [`SENT_TESTS_OF_TITOLARE`], whose first columns are the
/// same).
fn sent_test(row: &impl SentTestRow) -> Result<SentTest, StoreError> {
    let transaction_id = row.text(0)?;
    let stored = StoredRow::new("serology_tests", transaction_id);
    Ok(SentTest {
        assistito_cf: stored.cf("assistito_cf", row.text(1)?)?,
        name: row.optional_text(2)?.map(str::to_owned),
        surname: row.optional_text(3)?.map(str::to_owned),
        test_date: stored.day("test_date", row.text(4)?)?,
        sent_on: stored.day("sent_on", row.text(5)?)?,
        doctor_cf: stored.operator_cf("doctor_cf", row.text(6)?)?,
        on_list: row.flag(7)?,
        transaction_id: transaction_id.to_owned(),
    })
}

/// Adds one row of [`SENT_TESTS_OF_TITOLARE`] to what was read of the list so far: the first
/// row gives the titolare's region (no row at all: the titolare is no MMG), and the one row
/// of an empty list holds no test.
pub(super) fn add_sent_test_row(
    titolare: &OperatorCf,
    listed: &mut Option<OfTitolare<Vec<SentTest>>>,
    row: &impl SentTestRow,
) -> Result<(), StoreError> {
    let of_titolare = match listed {
        Some(of_titolare) => of_titolare,
        None => listed.insert(OfTitolare {
            region_code: titolare_region(titolare, row.text(8)?)?,
            read: Vec::new(),
        }),
    };
    // transaction_id is NOT NULL in the table: NULL is the empty list's row.
    if row.optional_text(0)?.is_some() {
        of_titolare.read.push(sent_test(row)?);
    }
    Ok(())
}

/// What [`FIND_SEND_OF_TITOLARE`] found: the titolare's region, and the send's doctor and
/// cancellation (the doctor NULL when there is no such send).
pub(super) type SendOfTitolareRow = (String, Option<String>, Option<i64>);

/// The send and titolare [`FIND_SEND_OF_TITOLARE`]'s row describes.
pub(super) fn send_of_titolare(
    titolare: &OperatorCf,
    transaction_id: &str,
    (region_code, doctor_cf, cancelled_at): SendOfTitolareRow,
) -> Result<OfTitolare<Option<SendState>>, StoreError> {
    let send = match doctor_cf {
        None => None,
        Some(doctor_cf) => Some(SendState {
            doctor_cf: StoredRow::new("serology_tests", transaction_id)
                .operator_cf("doctor_cf", &doctor_cf)?,
            cancelled: cancelled_at.is_some(),
        }),
    };
    OfTitolare::of(titolare, &region_code, send)
}

#[async_trait::async_trait]
impl<DB: Backend> Serology for KeptConnections<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'c> &'c KeptConnections<DB>: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB>,
    for<'q> Option<String>: Decode<'q, DB>,
    for<'q> Option<i64>: Decode<'q, DB>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> bool: Decode<'q, DB> + Type<DB>,
    for<'r> &'r str: Decode<'r, DB>,
    for<'r> Option<&'r str>: Decode<'r, DB>,
    usize: ColumnIndex<DB::Row>,
{
    async fn find_send(
        &self,
        transaction_id: &str,
        titolare: &OperatorCf,
        assistito: &CodiceFiscale,
    ) -> Result<Option<SendState>, StoreError> {
        let found: Option<(String, Option<i64>)> = sqlx::query_as(FIND_SEND)
            .bind(transaction_id)
            .bind(titolare.as_str())
            .bind(assistito.as_str())
            .fetch_optional(self)
            .await
            .map_err(StoreError::query(FIND_SEND_CONTEXT))?;
        let Some((doctor_cf, cancelled_at)) = found else {
            return Ok(None);
        };
        Ok(Some(SendState {
            doctor_cf: StoredRow::new("serology_tests", transaction_id)
                .operator_cf("doctor_cf", &doctor_cf)?,
            cancelled: cancelled_at.is_some(),
        }))
    }

    async fn sent_tests(&self, query: &SentTestQuery) -> Result<Vec<SentTest>, StoreError> {
        let rows = sqlx::query(SENT_TESTS)
            .bind(query.titolare_cf.as_str())
            .bind(day(query.from))
            .bind(day(query.to))
            .bind(query.sent_by.as_ref().map(OperatorCf::as_str))
            .fetch_all(self)
            .await
            .map_err(StoreError::query(SENT_TESTS_CONTEXT))?;
        rows.iter().map(sent_test).collect()
    }

    async fn find_send_of_titolare(
        &self,
        transaction_id: &str,
        titolare: &OperatorCf,
        assistito: Option<&CodiceFiscale>,
    ) -> Result<Option<OfTitolare<Option<SendState>>>, StoreError> {
        let found: Option<SendOfTitolareRow> = sqlx::query_as(FIND_SEND_OF_TITOLARE)
            .bind(titolare.as_str())
            .bind(transaction_id)
            .bind(assistito.map(CodiceFiscale::as_str))
            .fetch_optional(self)
            .await
            .map_err(StoreError::query(FIND_SEND_CONTEXT))?;
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
        let rows = sqlx::query(SENT_TESTS_OF_TITOLARE)
            .bind(titolare.as_str())
            .bind(from.as_deref())
            .bind(to.as_deref())
            .bind(sent_by.map(OperatorCf::as_str))
            .fetch_all(self)
            .await
            .map_err(StoreError::query(SENT_TESTS_CONTEXT))?;
        let mut listed = None;
        for row in &rows {
            add_sent_test_row(titolare, &mut listed, row)?;
        }
        Ok(listed)
    }
}
