//! Operators, as their ASL's security administrator manages them: registering one (with a
//! generated password unless chosen, and a generated pincode of which they see only the first
//! half, [`super::pincodes`]), editing, disabling and enabling them,
//! granting and revoking profiles, listing and showing them, unlocking an account that failed
//! credentials locked. Every function takes the acting [`Administrator`] and refuses an
//! operator of another ASL ([`Refusal`]) before it changes anything. Credentials are stored only as argon2 hashes ([`crate::identity::password`]).

use rand::distr::{Alphanumeric, SampleString};
use rand::Rng;

use crate::audit::AdminActionNotRecorded;
use crate::domain::{
    AslCode, AslCodeError, CfError, CodiceFiscale, Profile, RegionCode, RegionCodeError,
    UnknownProfile,
};
use crate::identity::password::hash_secret;
use crate::identity::second_factor::Enrollment;
use crate::pki::sealing::SealingKey;
use crate::store::{AdministratorScope, OperatorDetails, Store, StoreError, UserRecord};

use super::administrators::{describe, error_of, report_result, Actor, Administrator, Refusal};
use super::operator_details::{
    agrees_with_cf, implied_by_cf, DetailsChange, DetailsForm, InvalidDetail,
};
use super::pincodes::{self, PincodeHalf};
use super::report::Action;

/// A new operator as typed (command-line flags, a form), before it is checked.
#[derive(Debug, Default)]
pub struct UserForm<'a> {
    pub user_id: &'a str,
    pub cf: &'a str,
    pub display_name: &'a str,
    pub profiles: &'a [String],
    pub region: Option<&'a str>,
    pub asl: Option<&'a str>,
    /// Personal data and work contacts; an empty display name becomes "nome cognome".
    pub details: DetailsForm<'a>,
}

/// A checked new operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    pub user_id: String,
    pub cf: CodiceFiscale,
    pub display_name: String,
    pub profiles: Vec<Profile>,
    pub region: Option<RegionCode>,
    pub asl: Option<AslCode>,
    /// Agrees with the CF, and has the birth date and sex it implies when not given.
    pub details: OperatorDetails,
}

/// Which field of a [`UserForm`] is wrong, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidUser {
    #[error("the user id must not be empty")]
    EmptyUserId,
    #[error(transparent)]
    Cf(CfError),
    #[error(transparent)]
    Profile(UnknownProfile),
    #[error(transparent)]
    Region(RegionCodeError),
    #[error(transparent)]
    Asl(AslCodeError),
    #[error(transparent)]
    Detail(InvalidDetail),
}

impl InvalidUser {
    /// The field's name (the command line's flag without `--`).
    pub fn field(&self) -> &'static str {
        match self {
            InvalidUser::EmptyUserId => "user-id",
            InvalidUser::Cf(_) => "cf",
            InvalidUser::Profile(_) => "profile",
            InvalidUser::Region(_) => "region",
            InvalidUser::Asl(_) => "asl",
            InvalidUser::Detail(detail) => detail.field,
        }
    }
}

impl UserForm<'_> {
    pub fn parse(&self) -> Result<NewUser, InvalidUser> {
        if self.user_id.trim().is_empty() {
            return Err(InvalidUser::EmptyUserId);
        }
        let cf = CodiceFiscale::parse(self.cf).map_err(InvalidUser::Cf)?;
        let change = self.details.parse().map_err(InvalidUser::Detail)?;
        let details = change.apply(OperatorDetails::default());
        agrees_with_cf(&cf, &details).map_err(InvalidUser::Detail)?;
        let today = chrono::Utc::now().date_naive();
        let details = implied_by_cf(&cf, details, today);
        let display_name = match (self.display_name.trim(), &details) {
            (
                "",
                OperatorDetails {
                    given_name: Some(given),
                    surname: Some(surname),
                    ..
                },
            ) => {
                format!("{given} {surname}")
            }
            (name, _) => name.to_owned(),
        };
        Ok(NewUser {
            user_id: self.user_id.to_owned(),
            cf,
            display_name,
            details,
            profiles: self
                .profiles
                .iter()
                .map(|name| Profile::parse(name))
                .collect::<Result<_, _>>()
                .map_err(InvalidUser::Profile)?,
            region: self
                .region
                .map(RegionCode::parse)
                .transpose()
                .map_err(InvalidUser::Region)?,
            asl: self
                .asl
                .map(AslCode::parse)
                .transpose()
                .map_err(InvalidUser::Asl)?,
        })
    }
}

