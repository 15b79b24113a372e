//! The registry of assistiti (docs/registry.md, from seed 003 §2): regions, ASLs,
//! municipalities, the MMGs and their patients, and what the services read of it — an MMG's
//! list of state-school staff (§3.4.1) and the staff per MMG of an ASL (§4.4.1).
//!
//! Imports are upserts, one transaction per call; the large assistiti file goes through
//! [`super::Staging`] instead.

use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Row, Type};

use super::backend::{insert_chunked, Backend, Insert};
use super::columns::StoredRow;
use super::kept_connections::KeptConnections;
use super::StoreError;
use crate::domain::{AslCode, CodiceFiscale, OperatorCf, RegionCode};

/// A region or autonomous province (e.g. `120` Lazio).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    pub code: RegionCode,
    pub name: String,
}

/// An ASL; its code is unique within its region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asl {
    pub region_code: RegionCode,
    pub code: AslCode,
    pub name: String,
}

/// A municipality (Belfiore code), its province and the ASL that covers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Municipality {
    pub code: String,
    pub name: String,
    pub province: String,
    pub region_code: RegionCode,
    pub asl_code: AslCode,
}

/// A family doctor (MMG) and the ASL they belong to. The import checks the CF strictly, but
/// the registry may hold legacy records whose check letter is wrong: a doctor's CF is read
/// leniently, as the doctor's own CF is in a request (docs/conventions.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mmg {
    pub cf: OperatorCf,
    pub surname: String,
    pub name: String,
    pub region_code: RegionCode,
    pub asl_code: AslCode,
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
    pub cf: CodiceFiscale,
    pub name: String,
    pub surname: String,
    pub region_code: RegionCode,
    pub asl_code: AslCode,
    pub mmg_cf: Option<OperatorCf>,
    pub status: AssistitoStatus,
}

/// One patient of an MMG's list (§3.4.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedPatient {
    pub cf: CodiceFiscale,
    pub name: String,
    pub surname: String,
    pub updated_on: chrono::NaiveDate,
}

/// What a serology operation reads in the same query as its titolare's MMG record: the rules
/// every operation applies first need the titolare to be a registered MMG, and for a region's
/// call, of which region ([`crate::services::sierologici::acting`]). One query instead of two
/// spares a round trip to the store on every call (on SQLite each is a hand-off to sqlx's
/// worker thread and back, then another for the ping sqlx sends as the connection returns to
/// the pool). `None` from such a read: the titolare is no registered MMG, and the operation's
/// own data was not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfTitolare<T> {
    /// The region of the titolare's MMG record.
    pub region_code: RegionCode,
    /// What the operation read for that titolare.
    pub read: T,
}

impl<T> OfTitolare<T> {
    /// `read`, for the titolare whose MMG record has `region_code` (as stored).
    pub(super) fn of(
        titolare: &OperatorCf,
        region_code: &str,
        read: T,
    ) -> Result<OfTitolare<T>, StoreError> {
        Ok(OfTitolare {
            region_code: titolare_region(titolare, region_code)?,
            read,
        })
    }
}

/// The region of the titolare's MMG record, as stored.
pub(super) fn titolare_region(
    titolare: &OperatorCf,
    region_code: &str,
) -> Result<RegionCode, StoreError> {
    StoredRow::new("mmg", titolare.as_str()).region("region_code", region_code)
}

/// The registry's reads and writes. Reached through [`super::Store::patients`].
#[async_trait::async_trait]
pub trait Patients: Send + Sync {
    async fn upsert_regions(&self, rows: &[Region]) -> Result<(), StoreError>;
    async fn upsert_asls(&self, rows: &[Asl]) -> Result<(), StoreError>;
    async fn upsert_municipalities(&self, rows: &[Municipality]) -> Result<(), StoreError>;
    async fn upsert_mmgs(&self, rows: &[Mmg]) -> Result<(), StoreError>;
    async fn upsert_assistiti(&self, rows: &[Assistito]) -> Result<(), StoreError>;

