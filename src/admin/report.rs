//! Where every administrative action and refusal is reported, done or not: one function, so that
//! recording them in the hash-chained access log (issue #10, item 6) is one call here.

use std::fmt;

use crate::store::Store;

use super::administrators::Actor;

/// What an administrator did or tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// An administrator's id and password checked (reported when refused).
    Authenticate,
    Bootstrap,
    AddAdministrator,
    DisableAdministrator,
    EnableAdministrator,
    AddUser,
    EditUser,
    DisableUser,
    EnableUser,
    Grant,
    Revoke,
    Unlock,
}

impl Action {
    pub const fn as_str(self) -> &'static str {
        match self {
            Action::Authenticate => "authenticate",
            Action::Bootstrap => "bootstrap",
            Action::AddAdministrator => "administrator add",
            Action::DisableAdministrator => "administrator disable",
            Action::EnableAdministrator => "administrator enable",
            Action::AddUser => "user add",
            Action::EditUser => "user edit",
            Action::DisableUser => "user disable",
            Action::EnableUser => "user enable",
            Action::Grant => "profile grant",
            Action::Revoke => "profile revoke",
            Action::Unlock => "user unlock",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Reports that `actor` did `action` on `target` (a user or administrator id; `detail`, e.g.
/// the profile), or was refused with `outcome`'s error. Today a log line (no secret is ever
/// passed here); the access-log record is wired in here.
pub async fn administrative_action(
    _store: &dyn Store,
    actor: &Actor,
    action: Action,
    target: &str,
    detail: Option<&str>,
    outcome: Result<(), &dyn fmt::Display>,
) {
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
}
