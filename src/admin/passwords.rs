//! Passwords after registration: the operator changes their own (`tsgate users passwd`, later the
//! web page), which must follow the rules of [`PasswordPolicy`] and repeat none of their last
//! `auth.password_history`; their ASL's security administrator resets it to a new initial one,
//! which the operator must change again at first use. An operator's own actions check their
//! password (and TOTP code) first with [`crate::identity::operator_login::sign_in`].

use chrono::{DateTime, Utc};

use crate::identity::operator_login::SignedIn;
use crate::identity::password::{hash_secret, matches_any};
use crate::identity::password_policy::{PasswordPolicy, PasswordRuleError};
use crate::store::{NewPassword, Store, StoreError};

use super::administrators::{error_of, Administrator};
use super::report::Action;
use super::users::{end_web_sessions, generate_password, operator_of, report, UserError};

#[derive(Debug, thiserror::Error)]
pub enum PasswordChangeError {
    /// Unknown user, wrong old password or TOTP code, disabled or locked account: never told
    /// apart.
    #[error(
        "wrong user id or current password (or TOTP code), or the account is disabled or locked"
    )]
    Credentials,
    #[error(transparent)]
    Rule(#[from] PasswordRuleError),
    #[error("hashing the password failed: {0}")]
    Hash(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The operator `signed_in` (their password, and their TOTP code when enrolled, checked by
/// [`crate::identity::operator_login::sign_in`]) replaces their password with `new`, which must
/// follow `policy` and repeat none of the last `policy.history` passwords. The new one is in
/// force at once, for `max_age`.
pub async fn change_own(
    store: &dyn Store,
    policy: &PasswordPolicy,
    signed_in: &SignedIn,
    new: &str,
    now: DateTime<Utc>,
) -> Result<(), PasswordChangeError> {
    let user_id = signed_in.user.user_id.as_str();
    let current = signed_in.user.password_hash.clone();
    policy.check(user_id, new)?;
    let mut recent = vec![current];
    recent.extend(
        store
            .passwords()
            .replaced(user_id, policy.history.saturating_sub(1))
            .await?,
    );
    if matches_any(recent, new.to_owned()).await {
        return Err(PasswordRuleError::Reused {
            history: policy.history,
        }
        .into());
    }
    let hash = hash_secret(new).map_err(|e| PasswordChangeError::Hash(e.to_string()))?;
    let new = NewPassword {
        hash: &hash,
        must_change: false,
        at: now,
        keep_replaced: policy.history.saturating_sub(1),
    };
    if !store.passwords().set_password(user_id, new).await? {
        return Err(PasswordChangeError::Credentials);
    }
    tracing::info!(user_id, "password changed by its user");
    Ok(())
}

/// `actor` gives an operator of their ASL a new generated initial password (returned, to be told
/// to them once), which they must change at first use; their web sessions end.
pub async fn reset(
    store: &dyn Store,
    actor: &Administrator,
    policy: &PasswordPolicy,
    user_id: &str,
    now: DateTime<Utc>,
) -> Result<String, UserError> {
    let outcome = async {
        operator_of(store, actor, user_id).await?;
        let password = generate_password();
        let hash = hash_secret(&password).map_err(|e| UserError::Hash(e.to_string()))?;
        let new = NewPassword {
            hash: &hash,
            must_change: true,
            at: now,
            keep_replaced: policy.history.saturating_sub(1),
        };
        if !store.passwords().set_password(user_id, new).await? {
            return Err(UserError::NoSuchUser(user_id.chars().take(64).collect()));
        }
        end_web_sessions(store, user_id).await?;
        Ok(password)
    }
    .await;
    report(
        store,
        actor,
        Action::ResetPassword,
        user_id,
        None,
        error_of(&outcome),
    )
    .await?;
    outcome
}
