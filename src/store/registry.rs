//! The registry of assistiti (docs/registry.md, from seed 003 §2), the substitutes doctors
//! authorise (§3.3.1), the serology tests they send (§3.5) and the ASLs' daily counts (§4.4.2).
//!
//! The SQL is written once, with `$n` parameters (PostgreSQL's style, which SQLite also reads),
//! and [`registry_queries!`] implements [`Registry`] with it for each backend's pool type.

use chrono::{DateTime, NaiveDate, Utc};

use super::StoreError;

/// A region or autonomous province (3-digit code, e.g. `120` Lazio).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    pub code: String,
    pub name: String,
}

/// An ASL; its 3-digit code is unique within its region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asl {
    pub region_code: String,
    pub code: String,
    pub name: String,
}

/// A municipality (Belfiore code), its province and the ASL that covers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Municipality {
    pub code: String,
    pub name: String,
    pub province: String,
    pub region_code: String,
    pub asl_code: String,
}

/// A family doctor (MMG) and the ASL they belong to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mmg {
    pub cf: String,
    pub surname: String,
    pub name: String,
    pub region_code: String,
    pub asl_code: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssistitoStatus {
    Vivo,
    Deceduto,
    Emigrato,
}

impl AssistitoStatus {
    /// The stored (and CSV) spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            AssistitoStatus::Vivo => "vivo",
            AssistitoStatus::Deceduto => "deceduto",
            AssistitoStatus::Emigrato => "emigrato",
        }
    }

    pub fn parse(text: &str) -> Option<AssistitoStatus> {
        match text.trim().to_ascii_lowercase().as_str() {
            "vivo" => Some(AssistitoStatus::Vivo),
            "deceduto" => Some(AssistitoStatus::Deceduto),
            "emigrato" => Some(AssistitoStatus::Emigrato),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assistito {
    pub cf: String,
    pub name: String,
    pub surname: String,
    pub region_code: String,
    pub asl_code: String,
    pub mmg_cf: Option<String>,
    pub status: AssistitoStatus,
}

/// One import's rows in the staging table: a random id, so imports running at the same time
/// never see each other's rows, and when the import began, so a later one can remove what an
/// interrupted one left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Staging {
    pub id: i64,
    pub started: DateTime<Utc>,
}

impl Staging {
    pub fn begin(now: DateTime<Utc>) -> Staging {
        Staging {
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
        cf: String,
        first_line: u64,
        second_line: u64,
    },
}

/// One row of the state-school staff list: a CF and when its position was last updated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffMember {
    pub cf: String,
    pub updated_on: NaiveDate,
}

/// What matching the staff list against the registry did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StaffMatch {
    /// Staff now on some MMG's list.
    pub matched: u64,
    /// Staff deleted: not in the registry, deceased, emigrated, or without an MMG (§2.5).
    pub removed: u64,
}

/// A titolare's authorisation of a substitute, `from..=to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Substitution {
    pub titolare_cf: String,
    pub substitute_cf: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Substitution {
    pub fn covers(&self, day: NaiveDate) -> bool {
        self.from <= day && day <= self.to
    }
}

/// One patient of an MMG's list (§3.4.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedPatient {
    pub cf: String,
    pub name: String,
    pub surname: String,
    pub updated_on: NaiveDate,
}

/// A serology test as the doctor sends it (§3.4.2); id and time come from the transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSerologyTest {
    pub test_date: NaiveDate,
    pub doctor_cf: String,
    pub titolare_cf: String,
    pub assistito_cf: String,
    pub on_list: bool,
}

/// A daily count of tests an ASL operator sends (§4.4.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAslTestCount {
    pub operator_cf: String,
    pub region_code: Option<String>,
    pub asl_code: Option<String>,
    pub test_date: NaiveDate,
    pub tests: i64,
}

/// The cancellation of a send (§3.4.3), decided by the operation from a [`SendState`] it read;
/// the time and the cancelling transaction's id come from the transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerologyCancel {
    /// The transaction id of the send.
    pub send_transaction_id: String,
    pub titolare_cf: String,
    pub assistito_cf: String,
}

/// Data a transaction writes, committed in the same transaction as its access-log entry (the
/// core's group commit): acknowledged together, or not at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransactionWrite {
    SerologyTest(NewSerologyTest),
    SerologyCancel(SerologyCancel),
    AslTestCount(NewAslTestCount),
}

