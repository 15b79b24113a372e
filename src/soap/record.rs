//! Stage 7 — one access-log entry for every request that reached identification, committed
//! (through the group-commit writer) before the reply leaves. If the commit fails, the caller
//! gets "service unavailable" instead of a reply the log does not know about.

use chrono::{DateTime, Utc};

use super::fault::Fault;
use crate::domain::TransactionId;
use crate::identity::Caller;
use crate::services::Audit;
use crate::startup::App;
use crate::store::{AccessLogEntry, CallerKind, TransactionWrite};

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
                caller.region().map(|code| code.to_string()),
                caller.operator_cf().map(|cf| cf.to_string()),
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
            declared_auth: None,
            service: self.service.to_owned(),
            operation: self.operation.to_owned(),
            outcome: outcome.to_owned(),
        }
    }

    /// The entry of an identified caller whose request the handler answered, with what the
    /// request body tells the log (see [`Audit`]).
    pub fn answered(
        &self,
        caller: &Caller,
        at: DateTime<Utc>,
        outcome: &str,
        audit: Option<&Audit>,
    ) -> AccessLogEntry {
        let mut entry = self.entry(Subject::Caller(caller), at, outcome);
        let Some(audit) = audit else {
            return entry;
        };
        if audit.operator_cf.is_some() {
            entry.operator_cf.clone_from(&audit.operator_cf);
        }
        entry.titolare_cf.clone_from(&audit.titolare_cf);
        entry.declared_auth.clone_from(&audit.declared_auth);
        entry
    }
}

pub async fn commit(app: &App, entry: AccessLogEntry) -> Result<(), Fault> {
    commit_with(app, entry, None).await
}

/// [`commit`], with the data the transaction writes committed in the same transaction.
pub async fn commit_with(
    app: &App,
    entry: AccessLogEntry,
    write: Option<TransactionWrite>,
) -> Result<(), Fault> {
    let transaction_id = entry.transaction_id.clone();
    app.access_log
        .record_with(entry, write)
        .await
        .map(|_| ())
        .map_err(|error| {
            // The id was not shown to the caller, and may be issued again after a restart.
            tracing::error!(%error, uncommitted_transaction_id = %transaction_id, "access-log commit failed; reply withheld");
            Fault::unavailable()
        })
}
