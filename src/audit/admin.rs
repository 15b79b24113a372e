//! Administrative actions in the access log (SPEC §7, seed 004 §3.8): who acted, what they did,
//! on whom, when, with what outcome, and from which address when remote. Every administrative
//! path — the command line, later the web administration — calls [`record_admin_action`] once
//! per attempt, whether it succeeded or was refused, so the hash chain holds both.

use std::fmt;
use std::net::IpAddr;

use chrono::{DateTime, Utc};

use crate::store::access_log::ADMIN_SERVICE;
use crate::store::{append_at_head, AccessLogEntry, CallerKind, Store, StoreError};

/// Who performs an administrative action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A security administrator (their id, and their CF when known).
    Administrator { id: String, cf: Option<String> },
    /// The command line run by someone who is no administrator of the gateway: the OS user.
    Cli { os_user: String },
    /// The gateway's own scheduler (in `serve`), or a request it refused on its own: the caller
    /// id names the task.
    Gateway { task: &'static str },
    /// An operator deciding about what is theirs in the web application (a titolare
    /// authorising a substitute, seed 003 §3.3.1): their user id, CF, and how they signed in.
    Operator {
        id: String,
        cf: String,
        kind: CallerKind,
    },
    /// The Ministry of Education's system (its MIUR uploads), by its certificate's serial.
    Ministry { serial: String },
}

impl Actor {
    /// The command line, as the OS user running it (`USER`, `LOGNAME` or `USERNAME`, else the
    /// process's uid).
    pub fn cli() -> Actor {
        let os_user = ["USER", "LOGNAME", "USERNAME"]
            .iter()
            .find_map(|var| std::env::var(var).ok().filter(|name| !name.is_empty()))
            .or_else(process_uid)
            .unwrap_or_else(|| "unknown".to_owned());
        Actor::Cli { os_user }
    }
}

/// `uid N` of this process, when no variable names the user (a service, a container).
#[cfg(unix)]
fn process_uid() -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self")
        .ok()
        .map(|meta| format!("uid {}", meta.uid()))
}

#[cfg(not(unix))]
fn process_uid() -> Option<String> {
    None
}

/// What was done. The stored spelling ([`AdminOperation::as_str`]) is what `tsgate audit show
/// --operation` takes; changing one would orphan the entries already written with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AdminOperation {
    UserCreate,
    UserEdit,
    UserDisable,
    UserEnable,
    UserGrant,
    UserRevoke,
    UserResetPassword,
    UserResetPincode,
    UserResetTotp,
    UserUnlock,
    UserAssignAsl,
    AdminAuthenticate,
    AdminBootstrap,
    AdminCreate,
    AdminEdit,
    AdminDisable,
    AdminEnable,
    AdminUnlock,
    AdminResetPassword,
    SubstituteAdd,
    SubstituteRevoke,
    RegionEnable,
    RegionDisable,
    CertificateIssue,
    CertificateRenew,
    CertificateRevoke,
    RegistryImport,
    MiurImport,
    MiurStatistic,
    Purge,
    CommissionerReportExport,
    CommissionerReportSend,
}

impl AdminOperation {
    pub const ALL: [AdminOperation; 32] = [
        AdminOperation::UserCreate,
        AdminOperation::UserEdit,
        AdminOperation::UserDisable,
        AdminOperation::UserEnable,
        AdminOperation::UserGrant,
        AdminOperation::UserRevoke,
        AdminOperation::UserResetPassword,
        AdminOperation::UserResetPincode,
        AdminOperation::UserResetTotp,
        AdminOperation::UserUnlock,
        AdminOperation::UserAssignAsl,
        AdminOperation::AdminAuthenticate,
        AdminOperation::AdminBootstrap,
        AdminOperation::AdminCreate,
        AdminOperation::AdminEdit,
        AdminOperation::AdminDisable,
        AdminOperation::AdminEnable,
        AdminOperation::AdminUnlock,
        AdminOperation::AdminResetPassword,
        AdminOperation::SubstituteAdd,
        AdminOperation::SubstituteRevoke,
        AdminOperation::RegionEnable,
        AdminOperation::RegionDisable,
        AdminOperation::CertificateIssue,
        AdminOperation::CertificateRenew,
        AdminOperation::CertificateRevoke,
        AdminOperation::RegistryImport,
        AdminOperation::MiurImport,
        AdminOperation::MiurStatistic,
        AdminOperation::Purge,
        AdminOperation::CommissionerReportExport,
        AdminOperation::CommissionerReportSend,
    ];

