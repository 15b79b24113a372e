//! Security administrators (seed 004 §3.2): the central one, who manages the ASLs'
//! administrators, and each ASL's, who manages that ASL's operators. The rules are in
//! `crate::admin`; this keeps the records. Like operators, an administrator's password is only
//! an argon2 PHC string here.

use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Pool, Type};

use super::backend::{begin, Backend};
use super::columns::StoredRow;
use super::StoreError;
use crate::domain::{AslCode, CodiceFiscale, RegionCode};

/// Whom an administrator administers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdministratorScope {
    /// The central security administrator: the ASLs' administrators, not operators.
    Central,
    /// An ASL's security administrator: the operators of that ASL (of that region).
    Asl { region: RegionCode, asl: AslCode },
}

/// An administrator as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdministratorRecord {
    pub admin_id: String,
    pub cf: CodiceFiscale,
    pub display_name: String,
    /// PHC string of the password hash.
    pub password_hash: String,
    pub scope: AdministratorScope,
    /// A disabled administrator is kept (for the logs) but cannot authenticate.
    pub enabled: bool,
}

/// Reached through [`super::Store::administrators`].
#[async_trait::async_trait]
pub trait Administrators: Send + Sync {
    /// Registers an administrator; a taken id is [`StoreError::Duplicate`].
    async fn add(&self, admin: &AdministratorRecord) -> Result<(), StoreError>;

    /// Registers the first central administrator, once: `false` (and nothing written) if one
    /// was bootstrapped before, whoever did it and whatever became of them.
    async fn bootstrap(&self, admin: &AdministratorRecord) -> Result<bool, StoreError>;

    /// Looks an administrator up by id.
    async fn find(&self, admin_id: &str) -> Result<Option<AdministratorRecord>, StoreError>;

    /// Every administrator, central ones first, then by region, ASL and id.
    async fn list(&self) -> Result<Vec<AdministratorRecord>, StoreError>;

    /// Enables or disables an administrator; `false` if there is none with that id.
    async fn set_enabled(&self, admin_id: &str, enabled: bool) -> Result<bool, StoreError>;

    /// Replaces an administrator's password hash (a reset by the central administrator);
    /// `false` if there is none with that id.
    async fn set_password(&self, admin_id: &str, password_hash: &str) -> Result<bool, StoreError>;
}

const ADD: &str = "INSERT INTO administrators \
     (admin_id, cf, display_name, password_hash, region, asl, enabled) \
     VALUES ($1, $2, $3, $4, $5, $6, $7)";

const MARK_BOOTSTRAPPED: &str = "INSERT INTO administrators_bootstrapped (id) VALUES (1)";

const FIND: &str = "SELECT admin_id, cf, display_name, password_hash, region, asl, enabled \
     FROM administrators WHERE admin_id = $1";

const LIST: &str = "SELECT admin_id, cf, display_name, password_hash, region, asl, enabled \
     FROM administrators \
     ORDER BY region IS NOT NULL, region, asl, admin_id";

const SET_ENABLED: &str = "UPDATE administrators SET enabled = $2 WHERE admin_id = $1";

const SET_PASSWORD: &str = "UPDATE administrators SET password_hash = $2 WHERE admin_id = $1";

/// An administrators row as stored.
type AdministratorRow = (
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    bool,
);

fn administrator(row: AdministratorRow) -> Result<AdministratorRecord, StoreError> {
    let (admin_id, cf, display_name, password_hash, region, asl, enabled) = row;
    let stored = StoredRow::new("administrators", &admin_id);
    let region = stored.optional("region", region.as_deref(), StoredRow::region)?;
    let asl = stored.optional("asl", asl.as_deref(), StoredRow::asl)?;
    let scope = match (region, asl) {
        (None, None) => AdministratorScope::Central,
        (Some(region), Some(asl)) => AdministratorScope::Asl { region, asl },
        // The table's CHECK forbids these: only tampering gets here.
        (Some(_), None) => return Err(stored.corrupt("asl", "NULL", "set when region is")),
        (None, Some(_)) => return Err(stored.corrupt("region", "NULL", "set when asl is")),
    };
    Ok(AdministratorRecord {
        cf: stored.cf("cf", &cf)?,
        admin_id,
        display_name,
        password_hash,
        scope,
        enabled,
    })
}

