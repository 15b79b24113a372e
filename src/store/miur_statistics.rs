//! The statistics of the MIUR staff lists (seed 003 §2.4), as they are kept: aggregated and
//! anonymous, one [`MiurStatistic`] per computation, with its "Data statistica", its figures
//! per ASL and, for the paritarie, what the registry could not place. They are computed
//! **before** the §2.5 deletions, so they are the only trace the deleted lists
//! leave. The Commissioner's report (§5) reads them from here; the retention purge
//! (`store::data_retention`) removes them.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Pool, Type};

use super::backend::{begin, Backend};
use super::columns::StoredRow;
use super::StoreError;
use crate::domain::{AslCode, RegionCode};

/// Which of the three MIUR files a statistic (or a list) comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MiurKind {
    /// §2.4.1: state schools, `codice_fiscale`.
    Statali,
    /// §2.4.2: paritarie, `regione;provincia;totale_personale`.
    Paritarie,
    /// §2.4.3: the autonomous provinces of Trento and Bolzano, `codice_fiscale;tipologia`.
    TrentoBolzano,
}

impl MiurKind {
    pub const ALL: [MiurKind; 3] = [
        MiurKind::Statali,
        MiurKind::Paritarie,
        MiurKind::TrentoBolzano,
    ];

    /// The stored spelling, which is also the CLI's `--kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            MiurKind::Statali => "statali",
            MiurKind::Paritarie => "paritarie",
            MiurKind::TrentoBolzano => "trento-bolzano",
        }
    }

    pub fn parse(text: &str) -> Option<MiurKind> {
        MiurKind::ALL.into_iter().find(|kind| kind.as_str() == text)
    }
}

impl std::fmt::Display for MiurKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The figures of one ASL. Each kind fills the columns its table has (§2.4): state schools
/// `with_mmg` and `without_mmg`, paritarie `paritarie`, Trento and Bolzano all three; the others
/// are 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Figures {
    /// "Numero soggetti con medico" (state-school staff, alive, with an MMG).
    pub with_mmg: u64,
    /// "Numero soggetti senza medico" (state-school staff found in the registry, and not
    /// counted with an MMG: no MMG, deceased or emigrated).
    pub without_mmg: u64,
    /// "Numero soggetti" of the paritarie.
    pub paritarie: u64,
}

impl Figures {
    fn add(&mut self, other: Figures) {
        self.with_mmg += other.with_mmg;
        self.without_mmg += other.without_mmg;
        self.paritarie += other.paritarie;
    }
}

/// One ASL's figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AslFigures {
    pub region_code: RegionCode,
    pub asl_code: AslCode,
    pub figures: Figures,
}

/// Staff of a paritarie row that no ASL could be given: the region or province is unknown to
/// the registry, or the province is not in that region. Reported, never dropped silently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unplaced {
    /// The region as the file wrote it.
    pub region: String,
    /// The province as the file wrote it.
    pub province: String,
    pub staff: u64,
    pub reason: String,
}

/// One computation of a kind's statistic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MiurStatistic {
    pub kind: MiurKind,
    /// "Data statistica": when it was computed.
    pub computed_at: DateTime<Utc>,
    /// "Numero codici fiscali validati": distinct CFs of the file found in the registry.
    /// `None` for the paritarie, whose file has no CFs.
    pub validated_cfs: Option<u64>,
    /// Data rows the file had (the header and blank lines not counted).
    pub rows_read: u64,
    /// Rows refused (malformed CF or row), each reported with its line at the import.
    pub rows_rejected: u64,
    /// Per ASL, ordered by region and ASL code.
    pub per_asl: Vec<AslFigures>,
    pub unplaced: Vec<Unplaced>,
}

impl MiurStatistic {
    /// Per region: the sum of its ASLs, ordered by region code.
    pub fn per_region(&self) -> Vec<(RegionCode, Figures)> {
        let mut regions: BTreeMap<RegionCode, Figures> = BTreeMap::new();
        for asl in &self.per_asl {
            regions.entry(asl.region_code).or_default().add(asl.figures);
        }
        regions.into_iter().collect()
    }

    /// The sum of every ASL.
    pub fn total(&self) -> Figures {
        let mut total = Figures::default();
        for asl in &self.per_asl {
            total.add(asl.figures);
        }
        total
    }
}

/// The statistics kept. Reached through [`super::Store::miur_statistics`].
#[async_trait::async_trait]
pub trait MiurStatistics: Send + Sync {
    /// Stores one computation, in one transaction.
    async fn record(&self, statistic: &MiurStatistic) -> Result<(), StoreError>;

