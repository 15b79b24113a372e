//! Time-based one-time codes (TOTP, RFC 6238) as authenticator apps make them: HMAC-SHA1 over
//! the number of 30-second steps since the epoch (HOTP, RFC 4226), 6 digits, a 20-byte random
//! secret shown once as base32 (RFC 4648, no padding) and as an `otpauth://` URI. A code is
//! accepted for its own step and one step either side (clocks drift, people type slowly);
//! which steps were already used is the store's business ([`super::second_factor`]).
//!
//! SHA-1 is what every authenticator app implements for TOTP; as an HMAC key it is not weakened
//! by SHA-1's collisions, hence aws-lc-rs's `HMAC_SHA1_FOR_LEGACY_USE_ONLY`.

use std::fmt;

use aws_lc_rs::{constant_time, hmac};
use zeroize::Zeroizing;

/// Digits of a code.
pub const DIGITS: u32 = 6;
/// Seconds per step.
pub const STEP_SECONDS: i64 = 30;
/// Steps either side of the current one whose code is still accepted.
pub const SKEW_STEPS: i64 = 1;
/// Bytes of a new secret (160 bits, RFC 4226's recommendation).
pub const SECRET_BYTES: usize = 20;

/// A TOTP secret. Wiped from memory when dropped; `Debug` shows nothing of it.
pub struct TotpSecret {
    bytes: Zeroizing<Vec<u8>>,
}

#[derive(Debug, thiserror::Error)]
#[error("the system's random number generator failed")]
pub struct RandomFailed;

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a base32 TOTP secret")]
pub struct NotBase32;

impl TotpSecret {
    /// A new random secret of [`SECRET_BYTES`].
    pub fn generate() -> Result<TotpSecret, RandomFailed> {
        let mut bytes = Zeroizing::new(vec![0u8; SECRET_BYTES]);
        aws_lc_rs::rand::fill(&mut bytes).map_err(|_| RandomFailed)?;
        Ok(TotpSecret { bytes })
    }

    /// From its base32 form (upper or lower case, spaces ignored, no padding).
    pub fn from_base32(text: &str) -> Result<TotpSecret, NotBase32> {
        let cleaned: Zeroizing<String> = Zeroizing::new(
            text.chars()
                .filter(|c| !c.is_whitespace())
                .map(|c| c.to_ascii_uppercase())
                .collect(),
        );
        let bytes = data_encoding::BASE32_NOPAD
            .decode(cleaned.as_bytes())
            .map_err(|_| NotBase32)?;
        if bytes.is_empty() {
            return Err(NotBase32);
        }
        Ok(TotpSecret {
            bytes: Zeroizing::new(bytes),
        })
    }

    /// From raw bytes (the RFC's test secrets).
    pub fn from_bytes(bytes: &[u8]) -> TotpSecret {
        TotpSecret {
            bytes: Zeroizing::new(bytes.to_vec()),
        }
    }

    /// The base32 form an authenticator app takes (RFC 4648, no padding).
    pub fn to_base32(&self) -> Zeroizing<String> {
        Zeroizing::new(data_encoding::BASE32_NOPAD.encode(&self.bytes))
    }

    /// The code of `step` with `digits` digits (HOTP, RFC 4226 §5.3).
    pub fn code_at_step(&self, step: i64, digits: u32) -> u32 {
        let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, &self.bytes);
        let tag = hmac::sign(&key, &step.to_be_bytes());
        let mac = tag.as_ref();
        let offset = usize::from(mac[mac.len() - 1] & 0x0f);
        let truncated = u32::from_be_bytes([
            mac[offset] & 0x7f,
            mac[offset + 1],
            mac[offset + 2],
            mac[offset + 3],
        ]);
        truncated % 10u32.pow(digits)
    }

    /// The [`DIGITS`]-digit code of `step`, zero-padded, as an app shows it.
    pub fn code(&self, step: i64) -> String {
        format!(
            "{:0width$}",
            self.code_at_step(step, DIGITS),
            width = DIGITS as usize
        )
    }

    /// The step `code` belongs to, if it is the code of the step of `unix_seconds` or of one
    /// within [`SKEW_STEPS`] of it; the latest such step if several match. Every candidate is
    /// computed and compared in constant time, so the time taken says nothing about the code.
    pub fn matching_step(&self, code: &str, unix_seconds: i64) -> Option<i64> {
        let well_formed = code.len() == DIGITS as usize && code.bytes().all(|b| b.is_ascii_digit());
        let now = step_at(unix_seconds);
        let mut matched = None;
        for step in now - SKEW_STEPS..=now + SKEW_STEPS {
            let expected = self.code(step);
            let equal =
                constant_time::verify_slices_are_equal(expected.as_bytes(), code.as_bytes())
                    .is_ok();
            if equal && well_formed {
                matched = Some(step);
            }
        }
        matched
    }
}

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSecret(..)")
    }
}

/// The step of `unix_seconds` (floor division: negative times have negative steps).
pub fn step_at(unix_seconds: i64) -> i64 {
    unix_seconds.div_euclid(STEP_SECONDS)
}

