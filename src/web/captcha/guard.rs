//! A form's captcha as the pages use it: a challenge to show, and the answer a POST brings
//! judged, with what follows — the next challenge after a wrong or late answer, the session
//! ended after too many wrong ones.

use axum::response::Response;
use http::StatusCode;

use super::challenge::{Captcha, Verdict};
use super::{CaptchaField, CaptchaForm};
use crate::web::session::{self, Session};
use crate::web::{page, Pages};

/// What an answered captcha lets the page do.
pub enum Answered {
    Passed,
    /// Not passed: show the form again with `field` (a new challenge) and `message`.
    Retry {
        field: CaptchaField,
        message: &'static str,
    },
}

impl Pages {
    /// A new challenge for `form` of `session`; a store failure is the "unavailable" page.
    pub async fn challenge(
        &self,
        session: &Session,
        form: CaptchaForm,
    ) -> Result<CaptchaField, Response> {
        let store = self.gateway.store.as_ref();
        self.captcha
            .issue(store, &session.id_hash, form, self.now())
            .await
            .map_err(|error| {
                tracing::error!(%error, "a captcha challenge could not be issued");
                page::unavailable()
            })
    }

    /// Judges the answer `typed` to challenge `id` of `form`. After [`super::MAX_FAILURES`]
    /// wrong answers the session is ended and the answer is a page that says so.
    pub async fn answer_captcha(
        &self,
        session: &Session,
        form: CaptchaForm,
        id: &str,
        typed: &str,
    ) -> Result<Answered, Response> {
        let store = self.gateway.store.as_ref();
        let unavailable = |error: &dyn std::fmt::Display| {
            tracing::error!(%error, "a captcha answer could not be judged");
            page::unavailable()
        };
        let now = self.now();
        let verdict = self
            .captcha
            .judge(store, &session.id_hash, form, id, typed, now)
            .await
            .map_err(|e| unavailable(&e))?;
        let failures = match verdict {
            Verdict::Passed => return Ok(Answered::Passed),
            Verdict::Wrong { failures } | Verdict::Expired { failures } => failures,
            Verdict::Missing => {
                let field = self.challenge(session, form).await?;
                return Ok(Answered::Retry {
                    field,
                    message: verdict.refusal().unwrap_or_default(),
                });
            }
        };
        let message = verdict.refusal().unwrap_or_default();
        if Captcha::exhausted(failures) {
            if let Err(error) = store.web_sessions().delete(&session.id_hash).await {
                return Err(unavailable(&error));
            }
            return Err(page::with_cookie(
                too_many_wrong(),
                &session::clear_cookie(),
            ));
        }
        let field = self
            .captcha
            .reissue(store, &session.id_hash, form, failures, now)
            .await
            .map_err(|e| unavailable(&e))?;
        Ok(Answered::Retry { field, message })
    }
}

/// The session ended after too many wrong answers.
fn too_many_wrong() -> Response {
    page::refusal(
        StatusCode::TOO_MANY_REQUESTS,
        "Troppi codici di sicurezza errati",
        "Il codice di sicurezza è stato inserito in modo errato troppe volte: per sicurezza la \
         sessione è stata chiusa. Accedere di nuovo per continuare.",
        ("/web/login", "Torna alla pagina di accesso"),
    )
}
