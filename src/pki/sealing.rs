//! Encryption at rest for the few secrets the gateway must be able to show again later (the
//! second half of an operator's pincode, an operator's TOTP secret), where a hash will not do.
//! AES-256-GCM with a random nonce, under a key that lives in a file named by configuration
//! (`auth.secrets_key`), never in the database beside what it protects: a copy of the database
//! alone reveals nothing. Each sealed value is bound to its `purpose` (what it is and whose, e.g.
//! `pincode-second-half:DEMO01`) as associated data, so a value copied onto another row or used
//! for something else does not open.

use std::path::Path;

use aws_lc_rs::aead::{Aad, Nonce, RandomizedNonceKey, AES_256_GCM, NONCE_LEN};
use aws_lc_rs::hmac;
use base64::Engine;

use super::hkdf;

/// The version tag in front of every sealed value, so a later key rotation can tell them apart.
const FORMAT: &str = "v1.";
const KEY_BYTES: usize = 32;
/// HKDF's salt for the keys derived from this one: public and fixed, as RFC 5869 allows for
/// input that is already uniformly random.
const DERIVATION_SALT: &[u8] = b"tsgate auth.secrets_key derivation";

pub struct SealingKey {
    key: RandomizedNonceKey,
    /// HKDF's pseudorandom key extracted from the same bytes, only to derive keys for other
    /// purposes from.
    derivation: hmac::Key,
}

#[derive(Debug, thiserror::Error)]
pub enum SealingKeyError {
    #[error(
        "auth.secrets_key is not set: this needs the key that seals secrets at rest \
         (`tsgate certs init` writes certs/secrets.key; name it as secrets_key in [auth])"
    )]
    NotConfigured,
    #[error("auth.secrets_key: {0}")]
    Setting(Box<SealingKeyError>),
    #[error("cannot read the secrets key {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "the secrets key {path} is not 64 hexadecimal digits (32 random bytes); \
         `tsgate certs init` writes one"
    )]
    Malformed { path: String },
    #[error("the system's random number generator failed")]
    Random,
}

/// A sealed value did not open: not ours, altered, or sealed for another purpose. Deliberately
/// without detail.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("a sealed secret could not be opened (altered, or sealed with another key or purpose)")]
pub struct Unsealable;

/// Sealing itself failed (the system's random number generator).
#[derive(Debug, thiserror::Error)]
#[error("a secret could not be sealed: the system's random number generator failed")]
pub struct SealFailed;

impl SealingKey {
    /// Reads the key file: 64 hexadecimal digits, surrounding whitespace ignored.
    pub fn load(path: &Path) -> Result<SealingKey, SealingKeyError> {
        let text = std::fs::read_to_string(path).map_err(|source| SealingKeyError::Read {
            path: path.display().to_string(),
            source,
        })?;
        let malformed = || SealingKeyError::Malformed {
            path: path.display().to_string(),
        };
        let bytes = hex::decode(text.trim()).map_err(|_| malformed())?;
        if bytes.len() != KEY_BYTES {
            return Err(malformed());
        }
        SealingKey::from_bytes(&bytes).ok_or_else(malformed)
    }

    /// The key the setting `auth.secrets_key` names (`path`); every error names the setting.
    /// Only what seals or opens a secret needs it: the gateway serves without it.
    pub fn from_setting(path: Option<&Path>) -> Result<SealingKey, SealingKeyError> {
        let path = path.ok_or(SealingKeyError::NotConfigured)?;
        SealingKey::load(path).map_err(|e| SealingKeyError::Setting(Box::new(e)))
    }

    /// A fresh random key that lives as long as the process: for what needs sealing only
    /// while it runs (the web captcha's answers) when `auth.secrets_key` is not set.
    pub fn ephemeral() -> Result<SealingKey, SealingKeyError> {
        let mut bytes = [0u8; KEY_BYTES];
        aws_lc_rs::rand::fill(&mut bytes).map_err(|_| SealingKeyError::Random)?;
        SealingKey::from_bytes(&bytes).ok_or(SealingKeyError::Random)
    }

    /// A fresh random key, for unit tests of what seals.
    #[cfg(test)]
    pub(crate) fn for_tests() -> SealingKey {
        let mut bytes = [0u8; KEY_BYTES];
        aws_lc_rs::rand::fill(&mut bytes).unwrap_or_else(|e| panic!("{e}"));
        SealingKey::from_bytes(&bytes).unwrap_or_else(|| panic!("a key"))
    }

    fn from_bytes(bytes: &[u8]) -> Option<SealingKey> {
        RandomizedNonceKey::new(&AES_256_GCM, bytes)
            .ok()
            .map(|key| SealingKey {
                key,
                derivation: hkdf::extract(DERIVATION_SALT, bytes),
            })
    }

    /// An HMAC-SHA256 key for `purpose` (the web's pre-login tokens, the login's captcha),
    /// derived from this key with HKDF-SHA256 (RFC 5869, `purpose` as its info): the same on
    /// every instance that shares the key file, another for each purpose, and never the key
    /// that seals.
    pub fn derive_mac_key(&self, purpose: &str) -> hmac::Key {
        let derived = hkdf::expand_block(&self.derivation, purpose.as_bytes());
        hmac::Key::new(hmac::HMAC_SHA256, &derived)
    }

