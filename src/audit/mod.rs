//! The access-log entry of a request (docs/access-log.md): drafted when the request arrives,
//! completed with who called and what the outcome was, and committed through the group-commit
//! writer — with the data the transaction writes — before any reply leaves. A transport (the
//! SOAP pipeline, the CSV download) answers "service unavailable" when the commit fails, never
//! a reply the log does not know about. Administrative actions have their entries in
//! [`admin`].

pub mod admin;

pub use admin::{
    record_admin_action, Actor, AdminAction, AdminActionNotRecorded, AdminOperation, AdminOutcome,
};

use std::net::IpAddr;

use chrono::{DateTime, Utc};

use crate::domain::TransactionId;
use crate::identity::Caller;
use crate::services::Audit;
use crate::store::{AccessLogEntry, AccessLogWriter, CallerKind, TransactionWrite};

/// The parts of an entry known before the caller is.
pub struct Draft<'a> {
    pub service: &'a str,
    pub operation: &'a str,
    pub transaction_id: TransactionId,
    /// The client's address, for a request that came over the network.
    pub client: Option<IpAddr>,
}

/// Who the entry is about: an identified caller, or what a refused one claimed to be.
pub enum Requester<'a> {
    Identified(&'a Caller),
    Refused {
        kind: CallerKind,
        claimed_id: &'a str,
    },
}

/// The entry was not committed: nothing of the transaction may be acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotRecorded;

impl Draft<'_> {
    pub fn entry(
        &self,
        requester: Requester<'_>,
        at: DateTime<Utc>,
        outcome: &str,
    ) -> AccessLogEntry {
        let (caller_kind, caller_id, region, operator_cf) = match requester {
            Requester::Identified(caller) => (
                caller.kind(),
                caller.id(),
                caller.region().map(|code| code.to_string()),
                caller.operator_cf().map(|cf| cf.to_string()),
            ),
            Requester::Refused { kind, claimed_id } => (kind, claimed_id.to_owned(), None, None),
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
            client_address: self
                .client
                .map(|address| address.to_canonical().to_string()),
            target: None,
            detail: None,
        }
    }

    /// The entry of an identified caller whose request an operation answered, with what the
    /// request tells the log (see [`Audit`]).
    pub fn answered(
        &self,
        caller: &Caller,
        at: DateTime<Utc>,
        outcome: &str,
        audit: &Audit,
    ) -> AccessLogEntry {
        let mut entry = self.entry(Requester::Identified(caller), at, outcome);
        if audit.operator_cf.is_some() {
            entry.operator_cf.clone_from(&audit.operator_cf);
        }
        entry.titolare_cf.clone_from(&audit.titolare_cf);
        entry.declared_auth = audit.declared_auth.map(|auth| auth.as_str().to_owned());
        entry
    }
}

pub async fn commit(log: &AccessLogWriter, entry: AccessLogEntry) -> Result<(), NotRecorded> {
    commit_with(log, entry, None).await
}

/// [`commit`], with the data the transaction writes committed in the same transaction.
pub async fn commit_with(
    log: &AccessLogWriter,
    entry: AccessLogEntry,
    write: Option<TransactionWrite>,
) -> Result<(), NotRecorded> {
    let transaction_id = entry.transaction_id.clone();
    log.record_with(entry, write).await.map(|_| ()).map_err(|error| {
        // The id was not shown to the caller, and may be issued again after a restart.
        tracing::error!(%error, uncommitted_transaction_id = %transaction_id, "access-log commit failed; reply withheld");
        NotRecorded
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry_from(client: Option<IpAddr>) -> AccessLogEntry {
        let draft = Draft {
            service: "Servizi",
            operation: "ElencoServizi",
            transaction_id: TransactionId::Numeric(1),
            client,
        };
        let refused = Requester::Refused {
            kind: CallerKind::OperatorPassword,
            claimed_id: "someone",
        };
        draft.entry(refused, Utc::now(), "fault_credenziali_invalide")
    }

    #[test]
    fn the_client_address_is_recorded_in_its_plain_form() -> Result<(), std::net::AddrParseError> {
        let v4 = entry_from(Some("192.0.2.7".parse()?));
        assert_eq!(v4.client_address.as_deref(), Some("192.0.2.7"));
        // A dual-stack listener sees IPv4 clients as IPv4-mapped IPv6: logged as IPv4.
        let mapped = entry_from(Some("::ffff:192.0.2.7".parse()?));
        assert_eq!(mapped.client_address.as_deref(), Some("192.0.2.7"));
        let v6 = entry_from(Some("2001:db8::1".parse()?));
        assert_eq!(v6.client_address.as_deref(), Some("2001:db8::1"));
        assert_eq!(entry_from(None).client_address, None);
        Ok(())
    }
}
