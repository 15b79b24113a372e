//! The ASL user's pages (seed 003 §4.2, the services' "modalità applicazione web"): the number
//! of serology tests done on a day (`InvioNumeroTest`, the SOAP operation's use case, rules,
//! codes and access-log entry) and the file of state-school-staff assistiti per MMG of the
//! user's own ASL (the `/asl/assistiti-per-mmg.csv` download's use case and file, recorded the
//! same way: operation `ScaricoAssistitiPerMedico`, `0000` or `9001`).

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use http::{header, HeaderMap, StatusCode};
use serde::Deserialize;

use super::form;
use super::page::{self, Chrome, Crumb, HOME, SERVIZI_ONLINE};
use super::pincode_step::{self, PincodeForm, PincodeStep};
use super::posted::{csrf_form, Posted, Poster};
use super::transaction::{OutcomeView, Transaction};
use super::{advice, Access as PageAccess, Operator, Pages, Visitor};
use crate::domain::{OperatorCf, TransactionIdKind};
use crate::identity::Caller;
use crate::services::asl::assistiti_per_mmg::{self, assistiti_per_mmg};
use crate::services::asl::{self, InvioNumeroTestRequest, PROFILE, PROFILE_ASL, SERVICE};
use crate::services::{Access, Field};
use crate::store::UserRecord;

pub const PATH: &str = "/web/asl";
pub const SEND: &str = "InvioNumeroTest";

/// The ASL users' pincode step (seed 003 §4.2: "Utente ASL – Applicazione web – basic
/// authentication (ID utente e password) con pincode"), before their pages open to a session
/// opened with the password.
pub const PINCODE: PincodeStep = PincodeStep {
    title: "Servizi ASL",
    service: "per la trasmissione del numero dei test sierologici",
    action: "/web/asl/pincode",
    then: PATH,
    trail: asl_trail,
};

/// "Ti trovi in" of the ASL page (and of its pincode step).
fn asl_trail() -> Vec<Crumb> {
    vec![
        HOME,
        SERVIZI_ONLINE,
        Crumb {
            label: "Servizi ASL",
            href: None,
        },
    ]
}

/// The largest daily number the form takes (`numeroTest` in the XSD: 0 to 1000000).
const MAX_TESTS: i64 = 1_000_000;

#[derive(Template)]
#[template(path = "asl.html")]
struct AslPage {
    chrome: Chrome,
    csrf: String,
    operator_cf: String,
    asl: String,
    esito: Option<OutcomeView>,
    /// What was typed, given back after a refusal (after a success, the form is empty).
    data_test: String,
    numero_test: String,
}

/// The signed-in ASL user.
pub struct AslUser {
    csrf: String,
    user: UserRecord,
    caller: Caller,
}

impl Poster for AslUser {
    async fn resolve(
        pages: &Pages,
        headers: &HeaderMap,
        visitor: &Visitor,
    ) -> Result<AslUser, Response> {
        pages.asl_user(headers, visitor).await
    }
}

impl Pages {
    async fn asl_user(&self, headers: &HeaderMap, visitor: &Visitor) -> Result<AslUser, Response> {
        let operator = self.operator(headers, PageAccess::SignedIn).await?;
        let (user, caller) = self.caller_of(visitor, &operator).await?;
        // Without the profile the page is refused for that, before any pincode is asked.
        if caller.holds(PROFILE) {
            self.past_the_pincode(&PINCODE, &operator.session).await?;
        }
        Ok(AslUser {
            csrf: operator.session.csrf_token,
            user,
            caller,
        })
    }

    fn asl_page(
        &self,
        asl_user: &AslUser,
        status: StatusCode,
        esito: Option<OutcomeView>,
        data_test: String,
        numero_test: String,
    ) -> Response {
        let user = &asl_user.user;
        let asl = match (user.region, user.asl) {
            (Some(region), Some(asl)) => format!("{asl} (regione {region})"),
            _ => "nessuna".to_owned(),
        };
        let page = AslPage {
            chrome: Chrome::signed_in(&asl_user.csrf, asl_trail()),
            csrf: asl_user.csrf.clone(),
            operator_cf: user.cf.to_string(),
            asl,
            esito,
            data_test,
            numero_test,
        };
        page::html(status, &page)
    }
}

/// `POST /web/asl/pincode`.
pub async fn pincode(pages: State<Arc<Pages>>, posted: Posted<Operator, PincodeForm>) -> Response {
    pincode_step::submit(&PINCODE, pages, posted).await
}

