//! The data a transaction writes besides its access-log entry — a serology test sent or
//! cancelled, an ASL's daily count — committed in the same database transaction as the entry
//! (the access-log writer's group commit): acknowledged together, or not at all.

use chrono::{DateTime, Utc};
use sqlx::{Encode, QueryBuilder, Type};

use super::asl_counts::NewAslTestCount;
use super::backend::Backend;
use super::columns::day;
use super::serology::{NewSerologyTest, SerologyCancel};
use crate::clock::rome_day;
use crate::domain::{AslCode, RegionCode};

/// What a transaction writes with its entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransactionWrite {
    SerologyTest(NewSerologyTest),
    SerologyCancel(SerologyCancel),
    AslTestCount(NewAslTestCount),
}

/// A [`TransactionWrite`] with the id and time of the transaction that makes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingWrite {
    pub transaction_id: String,
    pub at: DateTime<Utc>,
    pub write: TransactionWrite,
}

const INSERT_SEROLOGY_TEST: &str = "INSERT INTO serology_tests (transaction_id, test_date, \
     doctor_cf, titolare_cf, assistito_cf, on_list, sent_at_ms, sent_on) VALUES (";

const INSERT_ASL_TEST_COUNT: &str = "INSERT INTO asl_test_counts (transaction_id, operator_cf, \
     region_code, asl_code, test_date, tests, sent_at_ms) VALUES (";

/// Appends the statement of one transaction's data to `query`, without a terminator: SQLite
/// sends it inside its batch's one multi-statement query, PostgreSQL on its own.
pub(crate) fn push_write<'q, DB>(query: &mut QueryBuilder<'q, DB>, pending: &'q PendingWrite)
where
    DB: Backend,
    &'q str: Encode<'q, DB> + Type<DB>,
    Option<&'q str>: Encode<'q, DB> + Type<DB>,
    String: Encode<'q, DB> + Type<DB>,
    i64: Encode<'q, DB> + Type<DB>,
    bool: Encode<'q, DB> + Type<DB>,
{
    let id = pending.transaction_id.as_str();
    let at_ms = pending.at.timestamp_millis();
    match &pending.write {
        TransactionWrite::SerologyTest(test) => {
            query.push(INSERT_SEROLOGY_TEST);
            query
                .separated(", ")
                .push_bind(id)
                .push_bind(day(test.test_date))
                .push_bind(test.doctor_cf.as_str())
                .push_bind(test.titolare_cf.as_str())
                .push_bind(test.assistito_cf.as_str())
                .push_bind(test.on_list)
                .push_bind(at_ms)
                .push_bind(day(rome_day(pending.at)));
            query.push(")");
        }
        TransactionWrite::SerologyCancel(cancel) => {
            // No `cancelled_at_ms IS NULL` here: a test already cancelled must fail the commit
            // (trigger `serology_tests_cancel_once`), not match no row.
            query.push("UPDATE serology_tests SET cancelled_at_ms = ");
            query.push_bind(at_ms);
            query.push(", cancel_transaction_id = ");
            query.push_bind(id);
            query.push(" WHERE transaction_id = ");
            query.push_bind(cancel.send_transaction_id.as_str());
            query.push(" AND titolare_cf = ");
            query.push_bind(cancel.titolare_cf.as_str());
            query.push(" AND assistito_cf = ");
            query.push_bind(cancel.assistito_cf.as_str());
        }
        TransactionWrite::AslTestCount(count) => {
            query.push(INSERT_ASL_TEST_COUNT);
            query
                .separated(", ")
                .push_bind(id)
                .push_bind(count.operator_cf.as_str())
                .push_bind(count.region_code.as_ref().map(RegionCode::as_str))
                .push_bind(count.asl_code.as_ref().map(AslCode::as_str))
                .push_bind(day(count.test_date))
                .push_bind(count.tests)
                .push_bind(at_ms);
            query.push(")");
        }
    }
}