/// The secrets of a new user: a chosen password, or generated when `None`. The pincode is
/// always generated: no administrator chooses it, nor sees it whole.
#[derive(Default)]
pub struct Secrets {
    pub password: Option<String>,
}

/// The user added, with what is to be told to them once: the password if it was generated, and
/// the first half of their pincode (the second is sealed for them, [`super::pincodes`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddedUser {
    pub user_id: String,
    pub generated_password: Option<String>,
    pub pincode_first_half: PincodeHalf,
}

#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error("no user '{0}'")]
    NoSuchUser(String),
    #[error(
        "user '{user}' belongs to {scope} already: only a user without an ASL is assigned one \
         (their ASL's security administrator administers them)"
    )]
    HasAsl { user: String, scope: String },
    #[error("user '{user}' is of region {region}: assign them an ASL of that region")]
    OtherRegion { user: String, region: RegionCode },
    #[error("hashing a secret failed: {0}")]
    Hash(String),
    #[error(
        "sealing the pincode's second half failed: the system's random number generator failed"
    )]
    Seal,
    /// A field that contradicts another (a birth date the CF does not encode).
    #[error("--{}: {}", .0.field, .0.reason)]
    Invalid(InvalidDetail),
    /// An existing user id or CF is [`StoreError::Duplicate`].
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The action (or its refusal) could not be recorded in the access log.
    #[error(transparent)]
    NotRecorded(#[from] AdminActionNotRecorded),
}

/// Registers `user` with its profiles in `actor`'s ASL: a region or ASL given must be theirs,
/// and is theirs when not given. A password of 16 letters and digits is generated unless
/// `secrets` gives one; either way it is an initial one, to be changed at first use (`tsgate
/// users passwd`). A pincode of 10 digits is generated: its second half sealed with `key` for
/// the operator, its first half returned.
pub async fn add_user(
    store: &dyn Store,
    actor: &Administrator,
    key: &SealingKey,
    user: NewUser,
    secrets: Secrets,
) -> Result<AddedUser, UserError> {
    let user_id = user.user_id.clone();
    let outcome = async {
        let (region, asl) = actor.operators_asl()?;
        actor.require_operator_of(
            &user.user_id,
            Some(user.region.unwrap_or(region)),
            Some(user.asl.unwrap_or(asl)),
        )?;
        let generated_password = secrets.password.is_none();
        let password = secrets.password.unwrap_or_else(generate_password);
        let pincode = pincodes::issue(key, &user.user_id)?;
        let hash = |secret: &str| hash_secret(secret).map_err(|e| UserError::Hash(e.to_string()));
        store
            .directory()
            .add_user(&UserRecord {
                user_id: user.user_id.clone(),
                cf: user.cf,
                display_name: user.display_name,
                password_hash: hash(&password)?,
                pincode_hash: pincode.hash,
                asl: Some(asl),
                region: Some(region),
                enabled: true,
                details: user.details,
                last_access: None,
            })
            .await?;
        for profile in user.profiles {
            store
                .directory()
                .grant_profile(&user.user_id, profile)
                .await?;
        }
        let now = chrono::Utc::now();
        store
            .pincodes()
            .keep_second_half(&user.user_id, &pincode.sealed_second_half, now)
            .await?;
        // An initial password: the gateway refuses it until the operator changes it.
        store.passwords().require_change(&user.user_id, now).await?;
        Ok(AddedUser {
            user_id: user.user_id,
            generated_password: generated_password.then_some(password),
            pincode_first_half: pincode.first_half,
        })
    }
    .await;
    report(
        store,
        actor,
        Action::AddUser,
        &user_id,
        None,
        error_of(&outcome),
    )
    .await?;
    outcome
}

