//! Who is calling. Three kinds of caller:
//! - a regional system, by its client certificate from the gateway CA (region code in the CN);
//! - an operator, by a national-card style certificate (`serialNumber = TINIT-<CF>`);
//! - an operator, by preemptive HTTP Basic (user id + password) plus the encrypted pincode,
//!   checked against the users table (argon2 hashes).
//!
//! A client certificate, when present, decides; Basic is read only on connections without one.
//! Every failure gives the caller the same answer ("Credenziali invalide"), a locked account's
//! included; only an address that spent its budget of failures is told so, before any check. SOAP, the CSV
//! download and the command line all ask [`Identity`]; it answers and leaves to the transport
//! what follows (a connection that proved a password leaves the unauthenticated budget).

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;

use super::address_failures::AddressFailures;
use super::credential_cache::{CredentialCache, Pincode};
use super::credentials::{Basic, Credentials};
use super::directory_version::DirectoryVersion;
use super::last_access::LastAccessWrites;
use super::password::{verify_password, verify_secrets};
use super::password_policy::PasswordPolicy;
use super::region_permissions::RegionPermissions;
use super::second_factor::{Enrollment, SecondFactor, SecondFactorError};
use super::{Caller, OperatorAsl, OperatorAuth, Peer};
use crate::config::AuthConfig;
use crate::domain::{CodiceFiscale, Profile};
use crate::metrics::Metrics;
use crate::pki::PincodeKey;
use crate::store::{
    CallerKind, FailureCount, LockoutPolicy, PasswordState, SignInState, StepReuse, Store,
    StoreError, UserRecord,
};

/// How long a verified password and pincode are remembered, and how many at most.
const VERIFIED_FOR: Duration = Duration::from_secs(60);
const MAX_VERIFIED: usize = 10_000;

/// Why identification failed. `Credentials` keeps what was claimed, for the access log only.
#[derive(Debug)]
pub enum Refused {
    /// Wrong, unknown, disabled or locked: the caller is never told which.
    Credentials {
        kind: CallerKind,
        claimed_id: String,
    },
    /// The client address spent its budget of failed credentials: refused before any check,
    /// it may try again after `retry_after`.
    Throttled { retry_after: Duration },
    /// The password and pincode are right, but the password is an initial one (registration,
    /// an administrator's reset) or older than `auth.password_max_age_days`: it must be changed
    /// (`tsgate users passwd`) first. Told only after the full check, so it reveals nothing
    /// about a wrong password.
    PasswordMustChange { kind: CallerKind, user_id: String },
    /// The password and pincode are right, but `auth.totp = "required"` and the operator has
    /// no TOTP yet: they must enroll first (`tsgate users passwd` at first login, or `tsgate
    /// users totp enroll`). Told only after the full check, like `PasswordMustChange`.
    SecondFactorToEnroll { kind: CallerKind, user_id: String },
    /// The users table could not be read: nothing can be decided.
    Unavailable,
}

/// Everything identification reads: the users table, the pincode key, what is cached about
/// callers under the directory version, and the failed credentials per account and address.
pub struct Identity {
    store: Arc<dyn Store>,
    pincode: PincodeKey,
    second_factor: SecondFactor,
    credential_cache: CredentialCache,
    region_permissions: RegionPermissions,
    directory_version: DirectoryVersion,
    lockout: LockoutPolicy,
    password_policy: PasswordPolicy,
    address_failures: AddressFailures,
    last_access: LastAccessWrites,
    metrics: Arc<Metrics>,
}

/// What the full check of a password and pincode found.
enum Checked {
    Verified(Box<UserRecord>),
    /// Refused; `known` if the user id names a user (whose failures are then counted).
    Failed {
        known: bool,
    },
}