fn scope_columns(scope: &AdministratorScope) -> (Option<&str>, Option<&str>) {
    match scope {
        AdministratorScope::Central => (None, None),
        AdministratorScope::Asl { region, asl } => (Some(region.as_str()), Some(asl.as_str())),
    }
}

#[async_trait::async_trait]
impl<DB: Backend> Administrators for Pool<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'c> &'c Pool<DB>: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB>,
    for<'q> Option<String>: Decode<'q, DB>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> bool: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
{
    async fn add(&self, admin: &AdministratorRecord) -> Result<(), StoreError> {
        let (region, asl) = scope_columns(&admin.scope);
        sqlx::query(ADD)
            .bind(admin.admin_id.as_str())
            .bind(admin.cf.as_str())
            .bind(admin.display_name.as_str())
            .bind(admin.password_hash.as_str())
            .bind(region)
            .bind(asl)
            .bind(admin.enabled)
            .execute(self)
            .await
            .map_err(StoreError::keyed(
                "adding an administrator failed",
                "administrator",
                "administrator",
                &admin.admin_id,
            ))?;
        Ok(())
    }

    async fn bootstrap(&self, admin: &AdministratorRecord) -> Result<bool, StoreError> {
        const CONTEXT: &str = "bootstrapping the central administrator failed";
        let mut tx = begin(self, CONTEXT).await?;
        let marked = sqlx::query(MARK_BOOTSTRAPPED).execute(&mut *tx).await;
        match marked {
            Ok(_) => {}
            Err(e)
                if e.as_database_error()
                    .is_some_and(|db| db.is_unique_violation()) =>
            {
                return Ok(false);
            }
            Err(source) => return Err(StoreError::query(CONTEXT)(source)),
        }
        let (region, asl) = scope_columns(&admin.scope);
        sqlx::query(ADD)
            .bind(admin.admin_id.as_str())
            .bind(admin.cf.as_str())
            .bind(admin.display_name.as_str())
            .bind(admin.password_hash.as_str())
            .bind(region)
            .bind(asl)
            .bind(admin.enabled)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::query(CONTEXT))?;
        tx.commit().await.map_err(StoreError::query(CONTEXT))?;
        Ok(true)
    }

    async fn find(&self, admin_id: &str) -> Result<Option<AdministratorRecord>, StoreError> {
        let row: Option<AdministratorRow> = sqlx::query_as(FIND)
            .bind(admin_id)
            .fetch_optional(self)
            .await
            .map_err(StoreError::query("looking up an administrator failed"))?;
        row.map(administrator).transpose()
    }

    async fn list(&self) -> Result<Vec<AdministratorRecord>, StoreError> {
        let rows: Vec<AdministratorRow> = sqlx::query_as(LIST)
            .fetch_all(self)
            .await
            .map_err(StoreError::query("listing the administrators failed"))?;
        rows.into_iter().map(administrator).collect()
    }

    async fn set_enabled(&self, admin_id: &str, enabled: bool) -> Result<bool, StoreError> {
        let result = sqlx::query(SET_ENABLED)
            .bind(admin_id)
            .bind(enabled)
            .execute(self)
            .await
            .map_err(StoreError::query(
                "enabling or disabling an administrator failed",
            ))?;
        Ok(DB::rows_affected(&result) == 1)
    }

    async fn set_password(&self, admin_id: &str, password_hash: &str) -> Result<bool, StoreError> {
        let result = sqlx::query(SET_PASSWORD)
            .bind(admin_id)
            .bind(password_hash)
            .execute(self)
            .await
            .map_err(StoreError::query(
                "replacing an administrator's password failed",
            ))?;
        Ok(DB::rows_affected(&result) == 1)
    }
}
