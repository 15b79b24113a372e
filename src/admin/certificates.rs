//! The gateway CA's certificates: issued, renewed and revoked so that the CA's files and the
//! store's register agree (`tsgate certs`, the demo), listed with their status, and watched
//! for expiry while the gateway serves.
//!
//! Which wins when they disagree: the CA's files are what TLS enforces, so the CRL is the
//! source of truth for revocation (a serial it lists is revoked, whatever the register says,
//! and `certs list` shows it so); the register is the source of truth for what was issued, to
//! whom, and until when. Every command writes the CA's files first and the register after, so
//! a failure in between leaves a certificate revoked but still marked valid in the register
//! (which `certs list` corrects), never the reverse. Who asked is recorded by the caller, in the
//! access log (`audit::record_admin_action`; the command line's `certs` commands).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::config::Config;
use crate::domain::RegionCode;
use crate::metrics::{CertificateExpiries, CertificateExpiry, CertificateLabels};
use crate::pki::ca::{self, CaError, CertificateFacts, CrlContents};
use crate::pki::files::{self, PemError};
use crate::pki::{CertificateAuthority, IssuedCertificate, Subject};
use crate::store::{CertificateKind, CertificateRecord, CertificateStatus, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum CertificateError {
    #[error(transparent)]
    Files(#[from] PemError),
    #[error(transparent)]
    Ca(#[from] CaError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error("invalid serial number '{0}': expected hexadecimal, as `tsgate certs list` prints it")]
    Serial(String),
    #[error(
        "region {0} has no valid certificate to renew: issue one with `tsgate certs issue region --code {0}`"
    )]
    NothingToRenew(RegionCode),
    #[error("region {0} has no certificate that is still valid: nothing to revoke")]
    NothingToRevoke(RegionCode),
    #[error("--days must be between 1 and 3650, not {0}")]
    Days(i64),
}

/// The gateway CA's files: certificate, key, CRL; and how it signs.
#[derive(Debug, Clone)]
pub struct CaFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub crl: PathBuf,
    /// Named as the CRL distribution point of the certificates issued.
    pub crl_url: Option<String>,
    /// How long a CRL signed here is valid.
    pub crl_valid_for: Duration,
}

impl CaFiles {
    /// `ca.pem`, `ca-key.pem` and `crl.pem` in `dir`, as `tsgate certs init` names them.
    pub fn in_dir(dir: &Path) -> CaFiles {
        CaFiles {
            cert: dir.join("ca.pem"),
            key: dir.join("ca-key.pem"),
            crl: dir.join("crl.pem"),
            crl_url: None,
            crl_valid_for: Duration::from_secs(crate::config::PkiConfig::default().crl_valid_secs),
        }
    }

