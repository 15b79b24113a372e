//! Verified Basic + pincode credentials, remembered briefly. Practice software sends the same
//! credentials with every call, and each check costs two argon2 verifications (tens of ms of
//! CPU) plus an RSA decryption; this cache makes repeat calls cheap without weakening the check:
//!
//! - only *successful* verifications are remembered; every failure runs the full check;
//! - the key is an HMAC (with a per-process random key) over user id, password and pincode, so
//!   the table never holds a secret, and a hit needs exactly the same secrets;
//! - a hit counts only under the directory version it was made at (see
//!   [`super::directory_version`]): a changed password or pincode, or a disabled user, takes
//!   effect within one polling interval;
//! - entries expire after `ttl`, and the table is bounded: when full, it is cleared.
//!
//! Two keys per success: one over the pinCode as sent (clients that encrypt once and resend the
//! same base64 skip the RSA decryption too) and one over the decrypted pincode.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use aws_lc_rs::hmac;

use crate::store::UserRecord;

/// When each verification was made, under which directory version, and for whom.
type Entries = HashMap<[u8; 32], (Instant, i64, UserRecord)>;

pub struct CredentialCache {
    key: hmac::Key,
    ttl: Duration,
    max_entries: usize,
    entries: Mutex<Entries>,
}

/// Which form of the pincode a fingerprint covers.
#[derive(Clone, Copy)]
pub enum Pincode<'a> {
    AsSent(&'a str),
    Decrypted(&'a str),
}

impl CredentialCache {
    pub fn new(ttl: Duration, max_entries: usize) -> CredentialCache {
        let rng = aws_lc_rs::rand::SystemRandom::new();
        // A fresh key each start: fingerprints mean nothing outside this process.
        let key = hmac::Key::generate(hmac::HMAC_SHA256, &rng).unwrap_or_else(|_| {
            let fallback: [u8; 32] = rand::random();
            hmac::Key::new(hmac::HMAC_SHA256, &fallback)
        });
        CredentialCache {
            key,
            ttl,
            max_entries,
            entries: Mutex::new(HashMap::new()),
        }
    }

    pub fn fingerprint(&self, user_id: &str, password: &str, pincode: Pincode<'_>) -> [u8; 32] {
        let (form, pin) = match pincode {
            Pincode::AsSent(p) => (b'S', p),
            Pincode::Decrypted(p) => (b'D', p),
        };
        let mut context = hmac::Context::with_key(&self.key);
        for field in [user_id.as_bytes(), password.as_bytes(), pin.as_bytes()] {
            context.update(&(field.len() as u64).to_be_bytes());
            context.update(field);
        }
        context.update(&[form]);
        let mut out = [0u8; 32];
        out.copy_from_slice(context.sign().as_ref());
        out
    }

    /// The user a fingerprint was verified for, if that was under directory `version`.
    pub fn get(&self, fingerprint: &[u8; 32], version: i64) -> Option<UserRecord> {
        let mut entries = self.lock();
        match entries.get(fingerprint) {
            Some((at, made_at, user)) if at.elapsed() < self.ttl && *made_at == version => {
                Some(user.clone())
            }
            Some(_) => {
                entries.remove(fingerprint);
                None
            }
            None => None,
        }
    }

    /// Remembers a verification made against the user row read under directory `version`.
    pub fn remember(&self, fingerprints: &[[u8; 32]], user: &UserRecord, version: i64) {
        let mut entries = self.lock();
        if entries.len() + fingerprints.len() > self.max_entries {
            entries.clear();
        }
        let now = Instant::now();
        for fingerprint in fingerprints {
            entries.insert(*fingerprint, (now, version, user.clone()));
        }
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> UserRecord {
        UserRecord {
            user_id: "U1".into(),
            cf: crate::domain::CodiceFiscale::parse("RSSMRA80A01H501U").expect("a valid CF"),
            display_name: String::new(),
            password_hash: String::new(),
            pincode_hash: String::new(),
            asl: None,
            region: None,
            enabled: true,
            details: Default::default(),
            last_access: None,
        }
    }

    #[test]
    fn a_hit_needs_exactly_the_same_secrets() {
        let cache = CredentialCache::new(Duration::from_secs(60), 100);
        let fp = cache.fingerprint("U1", "pw", Pincode::Decrypted("123"));
        cache.remember(&[fp], &user(), 7);
        assert!(cache.get(&fp, 7).is_some());
        assert!(cache.get(&fp, 8).is_none(), "the directory changed since");
        for other in [
            cache.fingerprint("U1", "pw", Pincode::Decrypted("124")),
            cache.fingerprint("U1", "pX", Pincode::Decrypted("123")),
            cache.fingerprint("U2", "pw", Pincode::Decrypted("123")),
            cache.fingerprint("U1", "pw", Pincode::AsSent("123")),
            // Field boundaries are unambiguous.
            cache.fingerprint("U1p", "w", Pincode::Decrypted("123")),
        ] {
            assert!(cache.get(&other, 7).is_none());
        }
    }

    #[test]
    fn entries_expire_and_the_table_is_bounded() {
        let cache = CredentialCache::new(Duration::from_millis(10), 4);
        let fp = cache.fingerprint("U1", "pw", Pincode::Decrypted("1"));
        cache.remember(&[fp], &user(), 0);
        std::thread::sleep(Duration::from_millis(20));
        assert!(cache.get(&fp, 0).is_none(), "expired");
        for i in 0..10 {
            let fp = cache.fingerprint("U1", "pw", Pincode::Decrypted(&i.to_string()));
            cache.remember(&[fp], &user(), 0);
        }
        assert!(cache.len() <= 4);
    }
}
