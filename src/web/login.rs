//! "AUTENTICAZIONE" (seed 000): Codice Identificativo, Parola chiave and, for an operator
//! enrolled in the second factor, the code of their authenticator app; or the smart card the
//! connection presented; and "Esci". Who may log in is [`crate::identity::Identity`]'s call,
//! with the same address budget and account lockout as SOAP. After a few failed logins from
//! the address or as the user id ([`super::login_failures`]) the form asks for the captcha too,
//! judged before the password.
//!
//! Nothing is written to the store before a login succeeds: the form's CSRF token is stateless
//! ([`super::prelogin`]), and so is the captcha's challenge ([`super::captcha::stateless`]).

use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Form};
use http::{HeaderMap, StatusCode};
use serde::Deserialize;

use super::captcha::{CaptchaField, Verdict};
use super::page::{self, Chrome, Crumb, HOME};
use super::prelogin::{self, LoginForm};
use super::session::{self, Holder};
use super::{totp_enroll, Pages, Visitor};
use crate::config::TotpMode;
use crate::identity::{Caller, Credentials, Peer, Refused};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    chrome: Chrome,
    csrf: &'a str,
    /// Shown in the Messaggi box instead of the invitation to log in.
    message: Option<String>,
    /// The user id typed, given back after a failure (never the password).
    user_id: &'a str,
    helpdesk_phone: Option<&'a str>,
    /// The connection presented a smart card (TS-CNS/CNS) certificate.
    card: bool,
    /// After failed logins: the captcha.
    captcha: Option<CaptchaField>,
    /// The second factor is on (`auth.totp`): the form has the field for an enrolled
    /// operator's code (shown to everyone, so it tells nothing about an account).
    asks_code: bool,
}

fn trail() -> Vec<Crumb> {
    vec![
        HOME,
        Crumb {
            label: "Autenticazione",
            href: None,
        },
    ]
}

impl Pages {
    fn login_page(
        &self,
        status: StatusCode,
        csrf: &str,
        visitor: &Visitor,
        user_id: &str,
        message: Option<String>,
        captcha: Option<CaptchaField>,
    ) -> Response {
        let page = LoginPage {
            chrome: Chrome::public(trail()),
            csrf,
            message,
            user_id,
            helpdesk_phone: self.helpdesk_phone.as_deref(),
            card: matches!(visitor.peer.as_ref(), Peer::Card { .. }),
            captcha,
            asks_code: self.gateway.identity.second_factor().mode() != TotpMode::Off,
        };
        page::html(status, &page)
    }

    /// Whether a login from `visitor` as `user_id` (empty: not known yet) must answer the
    /// captcha.
    pub(super) fn login_needs_captcha(&self, visitor: &Visitor, user_id: &str) -> bool {
        self.login_failures.captcha_for_address(visitor.client)
            || (!user_id.is_empty() && self.login_failures.captcha_for_user(user_id))
    }

    /// The login form for the browser holding the pre-login value `nonce` (its cookie set
    /// again, for another lifetime), with a new challenge when the captcha is due. Nothing is
    /// stored.
    fn login_form(
        &self,
        status: StatusCode,
        nonce: &str,
        visitor: &Visitor,
        user_id: &str,
        message: Option<String>,
    ) -> Response {
        let token = self.prelogin.issue(LoginForm::Operator, nonce, self.now());
        let captcha = self
            .login_needs_captcha(visitor, user_id)
            .then(|| self.login_captcha.issue(self.now()));
        page::with_cookie(
            self.login_page(status, &token, visitor, user_id, message, captcha),
            &prelogin::set_cookie(nonce),
        )
    }

