//! "Test sierologici" (seed 003 §3.2, §3.3.1): the doctor's pages. This one says for whom the
//! doctor acts and lets a substitute choose the titolare (the session remembers the choice);
//! the others list the patients ([`super::medico_assistiti`]), send and cancel a test
//! ([`super::medico_invio`]), list the tests sent ([`super::medico_test`]) and, for a titolare,
//! authorise substitutes ([`super::medico_sostituti`]).
//!
//! Every operation calls the same use case as its SOAP twin, with `cfMedico` the signed-in
//! doctor and `cfMedicoTitolare` the titolare chosen here (the doctor's own CF until a choice is
//! made): the acting-for rules (src/services/sierologici/acting.rs) decide, with their codes,
//! on every request. The choice itself is only remembered, never trusted.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::Extension;
use http::{HeaderMap, StatusCode};
use serde::Deserialize;

use super::form;
use super::page::{self, Chrome, Crumb, HOME, SERVIZI_ONLINE};
use super::pincode_step::{self, PincodeForm, PincodeStep};
use super::posted::{csrf_form, Posted, Poster};
use super::{Access, Operator, Pages, Visitor};
use crate::domain::{CodiceFiscale, OperatorCf};
use crate::identity::Caller;
use crate::services::sierologici::{ActingRequest, PROFILE, PROFILE_MMG};
use crate::services::Field;
use crate::store::UserRecord;

pub const PATH: &str = "/web/medico";

/// The trail's step back to this page.
pub const TEST_SIEROLOGICI: Crumb = Crumb {
    label: "Test sierologici",
    href: Some(PATH),
};

/// The doctors' pincode step (seed 003 §3.3: "basic authentication (ID utente e password) con
/// pincode come fattore di autenticazione"), before any of their pages opens to a session
/// opened with the password.
pub const PINCODE: PincodeStep = PincodeStep {
    title: "Test sierologici",
    service: "per la trasmissione dei test sierologici",
    action: "/web/medico/pincode",
    then: PATH,
    trail: hub_trail,
};

/// "Ti trovi in" of the doctors' first page (and of their pincode step).
fn hub_trail() -> Vec<Crumb> {
    vec![
        HOME,
        SERVIZI_ONLINE,
        Crumb {
            label: "Test sierologici",
            href: None,
        },
    ]
}

/// The signed-in doctor, as the register has them, and the titolare this session acts for.
pub struct Doctor {
    pub operator: Operator,
    pub user: UserRecord,
    pub caller: Caller,
    /// The titolare chosen in this session; `None`: the doctor's own patients.
    pub acting_for: Option<String>,
}

impl Doctor {
    /// `cfMedico`, `tipoAutenticazione` (never, from a person), `cfMedicoTitolare`.
    pub fn acting(&self) -> ActingRequest {
        let own = OperatorCf::from(self.user.cf.clone());
        let titolare = match &self.acting_for {
            Some(titolare) => Field::read(titolare, CodiceFiscale::parse),
            None => Field::Valid(self.user.cf.clone()),
        };
        ActingRequest {
            doctor: Field::Valid(own),
            declared_auth: None,
            titolare,
        }
    }

    /// The CF of the titolare the pages act for.
    pub fn titolare_cf(&self) -> String {
        self.acting_for
            .clone()
            .unwrap_or_else(|| self.user.cf.to_string())
    }

    pub fn csrf(&self) -> &str {
        &self.operator.session.csrf_token
    }
}

impl Pages {
    /// The doctor of a page: signed in and past the pincode step, whatever their profiles (an
    /// operation refuses a missing profile itself, with `9001` in the access log, as on SOAP).
    pub(super) async fn doctor(
        &self,
        headers: &HeaderMap,
        visitor: &Visitor,
    ) -> Result<Doctor, Response> {
        let doctor = self.signed_in_doctor(headers, visitor).await?;
        self.past_the_pincode(&PINCODE, &doctor.operator.session)
            .await?;
        Ok(doctor)
    }