    /// A new key as its file holds it (64 hexadecimal digits and a newline).
    pub fn generate_file_text() -> Result<String, SealingKeyError> {
        let mut bytes = [0u8; KEY_BYTES];
        aws_lc_rs::rand::fill(&mut bytes).map_err(|_| SealingKeyError::Random)?;
        Ok(format!("{}\n", hex::encode(bytes)))
    }

    /// `secret` encrypted for `purpose`: `v1.` + base64(nonce ‖ ciphertext ‖ tag).
    pub fn seal(&self, secret: &str, purpose: &str) -> Result<String, SealFailed> {
        let mut in_out = secret.as_bytes().to_vec();
        let nonce = self
            .key
            .seal_in_place_append_tag(Aad::from(purpose.as_bytes()), &mut in_out)
            .map_err(|_| SealFailed)?;
        let mut sealed = nonce.as_ref().to_vec();
        sealed.extend_from_slice(&in_out);
        Ok(format!(
            "{FORMAT}{}",
            base64::engine::general_purpose::STANDARD.encode(sealed)
        ))
    }

    /// The secret `seal` was given for the same `purpose`.
    pub fn open(&self, sealed: &str, purpose: &str) -> Result<String, Unsealable> {
        let encoded = sealed.strip_prefix(FORMAT).ok_or(Unsealable)?;
        let mut bytes = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|_| Unsealable)?;
        if bytes.len() < NONCE_LEN {
            return Err(Unsealable);
        }
        let mut ciphertext = bytes.split_off(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(&bytes).map_err(|_| Unsealable)?;
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(purpose.as_bytes()), &mut ciphertext)
            .map_err(|_| Unsealable)?;
        String::from_utf8(plain.to_vec()).map_err(|_| Unsealable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SealingKey {
        let text = SealingKey::generate_file_text().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets.key");
        std::fs::write(&path, text).unwrap();
        SealingKey::load(&path).unwrap()
    }

    #[test]
    fn a_sealed_secret_opens_for_its_purpose_only() {
        let key = key();
        let sealed = key.seal("54321", "pincode-second-half:DEMO01").unwrap();
        assert!(sealed.starts_with("v1."));
        assert!(!sealed.contains("54321"));
        assert_eq!(
            key.open(&sealed, "pincode-second-half:DEMO01").unwrap(),
            "54321"
        );
        assert_eq!(
            key.open(&sealed, "pincode-second-half:DEMO02"),
            Err(Unsealable)
        );
    }

    #[test]
    fn a_derived_key_is_the_same_from_the_same_file_and_another_for_each_purpose() {
        let text = SealingKey::generate_file_text().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets.key");
        std::fs::write(&path, &text).unwrap();
        let (one, again) = (
            SealingKey::load(&path).unwrap(),
            SealingKey::load(&path).unwrap(),
        );
        let tag = |key: &SealingKey, purpose: &str| {
            hmac::sign(&key.derive_mac_key(purpose), b"message")
                .as_ref()
                .to_vec()
        };
        assert_eq!(tag(&one, "a"), tag(&again, "a"));
        assert_ne!(tag(&one, "a"), tag(&one, "b"));
        assert_ne!(tag(&one, "a"), tag(&key(), "a"));
    }

    #[test]
    fn two_seals_of_one_secret_differ_and_another_key_cannot_open_them() {
        let (a, b) = (key(), key());
        let first = a.seal("12345", "p").unwrap();
        assert_ne!(first, a.seal("12345", "p").unwrap());
        assert_eq!(b.open(&first, "p"), Err(Unsealable));
    }

    #[test]
    fn altered_or_malformed_values_do_not_open() {
        let key = key();
        let sealed = key.seal("12345", "p").unwrap();
        let mut altered = sealed.clone().into_bytes();
        let last = altered.len() - 3;
        altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
        let altered = String::from_utf8(altered).unwrap();
        for bad in [altered.as_str(), "", "v1.", "v1.!!!", "v2.AAAA", "v1.AAAA"] {
            assert_eq!(key.open(bad, "p"), Err(Unsealable), "{bad:?}");
        }
    }

    #[test]
    fn a_key_file_that_is_not_32_hex_bytes_is_refused_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets.key");
        for text in ["", "abcd", &"zz".repeat(32), &"00".repeat(33)] {
            std::fs::write(&path, text).unwrap();
            let err = SealingKey::load(&path).err().unwrap().to_string();
            assert!(err.contains("secrets.key"), "{err}");
        }
        let missing = SealingKey::load(&dir.path().join("absent.key"));
        assert!(matches!(missing, Err(SealingKeyError::Read { .. })));
        let setting = SealingKey::from_setting(Some(&dir.path().join("absent.key")));
        let err = setting.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            err.starts_with("auth.secrets_key: cannot read") && err.contains("absent.key"),
            "{err}"
        );
        let unset = SealingKey::from_setting(None).err().map(|e| e.to_string());
        assert!(
            unset.is_some_and(|e| e.starts_with("auth.secrets_key is not set")),
            "named"
        );
    }
}