impl Identity {
    /// `directory_version` is the store's, read at start-up; `auth` says when failures lock an
    /// account and how many an address may make; `second_factor`, whether operators need TOTP.
    pub fn new(
        store: Arc<dyn Store>,
        pincode: PincodeKey,
        second_factor: SecondFactor,
        directory_version: i64,
        auth: &AuthConfig,
        metrics: Arc<Metrics>,
    ) -> Identity {
        Identity {
            store,
            pincode,
            second_factor,
            credential_cache: CredentialCache::new(VERIFIED_FOR, MAX_VERIFIED),
            region_permissions: RegionPermissions::new(),
            directory_version: DirectoryVersion::new(directory_version),
            lockout: lockout_policy(auth),
            password_policy: PasswordPolicy::from_config(auth),
            address_failures: AddressFailures::new(
                auth.address_failure_burst,
                auth.address_failures_per_minute,
                auth.max_tracked_addresses,
            ),
            last_access: LastAccessWrites::default(),
            metrics,
        }
    }

    /// Who is calling; a registered operator's last access is recorded (once a minute at most).
    pub async fn identify(&self, credentials: &Credentials<'_>) -> Result<Caller, Refused> {
        let caller = self.caller(credentials).await?;
        if let Caller::Operator {
            user_id: Some(user_id),
            ..
        } = &caller
        {
            self.record_access(user_id).await;
        }
        Ok(caller)
    }

    /// Writes `user_id`'s last access when this gateway has not for a minute; a failure only
    /// warns (the call itself is not affected).
    async fn record_access(&self, user_id: &str) {
        if !self.last_access.due(user_id, std::time::Instant::now()) {
            return;
        }
        let recorded = self
            .store
            .directory()
            .record_access(user_id, Utc::now())
            .await;
        if let Err(error) = recorded {
            tracing::warn!(%error, "an operator's last access could not be recorded");
        }
    }

    async fn caller(&self, credentials: &Credentials<'_>) -> Result<Caller, Refused> {
        match credentials.peer {
            Peer::Region { code } => {
                let version = self.directory_version.current();
                let enabled_services = self
                    .region_permissions
                    .services(self.store.as_ref(), *code, version)
                    .await
                    .map_err(unreadable("region permissions"))?;
                Ok(Caller::Region {
                    code: *code,
                    enabled_services,
                })
            }
            Peer::Card { cf } => self.card_holder(cf).await,
            // Its certificate is for the MIUR uploads only.
            Peer::Ministry { serial } => Err(Refused::Credentials {
                kind: CallerKind::Ministry,
                claimed_id: serial.clone(),
            }),
            Peer::Unrecognised { subject } => Err(Refused::Credentials {
                kind: CallerKind::OperatorCertificate,
                claimed_id: subject.chars().take(128).collect(),
            }),
            Peer::Anonymous => {
                self.password_holder(
                    credentials.client,
                    credentials.basic.as_ref(),
                    credentials.pincode,
                    credentials.totp,
                )
                .await
            }
        }
    }

    /// Reads the store's directory version; `true` if it moved (every cached entry is stale).
    pub async fn refresh_directory_version(&self) -> Result<bool, StoreError> {
        self.directory_version.refresh(self.store.as_ref()).await
    }

    /// The verified passwords remembered (tests look at it).
    /// The operators' TOTP second factor, for the in-person sign-ins that ask for it
    /// ([`super::operator_login::sign_in`]).
    pub fn second_factor(&self) -> &SecondFactor {
        &self.second_factor
    }

    /// The failed-credentials budget of each address, which the security administrators' web
    /// login spends too: one budget per address, whoever's credentials it tries.
    pub fn address_failures(&self) -> &AddressFailures {
        &self.address_failures
    }

    pub fn credential_cache(&self) -> &CredentialCache {
        &self.credential_cache
    }

