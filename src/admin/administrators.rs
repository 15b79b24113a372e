//! Security administrators (seed 004 §3.2) and what each may do. The central security
//! administrator manages the ASLs' security administrators; an ASL's security administrator
//! manages the operators of that ASL only ([`super::users`]); operators administer nothing.
//! Every administrative function takes the acting [`Administrator`], which only
//! [`authenticate`] makes, and checks its scope before anything else.

use std::fmt;
use std::net::IpAddr;

use chrono::{DateTime, Utc};

use crate::audit::AdminActionNotRecorded;
use crate::domain::{AslCode, AslCodeError, CfError, CodiceFiscale, RegionCode, RegionCodeError};
use crate::identity::password::{hash_secret, verify_password};
use crate::store::{AdministratorRecord, AdministratorScope, LockoutPolicy, Store, StoreError};

use super::administrator_lockout;
use super::report::{administrative_action, Action};
use super::users::generate_password;

/// An administrator who has authenticated: the only way to act.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Administrator {
    id: String,
    cf: CodiceFiscale,
    scope: AdministratorScope,
    /// Where they act from, when remote (the web administration): the access log records it.
    client: Option<IpAddr>,
}

impl Administrator {
    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn cf(&self) -> &CodiceFiscale {
        &self.cf
    }

    pub fn scope(&self) -> AdministratorScope {
        self.scope
    }

    /// The address they act from, when remote.
    pub fn client(&self) -> Option<IpAddr> {
        self.client
    }

    /// An administrator who did not authenticate, for unit tests of the rules.
    #[cfg(test)]
    pub(crate) fn for_tests(id: &str, scope: AdministratorScope) -> Administrator {
        Administrator {
            id: id.to_owned(),
            cf: CodiceFiscale::parse("GLLLRA70M41H501E").unwrap_or_else(|e| panic!("{e}")),
            scope,
            client: None,
        }
    }

    /// Refused unless this is the central administrator.
    pub fn require_central(&self) -> Result<(), Refusal> {
        match self.scope {
            AdministratorScope::Central => Ok(()),
            AdministratorScope::Asl { .. } => Err(Refusal::NotCentral {
                admin: self.id.clone(),
                scope: describe(&self.scope),
            }),
        }
    }

    /// The ASL (and its region) whose operators this administrator administers; the central
    /// administrator is refused: operators are their ASL's administrator's.
    pub fn operators_asl(&self) -> Result<(RegionCode, AslCode), Refusal> {
        match self.scope {
            AdministratorScope::Asl { region, asl } => Ok((region, asl)),
            AdministratorScope::Central => Err(Refusal::CentralOnOperators {
                admin: self.id.clone(),
            }),
        }
    }

    /// Refused unless an operator of `region`/`asl` (`user` names them) is this administrator's.
    pub fn require_operator_of(
        &self,
        user: &str,
        region: Option<RegionCode>,
        asl: Option<AslCode>,
    ) -> Result<(), Refusal> {
        let own = self.operators_asl()?;
        match (region, asl) {
            (Some(region), Some(asl)) if (region, asl) == own => Ok(()),
            (region, asl) => Err(Refusal::OutOfScope {
                admin: self.id.clone(),
                scope: describe(&self.scope),
                user: user.chars().take(64).collect(),
                user_asl: match (region, asl) {
                    (Some(region), Some(asl)) => describe(&AdministratorScope::Asl { region, asl }),
                    _ => "no ASL".to_owned(),
                },
            }),
        }
    }
}

/// Who acted: an administrator, whoever ran `tsgate admin bootstrap` on the gateway's host, or
/// someone who gave an administrator's id and not their password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    Administrator(Administrator),
    Bootstrap,
    /// `client`: the address a remote (web) attempt came from.
    Unauthenticated {
        claimed_id: String,
        client: Option<IpAddr>,
    },
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::Administrator(admin) => write!(f, "administrator {} ({})", admin.id, admin.cf),
            Actor::Bootstrap => f.write_str("bootstrap (command line)"),
            Actor::Unauthenticated { claimed_id, .. } => {
                write!(f, "unauthenticated, as administrator {claimed_id:?}")
            }
        }
    }
}

