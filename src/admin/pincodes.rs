//! The pincode in two halves (seed 004 §3.2): "la ASL di riferimento consegna le credenziali e
//! la prima parte del pincode. La seconda parte del pincode si ottiene direttamente sul portale
//! del Sistema TS dopo la prima autenticazione". So no administrator ever sees a whole pincode:
//! the gateway generates 10 digits, the administrator is shown the first five once (kept
//! nowhere), and the last five are sealed with `auth.secrets_key` ([`SealingKey`], bound to the
//! user id) for the operator to read with their own password ("Stampa pincode") as often as they
//! need. Verification is unchanged: one argon2 check of the whole pincode.
//!
//! Only an operator who has changed their initial password may read it (seed 000: the first
//! login forces the password change, then shows the second half). A user registered before
//! pincodes came in halves has none on record until their administrator resets their pincode.

use std::fmt;

use chrono::{DateTime, Utc};

use crate::identity::operator_login::SignedIn;
use crate::identity::password::hash_secret;
use crate::identity::password_policy::PasswordPolicy;
use crate::pki::sealing::{SealFailed, SealingKey, Unsealable};
use crate::store::{Store, StoreError};

use super::administrators::{error_of, Administrator};
use super::report::Action;
use super::users::{end_web_sessions, generate_pincode, operator_of, report, UserError};

/// Digits in each half of the 10 of a pincode.
pub const HALF_DIGITS: usize = 5;

/// Five digits of a pincode. `Debug` hides them; only [`PincodeHalf::reveal`] shows them, to
/// the one person they are for.
#[derive(Clone, PartialEq, Eq)]
pub struct PincodeHalf(String);

impl PincodeHalf {
    /// The digits, to be shown once to whom they belong.
    pub fn reveal(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PincodeHalf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PincodeHalf(*****)")
    }
}

/// A new pincode, split.
struct NewPincode {
    first: PincodeHalf,
    second: PincodeHalf,
}

impl NewPincode {
    fn generate() -> NewPincode {
        let whole = generate_pincode();
        let (first, second) = whole.split_at(HALF_DIGITS);
        NewPincode {
            first: PincodeHalf(first.to_owned()),
            second: PincodeHalf(second.to_owned()),
        }
    }

    fn whole(&self) -> String {
        format!("{}{}", self.first.0, self.second.0)
    }
}

/// What a pincode's second half is sealed for: that half of that user's pincode, nothing else.
fn purpose(user_id: &str) -> String {
    format!("pincode-second-half:{user_id}")
}

/// A new pincode: its argon2 hash, its sealed second half, and the first half to show the
/// administrator.
pub struct IssuedPincode {
    pub hash: String,
    pub sealed_second_half: String,
    pub first_half: PincodeHalf,
}

/// Generates a pincode for `user_id` and seals its second half with `key`; nothing is stored.
pub fn issue(key: &SealingKey, user_id: &str) -> Result<IssuedPincode, UserError> {
    let pincode = NewPincode::generate();
    let hash = hash_secret(&pincode.whole()).map_err(|e| UserError::Hash(e.to_string()))?;
    let sealed_second_half = key
        .seal(&pincode.second.0, &purpose(user_id))
        .map_err(|SealFailed| UserError::Seal)?;
    Ok(IssuedPincode {
        hash,
        sealed_second_half,
        first_half: pincode.first,
    })
}

/// `actor` gives an operator of their ASL a new pincode: the first half is returned (to be told
/// to them once), the second sealed for them to read (`tsgate users pincode`). The old pincode
/// stops authenticating on every gateway once it polls the directory version; their web sessions
/// end at once.
pub async fn reset(
    store: &dyn Store,
    actor: &Administrator,
    key: &SealingKey,
    user_id: &str,
    now: DateTime<Utc>,
) -> Result<PincodeHalf, UserError> {
    let outcome = async {
        operator_of(store, actor, user_id).await?;
        let issued = issue(key, user_id)?;
        if !store
            .pincodes()
            .replace(user_id, &issued.hash, &issued.sealed_second_half, now)
            .await?
        {
            return Err(UserError::NoSuchUser(user_id.chars().take(64).collect()));
        }
        end_web_sessions(store, user_id).await?;
        Ok(issued.first_half)
    }
    .await;
    report(
        store,
        actor,
        Action::ResetPincode,
        user_id,
        None,
        error_of(&outcome),
    )
    .await?;
    outcome
}

/// Why an operator was not shown their pincode's second half.
#[derive(Debug, thiserror::Error)]
pub enum SecondHalfError {
    #[error(
        "the password of user '{0}' is an initial (or expired) one: change it first with \
         `tsgate users passwd`; the second half of the pincode is shown only after that, as at \
         the first login on the portal"
    )]
    PasswordMustChange(String),
    #[error(
        "no second half of a pincode is on record for user '{0}' (registered before pincodes \
         came in two halves): ask your ASL's security administrator for a new pincode \
         (`tsgate users reset-pincode`)"
    )]
    NoneOnRecord(String),
    #[error(
        "the second half of the pincode of user '{0}' does not open with the configured \
         auth.secrets_key (another key, or the value was altered): ask your ASL's security \
         administrator for a new pincode"
    )]
    Unsealable(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// "Stampa pincode": the second half of the pincode of the operator `signed_in` (their password,
/// and their TOTP code when enrolled, checked by [`crate::identity::operator_login::sign_in`]:
/// a wrong one counts toward the lockout), who must have changed their initial password (nor let
/// it expire) under `policy`.
pub async fn second_half(
    store: &dyn Store,
    key: &SealingKey,
    policy: &PasswordPolicy,
    signed_in: &SignedIn,
    now: DateTime<Utc>,
) -> Result<PincodeHalf, SecondHalfError> {
    let user_id = signed_in.user.user_id.as_str();
    let id = || user_id.chars().take(64).collect::<String>();
    let state = store.passwords().state(user_id).await?;
    if state.is_none_or(|state| policy.must_change(&state, now)) {
        return Err(SecondHalfError::PasswordMustChange(id()));
    }
    let sealed = store
        .pincodes()
        .sealed_second_half(user_id)
        .await?
        .ok_or_else(|| SecondHalfError::NoneOnRecord(id()))?;
    let second = key
        .open(&sealed, &purpose(user_id))
        .map_err(|Unsealable| SecondHalfError::Unsealable(id()))?;
    tracing::info!(user_id, "pincode second half shown to its operator");
    Ok(PincodeHalf(second))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halves_are_five_digits_and_make_the_whole_pincode() {
        let pincode = NewPincode::generate();
        for half in [&pincode.first, &pincode.second] {
            assert_eq!(half.reveal().len(), HALF_DIGITS);
            assert!(half.reveal().bytes().all(|b| b.is_ascii_digit()));
        }
        assert_eq!(
            pincode.whole(),
            format!("{}{}", pincode.first.reveal(), pincode.second.reveal())
        );
        assert_eq!(format!("{:?}", pincode.first), "PincodeHalf(*****)");
    }
}