/// A [`TransactionWrite`] with the id and time of the transaction that makes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingWrite {
    pub transaction_id: String,
    pub at: DateTime<Utc>,
    pub write: TransactionWrite,
}

/// A test as the list of sent tests shows it (§3.4.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentTest {
    pub transaction_id: String,
    pub assistito_cf: String,
    /// `None` when the CF is not in the registry.
    pub name: Option<String>,
    pub surname: Option<String>,
    pub test_date: NaiveDate,
    pub sent_on: NaiveDate,
    pub doctor_cf: String,
    pub on_list: bool,
}

/// A send as a cancel request finds it (§3.4.3): who sent it, and whether it is cancelled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendState {
    pub doctor_cf: String,
    pub cancelled: bool,
}

/// Which tests a list shows: all of a titolare's, or only those one doctor sent for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentTestQuery {
    pub titolare_cf: String,
    /// `Some(substitute)`: only what that doctor entered.
    pub sent_by: Option<String>,
    /// Dates the tests were sent (Europe/Rome), inclusive.
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// The registry's reads and writes, one implementation per backend's pool (written once, in
/// [`registry_queries!`]). Reached through [`super::Store::registry`].
#[async_trait::async_trait]
pub trait Registry: Send + Sync {
    // --- registry (seed 003 §2): imports are upserts, one transaction per call ----------------

    async fn upsert_regions(&self, rows: &[Region]) -> Result<(), StoreError>;
    async fn upsert_asls(&self, rows: &[Asl]) -> Result<(), StoreError>;
    async fn upsert_municipalities(&self, rows: &[Municipality]) -> Result<(), StoreError>;
    async fn upsert_mmgs(&self, rows: &[Mmg]) -> Result<(), StoreError>;
    async fn upsert_assistiti(&self, rows: &[Assistito]) -> Result<(), StoreError>;
    async fn upsert_school_staff(&self, rows: &[StaffMember]) -> Result<(), StoreError>;

    /// Removes what imports that began before `before` left staged (they were interrupted);
    /// returns how many rows.
    async fn purge_abandoned_staging(&self, before: DateTime<Utc>) -> Result<u64, StoreError>;

    /// Appends rows of an assistiti file to this import's staging (one transaction per call).
    async fn stage_assistiti(
        &self,
        staging: &Staging,
        rows: &[StagedAssistito],
    ) -> Result<(), StoreError>;

    /// Upserts this import's staged rows into the registry in CF order, in one transaction that
    /// also removes them from the staging; applies nothing if a CF is staged twice.
    async fn apply_staged_assistiti(&self, staging: &Staging) -> Result<StagedApply, StoreError>;

    /// Removes this import's staged rows (after a failure; applying removes them too).
    async fn clear_staged_assistiti(&self, staging: &Staging) -> Result<(), StoreError>;

    /// Matches the school-staff list to the registry: each member gets the MMG of the living
    /// assistito with that CF; the others are deleted (seed 003 §2.5).
    async fn match_school_staff(&self) -> Result<StaffMatch, StoreError>;

    async fn find_mmg(&self, cf: &str) -> Result<Option<Mmg>, StoreError>;
    /// The ASL `code` of region `region_code`, if the registry has it.
    async fn find_asl(&self, region_code: &str, code: &str) -> Result<Option<Asl>, StoreError>;
    async fn find_assistito(&self, cf: &str) -> Result<Option<Assistito>, StoreError>;

    /// The titolare's living assistiti on the state-school staff list (§3.4.1), by surname.
    async fn patient_list(&self, titolare_cf: &str) -> Result<Vec<ListedPatient>, StoreError>;

    /// Whether the assistito is on the titolare's list.
    async fn is_on_list(&self, titolare_cf: &str, assistito_cf: &str) -> Result<bool, StoreError>;

    // --- substitutes (§3.3.1) -----------------------------------------------------------------

    /// Records an authorisation; the same titolare, substitute and start twice is
    /// [`StoreError::Duplicate`].
    async fn add_substitution(&self, substitution: &Substitution) -> Result<(), StoreError>;

