//! "Sostituti" (seed 003 §3.3.1): the titolare authorises a substitute — "Codice fiscale del
//! medico sostituto", "Date di inizio e fine sostituzione" — lists the authorisations and revokes
//! them. The seed puts this function in the web application only: this page is how a titolare
//! does it (the command line keeps `substitutes list` and `revoke` for the operators). The rules
//! are [`crate::admin::substitutes`]'; every attempt, done or refused, is an access-log entry
//! (`substitute-add`, `substitute-revoke`) naming the titolare as who acted.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::Extension;
use http::{HeaderMap, StatusCode};
use serde::Deserialize;

use super::form;
use super::medico::{self, Doctor, ProfiledDoctor};
use super::page::{self, Chrome};
use super::posted::{csrf_form, Posted};
use super::{Pages, Visitor};
use crate::admin::substitutes::{self, NewSubstitution, SubstituteError};
use crate::audit::{record_admin_action, Actor, AdminAction, AdminOperation, AdminOutcome};
use crate::domain::{CfError, CodiceFiscale};
use crate::store::StoreError;

pub const PATH: &str = "/web/medico/sostituti";

pub struct AuthorisationRow {
    pub substitute: String,
    pub from: String,
    pub to: String,
    /// "in corso", "futura" or "terminata", today.
    pub state: &'static str,
}

#[derive(Template)]
#[template(path = "medico_sostituti.html")]
struct SubstitutesPage {
    chrome: Chrome,
    csrf: String,
    titolare: String,
    rows: Vec<AuthorisationRow>,
    message: Option<String>,
    /// What was typed, given back after a refusal.
    sostituto: String,
    dal: String,
    al: String,
}

/// The form values given back to the page.
#[derive(Default)]
struct Typed<'a> {
    sostituto: &'a str,
    dal: &'a str,
    al: &'a str,
}

impl Pages {
    async fn substitutes_page(
        &self,
        doctor: &Doctor,
        status: StatusCode,
        message: Option<String>,
        typed: Typed<'_>,
    ) -> Response {
        let today = crate::clock::rome_day(self.now());
        let listed = match substitutes::list(self.gateway.store.as_ref(), &doctor.user.cf).await {
            Ok(listed) => listed,
            Err(error) => {
                tracing::error!(%error, "a titolare's substitutes could not be read");
                return page::unavailable();
            }
        };
        let rows = listed
            .into_iter()
            .map(|s| AuthorisationRow {
                substitute: s.substitute_cf.to_string(),
                from: form::italian(s.from),
                to: form::italian(s.to),
                state: if s.covers(today) {
                    "in corso"
                } else if s.from > today {
                    "futura"
                } else {
                    "terminata"
                },
            })
            .collect();
        let page = SubstitutesPage {
            chrome: Chrome::signed_in(doctor.csrf(), medico::trail("Sostituti")),
            csrf: doctor.csrf().to_owned(),
            titolare: doctor.user.cf.to_string(),
            rows,
            message,
            sostituto: typed.sostituto.to_owned(),
            dal: typed.dal.to_owned(),
            al: typed.al.to_owned(),
        };
        page::html(status, &page)
    }

    /// The titolare's action in the access log; not recorded: nothing may be shown as done.
    async fn audited(
        &self,
        doctor: &Doctor,
        visitor: &Visitor,
        operation: AdminOperation,
        target: String,
        detail: String,
        outcome: AdminOutcome,
    ) -> Result<(), Response> {
        let action = AdminAction {
            actor: Actor::Operator {
                id: doctor.user.user_id.clone(),
                cf: doctor.user.cf.to_string(),
                kind: doctor.caller.kind(),
            },
            operation,
            target: Some(target),
            detail: Some(detail),
            outcome,
            client_address: Some(visitor.client),
        };
        record_admin_action(self.gateway.store.as_ref(), &action)
            .await
            .map(|_| ())
            .map_err(|error| {
                tracing::error!(%error, "a titolare's action could not be recorded");
                page::unavailable()
            })
    }
}

/// `GET /web/medico/sostituti`.
pub async fn show(
    State(pages): State<Arc<Pages>>,
    Extension(visitor): Extension<Visitor>,
    headers: HeaderMap,
) -> Response {
    match pages.doctor_with_profile(&headers, &visitor).await {
        Ok(doctor) => {
            pages
                .substitutes_page(&doctor, StatusCode::OK, None, Typed::default())
                .await
        }
        Err(response) => response,
    }
}

#[derive(Deserialize)]
pub struct AuthoriseForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    sostituto: String,
    #[serde(default)]
    dal: String,
    #[serde(default)]
    al: String,
}