    async fn find_mmg(&self, cf: &OperatorCf) -> Result<Option<Mmg>, StoreError>;
    /// The ASL `code` of region `region_code`, if the registry has it.
    async fn find_asl(
        &self,
        region_code: RegionCode,
        code: AslCode,
    ) -> Result<Option<Asl>, StoreError>;
    async fn find_assistito(&self, cf: &CodiceFiscale) -> Result<Option<Assistito>, StoreError>;

    /// The titolare's living assistiti on the state-school staff list (§3.4.1), by surname.
    async fn patient_list(&self, titolare: &OperatorCf) -> Result<Vec<ListedPatient>, StoreError>;

    /// Whether the assistito is on the titolare's list.
    async fn is_on_list(
        &self,
        titolare: &OperatorCf,
        assistito: &CodiceFiscale,
    ) -> Result<bool, StoreError>;

    /// [`Patients::patient_list`] with the titolare's MMG record, in one query.
    async fn patient_list_of_titolare(
        &self,
        titolare: &OperatorCf,
    ) -> Result<Option<OfTitolare<Vec<ListedPatient>>>, StoreError>;

    /// [`Patients::is_on_list`] with the titolare's MMG record, in one query; no assistito (a
    /// malformed CF, refused after the titolare's checks) is on no list.
    async fn is_on_list_of_titolare(
        &self,
        titolare: &OperatorCf,
        assistito: Option<&CodiceFiscale>,
    ) -> Result<Option<OfTitolare<bool>>, StoreError>;

    /// (CF medico, number of matched state-school staff) for every MMG of one ASL (§4.4.1).
    async fn staff_per_mmg(
        &self,
        region_code: RegionCode,
        asl_code: AslCode,
    ) -> Result<Vec<(OperatorCf, i64)>, StoreError>;
}

const UPSERT_REGIONS: Insert = Insert {
    into: "INSERT INTO regions (code, name)",
    columns: 2,
    suffix: " ON CONFLICT (code) DO UPDATE SET name = excluded.name",
};

const UPSERT_ASLS: Insert = Insert {
    into: "INSERT INTO asl (region_code, code, name)",
    columns: 3,
    suffix: " ON CONFLICT (region_code, code) DO UPDATE SET name = excluded.name",
};

const UPSERT_MUNICIPALITIES: Insert = Insert {
    into: "INSERT INTO municipalities (code, name, province, region_code, asl_code)",
    columns: 5,
    suffix: " ON CONFLICT (code, region_code, asl_code) \
             DO UPDATE SET name = excluded.name, province = excluded.province",
};

const UPSERT_MMGS: Insert = Insert {
    into: "INSERT INTO mmg (cf, surname, name, region_code, asl_code)",
    columns: 5,
    suffix: " ON CONFLICT (cf) DO UPDATE SET surname = excluded.surname, \
             name = excluded.name, region_code = excluded.region_code, \
             asl_code = excluded.asl_code",
};

const UPSERT_ASSISTITI: Insert = Insert {
    into: "INSERT INTO assistiti (cf, name, surname, region_code, asl_code, mmg_cf, status)",
    columns: 7,
    suffix: " ON CONFLICT (cf) DO UPDATE SET name = excluded.name, \
             surname = excluded.surname, region_code = excluded.region_code, \
             asl_code = excluded.asl_code, mmg_cf = excluded.mmg_cf, status = excluded.status",
};

const FIND_MMG: &str = "SELECT cf, surname, name, region_code, asl_code FROM mmg WHERE cf = $1";

const FIND_ASL: &str =
    "SELECT region_code, code, name FROM asl WHERE region_code = $1 AND code = $2";

const FIND_ASSISTITO: &str = "SELECT cf, name, surname, region_code, asl_code, mmg_cf, status \
     FROM assistiti WHERE cf = $1";

