//! `POST /web/immuni/invio`: the captcha judged first; then the OTP and the date go through
//! the `InvioOTP` use case exactly as a SOAP call's do — the same authorisation rule, the same
//! per-caller rate limit, a transaction id from the same issuer, the same checks, codes and
//! upstream call, and the same access-log entry committed before the outcome is shown
//! ("Esito Transazione", seed 000).
//!
//! The caller is the signed-in operator as the register has them now; the access log records
//! them as an operator who proved a password (the web login's).

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::{Extension, Form};
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use http::{HeaderMap, StatusCode};
use serde::Deserialize;

use super::{trail, OtpOperator, PATH};
use crate::audit::{self, Draft, Requester};
use crate::domain::{Otp, SymptomOnsetDate, TransactionIdKind};
use crate::identity::{Caller, OperatorAsl};
use crate::metrics::RequestLabels;
use crate::services::otp::{self, InvioOtpRequest, OPERATION, SERVICE};
use crate::services::{CodEsito, Context, Outcome, TipoErrore};
use crate::soap::pipeline::THROTTLED_OUTCOME;
use crate::web::captcha::guard::Answered;
use crate::web::captcha::CaptchaForm;
use crate::web::page::{self, Chrome};
use crate::web::transaction::web_auth;
use crate::web::{Pages, Visitor};

/// The form. No `Debug`: it holds the OTP and the date. A missing field is empty.
#[derive(Deserialize)]
pub struct OtpForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    captcha_id: String,
    #[serde(default)]
    captcha: String,
    #[serde(default)]
    codice_otp: String,
    #[serde(default)]
    data_inizio_sintomi: String,
}

#[derive(Template)]
#[template(path = "otp_outcome.html")]
struct OutcomePage<'a> {
    chrome: Chrome,
    ok: bool,
    /// What happened, in words (a refusal's reason).
    description: String,
    /// The code of the blocking message, or of each warning.
    messages: Vec<(&'static str, String)>,
    transaction_id: &'a str,
}

/// `POST /web/immuni/invio`.
pub async fn submit(
    State(pages): State<Arc<Pages>>,
    Extension(visitor): Extension<Visitor>,
    headers: HeaderMap,
    Form(form): Form<OtpForm>,
) -> Response {
    let session = match pages.posted(&headers, &form.csrf).await {
        Ok(session) => session,
        Err(response) => return response,
    };
    let enabled = match pages.otp_operator(&headers).await {
        Ok(enabled) => enabled,
        Err(response) => return response,
    };
    match pages.pincode_passed(&enabled.operator.session).await {
        Ok(true) => {}
        Ok(false) => return page::redirect(PATH),
        Err(response) => return response,
    }
    let answered = pages
        .answer_captcha(&session, CaptchaForm::Otp, &form.captcha_id, &form.captcha)
        .await;
    match answered {
        Ok(Answered::Passed) => {}
        Ok(Answered::Retry { field, message }) => {
            return pages
                .entry_page(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &enabled,
                    Some(field),
                    Some(message),
                )
                .await
        }
        Err(response) => return response,
    }
    let request = InvioOtpRequest {
        operator_cf: None,
        declared_auth: None,
        otp: Otp::parse(&form.codice_otp),
        symptom_onset: SymptomOnsetDate::read(form.data_inizio_sintomi.trim()),
    };
    drop(form);
    pages.send(&visitor, &enabled, &request).await
}

impl Pages {
    /// One `InvioOTP` transaction, recorded as the SOAP pipeline records it, then its outcome
    /// page.
    async fn send(
        &self,
        visitor: &Visitor,
        enabled: &OtpOperator,
        request: &InvioOtpRequest,
    ) -> Response {
        let gateway = &self.gateway;
        let caller = Caller::Operator {
            cf: enabled.user.cf.clone(),
            user_id: Some(enabled.user.user_id.clone()),
            method: web_auth(visitor, &enabled.operator.session, &enabled.user),
            profiles: enabled.profiles.clone(),
            asl: OperatorAsl::of(enabled.user.region, enabled.user.asl),
        };
        let kind = gateway
            .catalogue
            .service(SERVICE)
            .map_or(TransactionIdKind::Alphanumeric, |s| s.transaction_ids);
        let transaction_id = match gateway.transaction_ids.issue(kind) {
            Ok(id) => id,
            Err(error) => {
                tracing::error!(%error, "no transaction id can be issued; OTP not sent");
                return page::unavailable();
            }
        };
        let draft = Draft {
            service: SERVICE,
            operation: OPERATION,
            transaction_id,
            client: Some(visitor.client),
        };
        let context = Context {
            store: gateway.store.as_ref(),
            caller: &caller,
            transaction_id,
            held: Default::default(),
            now: self.now(),
        };
        let mut outcome = if !otp::ACCESS.allows(&caller, SERVICE) {
            otp::ACCESS.refusal(SERVICE, OPERATION)
        } else if let Err(throttled) = gateway.throttle.check(&caller.throttle_key()).await {
            let entry = draft.entry(
                Requester::Identified(&caller),
                now_millis(),
                THROTTLED_OUTCOME,
            );
            if audit::commit(&gateway.access_log, entry).await.is_err() {
                return page::unavailable();
            }
            self.count(THROTTLED_OUTCOME);
            return page::refusal(
                StatusCode::TOO_MANY_REQUESTS,
                "Troppe richieste",
                &format!(
                    "Sono state inviate troppe richieste in poco tempo: il codice OTP non è \
                     stato inviato. Riprovare tra {} secondi.",
                    throttled.wait.as_secs().max(1)
                ),
                (PATH, "Torna al servizio"),
            );
        } else {
            enabled.service.invio_otp(&context, request).await
        };
        let code = outcome.esito.code();
        let entry = draft.answered(&caller, now_millis(), code, &outcome.audit);
        let write = outcome.write.take();
        let recorded = audit::commit_with(&gateway.access_log, entry, write).await;
        drop(context);
        // An id the operator sees is always one the access log holds.
        if recorded.is_err() {
            return page::unavailable();
        }
        self.count(code);
        outcome_page(enabled, &outcome, &transaction_id.to_string())
    }

    fn count(&self, outcome: &str) {
        self.gateway
            .metrics
            .requests
            .get_or_create(&RequestLabels {
                service: SERVICE.to_owned(),
                operation: OPERATION.to_owned(),
                outcome: outcome.to_owned(),
            })
            .inc();
    }
}

/// "Esito Transazione".
fn outcome_page(enabled: &OtpOperator, outcome: &Outcome, transaction_id: &str) -> Response {
    let ok = outcome.esito != CodEsito::Rifiutato;
    let page = OutcomePage {
        chrome: Chrome::signed_in(
            &enabled.operator.session.csrf_token,
            trail(Some("Esito Transazione")),
        ),
        ok,
        description: outcome.descrizione_esito(),
        messages: outcome
            .messaggi
            .iter()
            .filter(|m| ok || m.tipo == TipoErrore::Bloccante)
            .map(|m| (m.codice, m.testo.clone()))
            .collect(),
        transaction_id,
    };
    page::html(StatusCode::OK, &page)
}

/// Access-log timestamps carry milliseconds, no more (as the SOAP pipeline's).
fn now_millis() -> DateTime<Utc> {
    let now = Utc::now();
    now.duration_trunc(TimeDelta::milliseconds(1))
        .unwrap_or(now)
}