/// Why an authorisation or a revocation was refused, in the titolare's words.
fn refusal_text(error: &SubstituteError) -> String {
    match error {
        SubstituteError::OwnSubstitute => {
            "Un medico non può essere sostituto di se stesso: indicare il codice fiscale del \
             medico sostituto."
                .into()
        }
        SubstituteError::PeriodReversed { from, to } => format!(
            "La data di inizio ({}) è successiva alla data di fine ({}).",
            form::italian(*from),
            form::italian(*to)
        ),
        SubstituteError::NotAnMmg(cf) => format!(
            "Il codice fiscale {cf} non risulta tra i medici di medicina generale con assistiti \
             in elenco: solo il medico titolare può autorizzare un sostituto."
        ),
        SubstituteError::NoAuthorisation { substitute, .. } => {
            format!("Il medico {substitute} non ha autorizzazioni da revocare.")
        }
        SubstituteError::Store(StoreError::Duplicate { .. }) => {
            "Esiste già un'autorizzazione dello stesso sostituto con la stessa data di inizio."
                .into()
        }
        SubstituteError::Store(_) => {
            "Il servizio non è al momento disponibile: riprovare più tardi.".into()
        }
    }
}

/// The substitute's CF, strictly, or why it is not one.
fn substitute_cf(text: &str) -> Result<CodiceFiscale, String> {
    let text = text.trim().to_ascii_uppercase();
    CodiceFiscale::parse(&text).map_err(|error| match error {
        CfError::Shape => format!(
            "Il codice fiscale del medico sostituto «{text}» non è formalmente valido (16 \
             caratteri)."
        ),
        CfError::BirthDate => format!(
            "Il codice fiscale del medico sostituto «{text}» non è valido: la data di nascita \
             non esiste."
        ),
        CfError::CheckCharacter { expected } => format!(
            "Il codice fiscale del medico sostituto «{text}» ha il carattere di controllo \
             errato (atteso «{expected}»)."
        ),
    })
}

/// `POST /web/medico/sostituti`: authorises a substitute; a refusal shows the form again with
/// what was typed and why.
pub async fn authorise(
    State(pages): State<Arc<Pages>>,
    Posted {
        by: ProfiledDoctor(doctor),
        form,
        visitor,
    }: Posted<ProfiledDoctor, AuthoriseForm>,
) -> Response {
    let typed = Typed {
        sostituto: &form.sostituto,
        dal: &form.dal,
        al: &form.al,
    };
    let (from, to) = match (form::date(&form.dal), form::date(&form.al)) {
        (Some(from), Some(to)) => (from, to),
        (from, _) => {
            let which = if from.is_none() { "inizio" } else { "fine" };
            let message =
                format!("La data di {which} sostituzione non è una data valida (gg/mm/aaaa).");
            return pages
                .substitutes_page(
                    &doctor,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Some(message),
                    typed,
                )
                .await;
        }
    };
    let substitute = match substitute_cf(&form.sostituto) {
        Ok(substitute) => substitute,
        Err(message) => {
            return pages
                .substitutes_page(
                    &doctor,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Some(message),
                    typed,
                )
                .await
        }
    };
    let store = pages.gateway.store.as_ref();
    let added = match NewSubstitution::new(doctor.user.cf.clone(), substitute.clone(), from, to) {
        Ok(substitution) => substitutes::add(store, &substitution).await,
        Err(error) => Err(error),
    };
    let detail = format!("titolare {}, from {from} to {to}", doctor.user.cf);
    let outcome = AdminOutcome::of(&added);
    if let Err(response) = pages
        .audited(
            &doctor,
            &visitor,
            AdminOperation::SubstituteAdd,
            substitute.to_string(),
            detail,
            outcome,
        )
        .await
    {
        return response;
    }
    match added {
        Ok(()) => page::redirect(PATH),
        Err(SubstituteError::Store(error)) if !matches!(error, StoreError::Duplicate { .. }) => {
            tracing::error!(%error, "a substitution could not be stored");
            page::unavailable()
        }
        Err(error) => {
            pages
                .substitutes_page(
                    &doctor,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Some(refusal_text(&error)),
                    typed,
                )
                .await
        }
    }
}

csrf_form!(AuthoriseForm, RevokeForm);

#[derive(Deserialize)]
pub struct RevokeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    sostituto: String,
}

/// `POST /web/medico/sostituti/revoca`: withdraws every authorisation of a substitute.
pub async fn revoke(
    State(pages): State<Arc<Pages>>,
    Posted {
        by: ProfiledDoctor(doctor),
        form,
        visitor,
    }: Posted<ProfiledDoctor, RevokeForm>,
) -> Response {
    let substitute = match substitute_cf(&form.sostituto) {
        Ok(substitute) => substitute,
        Err(message) => {
            return pages
                .substitutes_page(
                    &doctor,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Some(message),
                    Typed::default(),
                )
                .await
        }
    };
    let revoked =
        substitutes::revoke(pages.gateway.store.as_ref(), &doctor.user.cf, &substitute).await;
    if let Err(response) = pages
        .audited(
            &doctor,
            &visitor,
            AdminOperation::SubstituteRevoke,
            substitute.to_string(),
            format!("titolare {}", doctor.user.cf),
            AdminOutcome::of(&revoked),
        )
        .await
    {
        return response;
    }
    match revoked {
        Ok(_) => page::redirect(PATH),
        Err(SubstituteError::Store(error)) => {
            tracing::error!(%error, "a substitution could not be revoked");
            page::unavailable()
        }
        Err(error) => {
            pages
                .substitutes_page(
                    &doctor,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Some(refusal_text(&error)),
                    Typed::default(),
                )
                .await
        }
    }
}
