//! The MIUR files of school staff as the store sees them (seed 003 §2.4–§2.5; README, "MIUR
//! staff lists"): a file's CFs staged in temporary tables of the import's own connection and
//! matched to the registry in one pass; the figures counted from them; then the state-school
//! staff matched to an MMG put on the doctors' lists (`school_staff`, §3.4.1 and §4.4.1) in
//! place of that kind's previous list. What the paritarie statistic needs of the registry
//! (regions, and the municipalities each ASL has in a province) is read here too.

use chrono::NaiveDate;
use sqlx::pool::PoolConnection;
use sqlx::{
    ColumnIndex, Connection, Database, Decode, Encode, Executor, IntoArguments, Pool, Type,
};

use super::backend::{insert_rows, Backend, Insert};
use super::columns::{day, StoredRow};
use super::miur_statistics::{AslFigures, Figures, MiurKind};
use super::patients::Region;
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
    /// Opens the staging of one staff file: a temporary table on a connection of the import's
    /// own, so no other import sees it, and nothing of it reaches the database's file or its
    /// log. Dropping the staging closes that connection, and the table goes with it, whether
    /// the import finished, failed or was cancelled: no staged CF outlives its import.
    async fn open_staging(&self) -> Result<Box<dyn StaffStaging>, StoreError>;

    /// The registry's regions, by code.
    async fn regions(&self) -> Result<Vec<Region>, StoreError>;

    /// For every province, how many of its municipalities each ASL covers.
    async fn province_asls(&self) -> Result<Vec<ProvinceAsl>, StoreError>;
}

/// One staff file's CFs (see [`MiurLists::open_staging`]): staged, then matched to the registry
/// once, in CF order, by the first count or list replacement.
#[async_trait::async_trait]
pub trait StaffStaging: Send {
    /// Stages `rows`: a CF staged again, in this call or an earlier one, stays one row,
    /// statale if any of its lines is and paritaria if any is.
    async fn stage(&mut self, rows: &[StagedStaff]) -> Result<(), StoreError>;

    /// Counts the staged CFs found in the registry: validated CFs, and per ASL of the
    /// assistito the state-school staff alive with an MMG, the other state-school staff and
    /// the paritaria ones.
    async fn figures(&mut self) -> Result<StaffFigures, StoreError>;

    /// In one transaction: `kind`'s list becomes the staged state-school staff who are alive
    /// with an MMG (the others of its previous list are deleted, §2.5), a member's "Data ultimo
    /// aggiornamento" becoming `today` when they join a list or change MMG. `kind` is
    /// [`MiurKind::Statali`] or [`MiurKind::TrentoBolzano`] (the paritarie have no list).
    async fn replace_list(
        &mut self,
        kind: MiurKind,
        today: NaiveDate,
    ) -> Result<ListReplaced, StoreError>;
}

/// The tables a staging left on a connection that went back to the pool anyway (it never
/// does: the connection is closed when the staging is dropped) are dropped before new ones are
/// made.
const DROP_STAGING: [&str; 2] = [
    "DROP TABLE IF EXISTS miur_staff_staged",
    "DROP TABLE IF EXISTS miur_staff_matched",
];

/// The file's CFs as they come, keyed by CF: a CF on several lines is one row.
const CREATE_STAGED: &str = "CREATE TEMPORARY TABLE miur_staff_staged (\
     cf TEXT PRIMARY KEY, statale BOOLEAN NOT NULL, paritaria BOOLEAN NOT NULL)";

/// The staged CFs found in the registry, with what the figures and the list need of it:
/// `mmg_cf` is the MMG of a living assistito (NULL for the deceased and emigrated, whom §2.5
/// never lists).
const CREATE_MATCHED: &str = "CREATE TEMPORARY TABLE miur_staff_matched (\
     cf TEXT PRIMARY KEY, statale BOOLEAN NOT NULL, paritaria BOOLEAN NOT NULL, \
     region_code TEXT NOT NULL, asl_code TEXT NOT NULL, mmg_cf TEXT)";