    /// The stored (and hashed) spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            AdminOperation::UserCreate => "user-create",
            AdminOperation::UserEdit => "user-edit",
            AdminOperation::UserDisable => "user-disable",
            AdminOperation::UserEnable => "user-enable",
            AdminOperation::UserGrant => "user-grant",
            AdminOperation::UserRevoke => "user-revoke",
            AdminOperation::UserResetPassword => "user-reset-password",
            AdminOperation::UserResetPincode => "user-reset-pincode",
            AdminOperation::UserResetTotp => "user-reset-totp",
            AdminOperation::UserUnlock => "user-unlock",
            AdminOperation::UserAssignAsl => "user-assign-asl",
            AdminOperation::AdminAuthenticate => "admin-authenticate",
            AdminOperation::AdminBootstrap => "admin-bootstrap",
            AdminOperation::AdminCreate => "admin-create",
            AdminOperation::AdminEdit => "admin-edit",
            AdminOperation::AdminDisable => "admin-disable",
            AdminOperation::AdminEnable => "admin-enable",
            AdminOperation::AdminUnlock => "admin-unlock",
            AdminOperation::AdminResetPassword => "admin-reset-password",
            AdminOperation::SubstituteAdd => "substitute-add",
            AdminOperation::SubstituteRevoke => "substitute-revoke",
            AdminOperation::RegionEnable => "region-enable",
            AdminOperation::RegionDisable => "region-disable",
            AdminOperation::CertificateIssue => "certificate-issue",
            AdminOperation::CertificateRenew => "certificate-renew",
            AdminOperation::CertificateRevoke => "certificate-revoke",
            AdminOperation::RegistryImport => "registry-import",
            AdminOperation::MiurImport => "miur-import",
            AdminOperation::MiurStatistic => "miur-statistic",
            AdminOperation::Purge => "purge",
            AdminOperation::CommissionerReportExport => "commissioner-report-export",
            AdminOperation::CommissionerReportSend => "commissioner-report-send",
        }
    }

    /// The inverse of [`AdminOperation::as_str`].
    pub fn parse(text: &str) -> Option<AdminOperation> {
        AdminOperation::ALL
            .into_iter()
            .find(|operation| operation.as_str() == text)
    }
}

impl fmt::Display for AdminOperation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminOutcome {
    Done,
    /// Refused by a rule (a bad argument, a user of another ASL, a duplicate) or failed; the
    /// reason is the error the administrator was shown. It must never hold a secret.
    Refused(String),
}

/// The longest reason stored, in characters: the log records why, not a whole error chain.
const REASON_CHARS: usize = 200;

impl AdminOutcome {
    /// The outcome of `result`, with the error's message as the reason.
    pub fn of<T, E: fmt::Display>(result: &Result<T, E>) -> AdminOutcome {
        match result {
            Ok(_) => AdminOutcome::Done,
            Err(error) => AdminOutcome::Refused(error.to_string()),
        }
    }

    /// The stored spelling: `ok`, or `refused: ` and the reason.
    pub fn stored(&self) -> String {
        match self {
            AdminOutcome::Done => "ok".to_owned(),
            AdminOutcome::Refused(reason) => {
                format!(
                    "refused: {}",
                    reason.chars().take(REASON_CHARS).collect::<String>()
                )
            }
        }
    }
}

/// One administrative attempt, as the access log records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminAction {
    pub actor: Actor,
    pub operation: AdminOperation,
    /// Whom it was on: a user or administrator id, a region code, a substitute's CF, a
    /// certificate serial, the registry folder; `None` when nobody in particular (a purge).
    pub target: Option<String>,
    /// What else it says (the profile granted, the service, the period); never a secret.
    pub detail: Option<String>,
    pub outcome: AdminOutcome,
    /// The client's address for a remote action (the web administration); `None` locally.
    pub client_address: Option<IpAddr>,
}

