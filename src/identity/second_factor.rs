//! Operators' second factor: a TOTP code ([`super::totp`]) from an authenticator app, when
//! `auth.totp` is `optional` or `required`. Every channel asks here — the SOAP `identify` stage
//! and the CSV download (when `auth.totp_on_soap`), the operator's CLI commands
//! ([`super::operator_login`]), the web login and the web's enrollment page — so the rules are
//! written once:
//!
//! - the secret is made here, shown once (base32 and `otpauth://` URI) and stored sealed with
//!   `auth.secrets_key`, bound to the user id; it is never logged nor shown again;
//! - an enrollment counts only once a valid code confirms the secret shown;
//! - a code is accepted at most once: the store keeps the last accepted step and moves it with
//!   one conditional UPDATE. Practice software, which sends bursts of calls, may reuse a code
//!   within the step it was accepted for ([`StepReuse::SameStep`]); a person may not;
//! - a wrong code is a wrong credential: the caller counts it toward the account's lock and
//!   answers as for a wrong password.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use zeroize::Zeroizing;

use super::totp::{provisioning_uri, TotpSecret};
use crate::config::{AuthConfig, TotpMode};
use crate::pki::sealing::{SealingKey, SealingKeyError};
use crate::store::{StepReuse, Store, StoreError, TotpRecord};

/// The issuer an authenticator app shows beside the account.
pub const ISSUER: &str = "tsgate";

/// Where a user's second factor stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enrollment {
    /// No secret (never enrolled, or reset).
    None,
    /// A secret was shown, and no valid code has confirmed it yet.
    Pending,
    /// Confirmed: codes are asked.
    Active,
}

impl Enrollment {
    /// Where a stored row (or its absence) leaves a user, whatever `auth.totp` says.
    pub fn from_record(record: Option<&TotpRecord>) -> Enrollment {
        match record {
            None => Enrollment::None,
            Some(record) if record.confirmed => Enrollment::Active,
            Some(_) => Enrollment::Pending,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Enrollment::None => "not enrolled",
            Enrollment::Pending => "enrollment not confirmed",
            Enrollment::Active => "enrolled",
        }
    }
}

/// A secret just made, to be shown to its operator once.
pub struct NewEnrollment {
    pub secret_base32: Zeroizing<String>,
    pub uri: Zeroizing<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SecondFactorError {
    #[error("TOTP is off on this gateway (auth.totp = \"off\")")]
    Off,
    #[error(
        "TOTP is already active for this user: their ASL's security administrator resets it \
         (tsgate users reset-totp) before a new enrollment"
    )]
    AlreadyEnrolled,
    #[error("no TOTP enrollment waits for a code")]
    NothingToConfirm,
    /// Wrong, missing, expired, or already used: never told apart.
    #[error("wrong TOTP code (or expired, or already used)")]
    WrongCode,
    #[error(
        "the user's TOTP secret cannot be opened with auth.secrets_key (was the key replaced?)"
    )]
    Unsealable,
    #[error("the system's random number generator failed")]
    Random,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What the gateway needs to ask for and check codes.
pub struct SecondFactor {
    store: Arc<dyn Store>,
    mode: TotpMode,
    on_soap: bool,
    /// Present unless `auth.totp` is `off`.
    key: Option<SealingKey>,
}

impl SecondFactor {
    /// From `[auth]`: the sealing key is read unless TOTP is off.
    pub fn from_config(
        store: Arc<dyn Store>,
        auth: &AuthConfig,
    ) -> Result<SecondFactor, SealingKeyError> {
        let key = match auth.totp {
            TotpMode::Off => None,
            _ => Some(SealingKey::from_setting(auth.secrets_key.as_deref())?),
        };
        Ok(SecondFactor {
            store,
            mode: auth.totp,
            on_soap: auth.totp_on_soap,
            key,
        })
    }

    /// No second factor at all (`auth.totp = "off"`).
    pub fn off(store: Arc<dyn Store>) -> SecondFactor {
        SecondFactor {
            store,
            mode: TotpMode::Off,
            on_soap: false,
            key: None,
        }
    }

    pub fn mode(&self) -> TotpMode {
        self.mode
    }

    /// Whether SOAP calls and CSV downloads of enrolled operators carry a code.
    pub fn on_soap(&self) -> bool {
        self.on_soap && self.mode != TotpMode::Off
    }

