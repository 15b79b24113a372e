//! What the Commissioner's report reads (seed 003 §5.4), and the record of its daily sends.
//!
//! The figures are totals to date over the data the store retains, per ASL: tests MMGs sent for
//! listed state-school staff and for people off their lists ("scuola paritaria"), kits assigned
//! (listed staff per MMG, as the per-MMG file of §4.4.1 counts them), tests the ASL reported.
//! Cancelled tests are excluded. A test counts for the ASL of its titolare. For the ASL counts,
//! the latest send for one ASL and test date replaces the earlier ones: §4.4.2 sends "the number
//! of tests done on a day", so a second send for that day is a correction, not more tests.
//!
//! A daily send is claimed in the store before it starts, so several gateways sharing one
//! PostgreSQL, or a restart, never send one day twice: the first claim wins; a claim left by a
//! gateway that died mid-send may be taken over once it is older than the caller's bound.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Pool, Type};

use super::backend::Backend;
use super::columns::{day, StoredRow};
use super::StoreError;
use crate::domain::{AslCode, RegionCode};

/// The four figures of §5.4 for one ASL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportFigures {
    pub region_code: RegionCode,
    pub region_name: String,
    pub asl_code: AslCode,
    pub asl_name: String,
    /// "Numero test sierologici eseguiti dal medico (scuola statale)": not cancelled, on the
    /// titolare's list.
    pub listed_staff_tests: i64,
    /// "Numero kit assegnati al medico (scuola statale)": listed staff of the ASL's MMGs.
    pub kits_assigned: i64,
    /// "Numero test sierologici eseguiti dal medico (scuola paritaria)": not cancelled, not on
    /// the titolare's list.
    pub off_list_tests: i64,
    /// "Numero test sierologici eseguiti dalla ASL": the latest count of each test date, summed.
    pub asl_tests: i64,
}

/// Reached through [`super::Store::commissioner`].
#[async_trait::async_trait]
pub trait Commissioner: Send + Sync {
    /// Every ASL of the registry with its figures (zeros included), by region and ASL code.
    async fn figures(&self) -> Result<Vec<ReportFigures>, StoreError>;

