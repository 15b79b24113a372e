//! "Elenco test inviati" (seed 003 §3.4.4): `ElencoTest` between two dates sent, each row with a
//! button that cancels it (`AnnullaTest`, [`super::medico_invio::cancel`]). The titolare sees
//! every send for their patients and who sent it; a substitute only their own. The dates travel
//! in the query: they are no secret, and the page is a read.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::Extension;
use chrono::Duration;
use http::{HeaderMap, StatusCode};
use serde::Deserialize;

use super::form;
use super::medico;
use super::page::{self, Chrome};
use super::transaction::{OutcomeView, Transaction};
use super::{advice, Pages, Visitor};
use crate::services::sierologici::{self, ElencoTestRequest, PROFILE, SERVICE};
use crate::services::Access;

pub const OPERATION: &str = "ElencoTest";

/// Without dates, the list covers this many days up to today.
const DEFAULT_DAYS: i64 = 30;

pub struct SentRow {
    pub cf: String,
    pub name: String,
    pub test_date: String,
    pub send_id: String,
    pub sent_on: String,
    pub doctor_cf: String,
    pub on_list: bool,
}

#[derive(Template)]
#[template(path = "medico_test.html")]
struct SentPage {
    chrome: Chrome,
    csrf: String,
    acting: String,
    dal: String,
    al: String,
    esito: Option<OutcomeView>,
    tests: Vec<SentRow>,
}

#[derive(Deserialize)]
pub struct Period {
    #[serde(default)]
    dal: Option<String>,
    #[serde(default)]
    al: Option<String>,
}

/// `GET /web/medico/test?dal=…&al=…`.
pub async fn show(
    State(pages): State<Arc<Pages>>,
    Extension(visitor): Extension<Visitor>,
    headers: HeaderMap,
    Query(period): Query<Period>,
) -> Response {
    let doctor = match pages.doctor(&headers, &visitor).await {
        Ok(doctor) => doctor,
        Err(response) => return response,
    };
    let today = crate::clock::rome_day(pages.now());
    let dal = period
        .dal
        .unwrap_or_else(|| form::iso(today - Duration::days(DEFAULT_DAYS)));
    let al = period.al.unwrap_or_else(|| form::iso(today));
    let recorded = match Transaction::run(
        &pages.gateway,
        &doctor.caller,
        visitor.client,
        (SERVICE, OPERATION),
        Access::OperatorProfile(PROFILE),
        |context| {
            let request = ElencoTestRequest {
                acting: doctor.acting(),
                from: form::date(&dal),
                to: form::date(&al),
            };
            Box::pin(async move { sierologici::elenco_test(context, &request).await })
        },
    )
    .await
    {
        Ok(recorded) => recorded,
        Err(response) => return response,
    };
    let esito = OutcomeView::of(&recorded, advice::sierologici);
    let tests = recorded
        .outcome
        .payload
        .unwrap_or_default()
        .into_iter()
        .map(|t| SentRow {
            cf: t.assistito_cf.to_string(),
            name: match (t.surname, t.name) {
                (Some(surname), Some(name)) => format!("{surname} {name}"),
                _ => String::new(),
            },
            test_date: form::italian(t.test_date),
            send_id: t.transaction_id,
            sent_on: form::italian(t.sent_on),
            doctor_cf: t.doctor_cf.to_string(),
            on_list: t.on_list,
        })
        .collect();
    let page = SentPage {
        chrome: Chrome::signed_in(doctor.csrf(), medico::trail("Elenco test inviati")),
        csrf: doctor.csrf().to_owned(),
        acting: pages.acting_label(&doctor).await,
        dal,
        al,
        esito: Some(esito),
        tests,
    };
    page::html(StatusCode::OK, &page)
}