    /// Where `user_id` stands; always [`Enrollment::None`] when TOTP is off (no query).
    pub async fn enrollment(&self, user_id: &str) -> Result<Enrollment, StoreError> {
        if self.mode == TotpMode::Off {
            return Ok(Enrollment::None);
        }
        Ok(Enrollment::from_record(
            self.store.totp().totp(user_id).await?.as_ref(),
        ))
    }

    /// Whether `enrollment` keeps the operator out until they enroll (`required` only).
    pub fn must_enroll(&self, enrollment: Enrollment) -> bool {
        self.mode == TotpMode::Required && enrollment != Enrollment::Active
    }

    /// Makes a secret for `user_id` (replacing one not yet confirmed) and stores it sealed; the
    /// operator is shown what is returned, once. Refused when TOTP is off or already active.
    pub async fn start_enrollment(
        &self,
        user_id: &str,
        now: DateTime<Utc>,
    ) -> Result<NewEnrollment, SecondFactorError> {
        let key = self.key.as_ref().ok_or(SecondFactorError::Off)?;
        let secret = TotpSecret::generate().map_err(|_| SecondFactorError::Random)?;
        let sealed = key
            .seal(secret.to_base32().as_str(), &purpose(user_id))
            .map_err(|_| SecondFactorError::Random)?;
        if !self
            .store
            .totp()
            .start_enrollment(user_id, &sealed, now)
            .await?
        {
            return Err(SecondFactorError::AlreadyEnrolled);
        }
        tracing::info!(user_id, "TOTP enrollment started");
        Ok(NewEnrollment {
            secret_base32: secret.to_base32(),
            uri: provisioning_uri(ISSUER, user_id, &secret),
        })
    }

    /// Confirms the pending enrollment of `user_id` with a current `code`: from now on codes
    /// are asked. A wrong code is [`SecondFactorError::WrongCode`] (the caller counts it).
    pub async fn confirm_enrollment(
        &self,
        user_id: &str,
        code: &str,
        now: DateTime<Utc>,
    ) -> Result<(), SecondFactorError> {
        let record = self.read(user_id).await?;
        let Some(record) = record.filter(|r| !r.confirmed) else {
            return Err(SecondFactorError::NothingToConfirm);
        };
        let step = self.matching_step(user_id, &record, code, now)?;
        if !self
            .store
            .totp()
            .confirm(user_id, &record.sealed_secret, step)
            .await?
        {
            return Err(SecondFactorError::WrongCode);
        }
        tracing::info!(user_id, "TOTP enrollment confirmed");
        Ok(())
    }

    /// Checks `code` for `user_id`'s active enrollment and uses it up (see [`StepReuse`]).
    /// Missing, wrong, or used: [`SecondFactorError::WrongCode`] (the caller counts it). A user
    /// without an active enrollment has no code to check: `Ok(false)`; a code accepted:
    /// `Ok(true)`.
    pub async fn check_code(
        &self,
        user_id: &str,
        code: Option<&str>,
        reuse: StepReuse,
        now: DateTime<Utc>,
    ) -> Result<bool, SecondFactorError> {
        let record = self.read(user_id).await?;
        let Some(record) = record.filter(|r| r.confirmed) else {
            return Ok(false);
        };
        let step = self.matching_step(user_id, &record, code.unwrap_or(""), now)?;
        let accepted = self
            .store
            .totp()
            .accept_step(user_id, &record.sealed_secret, step, reuse)
            .await?;
        if !accepted {
            return Err(SecondFactorError::WrongCode);
        }
        Ok(true)
    }

    /// The user's row, or none when TOTP is off.
    async fn read(&self, user_id: &str) -> Result<Option<TotpRecord>, SecondFactorError> {
        if self.mode == TotpMode::Off {
            return Ok(None);
        }
        Ok(self.store.totp().totp(user_id).await?)
    }

    /// The step `code` is the code of, for `record`'s secret, now (± the allowed skew).
    fn matching_step(
        &self,
        user_id: &str,
        record: &TotpRecord,
        code: &str,
        now: DateTime<Utc>,
    ) -> Result<i64, SecondFactorError> {
        let key = self.key.as_ref().ok_or(SecondFactorError::Off)?;
        let base32 = Zeroizing::new(key.open(&record.sealed_secret, &purpose(user_id)).map_err(
            |_| {
                tracing::error!(user_id, "a TOTP secret does not open with auth.secrets_key");
                SecondFactorError::Unsealable
            },
        )?);
        let secret = TotpSecret::from_base32(&base32).map_err(|_| SecondFactorError::Unsealable)?;
        secret
            .matching_step(code.trim(), now.timestamp())
            .ok_or(SecondFactorError::WrongCode)
    }
}

