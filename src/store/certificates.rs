//! The register of certificates the gateway CA issues: serial, subject, region, validity and
//! status. The CA's own files (`ca.pem`, `crl.pem`) stay what TLS enforces; this is the
//! inventory that `tsgate certs list`, the expiry gauge and renewals read (README
//! "Certificates" says which wins when they disagree).

use chrono::{DateTime, Utc};
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Pool, Type};

use super::backend::{begin, Backend};
use super::columns::StoredRow;
use super::StoreError;
use crate::domain::RegionCode;

/// What a certificate is for, as `tsgate certs issue` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CertificateKind {
    Region,
    /// The Ministry of Education's system (its MIUR uploads).
    Ministry,
    Server,
    Client,
    Operator,
}

impl CertificateKind {
    pub const ALL: [CertificateKind; 5] = [
        CertificateKind::Region,
        CertificateKind::Ministry,
        CertificateKind::Server,
        CertificateKind::Client,
        CertificateKind::Operator,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CertificateKind::Region => "region",
            CertificateKind::Ministry => "ministry",
            CertificateKind::Server => "server",
            CertificateKind::Client => "client",
            CertificateKind::Operator => "operator",
        }
    }

    pub fn parse(text: &str) -> Option<CertificateKind> {
        CertificateKind::ALL
            .into_iter()
            .find(|k| k.as_str() == text)
    }
}

impl std::fmt::Display for CertificateKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One issued certificate. Times are whole milliseconds (what the store keeps).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateRecord {
    /// Lowercase hex, as `certs issue` prints it and `certs revoke` takes it.
    pub serial: String,
    pub kind: CertificateKind,
    /// The subject distinguished name, e.g. `CN=SAR-120, OU=SAR, O=tsgate`.
    pub subject: String,
    /// The region a region certificate identifies.
    pub region: Option<RegionCode>,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
    pub issued_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// The serial of the certificate this one renews.
    pub replaces: Option<String>,
}

/// Where a certificate stands at a given moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertificateStatus {
    Valid,
    Expired,
    Revoked,
}

impl CertificateStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CertificateStatus::Valid => "valid",
            CertificateStatus::Expired => "expired",
            CertificateStatus::Revoked => "revoked",
        }
    }
}

impl std::fmt::Display for CertificateStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl CertificateRecord {
    pub fn status(&self, now: DateTime<Utc>) -> CertificateStatus {
        if self.revoked_at.is_some_and(|at| at <= now) {
            CertificateStatus::Revoked
        } else if self.not_after <= now {
            CertificateStatus::Expired
        } else {
            CertificateStatus::Valid
        }
    }
}

/// Reached through [`super::Store::certificates`].
#[async_trait::async_trait]
pub trait Certificates: Send + Sync {
    /// Records an issued certificate; a serial already recorded is [`StoreError::Duplicate`].
    async fn record(&self, certificate: &CertificateRecord) -> Result<(), StoreError>;

    /// One certificate by serial (lowercase hex).
    async fn find(&self, serial: &str) -> Result<Option<CertificateRecord>, StoreError>;

    /// Every certificate, soonest expiry first.
    async fn list(&self) -> Result<Vec<CertificateRecord>, StoreError>;

    /// Marks a certificate revoked at `at`; `false` when it already was. An unknown serial is
    /// [`StoreError::NotFound`].
    async fn revoke(&self, serial: &str, at: DateTime<Utc>) -> Result<bool, StoreError>;
}

const RECORD: &str = "INSERT INTO certificates \
     (serial, kind, subject, region, not_before, not_after, issued_at, revoked_at, replaces) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";

const LIST: &str = "SELECT serial, kind, subject, region, not_before, not_after, issued_at, \
     revoked_at, replaces FROM certificates ORDER BY not_after, serial";

const FIND: &str = "SELECT serial, kind, subject, region, not_before, not_after, issued_at, \
     revoked_at, replaces FROM certificates WHERE serial = $1";

