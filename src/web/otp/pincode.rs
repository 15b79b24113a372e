//! The pincode page of the OTP service (seed 000: "Inserire il pincode per accedere al servizio
//! per la trasmissione del codice OTP"). The pincode is checked by [`crate::identity`] as on
//! SOAP: a wrong one counts toward the account's lockout and the address's budget. A right one
//! opens the service for the rest of the session; nothing of it is kept.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::{Extension, Form};
use http::{HeaderMap, StatusCode};
use serde::Deserialize;

use super::{trail, OtpOperator, PATH};
use crate::identity::Refused;
use crate::web::page::{self, Chrome};
use crate::web::{Pages, Visitor};

#[derive(Template)]
#[template(path = "otp_pincode.html")]
struct PincodePage<'a> {
    chrome: Chrome,
    csrf: &'a str,
    message: Option<String>,
}

/// The page, with `message` in its Messaggi box.
pub fn page(status: StatusCode, enabled: &OtpOperator, message: Option<String>) -> Response {
    let csrf = &enabled.operator.session.csrf_token;
    let page = PincodePage {
        chrome: Chrome::signed_in(csrf, trail(None)),
        csrf,
        message,
    };
    page::html(status, &page)
}

/// The pincode form; a missing field is empty (answered by the page, CSRF first).
#[derive(Deserialize)]
pub struct PincodeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    pincode: String,
}

/// `POST /web/immuni/pincode`.
pub async fn submit(
    State(pages): State<Arc<Pages>>,
    Extension(visitor): Extension<Visitor>,
    headers: HeaderMap,
    Form(form): Form<PincodeForm>,
) -> Response {
    if let Err(response) = pages.posted(&headers, &form.csrf).await {
        return response;
    }
    let enabled = match pages.otp_operator(&headers).await {
        Ok(enabled) => enabled,
        Err(response) => return response,
    };
    let checked = pages
        .gateway
        .identity
        .verify_pincode(visitor.client, &enabled.user.user_id, form.pincode.trim())
        .await;
    match checked {
        Ok(()) => {
            let recorded = pages
                .gateway
                .store
                .web_pincode_checks()
                .record(&enabled.operator.session.id_hash, pages.now())
                .await;
            match recorded {
                Ok(()) => page::redirect(PATH),
                Err(error) => {
                    tracing::error!(%error, "a pincode check could not be recorded");
                    page::unavailable()
                }
            }
        }
        Err(Refused::Throttled { retry_after }) => {
            pages.gateway.metrics.web_login_throttled();
            page(
                StatusCode::TOO_MANY_REQUESTS,
                &enabled,
                Some(format!(
                    "Troppi tentativi non riusciti da questo indirizzo: riprovare tra {} secondi.",
                    retry_after.as_secs().max(1)
                )),
            )
        }
        Err(Refused::Unavailable) => page::unavailable(),
        Err(_) => page(
            StatusCode::UNAUTHORIZED,
            &enabled,
            Some(
                "Pincode non valido. Dopo troppi tentativi errati l'utenza viene bloccata per \
                 un periodo, come per i servizi web."
                    .into(),
            ),
        ),
    }
}