    /// Judges the login's captcha: `None` when passed, else what the form says again. A wrong
    /// answer is a failed login (it brings the captcha on and spends the address's budget), so
    /// guessing the captcha costs what guessing the password does.
    /// The administrators' login asks for it on the same terms.
    pub(super) async fn login_captcha_refusal(
        &self,
        visitor: &Visitor,
        nonce: &str,
        user_id: &str,
        answer: &CaptchaAnswer,
    ) -> Result<Option<&'static str>, Response> {
        let store = self.gateway.store.as_ref();
        let verdict = self
            .login_captcha
            .judge(
                store,
                nonce,
                &answer.captcha_id,
                &answer.captcha,
                self.now(),
            )
            .await
            .map_err(|error| {
                tracing::error!(%error, "a login captcha could not be judged");
                page::unavailable()
            })?;
        if let Verdict::Wrong { .. } = verdict {
            self.login_failures.failed(visitor.client, user_id);
            self.gateway
                .identity
                .address_failures()
                .failed(visitor.client);
        }
        Ok(verdict.refusal())
    }
}

/// Why the browser was sent to the login page: `fine` names why a session ended
/// ([`super::smart_card::ended`]); any other value says nothing.
#[derive(Deserialize)]
pub struct LoginQuery {
    #[serde(default)]
    fine: String,
}

/// `GET /web/login`: a logged-in session goes on to its home; otherwise the form, with a
/// pre-login token for the browser's pre-login cookie (given here when it has none). Nothing is
/// written to the store.
pub async fn show(
    State(pages): State<Arc<Pages>>,
    Extension(visitor): Extension<Visitor>,
    headers: HeaderMap,
    Query(query): Query<LoginQuery>,
) -> Response {
    match pages.session(&headers).await {
        Ok(Some(session)) if session.user_id.is_some() => return page::redirect("/web/"),
        Ok(_) => {}
        Err(response) => return response,
    }
    let ended = super::smart_card::ended_message(&query.fine);
    let nonce = prelogin::nonce_of(&headers).unwrap_or_else(prelogin::new_nonce);
    pages.login_form(StatusCode::OK, &nonce, &visitor, "", ended)
}

/// The login form. Every field defaults to empty, so a missing one is answered by the page
/// (CSRF first), not by a parser's error.
#[derive(Deserialize)]
pub struct LoginFormFields {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    user_id: String,
    #[serde(default)]
    password: String,
    /// The code of the authenticator app, for an operator enrolled in TOTP; empty otherwise.
    #[serde(default)]
    totp: String,
    #[serde(flatten)]
    captcha: CaptchaAnswer,
}

/// The captcha's fields of a login form (empty when the form showed none).
#[derive(Deserialize)]
pub struct CaptchaAnswer {
    #[serde(default)]
    captcha_id: String,
    #[serde(default)]
    captcha: String,
}

/// `POST /web/login`: the pre-login token first, then the address's failure budget, the captcha
/// when due, and the credentials (password, and the TOTP code of an enrolled operator) as
/// [`crate::identity::Identity::identify_password`] judges them. The session is created here,
/// and only here, on success.
pub async fn submit(
    State(pages): State<Arc<Pages>>,
    Extension(visitor): Extension<Visitor>,
    headers: HeaderMap,
    Form(form): Form<LoginFormFields>,
) -> Response {
    let nonce = match pages.prelogin_checked(&headers, LoginForm::Operator, &form.csrf) {
        Ok(nonce) => nonce,
        Err(refused) => return refused.into_response(),
    };
    let user_id = form.user_id.trim();
    let refuse = |status, message: String| {
        pages.login_form(status, &nonce, &visitor, user_id, Some(message))
    };
    let throttled = |retry_after: std::time::Duration| {
        pages.gateway.metrics.web_login_throttled();
        refuse(
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "Troppi tentativi non riusciti da questo indirizzo: riprovare tra {} secondi.",
                retry_after.as_secs().max(1)
            ),
        )
    };
    if let Err(retry_after) = pages
        .gateway
        .identity
        .address_failures()
        .check(visitor.client)
    {
        return throttled(retry_after);
    }
    if pages.login_needs_captcha(&visitor, user_id) {
        match pages
            .login_captcha_refusal(&visitor, &nonce, user_id, &form.captcha)
            .await
        {
            Ok(None) => {}
            Ok(Some(message)) => return refuse(StatusCode::UNAUTHORIZED, message.to_owned()),
            Err(response) => return response,
        }
    }
    let code = Some(form.totp.trim()).filter(|code| !code.is_empty());
    let identified = pages
        .gateway
        .identity
        .identify_password(visitor.client, user_id, &form.password, code)
        .await;
    let (user_id, must_change_password, to) = match identified {
        Ok(Caller::Operator {
            user_id: Some(user_id),
            ..
        }) => (user_id, false, "/web/"),
        Err(Refused::PasswordMustChange { user_id, .. }) => (user_id, true, "/web/cambio-password"),
        // The password (and code) proved right: a session that opens only the enrollment.
        Err(Refused::SecondFactorToEnroll { user_id, .. }) => (user_id, false, totp_enroll::PATH),
        Err(Refused::Throttled { retry_after }) => return throttled(retry_after),
        Err(Refused::Unavailable) => return page::unavailable(),
        Ok(_) | Err(Refused::Credentials { .. }) => {
            pages.login_failures.failed(visitor.client, user_id);
            return refuse(
                StatusCode::UNAUTHORIZED,
                "Credenziali non valide: controllare il Codice Identificativo, la Parola chiave \
                 e, per chi ha attivato il secondo fattore, il codice OTP dell'app di \
                 autenticazione (ogni codice vale una sola volta). Dopo troppi tentativi errati \
                 l'utenza viene bloccata per un periodo."
                    .into(),
            );
        }
    };
    pages
        .open_session(
            &headers,
            Holder::Operator(&user_id),
            must_change_password,
            to,
        )
        .await
}