    /// The latest computation of `kind`, if any.
    async fn latest(&self, kind: MiurKind) -> Result<Option<MiurStatistic>, StoreError>;

    /// Every computation made at or after `since`, oldest first (the Commissioner's report).
    async fn computed_since(&self, since: DateTime<Utc>) -> Result<Vec<MiurStatistic>, StoreError>;
}

const INSERT_STATISTIC: &str = "INSERT INTO miur_statistics \
     (id, kind, computed_at_ms, validated_cfs, rows_read, rows_rejected) \
     VALUES ($1, $2, $3, $4, $5, $6)";
const INSERT_ASL: &str = "INSERT INTO miur_statistic_asl \
     (statistic_id, region_code, asl_code, with_mmg, without_mmg, paritarie) \
     VALUES ($1, $2, $3, $4, $5, $6)";
const INSERT_UNPLACED: &str = "INSERT INTO miur_statistic_unplaced \
     (statistic_id, region, province, staff, reason) VALUES ($1, $2, $3, $4, $5)";

const LATEST: &str = "SELECT id, kind, computed_at_ms, validated_cfs, rows_read, rows_rejected \
     FROM miur_statistics WHERE kind = $1 ORDER BY computed_at_ms DESC, id DESC LIMIT 1";
const SINCE: &str = "SELECT id, kind, computed_at_ms, validated_cfs, rows_read, rows_rejected \
     FROM miur_statistics WHERE computed_at_ms >= $1 ORDER BY computed_at_ms, id";
const ASLS_OF: &str = "SELECT region_code, asl_code, with_mmg, without_mmg, paritarie \
     FROM miur_statistic_asl WHERE statistic_id = $1 ORDER BY region_code, asl_code";
const UNPLACED_OF: &str = "SELECT region, province, staff, reason \
     FROM miur_statistic_unplaced WHERE statistic_id = $1 ORDER BY region, province";

type StatisticRow = (i64, String, i64, Option<i64>, i64, i64);

fn stored_count(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn count(stored: &StoredRow<'_>, column: &'static str, value: i64) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| stored.corrupt(column, &value.to_string(), "a count"))
}

#[async_trait::async_trait]
impl<DB: Backend> MiurStatistics for Pool<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'c> &'c Pool<DB>: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> String: Decode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Decode<'q, DB>,
    usize: ColumnIndex<DB::Row>,
{
    async fn record(&self, statistic: &MiurStatistic) -> Result<(), StoreError> {
        let context = "recording a MIUR statistic failed";
        let id = rand::random::<i64>() & i64::MAX;
        let mut tx = begin(self, context).await?;
        sqlx::query(INSERT_STATISTIC)
            .bind(id)
            .bind(statistic.kind.as_str())
            .bind(statistic.computed_at.timestamp_millis())
            .bind(statistic.validated_cfs.map(stored_count))
            .bind(stored_count(statistic.rows_read))
            .bind(stored_count(statistic.rows_rejected))
            .execute(&mut *tx)
            .await
            .map_err(StoreError::query(context))?;
        for asl in &statistic.per_asl {
            sqlx::query(INSERT_ASL)
                .bind(id)
                .bind(asl.region_code.as_str())
                .bind(asl.asl_code.as_str())
                .bind(stored_count(asl.figures.with_mmg))
                .bind(stored_count(asl.figures.without_mmg))
                .bind(stored_count(asl.figures.paritarie))
                .execute(&mut *tx)
                .await
                .map_err(StoreError::query(context))?;
        }
        for unplaced in &statistic.unplaced {
            sqlx::query(INSERT_UNPLACED)
                .bind(id)
                .bind(unplaced.region.as_str())
                .bind(unplaced.province.as_str())
                .bind(stored_count(unplaced.staff))
                .bind(unplaced.reason.as_str())
                .execute(&mut *tx)
                .await
                .map_err(StoreError::query(context))?;
        }
        tx.commit().await.map_err(StoreError::query(context))
    }

    async fn latest(&self, kind: MiurKind) -> Result<Option<MiurStatistic>, StoreError> {
        let row: Option<StatisticRow> = sqlx::query_as(LATEST)
            .bind(kind.as_str())
            .fetch_optional(self)
            .await
            .map_err(StoreError::query(
                "reading the latest MIUR statistic failed",
            ))?;
        match row {
            Some(row) => Ok(Some(read_statistic(self, row).await?)),
            None => Ok(None),
        }
    }

    async fn computed_since(&self, since: DateTime<Utc>) -> Result<Vec<MiurStatistic>, StoreError> {
        let rows: Vec<StatisticRow> = sqlx::query_as(SINCE)
            .bind(since.timestamp_millis())
            .fetch_all(self)
            .await
            .map_err(StoreError::query("reading MIUR statistics failed"))?;
        let mut statistics = Vec::with_capacity(rows.len());
        for row in rows {
            statistics.push(read_statistic(self, row).await?);
        }
        Ok(statistics)
    }
}