    async fn card_holder(&self, cf: &CodiceFiscale) -> Result<Caller, Refused> {
        let user = self
            .store
            .directory()
            .find_user_by_cf(cf)
            .await
            .map_err(unreadable("users table"))?;
        let (user_id, profiles, asl) = match user {
            Some(user) if !user.enabled => {
                return Err(Refused::Credentials {
                    kind: CallerKind::OperatorCertificate,
                    claimed_id: cf.to_string(),
                })
            }
            Some(user) => {
                let profiles = self.profiles_of(&user.user_id).await?;
                let asl = OperatorAsl::of(user.region, user.asl);
                (Some(user.user_id), profiles, asl)
            }
            None => (None, Vec::new(), None),
        };
        Ok(Caller::Operator {
            cf: cf.clone(),
            user_id,
            method: OperatorAuth::Certificate,
            profiles,
            asl,
        })
    }

    /// Basic + pincode. In order: a remembered verification (one HMAC); the address's failure
    /// budget, before anything costly; the account's lock; the full check; the TOTP code when
    /// one is due (never remembered: checked on every call, before the failures are forgotten,
    /// so a wrong code counts like a wrong password). A locked account is checked in full too
    /// and refused whatever it sent, so it answers as a wrong password does, in the same time.
    async fn password_holder(
        &self,
        client: IpAddr,
        basic: Option<&Basic>,
        sent_pincode: Option<&str>,
        sent_code: Option<&str>,
    ) -> Result<Caller, Refused> {
        let (user_id, password) = basic
            .map(|b| (b.user_id.as_str(), b.password.as_str()))
            .unwrap_or_default();
        let sent_pincode = sent_pincode.unwrap_or("");
        let cache = &self.credential_cache;
        // Read before the user row: a verification counts only while this is the version seen.
        let version = self.directory_version.current();
        let as_sent = cache.fingerprint(user_id, password, Pincode::AsSent(sent_pincode));
        let remembered = cache.get(&as_sent, version);
        if remembered.is_none() {
            self.within_failure_budget(client)?;
        }
        let state = self.sign_in_state(user_id).await?;
        let locked = state.failures.locked_at(Utc::now());
        let checked = match remembered {
            Some(user) if !locked => Checked::Verified(Box::new(user)),
            remembered => {
                if remembered.is_some() {
                    self.within_failure_budget(client)?;
                }
                self.check(user_id, password, sent_pincode, version, !locked)
                    .await?
            }
        };
        let user = match checked {
            Checked::Verified(user) if !locked => *user,
            Checked::Verified(_) => {
                self.failed(client, Some(user_id)).await;
                return Err(refused_password(user_id));
            }
            Checked::Failed { known } => {
                self.failed(client, known.then_some(user_id)).await;
                return Err(refused_password(user_id));
            }
        };
        let enrollment = self
            .second_factor
            .enrollment(&user.user_id)
            .await
            .map_err(unreadable("TOTP enrollments"))?;
        if enrollment == Enrollment::Active && self.second_factor.on_soap() {
            self.code_checked(client, &user.user_id, sent_code, StepReuse::SameStep)
                .await?;
        }
        self.password_verified(user, state, enrollment).await
    }

    /// What follows a verified password (and the code, where one was due): the account's
    /// failures forgotten, a password that must change refused, a second factor to enroll
    /// refused, the operator with their profiles. `state` was read for this call.
    async fn password_verified(
        &self,
        user: UserRecord,
        state: SignInState,
        enrollment: Enrollment,
    ) -> Result<Caller, Refused> {
        if state.failures.failures > 0 {
            if let Err(error) = self.store.credential_failures().clear(&user.user_id).await {
                tracing::warn!(%error, "a success could not reset the failure count");
            }
        }
        self.password_in_force(&user.user_id, state.password)?;
        if self.second_factor.must_enroll(enrollment) {
            return Err(Refused::SecondFactorToEnroll {
                kind: CallerKind::OperatorPassword,
                user_id: user.user_id,
            });
        }
        Ok(Caller::Operator {
            cf: user.cf,
            user_id: Some(user.user_id),
            method: OperatorAuth::Password,
            profiles: state.profiles,
            asl: OperatorAsl::of(state.region, state.asl),
        })
    }