    /// The doctor of a session, before the pincode step.
    async fn signed_in_doctor(
        &self,
        headers: &HeaderMap,
        visitor: &Visitor,
    ) -> Result<Doctor, Response> {
        let operator = self.operator(headers, Access::SignedIn).await?;
        let (user, caller) = self.caller_of(visitor, &operator).await?;
        let acting_for = self
            .gateway
            .store
            .web_sessions()
            .acting_for(&operator.session.id_hash)
            .await
            .map_err(|error| {
                tracing::error!(%error, "a web session's titolare could not be read");
                page::unavailable()
            })?;
        Ok(Doctor {
            operator,
            user,
            caller,
            acting_for,
        })
    }

    /// The doctor of a page that runs no operation of its own: the profile is checked here,
    /// before the pincode is asked for.
    pub(super) async fn doctor_with_profile(
        &self,
        headers: &HeaderMap,
        visitor: &Visitor,
    ) -> Result<Doctor, Response> {
        let doctor = self.signed_in_doctor(headers, visitor).await?;
        if !doctor.caller.holds(PROFILE) {
            return Err(page::forbidden_profile(PROFILE_MMG));
        }
        self.past_the_pincode(&PINCODE, &doctor.operator.session)
            .await?;
        Ok(doctor)
    }

    /// "il medico titolare CF (COGNOME NOME)" or "i propri assistiti", for the pages' header.
    pub(super) async fn acting_label(&self, doctor: &Doctor) -> String {
        match &doctor.acting_for {
            None => "i propri assistiti".to_owned(),
            Some(titolare) => format!("il medico titolare {}", self.doctor_name(titolare).await),
        }
    }

    /// `CF (COGNOME NOME)` from the registry's MMGs, or the CF alone.
    pub(super) async fn doctor_name(&self, cf: &str) -> String {
        let Ok(parsed) = OperatorCf::parse(cf) else {
            return cf.to_owned();
        };
        match self.gateway.store.patients().find_mmg(&parsed).await {
            Ok(Some(mmg)) => format!("{cf} ({} {})", mmg.surname, mmg.name),
            _ => cf.to_owned(),
        }
    }
}

/// `POST /web/medico/pincode`: the doctors' pincode step.
pub async fn pincode(pages: State<Arc<Pages>>, posted: Posted<Operator, PincodeForm>) -> Response {
    pincode_step::submit(&PINCODE, pages, posted).await
}

/// The doctor who posts a form that runs an operation (which checks the profile itself).
impl Poster for Doctor {
    async fn resolve(
        pages: &Pages,
        headers: &HeaderMap,
        visitor: &Visitor,
    ) -> Result<Doctor, Response> {
        pages.doctor(headers, visitor).await
    }
}

/// A doctor holding the serology profile: who posts a form that runs no operation of its own.
pub struct ProfiledDoctor(pub Doctor);

impl Poster for ProfiledDoctor {
    async fn resolve(
        pages: &Pages,
        headers: &HeaderMap,
        visitor: &Visitor,
    ) -> Result<ProfiledDoctor, Response> {
        pages
            .doctor_with_profile(headers, visitor)
            .await
            .map(ProfiledDoctor)
    }
}

/// The trail of a doctor's page called `label`.
pub fn trail(label: &'static str) -> Vec<Crumb> {
    vec![
        HOME,
        SERVIZI_ONLINE,
        TEST_SIEROLOGICI,
        Crumb { label, href: None },
    ]
}

/// One titolare a substitute may act for, with the authorised periods.
pub struct TitolareChoice {
    pub cf: String,
    pub label: String,
    pub periods: String,
    pub chosen: bool,
}

#[derive(Template)]
#[template(path = "medico.html")]
struct HubPage {
    chrome: Chrome,
    csrf: String,
    doctor_cf: String,
    acting: String,
    /// The doctor is an MMG of the registry: they may act for their own patients and
    /// authorise substitutes.
    is_mmg: bool,
    acting_for_self: bool,
    titolari: Vec<TitolareChoice>,
    message: Option<String>,
}