    /// The files a configuration names: `tls.client_ca`, `pki.ca_key` (default: `NAME-key.pem`
    /// beside the CA's `NAME.pem`), the CRL (`pki.crl`, else the first of `tls.crls`, else
    /// `crl.pem` beside the CA), with the configured CRL address and validity.
    pub fn from_config(config: &Config) -> CaFiles {
        let ca = &config.tls.client_ca;
        let beside = |name: &str| ca.parent().unwrap_or(Path::new(".")).join(name);
        let stem = ca
            .file_stem()
            .map_or_else(|| "ca".into(), |s| s.to_string_lossy());
        CaFiles {
            cert: ca.clone(),
            key: config
                .pki
                .ca_key
                .clone()
                .unwrap_or_else(|| beside(&format!("{stem}-key.pem"))),
            crl: config
                .gateway_crl()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| beside("crl.pem")),
            crl_url: Some(config.crl_url()),
            crl_valid_for: Duration::from_secs(config.pki.crl_valid_secs),
        }
    }

    pub fn load(&self) -> Result<CertificateAuthority, CertificateError> {
        let ca = CertificateAuthority::load(
            &files::read_text(&self.cert)?,
            &files::read_text(&self.key)?,
        )?;
        Ok(ca.with_crl_url(self.crl_url.clone()))
    }

    /// The CRL as it stands (an empty one numbered 0 when there is no file yet).
    pub fn read_crl(&self) -> Result<CrlContents, CertificateError> {
        if !self.crl.exists() {
            return Ok(CrlContents {
                revoked: Vec::new(),
                number: 0,
                this_update: time::OffsetDateTime::now_utc(),
                next_update: None,
            });
        }
        Ok(ca::read_crl(&files::read_text(&self.crl)?)?)
    }

    /// Holds the CRL for a read-modify-write until the guard is dropped. Every gateway instance
    /// sharing this CA directory re-signs the CRL when it is due, and `certs revoke` may run at
    /// the same moment: without the lock, one could write back a CRL read before another's
    /// revocation and so undo it. An OS lock on `crl.pem.lock` beside the CRL (the kernel drops
    /// it when a process dies, kill -9 included); it blocks, briefly, while another holds it.
    pub fn lock_crl(&self) -> Result<CrlLock, CertificateError> {
        let path = self.crl.with_extension("pem.lock");
        let lock_error = |source| CertificateError::Write {
            path: path.display().to_string(),
            source,
        };
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(lock_error)?;
        file.lock().map_err(lock_error)?;
        Ok(CrlLock { _file: file })
    }

    /// Replaces the CRL file in one step (a reader sees the old or the new file, never half).
    pub fn write_crl(&self, pem: &str) -> Result<(), CertificateError> {
        let temporary = self.crl.with_extension("pem.new");
        let write_error = |source| CertificateError::Write {
            path: self.crl.display().to_string(),
            source,
        };
        std::fs::write(&temporary, pem).map_err(write_error)?;
        std::fs::rename(&temporary, &self.crl).map_err(write_error)
    }

    fn crl_validity(&self) -> time::Duration {
        time::Duration::try_from(self.crl_valid_for).unwrap_or(time::Duration::days(30))
    }
}

/// The CRL held for one read-modify-write ([`CaFiles::lock_crl`]); released when dropped.
pub struct CrlLock {
    _file: std::fs::File,
}

/// A record for the register, from what the certificate itself says.
pub fn record_of(
    facts: &CertificateFacts,
    kind: CertificateKind,
    issued_at: DateTime<Utc>,
    replaces: Option<String>,
) -> CertificateRecord {
    CertificateRecord {
        serial: facts.serial_hex.clone(),
        kind,
        subject: facts.subject.clone(),
        region: facts.region,
        not_before: to_chrono(facts.not_before),
        not_after: to_chrono(facts.not_after),
        issued_at,
        revoked_at: None,
        replaces,
    }
}

fn to_chrono(at: time::OffsetDateTime) -> DateTime<Utc> {
    let millis = i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX);
    DateTime::from_timestamp_millis(millis).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

fn kind_of(subject: &Subject) -> CertificateKind {
    match subject {
        Subject::Server { .. } => CertificateKind::Server,
        Subject::Client { .. } => CertificateKind::Client,
        Subject::Region { .. } => CertificateKind::Region,
        Subject::Ministry => CertificateKind::Ministry,
        Subject::Operator { .. } => CertificateKind::Operator,
    }
}

fn check_days(days: i64) -> Result<(), CertificateError> {
    if (1..=3650).contains(&days) {
        Ok(())
    } else {
        Err(CertificateError::Days(days))
    }
}

/// Records a certificate the gateway CA issued (the demo's and `certs init`'s, or one found
/// at start-up); one already recorded is left as it is. Returns whether it was new.
pub async fn register(
    store: &dyn Store,
    cert_pem: &str,
    kind: CertificateKind,
) -> Result<bool, CertificateError> {
    let facts = ca::describe(cert_pem)?;
    if store
        .certificates()
        .find(&facts.serial_hex)
        .await?
        .is_some()
    {
        return Ok(false);
    }
    let record = record_of(&facts, kind, Utc::now(), None);
    store.certificates().record(&record).await?;
    tracing::info!(serial = %record.serial, subject = %record.subject, "certificate recorded in the register");
    Ok(true)
}

