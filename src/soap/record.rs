//! Stage 7 — one access-log entry for every request that reached identification, committed
//! (through the group-commit writer) before the reply leaves. If the commit fails, the caller
//! gets "service unavailable" instead of a reply the log does not know about.

use chrono::{DateTime, Utc};

use super::fault::Fault;
use super::identify::Caller;
use crate::domain::TransactionId;
use crate::startup::App;
use crate::store::{AccessLogEntry, CallerKind};

/// The parts of an entry known before the caller is.
pub struct Draft<'a> {
    pub service: &'a str,
    pub operation: &'a str,
    pub transaction_id: TransactionId,
}

/// Who the entry is about: an identified caller, or what a refused one claimed to be.
pub enum Subject<'a> {
    Caller(&'a Caller),
    Refused {
        kind: CallerKind,
        claimed_id: &'a str,
    },
}

impl Draft<'_> {
    pub fn entry(&self, subject: Subject<'_>, at: DateTime<Utc>, outcome: &str) -> AccessLogEntry {
        let (caller_kind, caller_id, region, operator_cf) = match subject {
            Subject::Caller(caller) => (
                caller.kind(),
                caller.id(),
                caller.region(),
                caller.operator_cf(),
            ),
            Subject::Refused { kind, claimed_id } => (kind, claimed_id.to_owned(), None, None),
        };
        AccessLogEntry {
            transaction_id: self.transaction_id.to_string(),
            at,
            caller_kind,
            caller_id,
            region,
            operator_cf,
            titolare_cf: None,
            service: self.service.to_owned(),
            operation: self.operation.to_owned(),
            outcome: outcome.to_owned(),
        }
    }
}

pub async fn commit(app: &App, entry: AccessLogEntry) -> Result<(), Fault> {
    let transaction_id = entry.transaction_id.clone();
    app.access_log
        .record(entry)
        .await
        .map(|_| ())
        .map_err(|error| {
            tracing::error!(%error, %transaction_id, "access-log commit failed; reply withheld");
            Fault::unavailable()
        })
}
