//! The daily counts of tests ASL operators send (docs/services/asl.md, from seed 003 §4.4.2),
//! written with their access-log entry ([`super::TransactionWrite`]).

use chrono::NaiveDate;
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Pool, Type};

use super::backend::Backend;
use super::columns::StoredRow;
use super::StoreError;
use crate::domain::{AslCode, OperatorCf, RegionCode};

/// A daily count of tests an ASL operator sends (§4.4.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAslTestCount {
    pub operator_cf: OperatorCf,
    pub region_code: Option<RegionCode>,
    pub asl_code: Option<AslCode>,
    pub test_date: NaiveDate,
    pub tests: i64,
}

/// Reached through [`super::Store::asl_counts`].
#[async_trait::async_trait]
pub trait AslCounts: Send + Sync {
    /// The daily counts an operator sent (test date, tests), newest first.
    async fn sent_by(&self, operator: &OperatorCf) -> Result<Vec<(NaiveDate, i64)>, StoreError>;
}

const SENT_BY: &str = "SELECT transaction_id, test_date, tests FROM asl_test_counts \
     WHERE operator_cf = $1 ORDER BY sent_at_ms DESC, transaction_id DESC";

#[async_trait::async_trait]
impl<DB: Backend> AslCounts for Pool<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'c> &'c Pool<DB>: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> String: Decode<'q, DB> + Type<DB>,
    for<'q> i64: Decode<'q, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
{
    async fn sent_by(&self, operator: &OperatorCf) -> Result<Vec<(NaiveDate, i64)>, StoreError> {
        let rows: Vec<(String, String, i64)> = sqlx::query_as(SENT_BY)
            .bind(operator.as_str())
            .fetch_all(self)
            .await
            .map_err(StoreError::query("listing ASL test counts failed"))?;
        rows.into_iter()
            .map(|(transaction_id, test_date, tests)| {
                let stored = StoredRow::new("asl_test_counts", &transaction_id);
                Ok((stored.day("test_date", &test_date)?, tests))
            })
            .collect()
    }
}