/// Issues a certificate valid `days` from now and records it; the caller writes the files.
pub async fn issue(
    store: &dyn Store,
    files: &CaFiles,
    subject: &Subject,
    days: i64,
) -> Result<(IssuedCertificate, CertificateRecord), CertificateError> {
    check_days(days)?;
    issue_recorded(store, files, subject, days, None).await
}

async fn issue_recorded(
    store: &dyn Store,
    files: &CaFiles,
    subject: &Subject,
    days: i64,
    replaces: Option<String>,
) -> Result<(IssuedCertificate, CertificateRecord), CertificateError> {
    let ca = files.load()?;
    let issued = ca.issue(subject, days)?;
    let facts = ca::describe(&issued.cert_pem)?;
    let record = record_of(&facts, kind_of(subject), Utc::now(), replaces);
    store.certificates().record(&record).await?;
    Ok((issued, record))
}

/// A renewal: the certificate renewed (still valid until it expires or is revoked) and its
/// successor.
pub struct Renewal {
    pub renewed: CertificateRecord,
    pub issued: IssuedCertificate,
    pub record: CertificateRecord,
}

/// Issues the region a new certificate before its current one expires; the current one (the
/// valid one that expires last) stays valid.
pub async fn renew_region(
    store: &dyn Store,
    files: &CaFiles,
    region: RegionCode,
    days: i64,
) -> Result<Renewal, CertificateError> {
    check_days(days)?;
    let now = Utc::now();
    let crl = files.read_crl()?;
    let current = list(store, Some(&crl), now)
        .await?
        .into_iter()
        .filter(|(record, status)| {
            record.region == Some(region)
                && record.kind == CertificateKind::Region
                && *status == CertificateStatus::Valid
        })
        .map(|(record, _)| record)
        .max_by_key(|record| record.not_after)
        .ok_or(CertificateError::NothingToRenew(region))?;
    let (issued, record) = issue_recorded(
        store,
        files,
        &Subject::Region { code: region },
        days,
        Some(current.serial.clone()),
    )
    .await?;
    Ok(Renewal {
        renewed: current,
        issued,
        record,
    })
}

/// What `certs revoke` names: one serial, or every valid certificate of a region.
pub enum RevocationTarget {
    Serial(String),
    Region(RegionCode),
}

/// One serial revoked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revoked {
    pub serial: String,
    /// The CRL listed it already.
    pub already_in_crl: bool,
    /// The register knows it (a certificate issued before the register existed is not).
    pub registered: bool,
}

/// A hex serial as the register keeps it (lowercase, no separators).
pub fn parse_serial(text: &str) -> Result<String, CertificateError> {
    let serial: String = text
        .trim()
        .chars()
        .filter(|c| *c != ':')
        .collect::<String>()
        .to_ascii_lowercase();
    if serial.is_empty() || hex::decode(&serial).is_err() {
        return Err(CertificateError::Serial(text.chars().take(80).collect()));
    }
    Ok(serial)
}

