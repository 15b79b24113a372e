//! "Elenco assistiti" (seed 003 §3.4.1): the titolare's assistiti who are state-school staff, as
//! `ElencoAssistiti` answers them, on a page (each row with a form to send that patient's test)
//! and as a CSV download. Each view is a transaction of its own, in the access log like the
//! SOAP operation's.

use std::fmt::Write;
use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use http::{header, HeaderMap, StatusCode};

use super::form;
use super::medico::{self, Doctor};
use super::page::{self, Chrome};
use super::transaction::{OutcomeView, Recorded, Transaction};
use super::{advice, Pages, Visitor};
use crate::services::sierologici::{self, ElencoAssistitiRequest, SERVICE};
use crate::services::Access;
use crate::store::ListedPatient;

pub const OPERATION: &str = "ElencoAssistiti";

pub struct PatientRow {
    pub cf: String,
    pub surname: String,
    pub name: String,
    pub updated_on: String,
}

#[derive(Template)]
#[template(path = "medico_assistiti.html")]
struct ListPage {
    chrome: Chrome,
    csrf: String,
    acting: String,
    today: String,
    esito: Option<OutcomeView>,
    patients: Vec<PatientRow>,
}

impl Pages {
    /// Runs `ElencoAssistiti` for the doctor, recorded.
    async fn patient_list(
        &self,
        doctor: &Doctor,
        visitor: &Visitor,
    ) -> Result<Recorded<Vec<ListedPatient>>, Response> {
        Transaction::run(
            &self.gateway,
            &doctor.caller,
            visitor.client,
            (SERVICE, OPERATION),
            Access::OperatorProfile(sierologici::PROFILE),
            |context| {
                let request = ElencoAssistitiRequest {
                    acting: doctor.acting(),
                };
                Box::pin(async move { sierologici::elenco_assistiti(context, &request).await })
            },
        )
        .await
    }

    async fn list_page(&self, doctor: &Doctor, recorded: Recorded<Vec<ListedPatient>>) -> Response {
        let esito = OutcomeView::of(&recorded, advice::sierologici);
        let patients = recorded
            .outcome
            .payload
            .unwrap_or_default()
            .into_iter()
            .map(|p| PatientRow {
                cf: p.cf.to_string(),
                surname: p.surname,
                name: p.name,
                updated_on: form::italian(p.updated_on),
            })
            .collect();
        let page = ListPage {
            chrome: Chrome::signed_in(doctor.csrf(), medico::trail("Elenco assistiti")),
            csrf: doctor.csrf().to_owned(),
            acting: self.acting_label(doctor).await,
            today: form::iso(crate::clock::rome_day(self.now())),
            esito: Some(esito),
            patients,
        };
        page::html(StatusCode::OK, &page)
    }
}

/// `GET /web/medico/assistiti`.
pub async fn show(
    State(pages): State<Arc<Pages>>,
    Extension(visitor): Extension<Visitor>,
    headers: HeaderMap,
) -> Response {
    let doctor = match pages.doctor(&headers, &visitor).await {
        Ok(doctor) => doctor,
        Err(response) => return response,
    };
    match pages.patient_list(&doctor, &visitor).await {
        Ok(recorded) => pages.list_page(&doctor, recorded).await,
        Err(response) => response,
    }
}

/// `GET /web/medico/assistiti.csv`: the same list as a `;`-separated file with a header line
/// (`cf_assistito;cognome;nome;data_aggiornamento`); a refusal is the page, with its reason.
pub async fn csv(
    State(pages): State<Arc<Pages>>,
    Extension(visitor): Extension<Visitor>,
    headers: HeaderMap,
) -> Response {
    let doctor = match pages.doctor(&headers, &visitor).await {
        Ok(doctor) => doctor,
        Err(response) => return response,
    };
    let recorded = match pages.patient_list(&doctor, &visitor).await {
        Ok(recorded) => recorded,
        Err(response) => return response,
    };
    let Some(patients) = &recorded.outcome.payload else {
        return pages.list_page(&doctor, recorded).await;
    };
    let file = format!(
        "attachment; filename=\"assistiti-{}.csv\"",
        doctor.titolare_cf()
    );
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, file),
            (
                http::HeaderName::from_static("x-transaction-id"),
                recorded.transaction_id.clone(),
            ),
        ],
        patients_csv(patients),
    )
        .into_response()
}

fn patients_csv(patients: &[ListedPatient]) -> String {
    let mut csv = String::with_capacity(48 + patients.len() * 64);
    csv.push_str("cf_assistito;cognome;nome;data_aggiornamento\n");
    for p in patients {
        let _ = writeln!(
            csv,
            "{};{};{};{}",
            p.cf,
            form::csv_field(&p.surname),
            form::csv_field(&p.name),
            p.updated_on
        );
    }
    csv
}
