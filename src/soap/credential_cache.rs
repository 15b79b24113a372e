//! Verified Basic + pincode credentials, remembered briefly. Practice software sends the same
//! credentials with every call, and each check costs two argon2 verifications (tens of ms of
//! CPU) plus an RSA decryption; this cache makes repeat calls cheap without weakening the check:
//!
//! - only *successful* verifications are remembered; every failure runs the full check;
//! - the key is an HMAC (with a per-process random key) over user id, password and pincode, so
//!   the table never holds a secret, and a hit needs exactly the same secrets;
//! - a hit counts only while the user's current row (read on every request) is enabled and has
//!   the same hashes the verification was made against: a changed password or pincode, or a
//!   disabled user, takes effect on the next request;
//! - entries expire after `ttl`, and the table is bounded: when full, it is cleared.
//!
//! Two keys per success: one over the pinCode as sent (clients that encrypt once and resend the
//! same base64 skip the RSA decryption too) and one over the decrypted pincode.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use aws_lc_rs::hmac;

use crate::store::UserRecord;

pub struct CredentialCache {
    key: hmac::Key,
    ttl: Duration,
    max_entries: usize,
    entries: Mutex<HashMap<[u8; 32], (Instant, UserRecord)>>,
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

    pub fn get(&self, fingerprint: &[u8; 32]) -> Option<UserRecord> {
        let mut entries = self.lock();
        match entries.get(fingerprint) {
            Some((at, user)) if at.elapsed() < self.ttl => Some(user.clone()),
            Some(_) => {
                entries.remove(fingerprint);
                None
            }
            None => None,
        }
    }

    pub fn remember(&self, fingerprints: &[[u8; 32]], user: &UserRecord) {
        let mut entries = self.lock();
        if entries.len() + fingerprints.len() > self.max_entries {
            entries.clear();
        }
        let now = Instant::now();
        for fingerprint in fingerprints {
            entries.insert(*fingerprint, (now, user.clone()));
        }
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], (Instant, UserRecord)>> {
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
            cf: "RSSMRA80A01H501U".into(),
            display_name: String::new(),
            password_hash: String::new(),
            pincode_hash: String::new(),
            asl: None,
            region: None,
            enabled: true,
        }
    }

    #[test]
    fn a_hit_needs_exactly_the_same_secrets() {
        let cache = CredentialCache::new(Duration::from_secs(60), 100);
        let fp = cache.fingerprint("U1", "pw", Pincode::Decrypted("123"));
        cache.remember(&[fp], &user());
        assert!(cache.get(&fp).is_some());
        for other in [
            cache.fingerprint("U1", "pw", Pincode::Decrypted("124")),
            cache.fingerprint("U1", "pX", Pincode::Decrypted("123")),
            cache.fingerprint("U2", "pw", Pincode::Decrypted("123")),
            cache.fingerprint("U1", "pw", Pincode::AsSent("123")),
            // Field boundaries are unambiguous.
            cache.fingerprint("U1p", "w", Pincode::Decrypted("123")),
        ] {
            assert!(cache.get(&other).is_none());
        }
    }

    #[test]
    fn entries_expire_and_the_table_is_bounded() {
        let cache = CredentialCache::new(Duration::from_millis(10), 4);
        let fp = cache.fingerprint("U1", "pw", Pincode::Decrypted("1"));
        cache.remember(&[fp], &user());
        std::thread::sleep(Duration::from_millis(20));
        assert!(cache.get(&fp).is_none(), "expired");
        for i in 0..10 {
            let fp = cache.fingerprint("U1", "pw", Pincode::Decrypted(&i.to_string()));
            cache.remember(&[fp], &user());
        }
        assert!(cache.len() <= 4);
    }
}