/// The rows of one call are merged by CF before they are sent (PostgreSQL refuses to update a
/// row twice in one statement).
const STAGE: Insert = Insert {
    into: "INSERT INTO miur_staff_staged (cf, statale, paritaria)",
    columns: 3,
    suffix: " ON CONFLICT (cf) DO UPDATE SET \
     statale = miur_staff_staged.statale OR excluded.statale, \
     paritaria = miur_staff_staged.paritaria OR excluded.paritaria",
};

/// One pass over the whole file's CFs in CF order: each registry page is read once (looked up
/// batch by batch, a million CFs read the registry once a batch), and the matched rows are
/// appended in key order.
const MATCH: &str = "INSERT INTO miur_staff_matched \
     (cf, statale, paritaria, region_code, asl_code, mmg_cf) \
     SELECT s.cf, s.statale, s.paritaria, a.region_code, a.asl_code, \
     CASE WHEN a.status = 'vivo' THEN a.mmg_cf END \
     FROM miur_staff_staged s JOIN assistiti a ON a.cf = s.cf ORDER BY s.cf";

/// Every matched CF is a validated one. PostgreSQL sums the groups in a hash table.
const FIGURES: &str = "SELECT region_code, asl_code, COUNT(*), \
     SUM(CASE WHEN statale AND mmg_cf IS NOT NULL THEN 1 ELSE 0 END), \
     SUM(CASE WHEN statale AND mmg_cf IS NULL THEN 1 ELSE 0 END), \
     SUM(CASE WHEN paritaria THEN 1 ELSE 0 END) \
     FROM miur_staff_matched GROUP BY region_code, asl_code ORDER BY region_code, asl_code";

/// SQLite would sort a million rows for that `GROUP BY` (1.1 s); adding each row into a table
/// of one row an ASL costs half as much.
const SQLITE_FIGURES: [&str; 3] = [
    "CREATE TEMPORARY TABLE miur_staff_figures (region_code TEXT NOT NULL, \
     asl_code TEXT NOT NULL, found INTEGER NOT NULL, with_mmg INTEGER NOT NULL, \
     without_mmg INTEGER NOT NULL, paritarie INTEGER NOT NULL, \
     PRIMARY KEY (region_code, asl_code)) WITHOUT ROWID",
    "INSERT INTO miur_staff_figures SELECT region_code, asl_code, 1, \
     statale AND mmg_cf IS NOT NULL, statale AND mmg_cf IS NULL, paritaria \
     FROM miur_staff_matched WHERE true ON CONFLICT DO UPDATE SET found = found + 1, \
     with_mmg = with_mmg + excluded.with_mmg, without_mmg = without_mmg + excluded.without_mmg, \
     paritarie = paritarie + excluded.paritarie",
    "SELECT region_code, asl_code, found, with_mmg, without_mmg, paritarie \
     FROM miur_staff_figures ORDER BY region_code, asl_code",
];

/// This kind's members who are not, in this file, state-school staff alive with an MMG.
const REMOVE_UNLISTED: &str = "DELETE FROM school_staff WHERE kind = $1 AND NOT EXISTS \
     (SELECT 1 FROM miur_staff_matched s \
      WHERE s.cf = school_staff.cf AND s.statale AND s.mmg_cf IS NOT NULL)";

/// The date moves only when the member is new or their MMG changed; a member whose MMG and
/// kind are unchanged is not written at all (a file sent again rewrites nothing, where every
/// rewrite touched the list's indexes).
const LIST_MATCHED: &str = "INSERT INTO school_staff (cf, updated_on, mmg_cf, kind) \
     SELECT cf, $2, mmg_cf, $1 FROM miur_staff_matched WHERE statale AND mmg_cf IS NOT NULL \
     ON CONFLICT (cf) DO UPDATE SET \
     updated_on = CASE WHEN school_staff.mmg_cf = excluded.mmg_cf \
     THEN school_staff.updated_on ELSE excluded.updated_on END, \
     mmg_cf = excluded.mmg_cf, kind = excluded.kind \
     WHERE school_staff.mmg_cf IS DISTINCT FROM excluded.mmg_cf OR school_staff.kind <> excluded.kind";