/// `ASL 201 of region 120`, or `central`.
pub fn describe(scope: &AdministratorScope) -> String {
    match scope {
        AdministratorScope::Central => "central".to_owned(),
        AdministratorScope::Asl { region, asl } => format!("ASL {asl} of region {region}"),
    }
}

/// Why an administrator may not do what they asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Unknown id, wrong password or disabled administrator alike: no oracle.
    #[error("invalid administrator id or password")]
    Credentials,
    #[error(
        "administrator '{admin}' ({scope}) may not act on user '{user}' ({user_asl}): an ASL's \
         security administrator administers only the operators of that ASL"
    )]
    OutOfScope {
        admin: String,
        scope: String,
        user: String,
        user_asl: String,
    },
    #[error(
        "administrator '{admin}' is the central security administrator: operators are \
         administered by their ASL's security administrator"
    )]
    CentralOnOperators { admin: String },
    #[error(
        "administrator '{admin}' ({scope}) may not manage administrators: only the central \
         security administrator does"
    )]
    NotCentral { admin: String, scope: String },
}

/// An administrator as typed, before it is checked: ASL-scoped with `region` and `asl`, central
/// without either.
#[derive(Debug, Default)]
pub struct AdministratorForm<'a> {
    pub admin_id: &'a str,
    pub cf: &'a str,
    pub display_name: &'a str,
    pub region: Option<&'a str>,
    pub asl: Option<&'a str>,
}

/// Which field of an [`AdministratorForm`] is wrong, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidAdministrator {
    #[error("the administrator id must not be empty")]
    EmptyId,
    #[error(transparent)]
    Cf(CfError),
    #[error(transparent)]
    Region(RegionCodeError),
    #[error(transparent)]
    Asl(AslCodeError),
    #[error("an ASL's administrator needs both the region and the ASL code")]
    HalfScope,
}

impl InvalidAdministrator {
    /// The field's name (the command line's flag without `--`).
    pub fn field(&self) -> &'static str {
        match self {
            InvalidAdministrator::EmptyId => "admin-id",
            InvalidAdministrator::Cf(_) => "cf",
            InvalidAdministrator::Region(_) | InvalidAdministrator::HalfScope => "region",
            InvalidAdministrator::Asl(_) => "asl",
        }
    }
}

/// A checked new administrator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAdministrator {
    pub admin_id: String,
    pub cf: CodiceFiscale,
    pub display_name: String,
    pub scope: AdministratorScope,
}

