//! "AUTENTICAZIONE" (seed 000): Codice Identificativo and Parola chiave, or the smart card the
//! connection presented; and "Esci". Who may log in is [`crate::identity::Identity`]'s call,
//! with the same address budget and account lockout as SOAP. After a few failed logins from
//! the address or as the user id ([`super::login_failures`]) the form asks for the captcha too,
//! judged before the password.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::{Extension, Form};
use http::{HeaderMap, StatusCode};
use serde::Deserialize;

use super::captcha::guard::Answered;
use super::captcha::{CaptchaField, CaptchaForm};
use super::page::{self, Chrome, Crumb, HOME};
use super::session::Session;
use super::{session, Pages, Visitor};
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
    ) -> Response {
        self.login_page_with(status, csrf, visitor, user_id, message, None)
    }

    fn login_page_with(
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
        };
        page::html(status, &page)
    }

    /// Whether a login from `visitor` as `user_id` (empty: not known yet) must answer the
    /// captcha.
    fn login_needs_captcha(&self, visitor: &Visitor, user_id: &str) -> bool {
        self.login_failures.captcha_for_address(visitor.client)
            || (!user_id.is_empty() && self.login_failures.captcha_for_user(user_id))
    }

    /// The login form of `session`, with a new captcha when one is due.
    async fn login_form(
        &self,
        status: StatusCode,
        session: &Session,
        visitor: &Visitor,
        user_id: &str,
        message: Option<String>,
    ) -> Response {
        if !self.login_needs_captcha(visitor, user_id) {
            return self.login_page(status, &session.csrf_token, visitor, user_id, message);
        }
        match self.challenge(session, CaptchaForm::Login).await {
            Ok(field) => self.login_page_with(
                status,
                &session.csrf_token,
                visitor,
                user_id,
                message,
                Some(field),
            ),
            Err(response) => response,
        }
    }
}

/// Why the browser was sent to the login page: `fine` names why a session ended
/// ([`super::smart_card::ended`]); any other value says nothing.
#[derive(Deserialize)]
pub struct LoginQuery {
    #[serde(default)]
    fine: String,
}

/// `GET /web/login`: a logged-in session goes on to its home; otherwise the form, in a session
/// of no one (which holds the form's CSRF token), saying why a session ended if it did.
pub async fn show(
    State(pages): State<Arc<Pages>>,
    Extension(visitor): Extension<Visitor>,
    headers: HeaderMap,
    Query(query): Query<LoginQuery>,
) -> Response {
    let ended = super::smart_card::ended_message(&query.fine);
    let current = match pages.session(&headers).await {
        Ok(current) => current,
        Err(response) => return response,
    };
    match current {
        Some(session) if session.user_id.is_some() => page::redirect("/web/"),
        Some(session) => {
            pages
                .login_form(StatusCode::OK, &session, &visitor, "", ended)
                .await
        }
        None => {
            let store = pages.gateway.store.as_ref();
            match session::create(store, pages.timeouts, None, false, pages.now()).await {
                Ok(created) => page::with_cookie(
                    pages
                        .login_form(StatusCode::OK, &created.session, &visitor, "", ended)
                        .await,
                    &session::set_cookie(&created.cookie_id),
                ),
                Err(error) => {
                    tracing::error!(%error, "a web session could not be created");
                    page::unavailable()
                }
            }
        }
    }
}

/// The login form. Every field defaults to empty, so a missing one is answered by the page
/// (CSRF first), not by a parser's error.
#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    user_id: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    captcha_id: String,
    #[serde(default)]
    captcha: String,
}

/// `POST /web/login`.
pub async fn submit(
    State(pages): State<Arc<Pages>>,
    Extension(visitor): Extension<Visitor>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let session = match pages.posted(&headers, &form.csrf).await {
        Ok(session) => session,
        Err(response) => return response,
    };
    let user_id = form.user_id.trim();
    if pages.login_needs_captcha(&visitor, user_id) {
        let answered = pages
            .answer_captcha(
                &session,
                CaptchaForm::Login,
                &form.captcha_id,
                &form.captcha,
            )
            .await;
        match answered {
            Ok(Answered::Passed) => {}
            Ok(Answered::Retry { field, message }) => {
                return pages.login_page_with(
                    StatusCode::UNAUTHORIZED,
                    &session.csrf_token,
                    &visitor,
                    user_id,
                    Some(message.to_owned()),
                    Some(field),
                )
            }
            Err(response) => return response,
        }
    }
    let identified = pages
        .gateway
        .identity
        .identify_password(visitor.client, user_id, &form.password)
        .await;
    match identified {
        Ok(Caller::Operator {
            user_id: Some(user_id),
            ..
        }) => pages.rotate(&session, &user_id, false, "/web/").await,
        Err(Refused::PasswordMustChange { user_id, .. }) => {
            pages
                .rotate(&session, &user_id, true, "/web/cambio-password")
                .await
        }
        Err(Refused::Throttled { retry_after }) => {
            pages.gateway.metrics.web_login_throttled();
            pages.login_page(
                StatusCode::TOO_MANY_REQUESTS,
                &session.csrf_token,
                &visitor,
                user_id,
                Some(format!(
                    "Troppi tentativi non riusciti da questo indirizzo: riprovare tra {} secondi.",
                    retry_after.as_secs().max(1)
                )),
            )
        }
        Err(Refused::Unavailable) => page::unavailable(),
        Err(Refused::SecondFactorToEnroll { .. }) => pages.login_page(
            StatusCode::FORBIDDEN,
            &session.csrf_token,
            &visitor,
            user_id,
            Some(
                "È richiesto il secondo fattore (codice TOTP): attivarlo con il comando \
                 `tsgate users totp enroll` prima di accedere all'applicazione web."
                    .into(),
            ),
        ),
        Ok(_) | Err(Refused::Credentials { .. }) => {
            pages.login_failures.failed(visitor.client, user_id);
            pages
                .login_form(
                    StatusCode::UNAUTHORIZED,
                    &session,
                    &visitor,
                    user_id,
                    Some(
                        "Credenziali non valide: controllare il Codice Identificativo e la \
                         Parola chiave. Dopo troppi tentativi errati l'utenza viene bloccata per \
                         un periodo."
                            .into(),
                    ),
                )
                .await
        }
    }
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
    let session = match pages.posted(&headers, &form.csrf).await {
        Ok(session) => session,
        Err(response) => return response,
    };
    let refuse = |status, message: &str| {
        pages.login_page(
            status,
            &session.csrf_token,
            &visitor,
            "",
            Some(message.to_owned()),
        )
    };
    if !matches!(visitor.peer.as_ref(), Peer::Card { .. }) {
        return refuse(
            StatusCode::UNAUTHORIZED,
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
            pages
                .rotate_to_card(&session, &user_id, &visitor, "/web/")
                .await
        }
        Err(Refused::Unavailable) => page::unavailable(),
        _ => refuse(
            StatusCode::UNAUTHORIZED,
            "La smart card non corrisponde a un operatore abilitato al Sistema TS.",
        ),
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