impl AdminAction {
    /// The access-log entry of this action at `at`.
    pub fn entry(&self, at: DateTime<Utc>) -> AccessLogEntry {
        let (caller_kind, caller_id, operator_cf) = match &self.actor {
            Actor::Administrator { id, cf } => (CallerKind::Administrator, id.clone(), cf.clone()),
            Actor::Cli { os_user } => (CallerKind::Cli, os_user.clone(), None),
            Actor::Gateway { task } => (CallerKind::Gateway, (*task).to_owned(), None),
            Actor::Operator { id, cf, kind } => (*kind, id.clone(), Some(cf.clone())),
            Actor::Ministry { serial } => (CallerKind::Ministry, serial.clone(), None),
        };
        AccessLogEntry {
            transaction_id: admin_transaction_id(),
            at,
            caller_kind,
            caller_id,
            region: None,
            operator_cf,
            titolare_cf: None,
            declared_auth: None,
            service: ADMIN_SERVICE.to_owned(),
            operation: self.operation.as_str().to_owned(),
            outcome: self.outcome.stored(),
            client_address: self
                .client_address
                .map(|address| address.to_canonical().to_string()),
            target: self.target.clone(),
            detail: self.detail.clone(),
        }
    }
}

/// An administrative entry's id: `adm-` and 16 random hex digits, apart from the numeric ids
/// of SOAP transactions.
fn admin_transaction_id() -> String {
    format!("adm-{:016x}", rand::random::<u64>())
}

/// The action was not written to the access log.
#[derive(Debug, thiserror::Error)]
#[error("the administrative action was not recorded in the access log")]
pub struct AdminActionNotRecorded(#[source] pub StoreError);

/// Appends `action` to the access log now, chained onto its head; safe while a gateway's
/// writer appends to the same log (see [`append_at_head`]). Returns the entry's seq.
pub async fn record_admin_action(
    store: &dyn Store,
    action: &AdminAction,
) -> Result<i64, AdminActionNotRecorded> {
    let entry = action.entry(Utc::now());
    append_at_head(store, &mut None, vec![entry], &[])
        .await
        .map_err(AdminActionNotRecorded)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store;

    #[test]
    fn operations_round_trip_and_are_distinct() {
        let names: std::collections::HashSet<_> = AdminOperation::ALL
            .iter()
            .map(|operation| operation.as_str())
            .collect();
        assert_eq!(names.len(), AdminOperation::ALL.len());
        for operation in AdminOperation::ALL {
            assert_eq!(AdminOperation::parse(operation.as_str()), Some(operation));
        }
        assert_eq!(AdminOperation::parse("create"), None);
    }

    #[test]
    fn a_refusal_keeps_a_bounded_reason() {
        let result: Result<(), String> = Err("x".repeat(1000));
        let stored = AdminOutcome::of(&result).stored();
        assert!(stored.starts_with("refused: x") && stored.len() == 9 + REASON_CHARS);
        assert_eq!(AdminOutcome::of(&Ok::<_, String>(())).stored(), "ok");
    }

    #[tokio::test]
    async fn an_action_is_chained_with_who_what_whom_and_where(
    ) -> Result<(), Box<dyn std::error::Error>> {
        let store = store::connect("sqlite::memory:").await?;
        let action = AdminAction {
            actor: Actor::Administrator {
                id: "sec-120".into(),
                cf: Some("RSSMRA80A01H501U".into()),
            },
            operation: AdminOperation::UserGrant,
            target: Some("ASL02".into()),
            detail: Some("profile ASL Numero test".into()),
            outcome: AdminOutcome::Refused("ASL02 is of another ASL".into()),
            client_address: Some("10.1.2.3".parse()?),
        };
        assert_eq!(record_admin_action(store.as_ref(), &action).await?, 1);
        let cli = AdminAction {
            actor: Actor::Cli {
                os_user: "root".into(),
            },
            outcome: AdminOutcome::Done,
            client_address: None,
            ..action
        };
        assert_eq!(record_admin_action(store.as_ref(), &cli).await?, 2);

        let stored = store.access_log().read(0, 10).await?;
        let first = &stored[0].entry;
        assert_eq!(
            (
                first.caller_kind,
                first.caller_id.as_str(),
                first.operator_cf.as_deref(),
                first.service.as_str(),
                first.operation.as_str(),
                first.target.as_deref(),
                first.outcome.as_str(),
                first.client_address.as_deref(),
            ),
            (
                CallerKind::Administrator,
                "sec-120",
                Some("RSSMRA80A01H501U"),
                "admin",
                "user-grant",
                Some("ASL02"),
                "refused: ASL02 is of another ASL",
                Some("10.1.2.3"),
            )
        );
        let second = &stored[1].entry;
        assert_eq!(
            (
                second.caller_kind,
                second.caller_id.as_str(),
                second.outcome.as_str()
            ),
            (CallerKind::Cli, "root", "ok")
        );
        assert!(matches!(
            store::verify_chain(store.as_ref()).await?,
            store::ChainReport::Intact { entries: 2, .. }
        ));
        Ok(())
    }
}
