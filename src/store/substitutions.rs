//! The substitutes a titolare authorises, each for a period (docs/services/sierologici.md, from
//! seed 003 §3.3.1). Both are doctors: their CFs are read leniently, as the MMGs' are
//! ([`super::Mmg`]), though the titolare's web page checks them strictly.

use chrono::NaiveDate;
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Pool, Type};

use super::backend::Backend;
use super::columns::{day, StoredRow};
use super::StoreError;
use crate::domain::OperatorCf;

/// A titolare's authorisation of a substitute, `from..=to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Substitution {
    pub titolare_cf: OperatorCf,
    pub substitute_cf: OperatorCf,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Substitution {
    pub fn covers(&self, day: NaiveDate) -> bool {
        self.from <= day && day <= self.to
    }
}

/// Reached through [`super::Store::substitutions`].
#[async_trait::async_trait]
pub trait Substitutions: Send + Sync {
    /// Records an authorisation; the same titolare, substitute and start twice is
    /// [`StoreError::Duplicate`].
    async fn add(&self, substitution: &Substitution) -> Result<(), StoreError>;

    /// The titolare's authorisations (of one substitute, if given), by substitute and start.
    async fn of_titolare(
        &self,
        titolare: &OperatorCf,
        substitute: Option<&OperatorCf>,
    ) -> Result<Vec<Substitution>, StoreError>;

    /// The authorisations `substitute` holds, of every titolare, by titolare and start (the
    /// titolari a substitute may choose to act for).
    async fn of_substitute(&self, substitute: &OperatorCf)
        -> Result<Vec<Substitution>, StoreError>;

    /// Removes every authorisation of `substitute` by `titolare`; returns how many.
    async fn revoke(
        &self,
        titolare: &OperatorCf,
        substitute: &OperatorCf,
    ) -> Result<u64, StoreError>;
}

const ADD: &str = "INSERT INTO substitutes (titolare_cf, substitute_cf, valid_from, valid_to) \
     VALUES ($1, $2, $3, $4)";

const OF_TITOLARE: &str = "SELECT titolare_cf, substitute_cf, valid_from, valid_to \
     FROM substitutes WHERE titolare_cf = $1 AND ($2 IS NULL OR substitute_cf = $2) \
     ORDER BY substitute_cf, valid_from";

const OF_SUBSTITUTE: &str = "SELECT titolare_cf, substitute_cf, valid_from, valid_to \
     FROM substitutes WHERE substitute_cf = $1 ORDER BY titolare_cf, valid_from";

const REVOKE: &str = "DELETE FROM substitutes WHERE titolare_cf = $1 AND substitute_cf = $2";

#[async_trait::async_trait]
impl<DB: Backend> Substitutions for Pool<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'c> &'c Pool<DB>: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
{
    async fn add(&self, s: &Substitution) -> Result<(), StoreError> {
        let key = format!("{} → {} from {}", s.titolare_cf, s.substitute_cf, s.from);
        sqlx::query(ADD)
            .bind(s.titolare_cf.as_str())
            .bind(s.substitute_cf.as_str())
            .bind(day(s.from))
            .bind(day(s.to))
            .execute(self)
            .await
            .map_err(StoreError::keyed(
                "adding a substitute failed",
                "substitution",
                "substitution",
                &key,
            ))?;
        Ok(())
    }

    async fn of_titolare(
        &self,
        titolare: &OperatorCf,
        substitute: Option<&OperatorCf>,
    ) -> Result<Vec<Substitution>, StoreError> {
        let rows: Vec<(String, String, String, String)> = sqlx::query_as(OF_TITOLARE)
            .bind(titolare.as_str())
            .bind(substitute.map(OperatorCf::as_str))
            .fetch_all(self)
            .await
            .map_err(StoreError::query("listing substitutes failed"))?;
        substitutions(rows)
    }

    async fn of_substitute(
        &self,
        substitute: &OperatorCf,
    ) -> Result<Vec<Substitution>, StoreError> {
        let rows: Vec<(String, String, String, String)> = sqlx::query_as(OF_SUBSTITUTE)
            .bind(substitute.as_str())
            .fetch_all(self)
            .await
            .map_err(StoreError::query("listing a substitute's titolari failed"))?;
        substitutions(rows)
    }

    async fn revoke(
        &self,
        titolare: &OperatorCf,
        substitute: &OperatorCf,
    ) -> Result<u64, StoreError> {
        let revoked = sqlx::query(REVOKE)
            .bind(titolare.as_str())
            .bind(substitute.as_str())
            .execute(self)
            .await
            .map_err(StoreError::query("revoking a substitute failed"))?;
        Ok(DB::rows_affected(&revoked))
    }
}

/// Rows of `substitutes` as read: `(titolare_cf, substitute_cf, valid_from, valid_to)`.
fn substitutions(
    rows: Vec<(String, String, String, String)>,
) -> Result<Vec<Substitution>, StoreError> {
    rows.into_iter()
        .map(|(titolare_cf, substitute_cf, from, to)| {
            let key = format!("{titolare_cf} → {substitute_cf} from {from}");
            let stored = StoredRow::new("substitutes", &key);
            Ok(Substitution {
                titolare_cf: stored.operator_cf("titolare_cf", &titolare_cf)?,
                substitute_cf: stored.operator_cf("substitute_cf", &substitute_cf)?,
                from: stored.day("valid_from", &from)?,
                to: stored.day("valid_to", &to)?,
            })
        })
        .collect()
}
