//! Users, their profiles, and which services each region may call.
//!
//! The store keeps credentials only as PHC strings produced by the gateway (argon2); it never
//! sees a password or a pincode.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Pool, Row, Type};

use super::backend::Backend;
use super::columns::{day, StoredRow};
use super::StoreError;
use crate::domain::{AslCode, CodiceFiscale, Email, PhoneNumber, Profile, RegionCode, Sex};

/// Who may call what. Reached through [`super::Store::directory`].
#[async_trait::async_trait]
pub trait Directory: Send + Sync {
    /// Registers a user; an existing user id or CF is [`StoreError::Duplicate`].
    async fn add_user(&self, user: &UserRecord) -> Result<(), StoreError>;

    /// Looks a user up by login id.
    async fn find_user(&self, user_id: &str) -> Result<Option<UserRecord>, StoreError>;

    /// Changes a user's codice fiscale, name and record; `false` if there is no such user. A CF
    /// another user has is [`StoreError::Duplicate`].
    async fn edit_user(
        &self,
        user_id: &str,
        cf: &CodiceFiscale,
        display_name: &str,
        details: &OperatorDetails,
    ) -> Result<bool, StoreError>;

    /// Records that the user was identified at `at` (a later time than the one stored wins).
    /// Not a change of the directory: cached verifications stay valid.
    async fn record_access(&self, user_id: &str, at: DateTime<Utc>) -> Result<(), StoreError>;

    /// Enables or disables a user; `false` if there is no such user.
    async fn set_user_enabled(&self, user_id: &str, enabled: bool) -> Result<bool, StoreError>;

    /// Puts a user who has no ASL (registered before ASL scoping) in `asl` of `region`; `false`
    /// if there is no such user or they have an ASL already (checked in the same statement).
    async fn assign_asl(
        &self,
        user_id: &str,
        region: RegionCode,
        asl: AslCode,
    ) -> Result<bool, StoreError>;

    /// The users of one ASL (of one region), or every user when `asl` is `None`, by id.
    async fn list_users(
        &self,
        asl: Option<(RegionCode, AslCode)>,
    ) -> Result<Vec<UserRecord>, StoreError>;

    /// Looks a user up by codice fiscale (how a CNS certificate identifies a person).
    async fn find_user_by_cf(&self, cf: &CodiceFiscale) -> Result<Option<UserRecord>, StoreError>;

    /// Grants a profile; granting it again is a no-op. An unknown user is
    /// [`StoreError::NotFound`].
    async fn grant_profile(&self, user_id: &str, profile: Profile) -> Result<(), StoreError>;

    /// Revokes a profile; revoking one not held is a no-op.
    async fn revoke_profile(&self, user_id: &str, profile: Profile) -> Result<(), StoreError>;

    /// The user's profiles, sorted by name. A stored name that is not a [`Profile`] is
    /// [`StoreError::CorruptRow`].
    async fn profiles_of(&self, user_id: &str) -> Result<Vec<Profile>, StoreError>;

    /// Lets a region call a service; enabling it again is a no-op.
    async fn enable_region_service(
        &self,
        region: RegionCode,
        service: &str,
    ) -> Result<(), StoreError>;

    /// Withdraws a region's permission; disabling one not enabled is a no-op.
    async fn disable_region_service(
        &self,
        region: RegionCode,
        service: &str,
    ) -> Result<(), StoreError>;

    /// The services a region may call, sorted.
    async fn region_services(&self, region: RegionCode) -> Result<Vec<String>, StoreError>;

    /// A number that every change to users, profiles or region services increases (database
    /// triggers, whoever writes): what gateways poll to know their caches are stale.
    async fn version(&self) -> Result<i64, StoreError>;
}

/// A person who may use the web application or call services as an operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub user_id: String,
    /// Codice fiscale: how a CNS certificate identifies the same person. Unique; checked
    /// strictly before it is stored (`tsgate users add`).
    pub cf: CodiceFiscale,
    pub display_name: String,
    /// PHC string of the password hash.
    pub password_hash: String,
    /// PHC string of the pincode hash.
    pub pincode_hash: String,
    /// The ASL the user belongs to, for ASL staff.
    pub asl: Option<AslCode>,
    /// The region the user belongs to, for regional staff.
    pub region: Option<RegionCode>,
    /// A disabled user is kept (for the logs) but cannot authenticate.
    pub enabled: bool,
    /// Personal data and work contacts (the profile page's "Riepilogo").
    pub details: OperatorDetails,
    /// When the user was last identified ("Ultimo accesso"); written by the gateway, at most
    /// once a minute per user, never by [`Directory::add_user`] or [`Directory::edit_user`].
    pub last_access: Option<DateTime<Utc>>,
}

