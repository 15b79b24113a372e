//! Users, their profiles, and which services each region may call.
//!
//! The store keeps credentials only as PHC strings produced by the gateway (argon2); it never
//! sees a password or a pincode. The SQL is written once, with `$n` parameters (which SQLite
//! also reads), and [`directory_queries!`] implements [`Directory`] with it for each backend's
//! pool type.

use super::StoreError;

/// Who may call what: one implementation per backend's pool (written once, in
/// [`directory_queries!`]). Reached through [`super::Store::directory`].
#[async_trait::async_trait]
pub trait Directory: Send + Sync {
    /// Registers a user; an existing user id or CF is [`StoreError::Duplicate`].
    async fn add_user(&self, user: &UserRecord) -> Result<(), StoreError>;

    /// Looks a user up by login id.
    async fn find_user(&self, user_id: &str) -> Result<Option<UserRecord>, StoreError>;

    /// Looks a user up by codice fiscale (how a CNS certificate identifies a person).
    async fn find_user_by_cf(&self, cf: &str) -> Result<Option<UserRecord>, StoreError>;

    /// Grants a profile; granting it again is a no-op. An unknown user is
    /// [`StoreError::NotFound`].
    async fn grant_profile(&self, user_id: &str, profile: &str) -> Result<(), StoreError>;

    /// Revokes a profile; revoking one not held is a no-op.
    async fn revoke_profile(&self, user_id: &str, profile: &str) -> Result<(), StoreError>;

    /// The user's profiles, sorted.
    async fn profiles_of(&self, user_id: &str) -> Result<Vec<String>, StoreError>;

    /// Lets a region call a service; enabling it again is a no-op.
    async fn enable_region_service(
        &self,
        region_code: &str,
        service: &str,
    ) -> Result<(), StoreError>;

    /// Withdraws a region's permission; disabling one not enabled is a no-op.
    async fn disable_region_service(
        &self,
        region_code: &str,
        service: &str,
    ) -> Result<(), StoreError>;

    /// The services a region may call, sorted.
    async fn region_services(&self, region_code: &str) -> Result<Vec<String>, StoreError>;
    /// A number that every change to users, profiles or region services increases (database
    /// triggers, whoever writes): what gateways poll to know their caches are stale.
    async fn version(&self) -> Result<i64, StoreError>;
}

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

/// The directory queries for one backend's pool type.
macro_rules! directory_queries {
    ($db:ty) => {
        use sqlx::Pool;

        use $crate::store::users::{add_user_error, Directory, UserRecord, USER_COLUMNS};
        use $crate::store::StoreError;

        #[async_trait::async_trait]
        impl Directory for Pool<$db> {
            async fn add_user(&self, user: &UserRecord) -> Result<(), StoreError> {
                sqlx::query(&format!(
                    "INSERT INTO users ({USER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
                ))
                .bind(&user.user_id)
                .bind(&user.cf)
                .bind(&user.display_name)
                .bind(&user.password_hash)
                .bind(&user.pincode_hash)
                .bind(&user.asl)
                .bind(&user.region)
                .bind(user.enabled)
                .execute(self)
                .await
                .map_err(add_user_error(user))?;
                Ok(())
            }

            async fn find_user(&self, user_id: &str) -> Result<Option<UserRecord>, StoreError> {
                sqlx::query_as(&format!(
                    "SELECT {USER_COLUMNS} FROM users WHERE user_id = $1"
                ))
                .bind(user_id)
                .fetch_optional(self)
                .await
                .map_err(StoreError::query("looking up a user by id failed"))
            }

            async fn find_user_by_cf(&self, cf: &str) -> Result<Option<UserRecord>, StoreError> {
                sqlx::query_as(&format!("SELECT {USER_COLUMNS} FROM users WHERE cf = $1"))
                    .bind(cf)
                    .fetch_optional(self)
                    .await
                    .map_err(StoreError::query("looking up a user by CF failed"))
            }

            async fn grant_profile(&self, user_id: &str, profile: &str) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO user_profiles (user_id, profile) VALUES ($1, $2) \
                     ON CONFLICT DO NOTHING",
                )
                .bind(user_id)
                .bind(profile)
                .execute(self)
                .await
                .map_err(StoreError::keyed(
                    "granting a profile failed",
                    "profile grant",
                    "user",
                    user_id,
                ))?;
                Ok(())
            }

            async fn revoke_profile(&self, user_id: &str, profile: &str) -> Result<(), StoreError> {
                sqlx::query("DELETE FROM user_profiles WHERE user_id = $1 AND profile = $2")
                    .bind(user_id)
                    .bind(profile)
                    .execute(self)
                    .await
                    .map_err(StoreError::query("revoking a profile failed"))?;
                Ok(())
            }

            async fn profiles_of(&self, user_id: &str) -> Result<Vec<String>, StoreError> {
                sqlx::query_scalar(
                    "SELECT profile FROM user_profiles WHERE user_id = $1 ORDER BY profile",
                )
                .bind(user_id)
                .fetch_all(self)
                .await
                .map_err(StoreError::query("listing a user's profiles failed"))
            }

            async fn enable_region_service(
                &self,
                region_code: &str,
                service: &str,
            ) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO region_services (region_code, service) VALUES ($1, $2) \
                     ON CONFLICT DO NOTHING",
                )
                .bind(region_code)
                .bind(service)
                .execute(self)
                .await
                .map_err(StoreError::query("enabling a service for a region failed"))?;
                Ok(())
            }

            async fn disable_region_service(
                &self,
                region_code: &str,
                service: &str,
            ) -> Result<(), StoreError> {
                sqlx::query("DELETE FROM region_services WHERE region_code = $1 AND service = $2")
                    .bind(region_code)
                    .bind(service)
                    .execute(self)
                    .await
                    .map_err(StoreError::query("disabling a service for a region failed"))?;
                Ok(())
            }

            async fn region_services(&self, region_code: &str) -> Result<Vec<String>, StoreError> {
                sqlx::query_scalar(
                    "SELECT service FROM region_services WHERE region_code = $1 ORDER BY service",
                )
                .bind(region_code)
                .fetch_all(self)
                .await
                .map_err(StoreError::query("listing a region's services failed"))
            }

            async fn version(&self) -> Result<i64, StoreError> {
                sqlx::query_scalar("SELECT version FROM directory_version WHERE id = 1")
                    .fetch_one(self)
                    .await
                    .map_err(StoreError::query("reading the directory version failed"))
            }
        }
    };
}

mod sqlite_queries {
    directory_queries!(sqlx::Sqlite);
}

mod postgres_queries {
    directory_queries!(sqlx::Postgres);
}
