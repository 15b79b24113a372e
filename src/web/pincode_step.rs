//! The pincode step in front of a service's pages: "Inserire il pincode per accedere al servizio
//! …" (seed 000, the OTP service; seed 003 §3.3, the doctors' services: "basic authentication
//! (ID utente e password) con pincode come fattore di autenticazione"). The pincode is checked
//! by [`crate::identity`] as on SOAP: a wrong one counts toward the account's lockout and the
//! address's budget. A right one opens the services for the rest of the session (table
//! `web_pincode_checks`: only that it happened, and when); nothing of it is kept.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use http::StatusCode;
use serde::Deserialize;

use super::page::{self, Chrome, Crumb};
use super::posted::{csrf_form, Posted};
use super::session::Session;
use super::{Operator, Pages, Visitor};
use crate::identity::Refused;

/// The step's form; a missing field is empty (answered by the page, CSRF first).
#[derive(Deserialize)]
pub struct PincodeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    pub pincode: String,
}

csrf_form!(PincodeForm);

/// A service behind the step.
pub struct PincodeStep {
    /// The page's title (the service's name).
    pub title: &'static str,
    /// What follows "Inserire il pincode per accedere al servizio".
    pub service: &'static str,
    /// Where the form posts.
    pub action: &'static str,
    /// Where the browser goes once the pincode is right.
    pub then: &'static str,
    /// "Ti trovi in".
    pub trail: fn() -> Vec<Crumb>,
}

#[derive(Template)]
#[template(path = "pincode_step.html")]
struct PincodePage<'a> {
    chrome: Chrome,
    title: &'static str,
    service: &'static str,
    action: &'static str,
    csrf: &'a str,
    message: Option<String>,
}

impl PincodeStep {
    /// The page, with `message` in its Messaggi box.
    pub fn page(&self, status: StatusCode, session: &Session, message: Option<String>) -> Response {
        let csrf = session.csrf_token.as_str();
        let page = PincodePage {
            chrome: Chrome::signed_in(csrf, (self.trail)()),
            title: self.title,
            service: self.service,
            action: self.action,
            csrf,
            message,
        };
        page::html(status, &page)
    }
}

/// The POST of `step` in front of a service whose pages check the profile themselves: any
/// signed-in operator may pass the pincode (it opens nothing their profiles do not).
pub async fn submit(
    step: &PincodeStep,
    State(pages): State<Arc<Pages>>,
    Posted {
        by: operator,
        form,
        visitor,
    }: Posted<Operator, PincodeForm>,
) -> Response {
    pages
        .check_pincode(
            step,
            &visitor,
            &operator.session,
            &operator.user_id,
            &form.pincode,
        )
        .await
}

impl Pages {
    /// Seed 003 §3.3: with the password, the pincode is the second factor, typed once per
    /// session on `step`'s page (shown in place of the page asked for); a smart card is factor
    /// enough (and is judged again on every request of its session).
    pub(super) async fn past_the_pincode(
        &self,
        step: &PincodeStep,
        session: &Session,
    ) -> Result<(), Response> {
        if session.card_chain.is_some() || self.pincode_passed(session).await? {
            return Ok(());
        }
        Err(step.page(StatusCode::OK, session, None))
    }

    /// Whether `session` passed a pincode step.
    pub(super) async fn pincode_passed(&self, session: &Session) -> Result<bool, Response> {
        self.gateway
            .store
            .web_pincode_checks()
            .passed(&session.id_hash)
            .await
            .map_err(|error| {
                tracing::error!(%error, "a pincode check could not be read");
                page::unavailable()
            })
    }

    /// Checks the pincode `typed` by the operator `user_id` of `session` (whose CSRF token has
    /// passed): right, the session passes the step and the browser goes on to the service;
    /// wrong, the page again saying why.
    pub(super) async fn check_pincode(
        &self,
        step: &PincodeStep,
        visitor: &Visitor,
        session: &Session,
        user_id: &str,
        typed: &str,
    ) -> Response {
        let checked = self
            .gateway
            .identity
            .verify_pincode(visitor.client, user_id, typed.trim())
            .await;
        match checked {
            Ok(()) => {
                let recorded = self
                    .gateway
                    .store
                    .web_pincode_checks()
                    .record(&session.id_hash, self.now())
                    .await;
                match recorded {
                    Ok(()) => page::redirect(step.then),
                    Err(error) => {
                        tracing::error!(%error, "a pincode check could not be recorded");
                        page::unavailable()
                    }
                }
            }
            Err(Refused::Throttled { retry_after }) => {
                self.gateway.metrics.web_login_throttled();
                step.page(
                    StatusCode::TOO_MANY_REQUESTS,
                    session,
                    Some(format!(
                        "Troppi tentativi non riusciti da questo indirizzo: riprovare tra {} \
                         secondi.",
                        retry_after.as_secs().max(1)
                    )),
                )
            }
            Err(Refused::Unavailable) => page::unavailable(),
            Err(_) => step.page(
                StatusCode::UNAUTHORIZED,
                session,
                Some(
                    "Pincode non valido. Dopo troppi tentativi errati l'utenza viene bloccata \
                     per un periodo, come per i servizi web."
                        .into(),
                ),
            ),
        }
    }
}
