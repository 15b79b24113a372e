//! What a registry import stages before it applies (docs/registry.md): the assistiti file, staged
//! under the import's own id and applied in one transaction in CF order, and the school-staff
//! lists matched again to the registry once it changed (seed 003 §2.5; the lists themselves
//! come from the MIUR files, [`super::MiurLists`]).

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Pool, Type};

use super::backend::{begin, insert_chunked, Backend, Insert};
use super::columns::{day, StoredRow};
use super::patients::Assistito;
use super::StoreError;
use crate::domain::{CodiceFiscale, OperatorCf};

/// One import's rows in the staging table: a random id, so imports running at the same time
/// never see each other's rows, and when the import began, so a later one can remove what an
/// interrupted one left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StagedImport {
    pub id: i64,
    pub started: DateTime<Utc>,
}

impl StagedImport {
    pub fn begin(now: DateTime<Utc>) -> StagedImport {
        StagedImport {
            id: rand::random::<i64>() & i64::MAX,
            started: now,
        }
    }
}

/// A row of the assistiti file waiting in the import's staging table, with its line in the
/// file (to name the lines of a duplicated CF).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StagedAssistito {
    pub line: u64,
    pub assistito: Assistito,
}

/// What applying a staged assistiti file did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StagedApply {
    /// Every staged row is in the registry (inserted or updated).
    Applied { rows: u64 },
    /// A CF is on two lines of the file: nothing was applied.
    DuplicateCf {
        cf: CodiceFiscale,
        first_line: u64,
        second_line: u64,
    },
}

/// What matching the staff list against the registry did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StaffMatch {
    /// Staff now on some MMG's list.
    pub matched: u64,
    /// Staff deleted: not in the registry, deceased, emigrated, or without an MMG (§2.5).
    pub removed: u64,
}

/// The import's staging. Reached through [`super::Store::staging`].
#[async_trait::async_trait]
pub trait Staging: Send + Sync {
    /// Removes what imports that began before `before` left staged (they were interrupted);
    /// returns how many rows.
    async fn purge_abandoned(&self, before: DateTime<Utc>) -> Result<u64, StoreError>;

    /// Appends rows of an assistiti file to this import's staging (one transaction per call).
    async fn stage_assistiti(
        &self,
        import: &StagedImport,
        rows: &[StagedAssistito],
    ) -> Result<(), StoreError>;

    /// Upserts this import's staged rows into the registry in CF order, in one transaction that
    /// also removes them from the staging; applies nothing if a CF is staged twice.
    async fn apply_staged_assistiti(
        &self,
        import: &StagedImport,
    ) -> Result<StagedApply, StoreError>;

    /// Removes this import's staged rows (after a failure; applying removes them too).
    async fn clear_staged_assistiti(&self, import: &StagedImport) -> Result<(), StoreError>;

    /// Matches the school-staff lists again to the registry: each member gets the MMG of the
    /// living assistito with that CF, their "Data ultimo aggiornamento" becoming `today` if it
    /// changed; the others (now deceased, emigrated, without an MMG or unknown) are deleted
    /// (seed 003 §2.5).
    async fn match_school_staff(&self, today: NaiveDate) -> Result<StaffMatch, StoreError>;
}

const PURGE_ABANDONED: &str = "DELETE FROM assistiti_import WHERE staged_at_ms < $1";

const STAGE_ASSISTITI: Insert = Insert {
    into: "INSERT INTO assistiti_import (import_id, line, staged_at_ms, \
           cf, name, surname, region_code, asl_code, mmg_cf, status)",
    columns: 10,
    suffix: "",
};

const FIRST_DUPLICATE_CF: &str = "SELECT cf, MIN(line), MAX(line) FROM assistiti_import \
     WHERE import_id = $1 GROUP BY cf HAVING COUNT(*) > 1 ORDER BY MIN(line) LIMIT 1";

/// The upsert of [`super::Patients::upsert_assistiti`], from the staging in CF order.
const APPLY_STAGED: &str =
    "INSERT INTO assistiti (cf, name, surname, region_code, asl_code, mmg_cf, status) \
     SELECT cf, name, surname, region_code, asl_code, mmg_cf, status \
     FROM assistiti_import WHERE import_id = $1 ORDER BY cf \
     ON CONFLICT (cf) DO UPDATE SET name = excluded.name, surname = excluded.surname, \
     region_code = excluded.region_code, asl_code = excluded.asl_code, \
     mmg_cf = excluded.mmg_cf, status = excluded.status";