const COUNT_LISTED: &str = "SELECT COUNT(*) FROM school_staff WHERE kind = $1";

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
    async fn open_staging(&self) -> Result<Box<dyn StaffStaging>, StoreError> {
        let context = "opening a staff file's staging failed";
        let mut conn = self.acquire().await.map_err(StoreError::query(context))?;
        conn.close_on_drop();
        let keyed = |sql: &str| format!("{sql}{}", DB::KEYED_TABLE);
        let create = [keyed(CREATE_STAGED), keyed(CREATE_MATCHED)];
        let setup = DB::BULK_CONNECTION.iter().chain(&DROP_STAGING).copied();
        for sql in setup.chain(create.iter().map(String::as_str)) {
            sqlx::query(sql)
                .execute(&mut *conn)
                .await
                .map_err(StoreError::query(context))?;
        }
        Ok(Box::new(TemporaryStaging {
            conn,
            matched: false,
        }))
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

/// A staff file's staging: its temporary tables live on `conn`, which is closed, not returned
/// to the pool, when this is dropped.
struct TemporaryStaging<DB: Database> {
    conn: PoolConnection<DB>,
    /// Whether the staged CFs were matched to the registry (once all are staged).
    matched: bool,
}

impl<DB: Backend> TemporaryStaging<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
{
    /// Matches the staged CFs to the registry, the first time it is asked.
    async fn match_registry(&mut self) -> Result<(), StoreError> {
        if !self.matched {
            sqlx::query(MATCH)
                .execute(&mut *self.conn)
                .await
                .map_err(StoreError::query("matching the staged staff failed"))?;
            self.matched = true;
        }
        Ok(())
    }

    /// Per ASL: the CFs found, with an MMG, without, paritaria.
    async fn figures_per_asl(
        &mut self,
    ) -> Result<Vec<(String, String, i64, i64, i64, i64)>, sqlx::Error>
    where
        for<'q> String: Decode<'q, DB> + Type<DB>,
        for<'q> i64: Decode<'q, DB> + Type<DB>,
        usize: ColumnIndex<DB::Row>,
    {
        if !DB::GROUP_BY_SORTS {
            return sqlx::query_as(FIGURES).fetch_all(&mut *self.conn).await;
        }
        let [create, sum, read] = SQLITE_FIGURES;
        for sql in ["DROP TABLE IF EXISTS miur_staff_figures", create, sum] {
            sqlx::query(sql).execute(&mut *self.conn).await?;
        }
        sqlx::query_as(read).fetch_all(&mut *self.conn).await
    }
}

#[async_trait::async_trait]
impl<DB: Backend> StaffStaging for TemporaryStaging<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> bool: Encode<'q, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
{
    async fn stage(&mut self, rows: &[StagedStaff]) -> Result<(), StoreError> {
        let context = "staging staff failed";
        if self.matched {
            // Staged after a count: the next one matches the whole staging again.
            sqlx::query("DELETE FROM miur_staff_matched")
                .execute(&mut *self.conn)
                .await
                .map_err(StoreError::query(context))?;
            self.matched = false;
        }
        let merged = merged_by_cf(rows);
        let mut tx = self
            .conn
            .begin()
            .await
            .map_err(StoreError::query(context))?;
        insert_rows(&mut tx, context, &merged, STAGE, |query, r| {
            query.bind(r.cf).bind(r.statale).bind(r.paritaria)
        })
        .await?;
        tx.commit().await.map_err(StoreError::query(context))
    }

    async fn figures(&mut self) -> Result<StaffFigures, StoreError> {
        self.match_registry().await?;
        let rows = self
            .figures_per_asl()
            .await
            .map_err(StoreError::query("counting the staged staff failed"))?;
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
        &mut self,
        kind: MiurKind,
        today: NaiveDate,
    ) -> Result<ListReplaced, StoreError> {
        let context = "replacing a school-staff list failed";
        self.match_registry().await?;
        let mut tx = self
            .conn
            .begin_with(DB::BEGIN_WRITE)
            .await
            .map_err(StoreError::query(context))?;
        let removed = sqlx::query(REMOVE_UNLISTED)
            .bind(kind.as_str())
            .execute(&mut *tx)
            .await
            .map_err(StoreError::query(context))?;
        sqlx::query(LIST_MATCHED)
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
        tx.commit().await.map_err(StoreError::query(context))?;
        Ok(ListReplaced {
            listed: u64::try_from(listed).unwrap_or(0),
            removed: DB::rows_affected(&removed),
        })
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