/// An operator as an administrator sees them: no credential, not even hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserView {
    pub user_id: String,
    pub cf: CodiceFiscale,
    pub display_name: String,
    pub region: Option<RegionCode>,
    pub asl: Option<AslCode>,
    pub enabled: bool,
    pub profiles: Vec<Profile>,
    /// As stored; a birth date and sex not stored are what the CF implies.
    pub details: OperatorDetails,
    /// "Ultimo accesso": the last identification by SOAP or CSV download (to the minute).
    pub last_access: Option<chrono::DateTime<chrono::Utc>>,
    /// When the password was last changed, and whether it is an initial one not yet changed.
    pub password: Option<crate::store::PasswordState>,
    /// Whether a TOTP second factor is enrolled (never its secret).
    pub totp: Enrollment,
}

/// What `users edit` changes: the fields given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserEdit {
    pub cf: Option<CodiceFiscale>,
    pub display_name: Option<String>,
    pub details: DetailsChange,
}

/// The operators of `actor`'s ASL, by id.
pub async fn list(store: &dyn Store, actor: &Administrator) -> Result<Vec<UserView>, UserError> {
    let asl = actor.operators_asl()?;
    let mut views = Vec::new();
    for user in store.directory().list_users(Some(asl)).await? {
        views.push(view(store, user).await?);
    }
    Ok(views)
}

/// One operator of `actor`'s ASL.
pub async fn show(
    store: &dyn Store,
    actor: &Administrator,
    user_id: &str,
) -> Result<UserView, UserError> {
    let user = operator_of(store, actor, user_id).await?;
    view(store, user).await
}

/// Changes an operator's CF, name and record (the fields `edit` gives). A birth date or sex
/// that the resulting CF contradicts is refused ([`UserError::Invalid`]).
pub async fn edit(
    store: &dyn Store,
    actor: &Administrator,
    user_id: &str,
    edit: UserEdit,
) -> Result<(), UserError> {
    let outcome = async {
        let user = operator_of(store, actor, user_id).await?;
        let cf = edit.cf.unwrap_or(user.cf);
        let display_name = edit.display_name.unwrap_or(user.display_name);
        let details = edit.details.apply(user.details);
        agrees_with_cf(&cf, &details).map_err(UserError::Invalid)?;
        if !store
            .directory()
            .edit_user(user_id, &cf, &display_name, &details)
            .await?
        {
            return Err(no_such_user(user_id));
        }
        Ok(())
    }
    .await;
    report(
        store,
        actor,
        Action::EditUser,
        user_id,
        None,
        error_of(&outcome),
    )
    .await?;
    outcome
}

/// Disables (`enabled` false) or enables an operator: a running gateway refuses or accepts their
/// credentials again within `store.directory_refresh_ms` (the directory version); disabling
/// ends their web sessions at once.
pub async fn set_enabled(
    store: &dyn Store,
    actor: &Administrator,
    user_id: &str,
    enabled: bool,
) -> Result<(), UserError> {
    let outcome = async {
        operator_of(store, actor, user_id).await?;
        if !store.directory().set_user_enabled(user_id, enabled).await? {
            return Err(no_such_user(user_id));
        }
        if !enabled {
            end_web_sessions(store, user_id).await?;
        }
        Ok(())
    }
    .await;
    let action = if enabled {
        Action::EnableUser
    } else {
        Action::DisableUser
    };
    report(store, actor, action, user_id, None, error_of(&outcome)).await?;
    outcome
}