impl AdministratorForm<'_> {
    pub fn parse(&self) -> Result<NewAdministrator, InvalidAdministrator> {
        if self.admin_id.trim().is_empty() {
            return Err(InvalidAdministrator::EmptyId);
        }
        let region = self
            .region
            .map(RegionCode::parse)
            .transpose()
            .map_err(InvalidAdministrator::Region)?;
        let asl = self
            .asl
            .map(AslCode::parse)
            .transpose()
            .map_err(InvalidAdministrator::Asl)?;
        let scope = match (region, asl) {
            (None, None) => AdministratorScope::Central,
            (Some(region), Some(asl)) => AdministratorScope::Asl { region, asl },
            _ => return Err(InvalidAdministrator::HalfScope),
        };
        Ok(NewAdministrator {
            admin_id: self.admin_id.to_owned(),
            cf: CodiceFiscale::parse(self.cf).map_err(InvalidAdministrator::Cf)?,
            display_name: self.display_name.to_owned(),
            scope,
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AdministratorError {
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error("a central administrator was bootstrapped already: the central administrator adds others (`tsgate admins add`)")]
    AlreadyBootstrapped,
    #[error("no administrator '{0}'")]
    NoSuchAdministrator(String),
    #[error("administrator '{0}' cannot disable themselves")]
    OwnAccount(String),
    #[error("hashing the password failed: {0}")]
    Hash(String),
    /// A taken id is [`StoreError::Duplicate`].
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The action (or its refusal) could not be recorded in the access log.
    #[error(transparent)]
    NotRecorded(#[from] AdminActionNotRecorded),
}

/// The administrator `admin_id` if `password` is theirs, they are enabled and not locked;
/// otherwise [`Refusal::Credentials`], after an argon2 check whatever the case, and reported.
/// Each refusal counts toward `lockout` ([`administrator_lockout`]): the `max_failures`-th in a
/// row locks the id for `lock_for`, and a locked administrator is refused like a wrong password
/// (no oracle), the locking refusal saying so in the access log. Authenticating after failures
/// is recorded too, which resets the count.
pub async fn authenticate(
    store: &dyn Store,
    lockout: LockoutPolicy,
    admin_id: &str,
    password: &str,
    now: DateTime<Utc>,
) -> Result<Administrator, AdministratorError> {
    authenticate_from(store, lockout, admin_id, password, now, None).await
}

/// [`authenticate`] for a remote attempt from `client` (the web administration's login): the
/// same rules and the same lockout, the address recorded with the attempt and with every action
/// the administrator then does.
pub async fn authenticate_from(
    store: &dyn Store,
    lockout: LockoutPolicy,
    admin_id: &str,
    password: &str,
    now: DateTime<Utc>,
    client: Option<IpAddr>,
) -> Result<Administrator, AdministratorError> {
    let record = store.administrators().find(admin_id).await?;
    let count = administrator_lockout::failure_count(store, admin_id, lockout).await?;
    let phc = record
        .as_ref()
        .filter(|r| r.enabled)
        .map(|r| r.password_hash.clone());
    let verified = verify_password(phc, password.to_owned()).await;
    match record {
        Some(record) if verified && record.enabled && !count.locked_at(now) => {
            let admin = Administrator {
                id: record.admin_id,
                cf: record.cf,
                scope: record.scope,
                client,
            };
            if count.failures > 0 {
                let detail = format!("after {} failed attempts", count.failures);
                let actor = Actor::Administrator(admin.clone());
                let id = admin.id.clone();
                report_result(
                    store,
                    &actor,
                    Action::Authenticate,
                    &id,
                    Some(&detail),
                    None,
                )
                .await?;
            }
            Ok(admin)
        }
        _ => {
            let claimed_id: String = admin_id.chars().take(64).collect();
            let after = count.after_failure(now, lockout);
            let detail = match after.locked_until {
                Some(until) if !count.locked_at(now) && after.locked_at(now) => {
                    tracing::warn!(
                        admin_id = claimed_id,
                        "administrator locked after consecutive failed passwords"
                    );
                    Some(format!(
                        "locked until {} after {} failed attempts",
                        until.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                        after.failures
                    ))
                }
                _ => None,
            };
            let actor = Actor::Unauthenticated {
                claimed_id: claimed_id.clone(),
                client,
            };
            let refusal = Refusal::Credentials;
            let error = Some(&refusal as &(dyn fmt::Display + Sync));
            report_result(
                store,
                &actor,
                Action::Authenticate,
                &claimed_id,
                detail.as_deref(),
                error,
            )
            .await?;
            Err(refusal.into())
        }
    }
}

/// The administrator `admin_id` of a live web session (opened by [`authenticate_from`]), acting
/// from `client`, if they are still registered and enabled: a disabled administrator's session
/// opens nothing any more, and their scope is read afresh on every request.
pub async fn resume(
    store: &dyn Store,
    admin_id: &str,
    client: IpAddr,
) -> Result<Option<Administrator>, StoreError> {
    Ok(store
        .administrators()
        .find(admin_id)
        .await?
        .filter(|record| record.enabled)
        .map(|record| Administrator {
            id: record.admin_id,
            cf: record.cf,
            scope: record.scope,
            client: Some(client),
        }))
}

/// What unlocking an administrator found: their lock (if still in force) and failures, now
/// forgotten.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdministratorUnlocked {
    pub was_locked_until: Option<DateTime<Utc>>,
    pub failures: u32,
}

/// A central administrator lifts the lock failed passwords left on another administrator (of
/// an ASL, or central) and forgets the failures. A central administrator locked out with no
/// other to unlock them waits for the lock to expire (`auth.lockout_minutes`).
pub async fn unlock(
    store: &dyn Store,
    actor: &Administrator,
    admin_id: &str,
    lockout: LockoutPolicy,
    now: DateTime<Utc>,
) -> Result<AdministratorUnlocked, AdministratorError> {
    let outcome = async {
        actor.require_central()?;
        if store.administrators().find(admin_id).await?.is_none() {
            return Err(AdministratorError::NoSuchAdministrator(
                admin_id.chars().take(64).collect(),
            ));
        }
        let count = administrator_lockout::failure_count(store, admin_id, lockout).await?;
        Ok(AdministratorUnlocked {
            was_locked_until: count.locked_until.filter(|_| count.locked_at(now)),
            failures: count.failures,
        })
    }
    .await;
    let actor_ = Actor::Administrator(actor.clone());
    report_result(
        store,
        &actor_,
        Action::UnlockAdministrator,
        admin_id,
        None,
        error_of(&outcome),
    )
    .await?;
    outcome
}

/// An administrator added, with their generated password (to be told to them once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddedAdministrator {
    pub admin_id: String,
    pub password: String,
}

/// Creates the first central administrator with a generated password, once per database.
pub async fn bootstrap(
    store: &dyn Store,
    admin_id: &str,
    cf: CodiceFiscale,
    display_name: &str,
) -> Result<AddedAdministrator, AdministratorError> {
    let password = generate_password();
    let record = AdministratorRecord {
        admin_id: admin_id.to_owned(),
        cf,
        display_name: display_name.to_owned(),
        password_hash: hash(&password)?,
        scope: AdministratorScope::Central,
        enabled: true,
    };
    let outcome = match store.administrators().bootstrap(&record).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(AdministratorError::AlreadyBootstrapped),
        Err(e) => Err(e.into()),
    };
    let error = error_of(&outcome);
    report_result(
        store,
        &Actor::Bootstrap,
        Action::Bootstrap,
        admin_id,
        None,
        error,
    )
    .await?;
    outcome.map(|()| AddedAdministrator {
        admin_id: admin_id.to_owned(),
        password,
    })
}