/// Adds the target's serials to the CRL (signed again: a running gateway applies it within
/// `tls.reload_interval_ms`, open connections included), then marks them in the register.
pub async fn revoke(
    store: &dyn Store,
    files: &CaFiles,
    target: RevocationTarget,
) -> Result<Vec<Revoked>, CertificateError> {
    let now = Utc::now();
    let serials = match target {
        RevocationTarget::Serial(serial) => vec![parse_serial(&serial)?],
        RevocationTarget::Region(region) => {
            let crl = files.read_crl()?;
            let serials: Vec<String> = list(store, Some(&crl), now)
                .await?
                .into_iter()
                .filter(|(record, status)| {
                    record.region == Some(region) && *status == CertificateStatus::Valid
                })
                .map(|(record, _)| record.serial)
                .collect();
            if serials.is_empty() {
                return Err(CertificateError::NothingToRevoke(region));
            }
            serials
        }
    };
    let ca = files.load()?;
    let revoked_at = time::OffsetDateTime::now_utc();
    let mut outcome = Vec::new();
    // From reading the CRL to writing it back, with no await in between.
    let lock = files.lock_crl()?;
    let mut crl = files.read_crl()?;
    for serial in serials {
        let already_in_crl = crl.lists(&serial);
        if !already_in_crl {
            crl.revoked.push((serial.clone(), revoked_at));
        }
        outcome.push(Revoked {
            serial,
            already_in_crl,
            registered: false,
        });
    }
    files.write_crl(&ca.resign_crl(&crl, files.crl_validity())?)?;
    drop(lock);
    for revoked in &mut outcome {
        revoked.registered = match store.certificates().revoke(&revoked.serial, now).await {
            Ok(_) => true,
            Err(StoreError::NotFound { .. }) => false,
            Err(error) => return Err(error.into()),
        };
    }
    Ok(outcome)
}

/// The register with each certificate's status at `now`, soonest expiry first. A serial the
/// CRL lists is revoked (the CRL is what TLS enforces) even if the register missed it.
pub async fn list(
    store: &dyn Store,
    crl: Option<&CrlContents>,
    now: DateTime<Utc>,
) -> Result<Vec<(CertificateRecord, CertificateStatus)>, CertificateError> {
    let records = store.certificates().list().await?;
    Ok(records
        .into_iter()
        .map(|record| {
            let status = if crl.is_some_and(|crl| crl.lists(&record.serial)) {
                CertificateStatus::Revoked
            } else {
                record.status(now)
            };
            (record, status)
        })
        .collect())
}

/// Only the valid certificates that expire within `days` of `now`.
pub fn expiring_within(
    listed: Vec<(CertificateRecord, CertificateStatus)>,
    now: DateTime<Utc>,
    days: u32,
) -> Vec<(CertificateRecord, CertificateStatus)> {
    let horizon = now + chrono::Duration::days(i64::from(days));
    listed
        .into_iter()
        .filter(|(record, status)| {
            *status == CertificateStatus::Valid && record.not_after <= horizon
        })
        .collect()
}

/// Signs the CRL again when less than `remaining` (a fraction) of its validity is left, or it
/// has no next update. Returns the new CRL number when it did.
pub fn resign_crl_if_due(files: &CaFiles, remaining: f64) -> Result<Option<u64>, CertificateError> {
    let _lock = files.lock_crl()?;
    let crl = files.read_crl()?;
    let now = time::OffsetDateTime::now_utc();
    let due = match crl.next_update {
        None => true,
        Some(next) => {
            let whole = (next - crl.this_update).as_seconds_f64();
            let left = (next - now).as_seconds_f64();
            left < whole * remaining
        }
    };
    if !due {
        return Ok(None);
    }
    let ca = files.load()?;
    files.write_crl(&ca.resign_crl(&crl, files.crl_validity())?)?;
    Ok(Some(crl.number + 1))
}

/// What [`keep_up`] looks after, from `[pki]` and `[tls]`.
pub struct Upkeep {
    /// The CA's files, when the gateway holds its key and so signs its own CRL.
    pub files: Option<CaFiles>,
    /// Signed again when less than this fraction of its validity is left (`pki.crl_resign_remaining`).
    pub remaining: f64,
    pub every: Duration,
    pub warning_days: u32,
    /// Every CRL the TLS layer enforces (`tls.crls`): those it does not sign itself are watched,
    /// since past their next update they refuse every certificate of their issuer.
    pub crls: Vec<PathBuf>,
}

