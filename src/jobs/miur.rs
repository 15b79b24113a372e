//! The three MIUR files of school staff (seed 003 §2.4, README "MIUR staff lists"): read with a
//! real CSV reader, counted against the registry into a statistic **before** anything is
//! deleted, the statistic stored and logged, and only then the §2.5 rules applied:
//!
//! - `statali` (§2.4.1, `codice_fiscale`) and the state-school rows of `trento-bolzano`
//!   (§2.4.3, `codice_fiscale;tipologia`): the staff alive with an MMG become that kind's list
//!   (the doctors' lists of §3.4.1 and the per-MMG file of §4.4.1), **replacing** the list the
//!   previous file of the same kind made; everyone else of the file is never kept.
//! - `paritarie` (§2.4.2, `regione;provincia;totale_personale`) and the paritaria rows of
//!   `trento-bolzano`: counted per ASL; the rows are never stored (the staged CFs of the
//!   paritaria rows go with the import's staging, right after the statistic).
//!
//! A malformed row is counted and reported with its line, and the import goes on. A file whose
//! header is another kind's, or no kind's, is refused whole, as is a file with no valid row (so
//! an empty or wrong file can never empty a list).

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::csv_rows::{header_text, CsvRows, Next, ReadFailed};
use super::paritarie::{is_province_sigla, Placement};
use super::progress::Progress;
use crate::audit::admin::{
    record_admin_action, Actor, AdminAction, AdminActionNotRecorded, AdminOperation, AdminOutcome,
};
use crate::domain::{AslCode, CodiceFiscale, RegionCode};
use crate::store::{
    AslFigures, Figures, ListReplaced, MiurKind, MiurStatistic, StaffStaging, StagedStaff, Store,
    StoreError, Unplaced,
};

/// The header line of each kind (compared without case).
pub fn header(kind: MiurKind) -> &'static str {
    match kind {
        MiurKind::Statali => "codice_fiscale",
        MiurKind::Paritarie => "regione;provincia;totale_personale",
        MiurKind::TrentoBolzano => "codice_fiscale;tipologia",
    }
}

/// How many row problems a report keeps, with their lines (all are counted).
pub const REPORTED_PROBLEMS: usize = 1000;

/// Distinct unplaced (region, province) pairs a paritarie statistic keeps; rows beyond are
/// rejected, so a hostile file cannot grow memory or the statistic without bound.
const MAX_UNPLACED: usize = 1000;

/// CFs staged per transaction, sorted by CF before they are written: the larger the batch, the
/// fewer the sorted runs the staging's B-tree receives (memory stays a few MB whatever the file).
const BATCH: usize = 100_000;

/// Progress is reported every this many rows.
const PROGRESS_EVERY: u64 = 10_000;

/// A row not taken, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    pub line: u64,
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MiurImportReport {
    /// The statistic computed and stored (and logged) before any deletion.
    pub statistic: MiurStatistic,
    /// The first [`REPORTED_PROBLEMS`] rows refused, in file order.
    pub problems: Vec<RowProblem>,
    /// The list this file replaced (`statali`, `trento-bolzano`).
    pub list: Option<ListReplaced>,
}

impl MiurImportReport {
    /// One line: what was read, counted and listed (the CLI prints it, the access log keeps it).
    pub fn summary(&self) -> String {
        let s = &self.statistic;
        let total = s.total();
        let mut line = format!(
            "{} {} rows, {} rejected",
            s.kind, s.rows_read, s.rows_rejected
        );
        if let Some(validated) = s.validated_cfs {
            line.push_str(&format!("; {validated} CFs validated"));
        }
        match s.kind {
            MiurKind::Statali => line.push_str(&format!(
                " ({} with MMG, {} without)",
                total.with_mmg, total.without_mmg
            )),
            MiurKind::Paritarie => {
                let unplaced: u64 = s.unplaced.iter().map(|u| u.staff).sum();
                line.push_str(&format!(
                    "; {} staff placed on ASLs, {unplaced} not placed",
                    total.paritarie
                ))
            }
            MiurKind::TrentoBolzano => line.push_str(&format!(
                " ({} statale with MMG, {} statale without, {} paritaria)",
                total.with_mmg, total.without_mmg, total.paritarie
            )),
        }
        if let Some(list) = self.list {
            line.push_str(&format!(
                "; list: {} on MMGs' lists, {} removed from the previous one",
                list.listed, list.removed
            ));
        }
        line
    }
}