/// What seed 000's profile page shows of an operator besides CF and ASL, each `None` until
/// set: "Riepilogo Dati Personali" and "Riepilogo dati lavorativi".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OperatorDetails {
    /// Cognome.
    pub surname: Option<String>,
    /// Nome.
    pub given_name: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub sex: Option<Sex>,
    /// Luogo di nascita, as typed (a comune's name).
    pub birth_place: Option<String>,
    /// Indirizzo lavoro.
    pub work_address: Option<String>,
    /// The office phone.
    pub phone: Option<PhoneNumber>,
    pub fax: Option<PhoneNumber>,
    pub email: Option<Email>,
}

/// Maps a failed user insert: a taken user id or CF is [`StoreError::Duplicate`], saying which.
fn add_user_error(user: &UserRecord) -> impl FnOnce(sqlx::Error) -> StoreError + '_ {
    user_write_error(&user.user_id, &user.cf, "adding a user failed")
}

/// Maps a failed users write: a taken user id or CF is [`StoreError::Duplicate`], saying which.
fn user_write_error<'a>(
    user_id: &'a str,
    cf: &'a CodiceFiscale,
    context: &'static str,
) -> impl FnOnce(sqlx::Error) -> StoreError + 'a {
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
                    key: cf.to_string(),
                }
            } else {
                StoreError::Duplicate {
                    what: "user",
                    key: user_id.to_owned(),
                }
            }
        }
        _ => StoreError::Query { context, source },
    }
}

const ADD_USER: &str = "INSERT INTO users \
     (user_id, cf, display_name, password_hash, pincode_hash, asl, region, enabled, \
      surname, given_name, birth_date, sex, birth_place, work_address, phone, fax, email) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)";

/// The columns [`user_record`] reads, in its order, from `users u` and `user_last_access a`.
macro_rules! user_columns {
    () => {
        "SELECT u.user_id, u.cf, u.display_name, u.password_hash, u.pincode_hash, u.asl, \
         u.region, u.enabled, u.surname, u.given_name, u.birth_date, u.sex, u.birth_place, \
         u.work_address, u.phone, u.fax, u.email, a.last_access_ms \
         FROM users u LEFT JOIN user_last_access a ON a.user_id = u.user_id "
    };
}

const FIND_USER: &str = concat!(user_columns!(), "WHERE u.user_id = $1");

const EDIT_USER: &str = "UPDATE users SET cf = $2, display_name = $3, surname = $4, \
     given_name = $5, birth_date = $6, sex = $7, birth_place = $8, work_address = $9, \
     phone = $10, fax = $11, email = $12 WHERE user_id = $1";

const RECORD_ACCESS: &str = "INSERT INTO user_last_access (user_id, last_access_ms) \
     VALUES ($1, $2) ON CONFLICT (user_id) DO UPDATE SET last_access_ms = CASE \
     WHEN excluded.last_access_ms > user_last_access.last_access_ms \
     THEN excluded.last_access_ms ELSE user_last_access.last_access_ms END";

const SET_USER_ENABLED: &str = "UPDATE users SET enabled = $2 WHERE user_id = $1";

/// Only a user without an ASL: one that has one keeps it, whatever raced.
const ASSIGN_ASL: &str = "UPDATE users SET region = $2, asl = $3 \
     WHERE user_id = $1 AND (asl IS NULL OR region IS NULL)";

const LIST_USERS: &str = concat!(
    user_columns!(),
    "WHERE ($1 IS NULL OR (u.region = $1 AND u.asl = $2)) ORDER BY u.user_id"
);

const FIND_USER_BY_CF: &str = concat!(user_columns!(), "WHERE u.cf = $1");

const GRANT_PROFILE: &str =
    "INSERT INTO user_profiles (user_id, profile) VALUES ($1, $2) ON CONFLICT DO NOTHING";

const REVOKE_PROFILE: &str = "DELETE FROM user_profiles WHERE user_id = $1 AND profile = $2";

const PROFILES_OF: &str = "SELECT profile FROM user_profiles WHERE user_id = $1 ORDER BY profile";

const ENABLE_REGION_SERVICE: &str =
    "INSERT INTO region_services (region_code, service) VALUES ($1, $2) ON CONFLICT DO NOTHING";

const DISABLE_REGION_SERVICE: &str =
    "DELETE FROM region_services WHERE region_code = $1 AND service = $2";

const REGION_SERVICES: &str =
    "SELECT service FROM region_services WHERE region_code = $1 ORDER BY service";

const VERSION: &str = "SELECT version FROM directory_version WHERE id = 1";

