//! Who is calling. Three kinds of caller:
//! - a regional system, by its client certificate from the gateway CA (region code in the CN);
//! - an operator, by a national-card style certificate (`serialNumber = TINIT-<CF>`);
//! - an operator, by preemptive HTTP Basic (user id + password) plus the encrypted pincode,
//!   checked against the users table (argon2 hashes).
//!
//! A client certificate, when present, decides; Basic is read only on connections without one.
//! Every failure gives the caller the same answer ("Credenziali invalide"). SOAP, the CSV
//! download and the command line all ask [`Identity`]; it answers and leaves to the transport
//! what follows (a connection that proved a password leaves the unauthenticated budget).

use std::sync::Arc;
use std::time::Duration;

use super::credential_cache::{CredentialCache, Pincode};
use super::credentials::{Basic, Credentials};
use super::directory_version::DirectoryVersion;
use super::password::verify_secrets;
use super::region_permissions::RegionPermissions;
use super::{Caller, OperatorAuth, Peer};
use crate::domain::{CodiceFiscale, Profile};
use crate::pki::PincodeKey;
use crate::store::{CallerKind, Store, StoreError, UserRecord};

/// How long a verified password and pincode are remembered, and how many at most.
const VERIFIED_FOR: Duration = Duration::from_secs(60);
const MAX_VERIFIED: usize = 10_000;

/// Why identification failed. `Credentials` keeps what was claimed, for the access log only.
#[derive(Debug)]
pub enum Refused {
    Credentials {
        kind: CallerKind,
        claimed_id: String,
    },
    /// The users table could not be read: nothing can be decided.
    Unavailable,
}

/// Everything identification reads: the users table, the pincode key, and what is cached
/// about callers under the directory version.
pub struct Identity {
    store: Arc<dyn Store>,
    pincode: PincodeKey,
    credential_cache: CredentialCache,
    region_permissions: RegionPermissions,
    directory_version: DirectoryVersion,
}

impl Identity {
    /// `directory_version` is the store's, read at start-up.
    pub fn new(store: Arc<dyn Store>, pincode: PincodeKey, directory_version: i64) -> Identity {
        Identity {
            store,
            pincode,
            credential_cache: CredentialCache::new(VERIFIED_FOR, MAX_VERIFIED),
            region_permissions: RegionPermissions::new(),
            directory_version: DirectoryVersion::new(directory_version),
        }
    }