/// Grants `profile` to an operator; granting it again changes nothing.
pub async fn grant_profile(
    store: &dyn Store,
    actor: &Administrator,
    user_id: &str,
    profile: Profile,
) -> Result<(), UserError> {
    let outcome = async {
        operator_of(store, actor, user_id).await?;
        store.directory().grant_profile(user_id, profile).await?;
        Ok(())
    }
    .await;
    let detail = Some(profile.as_str());
    report(
        store,
        actor,
        Action::Grant,
        user_id,
        detail,
        error_of(&outcome),
    )
    .await?;
    outcome
}

/// Revokes `profile` from an operator; revoking one not held changes nothing.
pub async fn revoke_profile(
    store: &dyn Store,
    actor: &Administrator,
    user_id: &str,
    profile: Profile,
) -> Result<(), UserError> {
    let outcome = async {
        operator_of(store, actor, user_id).await?;
        store.directory().revoke_profile(user_id, profile).await?;
        Ok(())
    }
    .await;
    let detail = Some(profile.as_str());
    report(
        store,
        actor,
        Action::Revoke,
        user_id,
        detail,
        error_of(&outcome),
    )
    .await?;
    outcome
}

/// The operator `user_id` if `actor` administers them.
pub(super) async fn operator_of(
    store: &dyn Store,
    actor: &Administrator,
    user_id: &str,
) -> Result<UserRecord, UserError> {
    actor.operators_asl()?;
    let user = store
        .directory()
        .find_user(user_id)
        .await?
        .ok_or_else(|| no_such_user(user_id))?;
    actor.require_operator_of(user_id, user.region, user.asl)?;
    Ok(user)
}

async fn view(store: &dyn Store, user: UserRecord) -> Result<UserView, UserError> {
    let profiles = store.directory().profiles_of(&user.user_id).await?;
    let password = store.passwords().state(&user.user_id).await?;
    let totp = Enrollment::from_record(store.totp().totp(&user.user_id).await?.as_ref());
    let today = chrono::Utc::now().date_naive();
    Ok(UserView {
        password,
        totp,
        details: implied_by_cf(&user.cf, user.details, today),
        last_access: user.last_access,
        user_id: user.user_id,
        cf: user.cf,
        display_name: user.display_name,
        region: user.region,
        asl: user.asl,
        enabled: user.enabled,
        profiles,
    })
}

/// Ends every web session of `user_id`: after a reset or when disabled, a browser logged in
/// before is logged out, whether the change came from the command line or the web.
pub(super) async fn end_web_sessions(store: &dyn Store, user_id: &str) -> Result<(), UserError> {
    let ended = store.web_sessions().delete_of_user(user_id).await?;
    if ended > 0 {
        tracing::info!(
            user_id,
            ended,
            "web sessions ended by an administrative action"
        );
    }
    Ok(())
}

fn no_such_user(user_id: &str) -> UserError {
    UserError::NoSuchUser(quoted_id(user_id))
}

/// A user id as an error message quotes it: at most 64 characters.
fn quoted_id(user_id: &str) -> String {
    user_id.chars().take(64).collect()
}

pub(super) async fn report(
    store: &dyn Store,
    actor: &Administrator,
    action: Action,
    target: &str,
    detail: Option<&str>,
    error: Option<&(dyn std::fmt::Display + Sync)>,
) -> Result<(), AdminActionNotRecorded> {
    let actor = Actor::Administrator(actor.clone());
    report_result(store, &actor, action, target, detail, error).await
}