/// Logs, once a day per file, a CRL with less than `remaining` of its validity left (or past
/// it), or that cannot be read: the gateway enforces each CRL's next update, so when it passes
/// every certificate that CRL's issuer signed is refused until a fresh one is in place.
fn warn_if_running_out(
    path: &Path,
    remaining: f64,
    warned: &mut std::collections::HashMap<PathBuf, chrono::NaiveDate>,
) {
    let today = Utc::now().date_naive();
    if warned.get(path) == Some(&today) {
        return;
    }
    let crls = match crate::pki::files::read_text(path) {
        Ok(text) => text,
        Err(error) => {
            tracing::warn!(%error, crl = %path.display(), "cannot read a CRL to watch its next update");
            warned.insert(path.to_owned(), today);
            return;
        }
    };
    if let Some(next) = running_out(&crls, remaining, time::OffsetDateTime::now_utc()) {
        tracing::warn!(
            crl = %path.display(),
            next_update = %next,
            "a CRL the gateway does not sign runs out: put a fresh one in place (tsgate certs crl, \
             or the issuer's), or every certificate of its issuer is refused after its next update"
        );
        warned.insert(path.to_owned(), today);
    }
}

/// The next update of the first CRL in `pem` with less than `remaining` of its validity left at
/// `now` (or past it).
fn running_out(
    pem: &str,
    remaining: f64,
    now: time::OffsetDateTime,
) -> Option<time::OffsetDateTime> {
    ca::read_crls(pem)
        .into_iter()
        .filter_map(Result::ok)
        .filter_map(|crl| crl.next_update.map(|next| (crl.this_update, next)))
        .find(|(this, next)| {
            (*next - now).as_seconds_f64() < (*next - *this).as_seconds_f64() * remaining
        })
        .map(|(_, next)| next)
}

/// While the gateway serves: keeps the CRL signed ([`resign_crl_if_due`]; the TLS reload
/// picks the new file up), warns about CRLs that run out and that it cannot sign, and refreshes
/// the expiry gauge from the register, warning in the log about certificates that expire within
/// `warning_days`.
pub async fn keep_up(store: Arc<dyn Store>, upkeep: Upkeep, expiries: CertificateExpiries) {
    let Upkeep {
        files,
        remaining,
        every,
        warning_days,
        crls,
    } = upkeep;
    let mut tick = tokio::time::interval(every);
    let mut warned = std::collections::HashMap::new();
    let mut warned_crls = std::collections::HashMap::new();
    loop {
        tick.tick().await;
        let signed_here = files.as_ref().map(|f| f.crl.clone());
        for path in crls.iter().filter(|p| Some(*p) != signed_here.as_ref()) {
            warn_if_running_out(path, remaining, &mut warned_crls);
        }
        if let Some(files) = &files {
            let resigned = {
                let files = files.clone();
                tokio::task::spawn_blocking(move || resign_crl_if_due(&files, remaining)).await
            };
            match resigned {
                Ok(Ok(Some(number))) => {
                    tracing::info!(number, crl = %files.crl.display(), "CRL signed again before its next update");
                }
                Ok(Ok(None)) => {}
                Ok(Err(error)) => {
                    tracing::error!(%error, crl = %files.crl.display(), "cannot sign the CRL again");
                }
                Err(error) => tracing::error!(%error, "CRL upkeep task failed"),
            }
        }
        let now = Utc::now();
        match watch_expiries(store.as_ref(), &expiries, warning_days, now).await {
            Ok(expiring) => {
                for record in expiring {
                    // Once a day per certificate, not at every look.
                    if warned.insert(record.serial.clone(), now.date_naive())
                        == Some(now.date_naive())
                    {
                        continue;
                    }
                    tracing::warn!(
                        serial = %record.serial,
                        subject = %record.subject,
                        not_after = %record.not_after.format("%Y-%m-%d %H:%M UTC"),
                        days_left = (record.not_after - now).num_days(),
                        "certificate expires soon: renew it (tsgate certs renew)"
                    );
                }
            }
            Err(error) => tracing::warn!(%error, "cannot read the certificate register"),
        }
    }
}

