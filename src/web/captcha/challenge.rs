//! Issuing and judging challenges: the answer drawn, sealed and stored with its session and
//! form; an answer judged once, in constant time, against the opened answer.

use aws_lc_rs::constant_time::verify_slices_are_equal;
use chrono::{DateTime, Utc};
use rand::{Rng, RngCore};

use super::{CaptchaField, CaptchaForm, LENGTH, LIFETIME, MAX_FAILURES};
use crate::pki::sealing::SealingKey;
use crate::store::{Store, StoreError, WebCaptchaRecord};

/// What judging an answer found. Every verdict but `Passed` has used the challenge up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Passed,
    /// Wrong; the session's wrong answers on this form so far.
    Wrong {
        failures: u32,
    },
    /// Answered too late; the session's wrong answers on this form so far.
    Expired {
        failures: u32,
    },
    /// No such challenge for this session and form: never issued, used, or another's.
    Missing,
}

impl Verdict {
    /// What the form says again when the answer did not pass; `None` when it did.
    pub fn refusal(self) -> Option<&'static str> {
        match self {
            Verdict::Passed => None,
            Verdict::Wrong { .. } => Some(
                "Il codice di sicurezza non è corretto: inserire i caratteri della nuova immagine \
                 (o ascoltare l'audio).",
            ),
            Verdict::Expired { .. } => {
                Some("Il codice di sicurezza è scaduto: inserire i caratteri della nuova immagine.")
            }
            Verdict::Missing => Some("Inserire il codice di sicurezza della nuova immagine."),
        }
    }
}

/// Why a challenge could not be issued or judged.
#[derive(Debug, thiserror::Error)]
pub enum CaptchaError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("a captcha answer could not be sealed: the system's random number generator failed")]
    Seal,
    #[error("a captcha answer does not open with this gateway's key (altered, or another key)")]
    Unsealable,
}

/// Issues and judges challenges with the key their answers are sealed with.
pub struct Captcha {
    key: SealingKey,
}

/// What the answer of `record` is sealed for: its session, form and id, so a sealed answer
/// copied to another row does not open.
pub fn purpose(record: &WebCaptchaRecord) -> String {
    format!(
        "web-captcha:{}:{}:{}",
        record.session_hash, record.form, record.id
    )
}

/// `LENGTH` random digits.
fn draw_answer() -> String {
    let mut rng = rand::rng();
    (0..LENGTH)
        .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
        .collect()
}

/// 128 random bits, hexadecimal.
fn draw_id() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Whether `text` has the shape of a challenge id (so nothing else reaches a query).
pub fn is_id(text: &str) -> bool {
    text.len() == 32 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The digits of what was typed: spaces and other separators are forgiven.
fn typed_digits(typed: &str) -> String {
    typed.chars().filter(char::is_ascii_digit).collect()
}

impl Captcha {
    pub fn new(key: SealingKey) -> Captcha {
        Captcha { key }
    }

    /// A new challenge for `form` of the session `session_hash`, in place of the one it had
    /// (whose count of wrong answers it keeps). Expired challenges are purged first.
    pub async fn issue(
        &self,
        store: &dyn Store,
        session_hash: &str,
        form: CaptchaForm,
        now: DateTime<Utc>,
    ) -> Result<CaptchaField, CaptchaError> {
        let captchas = store.web_captchas();
        captchas.purge(now).await?;
        let failures = captchas
            .find_for_form(session_hash, form.as_str())
            .await?
            .map_or(0, |old| old.failures);
        self.reissue(store, session_hash, form, failures, now).await
    }

    /// A new challenge for `form` of the session, which gave `failures` wrong answers on it
    /// (what [`Captcha::judge`] said of the last one).
    pub async fn reissue(
        &self,
        store: &dyn Store,
        session_hash: &str,
        form: CaptchaForm,
        failures: u32,
        now: DateTime<Utc>,
    ) -> Result<CaptchaField, CaptchaError> {
        let lifetime = chrono::Duration::from_std(LIFETIME).unwrap_or(chrono::Duration::MAX);
        let mut record = WebCaptchaRecord {
            id: draw_id(),
            session_hash: session_hash.to_owned(),
            form: form.as_str().to_owned(),
            sealed_answer: String::new(),
            failures,
            expires: now.checked_add_signed(lifetime).unwrap_or(now),
        };
        record.sealed_answer = self
            .key
            .seal(&draw_answer(), &purpose(&record))
            .map_err(|_| CaptchaError::Seal)?;
        store.web_captchas().replace(&record).await?;
        Ok(CaptchaField {
            id: record.id,
            again: form.page(),
        })
    }

    /// Judges `typed` as the answer to challenge `id` of `form`, using the challenge up. The
    /// caller then issues the next one: after `Wrong` or `Expired` with [`Captcha::reissue`]
    /// (which carries the count of wrong answers on), unless [`Captcha::exhausted`].
    pub async fn judge(
        &self,
        store: &dyn Store,
        session_hash: &str,
        form: CaptchaForm,
        id: &str,
        typed: &str,
        now: DateTime<Utc>,
    ) -> Result<Verdict, CaptchaError> {
        if !is_id(id) {
            return Ok(Verdict::Missing);
        }
        let captchas = store.web_captchas();
        let Some(record) = captchas.find(session_hash, id).await? else {
            return Ok(Verdict::Missing);
        };
        // Only the request whose delete removed the row judges it: one answer a challenge.
        if record.form != form.as_str() || !captchas.take(session_hash, id).await? {
            return Ok(Verdict::Missing);
        }
        if record.expires <= now {
            return Ok(Verdict::Expired {
                failures: record.failures,
            });
        }
        let answer = self
            .key
            .open(&record.sealed_answer, &purpose(&record))
            .map_err(|_| CaptchaError::Unsealable)?;
        let typed = typed_digits(typed);
        if verify_slices_are_equal(answer.as_bytes(), typed.as_bytes()).is_ok() {
            return Ok(Verdict::Passed);
        }
        Ok(Verdict::Wrong {
            failures: record.failures.saturating_add(1),
        })
    }

    /// Whether a session with `failures` wrong answers on a form must be ended.
    pub fn exhausted(failures: u32) -> bool {
        failures >= MAX_FAILURES
    }

    /// The digits of the session's live challenge `id`, to draw or read out; `None` when
    /// there is no such live challenge.
    pub async fn digits(
        &self,
        store: &dyn Store,
        session_hash: &str,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Vec<u8>>, CaptchaError> {
        if !is_id(id) {
            return Ok(None);
        }
        let Some(record) = store.web_captchas().find(session_hash, id).await? else {
            return Ok(None);
        };
        if record.expires <= now {
            return Ok(None);
        }
        let answer = self
            .key
            .open(&record.sealed_answer, &purpose(&record))
            .map_err(|_| CaptchaError::Unsealable)?;
        Ok(Some(answer.bytes().map(|b| b.wrapping_sub(b'0')).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_six_digits_and_ids_128_bits() {
        let answer = draw_answer();
        assert_eq!(answer.len(), LENGTH);
        assert!(answer.bytes().all(|b| b.is_ascii_digit()));
        assert_ne!(draw_id(), draw_id());
        assert!(is_id(&draw_id()));
        assert!(!is_id("../../etc/passwd") && !is_id(""));
        assert_eq!(typed_digits(" 12 34-56 "), "123456");
    }
}
