//! The captcha (seed 004 §3.5d: against automated use of the web application), made here, with
//! no outside service: six digits, shown as a distorted picture ([`image`], a PNG of our own
//! [`png`] encoder) or read aloud over noise ([`audio`]). Every picture and every sound is
//! drawn afresh; the answer never reaches the page.
//!
//! The OTP form's challenge ([`challenge`]) belongs to one session and that form, expires after
//! [`LIFETIME`], and is used once: any answer, right or wrong, ends it, and a wrong one brings a
//! new one. After [`MAX_FAILURES`] wrong answers on a form the session is ended. The answer is
//! kept in the store sealed with `auth.secrets_key` ([`crate::pki::sealing`], bound to the
//! session, the form and the challenge), so the store alone does not tell it; the tests, which
//! hold their gateway's key, read it there — the same way anyone holding the key could, with
//! no other way in.
//!
//! The login's challenge comes before any session, so nothing is stored to issue it
//! ([`stateless`]): its answer is derived by an HMAC from the challenge and the browser's
//! pre-login cookie, under a key derived from the same one; only a right answer is recorded,
//! so that it serves once. The tests derive the answer with their gateway's key the same way.

pub mod audio;
pub mod challenge;
mod font;
pub mod guard;
pub mod image;
mod png;
pub mod serve;
pub mod stateless;
mod wav;

use std::time::Duration;

pub use challenge::{Captcha, Verdict};

/// Digits in an answer.
pub const LENGTH: usize = 6;
/// How long a challenge may be answered.
pub const LIFETIME: Duration = Duration::from_secs(5 * 60);
/// Wrong answers a session may give on one form before it is ended.
pub const MAX_FAILURES: u32 = 5;

/// The forms a captcha guards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptchaForm {
    /// The login, after failed logins from the address or as the user id ([`stateless`]).
    Login,
    /// The OTP service's form, always.
    Otp,
}

impl CaptchaForm {
    pub fn as_str(self) -> &'static str {
        match self {
            CaptchaForm::Login => "login",
            CaptchaForm::Otp => "otp",
        }
    }

    /// The page of the form: opening it again shows another challenge.
    pub fn page(self) -> &'static str {
        match self {
            CaptchaForm::Login => "/web/login",
            CaptchaForm::Otp => "/web/immuni",
        }
    }
}

/// What a page shows of a challenge: where its picture and sound are.
pub struct CaptchaField {
    pub id: String,
    /// The page that shows another challenge ("altra immagine", "altro audio").
    pub again: &'static str,
}

impl CaptchaField {
    pub fn image(&self) -> String {
        format!("/web/captcha/{}/immagine.png", self.id)
    }

    pub fn audio(&self) -> String {
        format!("/web/captcha/{}/audio.wav", self.id)
    }
}