    /// The web login (seed 000): user id, password and, for an operator enrolled in TOTP, the
    /// code (`totp`); the pages that need the pincode ask for it. The same rules as Basic +
    /// pincode: the address's failure budget first, the account's lock (a locked account is
    /// checked in full and refused like a wrong password), failures counted per account and
    /// address — a missing or wrong code is one, answered like a wrong password, and a code
    /// serves once, as for `sign_in` — and a password that must change told only after the
    /// full check. A success records the operator's access.
    pub async fn identify_password(
        &self,
        client: IpAddr,
        user_id: &str,
        password: &str,
        totp: Option<&str>,
    ) -> Result<Caller, Refused> {
        self.within_failure_budget(client)?;
        let state = self.sign_in_state(user_id).await?;
        let locked = state.failures.locked_at(Utc::now());
        let user = if user_id.is_empty() {
            None
        } else {
            self.store
                .directory()
                .find_user(user_id)
                .await
                .map_err(unreadable("users table"))?
        };
        self.metrics.password_checks.inc();
        let hash = user.as_ref().map(|u| u.password_hash.clone());
        let verified = verify_password(hash, password.to_owned()).await;
        let user = match user {
            Some(user) if verified && user.enabled && !locked => user,
            user => {
                self.failed(client, user.is_some().then_some(user_id)).await;
                return Err(refused_password(user_id));
            }
        };
        let enrollment = self
            .second_factor
            .enrollment(&user.user_id)
            .await
            .map_err(unreadable("TOTP enrollments"))?;
        if enrollment == Enrollment::Active {
            self.code_checked(client, &user.user_id, totp, StepReuse::Never)
                .await?;
        }
        let caller = self.password_verified(user, state, enrollment).await?;
        self.record_access(user_id).await;
        Ok(caller)
    }

    /// The web's pincode page (seed 000: the OTP service asks for the pincode of an operator
    /// already signed in), typed in clear over TLS. The same rules as the pincode on SOAP: the
    /// address's failure budget first; a locked account checked in full and refused like a
    /// wrong pincode; a wrong one counted per account and address toward the lockout; a right
    /// one forgets the account's failures.
    pub async fn verify_pincode(
        &self,
        client: IpAddr,
        user_id: &str,
        pincode: &str,
    ) -> Result<(), Refused> {
        self.within_failure_budget(client)?;
        let count = self.failure_count(user_id).await?;
        let locked = count.locked_at(Utc::now());
        let user = self
            .store
            .directory()
            .find_user(user_id)
            .await
            .map_err(unreadable("users table"))?;
        self.metrics.password_checks.inc();
        let hash = user.as_ref().map(|u| u.pincode_hash.clone());
        let verified = verify_password(hash, pincode.to_owned()).await;
        match user {
            Some(user) if verified && user.enabled && !locked => {
                if count.failures > 0 {
                    if let Err(error) = self.store.credential_failures().clear(user_id).await {
                        tracing::warn!(%error, "a success could not reset the failure count");
                    }
                }
                Ok(())
            }
            user => {
                self.failed(client, user.is_some().then_some(user_id)).await;
                Err(refused_password(user_id))
            }
        }
    }