const PATIENT_LIST: &str = "SELECT s.cf, a.name, a.surname, s.updated_on FROM school_staff s \
     JOIN assistiti a ON a.cf = s.cf \
     WHERE s.mmg_cf = $1 AND a.status = 'vivo' \
     ORDER BY a.surname, a.name, s.cf";

const IS_ON_LIST: &str = "SELECT COUNT(*) FROM school_staff WHERE cf = $1 AND mmg_cf = $2";

/// The titolare's MMG row (its region, the rest NULL) and [`PATIENT_LIST`]'s rows (a NULL
/// region) in one result. Not a join of the two: SQLite plans `mmg LEFT JOIN (school_staff
/// JOIN assistiti)` as a scan of every assistito. The MMG row sorts first on SQLite and last on
/// PostgreSQL (NULLs), so it is told apart by its region, not by its place.
pub(super) const PATIENT_LIST_OF_TITOLARE: &str = "SELECT region_code, NULL, NULL, NULL, NULL \
     FROM mmg WHERE cf = $1 \
     UNION ALL SELECT NULL, s.cf, a.name, a.surname, s.updated_on FROM school_staff s \
     JOIN assistiti a ON a.cf = s.cf \
     WHERE s.mmg_cf = $1 AND a.status = 'vivo' \
     ORDER BY 4, 3, 2";

pub(super) const IS_ON_LIST_OF_TITOLARE: &str = "SELECT m.region_code, \
     EXISTS (SELECT 1 FROM school_staff s WHERE s.cf = $2 AND s.mmg_cf = m.cf) \
     FROM mmg m WHERE m.cf = $1";

pub(super) const PATIENT_LIST_CONTEXT: &str = "reading an MMG's patient list failed";

pub(super) const IS_ON_LIST_CONTEXT: &str = "checking an MMG's list failed";

/// One row of [`PATIENT_LIST_OF_TITOLARE`]: the MMG's region, or a listed patient's CF, name,
/// surname and the day their position was last updated.
pub(super) type ListRow = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// The titolare and list [`PATIENT_LIST_OF_TITOLARE`]'s rows describe; `None` without the MMG
/// row.
pub(super) fn patient_list_of(
    titolare: &OperatorCf,
    rows: Vec<ListRow>,
) -> Result<Option<OfTitolare<Vec<ListedPatient>>>, StoreError> {
    let mut region_code = None;
    let mut read = Vec::with_capacity(rows.len());
    for row in rows {
        let (cf, name, surname, updated_on) = match row {
            (Some(region), ..) => {
                region_code = Some(titolare_region(titolare, &region)?);
                continue;
            }
            (None, Some(cf), Some(name), Some(surname), Some(updated_on)) => {
                (cf, name, surname, updated_on)
            }
            (None, cf, ..) => {
                let key = cf.unwrap_or_default();
                return Err(StoredRow::new("school_staff", &key).corrupt(
                    "cf, name, surname, updated_on",
                    "NULL",
                    "a value",
                ));
            }
        };
        let stored = StoredRow::new("school_staff", &cf);
        read.push(ListedPatient {
            cf: stored.cf("cf", &cf)?,
            updated_on: stored.day("updated_on", &updated_on)?,
            name,
            surname,
        });
    }
    Ok(region_code.map(|region_code| OfTitolare { region_code, read }))
}

const STAFF_PER_MMG: &str = "SELECT m.cf, COUNT(s.cf) FROM mmg m \
     LEFT JOIN school_staff s ON s.mmg_cf = m.cf \
     WHERE m.region_code = $1 AND m.asl_code = $2 GROUP BY m.cf ORDER BY m.cf";

