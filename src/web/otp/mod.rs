//! "Caricamento App Immuni" (seed 000): an operator with the profile «Sistema TS-Invio codice
//! OTP» first types their pincode ([`pincode`]), then the citizen's OTP and symptom-onset date
//! with the captcha ([`entry`]); the page sends them through the same `InvioOTP` use case as
//! SOAP and shows the outcome ([`send`]).
//!
//! Zero retention, as on SOAP: the OTP and the date live only in the request being answered.
//! They are never in a session, a cookie, a URL, a log line, or a page after the outcome (a
//! refused captcha shows the form again empty); the form is POST-only and `autocomplete=off`,
//! and every answer is `Cache-Control: no-store`.

pub mod entry;
pub mod pincode;
pub mod send;

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use http::{HeaderMap, StatusCode};

use super::page::{self, Crumb, HOME, SERVIZI_ONLINE};
use super::posted::Poster;
use super::{Access, Operator, Pages, Visitor};
use crate::domain::Profile;
use crate::services::otp::InvioOtp;
use crate::store::UserRecord;

/// The menu entry and the trail's step.
pub const TITLE: &str = "Caricamento App Immuni";
pub const PATH: &str = "/web/immuni";

/// A signed-in operator who may send OTPs, and the use case that sends them.
pub struct OtpOperator {
    pub operator: Operator,
    pub user: UserRecord,
    pub profiles: Vec<Profile>,
    pub service: Arc<InvioOtp>,
}

/// "Ti trovi in": Home - Servizi Online - Caricamento App Immuni (- `last`).
pub fn trail(last: Option<&'static str>) -> Vec<Crumb> {
    let service = Crumb {
        label: TITLE,
        href: last.map(|_| PATH),
    };
    let mut trail = vec![HOME, SERVIZI_ONLINE, service];
    if let Some(label) = last {
        trail.push(Crumb { label, href: None });
    }
    trail
}

impl Pages {
    /// The operator of an OTP page: signed in, holding the OTP profile (as the register has it
    /// now), on a gateway that offers the service.
    pub async fn otp_operator(&self, headers: &HeaderMap) -> Result<OtpOperator, Response> {
        let Some(service) = self.gateway.catalogue.invio_otp().cloned() else {
            return Err(page::refusal(
                StatusCode::NOT_FOUND,
                "Servizio non disponibile",
                "Il servizio di invio del codice OTP non è attivo su questo sistema.",
                ("/web/", "Torna alla Home"),
            ));
        };
        let operator = self.operator(headers, Access::SignedIn).await?;
        let user = self.record_of(&operator).await?;
        let profiles = self
            .gateway
            .store
            .directory()
            .profiles_of(&user.user_id)
            .await
            .map_err(|error| {
                tracing::error!(%error, "an operator's profiles could not be read");
                page::unavailable()
            })?;
        if !profiles.contains(&Profile::InvioCodiceOtp) {
            return Err(page::refusal(
                StatusCode::FORBIDDEN,
                "Servizio non consentito",
                &format!(
                    "Il servizio «{TITLE}» è riservato agli utenti con il profilo «{}», che \
                     l'utenza non possiede. Per ottenerlo rivolgersi all'amministratore di \
                     sicurezza della propria ASL.",
                    Profile::InvioCodiceOtp.as_str()
                ),
                ("/web/", "Torna alla Home"),
            ));
        }
        Ok(OtpOperator {
            operator,
            user,
            profiles,
            service,
        })
    }
}

/// The operator who posts an OTP page's form.
impl Poster for OtpOperator {
    async fn resolve(
        pages: &Pages,
        headers: &HeaderMap,
        _visitor: &Visitor,
    ) -> Result<OtpOperator, Response> {
        pages.otp_operator(headers).await
    }
}

/// `GET /web/immuni`: the pincode page, or once it is passed the form with a new captcha.
pub async fn show(State(pages): State<Arc<Pages>>, headers: HeaderMap) -> Response {
    let enabled = match pages.otp_operator(&headers).await {
        Ok(enabled) => enabled,
        Err(response) => return response,
    };
    match pages.pincode_passed(&enabled.operator.session).await {
        Ok(true) => pages.entry_page(StatusCode::OK, &enabled, None, None).await,
        Ok(false) => pincode::page(StatusCode::OK, &enabled, None),
        Err(response) => response,
    }
}