    pub async fn identify(&self, credentials: &Credentials<'_>) -> Result<Caller, Refused> {
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
            Peer::Unrecognised { subject } => Err(Refused::Credentials {
                kind: CallerKind::OperatorCertificate,
                claimed_id: subject.chars().take(128).collect(),
            }),
            Peer::Anonymous => {
                self.password_holder(credentials.basic.as_ref(), credentials.pincode)
                    .await
            }
        }
    }

    /// Reads the store's directory version; `true` if it moved (every cached entry is stale).
    pub async fn refresh_directory_version(&self) -> Result<bool, StoreError> {
        self.directory_version.refresh(self.store.as_ref()).await
    }

    /// The verified passwords remembered (tests look at it).
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
        let (user_id, profiles) = match user {
            Some(user) if !user.enabled => {
                return Err(Refused::Credentials {
                    kind: CallerKind::OperatorCertificate,
                    claimed_id: cf.to_string(),
                })
            }
            Some(user) => {
                let profiles = self.profiles_of(&user.user_id).await?;
                (Some(user.user_id), profiles)
            }
            None => (None, Vec::new()),
        };
        Ok(Caller::Operator {
            cf: cf.clone(),
            user_id,
            method: OperatorAuth::Certificate,
            profiles,
        })
    }

    async fn password_holder(
        &self,
        basic: Option<&Basic>,
        sent_pincode: Option<&str>,
    ) -> Result<Caller, Refused> {
        let (user_id, password) = basic
            .map(|b| (b.user_id.as_str(), b.password.as_str()))
            .unwrap_or_default();
        let sent_pincode = sent_pincode.unwrap_or("");
        let user = self
            .verified_user(user_id, password, sent_pincode)
            .await?
            .ok_or_else(|| Refused::Credentials {
                kind: CallerKind::OperatorPassword,
                claimed_id: user_id.chars().take(64).collect(),
            })?;
        let profiles = self.profiles_of(&user.user_id).await?;
        Ok(Caller::Operator {
            cf: user.cf,
            user_id: Some(user.user_id),
            method: OperatorAuth::Password,
            profiles,
        })
    }

    /// The user whose password and pincode these are, from the cache or by the full check.
    async fn verified_user(
        &self,
        user_id: &str,
        password: &str,
        sent_pincode: &str,
    ) -> Result<Option<UserRecord>, Refused> {
        let cache = &self.credential_cache;
        // Read before the user row: a verification counts only while this is the version seen.
        let version = self.directory_version.current();
        let as_sent = cache.fingerprint(user_id, password, Pincode::AsSent(sent_pincode));
        if let Some(user) = cache.get(&as_sent, version) {
            return Ok(Some(user));
        }
        let pincode = self.pincode.decrypt(sent_pincode).ok();
        let decrypted = pincode
            .as_deref()
            .map(|p| cache.fingerprint(user_id, password, Pincode::Decrypted(p)));
        if let Some(user) = decrypted.and_then(|fp| cache.get(&fp, version)) {
            cache.remember(&[as_sent], &user, version);
            return Ok(Some(user));
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
        // Always run both argon2 checks, so every failure costs the same time.
        let ok = verify_secrets(user.clone(), password.to_owned(), pincode).await;
        Ok(match (user, decrypted) {
            (Some(user), Some(decrypted)) if ok && user.enabled => {
                cache.remember(&[as_sent, decrypted], &user, version);
                Some(user)
            }
            _ => None,
        })
    }

    async fn profiles_of(&self, user_id: &str) -> Result<Vec<Profile>, Refused> {
        self.store
            .directory()
            .profiles_of(user_id)
            .await
            .map_err(unreadable("profiles"))
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

    struct Fixture {
        identity: Identity,
        store: Arc<dyn Store>,
        /// The pincode certificate clients encrypt with.
        certificate: String,
    }

    async fn fixture() -> Fixture {
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
                asl: None,
                region: None,
                enabled: true,
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
        Fixture {
            identity: Identity::new(store.clone(), key, version),
            store,
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
        let credentials = Credentials::from_http(&Peer::Anonymous, Some(&header), Some(&pin));
        let caller = f.identity.identify(&credentials).await.expect("identified");
        assert_eq!(
            caller,
            Caller::Operator {
                cf: CodiceFiscale::parse(CF).expect("cf"),
                user_id: Some("OP1".into()),
                method: OperatorAuth::Password,
                // A name that is no profile opens nothing.
                profiles: vec![Profile::AslNumeroTest],
            }
        );
        assert!(caller.proved_password());
        assert!(!f.identity.credential_cache().is_empty());

        for (header, pin, claimed) in [
            (authorization("OP1", "wrong"), pin.as_str(), "OP1"),
            (header.clone(), "AAAA", "OP1"),
            (authorization("NOBODY", "password"), pin.as_str(), "NOBODY"),
        ] {
            let credentials = Credentials::from_http(&Peer::Anonymous, Some(&header), Some(pin));
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
            .identify(&Credentials::from_http(&card, None, None))
            .await
            .expect("card holder");
        assert_eq!(caller.kind(), CallerKind::OperatorCertificate);
        assert!(caller.holds(Profile::AslNumeroTest) && !caller.proved_password());

        let code = RegionCode::parse("120").expect("code");
        f.store
            .directory()
            .enable_region_service(code, "ASL")
            .await
            .expect("enable");
        let region = Peer::Region { code };
        let caller = f
            .identity
            .identify(&Credentials::from_http(&region, None, None))
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
                .identify(&Credentials::from_http(&unknown, None, None))
                .await,
            Err(Refused::Credentials {
                kind: CallerKind::OperatorCertificate,
                ..
            })
        ));
    }
}