/// What a user's sealed secret is bound to: it opens for that user only.
fn purpose(user_id: &str) -> String {
    format!("totp-secret:{user_id}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::CodiceFiscale;
    use crate::identity::totp::step_at;
    use crate::store::{self, UserRecord};

    async fn fixture(mode: TotpMode) -> (SecondFactor, tempfile::TempDir) {
        let store = store::connect("sqlite::memory:").await.unwrap();
        store
            .directory()
            .add_user(&UserRecord {
                user_id: "OP1".into(),
                cf: CodiceFiscale::parse("RSSMRA80A01H501U").unwrap(),
                display_name: String::new(),
                password_hash: String::new(),
                pincode_hash: String::new(),
                asl: None,
                region: None,
                enabled: true,
                details: Default::default(),
                last_access: None,
            })
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets.key");
        std::fs::write(&path, SealingKey::generate_file_text().unwrap()).unwrap();
        let auth = AuthConfig {
            totp: mode,
            secrets_key: Some(path),
            ..AuthConfig::default()
        };
        (SecondFactor::from_config(store, &auth).unwrap(), dir)
    }

    fn code(enrollment: &NewEnrollment, at: DateTime<Utc>) -> String {
        TotpSecret::from_base32(&enrollment.secret_base32)
            .unwrap()
            .code(step_at(at.timestamp()))
    }

    #[tokio::test]
    async fn enrollment_counts_once_confirmed_and_each_code_serves_once() {
        let (factor, _dir) = fixture(TotpMode::Required).await;
        let now = Utc::now();
        assert_eq!(factor.enrollment("OP1").await.unwrap(), Enrollment::None);
        assert!(factor.must_enroll(Enrollment::None));
        let shown = factor.start_enrollment("OP1", now).await.unwrap();
        assert!(shown.uri.starts_with("otpauth://totp/tsgate:OP1?secret="));
        assert!(shown.uri.contains(shown.secret_base32.as_str()));
        assert_eq!(factor.enrollment("OP1").await.unwrap(), Enrollment::Pending);
        assert!(factor.must_enroll(Enrollment::Pending));
        // Not active yet: nothing to check.
        assert!(!factor
            .check_code("OP1", None, StepReuse::Never, now)
            .await
            .unwrap());
        assert!(matches!(
            factor.confirm_enrollment("OP1", "000000x", now).await,
            Err(SecondFactorError::WrongCode)
        ));
        factor
            .confirm_enrollment("OP1", &code(&shown, now), now)
            .await
            .unwrap();
        assert_eq!(factor.enrollment("OP1").await.unwrap(), Enrollment::Active);
        assert!(matches!(
            factor.start_enrollment("OP1", now).await,
            Err(SecondFactorError::AlreadyEnrolled)
        ));
        // The confirming code is used up; the next step's is good once (for a person), and
        // again within its step for software.
        let same = code(&shown, now);
        assert!(matches!(
            factor
                .check_code("OP1", Some(&same), StepReuse::Never, now)
                .await,
            Err(SecondFactorError::WrongCode)
        ));
        let later = now + chrono::Duration::seconds(30);
        let next = code(&shown, later);
        assert!(factor
            .check_code("OP1", Some(&next), StepReuse::Never, later)
            .await
            .unwrap());
        assert!(factor
            .check_code("OP1", Some(&next), StepReuse::SameStep, later)
            .await
            .unwrap());
        assert!(factor
            .check_code("OP1", Some(&next), StepReuse::Never, later)
            .await
            .is_err());
        for missing in [None, Some(""), Some("12345")] {
            assert!(matches!(
                factor
                    .check_code("OP1", missing, StepReuse::SameStep, later)
                    .await,
                Err(SecondFactorError::WrongCode)
            ));
        }
    }

    #[tokio::test]
    async fn off_asks_nothing_and_enrolls_no_one() {
        let (factor, _dir) = fixture(TotpMode::Off).await;
        assert!(!factor.must_enroll(Enrollment::None));
        assert!(!factor.on_soap());
        assert!(matches!(
            factor.start_enrollment("OP1", Utc::now()).await,
            Err(SecondFactorError::Off)
        ));
        assert!(!factor
            .check_code("OP1", None, StepReuse::Never, Utc::now())
            .await
            .unwrap());
        let (optional, _dir) = fixture(TotpMode::Optional).await;
        assert!(!optional.must_enroll(Enrollment::None));
    }
}