const CLEAR_STAGED: &str = "DELETE FROM assistiti_import WHERE import_id = $1";

/// The MMG a member should have: that of the living assistito with their CF, if any.
const MATCH_SCHOOL_STAFF: &str = "UPDATE school_staff SET updated_on = $1, mmg_cf = \
     (SELECT a.mmg_cf FROM assistiti a WHERE a.cf = school_staff.cf AND a.status = 'vivo') \
     WHERE mmg_cf IS DISTINCT FROM \
     (SELECT a.mmg_cf FROM assistiti a WHERE a.cf = school_staff.cf AND a.status = 'vivo')";
const REMOVE_UNMATCHED_STAFF: &str = "DELETE FROM school_staff WHERE mmg_cf IS NULL";
const COUNT_STAFF: &str = "SELECT COUNT(*) FROM school_staff";

#[async_trait::async_trait]
impl<DB: Backend> Staging for Pool<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'c> &'c Pool<DB>: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
{
    async fn purge_abandoned(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let purged = sqlx::query(PURGE_ABANDONED)
            .bind(before.timestamp_millis())
            .execute(self)
            .await
            .map_err(StoreError::query(
                "removing abandoned staged assistiti failed",
            ))?;
        Ok(DB::rows_affected(&purged))
    }

    async fn stage_assistiti(
        &self,
        import: &StagedImport,
        rows: &[StagedAssistito],
    ) -> Result<(), StoreError> {
        let context = "staging assistiti failed";
        let started = import.started.timestamp_millis();
        insert_chunked(self, context, rows, STAGE_ASSISTITI, |query, r| {
            let a = &r.assistito;
            query
                .bind(import.id)
                .bind(i64::try_from(r.line).unwrap_or(i64::MAX))
                .bind(started)
                .bind(a.cf.as_str())
                .bind(a.name.as_str())
                .bind(a.surname.as_str())
                .bind(a.region_code.as_str())
                .bind(a.asl_code.as_str())
                .bind(a.mmg_cf.as_ref().map(OperatorCf::as_str))
                .bind(a.status.as_str())
        })
        .await
    }

    async fn apply_staged_assistiti(
        &self,
        import: &StagedImport,
    ) -> Result<StagedApply, StoreError> {
        let context = "applying the staged assistiti failed";
        let mut tx = begin(self, context).await?;
        let duplicate: Option<(String, i64, i64)> = sqlx::query_as(FIRST_DUPLICATE_CF)
            .bind(import.id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(StoreError::query(context))?;
        if let Some((cf, first, second)) = duplicate {
            tx.rollback().await.map_err(StoreError::query(context))?;
            return Ok(StagedApply::DuplicateCf {
                cf: StoredRow::new("assistiti_import", &cf).cf("cf", &cf)?,
                first_line: u64::try_from(first).unwrap_or(0),
                second_line: u64::try_from(second).unwrap_or(0),
            });
        }
        let applied = sqlx::query(APPLY_STAGED)
            .bind(import.id)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::query(context))?;
        sqlx::query(CLEAR_STAGED)
            .bind(import.id)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::query(context))?;
        tx.commit().await.map_err(StoreError::query(context))?;
        Ok(StagedApply::Applied {
            rows: DB::rows_affected(&applied),
        })
    }

    async fn clear_staged_assistiti(&self, import: &StagedImport) -> Result<(), StoreError> {
        sqlx::query(CLEAR_STAGED)
            .bind(import.id)
            .execute(self)
            .await
            .map_err(StoreError::query("removing staged assistiti failed"))?;
        Ok(())
    }

    async fn match_school_staff(&self, today: NaiveDate) -> Result<StaffMatch, StoreError> {
        let context = "matching the school-staff list failed";
        let mut tx = begin(self, context).await?;
        sqlx::query(MATCH_SCHOOL_STAFF)
            .bind(day(today))
            .execute(&mut *tx)
            .await
            .map_err(StoreError::query(context))?;
        let removed = sqlx::query(REMOVE_UNMATCHED_STAFF)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::query(context))?;
        let matched: i64 = sqlx::query_scalar(COUNT_STAFF)
            .fetch_one(&mut *tx)
            .await
            .map_err(StoreError::query(context))?;
        tx.commit().await.map_err(StoreError::query(context))?;
        Ok(StaffMatch {
            matched: u64::try_from(matched).unwrap_or(0),
            removed: DB::rows_affected(&removed),
        })
    }
}
