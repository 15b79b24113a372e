//! Where every administrative action and refusal is reported, done or not: one function, which
//! records it in the hash-chained access log ([`crate::audit::record_admin_action`]) and logs it.

use std::fmt;

use crate::audit::{self, AdminAction, AdminActionNotRecorded, AdminOperation, AdminOutcome};
use crate::store::Store;

use super::administrators::Actor;

/// What an administrator did or tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// An administrator's id and password checked (reported when refused, and when accepted
    /// after refusals: that resets their count of failures).
    Authenticate,
    Bootstrap,
    AddAdministrator,
    DisableAdministrator,
    EnableAdministrator,
    UnlockAdministrator,
    ResetAdministratorPassword,
    AddUser,
    EditUser,
    DisableUser,
    EnableUser,
    Grant,
    Revoke,
    ResetPassword,
    ResetPincode,
    ResetTotp,
    Unlock,
    AssignAsl,
}

impl Action {
    pub const fn as_str(self) -> &'static str {
        match self {
            Action::Authenticate => "authenticate",
            Action::Bootstrap => "bootstrap",
            Action::AddAdministrator => "administrator add",
            Action::DisableAdministrator => "administrator disable",
            Action::EnableAdministrator => "administrator enable",
            Action::UnlockAdministrator => "administrator unlock",
            Action::ResetAdministratorPassword => "administrator reset-password",
            Action::AddUser => "user add",
            Action::EditUser => "user edit",
            Action::DisableUser => "user disable",
            Action::EnableUser => "user enable",
            Action::Grant => "profile grant",
            Action::Revoke => "profile revoke",
            Action::ResetPassword => "user reset-password",
            Action::ResetPincode => "user reset-pincode",
            Action::ResetTotp => "user reset-totp",
            Action::Unlock => "user unlock",
            Action::AssignAsl => "user assign-asl",
        }
    }
}

impl Action {
    /// The operation the access log records.
    pub const fn operation(self) -> AdminOperation {
        match self {
            Action::Authenticate => AdminOperation::AdminAuthenticate,
            Action::Bootstrap => AdminOperation::AdminBootstrap,
            Action::AddAdministrator => AdminOperation::AdminCreate,
            Action::DisableAdministrator => AdminOperation::AdminDisable,
            Action::EnableAdministrator => AdminOperation::AdminEnable,
            Action::UnlockAdministrator => AdminOperation::AdminUnlock,
            Action::ResetAdministratorPassword => AdminOperation::AdminResetPassword,
            Action::AddUser => AdminOperation::UserCreate,
            Action::EditUser => AdminOperation::UserEdit,
            Action::DisableUser => AdminOperation::UserDisable,
            Action::EnableUser => AdminOperation::UserEnable,
            Action::Grant => AdminOperation::UserGrant,
            Action::Revoke => AdminOperation::UserRevoke,
            Action::ResetPassword => AdminOperation::UserResetPassword,
            Action::ResetPincode => AdminOperation::UserResetPincode,
            Action::ResetTotp => AdminOperation::UserResetTotp,
            Action::Unlock => AdminOperation::UserUnlock,
            Action::AssignAsl => AdminOperation::UserAssignAsl,
        }
    }
}

/// Who the access log names: the administrator (their id and CF); the id a refused login claimed;
/// the command line and its OS user for the bootstrap, when no administrator exists yet.
fn audit_actor(actor: &Actor) -> audit::Actor {
    match actor {
        Actor::Administrator(admin) => audit::Actor::Administrator {
            id: admin.id().to_owned(),
            cf: Some(admin.cf().to_string()),
        },
        Actor::Unauthenticated { claimed_id, .. } => audit::Actor::Administrator {
            id: claimed_id.clone(),
            cf: None,
        },
        Actor::Bootstrap => audit::Actor::cli(),
    }
}

/// The address of a remote (web) actor.
fn client_of(actor: &Actor) -> Option<std::net::IpAddr> {
    match actor {
        Actor::Administrator(admin) => admin.client(),
        Actor::Unauthenticated { client, .. } => *client,
        Actor::Bootstrap => None,
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Reports that `actor` did `action` on `target` (a user or administrator id; `detail`, e.g.
/// the profile), or was refused with `outcome`'s error: recorded in the access log, and a log
/// line (no secret is ever passed here). An action that could not be recorded must not be
/// acknowledged: the caller fails with the error.
pub async fn administrative_action(
    store: &dyn Store,
    actor: &Actor,
    action: Action,
    target: &str,
    detail: Option<&str>,
    outcome: Result<(), &(dyn fmt::Display + Sync)>,
) -> Result<(), AdminActionNotRecorded> {
    match outcome {
        Ok(()) => tracing::info!(
            actor = %actor,
            action = action.as_str(),
            target,
            detail,
            "administrative action done"
        ),
        Err(error) => tracing::warn!(
            actor = %actor,
            action = action.as_str(),
            target,
            detail,
            %error,
            "administrative action refused or failed"
        ),
    }
    let record = AdminAction {
        actor: audit_actor(actor),
        operation: action.operation(),
        target: Some(target.to_owned()),
        detail: detail.map(str::to_owned),
        outcome: match outcome {
            Ok(()) => AdminOutcome::Done,
            Err(error) => AdminOutcome::Refused(error.to_string()),
        },
        client_address: client_of(actor),
    };
    audit::record_admin_action(store, &record)
        .await
        .map(drop)
        .inspect_err(|error| {
            tracing::error!(%error, action = action.as_str(), target, "administrative action not recorded");
        })
}