/// Why an import was refused or failed. A refused file changed nothing.
#[derive(Debug, thiserror::Error)]
pub enum MiurImportError {
    #[error("cannot open {}", path.display())]
    Open {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("the file is empty: a {kind} file begins with the header line {:?}", header(*kind))]
    Empty { kind: MiurKind },

    #[error(
        "this is a {found} file (header {header:?}), not {declared}: refused whole, nothing imported"
    )]
    WrongKind {
        declared: MiurKind,
        found: MiurKind,
        header: String,
    },

    #[error(
        "the first line must be the header {:?} of a {declared} file, not {found:?}: refused whole, nothing imported",
        header(*declared)
    )]
    BadHeader { declared: MiurKind, found: String },

    #[error(
        "no valid row ({rejected} of {rows} rejected): refused whole, the {declared} data in force are unchanged"
    )]
    NoValidRow {
        declared: MiurKind,
        rows: u64,
        rejected: u64,
    },

    #[error("the file cannot be read to its end; nothing was imported")]
    Read(#[from] ReadFailed),

    #[error(transparent)]
    Store(#[from] StoreError),

    #[error(transparent)]
    NotRecorded(#[from] AdminActionNotRecorded),
}

/// Who imports, and where progress goes.
pub struct Intake<'a> {
    pub store: &'a dyn Store,
    pub actor: Actor,
    pub progress: &'a dyn Progress,
}

/// Rows counted and the problems found.
#[derive(Debug, Default)]
struct Tally {
    rows: u64,
    rejected: u64,
    problems: Vec<RowProblem>,
}

impl Tally {
    fn reject(&mut self, line: u64, reason: String) {
        self.rejected += 1;
        if self.problems.len() < REPORTED_PROBLEMS {
            self.problems.push(RowProblem { line, reason });
        }
    }
}

/// A field as quoted in a problem: at most 40 characters.
fn quoted(text: &str) -> String {
    format!("{:?}", text.chars().take(40).collect::<String>())
}

fn parse_cf(tally: &mut Tally, line: u64, text: &str) -> Option<CodiceFiscale> {
    match CodiceFiscale::parse(text) {
        Ok(cf) => Some(cf),
        Err(_) => {
            tally.reject(
                line,
                format!("codice fiscale {} is not valid", quoted(text)),
            );
            None
        }
    }
}

impl Intake<'_> {
    /// Imports the file at `path` as `kind`.
    pub async fn import_file(
        &self,
        kind: MiurKind,
        path: &Path,
    ) -> Result<MiurImportReport, MiurImportError> {
        let open = |source| MiurImportError::Open {
            path: path.to_owned(),
            source,
        };
        let file = std::fs::File::open(path).map_err(open)?;
        let size = file.metadata().map_err(open)?.len();
        self.progress.begin(&path.display().to_string(), Some(size));
        let report = self.import(kind, file, Utc::now()).await;
        self.progress.finish();
        report
    }

    /// Imports `input` as `kind`, the statistic dated `now`.
    pub async fn import<R: Read>(
        &self,
        kind: MiurKind,
        input: R,
        now: DateTime<Utc>,
    ) -> Result<MiurImportReport, MiurImportError> {
        let mut rows = CsvRows::new(input);
        check_header(kind, &mut rows)?;
        match kind {
            MiurKind::Paritarie => self.paritarie(rows, now).await,
            MiurKind::Statali | MiurKind::TrentoBolzano => {
                // The staged CFs live only while their import runs: dropping the staging, on
                // any way out of `staff`, ends them.
                let mut staging = self.store.miur_lists().open_staging().await?;
                self.staff(kind, rows, staging.as_mut(), now).await
            }
        }
    }

    /// `statali` and `trento-bolzano`: stage, count, record, then replace the list.
    async fn staff<R: Read>(
        &self,
        kind: MiurKind,
        mut rows: CsvRows<R>,
        staging: &mut dyn StaffStaging,
        now: DateTime<Utc>,
    ) -> Result<MiurImportReport, MiurImportError> {
        let fields = if kind == MiurKind::Statali { 1 } else { 2 };
        let mut tally = Tally::default();
        let mut staged = 0u64;
        let mut batch = Vec::with_capacity(BATCH);
        loop {
            let row = match rows.next_row()? {
                Next::End => break,
                Next::NotUtf8 { line } => {
                    tally.rows += 1;
                    tally.reject(line, "not UTF-8".into());
                    continue;
                }
                Next::Row(row) => row,
            };
            tally.rows += 1;
            let line = row.line;
            if row.fields.len() != fields {
                tally.reject(
                    line,
                    format!(
                        "{} fields, expected {fields} ({})",
                        row.fields.len(),
                        header(kind)
                    ),
                );
                continue;
            }
            let paritaria = match row.fields.get(1).map(|t| t.to_ascii_lowercase()) {
                None => false,
                Some(t) if t == "statale" => false,
                Some(t) if t == "paritaria" => true,
                Some(_) => {
                    tally.reject(
                        line,
                        format!(
                            "tipologia {} is neither statale nor paritaria",
                            quoted(row.fields[1])
                        ),
                    );
                    continue;
                }
            };
            let Some(cf) = parse_cf(&mut tally, line, row.fields[0]) else {
                continue;
            };
            batch.push(StagedStaff { cf, paritaria });
            if batch.len() == BATCH {
                staged += BATCH as u64;
                staging
                    .stage(&std::mem::replace(&mut batch, Vec::with_capacity(BATCH)))
                    .await?;
            }
            if tally.rows.is_multiple_of(PROGRESS_EVERY) {
                self.progress.advance(rows.bytes_read(), tally.rows);
            }
        }
        staged += batch.len() as u64;
        staging.stage(&batch).await?;
        self.progress.advance(rows.bytes_read(), tally.rows);
        if staged == 0 {
            return Err(MiurImportError::NoValidRow {
                declared: kind,
                rows: tally.rows,
                rejected: tally.rejected,
            });
        }
        // §2.5: counted first, then recorded, and only then is anything deleted.
        let figures = staging.figures().await?;
        let statistic = MiurStatistic {
            kind,
            computed_at: now,
            validated_cfs: Some(figures.validated_cfs),
            rows_read: tally.rows,
            rows_rejected: tally.rejected,
            per_asl: figures.per_asl,
            unplaced: Vec::new(),
        };
        self.record(&statistic).await?;
        let list = staging
            .replace_list(kind, crate::clock::rome_day(now))
            .await?;
        Ok(MiurImportReport {
            statistic,
            problems: tally.problems,
            list: Some(list),
        })
    }

    /// `paritarie`: each row placed on an ASL, summed; nothing of the file is stored.
    async fn paritarie<R: Read>(
        &self,
        mut rows: CsvRows<R>,
        now: DateTime<Utc>,
    ) -> Result<MiurImportReport, MiurImportError> {
        let lists = self.store.miur_lists();
        let placement = Placement::new(&lists.regions().await?, &lists.province_asls().await?);
        let mut tally = Tally::default();
        let mut per_asl: BTreeMap<(RegionCode, AslCode), u64> = BTreeMap::new();
        let mut placed_on_line: HashMap<(RegionCode, String), u64> = HashMap::new();
        let mut unplaced: BTreeMap<(String, String), Unplaced> = BTreeMap::new();
        let mut accepted = 0u64;
        loop {
            let row = match rows.next_row()? {
                Next::End => break,
                Next::NotUtf8 { line } => {
                    tally.rows += 1;
                    tally.reject(line, "not UTF-8".into());
                    continue;
                }
                Next::Row(row) => row,
            };
            tally.rows += 1;
            let line = row.line;
            let [region, province, staff] = row.fields[..] else {
                tally.reject(
                    line,
                    format!(
                        "{} fields, expected 3 ({})",
                        row.fields.len(),
                        header(MiurKind::Paritarie)
                    ),
                );
                continue;
            };
            if region.is_empty() {
                tally.reject(line, "regione is empty".into());
                continue;
            }
            if !is_province_sigla(province) {
                tally.reject(
                    line,
                    format!("provincia {} is not a two-letter sigla", quoted(province)),
                );
                continue;
            }
            let Some(staff) = staff
                .bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| staff.parse::<u64>().ok())
                .flatten()
            else {
                tally.reject(
                    line,
                    format!("totale_personale {} is not a whole number", quoted(staff)),
                );
                continue;
            };
            let province = province.to_ascii_uppercase();
            match placement.place(region, &province) {
                Ok((region_code, asl_code)) => {
                    if let Some(first) = placed_on_line.get(&(region_code, province.clone())) {
                        tally.reject(
                            line,
                            format!(
                                "province {province} of region {region_code} is already on line {first}"
                            ),
                        );
                        continue;
                    }
                    placed_on_line.insert((region_code, province), line);
                    *per_asl.entry((region_code, asl_code)).or_default() += staff;
                }
                Err(why) => {
                    let key = (region.to_owned(), province.clone());
                    if !unplaced.contains_key(&key) && unplaced.len() == MAX_UNPLACED {
                        tally.reject(
                            line,
                            format!("{why}, and over {MAX_UNPLACED} such rows: not counted"),
                        );
                        continue;
                    }
                    unplaced
                        .entry(key)
                        .or_insert_with(|| Unplaced {
                            region: region.to_owned(),
                            province,
                            staff: 0,
                            reason: why.to_string(),
                        })
                        .staff += staff;
                }
            }
            accepted += 1;
            if tally.rows.is_multiple_of(PROGRESS_EVERY) {
                self.progress.advance(rows.bytes_read(), tally.rows);
            }
        }
        self.progress.advance(rows.bytes_read(), tally.rows);
        if accepted == 0 {
            return Err(MiurImportError::NoValidRow {
                declared: MiurKind::Paritarie,
                rows: tally.rows,
                rejected: tally.rejected,
            });
        }
        let statistic = MiurStatistic {
            kind: MiurKind::Paritarie,
            computed_at: now,
            validated_cfs: None,
            rows_read: tally.rows,
            rows_rejected: tally.rejected,
            per_asl: per_asl
                .into_iter()
                .map(|((region_code, asl_code), paritarie)| AslFigures {
                    region_code,
                    asl_code,
                    figures: Figures {
                        paritarie,
                        ..Figures::default()
                    },
                })
                .collect(),
            unplaced: unplaced.into_values().collect(),
        };
        self.record(&statistic).await?;
        Ok(MiurImportReport {
            statistic,
            problems: tally.problems,
            list: None,
        })
    }

    /// Stores the statistic and writes its access-log entry (`miur-statistic`).
    async fn record(&self, statistic: &MiurStatistic) -> Result<(), MiurImportError> {
        self.store.miur_statistics().record(statistic).await?;
        let total = statistic.total();
        let validated = statistic
            .validated_cfs
            .map(|v| format!(", {v} CFs validated"))
            .unwrap_or_default();
        let unplaced: u64 = statistic.unplaced.iter().map(|u| u.staff).sum();
        let detail =
            format!(
            "Data statistica {}: {} rows, {} rejected{validated}; with MMG {}, without MMG {}, \
             paritarie {}, not placed {unplaced}",
            statistic.computed_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            statistic.rows_read,
            statistic.rows_rejected,
            total.with_mmg,
            total.without_mmg,
            total.paritarie,
        );
        record_admin_action(
            self.store,
            &AdminAction {
                actor: self.actor.clone(),
                operation: AdminOperation::MiurStatistic,
                target: Some(statistic.kind.as_str().to_owned()),
                detail: Some(detail),
                outcome: AdminOutcome::Done,
                client_address: None,
            },
        )
        .await?;
        Ok(())
    }
}

/// The first row must be `kind`'s header; another kind's is named in the refusal.
fn check_header<R: Read>(kind: MiurKind, rows: &mut CsvRows<R>) -> Result<(), MiurImportError> {
    let found = match rows.next_row()? {
        Next::End => return Err(MiurImportError::Empty { kind }),
        Next::NotUtf8 { .. } => "(not UTF-8)".to_owned(),
        Next::Row(row) => header_text(&row.fields),
    };
    if found == header(kind) {
        return Ok(());
    }
    match MiurKind::ALL
        .into_iter()
        .find(|other| header(*other) == found)
    {
        Some(other) => Err(MiurImportError::WrongKind {
            declared: kind,
            found: other,
            header: found,
        }),
        // A first line with digits is a data row (a CF): never echoed, so no staff member's
        // CF reaches the access log through the refusal's reason.
        None if found.bytes().any(|b| b.is_ascii_digit()) => Err(MiurImportError::BadHeader {
            declared: kind,
            found: "(a data row, not a header)".into(),
        }),
        None => Err(MiurImportError::BadHeader {
            declared: kind,
            found: found.chars().take(80).collect(),
        }),
    }
}