    /// The full check: the pincode decrypted, both argon2 verifications. `use_cache`: whether a
    /// verification remembered for the decrypted pincode may stand in (not for a locked account,
    /// whose every answer must cost what a wrong password costs).
    async fn check(
        &self,
        user_id: &str,
        password: &str,
        sent_pincode: &str,
        version: i64,
        use_cache: bool,
    ) -> Result<Checked, Refused> {
        let cache = &self.credential_cache;
        let as_sent = cache.fingerprint(user_id, password, Pincode::AsSent(sent_pincode));
        let pincode = self.pincode.decrypt(sent_pincode).ok();
        let decrypted = pincode
            .as_deref()
            .map(|p| cache.fingerprint(user_id, password, Pincode::Decrypted(p)));
        if use_cache {
            if let Some(user) = decrypted.and_then(|fp| cache.get(&fp, version)) {
                cache.remember(&[as_sent], &user, version);
                return Ok(Checked::Verified(Box::new(user)));
            }
        }
        let user = if user_id.is_empty() {
            None
        } else {
            self.store
                .directory()
                .find_user(user_id)
                .await
                .map_err(unreadable("users table"))?
        };
        let known = user.is_some();
        // Always run both argon2 checks, so every failure costs the same time.
        self.metrics.password_checks.inc();
        let ok = verify_secrets(user.clone(), password.to_owned(), pincode).await;
        Ok(match (user, decrypted) {
            (Some(user), Some(decrypted)) if ok && user.enabled => {
                if use_cache {
                    cache.remember(&[as_sent, decrypted], &user, version);
                }
                Checked::Verified(Box::new(user))
            }
            _ => Checked::Failed { known },
        })
    }

    /// Checks an enrolled operator's `sent_code`. On SOAP or the CSV download
    /// (`auth.totp_on_soap`) software sends bursts of calls, so a code serves again within the
    /// step it was accepted for ([`StepReuse::SameStep`]); a person at the web login may use
    /// each code once ([`StepReuse::Never`]). Missing or wrong: a failed credential, answered
    /// as one.
    async fn code_checked(
        &self,
        client: IpAddr,
        user_id: &str,
        sent_code: Option<&str>,
        reuse: StepReuse,
    ) -> Result<(), Refused> {
        let checked = self
            .second_factor
            .check_code(user_id, sent_code, reuse, Utc::now())
            .await;
        match checked {
            Ok(_) => Ok(()),
            Err(SecondFactorError::WrongCode) => {
                self.failed(client, Some(user_id)).await;
                Err(refused_password(user_id))
            }
            Err(error) => {
                tracing::error!(%error, user_id, "a TOTP code could not be checked");
                Err(Refused::Unavailable)
            }
        }
    }

    /// Refuses a verified password that must be changed first. `state` is read on every call,
    /// not cached: a reset or an expiry is in force at once.
    fn password_in_force(
        &self,
        user_id: &str,
        state: Option<PasswordState>,
    ) -> Result<(), Refused> {
        match state {
            Some(state) if self.password_policy.must_change(&state, Utc::now()) => {
                Err(Refused::PasswordMustChange {
                    kind: CallerKind::OperatorPassword,
                    user_id: user_id.to_owned(),
                })
            }
            _ => Ok(()),
        }
    }

    /// Refuses at once when `client` has no failed attempt left to spend.
    fn within_failure_budget(&self, client: IpAddr) -> Result<(), Refused> {
        self.address_failures.check(client).map_err(|retry_after| {
            self.metrics.credentials_throttled.inc();
            Refused::Throttled { retry_after }
        })
    }

    /// The account's failures, password state and profiles, in one read: every call needs
    /// them fresh (a lock, a reset, a revoked profile are in force at the next call), and one
    /// round trip to the store costs less than three.
    async fn sign_in_state(&self, user_id: &str) -> Result<SignInState, Refused> {
        if user_id.is_empty() {
            return Ok(SignInState::default());
        }
        self.store
            .sign_in_states()
            .sign_in_state(user_id)
            .await
            .map_err(unreadable("sign-in state"))
    }

    /// The account's failures alone, for the web's pincode page (it needs no password state
    /// and no profiles).
    async fn failure_count(&self, user_id: &str) -> Result<FailureCount, Refused> {
        if user_id.is_empty() {
            return Ok(FailureCount::default());
        }
        self.store
            .credential_failures()
            .count(user_id)
            .await
            .map_err(unreadable("credential failures"))
    }