const REVOKE: &str =
    "UPDATE certificates SET revoked_at = $2 WHERE serial = $1 AND revoked_at IS NULL";

const EXISTS: &str = "SELECT count(*) FROM certificates WHERE serial = $1";

type Row = (
    String,
    String,
    String,
    Option<String>,
    i64,
    i64,
    i64,
    Option<i64>,
    Option<String>,
);

fn millis(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

fn parse_row(row: Row) -> Result<CertificateRecord, StoreError> {
    let (serial, kind, subject, region, not_before, not_after, issued_at, revoked_at, replaces) =
        row;
    let stored = StoredRow::new("certificates", &serial);
    let time = |column: &'static str, ms: i64| {
        DateTime::<Utc>::from_timestamp_millis(ms)
            .ok_or_else(|| stored.corrupt(column, &ms.to_string(), "a time in milliseconds"))
    };
    Ok(CertificateRecord {
        kind: CertificateKind::parse(&kind)
            .ok_or_else(|| stored.corrupt("kind", &kind, "region, server, client or operator"))?,
        region: stored.optional("region", region.as_deref(), StoredRow::region)?,
        not_before: time("not_before", not_before)?,
        not_after: time("not_after", not_after)?,
        issued_at: time("issued_at", issued_at)?,
        revoked_at: revoked_at.map(|ms| time("revoked_at", ms)).transpose()?,
        subject,
        replaces,
        serial,
    })
}

#[async_trait::async_trait]
impl<DB: Backend> Certificates for Pool<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'c> &'c Pool<DB>: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<String>: Decode<'q, DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Decode<'q, DB>,
    usize: ColumnIndex<DB::Row>,
{
    async fn record(&self, c: &CertificateRecord) -> Result<(), StoreError> {
        let region = c.region.map(|r| r.to_string());
        sqlx::query(RECORD)
            .bind(c.serial.as_str())
            .bind(c.kind.as_str())
            .bind(c.subject.as_str())
            .bind(region.as_deref())
            .bind(millis(c.not_before))
            .bind(millis(c.not_after))
            .bind(millis(c.issued_at))
            .bind(c.revoked_at.map(millis))
            .bind(c.replaces.as_deref())
            .execute(self)
            .await
            .map_err(StoreError::keyed(
                "recording a certificate failed",
                "certificate",
                "certificate",
                &c.serial,
            ))?;
        Ok(())
    }

    async fn find(&self, serial: &str) -> Result<Option<CertificateRecord>, StoreError> {
        let row: Option<Row> = sqlx::query_as(FIND)
            .bind(serial)
            .fetch_optional(self)
            .await
            .map_err(StoreError::query("reading a certificate failed"))?;
        row.map(parse_row).transpose()
    }

    async fn list(&self) -> Result<Vec<CertificateRecord>, StoreError> {
        let rows: Vec<Row> = sqlx::query_as(LIST)
            .fetch_all(self)
            .await
            .map_err(StoreError::query("listing certificates failed"))?;
        rows.into_iter().map(parse_row).collect()
    }

    async fn revoke(&self, serial: &str, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let context = "revoking a certificate failed";
        let mut tx = begin(self, context).await?;
        let changed = sqlx::query(REVOKE)
            .bind(serial)
            .bind(millis(at))
            .execute(&mut *tx)
            .await
            .map_err(StoreError::query(context))?;
        let known: i64 = if DB::rows_affected(&changed) == 1 {
            1
        } else {
            sqlx::query_scalar(EXISTS)
                .bind(serial)
                .fetch_one(&mut *tx)
                .await
                .map_err(StoreError::query(context))?
        };
        tx.commit().await.map_err(StoreError::query(context))?;
        if DB::rows_affected(&changed) == 1 {
            return Ok(true);
        }
        if known == 0 {
            return Err(StoreError::NotFound {
                what: "certificate",
                key: serial.to_owned(),
            });
        }
        Ok(false)
    }
}