/// `GET /web/medico`.
pub async fn show(
    State(pages): State<Arc<Pages>>,
    Extension(visitor): Extension<Visitor>,
    headers: HeaderMap,
) -> Response {
    match pages.doctor_with_profile(&headers, &visitor).await {
        Ok(doctor) => pages.hub(&doctor, StatusCode::OK, None).await,
        Err(response) => response,
    }
}

impl Pages {
    async fn hub(&self, doctor: &Doctor, status: StatusCode, message: Option<String>) -> Response {
        let store = self.gateway.store.as_ref();
        let own = OperatorCf::from(doctor.user.cf.clone());
        let (is_mmg, authorisations) = match (
            store.patients().find_mmg(&own).await,
            store.substitutions().of_substitute(&own).await,
        ) {
            (Ok(mmg), Ok(authorisations)) => (mmg.is_some(), authorisations),
            (Err(error), _) | (_, Err(error)) => {
                tracing::error!(%error, "a doctor's titolari could not be read");
                return page::unavailable();
            }
        };
        let mut titolari: Vec<TitolareChoice> = Vec::new();
        for s in authorisations {
            let period = format!("dal {} al {}", form::italian(s.from), form::italian(s.to));
            match titolari.last_mut() {
                Some(last) if last.cf == s.titolare_cf.as_str() => {
                    last.periods = format!("{}; {period}", last.periods);
                }
                _ => titolari.push(TitolareChoice {
                    cf: s.titolare_cf.to_string(),
                    label: self.doctor_name(s.titolare_cf.as_str()).await,
                    periods: period,
                    chosen: doctor.acting_for.as_deref() == Some(s.titolare_cf.as_str()),
                }),
            }
        }
        let page = HubPage {
            chrome: Chrome::signed_in(doctor.csrf(), hub_trail()),
            csrf: doctor.csrf().to_owned(),
            doctor_cf: doctor.user.cf.to_string(),
            acting: self.acting_label(doctor).await,
            is_mmg,
            acting_for_self: doctor.acting_for.is_none(),
            titolari,
            message,
        };
        page::html(status, &page)
    }
}

#[derive(Deserialize)]
pub struct ChoiceForm {
    #[serde(default)]
    csrf: String,
    /// A titolare's CF, or empty for the doctor's own patients.
    #[serde(default)]
    titolare: String,
}

csrf_form!(ChoiceForm);

/// `POST /web/medico/titolare`: the titolare this session acts for from now on. Only a
/// titolare who authorised this doctor (in any period: after it ended, the substitute may still
/// consult and cancel what they sent) can be chosen.
pub async fn choose(
    State(pages): State<Arc<Pages>>,
    Posted {
        by: ProfiledDoctor(doctor),
        form,
        ..
    }: Posted<ProfiledDoctor, ChoiceForm>,
) -> Response {
    let wanted = form.titolare.trim().to_ascii_uppercase();
    let own = OperatorCf::from(doctor.user.cf.clone());
    let choice = if wanted.is_empty() || wanted == own.as_str() {
        None
    } else {
        let authorised = match OperatorCf::parse(&wanted) {
            Ok(titolare) => pages
                .gateway
                .store
                .substitutions()
                .of_titolare(&titolare, Some(&own))
                .await
                .map(|found| !found.is_empty()),
            Err(_) => Ok(false),
        };
        match authorised {
            Ok(true) => Some(wanted),
            Ok(false) => {
                let message = format!(
                    "Il medico {wanted} non ha autorizzato questa utenza come sostituto: \
                     scegliere uno dei medici titolari elencati."
                );
                return pages
                    .hub(&doctor, StatusCode::UNPROCESSABLE_ENTITY, Some(message))
                    .await;
            }
            Err(error) => {
                tracing::error!(%error, "a substitution could not be read");
                return page::unavailable();
            }
        }
    };
    match pages
        .gateway
        .store
        .web_sessions()
        .set_acting_for(&doctor.operator.session.id_hash, choice.as_deref())
        .await
    {
        Ok(_) => page::redirect(PATH),
        Err(error) => {
            tracing::error!(%error, "a web session's titolare could not be recorded");
            page::unavailable()
        }
    }
}
