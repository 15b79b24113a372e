//! Users, their profiles, and which services each region may call.
//!
//! The store keeps credentials only as PHC strings produced by the gateway (argon2); it never
//! sees a password or a pincode.

use super::StoreError;

/// A person who may use the web application or call services as an operator.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct UserRecord {
    pub user_id: String,
    /// Codice fiscale: how a CNS certificate identifies the same person. Unique.
    pub cf: String,
    pub display_name: String,
    /// PHC string of the password hash.
    pub password_hash: String,
    /// PHC string of the pincode hash.
    pub pincode_hash: String,
    /// The ASL the user belongs to, for ASL staff.
    pub asl: Option<String>,
    /// The region the user belongs to, for regional staff.
    pub region: Option<String>,
    /// A disabled user is kept (for the logs) but cannot authenticate.
    pub enabled: bool,
}

/// The columns matching [`UserRecord`], in insert order.
pub(crate) const USER_COLUMNS: &str =
    "user_id, cf, display_name, password_hash, pincode_hash, asl, region, enabled";

/// Maps a failed user insert: a taken user id or CF is [`StoreError::Duplicate`], saying which.
pub(crate) fn add_user_error(user: &UserRecord) -> impl FnOnce(sqlx::Error) -> StoreError + '_ {
    move |source| match source.as_database_error() {
        Some(db) if db.is_unique_violation() => {
            // PostgreSQL names the constraint; SQLite names the column in its message.
            let cf_taken = match db.constraint() {
                Some(constraint) => constraint == "users_cf_key",
                None => db.message().contains("users.cf"),
            };
            if cf_taken {
                StoreError::Duplicate {
                    what: "user with codice fiscale",
                    key: user.cf.clone(),
                }
            } else {
                StoreError::Duplicate {
                    what: "user",
                    key: user.user_id.clone(),
                }
            }
        }
        _ => StoreError::Query {
            context: "adding a user failed",
            source,
        },
    }
}