/// Reads a users row (joined with its last access) as [`user_columns`] selects it.
fn user_record<R>(row: &R) -> Result<UserRecord, StoreError>
where
    R: Row,
    usize: ColumnIndex<R>,
    for<'q> String: Decode<'q, R::Database> + Type<R::Database>,
    for<'q> Option<String>: Decode<'q, R::Database>,
    for<'q> bool: Decode<'q, R::Database> + Type<R::Database>,
    for<'q> Option<i64>: Decode<'q, R::Database>,
    i64: Type<R::Database>,
{
    let read = |source| StoreError::Query {
        context: "reading a users row failed",
        source,
    };
    let text = |i: usize| row.try_get::<String, _>(i).map_err(read);
    let optional = |i: usize| row.try_get::<Option<String>, _>(i).map_err(read);
    let user_id = text(0)?;
    let stored = StoredRow::new("users", &user_id);
    let last_access_ms = row.try_get::<Option<i64>, _>(17).map_err(read)?;
    let details = OperatorDetails {
        surname: optional(8)?,
        given_name: optional(9)?,
        birth_date: stored.optional("birth_date", optional(10)?.as_deref(), StoredRow::day)?,
        sex: stored.optional("sex", optional(11)?.as_deref(), |s, column, value| {
            Sex::parse(value).map_err(|_| s.corrupt(column, value, "M or F"))
        })?,
        birth_place: optional(12)?,
        work_address: optional(13)?,
        phone: stored.optional("phone", optional(14)?.as_deref(), StoredRow::phone)?,
        fax: stored.optional("fax", optional(15)?.as_deref(), StoredRow::phone)?,
        email: stored.optional("email", optional(16)?.as_deref(), |s, column, value| {
            Email::parse(value).map_err(|_| s.corrupt(column, value, "an e-mail address"))
        })?,
    };
    Ok(UserRecord {
        cf: stored.cf("cf", &text(1)?)?,
        asl: stored.optional("asl", optional(5)?.as_deref(), StoredRow::asl)?,
        region: stored.optional("region", optional(6)?.as_deref(), StoredRow::region)?,
        display_name: text(2)?,
        password_hash: text(3)?,
        pincode_hash: text(4)?,
        enabled: row.try_get::<bool, _>(7).map_err(read)?,
        details,
        last_access: last_access_ms.and_then(DateTime::from_timestamp_millis),
        user_id,
    })
}

