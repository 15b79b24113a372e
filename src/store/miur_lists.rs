//! The MIUR files of school staff as the store sees them (seed 003 §2.4–§2.5, docs/miur.md):
//! a file's CFs staged under the import's own id, the figures counted from them against the
//! registry, then the state-school staff matched to an MMG put on the doctors' lists
//! (`school_staff`, §3.4.1 and §4.4.1) in place of that kind's previous list, and the staged
//! rows removed. What the paritarie statistic needs of the registry (regions, and the
//! municipalities each ASL has in a province) is read here too.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Pool, Type};

use super::backend::{begin, insert_chunked, Backend, Insert};
use super::columns::{day, StoredRow};
use super::miur_statistics::{AslFigures, Figures, MiurKind};
use super::patients::Region;
use super::staging::StagedImport;
use super::StoreError;
use crate::domain::{AslCode, CodiceFiscale, RegionCode};

/// A CF of a staff file waiting in the import's staging.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StagedStaff {
    pub cf: CodiceFiscale,
    /// A paritaria row of the Trento/Bolzano file (§2.4.3): counted, never listed.
    pub paritaria: bool,
}

/// What the staged CFs count against the registry (§2.4.1, §2.4.3).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StaffFigures {
    /// Distinct staged CFs found in the registry ("Numero codici fiscali validati").
    pub validated_cfs: u64,
    /// Per ASL of the assistito, ordered by region and ASL code.
    pub per_asl: Vec<AslFigures>,
}

/// What replacing a kind's list did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ListReplaced {
    /// Members of this kind's list now (on an MMG's list).
    pub listed: u64,
    /// Members of the previous list no longer on it (not in the new file, or no longer
    /// matched: §2.5).
    pub removed: u64,
}

/// How many municipalities of a province an ASL covers (§2.4.2's placement rule).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvinceAsl {
    /// Two-letter sigla, upper case.
    pub province: String,
    pub region_code: RegionCode,
    pub asl_code: AslCode,
    pub municipalities: u64,
}

/// Reached through [`super::Store::miur_lists`].
#[async_trait::async_trait]
pub trait MiurLists: Send + Sync {
    /// Removes what staff imports that began before `before` left staged; returns how many rows.
    async fn purge_abandoned(&self, before: DateTime<Utc>) -> Result<u64, StoreError>;

    /// Adds CFs of a file to this import's staging (one transaction per call): a CF staged
    /// again, in this call or an earlier one, stays one row, statale if any of its lines is and
    /// paritaria if any is.
    async fn stage(&self, import: &StagedImport, rows: &[StagedStaff]) -> Result<(), StoreError>;

    /// Counts this import's distinct CFs against the registry: validated CFs, and per ASL of
    /// the assistito the state-school staff alive with an MMG, the others found, and the
    /// paritaria ones found.
    async fn figures(&self, import: &StagedImport) -> Result<StaffFigures, StoreError>;

    /// In one transaction: `kind`'s list becomes this import's state-school staff who are
    /// alive with an MMG (the others of its previous list are deleted, §2.5), a member's
    /// "Data ultimo aggiornamento" becoming `today` when they join a list or change MMG; and
    /// this import's staged rows are removed. `kind` is [`MiurKind::Statali`] or
    /// [`MiurKind::TrentoBolzano`] (the paritarie have no list).
    async fn replace_list(
        &self,
        import: &StagedImport,
        kind: MiurKind,
        today: NaiveDate,
    ) -> Result<ListReplaced, StoreError>;

    /// Removes this import's staged rows (after a failure; replacing removes them too).
    async fn clear(&self, import: &StagedImport) -> Result<(), StoreError>;

    /// The registry's regions, by code.
    async fn regions(&self) -> Result<Vec<Region>, StoreError>;

    /// For every province, how many of its municipalities each ASL covers.
    async fn province_asls(&self) -> Result<Vec<ProvinceAsl>, StoreError>;
}

const PURGE_ABANDONED: &str = "DELETE FROM miur_staff_import WHERE staged_at_ms < $1";

/// Rows of one call are merged by CF before they are sent (PostgreSQL refuses to update a row
/// twice in one statement).
const STAGE: Insert = Insert {
    into: "INSERT INTO miur_staff_import (import_id, cf, staged_at_ms, statale, paritaria)",
    columns: 5,
    suffix: " ON CONFLICT (import_id, cf) DO UPDATE SET \
     statale = miur_staff_import.statale OR excluded.statale, \
     paritaria = miur_staff_import.paritaria OR excluded.paritaria",
};

