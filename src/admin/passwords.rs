//! Passwords after registration: the operator changes their own (`tsgate users passwd`, later the
//! web page), which must follow the rules of [`PasswordPolicy`] and repeat none of their last
//! `auth.password_history`; their ASL's security administrator resets it to a new initial one,
//! which the operator must change again at first use. [`verify_own`] is how any action of an
//! operator's own checks their password.

use chrono::{DateTime, Utc};

use crate::identity::password::{hash_secret, matches_any, verify_password};
use crate::identity::password_policy::{PasswordPolicy, PasswordRuleError};
use crate::store::{LockoutPolicy, NewPassword, Store, StoreError, UserRecord};

use super::administrators::{error_of, Administrator};
use super::report::Action;
use super::users::{generate_password, operator_of, report, UserError};

#[derive(Debug, thiserror::Error)]
pub enum PasswordChangeError {
    /// Unknown user, wrong old password, disabled or locked account: never told apart.
    #[error("wrong user id or current password (or the account is disabled or locked)")]
    Credentials,
    #[error(transparent)]
    Rule(#[from] PasswordRuleError),
    #[error("hashing the password failed: {0}")]
    Hash(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// `user_id` replaces their password `old` with `new`: a wrong `old` counts as a failed
/// credential (it may lock the account, as on SOAP); `new` must follow `policy` and repeat none
/// of the last `policy.history` passwords. The new one is in force at once, for `max_age`.
pub async fn change_own(
    store: &dyn Store,
    policy: &PasswordPolicy,
    lockout: LockoutPolicy,
    user_id: &str,
    old: &str,
    new: &str,
    now: DateTime<Utc>,
) -> Result<(), PasswordChangeError> {
    let user = verify_own(store, lockout, user_id, old, now)
        .await
        .map_err(|e| match e {
            OwnCredentialsError::Credentials => PasswordChangeError::Credentials,
            OwnCredentialsError::Store(e) => PasswordChangeError::Store(e),
        })?;
    let current = user.password_hash;
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

/// Why an operator's own password was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum OwnCredentialsError {
    /// Unknown user, wrong password, disabled or locked account: never told apart.
    #[error("wrong user id or password (or the account is disabled or locked)")]
    Credentials,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The operator `user_id` if `password` is theirs, they are enabled and not locked: what an
/// operator's own action (`users passwd`, `users pincode`, later the web login) checks first.
/// Every refusal of a known user counts as a failed credential toward the lockout, as on SOAP;
/// a success forgets the failures. The argon2 check runs whatever the case.
pub async fn verify_own(
    store: &dyn Store,
    lockout: LockoutPolicy,
    user_id: &str,
    password: &str,
    now: DateTime<Utc>,
) -> Result<UserRecord, OwnCredentialsError> {
    let user = store.directory().find_user(user_id).await?;
    let locked = match &user {
        Some(_) => store
            .credential_failures()
            .count(user_id)
            .await?
            .locked_at(now),
        None => false,
    };
    let hash = user.as_ref().map(|u| u.password_hash.clone());
    let verified = verify_password(hash, password.to_owned()).await;
    match user {
        Some(user) if verified && !locked && user.enabled => {
            store.credential_failures().clear(user_id).await?;
            Ok(user)
        }
        Some(_) => {
            let recorded = store
                .credential_failures()
                .record_failure(user_id, now, lockout)
                .await?;
            if recorded.locked_now {
                tracing::warn!(
                    user_id,
                    "account locked after consecutive failed credentials"
                );
            }
            Err(OwnCredentialsError::Credentials)
        }
        None => Err(OwnCredentialsError::Credentials),
    }
}

/// `actor` gives an operator of their ASL a new generated initial password (returned, to be told
/// to them once), which they must change at first use.
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
