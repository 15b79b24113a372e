//! Stage 3 — who is calling. Three kinds of caller:
//! - a regional system, by its client certificate from the gateway CA (region code in the CN);
//! - an operator, by a national-card style certificate (`serialNumber = TINIT-<CF>`);
//! - an operator, by preemptive HTTP Basic (user id + password) plus the encrypted `pinCode`
//!   element, checked against the users table (argon2 hashes).
//!
//! A client certificate, when present, decides; Basic is read only on connections without one.
//! Every failure gives the caller the same answer ("Credenziali invalide").

use argon2::password_hash::{PasswordHash, PasswordVerifier};
use argon2::Argon2;
use base64::Engine;

use crate::domain::RegionCode;
use crate::server::PeerIdentity;
use crate::soap::credential_cache::Pincode;
use crate::soap::Element;
use crate::startup::App;
use crate::store::{CallerKind, UserRecord};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperatorAuth {
    Certificate,
    Password,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    Region {
        code: RegionCode,
        /// Services this region is enabled for.
        enabled_services: std::sync::Arc<[String]>,
    },
    Operator {
        cf: String,
        /// The users-table id, when the operator is registered.
        user_id: Option<String>,
        method: OperatorAuth,
        profiles: Vec<String>,
    },
}

impl Caller {
    pub fn kind(&self) -> CallerKind {
        match self {
            Caller::Region { .. } => CallerKind::Region,
            Caller::Operator {
                method: OperatorAuth::Certificate,
                ..
            } => CallerKind::OperatorCertificate,
            Caller::Operator {
                method: OperatorAuth::Password,
                ..
            } => CallerKind::OperatorPassword,
        }
    }

    /// Region code, user id, or the card holder's CF.
    pub fn id(&self) -> String {
        match self {
            Caller::Region { code, .. } => code.to_string(),
            Caller::Operator {
                user_id: Some(id), ..
            } => id.clone(),
            Caller::Operator { cf, .. } => cf.clone(),
        }
    }

    pub fn region(&self) -> Option<String> {
        match self {
            Caller::Region { code, .. } => Some(code.to_string()),
            Caller::Operator { .. } => None,
        }
    }

    pub fn operator_cf(&self) -> Option<String> {
        match self {
            Caller::Region { .. } => None,
            Caller::Operator { cf, .. } => Some(cf.clone()),
        }
    }

    /// The rate-limit key: one bucket per region, one per operator.
    pub fn throttle_key(&self) -> String {
        match self {
            Caller::Region { code, .. } => format!("region:{code}"),
            Caller::Operator { cf, .. } => format!("operator:{cf}"),
        }
    }
}

/// Why identification failed. `Credentials` keeps what was claimed, for the access log only.
#[derive(Debug)]
pub enum Refusal {
    Credentials {
        kind: CallerKind,
        claimed_id: String,
    },
    /// The users table could not be read: nothing can be decided.
    Unavailable,
}

pub async fn caller(
    app: &App,
    peer: &PeerIdentity,
    authorization: Option<&str>,
    payload: &Element,
) -> Result<Caller, Refusal> {
    match peer {
        PeerIdentity::Region { code } => {
            let version = app.directory_version.current();
            let enabled_services = app
                .region_permissions
                .services(app.store.as_ref(), *code, version)
                .await
                .map_err(|error| {
                    tracing::error!(%error, "region permissions unreadable");
                    Refusal::Unavailable
                })?;
            Ok(Caller::Region {
                code: *code,
                enabled_services,
            })
        }
        PeerIdentity::Card { cf } => {
            let user = app
                .store
                .directory()
                .find_user_by_cf(cf.as_str())
                .await
                .map_err(|error| {
                    tracing::error!(%error, "users table unreadable");
                    Refusal::Unavailable
                })?;
            let (user_id, profiles) = match user {
                Some(user) if !user.enabled => {
                    return Err(Refusal::Credentials {
                        kind: CallerKind::OperatorCertificate,
                        claimed_id: cf.to_string(),
                    })
                }
                Some(user) => {
                    let profiles = profiles_of(app, &user.user_id).await?;
                    (Some(user.user_id), profiles)
                }
                None => (None, Vec::new()),
            };
            Ok(Caller::Operator {
                cf: cf.to_string(),
                user_id,
                method: OperatorAuth::Certificate,
                profiles,
            })
        }
        PeerIdentity::Unrecognised { subject } => Err(Refusal::Credentials {
            kind: CallerKind::OperatorCertificate,
            claimed_id: subject.chars().take(128).collect(),
        }),
        PeerIdentity::Anonymous => {
            let caller = password_caller(app, authorization, payload).await?;
            // The connection has proved who is on it: it leaves the unauthenticated budget.
            crate::server::connection::caller_identified();
            Ok(caller)
        }
    }
}