/// One pass over the staging in CF order, each CF found once in the registry (a staged CF is
/// one row): the CFs found ("validated"), and of them the state-school staff alive with an MMG
/// ("with"), the other state-school staff ("without") and the paritaria ones.
const FIGURES: &str = "SELECT a.region_code, a.asl_code, COUNT(*), \
     SUM(CASE WHEN s.statale AND a.status = 'vivo' AND a.mmg_cf IS NOT NULL THEN 1 ELSE 0 END), \
     SUM(CASE WHEN s.statale AND NOT (a.status = 'vivo' AND a.mmg_cf IS NOT NULL) THEN 1 ELSE 0 END), \
     SUM(CASE WHEN s.paritaria THEN 1 ELSE 0 END) \
     FROM miur_staff_import s JOIN assistiti a ON a.cf = s.cf WHERE s.import_id = $1 \
     GROUP BY a.region_code, a.asl_code ORDER BY a.region_code, a.asl_code";

/// This kind's members who are not, in this import, state-school staff alive with an MMG.
const REMOVE_UNLISTED: &str = "DELETE FROM school_staff WHERE kind = $2 AND NOT EXISTS \
     (SELECT 1 FROM miur_staff_import s JOIN assistiti a ON a.cf = s.cf \
      WHERE s.import_id = $1 AND s.cf = school_staff.cf AND s.statale \
      AND a.status = 'vivo' AND a.mmg_cf IS NOT NULL)";

/// The date moves only when the member is new or their MMG changed; a member whose MMG and
/// kind are unchanged is not written at all (a file sent again rewrites nothing, where every
/// rewrite touched the list's three indexes).
const LIST_MATCHED: &str = "INSERT INTO school_staff (cf, updated_on, mmg_cf, kind) \
     SELECT s.cf, $3, a.mmg_cf, $2 FROM miur_staff_import s \
     JOIN assistiti a ON a.cf = s.cf \
     WHERE s.import_id = $1 AND s.statale AND a.status = 'vivo' AND a.mmg_cf IS NOT NULL \
     ON CONFLICT (cf) DO UPDATE SET \
     updated_on = CASE WHEN school_staff.mmg_cf = excluded.mmg_cf \
     THEN school_staff.updated_on ELSE excluded.updated_on END, \
     mmg_cf = excluded.mmg_cf, kind = excluded.kind \
     WHERE school_staff.mmg_cf IS DISTINCT FROM excluded.mmg_cf OR school_staff.kind <> excluded.kind";

const COUNT_LISTED: &str = "SELECT COUNT(*) FROM school_staff WHERE kind = $1";

const CLEAR: &str = "DELETE FROM miur_staff_import WHERE import_id = $1";

const REGIONS: &str = "SELECT code, name FROM regions ORDER BY code";

const PROVINCE_ASLS: &str = "SELECT province, region_code, asl_code, COUNT(DISTINCT code) \
     FROM municipalities GROUP BY province, region_code, asl_code \
     ORDER BY province, region_code, asl_code";

/// A staged CF with its lines' kinds merged.
struct MergedStaff<'a> {
    cf: &'a str,
    statale: bool,
    paritaria: bool,
}

/// `rows` in CF order, one a CF: the staging's B-tree is then written in order, and a
/// statement never names one CF twice.
fn merged_by_cf(rows: &[StagedStaff]) -> Vec<MergedStaff<'_>> {
    let mut sorted: Vec<&StagedStaff> = rows.iter().collect();
    sorted.sort_unstable_by(|a, b| a.cf.as_str().cmp(b.cf.as_str()));
    let mut merged: Vec<MergedStaff<'_>> = Vec::with_capacity(sorted.len());
    for row in sorted {
        match merged.last_mut() {
            Some(last) if last.cf == row.cf.as_str() => {
                last.statale |= !row.paritaria;
                last.paritaria |= row.paritaria;
            }
            _ => merged.push(MergedStaff {
                cf: row.cf.as_str(),
                statale: !row.paritaria,
                paritaria: row.paritaria,
            }),
        }
    }
    merged
}

fn count(stored: &StoredRow<'_>, column: &'static str, value: i64) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| stored.corrupt(column, &value.to_string(), "a count"))
}

#[async_trait::async_trait]
impl<DB: Backend> MiurLists for Pool<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'c> &'c Pool<DB>: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> bool: Encode<'q, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
{
    async fn purge_abandoned(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let purged = sqlx::query(PURGE_ABANDONED)
            .bind(before.timestamp_millis())
            .execute(self)
            .await
            .map_err(StoreError::query("removing abandoned staged staff failed"))?;
        Ok(DB::rows_affected(&purged))
    }

    async fn stage(&self, import: &StagedImport, rows: &[StagedStaff]) -> Result<(), StoreError> {
        let started = import.started.timestamp_millis();
        let merged = merged_by_cf(rows);
        insert_chunked(self, "staging staff failed", &merged, STAGE, |query, r| {
            query
                .bind(import.id)
                .bind(r.cf)
                .bind(started)
                .bind(r.statale)
                .bind(r.paritaria)
        })
        .await
    }