/// `GET /web/asl`.
pub async fn show(
    State(pages): State<Arc<Pages>>,
    Extension(visitor): Extension<Visitor>,
    headers: HeaderMap,
) -> Response {
    let asl_user = match pages.asl_user(&headers, &visitor).await {
        Ok(asl_user) => asl_user,
        Err(response) => return response,
    };
    if !asl_user.caller.holds(PROFILE) {
        return page::forbidden_profile(PROFILE_ASL);
    }
    let today = form::iso(crate::clock::rome_day(pages.now()));
    pages.asl_page(&asl_user, StatusCode::OK, None, today, String::new())
}

#[derive(Deserialize)]
pub struct CountForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    data_test: String,
    #[serde(default)]
    numero_test: String,
}

/// `numeroTest` as the XSD takes it: digits (a leading `+` allowed), 0 to 1000000.
fn number_of_tests(text: &str) -> Option<i64> {
    let digits = text.trim().trim_start_matches('+');
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().filter(|n| (0..=MAX_TESTS).contains(n))
}

csrf_form!(CountForm);

/// `POST /web/asl/numero-test`.
pub async fn submit(
    State(pages): State<Arc<Pages>>,
    Posted {
        by: asl_user,
        form,
        visitor,
    }: Posted<AslUser, CountForm>,
) -> Response {
    let recorded = match Transaction::run(
        &pages.gateway,
        &asl_user.caller,
        visitor.client,
        (SERVICE, SEND),
        Access::OperatorProfile(PROFILE),
        |context| {
            let request = InvioNumeroTestRequest {
                operator: Field::Valid(OperatorCf::from(asl_user.user.cf.clone())),
                declared_auth: None,
                asl: None,
                test_date: form::date(&form.data_test),
                tests: number_of_tests(&form.numero_test),
            };
            Box::pin(async move { asl::invio_numero_test(context, &request).await })
        },
    )
    .await
    {
        Ok(recorded) => recorded,
        Err(response) => return response,
    };
    let esito = OutcomeView::of(&recorded, advice::asl);
    let (data_test, numero_test) = if esito.ok {
        (
            form::iso(crate::clock::rome_day(pages.now())),
            String::new(),
        )
    } else {
        (form.data_test, form.numero_test)
    };
    pages.asl_page(
        &asl_user,
        StatusCode::OK,
        Some(esito),
        data_test,
        numero_test,
    )
}

/// `GET /web/asl/assistiti-per-mmg.csv`: the file of the user's ASL, as an attachment; a
/// refusal is a page saying why. Each download, given or refused, is in the access log.
pub async fn download(
    State(pages): State<Arc<Pages>>,
    Extension(visitor): Extension<Visitor>,
    headers: HeaderMap,
) -> Response {
    let asl_user = match pages.asl_user(&headers, &visitor).await {
        Ok(asl_user) => asl_user,
        Err(response) => return response,
    };
    let transaction = match Transaction::begin(
        &pages.gateway,
        &asl_user.caller,
        visitor.client,
        SERVICE,
        assistiti_per_mmg::OPERATION,
        TransactionIdKind::Numeric,
    ) {
        Ok(transaction) => transaction,
        Err(refused) => return refused.into_response(),
    };
    let store = pages.gateway.store.as_ref();
    let refusal = match assistiti_per_mmg(store, &asl_user.caller).await {
        Ok(rows) => {
            let transaction_id = match transaction.record_code(assistiti_per_mmg::GRANTED).await {
                Ok(id) => id,
                Err(response) => return response,
            };
            let asl = asl_user.user.asl.map(|a| a.to_string()).unwrap_or_default();
            return (
                StatusCode::OK,
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"assistiti-per-mmg-{asl}.csv\""),
                    ),
                    (
                        http::HeaderName::from_static("x-transaction-id"),
                        transaction_id,
                    ),
                ],
                assistiti_per_mmg::csv(&rows),
            )
                .into_response();
        }
        Err(refusal) => refusal,
    };
    let Some(code) = refusal.code() else {
        return page::unavailable();
    };
    if let Err(response) = transaction.record_code(code).await {
        return response;
    }
    page::refused(
        "File non disponibile",
        &format!("{refusal}: il file degli assistiti per medico non può essere scaricato."),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_number_of_tests_is_what_the_schema_takes() {
        assert_eq!(number_of_tests("0"), Some(0));
        assert_eq!(number_of_tests(" +25 "), Some(25));
        assert_eq!(number_of_tests("1000000"), Some(MAX_TESTS));
        for bad in [
            "",
            "-1",
            "1000001",
            "2.5",
            "dieci",
            "1e3",
            "99999999999999999999",
        ] {
            assert_eq!(number_of_tests(bad), None, "{bad}");
        }
    }
}
