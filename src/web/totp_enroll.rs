//! "Secondo fattore": an operator enrolls their authenticator app from the web, through the
//! same use case as `tsgate users totp enroll` ([`SecondFactor::start_enrollment`], then
//! [`confirm_enrollment`]): a new secret shown once, as base32 text and as the `otpauth://`
//! address (no script, no picture: the app takes either typed in), and the enrollment counts
//! only once a first code from the app confirms it; a wrong code is a failed credential, counted
//! toward the account's lock. Under `auth.totp = "required"` an operator not yet enrolled is
//! sent here after the login (and after the first login's password change) and opens no other
//! page until done ([`super::Access`]).
//!
//! The secret appears only in the answer to the POST that made it, which no cache keeps
//! (`Cache-Control: no-store` on every page), and never in a log.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use http::{HeaderMap, StatusCode};
use serde::Deserialize;

use super::page::{self, Chrome};
use super::posted::{csrf_form, Posted, Poster};
use super::{Access, Operator, Pages, Visitor};
use crate::config::TotpMode;
use crate::identity::operator_login::{confirm_enrollment, LoginError};
use crate::identity::second_factor::{Enrollment, NewEnrollment, SecondFactorError};

/// The page, and where its first form posts (a new secret).
pub const PATH: &str = "/web/secondo-fattore";
/// Where the code that confirms the secret is posted.
pub const CONFIRM_PATH: &str = "/web/secondo-fattore/conferma";

#[derive(Template)]
#[template(path = "totp_enroll.html")]
struct EnrollPage<'a> {
    chrome: Chrome,
    csrf: &'a str,
    message: Option<String>,
    /// `auth.totp = "required"`: no other page opens until the enrollment is done.
    required: bool,
    /// Where the operator stands.
    active: bool,
    pending: bool,
    /// The secret just made, shown this once.
    secret: Option<&'a str>,
    uri: Option<&'a str>,
}

impl Pages {
    /// The page for `operator` in `enrollment`, with `shown` (a secret just made) if any.
    fn enroll_page(
        &self,
        status: StatusCode,
        operator: &Operator,
        enrollment: Enrollment,
        shown: Option<&NewEnrollment>,
        message: Option<String>,
    ) -> Response {
        let csrf = operator.session.csrf_token.as_str();
        let page = EnrollPage {
            chrome: Chrome::signed_in(csrf, page::trail_to("Secondo fattore")),
            csrf,
            message,
            required: self.gateway.identity.second_factor().mode() == TotpMode::Required,
            active: enrollment == Enrollment::Active,
            pending: enrollment == Enrollment::Pending,
            secret: shown.map(|s| s.secret_base32.as_str()),
            uri: shown.map(|s| s.uri.as_str()),
        };
        page::html(status, &page)
    }

    /// The operator of this page, and where their second factor stands; TOTP off: no page.
    async fn enrolling(&self, headers: &HeaderMap) -> Result<(Operator, Enrollment), Response> {
        let operator = self
            .operator(headers, Access::SecondFactorEnrollment)
            .await?;
        let factor = self.gateway.identity.second_factor();
        if factor.mode() == TotpMode::Off {
            return Err(page::not_found());
        }
        match factor.enrollment(&operator.user_id).await {
            Ok(enrollment) => Ok((operator, enrollment)),
            Err(error) => {
                tracing::error!(%error, "a TOTP enrollment could not be read");
                Err(page::unavailable())
            }
        }
    }
}

/// Who posts the page's forms: the operator, and where their second factor stands.
pub struct Enrolling {
    operator: Operator,
    enrollment: Enrollment,
}

impl Poster for Enrolling {
    async fn resolve(
        pages: &Pages,
        headers: &HeaderMap,
        _visitor: &Visitor,
    ) -> Result<Enrolling, Response> {
        let (operator, enrollment) = pages.enrolling(headers).await?;
        Ok(Enrolling {
            operator,
            enrollment,
        })
    }
}

/// `GET /web/secondo-fattore`: where the operator stands, and the button that makes a secret.
pub async fn show(State(pages): State<Arc<Pages>>, headers: HeaderMap) -> Response {
    match pages.enrolling(&headers).await {
        Ok((operator, enrollment)) => {
            pages.enroll_page(StatusCode::OK, &operator, enrollment, None, None)
        }
        Err(response) => response,
    }
}

#[derive(Deserialize)]
pub struct EnrollForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
}

csrf_form!(EnrollForm);

/// `POST /web/secondo-fattore`: a new secret (in place of one not yet confirmed), shown once,
/// with the form for the first code.
pub async fn start(
    State(pages): State<Arc<Pages>>,
    Posted { by, .. }: Posted<Enrolling, EnrollForm>,
) -> Response {
    let Enrolling {
        operator,
        enrollment,
    } = by;
    let factor = pages.gateway.identity.second_factor();
    match factor
        .start_enrollment(&operator.user_id, pages.now())
        .await
    {
        Ok(shown) => pages.enroll_page(
            StatusCode::OK,
            &operator,
            Enrollment::Pending,
            Some(&shown),
            None,
        ),
        Err(SecondFactorError::AlreadyEnrolled) => pages.enroll_page(
            StatusCode::CONFLICT,
            &operator,
            enrollment,
            None,
            Some(
                "Il secondo fattore è già attivo. Per associarlo a un'altra app chiedere \
                 all'amministratore di sicurezza della propria ASL di azzerarlo."
                    .into(),
            ),
        ),
        Err(error) => {
            tracing::error!(%error, "a TOTP enrollment could not be started");
            page::unavailable()
        }
    }
}

/// `POST /web/secondo-fattore/conferma`: the first code from the app; right, the second
/// factor is active and the operator goes on to the home.
pub async fn confirm(
    State(pages): State<Arc<Pages>>,
    Posted { by, form, .. }: Posted<Enrolling, EnrollForm>,
) -> Response {
    let Enrolling {
        operator,
        enrollment,
    } = by;
    let confirmed = confirm_enrollment(
        pages.gateway.store.as_ref(),
        pages.gateway.identity.second_factor(),
        pages.lockout,
        &operator.user_id,
        form.code.trim(),
        pages.now(),
    )
    .await;
    match confirmed {
        Ok(()) => pages.enroll_page(
            StatusCode::OK,
            &operator,
            Enrollment::Active,
            None,
            Some(
                "Secondo fattore attivato: dal prossimo accesso inserire anche il codice OTP \
                 mostrato dall'app di autenticazione."
                    .into(),
            ),
        ),
        Err(LoginError::Credentials) => pages.enroll_page(
            StatusCode::UNAUTHORIZED,
            &operator,
            enrollment,
            None,
            Some(
                "Codice non valido (o già usato): inserire il codice che l'app mostra ora. Dopo \
                 troppi tentativi errati l'utenza viene bloccata per un periodo."
                    .into(),
            ),
        ),
        Err(LoginError::SecondFactor(SecondFactorError::NothingToConfirm)) => pages.enroll_page(
            StatusCode::CONFLICT,
            &operator,
            enrollment,
            None,
            Some("Nessun codice segreto in attesa di conferma: generarne uno nuovo.".into()),
        ),
        Err(error) => {
            tracing::error!(%error, "a TOTP enrollment could not be confirmed");
            page::unavailable()
        }
    }
}
