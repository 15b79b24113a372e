//! `tsgate registry import`: loads the CSV files of [`super`] from a folder, streaming, in
//! batched transactions (upserts: importing a file again updates what it lists), then matches
//! the school-staff list to the registry (docs/registry.md, from seed 003 §2.5). A malformed row
//! stops the import with its file and line; the batches before it stay committed, and importing
//! again is safe.
//!
//! The assistiti file, the large one, is staged first and applied in one transaction in CF
//! order (see [`Staging::apply_staged_assistiti`]): in file order its random CFs made a
//! 10-million-row import rewrite the table hundreds of times. It is applied whole or not at
//! all, and a CF on two of its lines refuses it, naming both.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use anyhow::{bail, Context};
use chrono::NaiveDate;

use super::*;
use crate::domain::{AslCode, CodiceFiscale, RegionCode};
use crate::store::{
    Asl, Assistito, AssistitoStatus, Mmg, Municipality, Region, StaffMatch, StaffMember,
    StagedApply, StagedAssistito, StagedImport, Staging, Store,
};

/// Rows per transaction.
const BATCH: usize = 20_000;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSummary {
    /// (file, rows imported), for the files found.
    pub files: Vec<(&'static str, u64)>,
    pub staff: StaffMatch,
}

pub async fn import(store: &dyn Store, dir: &Path) -> anyhow::Result<ImportSummary> {
    let mut summary = ImportSummary::default();
    let mut found = false;
    macro_rules! load {
        ($file:expr, $header:expr, $fields:expr, $parse:expr, $concern:ident.$upsert:ident) => {
            let path = dir.join($file);
            if path.exists() {
                found = true;
                let rows = load_file(&path, $header, $fields, $parse, |batch| async move {
                    store.$concern().$upsert(&batch).await
                })
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
        let rows = import_assistiti(store.staging(), &path).await?;
        summary.files.push((ASSISTITI, rows));
    }
    load!(
        PERSONALE,
        PERSONALE_HEADER,
        2,
        |_, f: &[&str]| Ok(StaffMember {
            cf: cf(f[0])?,
            updated_on: NaiveDate::parse_from_str(f[1], "%Y-%m-%d")
                .with_context(|| format!("data_aggiornamento {:?} is not yyyy-mm-dd", f[1]))?,
        }),
        staging.upsert_school_staff
    );
    if !found {
        bail!("{} holds none of the registry files ({REGIONI}, {ASL}, {COMUNI}, {MMG}, {ASSISTITI}, {PERSONALE})", dir.display());
    }
    summary.staff = store.staging().match_school_staff().await?;
    Ok(summary)
}

/// An import that began this long ago and left rows staged was interrupted.
const ABANDONED_AFTER: chrono::TimeDelta = chrono::TimeDelta::hours(24);

/// Stages the assistiti file under its own id, then applies it whole; its staged rows are
/// removed either way (and those an interrupted import left a day or more ago).
async fn import_assistiti(staging: &dyn Staging, path: &Path) -> anyhow::Result<u64> {
    let import = StagedImport::begin(chrono::Utc::now());
    staging
        .purge_abandoned(import.started - ABANDONED_AFTER)
        .await?;
    let applied = async {
        let rows = load_file(
            path,
            ASSISTITI_HEADER,
            7,
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
    parse: P,
    upsert: U,
) -> anyhow::Result<u64>
where
    P: Fn(u64, &[&str]) -> anyhow::Result<T>,
    U: Fn(Vec<T>) -> F,
    F: std::future::Future<Output = Result<(), crate::store::StoreError>>,
{
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut lines = BufReader::with_capacity(1 << 20, file).lines();
    let first = lines.next().transpose()?.unwrap_or_default();
    if first.trim_start_matches('\u{feff}').trim_end() != header {
        bail!(
            "{}: the first line must be the header {header:?}",
            path.display()
        );
    }
    let mut batch = Vec::with_capacity(BATCH);
    let mut rows = 0u64;
    for (line_number, line) in (2u64..).zip(lines) {
        let line = line.with_context(|| format!("{}: line {line_number}", path.display()))?;
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            continue;
        }
        let split: Vec<&str> = line.split(';').map(str::trim).collect();
        if split.len() != fields {
            bail!(
                "{}: line {line_number}: {} fields, expected {fields} ({header})",
                path.display(),
                split.len()
            );
        }
        batch.push(
            parse(line_number, &split)
                .with_context(|| format!("{}: line {line_number}", path.display()))?,
        );
        if batch.len() == BATCH {
            rows += BATCH as u64;
            upsert(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)))
                .await
                .with_context(|| {
                    format!("{}: importing up to line {line_number}", path.display())
                })?;
        }
    }
    rows += batch.len() as u64;
    if !batch.is_empty() {
        upsert(batch)
            .await
            .with_context(|| format!("{}: importing the last rows", path.display()))?;
    }
    Ok(rows)
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
