//! `tsgate registry import`: loads the CSV files of [`super`] from a folder, streaming, with a
//! CSV reader ([`crate::jobs::csv_rows`]), in batched transactions (upserts: importing a file
//! again updates what it lists), then matches the school-staff lists again to the changed
//! registry (docs/registry.md, from seed 003 §2.5). A malformed row stops the import with its
//! file and line; the batches before it stay committed, and importing again is safe.
//!
//! The assistiti file, the large one, is staged first and applied in one transaction in CF
//! order (see [`Staging::apply_staged_assistiti`]): in file order its random CFs made a
//! 10-million-row import rewrite the table hundreds of times. It is applied whole or not at
//! all, and a CF on two of its lines refuses it, naming both.

use std::fs::File;
use std::path::Path;

use anyhow::{bail, Context};

use super::*;
use crate::domain::{AslCode, CodiceFiscale, RegionCode};
use crate::jobs::csv_rows::{header_text, CsvRows, Next};
use crate::jobs::{Progress, Silent};
use crate::store::{
    Asl, Assistito, AssistitoStatus, Mmg, Municipality, Region, StaffMatch, StagedApply,
    StagedAssistito, StagedImport, Staging, Store,
};

/// Rows per transaction.
const BATCH: usize = 20_000;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSummary {
    /// (file, rows imported), for the files found.
    pub files: Vec<(&'static str, u64)>,
    pub staff: StaffMatch,
}

/// [`import_with_progress`], reporting nothing.
pub async fn import(store: &dyn Store, dir: &Path) -> anyhow::Result<ImportSummary> {
    import_with_progress(store, dir, &Silent).await
}

/// Imports the files `dir` holds, telling `progress` how far each got.
pub async fn import_with_progress(
    store: &dyn Store,
    dir: &Path,
    progress: &dyn Progress,
) -> anyhow::Result<ImportSummary> {
    let mut summary = ImportSummary::default();
    let mut found = false;
    macro_rules! load {
        ($file:expr, $header:expr, $fields:expr, $parse:expr, $concern:ident.$upsert:ident) => {
            let path = dir.join($file);
            if path.exists() {
                found = true;
                let rows = load_file(
                    &path,
                    $header,
                    $fields,
                    progress,
                    $parse,
                    |batch| async move { store.$concern().$upsert(&batch).await },
                )
                .await?;
                summary.files.push(($file, rows));
            }
        };
    }
    load!(
        REGIONI,
        REGIONI_HEADER,
        2,
        |_, f: &[&str]| Ok(Region {
            code: region_code(f[0])?,
            name: f[1].to_owned()
        }),
        patients.upsert_regions
    );
    load!(
        ASL,
        ASL_HEADER,
        3,
        |_, f: &[&str]| Ok(Asl {
            region_code: region_code(f[0])?,
            code: asl_code(f[1])?,
            name: f[2].to_owned()
        }),
        patients.upsert_asls
    );
    load!(
        COMUNI,
        COMUNI_HEADER,
        5,
        |_, f: &[&str]| Ok(Municipality {
            code: f[0].to_ascii_uppercase(),
            name: f[1].to_owned(),
            province: f[2].to_ascii_uppercase(),
            region_code: region_code(f[3])?,
            asl_code: asl_code(f[4])?,
        }),
        patients.upsert_municipalities
    );
    load!(
        MMG,
        MMG_HEADER,
        5,
        |_, f: &[&str]| Ok(Mmg {
            cf: cf(f[0])?.into(),
            surname: f[1].to_owned(),
            name: f[2].to_owned(),
            region_code: region_code(f[3])?,
            asl_code: asl_code(f[4])?,
        }),
        patients.upsert_mmgs
    );
    let path = dir.join(ASSISTITI);
    if path.exists() {
        found = true;
        let rows = import_assistiti(store.staging(), &path, progress).await?;
        summary.files.push((ASSISTITI, rows));
    }
    if !found {
        bail!(
            "{} holds none of the registry files ({REGIONI}, {ASL}, {COMUNI}, {MMG}, {ASSISTITI})",
            dir.display()
        );
    }
    let today = crate::clock::rome_day(chrono::Utc::now());
    summary.staff = store.staging().match_school_staff(today).await?;
    Ok(summary)
}

/// An import that began this long ago and left rows staged was interrupted.
const ABANDONED_AFTER: chrono::TimeDelta = chrono::TimeDelta::hours(24);

/// Stages the assistiti file under its own id, then applies it whole; its staged rows are
/// removed either way (and those an interrupted import left a day or more ago).
async fn import_assistiti(
    staging: &dyn Staging,
    path: &Path,
    progress: &dyn Progress,
) -> anyhow::Result<u64> {
    let import = StagedImport::begin(chrono::Utc::now());
    staging
        .purge_abandoned(import.started - ABANDONED_AFTER)
        .await?;
    let applied = async {
        let rows = load_file(
            path,
            ASSISTITI_HEADER,
            7,
            progress,
            |line, f| {
                Ok(StagedAssistito {
                    line,
                    assistito: assistito(f)?,
                })
            },
            |batch| async move { staging.stage_assistiti(&import, &batch).await },
        )
        .await?;
        let applied = staging
            .apply_staged_assistiti(&import)
            .await
            .with_context(|| format!("{}: applying the staged rows", path.display()))?;
        anyhow::Ok((rows, applied))
    }
    .await;
    // Patients' names wait in the staging table only while their import runs.
    let cleared = staging.clear_staged_assistiti(&import).await;
    let (rows, applied) = applied?;
    cleared?;
    match applied {
        StagedApply::Applied { .. } => Ok(rows),
        StagedApply::DuplicateCf {
            cf,
            first_line,
            second_line,
        } => bail!(
            "{}: codice fiscale {cf} is on lines {first_line} and {second_line}; \
             nothing of this file was imported",
            path.display()
        ),
    }
}

fn assistito(f: &[&str]) -> anyhow::Result<Assistito> {
    Ok(Assistito {
        cf: cf(f[0])?,
        name: f[1].to_owned(),
        surname: f[2].to_owned(),
        region_code: region_code(f[3])?,
        asl_code: asl_code(f[4])?,
        mmg_cf: if f[5].is_empty() {
            None
        } else {
            Some(cf(f[5])?.into())
        },
        status: AssistitoStatus::parse(f[6])
            .with_context(|| format!("unknown stato {:?}: vivo, deceduto or emigrato", f[6]))?,
    })
}

async fn load_file<T, P, U, F>(
    path: &Path,
    header: &str,
    fields: usize,
    progress: &dyn Progress,
    parse: P,
    upsert: U,
) -> anyhow::Result<u64>
where
    P: Fn(u64, &[&str]) -> anyhow::Result<T>,
    U: Fn(Vec<T>) -> F,
    F: std::future::Future<Output = Result<(), crate::store::StoreError>>,
{
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let size = file.metadata().ok().map(|meta| meta.len());
    progress.begin(&path.display().to_string(), size);
    let loaded = load_rows(
        path,
        header,
        fields,
        progress,
        CsvRows::new(file),
        parse,
        upsert,
    )
    .await;
    progress.finish();
    loaded
}

/// Rows between progress reports.
const PROGRESS_EVERY: u64 = 10_000;

async fn load_rows<T, P, U, F>(
    path: &Path,
    header: &str,
    fields: usize,
    progress: &dyn Progress,
    mut rows: CsvRows<File>,
    parse: P,
    upsert: U,
) -> anyhow::Result<u64>
where
    P: Fn(u64, &[&str]) -> anyhow::Result<T>,
    U: Fn(Vec<T>) -> F,
    F: std::future::Future<Output = Result<(), crate::store::StoreError>>,
{
    let first = match rows
        .next_row()
        .with_context(|| path.display().to_string())?
    {
        Next::Row(row) => header_text(&row.fields),
        Next::NotUtf8 { .. } | Next::End => String::new(),
    };
    if first != header {
        bail!(
            "{}: the first line must be the header {header:?}",
            path.display()
        );
    }
    let mut batch = Vec::with_capacity(BATCH);
    let mut read = 0u64;
    loop {
        let row = match rows
            .next_row()
            .with_context(|| path.display().to_string())?
        {
            Next::End => break,
            Next::NotUtf8 { line } => bail!("{}: line {line}: not UTF-8", path.display()),
            Next::Row(row) => row,
        };
        let line_number = row.line;
        if row.fields.len() != fields {
            bail!(
                "{}: line {line_number}: {} fields, expected {fields} ({header})",
                path.display(),
                row.fields.len()
            );
        }
        batch.push(
            parse(line_number, &row.fields)
                .with_context(|| format!("{}: line {line_number}", path.display()))?,
        );
        read += 1;
        if read.is_multiple_of(PROGRESS_EVERY) {
            progress.advance(rows.bytes_read(), read);
        }
        if batch.len() == BATCH {
            upsert(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)))
                .await
                .with_context(|| {
                    format!("{}: importing up to line {line_number}", path.display())
                })?;
        }
    }
    progress.advance(rows.bytes_read(), read);
    if !batch.is_empty() {
        upsert(batch)
            .await
            .with_context(|| format!("{}: importing the last rows", path.display()))?;
    }
    Ok(read)
}

fn cf(text: &str) -> anyhow::Result<CodiceFiscale> {
    CodiceFiscale::parse(text).with_context(|| format!("codice fiscale {text:?} is not valid"))
}

fn region_code(text: &str) -> anyhow::Result<RegionCode> {
    RegionCode::parse(text).with_context(|| format!("{text:?} is not a 3-digit code"))
}

fn asl_code(text: &str) -> anyhow::Result<AslCode> {
    AslCode::parse(text).with_context(|| format!("{text:?} is not a 3-digit code"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cf_whose_birth_date_cannot_exist_is_refused_like_any_malformed_cf() {
        assert_eq!(
            cf("rssmra80a01h501u")
                .ok()
                .as_ref()
                .map(CodiceFiscale::as_str),
            Some("RSSMRA80A01H501U")
        );
        // 30 February and day 32 (judged before the check letter), and no CF at all.
        for bad in ["RSSMRA80B30H501X", "RSSMRA80A32H501X", "NOTACF"] {
            let error = cf(bad).expect_err("refused");
            assert!(format!("{error:#}").contains(bad), "{error:#}");
        }
    }
}