/// A form that carries only its CSRF token.
#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /web/login/smart-card`: the card the connection presented (verified by the TLS layer
/// against the card CAs), if it belongs to a registered, enabled operator.
pub async fn smart_card(
    State(pages): State<Arc<Pages>>,
    Extension(visitor): Extension<Visitor>,
    headers: HeaderMap,
    Form(form): Form<TokenForm>,
) -> Response {
    let nonce = match pages.prelogin_checked(&headers, LoginForm::Operator, &form.csrf) {
        Ok(nonce) => nonce,
        Err(refused) => return refused.into_response(),
    };
    let refuse = |message: &str| {
        pages.login_form(
            StatusCode::UNAUTHORIZED,
            &nonce,
            &visitor,
            "",
            Some(message.to_owned()),
        )
    };
    if !matches!(visitor.peer.as_ref(), Peer::Card { .. }) {
        return refuse(
            "Nessuna smart card presentata: inserire la TS-CNS o la CNS nel lettore e aprire di \
             nuovo la pagina.",
        );
    }
    let credentials = Credentials {
        peer: visitor.peer.as_ref(),
        client: visitor.client,
        basic: None,
        pincode: None,
        totp: None,
    };
    match pages.gateway.identity.identify(&credentials).await {
        Ok(Caller::Operator {
            user_id: Some(user_id),
            ..
        }) => {
            // The session ends when the card's certificate is no longer accepted.
            let Some(chain) = visitor.card_chain.as_deref() else {
                tracing::error!("a smart-card login without the connection's certificate chain");
                return page::unavailable();
            };
            let chain = super::smart_card::to_pem(chain);
            let holder = Holder::CardHolder(&user_id, &chain);
            pages.open_session(&headers, holder, false, "/web/").await
        }
        Err(Refused::Unavailable) => page::unavailable(),
        _ => refuse("La smart card non corrisponde a un operatore abilitato al Sistema TS."),
    }
}

/// `POST /web/esci`: the session is deleted from the store (its cookie opens nothing any more)
/// and the browser forgets it.
pub async fn logout(
    State(pages): State<Arc<Pages>>,
    headers: HeaderMap,
    Form(form): Form<TokenForm>,
) -> Response {
    let session = match pages.posted(&headers, &form.csrf).await {
        Ok(session) => session,
        Err(response) => return response,
    };
    match pages
        .gateway
        .store
        .web_sessions()
        .delete(&session.id_hash)
        .await
    {
        Ok(_) => {
            let to = match session.admin_id {
                Some(_) => super::admin::ADMIN_LOGIN,
                None => "/web/login",
            };
            page::with_cookie(page::redirect(to), &session::clear_cookie())
        }
        Err(error) => {
            tracing::error!(%error, "a web session could not be ended");
            page::unavailable()
        }
    }
}