    /// The titolare's authorisations (of one substitute, if given), by substitute and start.
    async fn substitutions(
        &self,
        titolare_cf: &str,
        substitute_cf: Option<&str>,
    ) -> Result<Vec<Substitution>, StoreError>;

    /// Removes every authorisation of `substitute_cf` by `titolare_cf`; returns how many.
    async fn revoke_substitution(
        &self,
        titolare_cf: &str,
        substitute_cf: &str,
    ) -> Result<u64, StoreError>;

    // --- serology tests (§3.4) and ASL counts (§4.4) ------------------------------------------

    /// The send `transaction_id` for that titolare and assistito, if there is one. A cancel
    /// reads it, decides, and writes its [`SerologyCancel`] with its access-log entry; the
    /// database refuses to cancel a test twice, so a decision made on a stale read fails its
    /// commit instead of being acknowledged.
    async fn find_serology_send(
        &self,
        transaction_id: &str,
        titolare_cf: &str,
        assistito_cf: &str,
    ) -> Result<Option<SendState>, StoreError>;

    /// Tests sent for a titolare in a date range, not cancelled, in the order they were sent.
    async fn sent_tests(&self, query: &SentTestQuery) -> Result<Vec<SentTest>, StoreError>;

    /// (CF medico, number of matched state-school staff) for every MMG of one ASL (§4.4.1).
    async fn staff_per_mmg(
        &self,
        region_code: &str,
        asl_code: &str,
    ) -> Result<Vec<(String, i64)>, StoreError>;

    /// The daily counts an operator sent (test date, tests), newest first.
    async fn asl_test_counts(&self, operator_cf: &str)
        -> Result<Vec<(NaiveDate, i64)>, StoreError>;
}

/// `yyyy-mm-dd`, the stored form of a date.
pub(crate) fn day(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

pub(crate) fn parse_day(text: &str) -> Result<NaiveDate, super::StoreError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| super::StoreError::CorruptRow {
        seq: 0,
        detail: format!("stored date {text:?} is not yyyy-mm-dd"),
    })
}

/// The Europe/Rome calendar day of an instant.
pub fn rome_day(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&chrono_tz::Europe::Rome).date_naive()
}

