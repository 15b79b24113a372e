//! The login's challenges, which come before there is any session: nothing is stored when one
//! is issued. A challenge is `<expiry>.<128 random bits>`, and its answer is derived from it by
//! an HMAC, under a server key, that also covers the browser's pre-login cookie
//! ([`crate::web::prelogin`]): only the server can tell the answer, only that browser can use
//! the challenge, and only until it expires ([`super::LIFETIME`]). So an anonymous client that
//! asks for challenges without end costs the store nothing.
//!
//! Used once: a right answer is recorded (a digest of the challenge, until its expiry) in the
//! store, and the same challenge answered again is refused. That row is written only for a
//! right answer, so its number is bounded by the challenges people actually solved.

use aws_lc_rs::constant_time::verify_slices_are_equal;
use aws_lc_rs::{digest, hmac};
use chrono::{DateTime, Utc};
use rand::RngCore;

use super::{CaptchaField, CaptchaForm, Verdict, LENGTH, LIFETIME};
use crate::pki::sealing::SealingKey;
use crate::store::{Store, StoreError};

/// What the server key is derived for, and nothing else (HKDF's info:
/// [`SealingKey::derive_mac_key`]).
const PURPOSE: &str = "tsgate web login captcha v1";

/// Issues and judges the login's challenges.
pub struct StatelessCaptcha {
    key: hmac::Key,
}

/// A challenge taken apart: its expiry (seconds since the epoch) and random part.
struct Challenge<'a> {
    expires: i64,
    random: &'a str,
}

impl<'a> Challenge<'a> {
    fn parse(text: &'a str) -> Option<Challenge<'a>> {
        let (expires, random) = text.split_once('.')?;
        let well_formed = random.len() == 32 && random.bytes().all(|b| b.is_ascii_hexdigit());
        Some(Challenge {
            expires: expires.parse().ok()?,
            random: well_formed.then_some(random)?,
        })
    }
}

/// Whether `text` has the shape of a login challenge (so the picture's address can tell the
/// two kinds apart).
pub fn is_challenge(text: &str) -> bool {
    Challenge::parse(text).is_some()
}

impl StatelessCaptcha {
    pub fn new(key: &SealingKey) -> StatelessCaptcha {
        StatelessCaptcha {
            key: key.derive_mac_key(PURPOSE),
        }
    }

    /// A new challenge. Nothing binds it to a browser yet: its answer differs for each
    /// pre-login cookie, so it can only be answered by the browser it was shown to.
    pub fn issue(&self, now: DateTime<Utc>) -> CaptchaField {
        let lifetime = i64::try_from(LIFETIME.as_secs()).unwrap_or(i64::MAX);
        let mut random = [0u8; 16];
        rand::rng().fill_bytes(&mut random);
        CaptchaField {
            id: format!(
                "{}.{}",
                now.timestamp().saturating_add(lifetime),
                hex::encode(random)
            ),
            again: CaptchaForm::Login.page(),
        }
    }

    /// The digits of `challenge` for the browser holding `nonce`, to draw or read out; `None`
    /// when it is not a challenge or no longer live.
    pub fn digits(&self, nonce: &str, challenge: &str, now: DateTime<Utc>) -> Option<Vec<u8>> {
        let parsed = Challenge::parse(challenge)?;
        live(&parsed, now).then(|| self.answer(nonce, &parsed))
    }

    /// Judges `typed` as the answer to `challenge` from the browser holding `nonce`. A right
    /// answer is recorded as spent, and a challenge already spent is [`Verdict::Missing`].
    /// Wrong answers are not counted here: the login counts them as failed logins.
    pub async fn judge(
        &self,
        store: &dyn Store,
        nonce: &str,
        challenge: &str,
        typed: &str,
        now: DateTime<Utc>,
    ) -> Result<Verdict, StoreError> {
        let Some(parsed) = Challenge::parse(challenge) else {
            return Ok(Verdict::Missing);
        };
        if !live(&parsed, now) {
            return Ok(Verdict::Expired { failures: 0 });
        }
        let answer: String = self
            .answer(nonce, &parsed)
            .into_iter()
            .map(|d| char::from(b'0' + d))
            .collect();
        let typed: String = typed.chars().filter(char::is_ascii_digit).collect();
        if verify_slices_are_equal(answer.as_bytes(), typed.as_bytes()).is_err() {
            return Ok(Verdict::Wrong { failures: 0 });
        }
        let expires = DateTime::from_timestamp(parsed.expires, 0).unwrap_or(now);
        let spent = store
            .web_spent_challenges()
            .spend(&digest_of(challenge), expires, now)
            .await?;
        Ok(if spent {
            Verdict::Passed
        } else {
            Verdict::Missing
        })
    }

    /// [`LENGTH`] digits from the HMAC of the pre-login value and the challenge.
    fn answer(&self, nonce: &str, challenge: &Challenge<'_>) -> Vec<u8> {
        let message = format!("{nonce}.{}.{}", challenge.expires, challenge.random);
        let tag = hmac::sign(&self.key, message.as_bytes());
        // 64 bits reduced modulo 10^6: a bias of under 10^-13, nothing a guesser can use.
        let mut first = [0u8; 8];
        first.copy_from_slice(&tag.as_ref()[..8]);
        let mut number = u64::from_be_bytes(first) % 10u64.pow(LENGTH as u32);
        let mut digits = vec![0u8; LENGTH];
        for digit in digits.iter_mut().rev() {
            *digit = u8::try_from(number % 10).unwrap_or(0);
            number /= 10;
        }
        digits
    }
}

/// Whether `challenge` may be answered at `now`: not expired, and not expiring further away
/// than a challenge issued now would (anyone can write a challenge, not choose how long it
/// lives, nor how long its spent record is kept).
fn live(challenge: &Challenge<'_>, now: DateTime<Utc>) -> bool {
    let lifetime = i64::try_from(LIFETIME.as_secs()).unwrap_or(i64::MAX);
    let now = now.timestamp();
    now < challenge.expires && challenge.expires - now <= lifetime
}

/// What the store keeps of a spent challenge.
fn digest_of(challenge: &str) -> String {
    hex::encode(digest::digest(&digest::SHA256, challenge.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_answer_depends_on_the_browser_and_the_challenge_lives_its_lifetime() {
        let captcha = StatelessCaptcha::new(&SealingKey::for_tests());
        let now = DateTime::from_timestamp(1_000_000, 0).unwrap();
        let field = captcha.issue(now);
        assert!(is_challenge(&field.id), "{}", field.id);
        let mine = captcha.digits("nonce-a", &field.id, now).unwrap();
        assert_eq!(mine.len(), LENGTH);
        assert!(mine.iter().all(|d| *d < 10));
        assert_eq!(
            captcha.digits("nonce-a", &field.id, now),
            Some(mine.clone())
        );
        let others: Vec<_> = (0..5)
            .filter_map(|i| captcha.digits(&format!("nonce-{i}"), &field.id, now))
            .collect();
        assert!(others.iter().any(|o| *o != mine), "bound to the cookie");
        let later = now + chrono::Duration::seconds(300);
        assert_eq!(captcha.digits("nonce-a", &field.id, later), None);
        let far = format!("{}.{}", 1_000_000 + 3600, &field.id[field.id.len() - 32..]);
        assert_eq!(
            captcha.digits("nonce-a", &far, now),
            None,
            "longer than issued"
        );
        for bad in ["", "1.2", "x.0123456789abcdef0123456789abcdef", "../../etc"] {
            assert!(!is_challenge(bad), "{bad:?}");
        }
    }
}