/// The central administrator registers an administrator (of an ASL, or another central one),
/// with a generated password unless `password` is given.
pub async fn add(
    store: &dyn Store,
    actor: &Administrator,
    new: NewAdministrator,
    password: Option<String>,
) -> Result<AddedAdministrator, AdministratorError> {
    let outcome = async {
        actor.require_central()?;
        let password = password.unwrap_or_else(generate_password);
        store
            .administrators()
            .add(&AdministratorRecord {
                admin_id: new.admin_id.clone(),
                cf: new.cf,
                display_name: new.display_name,
                password_hash: hash(&password)?,
                scope: new.scope,
                enabled: true,
            })
            .await?;
        Ok(password)
    }
    .await;
    let actor_ = Actor::Administrator(actor.clone());
    let error = error_of(&outcome);
    report_result(
        store,
        &actor_,
        Action::AddAdministrator,
        &new.admin_id,
        None,
        error,
    )
    .await?;
    outcome.map(|password| AddedAdministrator {
        admin_id: new.admin_id,
        password,
    })
}

/// Every administrator, for the central administrator.
pub async fn list(
    store: &dyn Store,
    actor: &Administrator,
) -> Result<Vec<AdministratorRecord>, AdministratorError> {
    actor.require_central()?;
    Ok(store.administrators().list().await?)
}

/// The central administrator disables (`enabled` false) or enables an administrator; nobody
/// disables themselves (the last central administrator would lock everyone out).
pub async fn set_enabled(
    store: &dyn Store,
    actor: &Administrator,
    admin_id: &str,
    enabled: bool,
) -> Result<(), AdministratorError> {
    let outcome = async {
        actor.require_central()?;
        if admin_id == actor.id && !enabled {
            return Err(AdministratorError::OwnAccount(admin_id.to_owned()));
        }
        if !store
            .administrators()
            .set_enabled(admin_id, enabled)
            .await?
        {
            return Err(AdministratorError::NoSuchAdministrator(
                admin_id.chars().take(64).collect(),
            ));
        }
        if !enabled {
            store
                .web_sessions()
                .delete_of_administrator(admin_id)
                .await?;
        }
        Ok(())
    }
    .await;
    let action = if enabled {
        Action::EnableAdministrator
    } else {
        Action::DisableAdministrator
    };
    let actor_ = Actor::Administrator(actor.clone());
    report_result(store, &actor_, action, admin_id, None, error_of(&outcome)).await?;
    outcome
}