/// The registry queries for one backend: `registry_queries!(sqlx::Sqlite, "BEGIN IMMEDIATE")`.
macro_rules! registry_queries {
    ($db:ty, $begin:literal) => {
        use chrono::{DateTime, NaiveDate, Utc};
        use sqlx::query_builder::Separated;
        use sqlx::{Pool, QueryBuilder, Row, Transaction};

        use $crate::store::registry::{
            day, parse_day, rome_day, Asl, Assistito, ListedPatient, Mmg,
            Municipality, PendingWrite, Region, Registry, SendState, SentTest, SentTestQuery, StaffMatch,
            StaffMember, StagedApply, StagedAssistito, Staging, Substitution, TransactionWrite,
        };
        use $crate::store::StoreError;

        type Db = $db;

        /// Rows per multi-row INSERT: at most 8 binds a row, under both backends' limits.
        const CHUNK: usize = 1000;

        async fn begin(pool: &Pool<Db>, context: &'static str) -> Result<Transaction<'static, Db>, StoreError> {
            pool.begin_with($begin).await.map_err(StoreError::query(context))
        }

        /// Inserts `rows` in one transaction, [`CHUNK`] rows a statement: `insert` names the
        /// table and columns, `bind` pushes one row's values, `suffix` follows each VALUES list.
        async fn insert_chunked<'r, T>(
            pool: &Pool<Db>,
            context: &'static str,
            rows: &'r [T],
            insert: &str,
            suffix: &str,
            bind: impl Fn(Separated<'_, 'r, Db, &'static str>, &'r T),
        ) -> Result<(), StoreError> {
            let mut tx = begin(pool, context).await?;
            for chunk in rows.chunks(CHUNK) {
                let mut q: QueryBuilder<'r, Db> = QueryBuilder::new(insert);
                q.push_values(chunk, |b, r| bind(b, r));
                q.push(suffix);
                q.build().execute(&mut *tx).await.map_err(StoreError::query(context))?;
            }
            tx.commit().await.map_err(StoreError::query(context))
        }

        /// Appends the statement of one transaction's data to `q`, without a terminator: SQLite
        /// sends it inside its batch's one multi-statement query, PostgreSQL on its own.
        pub fn push_write<'q>(q: &mut QueryBuilder<'q, Db>, w: &'q PendingWrite) {
            match &w.write {
                TransactionWrite::SerologyTest(t) => {
                    q.push(
                        "INSERT INTO serology_tests (transaction_id, test_date, doctor_cf, \
                         titolare_cf, assistito_cf, on_list, sent_at_ms, sent_on) VALUES (",
                    );
                    q.separated(", ")
                        .push_bind(&w.transaction_id)
                        .push_bind(day(t.test_date))
                        .push_bind(&t.doctor_cf)
                        .push_bind(&t.titolare_cf)
                        .push_bind(&t.assistito_cf)
                        .push_bind(t.on_list)
                        .push_bind(w.at.timestamp_millis())
                        .push_bind(day(rome_day(w.at)));
                    q.push(")");
                }
                TransactionWrite::SerologyCancel(c) => {
                    // No `cancelled_at_ms IS NULL` here: a test already cancelled must fail
                    // the commit (trigger `serology_tests_cancel_once`), not match no row.
                    q.push("UPDATE serology_tests SET cancelled_at_ms = ");
                    q.push_bind(w.at.timestamp_millis());
                    q.push(", cancel_transaction_id = ");
                    q.push_bind(&w.transaction_id);
                    q.push(" WHERE transaction_id = ");
                    q.push_bind(&c.send_transaction_id);
                    q.push(" AND titolare_cf = ");
                    q.push_bind(&c.titolare_cf);
                    q.push(" AND assistito_cf = ");
                    q.push_bind(&c.assistito_cf);
                }
                TransactionWrite::AslTestCount(c) => {
                    q.push(
                        "INSERT INTO asl_test_counts (transaction_id, operator_cf, region_code, \
                         asl_code, test_date, tests, sent_at_ms) VALUES (",
                    );
                    q.separated(", ")
                        .push_bind(&w.transaction_id)
                        .push_bind(&c.operator_cf)
                        .push_bind(&c.region_code)
                        .push_bind(&c.asl_code)
                        .push_bind(day(c.test_date))
                        .push_bind(c.tests)
                        .push_bind(w.at.timestamp_millis());
                    q.push(")");
                }
            }
        }

        /// Inserts what the transactions of one group-commit batch write, one statement each.
        #[allow(dead_code)] // PostgreSQL's path; SQLite pushes them into its batch query
        pub async fn insert_writes(tx: &mut Transaction<'static, Db>, writes: &[PendingWrite]) -> Result<(), StoreError> {
            for w in writes {
                let mut q = QueryBuilder::new("");
                push_write(&mut q, w);
                q.build()
                    .execute(&mut **tx)
                    .await
                    .map_err(StoreError::conflict_or_query("recording a transaction's data failed"))?;
            }
            Ok(())
        }

        #[async_trait::async_trait]
        impl Registry for Pool<Db> {
            async fn upsert_regions(&self, rows: &[Region]) -> Result<(), StoreError> {
                let insert = "INSERT INTO regions (code, name) ";
                let suffix = " ON CONFLICT (code) DO UPDATE SET name = excluded.name";
                let context = "importing regions failed";
                insert_chunked(self, context, rows, insert, suffix, |mut b, r| {
                    b.push_bind(&r.code).push_bind(&r.name);
                })
                .await
            }

            async fn upsert_asls(&self, rows: &[Asl]) -> Result<(), StoreError> {
                let insert = "INSERT INTO asl (region_code, code, name) ";
                let suffix = " ON CONFLICT (region_code, code) DO UPDATE SET name = excluded.name";
                let context = "importing ASLs failed";
                insert_chunked(self, context, rows, insert, suffix, |mut b, r| {
                    b.push_bind(&r.region_code).push_bind(&r.code).push_bind(&r.name);
                })
                .await
            }

            async fn upsert_municipalities(&self, rows: &[Municipality]) -> Result<(), StoreError> {
                let insert = "INSERT INTO municipalities \
                    (code, name, province, region_code, asl_code) ";
                let suffix = " ON CONFLICT (code, region_code, asl_code) DO UPDATE SET \
                         name = excluded.name, province = excluded.province";
                let context = "importing municipalities failed";
                insert_chunked(self, context, rows, insert, suffix, |mut b, r| {
                    b.push_bind(&r.code)
                        .push_bind(&r.name)
                        .push_bind(&r.province)
                        .push_bind(&r.region_code)
                        .push_bind(&r.asl_code);
                })
                .await
            }

            async fn upsert_mmgs(&self, rows: &[Mmg]) -> Result<(), StoreError> {
                let insert = "INSERT INTO mmg (cf, surname, name, region_code, asl_code) ";
                let suffix = " ON CONFLICT (cf) DO UPDATE SET surname = excluded.surname, \
                         name = excluded.name, region_code = excluded.region_code, \
                         asl_code = excluded.asl_code";
                let context = "importing MMGs failed";
                insert_chunked(self, context, rows, insert, suffix, |mut b, r| {
                    b.push_bind(&r.cf)
                        .push_bind(&r.surname)
                        .push_bind(&r.name)
                        .push_bind(&r.region_code)
                        .push_bind(&r.asl_code);
                })
                .await
            }

            async fn upsert_assistiti(&self, rows: &[Assistito]) -> Result<(), StoreError> {
                let insert = "INSERT INTO assistiti \
                    (cf, name, surname, region_code, asl_code, mmg_cf, status) ";
                let suffix = " ON CONFLICT (cf) DO UPDATE SET name = excluded.name, \
                         surname = excluded.surname, region_code = excluded.region_code, \
                         asl_code = excluded.asl_code, mmg_cf = excluded.mmg_cf, \
                         status = excluded.status";
                let context = "importing assistiti failed";
                insert_chunked(self, context, rows, insert, suffix, |mut b, r| {
                    b.push_bind(&r.cf)
                        .push_bind(&r.name)
                        .push_bind(&r.surname)
                        .push_bind(&r.region_code)
                        .push_bind(&r.asl_code)
                        .push_bind(&r.mmg_cf)
                        .push_bind(r.status.as_str());
                })
                .await
            }

            async fn upsert_school_staff(&self, rows: &[StaffMember]) -> Result<(), StoreError> {
                let insert = "INSERT INTO school_staff (cf, updated_on) ";
                let suffix = " ON CONFLICT (cf) DO UPDATE SET updated_on = excluded.updated_on";
                let context = "importing the school-staff list failed";
                insert_chunked(self, context, rows, insert, suffix, |mut b, r| {
                    b.push_bind(&r.cf).push_bind(day(r.updated_on));
                })
                .await
            }

            async fn purge_abandoned_staging(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
                Ok(sqlx::query("DELETE FROM assistiti_import WHERE staged_at_ms < $1")
                    .bind(before.timestamp_millis())
                    .execute(self)
                    .await
                    .map_err(StoreError::query("removing abandoned staged assistiti failed"))?
                    .rows_affected())
            }

            async fn stage_assistiti(&self, staging: &Staging, rows: &[StagedAssistito]) -> Result<(), StoreError> {
                let insert = "INSERT INTO assistiti_import (import_id, line, staged_at_ms, \
                         cf, name, surname, region_code, asl_code, mmg_cf, status) ";
                let suffix = "";
                let context = "staging assistiti failed";
                let started = staging.started.timestamp_millis();
                insert_chunked(self, context, rows, insert, suffix, |mut b, r| {
                    let a = &r.assistito;
                    b.push_bind(staging.id)
                        .push_bind(i64::try_from(r.line).unwrap_or(i64::MAX))
                        .push_bind(started)
                        .push_bind(&a.cf)
                        .push_bind(&a.name)
                        .push_bind(&a.surname)
                        .push_bind(&a.region_code)
                        .push_bind(&a.asl_code)
                        .push_bind(&a.mmg_cf)
                        .push_bind(a.status.as_str());
                })
                .await
            }

            async fn apply_staged_assistiti(&self, staging: &Staging) -> Result<StagedApply, StoreError> {
                let context = "applying the staged assistiti failed";
                let mut tx = begin(self, context).await?;
                let duplicate: Option<(String, i64, i64)> = sqlx::query_as(
                    "SELECT cf, MIN(line), MAX(line) FROM assistiti_import WHERE import_id = $1 \
                     GROUP BY cf HAVING COUNT(*) > 1 ORDER BY MIN(line) LIMIT 1",
                )
                .bind(staging.id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(StoreError::query(context))?;
                if let Some((cf, first, second)) = duplicate {
                    tx.rollback().await.map_err(StoreError::query(context))?;
                    return Ok(StagedApply::DuplicateCf {
                        cf,
                        first_line: u64::try_from(first).unwrap_or(0),
                        second_line: u64::try_from(second).unwrap_or(0),
                    });
                }
                let rows = sqlx::query(
                    "INSERT INTO assistiti (cf, name, surname, region_code, asl_code, mmg_cf, status) \
                     SELECT cf, name, surname, region_code, asl_code, mmg_cf, status \
                     FROM assistiti_import WHERE import_id = $1 ORDER BY cf \
                     ON CONFLICT (cf) DO UPDATE SET name = excluded.name, \
                     surname = excluded.surname, region_code = excluded.region_code, \
                     asl_code = excluded.asl_code, mmg_cf = excluded.mmg_cf, \
                     status = excluded.status",
                )
                .bind(staging.id)
                .execute(&mut *tx)
                .await
                .map_err(StoreError::query(context))?
                .rows_affected();
                sqlx::query("DELETE FROM assistiti_import WHERE import_id = $1")
                    .bind(staging.id)
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::query(context))?;
                tx.commit().await.map_err(StoreError::query(context))?;
                Ok(StagedApply::Applied { rows })
            }

            async fn clear_staged_assistiti(&self, staging: &Staging) -> Result<(), StoreError> {
                sqlx::query("DELETE FROM assistiti_import WHERE import_id = $1")
                    .bind(staging.id)
                    .execute(self)
                    .await
                    .map_err(StoreError::query("removing staged assistiti failed"))?;
                Ok(())
            }

            async fn match_school_staff(&self) -> Result<StaffMatch, StoreError> {
                let context = "matching the school-staff list failed";
                let mut tx = begin(self, context).await?;
                sqlx::query(
                    "UPDATE school_staff SET mmg_cf = (SELECT a.mmg_cf FROM assistiti a \
                     WHERE a.cf = school_staff.cf AND a.status = 'vivo')",
                )
                .execute(&mut *tx)
                .await
                .map_err(StoreError::query(context))?;
                let removed = sqlx::query("DELETE FROM school_staff WHERE mmg_cf IS NULL")
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::query(context))?
                    .rows_affected();
                let matched: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM school_staff")
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(StoreError::query(context))?;
                tx.commit().await.map_err(StoreError::query(context))?;
                Ok(StaffMatch {
                    matched: u64::try_from(matched).unwrap_or(0),
                    removed,
                })
            }

            async fn find_mmg(&self, cf: &str) -> Result<Option<Mmg>, StoreError> {
                let row = sqlx::query(
                    "SELECT cf, surname, name, region_code, asl_code FROM mmg WHERE cf = $1",
                )
                .bind(cf)
                .fetch_optional(self)
                .await
                .map_err(StoreError::query("looking up an MMG failed"))?;
                row.map(|r| {
                    Ok(Mmg {
                        cf: r.try_get(0)?,
                        surname: r.try_get(1)?,
                        name: r.try_get(2)?,
                        region_code: r.try_get(3)?,
                        asl_code: r.try_get(4)?,
                    })
                })
                .transpose()
                .map_err(StoreError::query("reading an MMG failed"))
            }

            async fn find_asl(&self, region_code: &str, code: &str) -> Result<Option<Asl>, StoreError> {
                let row: Option<(String, String, String)> = sqlx::query_as(
                    "SELECT region_code, code, name FROM asl WHERE region_code = $1 AND code = $2",
                )
                .bind(region_code)
                .bind(code)
                .fetch_optional(self)
                .await
                .map_err(StoreError::query("looking up an ASL failed"))?;
                Ok(row.map(|(region_code, code, name)| Asl { region_code, code, name }))
            }

            async fn find_assistito(&self, cf: &str) -> Result<Option<Assistito>, StoreError> {
                let context = "looking up an assistito failed";
                let row = sqlx::query(
                    "SELECT cf, name, surname, region_code, asl_code, mmg_cf, status \
                     FROM assistiti WHERE cf = $1",
                )
                .bind(cf)
                .fetch_optional(self)
                .await
                .map_err(StoreError::query(context))?;
                let Some(r) = row else { return Ok(None) };
                let status: String = r.try_get(6).map_err(StoreError::query(context))?;
                let status = $crate::store::registry::AssistitoStatus::parse(&status).ok_or_else(|| {
                    StoreError::CorruptRow { seq: 0, detail: format!("unknown assistito status {status:?}") }
                })?;
                let get = |i: usize| -> Result<String, StoreError> { r.try_get(i).map_err(StoreError::query(context)) };
                Ok(Some(Assistito {
                    cf: get(0)?,
                    name: get(1)?,
                    surname: get(2)?,
                    region_code: get(3)?,
                    asl_code: get(4)?,
                    mmg_cf: r.try_get(5).map_err(StoreError::query(context))?,
                    status,
                }))
            }

            async fn patient_list(&self, titolare_cf: &str) -> Result<Vec<ListedPatient>, StoreError> {
                let context = "reading an MMG's patient list failed";
                let rows: Vec<(String, String, String, String)> = sqlx::query_as(
                    "SELECT s.cf, a.name, a.surname, s.updated_on FROM school_staff s \
                     JOIN assistiti a ON a.cf = s.cf \
                     WHERE s.mmg_cf = $1 AND a.status = 'vivo' \
                     ORDER BY a.surname, a.name, s.cf",
                )
                .bind(titolare_cf)
                .fetch_all(self)
                .await
                .map_err(StoreError::query(context))?;
                rows.into_iter()
                    .map(|(cf, name, surname, updated)| {
                        Ok(ListedPatient { cf, name, surname, updated_on: parse_day(&updated)? })
                    })
                    .collect()
            }

            async fn is_on_list(&self, titolare_cf: &str, assistito_cf: &str) -> Result<bool, StoreError> {
                let found: Option<i32> = sqlx::query_scalar(
                    "SELECT 1 FROM school_staff WHERE cf = $1 AND mmg_cf = $2",
                )
                .bind(assistito_cf)
                .bind(titolare_cf)
                .fetch_optional(self)
                .await
                .map_err(StoreError::query("checking an MMG's list failed"))?;
                Ok(found.is_some())
            }

            async fn add_substitution(&self, s: &Substitution) -> Result<(), StoreError> {
                let key = format!("{} → {} from {}", s.titolare_cf, s.substitute_cf, s.from);
                sqlx::query(
                    "INSERT INTO substitutes (titolare_cf, substitute_cf, valid_from, valid_to) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(&s.titolare_cf)
                .bind(&s.substitute_cf)
                .bind(day(s.from))
                .bind(day(s.to))
                .execute(self)
                .await
                .map_err(StoreError::keyed("adding a substitute failed", "substitution", "substitution", &key))?;
                Ok(())
            }

            /// The titolare's substitutions, optionally only those of one substitute.
            async fn substitutions(&self, titolare_cf: &str, substitute_cf: Option<&str>) -> Result<Vec<Substitution>, StoreError> {
                let rows: Vec<(String, String, String, String)> = sqlx::query_as(
                    "SELECT titolare_cf, substitute_cf, valid_from, valid_to FROM substitutes \
                     WHERE titolare_cf = $1 AND ($2 IS NULL OR substitute_cf = $2) \
                     ORDER BY substitute_cf, valid_from",
                )
                .bind(titolare_cf)
                .bind(substitute_cf)
                .fetch_all(self)
                .await
                .map_err(StoreError::query("listing substitutes failed"))?;
                rows.into_iter()
                    .map(|(titolare_cf, substitute_cf, from, to)| {
                        Ok(Substitution { titolare_cf, substitute_cf, from: parse_day(&from)?, to: parse_day(&to)? })
                    })
                    .collect()
            }

            async fn revoke_substitution(&self, titolare_cf: &str, substitute_cf: &str) -> Result<u64, StoreError> {
                Ok(sqlx::query("DELETE FROM substitutes WHERE titolare_cf = $1 AND substitute_cf = $2")
                    .bind(titolare_cf)
                    .bind(substitute_cf)
                    .execute(self)
                    .await
                    .map_err(StoreError::query("revoking a substitute failed"))?
                    .rows_affected())
            }

            async fn find_serology_send(
                &self,
                transaction_id: &str,
                titolare_cf: &str,
                assistito_cf: &str,
            ) -> Result<Option<SendState>, StoreError> {
                let found: Option<(String, Option<i64>)> = sqlx::query_as(
                    "SELECT doctor_cf, cancelled_at_ms FROM serology_tests \
                     WHERE transaction_id = $1 AND titolare_cf = $2 AND assistito_cf = $3",
                )
                .bind(transaction_id)
                .bind(titolare_cf)
                .bind(assistito_cf)
                .fetch_optional(self)
                .await
                .map_err(StoreError::query("looking up a serology send failed"))?;
                Ok(found.map(|(doctor_cf, cancelled_at)| SendState {
                    doctor_cf,
                    cancelled: cancelled_at.is_some(),
                }))
            }

            async fn sent_tests(&self, query: &SentTestQuery) -> Result<Vec<SentTest>, StoreError> {
                let context = "listing sent serology tests failed";
                let rows = sqlx::query(
                    "SELECT t.transaction_id, t.assistito_cf, a.name, a.surname, t.test_date, \
                     t.sent_on, t.doctor_cf, t.on_list FROM serology_tests t \
                     LEFT JOIN assistiti a ON a.cf = t.assistito_cf \
                     WHERE t.titolare_cf = $1 AND t.sent_on >= $2 AND t.sent_on <= $3 \
                     AND t.cancelled_at_ms IS NULL AND ($4 IS NULL OR t.doctor_cf = $4) \
                     ORDER BY t.sent_at_ms, t.transaction_id",
                )
                .bind(&query.titolare_cf)
                .bind(day(query.from))
                .bind(day(query.to))
                .bind(&query.sent_by)
                .fetch_all(self)
                .await
                .map_err(StoreError::query(context))?;
                rows.into_iter()
                    .map(|r| {
                        let test_date: String = r.try_get(4).map_err(StoreError::query(context))?;
                        let sent_on: String = r.try_get(5).map_err(StoreError::query(context))?;
                        Ok(SentTest {
                            transaction_id: r.try_get(0).map_err(StoreError::query(context))?,
                            assistito_cf: r.try_get(1).map_err(StoreError::query(context))?,
                            name: r.try_get(2).map_err(StoreError::query(context))?,
                            surname: r.try_get(3).map_err(StoreError::query(context))?,
                            test_date: parse_day(&test_date)?,
                            sent_on: parse_day(&sent_on)?,
                            doctor_cf: r.try_get(6).map_err(StoreError::query(context))?,
                            on_list: r.try_get(7).map_err(StoreError::query(context))?,
                        })
                    })
                    .collect()
            }

            /// (CF medico, matched state-school staff on their list) for every MMG of one ASL.
            async fn staff_per_mmg(&self, region_code: &str, asl_code: &str) -> Result<Vec<(String, i64)>, StoreError> {
                sqlx::query_as(
                    "SELECT m.cf, COUNT(s.cf) FROM mmg m LEFT JOIN school_staff s ON s.mmg_cf = m.cf \
                     WHERE m.region_code = $1 AND m.asl_code = $2 GROUP BY m.cf ORDER BY m.cf",
                )
                .bind(region_code)
                .bind(asl_code)
                .fetch_all(self)
                .await
                .map_err(StoreError::query("counting staff per MMG failed"))
            }

            /// The daily counts an ASL sent: (test date, tests, operator CF), newest first.
            async fn asl_test_counts(&self, operator_cf: &str) -> Result<Vec<(NaiveDate, i64)>, StoreError> {
                let rows: Vec<(String, i64)> = sqlx::query_as(
                    "SELECT test_date, tests FROM asl_test_counts WHERE operator_cf = $1 \
                     ORDER BY sent_at_ms DESC, transaction_id DESC",
                )
                .bind(operator_cf)
                .fetch_all(self)
                .await
                .map_err(StoreError::query("listing ASL test counts failed"))?;
                rows.into_iter().map(|(d, n)| Ok((parse_day(&d)?, n))).collect()
            }
        }
    };
}

pub(crate) use registry_queries;

pub(crate) mod sqlite_queries {
    super::registry_queries!(sqlx::Sqlite, "BEGIN IMMEDIATE");
}

pub(crate) mod postgres_queries {
    super::registry_queries!(sqlx::Postgres, "BEGIN");
}
