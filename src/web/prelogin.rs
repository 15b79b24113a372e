//! CSRF before login, without the store. The login forms (the operators' password and smart
//! card, the administrators' password) carry a token that is an HMAC, under a server key, of
//! the form, a random value the browser holds in a short-lived cookie (`tsgate_prelogin`,
//! `SameSite=Strict`, [`LIFETIME`]) and the token's expiry. Nothing is written anywhere until a
//! login succeeds, so a client that opens the login page a million times costs the store
//! nothing. A token is good only for its own form, with its own cookie, until it expires; a
//! forged one needs the key.
//!
//! The key is derived from the key that seals the captcha's answers: `auth.secrets_key` when it
//! is set, so every instance behind a load balancer accepts the others' forms; otherwise a key
//! drawn by the process at start (a login form then works on the instance that served it, and
//! not across a restart).

use std::time::Duration;

use aws_lc_rs::constant_time::verify_slices_are_equal;
use aws_lc_rs::hmac;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use chrono::{DateTime, Utc};
use http::{HeaderMap, StatusCode};
use rand::RngCore;

use super::{page, Pages};
use crate::pki::sealing::SealingKey;

/// The pre-login cookie's name.
pub const COOKIE: &str = "tsgate_prelogin";

/// How long a login form may be left open before it must be loaded again.
pub const LIFETIME: Duration = Duration::from_secs(15 * 60);

/// What the server key is derived for, and nothing else (HKDF's info:
/// [`SealingKey::derive_mac_key`]).
const PURPOSE: &str = "tsgate web pre-login csrf v1";

/// The forms a pre-login token is issued for: a token of one is refused by the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginForm {
    /// `/web/login` (password and smart card).
    Operator,
    /// `/web/admin/accesso`.
    Administrator,
}

impl LoginForm {
    fn as_str(self) -> &'static str {
        match self {
            LoginForm::Operator => "operator",
            LoginForm::Administrator => "administrator",
        }
    }

    /// The page that serves the form.
    fn page(self) -> &'static str {
        match self {
            LoginForm::Operator => "/web/login",
            LoginForm::Administrator => super::admin::ADMIN_LOGIN,
        }
    }
}

/// What a posted token turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checked {
    Valid,
    /// Genuine, for this cookie and form, but too old: the page must be opened again.
    Expired,
    /// Missing, forged, another browser's or another form's.
    Invalid,
}

/// The key that signs pre-login tokens.
pub struct PreLoginKey(hmac::Key);

impl PreLoginKey {
    /// Derived from `key` for this purpose only.
    pub fn new(key: &SealingKey) -> PreLoginKey {
        PreLoginKey(key.derive_mac_key(PURPOSE))
    }

    /// A token of `form` for the browser holding `nonce`, good until `now` + [`LIFETIME`].
    pub fn issue(&self, form: LoginForm, nonce: &str, now: DateTime<Utc>) -> String {
        let expires = now.timestamp().saturating_add(lifetime_secs());
        format!("{expires}.{}", self.tag(form, nonce, expires))
    }

    /// Whether `token` was issued for `form` and `nonce`, and is still in time at `now`.
    pub fn check(&self, form: LoginForm, nonce: &str, token: &str, now: DateTime<Utc>) -> Checked {
        let Some((expires, tag)) = token.split_once('.') else {
            return Checked::Invalid;
        };
        let Ok(expires) = expires.parse::<i64>() else {
            return Checked::Invalid;
        };
        let expected = self.tag(form, nonce, expires);
        if nonce.is_empty() || verify_slices_are_equal(expected.as_bytes(), tag.as_bytes()).is_err()
        {
            return Checked::Invalid;
        }
        let now = now.timestamp();
        // An expiry further than one lifetime away was not issued by this clock: refused too.
        if now > expires || expires.saturating_sub(now) > lifetime_secs() {
            return Checked::Expired;
        }
        Checked::Valid
    }