    /// Claims the send of `report_day` for `claimant` (a token unique to this attempt). False
    /// when it was sent already, or another claim newer than `stale_before` is in progress.
    async fn claim_daily_send(
        &self,
        report_day: NaiveDate,
        claimant: &str,
        now: DateTime<Utc>,
        stale_before: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Marks `claimant`'s claim of `report_day` as sent, with the archive's SHA-256 (hex).
    async fn complete_daily_send(
        &self,
        report_day: NaiveDate,
        claimant: &str,
        now: DateTime<Utc>,
        archive_sha256: &str,
    ) -> Result<(), StoreError>;

    /// Gives up `claimant`'s claim of `report_day` (the send failed): a later attempt may claim it.
    async fn release_daily_send(
        &self,
        report_day: NaiveDate,
        claimant: &str,
    ) -> Result<(), StoreError>;

    /// Whether `report_day`'s report was sent.
    async fn daily_send_done(&self, report_day: NaiveDate) -> Result<bool, StoreError>;
}

const ASLS: &str = "SELECT a.region_code, COALESCE(r.name, ''), a.code, a.name FROM asl a \
     LEFT JOIN regions r ON r.code = a.region_code ORDER BY a.region_code, a.code";

const MMG_TESTS: &str = "SELECT m.region_code, m.asl_code, \
     CAST(SUM(CASE WHEN t.on_list THEN 1 ELSE 0 END) AS BIGINT), \
     CAST(SUM(CASE WHEN t.on_list THEN 0 ELSE 1 END) AS BIGINT) \
     FROM serology_tests t JOIN mmg m ON m.cf = t.titolare_cf \
     WHERE t.cancelled_at_ms IS NULL GROUP BY m.region_code, m.asl_code";

const KITS: &str = "SELECT m.region_code, m.asl_code, COUNT(*) FROM school_staff s \
     JOIN mmg m ON m.cf = s.mmg_cf GROUP BY m.region_code, m.asl_code";

const ASL_TESTS: &str = "SELECT c.region_code, c.asl_code, CAST(SUM(c.tests) AS BIGINT) \
     FROM asl_test_counts c \
     WHERE c.region_code IS NOT NULL AND c.asl_code IS NOT NULL AND NOT EXISTS ( \
         SELECT 1 FROM asl_test_counts later WHERE later.region_code = c.region_code \
         AND later.asl_code = c.asl_code AND later.test_date = c.test_date \
         AND (later.sent_at_ms > c.sent_at_ms \
              OR (later.sent_at_ms = c.sent_at_ms AND later.transaction_id > c.transaction_id))) \
     GROUP BY c.region_code, c.asl_code";

const CLAIM: &str = "INSERT INTO commissioner_report_sends \
     (report_day, state, claimant, claimed_at_ms) VALUES ($1, 'sending', $2, $3) \
     ON CONFLICT (report_day) DO UPDATE SET claimant = excluded.claimant, \
     claimed_at_ms = excluded.claimed_at_ms \
     WHERE commissioner_report_sends.state = 'sending' \
     AND commissioner_report_sends.claimed_at_ms < $4";

const COMPLETE: &str = "UPDATE commissioner_report_sends SET state = 'sent', sent_at_ms = $3, \
     archive_sha256 = $4 WHERE report_day = $1 AND claimant = $2";

const RELEASE: &str = "DELETE FROM commissioner_report_sends \
     WHERE report_day = $1 AND claimant = $2 AND state = 'sending'";

const DONE: &str =
    "SELECT COUNT(*) FROM commissioner_report_sends WHERE report_day = $1 AND state = 'sent'";

/// Adds one grouped figure to the ASL it belongs to; a group of an ASL the registry no longer
/// has is left out (its MMG or count names an ASL that was removed).
fn add_to(
    figures: &mut [ReportFigures],
    rows: Vec<(String, String, i64)>,
    field: fn(&mut ReportFigures) -> &mut i64,
) {
    for (region_code, asl_code, count) in rows {
        if let Some(asl) = figures
            .iter_mut()
            .find(|f| f.region_code.as_str() == region_code && f.asl_code.as_str() == asl_code)
        {
            *field(asl) += count;
        }
    }
}

#[async_trait::async_trait]
impl<DB: Backend> Commissioner for Pool<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'c> &'c Pool<DB>: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
{
    async fn figures(&self) -> Result<Vec<ReportFigures>, StoreError> {
        let context = "computing the Commissioner's figures failed";
        let asls: Vec<(String, String, String, String)> = sqlx::query_as(ASLS)
            .fetch_all(self)
            .await
            .map_err(StoreError::query(context))?;
        let mut figures = asls
            .into_iter()
            .map(|(region_code, region_name, asl_code, asl_name)| {
                let stored = StoredRow::new("asl", &asl_code);
                Ok(ReportFigures {
                    region_code: stored.region("region_code", &region_code)?,
                    asl_code: stored.asl("code", &asl_code)?,
                    region_name,
                    asl_name,
                    listed_staff_tests: 0,
                    kits_assigned: 0,
                    off_list_tests: 0,
                    asl_tests: 0,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let tests: Vec<(String, String, i64, i64)> = sqlx::query_as(MMG_TESTS)
            .fetch_all(self)
            .await
            .map_err(StoreError::query(context))?;
        let (listed, off_list): (Vec<_>, Vec<_>) = tests
            .into_iter()
            .map(|(r, a, on, off)| ((r.clone(), a.clone(), on), (r, a, off)))
            .unzip();
        add_to(&mut figures, listed, |f| &mut f.listed_staff_tests);
        add_to(&mut figures, off_list, |f| &mut f.off_list_tests);
        let kits: Vec<(String, String, i64)> = sqlx::query_as(KITS)
            .fetch_all(self)
            .await
            .map_err(StoreError::query(context))?;
        add_to(&mut figures, kits, |f| &mut f.kits_assigned);
        let asl_tests: Vec<(String, String, i64)> = sqlx::query_as(ASL_TESTS)
            .fetch_all(self)
            .await
            .map_err(StoreError::query(context))?;
        add_to(&mut figures, asl_tests, |f| &mut f.asl_tests);
        Ok(figures)
    }

    async fn claim_daily_send(
        &self,
        report_day: NaiveDate,
        claimant: &str,
        now: DateTime<Utc>,
        stale_before: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let result = sqlx::query(CLAIM)
            .bind(day(report_day))
            .bind(claimant)
            .bind(now.timestamp_millis())
            .bind(stale_before.timestamp_millis())
            .execute(self)
            .await
            .map_err(StoreError::query(
                "claiming the Commissioner's daily send failed",
            ))?;
        Ok(DB::rows_affected(&result) == 1)
    }

    async fn complete_daily_send(
        &self,
        report_day: NaiveDate,
        claimant: &str,
        now: DateTime<Utc>,
        archive_sha256: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(COMPLETE)
            .bind(day(report_day))
            .bind(claimant)
            .bind(now.timestamp_millis())
            .bind(archive_sha256)
            .execute(self)
            .await
            .map_err(StoreError::query(
                "recording the Commissioner's daily send failed",
            ))?;
        Ok(())
    }

    async fn release_daily_send(
        &self,
        report_day: NaiveDate,
        claimant: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(RELEASE)
            .bind(day(report_day))
            .bind(claimant)
            .execute(self)
            .await
            .map_err(StoreError::query(
                "releasing the Commissioner's daily send failed",
            ))?;
        Ok(())
    }

    async fn daily_send_done(&self, report_day: NaiveDate) -> Result<bool, StoreError> {
        let sent: i64 = sqlx::query_scalar(DONE)
            .bind(day(report_day))
            .fetch_one(self)
            .await
            .map_err(StoreError::query(
                "reading the Commissioner's daily sends failed",
            ))?;
        Ok(sent > 0)
    }
}