async fn password_caller(
    app: &App,
    authorization: Option<&str>,
    payload: &Element,
) -> Result<Caller, Refusal> {
    let (user_id, password) = basic_credentials(authorization).unwrap_or_default();
    let refused = || Refusal::Credentials {
        kind: CallerKind::OperatorPassword,
        claimed_id: user_id.chars().take(64).collect(),
    };
    let sent_pincode = payload.child_text("pinCode").unwrap_or("");
    let cache = &app.credential_cache;
    // Read before the user row: a verification counts only while this is the version seen.
    let version = app.directory_version.current();
    let as_sent = cache.fingerprint(&user_id, &password, Pincode::AsSent(sent_pincode));
    let verified = match cache.get(&as_sent, version) {
        Some(user) => Some(user),
        None => {
            let pincode = app.pincode.decrypt(sent_pincode).ok();
            let decrypted = pincode
                .as_deref()
                .map(|p| cache.fingerprint(&user_id, &password, Pincode::Decrypted(p)));
            match decrypted.and_then(|fp| cache.get(&fp, version)) {
                Some(user) => {
                    cache.remember(&[as_sent], &user, version);
                    Some(user)
                }
                None => {
                    let user = if user_id.is_empty() {
                        None
                    } else {
                        app.store
                            .directory()
                            .find_user(&user_id)
                            .await
                            .map_err(|error| {
                                tracing::error!(%error, "users table unreadable");
                                Refusal::Unavailable
                            })?
                    };
                    // Always run both argon2 checks, so every failure costs the same time.
                    let ok = verify_secrets(user.clone(), password.clone(), pincode).await;
                    match (user, decrypted) {
                        (Some(user), Some(decrypted)) if ok && user.enabled => {
                            cache.remember(&[as_sent, decrypted], &user, version);
                            Some(user)
                        }
                        _ => None,
                    }
                }
            }
        }
    };
    let user = verified.ok_or_else(refused)?;
    let profiles = profiles_of(app, &user.user_id).await?;
    Ok(Caller::Operator {
        cf: user.cf,
        user_id: Some(user.user_id),
        method: OperatorAuth::Password,
        profiles,
    })
}

async fn profiles_of(app: &App, user_id: &str) -> Result<Vec<String>, Refusal> {
    app.store
        .directory()
        .profiles_of(user_id)
        .await
        .map_err(|error| {
            tracing::error!(%error, "profiles unreadable");
            Refusal::Unavailable
        })
}

/// `Authorization: Basic base64(user:password)` → (user, password).
fn basic_credentials(header: Option<&str>) -> Option<(String, String)> {
    let encoded = header?.trim().strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

/// Argon2 is deliberately slow: run it off the async workers.
async fn verify_secrets(
    user: Option<UserRecord>,
    password: String,
    pincode: Option<String>,
) -> bool {
    tokio::task::spawn_blocking(move || {
        let (password_hash, pincode_hash) = match &user {
            Some(u) => (u.password_hash.as_str(), u.pincode_hash.as_str()),
            None => (DUMMY_HASH, DUMMY_HASH),
        };
        let password_ok = verify(password_hash, &password);
        let pincode_ok = verify(pincode_hash, pincode.as_deref().unwrap_or(""));
        user.is_some() && pincode.is_some() && password_ok && pincode_ok
    })
    .await
    .unwrap_or(false)
}

fn verify(phc: &str, secret: &str) -> bool {
    PasswordHash::new(phc)
        .map(|hash| {
            Argon2::default()
                .verify_password(secret.as_bytes(), &hash)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Hashes a password or pincode for the users table (argon2id, default parameters).
pub fn hash_secret(secret: &str) -> Result<String, argon2::password_hash::Error> {
    use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default()
        .hash_password(secret.as_bytes(), &salt)?
        .to_string())
}

/// A valid argon2id hash of a random value nobody knows: verifying against it costs what a real
/// check costs, so an unknown user id takes as long as a wrong password.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$J5EoHqyqqEK3ULQPpVybjQwwSxtxuNn0KH/xvpjBpIM";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_header_parsing() {
        assert_eq!(
            basic_credentials(Some("Basic dXNlcjpwYTpzcw==")),
            Some(("user".into(), "pa:ss".into()))
        );
        assert_eq!(basic_credentials(Some("Bearer x")), None);
        assert_eq!(basic_credentials(Some("Basic !!!")), None);
        assert_eq!(basic_credentials(None), None);
    }

    #[test]
    fn hashes_verify() -> Result<(), argon2::password_hash::Error> {
        let hash = hash_secret("segreto")?;
        assert!(verify(&hash, "segreto"));
        assert!(!verify(&hash, "segreta"));
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
        Ok(())
    }
}