/// The `otpauth://totp/ISSUER:ACCOUNT?…` URI an app reads (as a QR code or pasted), per the
/// Key Uri Format authenticator apps share: the label and issuer percent-encoded, and the
/// algorithm, digits and period spelt out although they are the defaults.
pub fn provisioning_uri(issuer: &str, account: &str, secret: &TotpSecret) -> Zeroizing<String> {
    let issuer = percent_encode(issuer);
    Zeroizing::new(format!(
        "otpauth://totp/{issuer}:{account}?secret={secret}&issuer={issuer}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
        account = percent_encode(account),
        secret = secret.to_base32().as_str(),
    ))
}

/// RFC 3986 percent-encoding of everything but the unreserved characters.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(char::from(byte))
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B, the SHA-1 rows: the ASCII secret "12345678901234567890", 8 digits.
    #[test]
    fn rfc_6238_appendix_b_sha1_vectors() {
        let secret = TotpSecret::from_bytes(b"12345678901234567890");
        for (time, expected) in [
            (59, 94287082),
            (1111111109, 7081804),
            (1111111111, 14050471),
            (1234567890, 89005924),
            (2000000000, 69279037),
            (20000000000, 65353130),
        ] {
            assert_eq!(
                secret.code_at_step(step_at(time), 8),
                expected,
                "T = {time}"
            );
        }
    }

    /// RFC 4226 Appendix D: the HOTP values of counters 0–9 for the same secret, 6 digits.
    #[test]
    fn rfc_4226_appendix_d_hotp_vectors() {
        let secret = TotpSecret::from_bytes(b"12345678901234567890");
        let expected = [
            "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583",
            "399871", "520489",
        ];
        for (counter, code) in expected.iter().enumerate() {
            assert_eq!(secret.code(counter as i64), *code, "counter {counter}");
        }
    }

    #[test]
    fn base32_round_trip_and_bad_text_refused() {
        let secret = TotpSecret::from_bytes(b"12345678901234567890");
        let text = secret.to_base32();
        assert_eq!(text.as_str(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        let again = TotpSecret::from_base32("gezd gnbv gy3t qojq gezd gnbv gy3t qojq").unwrap();
        assert_eq!(again.code(1), secret.code(1));
        for bad in ["", "   ", "GEZDGNB1", "GEZDGNBVGY3TQOJQ====", "é"] {
            assert_eq!(
                TotpSecret::from_base32(bad).err(),
                Some(NotBase32),
                "{bad:?}"
            );
        }
        let generated = TotpSecret::generate().unwrap();
        assert_eq!(
            generated.to_base32().len(),
            32,
            "20 bytes are 32 base32 characters"
        );
        assert_ne!(
            generated.to_base32().as_str(),
            TotpSecret::generate().unwrap().to_base32().as_str()
        );
        assert_eq!(format!("{generated:?}"), "TotpSecret(..)");
    }

    #[test]
    fn a_code_matches_its_step_and_one_either_side_only() {
        let secret = TotpSecret::generate().unwrap();
        let now = 1_800_000_015;
        let step = step_at(now);
        for (offset, accepted) in [(-2, false), (-1, true), (0, true), (1, true), (2, false)] {
            let code = secret.code(step + offset);
            let matched = secret.matching_step(&code, now);
            if accepted {
                assert_eq!(matched, Some(step + offset), "offset {offset}");
            } else {
                assert_ne!(matched, Some(step + offset), "offset {offset}");
            }
        }
        let code = secret.code(step);
        for bad in [
            "",
            "12345",
            "1234567",
            "abcdef",
            &format!(" {code}"),
            "١٢٣٤٥٦",
        ] {
            assert_eq!(secret.matching_step(bad, now), None, "{bad:?}");
        }
    }

    #[test]
    fn the_uri_names_issuer_account_and_parameters() {
        let secret = TotpSecret::from_bytes(b"12345678901234567890");
        let uri = provisioning_uri("tsgate ASL 201", "OP 1@x", &secret);
        assert_eq!(
            uri.as_str(),
            "otpauth://totp/tsgate%20ASL%20201:OP%201%40x?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\
             &issuer=tsgate%20ASL%20201&algorithm=SHA1&digits=6&period=30"
        );
    }

    /// Debian's `oathtool --totp` (an independent implementation) agrees with ours on a fresh
    /// secret at several times.
    #[test]
    #[ignore = "needs oathtool (Debian package oathtool)"]
    fn oathtool_agrees() {
        let secret = TotpSecret::generate().unwrap();
        for time in [59_i64, 1_111_111_109, 1_700_000_000, 2_000_000_000] {
            let output = std::process::Command::new("oathtool")
                .args(["--totp", "--base32", "--now"])
                .arg(format!("@{time}"))
                .arg(secret.to_base32().as_str())
                .output()
                .expect("oathtool runs (apt-get install oathtool)");
            assert!(output.status.success(), "{output:?}");
            let theirs = String::from_utf8_lossy(&output.stdout).trim().to_owned();
            assert_eq!(theirs, secret.code(step_at(time)), "T = {time}");
        }
    }
}