#[async_trait::async_trait]
impl<DB: Backend> Patients for KeptConnections<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'c> &'c KeptConnections<DB>: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB>,
    for<'q> String: Decode<'q, DB> + Type<DB>,
    for<'q> Option<String>: Decode<'q, DB>,
    for<'q> i64: Decode<'q, DB> + Type<DB>,
    for<'q> bool: Decode<'q, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
{
    async fn upsert_regions(&self, rows: &[Region]) -> Result<(), StoreError> {
        let context = "importing regions failed";
        insert_chunked(self.pool(), context, rows, UPSERT_REGIONS, |query, r| {
            query.bind(r.code.as_str()).bind(r.name.as_str())
        })
        .await
    }

    async fn upsert_asls(&self, rows: &[Asl]) -> Result<(), StoreError> {
        let context = "importing ASLs failed";
        insert_chunked(self.pool(), context, rows, UPSERT_ASLS, |query, r| {
            query
                .bind(r.region_code.as_str())
                .bind(r.code.as_str())
                .bind(r.name.as_str())
        })
        .await
    }

    async fn upsert_municipalities(&self, rows: &[Municipality]) -> Result<(), StoreError> {
        let context = "importing municipalities failed";
        insert_chunked(
            self.pool(),
            context,
            rows,
            UPSERT_MUNICIPALITIES,
            |query, r| {
                query
                    .bind(r.code.as_str())
                    .bind(r.name.as_str())
                    .bind(r.province.as_str())
                    .bind(r.region_code.as_str())
                    .bind(r.asl_code.as_str())
            },
        )
        .await
    }

    async fn upsert_mmgs(&self, rows: &[Mmg]) -> Result<(), StoreError> {
        let context = "importing MMGs failed";
        insert_chunked(self.pool(), context, rows, UPSERT_MMGS, |query, r| {
            query
                .bind(r.cf.as_str())
                .bind(r.surname.as_str())
                .bind(r.name.as_str())
                .bind(r.region_code.as_str())
                .bind(r.asl_code.as_str())
        })
        .await
    }

    async fn upsert_assistiti(&self, rows: &[Assistito]) -> Result<(), StoreError> {
        let context = "importing assistiti failed";
        insert_chunked(self.pool(), context, rows, UPSERT_ASSISTITI, |query, r| {
            query
                .bind(r.cf.as_str())
                .bind(r.name.as_str())
                .bind(r.surname.as_str())
                .bind(r.region_code.as_str())
                .bind(r.asl_code.as_str())
                .bind(r.mmg_cf.as_ref().map(OperatorCf::as_str))
                .bind(r.status.as_str())
        })
        .await
    }

    async fn find_mmg(&self, cf: &OperatorCf) -> Result<Option<Mmg>, StoreError> {
        let row: Option<(String, String, String, String, String)> = sqlx::query_as(FIND_MMG)
            .bind(cf.as_str())
            .fetch_optional(self)
            .await
            .map_err(StoreError::query("looking up an MMG failed"))?;
        let Some((cf, surname, name, region_code, asl_code)) = row else {
            return Ok(None);
        };
        let stored = StoredRow::new("mmg", &cf);
        Ok(Some(Mmg {
            cf: stored.operator_cf("cf", &cf)?,
            region_code: stored.region("region_code", &region_code)?,
            asl_code: stored.asl("asl_code", &asl_code)?,
            surname,
            name,
        }))
    }

    async fn find_asl(
        &self,
        region_code: RegionCode,
        code: AslCode,
    ) -> Result<Option<Asl>, StoreError> {
        let row: Option<(String, String, String)> = sqlx::query_as(FIND_ASL)
            .bind(region_code.as_str())
            .bind(code.as_str())
            .fetch_optional(self)
            .await
            .map_err(StoreError::query("looking up an ASL failed"))?;
        // The row was found by these very codes.
        Ok(row.map(|(_, _, name)| Asl {
            region_code,
            code,
            name,
        }))
    }

    async fn find_assistito(&self, cf: &CodiceFiscale) -> Result<Option<Assistito>, StoreError> {
        let context = "looking up an assistito failed";
        let row = sqlx::query(FIND_ASSISTITO)
            .bind(cf.as_str())
            .fetch_optional(self)
            .await
            .map_err(StoreError::query(context))?;
        let Some(row) = row else { return Ok(None) };
        let text = |i: usize| -> Result<String, StoreError> {
            row.try_get(i).map_err(StoreError::query(context))
        };
        let mmg_cf: Option<String> = row.try_get(5).map_err(StoreError::query(context))?;
        let cf_text = text(0)?;
        let stored = StoredRow::new("assistiti", &cf_text);
        let status = text(6)?;
        Ok(Some(Assistito {
            cf: stored.cf("cf", &cf_text)?,
            name: text(1)?,
            surname: text(2)?,
            region_code: stored.region("region_code", &text(3)?)?,
            asl_code: stored.asl("asl_code", &text(4)?)?,
            mmg_cf: stored.optional("mmg_cf", mmg_cf.as_deref(), StoredRow::operator_cf)?,
            status: AssistitoStatus::parse(&status)
                .ok_or_else(|| stored.corrupt("status", &status, "vivo, deceduto or emigrato"))?,
        }))
    }

    async fn patient_list(&self, titolare: &OperatorCf) -> Result<Vec<ListedPatient>, StoreError> {
        let rows: Vec<(String, String, String, String)> = sqlx::query_as(PATIENT_LIST)
            .bind(titolare.as_str())
            .fetch_all(self)
            .await
            .map_err(StoreError::query(PATIENT_LIST_CONTEXT))?;
        rows.into_iter()
            .map(|(cf, name, surname, updated_on)| {
                let stored = StoredRow::new("school_staff", &cf);
                Ok(ListedPatient {
                    cf: stored.cf("cf", &cf)?,
                    updated_on: stored.day("updated_on", &updated_on)?,
                    name,
                    surname,
                })
            })
            .collect()
    }

    async fn is_on_list(
        &self,
        titolare: &OperatorCf,
        assistito: &CodiceFiscale,
    ) -> Result<bool, StoreError> {
        let found: i64 = sqlx::query_scalar(IS_ON_LIST)
            .bind(assistito.as_str())
            .bind(titolare.as_str())
            .fetch_one(self)
            .await
            .map_err(StoreError::query(IS_ON_LIST_CONTEXT))?;
        Ok(found > 0)
    }

    async fn patient_list_of_titolare(
        &self,
        titolare: &OperatorCf,
    ) -> Result<Option<OfTitolare<Vec<ListedPatient>>>, StoreError> {
        let rows: Vec<ListRow> = sqlx::query_as(PATIENT_LIST_OF_TITOLARE)
            .bind(titolare.as_str())
            .fetch_all(self)
            .await
            .map_err(StoreError::query(PATIENT_LIST_CONTEXT))?;
        patient_list_of(titolare, rows)
    }

    async fn is_on_list_of_titolare(
        &self,
        titolare: &OperatorCf,
        assistito: Option<&CodiceFiscale>,
    ) -> Result<Option<OfTitolare<bool>>, StoreError> {
        let row: Option<(String, bool)> = sqlx::query_as(IS_ON_LIST_OF_TITOLARE)
            .bind(titolare.as_str())
            .bind(assistito.map(CodiceFiscale::as_str))
            .fetch_optional(self)
            .await
            .map_err(StoreError::query(IS_ON_LIST_CONTEXT))?;
        row.map(|(region_code, on_list)| OfTitolare::of(titolare, &region_code, on_list))
            .transpose()
    }

    async fn staff_per_mmg(
        &self,
        region_code: RegionCode,
        asl_code: AslCode,
    ) -> Result<Vec<(OperatorCf, i64)>, StoreError> {
        let rows: Vec<(String, i64)> = sqlx::query_as(STAFF_PER_MMG)
            .bind(region_code.as_str())
            .bind(asl_code.as_str())
            .fetch_all(self)
            .await
            .map_err(StoreError::query("counting staff per MMG failed"))?;
        rows.into_iter()
            .map(|(cf, staff)| Ok((StoredRow::new("mmg", &cf).operator_cf("cf", &cf)?, staff)))
            .collect()
    }
}