    /// Counts a failure against the address and, if it names one, the account.
    async fn failed(&self, client: IpAddr, user_id: Option<&str>) {
        self.address_failures.failed(client);
        let Some(user_id) = user_id else { return };
        let recorded = self
            .store
            .credential_failures()
            .record_failure(user_id, Utc::now(), self.lockout)
            .await;
        match recorded {
            Ok(recorded) if recorded.locked_now => {
                self.metrics.account_lockouts.inc();
                tracing::warn!(
                    user_id,
                    failures = recorded.count.failures,
                    until = ?recorded.count.locked_until,
                    "account locked after consecutive failed credentials"
                );
            }
            Ok(_) => {}
            Err(error) => tracing::error!(%error, "a credential failure could not be counted"),
        }
    }

    async fn profiles_of(&self, user_id: &str) -> Result<Vec<Profile>, Refused> {
        self.store
            .directory()
            .profiles_of(user_id)
            .await
            .map_err(unreadable("profiles"))
    }
}

fn refused_password(user_id: &str) -> Refused {
    Refused::Credentials {
        kind: CallerKind::OperatorPassword,
        claimed_id: user_id.chars().take(64).collect(),
    }
}

/// The lock policy of `auth`: the length in whole milliseconds, at least one.
pub fn lockout_policy(auth: &AuthConfig) -> LockoutPolicy {
    let millis = (auth.lockout_minutes * 60_000.0).clamp(1.0, 1e12);
    LockoutPolicy {
        max_failures: auth.max_failures,
        lock_for: chrono::Duration::milliseconds(millis as i64),
    }
}