#[async_trait::async_trait]
impl<DB: Backend> Directory for Pool<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'c> &'c Pool<DB>: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB>,
    for<'q> Option<String>: Encode<'q, DB> + Decode<'q, DB>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Decode<'q, DB>,
    for<'q> bool: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
{
    async fn add_user(&self, user: &UserRecord) -> Result<(), StoreError> {
        sqlx::query(ADD_USER)
            .bind(user.user_id.as_str())
            .bind(user.cf.as_str())
            .bind(user.display_name.as_str())
            .bind(user.password_hash.as_str())
            .bind(user.pincode_hash.as_str())
            .bind(user.asl.as_ref().map(AslCode::as_str))
            .bind(user.region.as_ref().map(RegionCode::as_str))
            .bind(user.enabled)
            .bind(user.details.surname.as_deref())
            .bind(user.details.given_name.as_deref())
            .bind(user.details.birth_date.map(day))
            .bind(user.details.sex.map(Sex::as_str))
            .bind(user.details.birth_place.as_deref())
            .bind(user.details.work_address.as_deref())
            .bind(user.details.phone.as_ref().map(PhoneNumber::as_str))
            .bind(user.details.fax.as_ref().map(PhoneNumber::as_str))
            .bind(user.details.email.as_ref().map(Email::as_str))
            .execute(self)
            .await
            .map_err(add_user_error(user))?;
        Ok(())
    }

    async fn find_user(&self, user_id: &str) -> Result<Option<UserRecord>, StoreError> {
        let row = sqlx::query(FIND_USER)
            .bind(user_id)
            .fetch_optional(self)
            .await
            .map_err(StoreError::query("looking up a user by id failed"))?;
        row.as_ref().map(user_record).transpose()
    }

    async fn edit_user(
        &self,
        user_id: &str,
        cf: &CodiceFiscale,
        display_name: &str,
        details: &OperatorDetails,
    ) -> Result<bool, StoreError> {
        let result = sqlx::query(EDIT_USER)
            .bind(user_id)
            .bind(cf.as_str())
            .bind(display_name)
            .bind(details.surname.as_deref())
            .bind(details.given_name.as_deref())
            .bind(details.birth_date.map(day))
            .bind(details.sex.map(Sex::as_str))
            .bind(details.birth_place.as_deref())
            .bind(details.work_address.as_deref())
            .bind(details.phone.as_ref().map(PhoneNumber::as_str))
            .bind(details.fax.as_ref().map(PhoneNumber::as_str))
            .bind(details.email.as_ref().map(Email::as_str))
            .execute(self)
            .await
            .map_err(user_write_error(user_id, cf, "editing a user failed"))?;
        Ok(DB::rows_affected(&result) == 1)
    }

    async fn record_access(&self, user_id: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        sqlx::query(RECORD_ACCESS)
            .bind(user_id)
            .bind(at.timestamp_millis())
            .execute(self)
            .await
            .map_err(StoreError::keyed(
                "recording a user's last access failed",
                "last access",
                "user",
                user_id,
            ))?;
        Ok(())
    }

    async fn set_user_enabled(&self, user_id: &str, enabled: bool) -> Result<bool, StoreError> {
        let result = sqlx::query(SET_USER_ENABLED)
            .bind(user_id)
            .bind(enabled)
            .execute(self)
            .await
            .map_err(StoreError::query("enabling or disabling a user failed"))?;
        Ok(DB::rows_affected(&result) == 1)
    }

    async fn assign_asl(
        &self,
        user_id: &str,
        region: RegionCode,
        asl: AslCode,
    ) -> Result<bool, StoreError> {
        let result = sqlx::query(ASSIGN_ASL)
            .bind(user_id)
            .bind(region.as_str())
            .bind(asl.as_str())
            .execute(self)
            .await
            .map_err(StoreError::query("assigning a user's ASL failed"))?;
        Ok(DB::rows_affected(&result) == 1)
    }

    async fn list_users(
        &self,
        asl: Option<(RegionCode, AslCode)>,
    ) -> Result<Vec<UserRecord>, StoreError> {
        let rows = sqlx::query(LIST_USERS)
            .bind(asl.as_ref().map(|(region, _)| region.as_str()))
            .bind(asl.as_ref().map(|(_, asl)| asl.as_str()))
            .fetch_all(self)
            .await
            .map_err(StoreError::query("listing users failed"))?;
        rows.iter().map(user_record).collect()
    }

    async fn find_user_by_cf(&self, cf: &CodiceFiscale) -> Result<Option<UserRecord>, StoreError> {
        let row = sqlx::query(FIND_USER_BY_CF)
            .bind(cf.as_str())
            .fetch_optional(self)
            .await
            .map_err(StoreError::query("looking up a user by CF failed"))?;
        row.as_ref().map(user_record).transpose()
    }

    async fn grant_profile(&self, user_id: &str, profile: Profile) -> Result<(), StoreError> {
        sqlx::query(GRANT_PROFILE)
            .bind(user_id)
            .bind(profile.as_str())
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

    async fn revoke_profile(&self, user_id: &str, profile: Profile) -> Result<(), StoreError> {
        sqlx::query(REVOKE_PROFILE)
            .bind(user_id)
            .bind(profile.as_str())
            .execute(self)
            .await
            .map_err(StoreError::query("revoking a profile failed"))?;
        Ok(())
    }

    async fn profiles_of(&self, user_id: &str) -> Result<Vec<Profile>, StoreError> {
        let names: Vec<String> = sqlx::query_scalar(PROFILES_OF)
            .bind(user_id)
            .fetch_all(self)
            .await
            .map_err(StoreError::query("listing a user's profiles failed"))?;
        let stored = StoredRow::new("user_profiles", user_id);
        names
            .iter()
            .map(|name| stored.profile("profile", name))
            .collect()
    }

    async fn enable_region_service(
        &self,
        region: RegionCode,
        service: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(ENABLE_REGION_SERVICE)
            .bind(region.as_str())
            .bind(service)
            .execute(self)
            .await
            .map_err(StoreError::query("enabling a service for a region failed"))?;
        Ok(())
    }

    async fn disable_region_service(
        &self,
        region: RegionCode,
        service: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(DISABLE_REGION_SERVICE)
            .bind(region.as_str())
            .bind(service)
            .execute(self)
            .await
            .map_err(StoreError::query("disabling a service for a region failed"))?;
        Ok(())
    }

    async fn region_services(&self, region: RegionCode) -> Result<Vec<String>, StoreError> {
        sqlx::query_scalar(REGION_SERVICES)
            .bind(region.as_str())
            .fetch_all(self)
            .await
            .map_err(StoreError::query("listing a region's services failed"))
    }

    async fn version(&self) -> Result<i64, StoreError> {
        sqlx::query_scalar(VERSION)
            .fetch_one(self)
            .await
            .map_err(StoreError::query("reading the directory version failed"))
    }
}
