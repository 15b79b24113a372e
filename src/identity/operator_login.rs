//! An operator proving who they are in person, with their password and, once enrolled, a TOTP
//! code: the CLI commands an operator runs for themselves (`users passwd`, `users pincode`,
//! `users totp enroll`) and the web pages that ask for the password again (Cambio Password,
//! Stampa pincode) all call [`sign_in`], so they count failures and ask for the code the same
//! way; the web login itself goes through [`super::Identity::identify_password`], which adds the
//! address's budget. Both confirm a new enrollment with [`confirm_enrollment`]. The code is asked for (`ask_code`) only after the password proved right and
//! only if the operator is enrolled, so nothing tells a guesser whether an account has TOTP.
//! Every failure — unknown user, wrong password, disabled or locked account, wrong or missing
//! code — is the same [`LoginError::Credentials`] and counts toward the account's lock
//! (`auth.max_failures`), as on SOAP.

use chrono::{DateTime, Utc};

use super::password::verify_password;
use super::second_factor::{Enrollment, SecondFactor, SecondFactorError};
use crate::store::{LockoutPolicy, StepReuse, Store, StoreError, UserRecord};

/// Who signed in, and where their second factor stands (a `required` one may still be to enroll).
#[derive(Debug)]
pub struct SignedIn {
    pub user: UserRecord,
    pub enrollment: Enrollment,
}

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Unknown user, wrong password or code, disabled or locked account: never told apart.
    #[error("wrong user id or password (or TOTP code), or the account is disabled or locked")]
    Credentials,
    /// The code could not be checked at all (the secrets key cannot open the secret).
    #[error(transparent)]
    SecondFactor(SecondFactorError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// `user_id` signs in with `password`, then, if their TOTP is active, with the code `ask_code`
/// gives (a person's: each code once). On success their failures are forgotten.
pub async fn sign_in(
    store: &dyn Store,
    second_factor: &SecondFactor,
    lockout: LockoutPolicy,
    user_id: &str,
    password: &str,
    ask_code: impl FnOnce() -> Option<String>,
    now: DateTime<Utc>,
) -> Result<SignedIn, LoginError> {
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
    let user = match user {
        Some(user) if verified && !locked && user.enabled => user,
        known => return Err(failed(store, lockout, known.is_some(), user_id, now).await),
    };
    let enrollment = second_factor.enrollment(user_id).await?;
    if enrollment == Enrollment::Active {
        let code = ask_code();
        match second_factor
            .check_code(user_id, code.as_deref(), StepReuse::Never, now)
            .await
        {
            Ok(_) => {}
            Err(SecondFactorError::WrongCode) => {
                return Err(failed(store, lockout, true, user_id, now).await)
            }
            Err(SecondFactorError::Store(error)) => return Err(error.into()),
            Err(other) => return Err(LoginError::SecondFactor(other)),
        }
    }
    store.credential_failures().clear(user_id).await?;
    Ok(SignedIn { user, enrollment })
}

/// Confirms `user_id`'s pending TOTP enrollment with the `code` their app shows, as `tsgate
/// users totp enroll` and the web's enrollment page ask for it: a wrong code is a failed
/// credential, counted toward the account's lock.
pub async fn confirm_enrollment(
    store: &dyn Store,
    second_factor: &SecondFactor,
    lockout: LockoutPolicy,
    user_id: &str,
    code: &str,
    now: DateTime<Utc>,
) -> Result<(), LoginError> {
    match second_factor.confirm_enrollment(user_id, code, now).await {
        Ok(()) => Ok(()),
        Err(SecondFactorError::WrongCode) => Err(failed(store, lockout, true, user_id, now).await),
        Err(SecondFactorError::Store(error)) => Err(error.into()),
        Err(other) => Err(LoginError::SecondFactor(other)),
    }
}

/// Counts a failure for a `known` user (it may lock the account) and gives the one refusal.
pub async fn failed(
    store: &dyn Store,
    lockout: LockoutPolicy,
    known: bool,
    user_id: &str,
    now: DateTime<Utc>,
) -> LoginError {
    if !known {
        return LoginError::Credentials;
    }
    match store
        .credential_failures()
        .record_failure(user_id, now, lockout)
        .await
    {
        Ok(recorded) if recorded.locked_now => {
            tracing::warn!(
                user_id,
                "account locked after consecutive failed credentials"
            );
            LoginError::Credentials
        }
        Ok(_) => LoginError::Credentials,
        Err(error) => LoginError::Store(error),
    }
}