/// The central administrator puts an operator who has no ASL (registered before ASL scoping,
/// so administered by nobody) in `asl` of `region`: from then on that ASL's security
/// administrator administers them. Anyone else is refused, and so is a user who has an ASL
/// already (moving an operator between ASLs is not this) or whose region is another.
pub async fn assign_asl(
    store: &dyn Store,
    actor: &Administrator,
    user_id: &str,
    region: RegionCode,
    asl: AslCode,
) -> Result<(), UserError> {
    let outcome = async {
        actor.require_central()?;
        let user = store
            .directory()
            .find_user(user_id)
            .await?
            .ok_or_else(|| no_such_user(user_id))?;
        match (user.region, user.asl) {
            (Some(has_region), Some(has_asl)) => {
                return Err(UserError::HasAsl {
                    user: quoted_id(user_id),
                    scope: describe(&AdministratorScope::Asl {
                        region: has_region,
                        asl: has_asl,
                    }),
                })
            }
            (Some(has_region), None) if has_region != region => {
                return Err(UserError::OtherRegion {
                    user: quoted_id(user_id),
                    region: has_region,
                })
            }
            _ => {}
        }
        if !store.directory().assign_asl(user_id, region, asl).await? {
            return Err(no_such_user(user_id));
        }
        Ok(())
    }
    .await;
    let detail = describe(&AdministratorScope::Asl { region, asl });
    report(
        store,
        actor,
        Action::AssignAsl,
        user_id,
        Some(&detail),
        error_of(&outcome),
    )
    .await?;
    outcome
}

/// What an unlock found: the user's lock (if it was still in force) and failures, now forgotten.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unlocked {
    pub was_locked_until: Option<chrono::DateTime<chrono::Utc>>,
    pub failures: u32,
}