fn unreadable(what: &'static str) -> impl Fn(StoreError) -> Refused {
    move |error| {
        tracing::error!(%error, "{what} unreadable");
        Refused::Unavailable
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine;

    use super::*;
    use crate::domain::RegionCode;
    use crate::identity::password::hash_secret;
    use crate::pki::pincode;
    use crate::store;

    const CF: &str = "RSSMRA80A01H501U";
    const LOCAL: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    struct Fixture {
        identity: Identity,
        store: Arc<dyn Store>,
        metrics: Arc<Metrics>,
        /// The pincode certificate clients encrypt with.
        certificate: String,
    }

    async fn fixture() -> Fixture {
        fixture_with(AuthConfig::default()).await
    }

    async fn fixture_with(auth: AuthConfig) -> Fixture {
        let store = store::connect("sqlite::memory:").await.expect("store");
        let (certificate, key) = pincode::generate("test pincode").expect("pincode key");
        store
            .directory()
            .add_user(&UserRecord {
                user_id: "OP1".into(),
                cf: CodiceFiscale::parse(CF).expect("CF"),
                display_name: String::new(),
                password_hash: hash_secret("password").expect("hash"),
                pincode_hash: hash_secret("1234567890").expect("hash"),
                asl: Some(crate::domain::AslCode::parse("201").expect("ASL")),
                region: Some(RegionCode::parse("120").expect("region")),
                enabled: true,
                details: Default::default(),
                last_access: None,
            })
            .await
            .expect("user");
        store
            .directory()
            .grant_profile("OP1", Profile::AslNumeroTest)
            .await
            .expect("grant");
        let version = store.directory().version().await.expect("version");
        let key = PincodeKey::from_pem(&key).expect("key");
        let metrics = Arc::new(Metrics::new());
        Fixture {
            identity: Identity::new(
                store.clone(),
                key,
                SecondFactor::off(store.clone()),
                version,
                &auth,
                metrics.clone(),
            ),
            store,
            metrics,
            certificate,
        }
    }

    fn authorization(user: &str, password: &str) -> String {
        let pair = format!("{user}:{password}");
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(pair)
        )
    }

    #[tokio::test]
    async fn basic_and_pincode_identify_an_operator_who_proved_a_password() {
        let f = fixture().await;
        let pin = pincode::encrypt_for_certificate(&f.certificate, "1234567890").expect("pin");
        let header = authorization("OP1", "password");
        let credentials =
            Credentials::from_http(&Peer::Anonymous, LOCAL, Some(&header), Some(&pin));
        let caller = f.identity.identify(&credentials).await.expect("identified");
        assert_eq!(
            caller,
            Caller::Operator {
                cf: CodiceFiscale::parse(CF).expect("cf"),
                user_id: Some("OP1".into()),
                method: OperatorAuth::Password,
                // A name that is no profile opens nothing.
                profiles: vec![Profile::AslNumeroTest],
                asl: Some(OperatorAsl {
                    region: Some(RegionCode::parse("120").expect("region")),
                    asl: crate::domain::AslCode::parse("201").expect("ASL"),
                }),
            }
        );
        assert!(caller.proved_password());
        assert!(!f.identity.credential_cache().is_empty());

        for (header, pin, claimed) in [
            (authorization("OP1", "wrong"), pin.as_str(), "OP1"),
            (header.clone(), "AAAA", "OP1"),
            (authorization("NOBODY", "password"), pin.as_str(), "NOBODY"),
        ] {
            let credentials =
                Credentials::from_http(&Peer::Anonymous, LOCAL, Some(&header), Some(pin));
            match f.identity.identify(&credentials).await {
                Err(Refused::Credentials { kind, claimed_id }) => {
                    assert_eq!(
                        (kind, claimed_id.as_str()),
                        (CallerKind::OperatorPassword, claimed)
                    );
                }
                other => panic!("{claimed}: {other:?}"),
            }
        }
    }

    #[tokio::test]
    async fn certificates_decide_and_prove_no_password() {
        let f = fixture().await;
        let cf = CodiceFiscale::parse(CF).expect("cf");
        let card = Peer::Card { cf: cf.clone() };
        let caller = f
            .identity
            .identify(&Credentials::from_http(&card, LOCAL, None, None))
            .await
            .expect("card holder");
        assert_eq!(caller.kind(), CallerKind::OperatorCertificate);
        assert!(caller.holds(Profile::AslNumeroTest) && !caller.proved_password());
        assert!(
            matches!(&caller, Caller::Operator { asl: Some(asl), .. } if asl.asl.as_str() == "201"),
            "the card holder's ASL, from the users table: {caller:?}"
        );

        let code = RegionCode::parse("120").expect("code");
        f.store
            .directory()
            .enable_region_service(code, "ASL")
            .await
            .expect("enable");
        let region = Peer::Region { code };
        let caller = f
            .identity
            .identify(&Credentials::from_http(&region, LOCAL, None, None))
            .await;
        assert!(
            matches!(&caller, Ok(Caller::Region { enabled_services, .. }) if enabled_services[..] == ["ASL".to_owned()]),
            "{caller:?}"
        );

        let unknown = Peer::Unrecognised {
            subject: "CN=someone".into(),
        };
        assert!(matches!(
            f.identity
                .identify(&Credentials::from_http(&unknown, LOCAL, None, None))
                .await,
            Err(Refused::Credentials {
                kind: CallerKind::OperatorCertificate,
                ..
            })
        ));
    }

    async fn identify_as(
        f: &Fixture,
        client: IpAddr,
        password: &str,
        pin: &str,
    ) -> Result<Caller, Refused> {
        let header = authorization("OP1", password);
        let credentials =
            Credentials::from_http(&Peer::Anonymous, client, Some(&header), Some(pin));
        f.identity.identify(&credentials).await
    }

    fn many_addresses() -> AuthConfig {
        AuthConfig {
            max_failures: 3,
            ..AuthConfig::default()
        }
    }

    #[tokio::test]
    async fn consecutive_failures_lock_the_account_even_against_the_right_password() {
        let f = fixture_with(many_addresses()).await;
        let pin = pincode::encrypt_for_certificate(&f.certificate, "1234567890").expect("pin");
        // A success resets the count: two failures, a success, two failures do not lock.
        for round in 0..2 {
            for _ in 0..2 {
                let refused = identify_as(&f, LOCAL, "wrong", &pin).await;
                assert!(
                    matches!(refused, Err(Refused::Credentials { .. })),
                    "{round}"
                );
            }
            assert!(
                identify_as(&f, LOCAL, "password", &pin).await.is_ok(),
                "{round}"
            );
        }
        assert_eq!(f.metrics.account_lockouts.get(), 0);
        for _ in 0..3 {
            assert!(identify_as(&f, LOCAL, "wrong", &pin).await.is_err());
        }
        assert_eq!(f.metrics.account_lockouts.get(), 1);
        // Locked: the right password (remembered by the cache, too) is refused as a wrong one,
        // after the full check.
        let checks = f.metrics.password_checks.get();
        match identify_as(&f, LOCAL, "password", &pin).await {
            Err(Refused::Credentials { kind, claimed_id }) => {
                assert_eq!(
                    (kind, claimed_id.as_str()),
                    (CallerKind::OperatorPassword, "OP1")
                );
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(f.metrics.password_checks.get(), checks + 1, "argon2 ran");
        assert_eq!(
            f.metrics.account_lockouts.get(),
            1,
            "one lock, not one per failure"
        );

        assert!(f
            .store
            .credential_failures()
            .clear("OP1")
            .await
            .expect("unlock"));
        assert!(identify_as(&f, LOCAL, "password", &pin).await.is_ok());
    }

    #[tokio::test]
    async fn a_lock_expires() {
        let f = fixture_with(AuthConfig {
            max_failures: 1,
            lockout_minutes: 0.002, // 120 ms
            ..AuthConfig::default()
        })
        .await;
        let pin = pincode::encrypt_for_certificate(&f.certificate, "1234567890").expect("pin");
        assert!(identify_as(&f, LOCAL, "wrong", &pin).await.is_err());
        assert!(
            identify_as(&f, LOCAL, "password", &pin).await.is_err(),
            "locked"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(identify_as(&f, LOCAL, "password", &pin).await.is_ok());
    }

    #[tokio::test]
    async fn a_spent_address_is_refused_without_any_check() {
        let f = fixture_with(AuthConfig {
            max_failures: 100,
            address_failure_burst: 4,
            address_failures_per_minute: 1,
            ..AuthConfig::default()
        })
        .await;
        let pin = pincode::encrypt_for_certificate(&f.certificate, "1234567890").expect("pin");
        assert!(identify_as(&f, LOCAL, "password", &pin).await.is_ok());
        for _ in 0..4 {
            assert!(matches!(
                identify_as(&f, LOCAL, "wrong", &pin).await,
                Err(Refused::Credentials { .. })
            ));
        }
        let checks = f.metrics.password_checks.get();
        // Encrypted anew (as most clients do): nothing remembered matches it.
        let fresh = pincode::encrypt_for_certificate(&f.certificate, "1234567890").expect("pin");
        for password in ["wrong", "password"] {
            match identify_as(&f, LOCAL, password, &fresh).await {
                Err(Refused::Throttled { retry_after }) => {
                    assert!(retry_after > Duration::from_secs(50), "{retry_after:?}");
                }
                other => panic!("{password}: {other:?}"),
            }
        }
        assert_eq!(f.metrics.password_checks.get(), checks, "no argon2 ran");
        assert_eq!(f.metrics.credentials_throttled.get(), 2);
        // The pincode as sent and the password were verified before: the cache still answers,
        // and another address still has its budget.
        let header = authorization("OP1", "password");
        let first = Credentials::from_http(&Peer::Anonymous, LOCAL, Some(&header), Some(&pin));
        assert!(f.identity.identify(&first).await.is_ok());
        let elsewhere = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 9));
        assert!(matches!(
            identify_as(&f, elsewhere, "wrong", &pin).await,
            Err(Refused::Credentials { .. })
        ));
    }
}