    async fn figures(&self, import: &StagedImport) -> Result<StaffFigures, StoreError> {
        let context = "counting the staged staff failed";
        let rows: Vec<(String, String, i64, i64, i64, i64)> = sqlx::query_as(FIGURES)
            .bind(import.id)
            .fetch_all(self)
            .await
            .map_err(StoreError::query(context))?;
        let mut per_asl = Vec::with_capacity(rows.len());
        let mut validated_cfs = 0;
        for (region, asl, found, with_mmg, without_mmg, paritarie) in rows {
            let key = format!("{region}/{asl}");
            let stored = StoredRow::new("assistiti", &key);
            validated_cfs += count(&stored, "found", found)?;
            per_asl.push(AslFigures {
                region_code: stored.region("region_code", &region)?,
                asl_code: stored.asl("asl_code", &asl)?,
                figures: Figures {
                    with_mmg: count(&stored, "with_mmg", with_mmg)?,
                    without_mmg: count(&stored, "without_mmg", without_mmg)?,
                    paritarie: count(&stored, "paritarie", paritarie)?,
                },
            });
        }
        Ok(StaffFigures {
            validated_cfs,
            per_asl,
        })
    }

    async fn replace_list(
        &self,
        import: &StagedImport,
        kind: MiurKind,
        today: NaiveDate,
    ) -> Result<ListReplaced, StoreError> {
        let context = "replacing a school-staff list failed";
        let mut tx = begin(self, context).await?;
        let removed = sqlx::query(REMOVE_UNLISTED)
            .bind(import.id)
            .bind(kind.as_str())
            .execute(&mut *tx)
            .await
            .map_err(StoreError::query(context))?;
        sqlx::query(LIST_MATCHED)
            .bind(import.id)
            .bind(kind.as_str())
            .bind(day(today))
            .execute(&mut *tx)
            .await
            .map_err(StoreError::query(context))?;
        let listed: i64 = sqlx::query_scalar(COUNT_LISTED)
            .bind(kind.as_str())
            .fetch_one(&mut *tx)
            .await
            .map_err(StoreError::query(context))?;
        sqlx::query(CLEAR)
            .bind(import.id)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::query(context))?;
        tx.commit().await.map_err(StoreError::query(context))?;
        Ok(ListReplaced {
            listed: u64::try_from(listed).unwrap_or(0),
            removed: DB::rows_affected(&removed),
        })
    }

    async fn clear(&self, import: &StagedImport) -> Result<(), StoreError> {
        sqlx::query(CLEAR)
            .bind(import.id)
            .execute(self)
            .await
            .map_err(StoreError::query("removing staged staff failed"))?;
        Ok(())
    }

    async fn regions(&self) -> Result<Vec<Region>, StoreError> {
        let rows: Vec<(String, String)> = sqlx::query_as(REGIONS)
            .fetch_all(self)
            .await
            .map_err(StoreError::query("reading the regions failed"))?;
        rows.into_iter()
            .map(|(code, name)| {
                Ok(Region {
                    code: StoredRow::new("regions", &code).region("code", &code)?,
                    name,
                })
            })
            .collect()
    }

    async fn province_asls(&self) -> Result<Vec<ProvinceAsl>, StoreError> {
        let rows: Vec<(String, String, String, i64)> = sqlx::query_as(PROVINCE_ASLS)
            .fetch_all(self)
            .await
            .map_err(StoreError::query("counting municipalities per ASL failed"))?;
        rows.into_iter()
            .map(|(province, region, asl, municipalities)| {
                let stored = StoredRow::new("municipalities", &province);
                Ok(ProvinceAsl {
                    region_code: stored.region("region_code", &region)?,
                    asl_code: stored.asl("asl_code", &asl)?,
                    municipalities: count(&stored, "code", municipalities)?,
                    province,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn staff(cf: &str, paritaria: bool) -> StagedStaff {
        StagedStaff {
            cf: CodiceFiscale::parse(cf).expect("a valid CF"),
            paritaria,
        }
    }

    #[test]
    fn staged_rows_are_sorted_one_a_cf_with_their_kinds_merged() {
        let rows = [
            staff("MNTMTN58C54F257A", false),
            staff("XUXRRT52H50L378O", true),
            staff("MNTMTN58C54F257A", true),
            staff("XUXRRT52H50L378O", true),
            staff("OUXDVD79T15D643Z", false),
        ];
        let merged: Vec<(&str, bool, bool)> = merged_by_cf(&rows)
            .iter()
            .map(|m| (m.cf, m.statale, m.paritaria))
            .collect();
        assert_eq!(
            merged,
            [
                ("MNTMTN58C54F257A", true, true),
                ("OUXDVD79T15D643Z", true, false),
                ("XUXRRT52H50L378O", false, true),
            ]
        );
    }
}