/// Lifts an operator's lock (after `auth.max_failures` failed credentials) and forgets their
/// failures: their next attempt is checked as any other. In force on every gateway at once
/// (the lock is read from the store on each password attempt).
pub async fn unlock(
    store: &dyn Store,
    actor: &Administrator,
    user_id: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Unlocked, UserError> {
    let outcome = async {
        operator_of(store, actor, user_id).await?;
        let failures = store.credential_failures();
        let count = failures.count(user_id).await?;
        failures.clear(user_id).await?;
        Ok(Unlocked {
            was_locked_until: count.locked_until.filter(|_| count.locked_at(now)),
            failures: count.failures,
        })
    }
    .await;
    report(
        store,
        actor,
        Action::Unlock,
        user_id,
        None,
        error_of(&outcome),
    )
    .await?;
    outcome
}

/// 16 letters and digits.
pub fn generate_password() -> String {
    Alphanumeric.sample_string(&mut rand::rng(), 16)
}

/// 10 digits.
pub fn generate_pincode() -> String {
    (0..10)
        .map(|_| char::from(b'0' + rand::rng().random_range(0..10u8)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store;

    fn form<'a>(profiles: &'a [String]) -> UserForm<'a> {
        UserForm {
            user_id: "ASL02",
            cf: " rssmra80a01h501u ",
            display_name: "Mario Rossi",
            profiles,
            region: Some("120"),
            asl: Some("201"),
            details: DetailsForm::default(),
        }
    }

    #[test]
    fn every_field_is_parsed_and_a_malformed_one_is_named() {
        let profiles = vec!["ASL Numero test".to_owned()];
        let user = form(&profiles).parse();
        assert_eq!(
            user.as_ref().map(|u| (
                u.cf.as_str(),
                u.profiles.clone(),
                u.region.map(|r| r.to_string()),
                u.asl.map(|a| a.to_string())
            )),
            Ok((
                "RSSMRA80A01H501U",
                vec![Profile::AslNumeroTest],
                Some("120".into()),
                Some("201".into())
            ))
        );
        let wrong = |change: fn(&mut UserForm<'_>)| {
            let mut form = form(&profiles);
            change(&mut form);
            form.parse().err().map(|e| e.field())
        };
        assert_eq!(wrong(|f| f.user_id = " "), Some("user-id"));
        assert_eq!(wrong(|f| f.cf = "RSSMRA80A01H501"), Some("cf"));
        assert_eq!(wrong(|f| f.region = Some("12")), Some("region"));
        assert_eq!(wrong(|f| f.region = Some("")), Some("region"));
        assert_eq!(wrong(|f| f.asl = Some("2010")), Some("asl"));
        assert_eq!(wrong(|f| f.asl = Some("A01")), Some("asl"));
        let unknown = vec!["operatore-asl".to_owned()];
        assert_eq!(
            form(&unknown).parse().err().map(|e| e.field()),
            Some("profile")
        );
        let none = UserForm {
            region: None,
            asl: None,
            ..form(&[])
        };
        assert!(none
            .parse()
            .is_ok_and(|u| u.region.is_none() && u.asl.is_none()));
    }

    fn asl_admin(asl: &str) -> Administrator {
        let scope = crate::store::AdministratorScope::Asl {
            region: RegionCode::parse("120").unwrap_or_else(|e| panic!("{e}")),
            asl: AslCode::parse(asl).unwrap_or_else(|e| panic!("{e}")),
        };
        Administrator::for_tests(&format!("admin{asl}"), scope)
    }

    #[tokio::test]
    async fn a_user_is_stored_with_hashes_profiles_and_codes(
    ) -> Result<(), Box<dyn std::error::Error>> {
        let store = store::connect("sqlite::memory:").await?;
        let admin = asl_admin("201");
        let profiles = vec!["ASL Numero test".to_owned()];
        let chosen = Secrets {
            password: Some("segreto".into()),
        };
        let key = SealingKey::for_tests();
        let added = add_user(
            store.as_ref(),
            &admin,
            &key,
            form(&profiles).parse()?,
            chosen,
        )
        .await?;
        assert_eq!(added.generated_password, None, "chosen, not generated");
        let first = added.pincode_first_half.reveal();
        assert!(first.len() == 5 && first.bytes().all(|b| b.is_ascii_digit()));
        let sealed = store.pincodes().sealed_second_half("ASL02").await?;
        assert!(sealed.is_some_and(|s| s.starts_with("v1.")), "sealed");

        let user = store.directory().find_user("ASL02").await?;
        let user = user.ok_or("not stored")?;
        assert_eq!(
            (
                user.cf.as_str(),
                user.region.as_ref().map(RegionCode::as_str),
                user.asl.as_ref().map(AslCode::as_str)
            ),
            ("RSSMRA80A01H501U", Some("120"), Some("201"))
        );
        assert!(user.password_hash.starts_with("$argon2id$"));
        assert!(!user.password_hash.contains("segreto"));
        assert_eq!(
            store.directory().profiles_of("ASL02").await?,
            vec![Profile::AslNumeroTest]
        );

        let new = form(&profiles).parse()?;
        let twice = add_user(store.as_ref(), &admin, &key, new, Secrets::default()).await;
        assert!(matches!(
            twice,
            Err(UserError::Store(StoreError::Duplicate { .. }))
        ));
        Ok(())
    }

    #[tokio::test]
    async fn an_asl_administrator_acts_on_their_asls_operators_only(
    ) -> Result<(), Box<dyn std::error::Error>> {
        let store = store::connect("sqlite::memory:").await?;
        let (own, other) = (asl_admin("201"), asl_admin("202"));
        let central =
            Administrator::for_tests("central", crate::store::AdministratorScope::Central);
        let unscoped = UserForm {
            region: None,
            asl: None,
            ..form(&[])
        };
        let key = SealingKey::for_tests();
        add_user(
            store.as_ref(),
            &own,
            &key,
            unscoped.parse()?,
            Secrets::default(),
        )
        .await?;
        for _ in 0..2 {
            grant_profile(store.as_ref(), &own, "ASL02", Profile::InvioCodiceOtp).await?;
        }
        let shown = show(store.as_ref(), &own, "ASL02").await?;
        assert_eq!(
            (shown.region, shown.asl, shown.profiles),
            (
                Some(RegionCode::parse("120")?),
                Some(AslCode::parse("201")?),
                vec![Profile::InvioCodiceOtp]
            ),
            "registered in the administrator's ASL"
        );

        let refused = set_enabled(store.as_ref(), &other, "ASL02", false).await;
        let message = refused.err().map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(
            message,
            "administrator 'admin202' (ASL 202 of region 120) may not act on user 'ASL02' \
             (ASL 201 of region 120): an ASL's security administrator administers only the \
             operators of that ASL"
        );
        assert!(matches!(
            grant_profile(store.as_ref(), &central, "ASL02", Profile::SierologiciMmg).await,
            Err(UserError::Refused(Refusal::CentralOnOperators { .. }))
        ));
        let elsewhere = add_user(
            store.as_ref(),
            &other,
            &key,
            form(&[]).parse()?,
            Secrets::default(),
        );
        assert!(matches!(
            elsewhere.await,
            Err(UserError::Refused(Refusal::OutOfScope { .. }))
        ));
        assert!(list(store.as_ref(), &other).await?.is_empty());
        assert!(store
            .directory()
            .find_user("ASL02")
            .await?
            .is_some_and(|u| u.enabled));

        set_enabled(store.as_ref(), &own, "ASL02", false).await?;
        let edit_name = UserEdit {
            cf: None,
            display_name: Some("Mario Rossi Bis".into()),
            details: DetailsChange::default(),
        };
        edit(store.as_ref(), &own, "ASL02", edit_name).await?;
        revoke_profile(store.as_ref(), &own, "ASL02", Profile::InvioCodiceOtp).await?;
        let listed = list(store.as_ref(), &own).await?;
        assert_eq!(
            listed
                .iter()
                .map(|u| (u.display_name.as_str(), u.enabled, u.profiles.len()))
                .collect::<Vec<_>>(),
            vec![("Mario Rossi Bis", false, 0)]
        );
        let nobody = grant_profile(store.as_ref(), &own, "NOBODY", Profile::InvioCodiceOtp).await;
        assert!(matches!(nobody, Err(UserError::NoSuchUser(id)) if id == "NOBODY"));
        Ok(())
    }

    #[tokio::test]
    async fn unlock_lifts_a_lock_in_the_administrators_asl_only(
    ) -> Result<(), Box<dyn std::error::Error>> {
        let store = store::connect("sqlite::memory:").await?;
        let (own, other) = (asl_admin("201"), asl_admin("202"));
        let key = SealingKey::for_tests();
        add_user(
            store.as_ref(),
            &own,
            &key,
            form(&[]).parse()?,
            Secrets::default(),
        )
        .await?;
        // The store keeps milliseconds.
        let now = chrono::DateTime::from_timestamp_millis(chrono::Utc::now().timestamp_millis())
            .ok_or("now")?;
        let policy = crate::store::LockoutPolicy {
            max_failures: 2,
            lock_for: chrono::Duration::minutes(15),
        };
        for _ in 0..3 {
            store
                .credential_failures()
                .record_failure("ASL02", now, policy)
                .await?;
        }
        assert!(matches!(
            unlock(store.as_ref(), &other, "ASL02", now).await,
            Err(UserError::Refused(Refusal::OutOfScope { .. }))
        ));
        assert!(store
            .credential_failures()
            .count("ASL02")
            .await?
            .locked_at(now));
        let unlocked = unlock(store.as_ref(), &own, "ASL02", now).await?;
        assert_eq!(
            unlocked,
            Unlocked {
                was_locked_until: Some(now + policy.lock_for),
                failures: 3
            }
        );
        assert!(!store
            .credential_failures()
            .count("ASL02")
            .await?
            .locked_at(now));
        let again = unlock(store.as_ref(), &own, "ASL02", now).await?;
        assert_eq!((again.was_locked_until, again.failures), (None, 0));
        let nobody = unlock(store.as_ref(), &own, "NOBODY", now).await;
        assert!(matches!(nobody, Err(UserError::NoSuchUser(id)) if id == "NOBODY"));
        Ok(())
    }
}