/// Replaces the gauge's certificates with the register's valid ones; returns those that
/// expire within `warning_days` of `now`.
pub async fn watch_expiries(
    store: &dyn Store,
    expiries: &CertificateExpiries,
    warning_days: u32,
    now: DateTime<Utc>,
) -> Result<Vec<CertificateRecord>, CertificateError> {
    let valid: Vec<CertificateRecord> = store
        .certificates()
        .list()
        .await?
        .into_iter()
        .filter(|record| record.status(now) == CertificateStatus::Valid)
        .collect();
    let horizon = now + chrono::Duration::days(i64::from(warning_days));
    let expiring = valid
        .iter()
        .filter(|r| r.not_after <= horizon)
        .cloned()
        .collect();
    expiries.replace(
        valid
            .into_iter()
            .map(|record| CertificateExpiry {
                labels: CertificateLabels {
                    serial: record.serial,
                    kind: record.kind.as_str().to_owned(),
                    region: record.region.map(|r| r.to_string()).unwrap_or_default(),
                },
                not_after_unix: record.not_after.timestamp(),
            })
            .collect(),
    );
    Ok(expiring)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_crl_is_running_out_once_less_than_the_fraction_is_left() {
        let ca = CertificateAuthority::create("test CA").unwrap();
        let pem = ca
            .crl_valid_for(&[], 1, time::Duration::seconds(100))
            .unwrap();
        let crl = ca::read_crl(&pem).unwrap();
        let (this, next) = (crl.this_update, crl.next_update.unwrap());
        let at = |fraction: f64| this + (next - this) * fraction;
        assert_eq!(running_out(&pem, 0.5, at(0.4)), None);
        assert_eq!(running_out(&pem, 0.5, at(0.6)), Some(next), "half gone");
        assert_eq!(running_out(&pem, 0.5, at(2.0)), Some(next), "past it");
        assert_eq!(running_out("not a CRL", 0.5, at(2.0)), None);
    }

    /// Revocations and re-signings at the same moment, as gateways sharing `certs/` and the
    /// command line make them: the lock keeps every revocation in the CRL.
    #[test]
    fn concurrent_revocations_and_re_signings_lose_no_serial() {
        let dir = tempfile::tempdir().unwrap();
        let files = CaFiles::in_dir(dir.path());
        let ca = CertificateAuthority::create("test CA").unwrap();
        std::fs::write(&files.cert, ca.cert_pem()).unwrap();
        std::fs::write(&files.key, ca.key_pem()).unwrap();
        files.write_crl(&ca.crl(&[], 1, 30).unwrap()).unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(4)
            .enable_all()
            .build()
            .unwrap();
        let store = runtime
            .block_on(crate::store::connect(&format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("t.db").display()
            )))
            .unwrap();
        let serials: Vec<String> = (1..=16).map(|n| format!("{n:02x}ab")).collect();
        let resigners: Vec<_> = (0..4)
            .map(|_| {
                let files = files.clone();
                std::thread::spawn(move || {
                    for _ in 0..10 {
                        resign_crl_if_due(&files, 1.0).unwrap();
                    }
                })
            })
            .collect();
        runtime.block_on(async {
            let revocations: Vec<_> = serials
                .iter()
                .map(|serial| {
                    let (store, files) = (store.clone(), files.clone());
                    let target = RevocationTarget::Serial(serial.clone());
                    tokio::spawn(async move { revoke(store.as_ref(), &files, target).await })
                })
                .collect();
            for revocation in revocations {
                revocation.await.unwrap().unwrap();
            }
        });
        for resigner in resigners {
            resigner.join().unwrap();
        }
        let crl = files.read_crl().unwrap();
        let missing: Vec<&String> = serials.iter().filter(|s| !crl.lists(s)).collect();
        assert!(missing.is_empty(), "revocations undone: {missing:?}");
    }
}
