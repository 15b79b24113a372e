//! What a password sign-in must read fresh on every call, in one query: the account's failed
//! credentials and lock, its password's state, its profiles, and its ASL (which
//! `InvioNumeroTest` needs, and read on its own was a second round trip per call). Each is its own table and
//! concern ([`super::CredentialFailures`], [`super::Passwords`], [`super::Directory`]); read one
//! by one they were three round trips to the store per call, the largest cost of an operator's
//! request after the commit (each a hand-off to SQLite's worker thread, or a round trip to
//! PostgreSQL), for rows a few bytes long.

use chrono::DateTime;
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Type};

use super::backend::Backend;
use super::columns::StoredRow;
use super::kept_connections::KeptConnections;
use super::{FailureCount, PasswordState, StoreError};
use crate::domain::{AslCode, Profile, RegionCode};

/// An account as a sign-in finds it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SignInState {
    /// As [`super::CredentialFailures::count`] reads it.
    pub failures: FailureCount,
    /// As [`super::Passwords::state`] reads it.
    pub password: Option<PasswordState>,
    /// As [`super::Directory::profiles_of`] reads them, sorted.
    pub profiles: Vec<Profile>,
    /// The user's region and ASL, as [`super::Directory::find_user`] reads them.
    pub region: Option<RegionCode>,
    pub asl: Option<AslCode>,
}

/// Reached through [`super::Store::sign_in_states`].
#[async_trait::async_trait]
pub trait SignInStates: Send + Sync {
    /// `user_id`'s state; an unknown user has no failures, no password state and no profiles.
    async fn sign_in_state(&self, user_id: &str) -> Result<SignInState, StoreError>;
}

/// One row per profile (one row with a NULL profile when there is none), each carrying the
/// account's failures, password state and ASL: a user has a handful of profiles, so repeating
/// six small columns costs less than a second query.
pub(super) const STATE: &str = "SELECT p.profile, \
     (SELECT failures FROM credential_failures WHERE user_id = $1), \
     (SELECT locked_until_ms FROM credential_failures WHERE user_id = $1), \
     (SELECT must_change FROM user_passwords WHERE user_id = $1), \
     (SELECT changed_at_ms FROM user_passwords WHERE user_id = $1), \
     (SELECT region FROM users WHERE user_id = $1), \
     (SELECT asl FROM users WHERE user_id = $1) \
     FROM (SELECT $1 AS user_id) AS u \
     LEFT JOIN user_profiles p ON p.user_id = u.user_id \
     ORDER BY p.profile";

pub(super) const STATE_CONTEXT: &str = "reading an account's sign-in state failed";

/// One row of [`STATE`].
pub(super) type StateRow = (
    Option<String>,
    Option<i64>,
    Option<i64>,
    Option<bool>,
    Option<i64>,
    Option<String>,
    Option<String>,
);

#[async_trait::async_trait]
impl<DB: Backend> SignInStates for KeptConnections<DB>
where
    for<'c> &'c KeptConnections<DB>: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<String>: Decode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Decode<'q, DB> + Type<DB>,
    for<'q> Option<bool>: Decode<'q, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
{
    async fn sign_in_state(&self, user_id: &str) -> Result<SignInState, StoreError> {
        let rows: Vec<StateRow> = sqlx::query_as(STATE)
            .bind(user_id)
            .fetch_all(self)
            .await
            .map_err(StoreError::query(STATE_CONTEXT))?;
        sign_in_state_of(user_id, &rows)
    }
}

/// The state [`STATE`]'s rows describe.
pub(super) fn sign_in_state_of(
    user_id: &str,
    rows: &[StateRow],
) -> Result<SignInState, StoreError> {
    let Some((_, failures, locked_until_ms, must_change, changed_at_ms, region, asl)) =
        rows.first()
    else {
        return Ok(SignInState::default());
    };
    let (failures, locked_until_ms) = (*failures, *locked_until_ms);
    let (must_change, changed_at_ms) = (*must_change, *changed_at_ms);
    let user = StoredRow::new("users", user_id);
    let region = user.optional("region", region.as_deref(), StoredRow::region)?;
    let asl = user.optional("asl", asl.as_deref(), StoredRow::asl)?;
    let stored = StoredRow::new("user_profiles", user_id);
    let profiles = rows
        .iter()
        .filter_map(|row| row.0.as_deref())
        .map(|name| stored.profile("profile", name))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(SignInState {
        failures: failures
            .map(|failures| FailureCount {
                failures: u32::try_from(failures).unwrap_or(u32::MAX),
                locked_until: locked_until_ms.and_then(DateTime::from_timestamp_millis),
            })
            .unwrap_or_default(),
        password: must_change
            .zip(changed_at_ms)
            .map(|(must_change, changed_at_ms)| PasswordState {
                must_change,
                changed_at: DateTime::from_timestamp_millis(changed_at_ms).unwrap_or_default(),
            }),
        profiles,
        region,
        asl,
    })
}
