//! "Invio esecuzione test" (seed 003 §3.4.2) and its cancellation (§3.4.3): `InvioTest` and
//! `AnnullaTest` from a form, with the SOAP operations' rules, codes and access-log entries.
//! A refused send shows the form again with what was typed and why; a done one, or any
//! cancellation, the "Esito Transazione" page with its transaction id.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::Extension;
use http::{HeaderMap, StatusCode};
use serde::Deserialize;

use super::form;
use super::medico::{self, Doctor};
use super::page::{self, Chrome};
use super::posted::{csrf_form, Posted};
use super::transaction::{OutcomeView, Transaction};
use super::{advice, Pages, Visitor};
use crate::domain::CodiceFiscale;
use crate::services::sierologici::{self, AnnullaTestRequest, InvioTestRequest, PROFILE, SERVICE};
use crate::services::{Access, CodEsito};

pub const SEND: &str = "InvioTest";
pub const CANCEL: &str = "AnnullaTest";

/// The longest send id (`IdTransazioneNumerica` in the XSD: 1 to 20 digits).
const SEND_ID_DIGITS: usize = 20;

#[derive(Template)]
#[template(path = "medico_invio.html")]
struct SendPage {
    chrome: Chrome,
    csrf: String,
    acting: String,
    esito: Option<OutcomeView>,
    /// What was typed, given back after a refusal.
    assistito: String,
    data_test: String,
}

#[derive(Template)]
#[template(path = "esito.html")]
struct OutcomePage {
    chrome: Chrome,
    acting: String,
    esito: Option<OutcomeView>,
    back: &'static str,
    back_label: &'static str,
}

#[derive(Deserialize)]
pub struct SendForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    assistito: String,
    #[serde(default)]
    data_test: String,
}

impl Pages {
    async fn send_page(
        &self,
        doctor: &Doctor,
        esito: Option<OutcomeView>,
        assistito: &str,
        data_test: &str,
    ) -> Response {
        let page = SendPage {
            chrome: Chrome::signed_in(doctor.csrf(), medico::trail("Invio esecuzione test")),
            csrf: doctor.csrf().to_owned(),
            acting: self.acting_label(doctor).await,
            esito,
            assistito: assistito.to_owned(),
            data_test: data_test.to_owned(),
        };
        page::html(StatusCode::OK, &page)
    }

    async fn outcome_page(
        &self,
        doctor: &Doctor,
        esito: OutcomeView,
        back: &'static str,
        back_label: &'static str,
    ) -> Response {
        let page = OutcomePage {
            chrome: Chrome::signed_in(doctor.csrf(), medico::trail("Esito Transazione")),
            acting: self.acting_label(doctor).await,
            esito: Some(esito),
            back,
            back_label,
        };
        page::html(StatusCode::OK, &page)
    }
}

/// `GET /web/medico/invio`.
pub async fn show(
    State(pages): State<Arc<Pages>>,
    Extension(visitor): Extension<Visitor>,
    headers: HeaderMap,
) -> Response {
    match pages.doctor_with_profile(&headers, &visitor).await {
        Ok(doctor) => {
            let today = form::iso(crate::clock::rome_day(pages.now()));
            pages.send_page(&doctor, None, "", &today).await
        }
        Err(response) => response,
    }
}

csrf_form!(SendForm, CancelForm);

/// `POST /web/medico/invio`.
pub async fn submit(
    State(pages): State<Arc<Pages>>,
    Posted {
        by: doctor,
        form,
        visitor,
    }: Posted<Doctor, SendForm>,
) -> Response {
    let recorded = match Transaction::run(
        &pages.gateway,
        &doctor.caller,
        visitor.client,
        (SERVICE, SEND),
        Access::OperatorProfile(PROFILE),
        |context| {
            let request = InvioTestRequest {
                acting: doctor.acting(),
                assistito: CodiceFiscale::parse(form.assistito.trim()),
                test_date: form::date(&form.data_test),
            };
            Box::pin(async move { sierologici::invio_test(context, &request).await })
        },
    )
    .await
    {
        Ok(recorded) => recorded,
        Err(response) => return response,
    };
    let esito = OutcomeView::of(&recorded, advice::sierologici);
    if recorded.outcome.esito == CodEsito::Rifiutato {
        return pages
            .send_page(&doctor, Some(esito), &form.assistito, &form.data_test)
            .await;
    }
    pages
        .outcome_page(&doctor, esito, "/web/medico/invio", "Invia un altro test")
        .await
}

#[derive(Deserialize)]
pub struct CancelForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    assistito: String,
    /// The transaction id of the send to cancel.
    #[serde(default)]
    send_id: String,
}

/// `POST /web/medico/annulla`: cancels a send named by its transaction id and patient. A send id
/// that is not 1 to 20 digits is refused before any transaction (on SOAP, the schema refuses it).
pub async fn cancel(
    State(pages): State<Arc<Pages>>,
    Posted {
        by: doctor,
        form,
        visitor,
    }: Posted<Doctor, CancelForm>,
) -> Response {
    let send_id = form.send_id.trim();
    if send_id.is_empty()
        || send_id.len() > SEND_ID_DIGITS
        || !send_id.bytes().all(|b| b.is_ascii_digit())
    {
        return page::bad_form(
            "Identificativo non valido",
            "L'identificativo dell'invio da annullare è il numero di transazione ricevuto \
             all'invio (da 1 a 20 cifre): copiarlo dall'elenco dei test inviati.",
            ("/web/medico/test", "Torna all'elenco dei test inviati"),
        );
    }
    match Transaction::run(
        &pages.gateway,
        &doctor.caller,
        visitor.client,
        (SERVICE, CANCEL),
        Access::OperatorProfile(PROFILE),
        |context| {
            let request = AnnullaTestRequest {
                acting: doctor.acting(),
                assistito: CodiceFiscale::parse(form.assistito.trim()),
                send_id: send_id.to_owned(),
            };
            let send_locks = pages.gateway.catalogue.send_locks();
            Box::pin(async move { sierologici::annulla_test(context, send_locks, &request).await })
        },
    )
    .await
    {
        Ok(recorded) => {
            let esito = OutcomeView::of(&recorded, advice::sierologici);
            pages
                .outcome_page(
                    &doctor,
                    esito,
                    "/web/medico/test",
                    "Torna all'elenco dei test inviati",
                )
                .await
        }
        Err(response) => response,
    }
}