/// The central administrator gives an administrator a new generated password (returned, to be
/// told to them once); the old one stops working at once and their web sessions end. Failed
/// attempts are not forgotten: that is [`unlock`].
pub async fn reset_password(
    store: &dyn Store,
    actor: &Administrator,
    admin_id: &str,
) -> Result<AddedAdministrator, AdministratorError> {
    let outcome = async {
        actor.require_central()?;
        let password = generate_password();
        if !store
            .administrators()
            .set_password(admin_id, &hash(&password)?)
            .await?
        {
            return Err(AdministratorError::NoSuchAdministrator(
                admin_id.chars().take(64).collect(),
            ));
        }
        store
            .web_sessions()
            .delete_of_administrator(admin_id)
            .await?;
        Ok(password)
    }
    .await;
    let actor_ = Actor::Administrator(actor.clone());
    report_result(
        store,
        &actor_,
        Action::ResetAdministratorPassword,
        admin_id,
        None,
        error_of(&outcome),
    )
    .await?;
    outcome.map(|password| AddedAdministrator {
        admin_id: admin_id.to_owned(),
        password,
    })
}

fn hash(password: &str) -> Result<String, AdministratorError> {
    hash_secret(password).map_err(|e| AdministratorError::Hash(e.to_string()))
}

/// Reports through [`administrative_action`] that `actor` did `action`, or why not (`error`).
pub(super) async fn report_result(
    store: &dyn Store,
    actor: &Actor,
    action: Action,
    target: &str,
    detail: Option<&str>,
    error: Option<&(dyn fmt::Display + Sync)>,
) -> Result<(), AdminActionNotRecorded> {
    let outcome = match error {
        None => Ok(()),
        Some(error) => Err(error),
    };
    administrative_action(store, actor, action, target, detail, outcome).await
}