    fn tag(&self, form: LoginForm, nonce: &str, expires: i64) -> String {
        let message = format!("{}.{nonce}.{expires}", form.as_str());
        let signed = hmac::sign(&self.0, message.as_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(signed.as_ref())
    }
}

fn lifetime_secs() -> i64 {
    i64::try_from(LIFETIME.as_secs()).unwrap_or(i64::MAX)
}

/// A new random value for the pre-login cookie: 256 bits, URL-safe base64.
pub fn new_nonce() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The pre-login value the request's cookies carry, if it has the shape of one.
pub fn nonce_of(headers: &HeaderMap) -> Option<String> {
    super::session::cookie_named(headers, COOKIE)
}

/// The `Set-Cookie` value that gives the browser `nonce` for [`LIFETIME`].
pub fn set_cookie(nonce: &str) -> String {
    format!(
        "{COOKIE}={nonce}; Path=/web; Secure; HttpOnly; SameSite=Strict; Max-Age={}",
        LIFETIME.as_secs()
    )
}

/// The `Set-Cookie` value that makes the browser forget it (after a login).
pub fn clear_cookie() -> String {
    format!("{COOKIE}=; Path=/web; Secure; HttpOnly; SameSite=Strict; Max-Age=0")
}

/// A login POST refused for its token: the page that says why, and that nothing was done.
pub struct TokenRefused {
    form: LoginForm,
    expired: bool,
}

impl IntoResponse for TokenRefused {
    fn into_response(self) -> Response {
        match self.expired {
            true => expired(self.form),
            false => refused(self.form),
        }
    }
}

impl Pages {
    /// The pre-login value of a POST of `form` whose token is its own and in time; otherwise
    /// the refusal, before anything else in the form is looked at.
    pub(super) fn prelogin_checked(
        &self,
        headers: &HeaderMap,
        form: LoginForm,
        token: &str,
    ) -> Result<String, TokenRefused> {
        let nonce = nonce_of(headers).unwrap_or_default();
        let expired = match self.prelogin.check(form, &nonce, token, self.now()) {
            Checked::Valid => return Ok(nonce),
            Checked::Expired => true,
            Checked::Invalid => false,
        };
        Err(TokenRefused { form, expired })
    }
}

/// A genuine login form, left open too long.
fn expired(form: LoginForm) -> Response {
    page::refusal(
        StatusCode::FORBIDDEN,
        "Pagina di accesso scaduta",
        &format!(
            "Il modulo di accesso vale {} minuti dall'apertura della pagina e questo è scaduto. \
             Nessuna operazione è stata eseguita: aprire di nuovo la pagina di accesso e \
             ripetere l'accesso.",
            LIFETIME.as_secs() / 60
        ),
        (form.page(), "Apri di nuovo la pagina di accesso"),
    )
}

/// A login POST whose token is missing, forged, another browser's or another form's.
fn refused(form: LoginForm) -> Response {
    page::refusal(
        StatusCode::FORBIDDEN,
        "Richiesta rifiutata",
        "Il modulo di accesso inviato non è stato rilasciato a questo browser per questa pagina \
         (token di sicurezza assente, alterato o di un'altra pagina), oppure il browser non ha \
         conservato il cookie tecnico della pagina di accesso. Nessuna operazione è stata \
         eseguita: aprire di nuovo la pagina di accesso.",
        (form.page(), "Apri di nuovo la pagina di accesso"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(seconds, 0).unwrap()
    }

    #[test]
    fn a_token_is_good_for_its_form_and_nonce_until_it_expires() {
        let key = PreLoginKey::new(&SealingKey::for_tests());
        let form = LoginForm::Operator;
        let nonce = new_nonce();
        let token = key.issue(form, &nonce, at(1_000_000));
        let check = |nonce: &str, token: &str, now| key.check(form, nonce, token, at(now));
        assert_eq!(check(&nonce, &token, 1_000_000), Checked::Valid);
        assert_eq!(check(&nonce, &token, 1_000_900), Checked::Valid);
        assert_eq!(check(&nonce, &token, 1_000_901), Checked::Expired);
        assert_eq!(check(&new_nonce(), &token, 1_000_000), Checked::Invalid);
        assert_eq!(check("", &token, 1_000_000), Checked::Invalid);
        let other_form = key.check(LoginForm::Administrator, &nonce, &token, at(1_000_000));
        assert_eq!(other_form, Checked::Invalid);
        let other_key = PreLoginKey::new(&SealingKey::for_tests());
        assert_eq!(
            other_key.check(form, &nonce, &token, at(1_000_000)),
            Checked::Invalid
        );
        // A later expiry cannot be written in: the tag covers it.
        let (_, tag) = token.split_once('.').unwrap();
        let stretched = format!("{}.{tag}", 1_000_000 + 10_000);
        assert_eq!(check(&nonce, &stretched, 1_000_000), Checked::Invalid);
        for bad in ["", ".", "x.y", "123", "-1.abc"] {
            assert_eq!(check(&nonce, bad, 1_000_000), Checked::Invalid, "{bad:?}");
        }
    }

    #[test]
    fn the_cookie_is_short_lived_and_strict() {
        let set = set_cookie("abc");
        for attribute in [
            "Path=/web",
            "Secure",
            "HttpOnly",
            "SameSite=Strict",
            "Max-Age=900",
        ] {
            assert!(set.contains(attribute), "{set}");
        }
        assert!(clear_cookie().contains("Max-Age=0"));
    }
}