/// The statistic of `row`, with its ASLs and what it could not place.
async fn read_statistic<DB: Backend>(
    pool: &Pool<DB>,
    (id, kind, computed_at_ms, validated_cfs, rows_read, rows_rejected): StatisticRow,
) -> Result<MiurStatistic, StoreError>
where
    for<'c> &'c Pool<DB>: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> String: Decode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
{
    let context = "reading a MIUR statistic failed";
    let key = id.to_string();
    let stored = StoredRow::new("miur_statistics", &key);
    let kind = MiurKind::parse(&kind)
        .ok_or_else(|| stored.corrupt("kind", &kind, "statali, paritarie or trento-bolzano"))?;
    let computed_at = DateTime::<Utc>::from_timestamp_millis(computed_at_ms).ok_or_else(|| {
        stored.corrupt("computed_at_ms", &computed_at_ms.to_string(), "an instant")
    })?;
    let asl_rows: Vec<(String, String, i64, i64, i64)> = sqlx::query_as(ASLS_OF)
        .bind(id)
        .fetch_all(pool)
        .await
        .map_err(StoreError::query(context))?;
    let asl_stored = StoredRow::new("miur_statistic_asl", &key);
    let mut per_asl = Vec::with_capacity(asl_rows.len());
    for (region, asl, with_mmg, without_mmg, paritarie) in asl_rows {
        per_asl.push(AslFigures {
            region_code: asl_stored.region("region_code", &region)?,
            asl_code: asl_stored.asl("asl_code", &asl)?,
            figures: Figures {
                with_mmg: count(&asl_stored, "with_mmg", with_mmg)?,
                without_mmg: count(&asl_stored, "without_mmg", without_mmg)?,
                paritarie: count(&asl_stored, "paritarie", paritarie)?,
            },
        });
    }
    let unplaced_rows: Vec<(String, String, i64, String)> = sqlx::query_as(UNPLACED_OF)
        .bind(id)
        .fetch_all(pool)
        .await
        .map_err(StoreError::query(context))?;
    let unplaced_stored = StoredRow::new("miur_statistic_unplaced", &key);
    let mut unplaced = Vec::with_capacity(unplaced_rows.len());
    for (region, province, staff, reason) in unplaced_rows {
        unplaced.push(Unplaced {
            staff: count(&unplaced_stored, "staff", staff)?,
            region,
            province,
            reason,
        });
    }
    Ok(MiurStatistic {
        kind,
        computed_at,
        validated_cfs: validated_cfs
            .map(|v| count(&stored, "validated_cfs", v))
            .transpose()?,
        rows_read: count(&stored, "rows_read", rows_read)?,
        rows_rejected: count(&stored, "rows_rejected", rows_rejected)?,
        per_asl,
        unplaced,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asl(region: &str, code: &str, with_mmg: u64, without_mmg: u64) -> AslFigures {
        AslFigures {
            region_code: RegionCode::parse(region).unwrap_or_else(|_| unreachable!()),
            asl_code: AslCode::parse(code).unwrap_or_else(|_| unreachable!()),
            figures: Figures {
                with_mmg,
                without_mmg,
                paritarie: 0,
            },
        }
    }

    #[test]
    fn a_region_is_the_sum_of_its_asls() {
        let statistic = MiurStatistic {
            kind: MiurKind::Statali,
            computed_at: Utc::now(),
            validated_cfs: Some(10),
            rows_read: 11,
            rows_rejected: 1,
            per_asl: vec![
                asl("120", "201", 3, 1),
                asl("120", "202", 2, 2),
                asl("030", "301", 1, 1),
            ],
            unplaced: vec![],
        };
        let regions = statistic.per_region();
        assert_eq!(regions.len(), 2);
        assert_eq!(regions[0].0.as_str(), "030");
        assert_eq!((regions[1].1.with_mmg, regions[1].1.without_mmg), (5, 3));
        assert_eq!(
            statistic.total().with_mmg + statistic.total().without_mmg,
            10
        );
    }

    #[test]
    fn kinds_round_trip() {
        for kind in MiurKind::ALL {
            assert_eq!(MiurKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(MiurKind::parse("statale"), None);
    }
}