/// `outcome`'s error, to report.
pub(super) fn error_of<T, E: fmt::Display + Sync>(
    outcome: &Result<T, E>,
) -> Option<&(dyn fmt::Display + Sync)> {
    outcome
        .as_ref()
        .err()
        .map(|e| e as &(dyn fmt::Display + Sync))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store;

    const POLICY: LockoutPolicy = LockoutPolicy {
        max_failures: 3,
        lock_for: chrono::Duration::minutes(15),
    };

    fn cf(text: &str) -> CodiceFiscale {
        CodiceFiscale::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[tokio::test]
    async fn bootstrap_once_then_the_central_administrator_adds_asl_ones(
    ) -> Result<(), Box<dyn std::error::Error>> {
        let store = store::connect("sqlite::memory:").await?;
        let first = bootstrap(store.as_ref(), "central", cf("RSSMRA80A01H501U"), "C").await?;
        assert_eq!(first.password.len(), 16);
        let again = bootstrap(store.as_ref(), "other", cf("RSSMRA80A01H501U"), "C").await;
        assert!(matches!(
            again,
            Err(AdministratorError::AlreadyBootstrapped)
        ));
        assert!(store.administrators().find("other").await?.is_none());

        let wrong = authenticate(store.as_ref(), POLICY, "central", "wrong", Utc::now()).await;
        assert!(matches!(
            wrong,
            Err(AdministratorError::Refused(Refusal::Credentials))
        ));
        let central = authenticate(
            store.as_ref(),
            POLICY,
            "central",
            &first.password,
            Utc::now(),
        )
        .await?;
        let form = AdministratorForm {
            admin_id: "asl201",
            cf: "VRDLGI70B02F205J",
            display_name: "ASL 201",
            region: Some("120"),
            asl: Some("201"),
        };
        let added = add(store.as_ref(), &central, form.parse()?, None).await?;
        let asl_admin = authenticate(
            store.as_ref(),
            POLICY,
            "asl201",
            &added.password,
            Utc::now(),
        )
        .await?;
        assert_eq!(
            describe(&asl_admin.scope()),
            "ASL 201 of region 120".to_owned()
        );
        let refused = list(store.as_ref(), &asl_admin).await;
        assert!(
            matches!(
                &refused,
                Err(AdministratorError::Refused(Refusal::NotCentral { .. }))
            ),
            "{refused:?}"
        );
        assert!(matches!(
            set_enabled(store.as_ref(), &central, "central", false).await,
            Err(AdministratorError::OwnAccount(_))
        ));
        set_enabled(store.as_ref(), &central, "asl201", false).await?;
        assert!(matches!(
            authenticate(
                store.as_ref(),
                POLICY,
                "asl201",
                &added.password,
                Utc::now()
            )
            .await,
            Err(AdministratorError::Refused(Refusal::Credentials))
        ));
        assert!(matches!(
            set_enabled(store.as_ref(), &central, "nobody", true).await,
            Err(AdministratorError::NoSuchAdministrator(_))
        ));
        set_enabled(store.as_ref(), &central, "asl201", true).await?;
        assert!(matches!(
            reset_password(store.as_ref(), &asl_admin, "asl201").await,
            Err(AdministratorError::Refused(Refusal::NotCentral { .. }))
        ));
        let reset = reset_password(store.as_ref(), &central, "asl201").await?;
        assert_ne!(reset.password, added.password);
        let now = Utc::now();
        let old = authenticate(store.as_ref(), POLICY, "asl201", &added.password, now).await;
        assert!(old.is_err(), "the old password no longer works");
        authenticate(store.as_ref(), POLICY, "asl201", &reset.password, now).await?;
        assert!(matches!(
            reset_password(store.as_ref(), &central, "nobody").await,
            Err(AdministratorError::NoSuchAdministrator(_))
        ));
        Ok(())
    }

    #[tokio::test]
    async fn failed_passwords_lock_an_administrator_until_a_central_one_unlocks_them(
    ) -> Result<(), Box<dyn std::error::Error>> {
        let store = store::connect("sqlite::memory:").await?;
        let first = bootstrap(store.as_ref(), "central", cf("GLLLRA70M41H501E"), "").await?;
        let now = Utc::now();
        let central = authenticate(store.as_ref(), POLICY, "central", &first.password, now).await?;
        let form = AdministratorForm {
            admin_id: "asl201",
            cf: "FRRMRC75P12H501H",
            display_name: "",
            region: Some("120"),
            asl: Some("201"),
        };
        let added = add(store.as_ref(), &central, form.parse()?, None).await?;
        let login = |password: &str, at| {
            let password = password.to_owned();
            let store = store.clone();
            async move { authenticate(store.as_ref(), POLICY, "asl201", &password, at).await }
        };
        let refused = |r: &Result<Administrator, AdministratorError>| {
            matches!(r, Err(AdministratorError::Refused(Refusal::Credentials)))
        };
        // Two failures, then a success: the count starts again.
        for _ in 0..2 {
            assert!(refused(&login("wrong", now).await));
        }
        let asl_admin = login(&added.password, now).await?;
        for _ in 0..2 {
            assert!(refused(&login("wrong", now).await));
        }
        assert!(login(&added.password, now).await.is_ok(), "not locked at 2");
        for _ in 0..3 {
            assert!(refused(&login("wrong", now).await));
        }
        assert!(
            refused(&login(&added.password, now).await),
            "locked: the right password is refused like a wrong one"
        );
        assert!(
            login(
                &added.password,
                now + POLICY.lock_for + chrono::Duration::minutes(1)
            )
            .await
            .is_ok(),
            "the lock expires (the log times failures when it records them)"
        );
        for _ in 0..3 {
            assert!(refused(&login("wrong", now).await));
        }
        assert!(matches!(
            unlock(store.as_ref(), &asl_admin, "asl201", POLICY, now).await,
            Err(AdministratorError::Refused(Refusal::NotCentral { .. }))
        ));
        let unlocked = unlock(store.as_ref(), &central, "asl201", POLICY, now).await?;
        assert_eq!(unlocked.failures, 3);
        assert!(unlocked.was_locked_until.is_some_and(|until| until > now));
        assert!(login(&added.password, now).await.is_ok(), "unlocked");
        assert!(matches!(
            unlock(store.as_ref(), &central, "nobody", POLICY, now).await,
            Err(AdministratorError::NoSuchAdministrator(_))
        ));
        Ok(())
    }

    #[test]
    fn a_half_scope_or_a_bad_code_is_refused_naming_the_field() {
        let form = |region, asl| AdministratorForm {
            admin_id: "a",
            cf: "RSSMRA80A01H501U",
            display_name: "",
            region,
            asl,
        };
        assert_eq!(
            form(Some("120"), None).parse().err().map(|e| e.field()),
            Some("region")
        );
        assert_eq!(
            form(Some("120"), Some("2O1"))
                .parse()
                .err()
                .map(|e| e.field()),
            Some("asl")
        );
        assert!(form(None, None)
            .parse()
            .is_ok_and(|a| a.scope == AdministratorScope::Central));
    }
}
