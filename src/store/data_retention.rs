//! Retention of the data sets other than the access log (seed 003 §2.5, §3.5, §4.5: kept only
//! as long as needed, and never beyond 12 months): serology tests, the ASLs' daily counts, the
//! school-staff lists, the MIUR statistics and the Commissioner's send records. One transaction removes what each data set holds from
//! before its cutoff, so a purge is whole or not at all.

use chrono::{DateTime, Utc};
use sqlx::{Executor, IntoArguments, Pool};

use super::backend::{begin, Backend};
use super::columns::day;
use super::StoreError;

/// Per data set, the instant before which its rows are expired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataCutoffs {
    /// Serology tests, by when they were sent.
    pub serology_tests: DateTime<Utc>,
    /// ASL daily counts, by when they were sent.
    pub asl_counts: DateTime<Utc>,
    /// Staff-list positions, by their last update (a date: whole days before the cutoff's).
    pub staff_list: DateTime<Utc>,
    /// The MIUR statistics (by their "Data statistica") and the record of the reports sent
    /// (by their day).
    pub statistics: DateTime<Utc>,
}

/// How many rows of each data set a purge removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PurgedData {
    pub serology_tests: u64,
    pub asl_counts: u64,
    pub staff_list: u64,
    /// MIUR statistics (computations, each with its per-ASL rows).
    pub miur_statistics: u64,
    /// Days' records of the Commissioner's report sent.
    pub report_sends: u64,
}

impl PurgedData {
    pub fn total(&self) -> u64 {
        self.serology_tests
            + self.asl_counts
            + self.staff_list
            + self.miur_statistics
            + self.report_sends
    }
}

impl std::fmt::Display for PurgedData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} serology tests, {} ASL counts, {} staff-list positions, {} MIUR statistics, \
             {} report sends",
            self.serology_tests,
            self.asl_counts,
            self.staff_list,
            self.miur_statistics,
            self.report_sends
        )
    }
}

/// Reached through [`super::Store::data_retention`].
#[async_trait::async_trait]
pub trait DataRetention: Send + Sync {
    /// Removes, in one transaction, every row older than its data set's cutoff.
    async fn purge_data(&self, cutoffs: &DataCutoffs) -> Result<PurgedData, StoreError>;
}

const PURGE_SEROLOGY: &str = "DELETE FROM serology_tests WHERE sent_at_ms < $1";
const PURGE_ASL_COUNTS: &str = "DELETE FROM asl_test_counts WHERE sent_at_ms < $1";
const PURGE_STAFF: &str = "DELETE FROM school_staff WHERE updated_on < $1";
const PURGE_REPORT_SENDS: &str = "DELETE FROM commissioner_report_sends WHERE report_day < $1";
/// A statistic's per-ASL and unplaced rows go first (no cascade is relied on: SQLite enforces
/// foreign keys only when asked).
const PURGE_MIUR_STATISTIC_ROWS: [&str; 2] = [
    "DELETE FROM miur_statistic_asl WHERE statistic_id IN \
     (SELECT id FROM miur_statistics WHERE computed_at_ms < $1)",
    "DELETE FROM miur_statistic_unplaced WHERE statistic_id IN \
     (SELECT id FROM miur_statistics WHERE computed_at_ms < $1)",
];
const PURGE_MIUR_STATISTICS: &str = "DELETE FROM miur_statistics WHERE computed_at_ms < $1";

#[async_trait::async_trait]
impl<DB: Backend> DataRetention for Pool<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    async fn purge_data(&self, cutoffs: &DataCutoffs) -> Result<PurgedData, StoreError> {
        let context = "purging expired data failed";
        let mut tx = begin(self, context).await?;
        let by_instant = |sql: &'static str, cutoff: DateTime<Utc>| {
            sqlx::query(sql).bind(cutoff.timestamp_millis())
        };
        let serology = by_instant(PURGE_SEROLOGY, cutoffs.serology_tests)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::query(context))?;
        let asl_counts = by_instant(PURGE_ASL_COUNTS, cutoffs.asl_counts)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::query(context))?;
        let staff = sqlx::query(PURGE_STAFF)
            .bind(day(cutoffs.staff_list.date_naive()))
            .execute(&mut *tx)
            .await
            .map_err(StoreError::query(context))?;
        let sends = sqlx::query(PURGE_REPORT_SENDS)
            .bind(day(cutoffs.statistics.date_naive()))
            .execute(&mut *tx)
            .await
            .map_err(StoreError::query(context))?;
        for rows in PURGE_MIUR_STATISTIC_ROWS {
            by_instant(rows, cutoffs.statistics)
                .execute(&mut *tx)
                .await
                .map_err(StoreError::query(context))?;
        }
        let statistics = by_instant(PURGE_MIUR_STATISTICS, cutoffs.statistics)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::query(context))?;
        tx.commit().await.map_err(StoreError::query(context))?;
        Ok(PurgedData {
            serology_tests: DB::rows_affected(&serology),
            asl_counts: DB::rows_affected(&asl_counts),
            staff_list: DB::rows_affected(&staff),
            miur_statistics: DB::rows_affected(&statistics),
            report_sends: DB::rows_affected(&sends),
        })
    }
}
