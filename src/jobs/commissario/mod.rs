//! The Commissioner's report (seed 003 §5): the figures of §5.4 per region and per ASL as a CSV
//! ([`csv`]) and the latest §2.4 statistic of each MIUR file as a second CSV (the one `tsgate
//! stats miur` prints, [`crate::jobs::stats_output`]), packed in a zip archive encrypted with AES-256 under a freshly generated password
//! ([`archive`], [`password`]), written to a file for a manual send or sent by PEC ([`pec`]):
//! the archive first, then the password in a separate message. `serve` sends it once a day
//! ([`daily`]).

pub mod archive;
pub mod csv;
pub mod daily;
pub mod password;
pub mod pec;

use chrono::{DateTime, Utc};

use crate::audit::{record_admin_action, Actor, AdminAction, AdminOperation, AdminOutcome};
use crate::jobs::stats_output;
use crate::store::{Store, StoreError};

pub use archive::SealedReport;
pub use password::ArchivePassword;

/// The name of the §5.4 figures' CSV inside the archive.
pub const CSV_NAME: &str = "statistiche-test-sierologici.csv";

/// The name of the MIUR statistics' CSV (§2.4) inside the archive.
pub const MIUR_CSV_NAME: &str = "statistiche-personale-scolastico.csv";

/// The report's content at one instant: its "Data statistica" and the two CSVs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub computed_at: DateTime<Utc>,
    /// The §5.4 figures.
    pub csv: Vec<u8>,
    /// The latest §2.4 statistic of each MIUR kind, each with its own "Data statistica" (only
    /// the header line when no MIUR file was imported yet).
    pub miur_csv: Vec<u8>,
}

/// Computes the figures now and renders them, with the MIUR statistics kept.
pub async fn compute(store: &dyn Store, now: DateTime<Utc>) -> Result<Report, StoreError> {
    let figures = store.commissioner().figures().await?;
    let statistics = stats_output::latest(store).await?;
    Ok(Report {
        computed_at: now,
        csv: csv::render(now, &figures),
        miur_csv: stats_output::csv(&statistics).into_bytes(),
    })
}

/// The archive's name for a report computed at `at` (Europe/Rome date).
pub fn archive_name(at: DateTime<Utc>) -> String {
    format!(
        "commissario-{}.zip",
        crate::clock::rome_day(at).format("%Y-%m-%d")
    )
}

/// Why the report was not delivered.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot compute the report's figures")]
    Store(#[from] StoreError),
    #[error(transparent)]
    Archive(#[from] archive::ArchiveError),
    #[error(transparent)]
    Pec(#[from] pec::PecError),
    #[error("cannot write the archive {path}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{done}, but it could not be recorded in the access log")]
    NotRecorded {
        done: String,
        #[source]
        source: StoreError,
    },
}

/// What a delivered report was.
#[derive(Debug)]
pub struct Delivered {
    pub archive_name: String,
    /// Hex SHA-256 of the archive.
    pub sha256: String,
    /// The recipients (a send) or the file (an export).
    pub to: String,
}

/// Records the attempt `result` in the access log: `operation` by `actor`, on `to`, with the
/// archive's name and hash.
async fn record(
    store: &dyn Store,
    actor: Actor,
    operation: AdminOperation,
    to: &str,
    detail: String,
    result: Result<Delivered, ReportError>,
) -> Result<Delivered, ReportError> {
    let action = AdminAction {
        actor,
        operation,
        target: Some(to.to_owned()),
        detail: Some(detail),
        outcome: AdminOutcome::of(&result),
        client_address: None,
    };
    match (record_admin_action(store, &action).await, result) {
        (Ok(_), result) => result,
        (Err(not_recorded), Ok(delivered)) => Err(ReportError::NotRecorded {
            done: format!("{operation} of {} was done", delivered.archive_name),
            source: not_recorded.0,
        }),
        (Err(_), Err(error)) => Err(error),
    }
}

fn detail(name: &str, sealed: Option<&SealedReport>) -> String {
    match sealed {
        Some(sealed) => format!("archive {name}, SHA-256 {}", sealed.sha256),
        None => format!("archive {name}"),
    }
}

/// Computes the report, seals it and sends it by PEC (archive, then password), recorded in the
/// access log with the recipients, the archive's hash and the outcome.
pub async fn send(
    store: &dyn Store,
    sender: &pec::PecSender,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<Delivered, ReportError> {
    let name = archive_name(now);
    let to = sender.recipients();
    let sealed = match compute(store, now).await {
        Ok(report) => archive::seal(&report).map_err(ReportError::from),
        Err(error) => Err(error.into()),
    };
    let (detail, result) = match sealed {
        Ok(sealed) => {
            let sent = sender.send(&sealed, &name).await;
            (
                detail(&name, Some(&sealed)),
                sent.map(|()| Delivered {
                    archive_name: name.clone(),
                    sha256: sealed.sha256.clone(),
                    to: to.clone(),
                })
                .map_err(ReportError::from),
            )
        }
        Err(error) => (detail(&name, None), Err(error)),
    };
    record(
        store,
        actor,
        AdminOperation::CommissionerReportSend,
        &to,
        detail,
        result,
    )
    .await
}

/// Computes the report, seals it and writes the archive to `path` (created, never overwritten:
/// it may be another report someone has not sent yet), for a manual send. The password is
/// handed back to be shown once; the access log records the file and the archive's hash.
pub async fn export(
    store: &dyn Store,
    path: &std::path::Path,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<(Delivered, ArchivePassword), ReportError> {
    let to = path.display().to_string();
    let name = path
        .file_name()
        .map_or_else(|| archive_name(now), |n| n.to_string_lossy().into_owned());
    let sealed = match compute(store, now).await {
        Ok(report) => archive::seal(&report).map_err(ReportError::from),
        Err(error) => Err(error.into()),
    };
    let (detail, result) = match sealed {
        Ok(sealed) => {
            let written = write_new(path, &sealed.archive).map_err(|source| ReportError::Write {
                path: to.clone(),
                source,
            });
            (detail(&name, Some(&sealed)), written.map(|()| sealed))
        }
        Err(error) => (detail(&name, None), Err(error)),
    };
    let mut password = None;
    let result = result.map(|sealed| {
        password = Some(sealed.password);
        Delivered {
            archive_name: name.clone(),
            sha256: sealed.sha256,
            to: to.clone(),
        }
    });
    let delivered = record(
        store,
        actor,
        AdminOperation::CommissionerReportExport,
        &to,
        detail,
        result,
    )
    .await?;
    match password {
        Some(password) => Ok((delivered, password)),
        // `result` was Ok exactly when the password was taken.
        None => Err(ReportError::Write {
            path: to,
            source: std::io::Error::other("the archive was not sealed"),
        }),
    }
}

/// Writes `bytes` to a file that must not exist yet.
fn write_new(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}
