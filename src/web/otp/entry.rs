//! The OTP form (seed 000 "Pagina di inserimento dei dati"): "Ultimo accesso il …", Codice
//! OTP, Data Inizio Sintomi, the captcha "Codice di sicurezza" with its picture, its sound,
//! "altra immagine" and "altro audio", "Invia Dati", and where the citizen finds the code.
//! Always empty: what was typed is never shown again.

use askama::Template;
use axum::response::Response;
use chrono_tz::Europe::Rome;
use http::StatusCode;

use super::{trail, OtpOperator};
use crate::web::captcha::{CaptchaField, CaptchaForm};
use crate::web::page::{self, Chrome};
use crate::web::Pages;

#[derive(Template)]
#[template(path = "otp_entry.html")]
struct EntryPage<'a> {
    chrome: Chrome,
    csrf: &'a str,
    /// "30/05/2020 alle 23:19", or none recorded.
    last_access: Option<String>,
    message: Option<&'a str>,
    captcha: CaptchaField,
}

impl Pages {
    /// The form with a captcha: `field`, or a new challenge; `message` in the Messaggi box.
    pub async fn entry_page(
        &self,
        status: StatusCode,
        enabled: &OtpOperator,
        field: Option<CaptchaField>,
        message: Option<&str>,
    ) -> Response {
        let session = &enabled.operator.session;
        let captcha = match field {
            Some(field) => field,
            None => match self.challenge(session, CaptchaForm::Otp).await {
                Ok(field) => field,
                Err(response) => return response,
            },
        };
        let page = EntryPage {
            chrome: Chrome::signed_in(&session.csrf_token, trail(None)),
            csrf: &session.csrf_token,
            last_access: enabled.user.last_access.map(|at| {
                at.with_timezone(&Rome)
                    .format("%d/%m/%Y alle %H:%M")
                    .to_string()
            }),
            message,
            captcha,
        };
        page::html(status, &page)
    }
}
