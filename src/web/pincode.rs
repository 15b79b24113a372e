//! "Stampa pincode" (seed 000, Profilo Utente): the second half of the operator's pincode, read
//! with their own password (and TOTP code when enrolled) through the same functions as
//! `tsgate users pincode` ([`sign_in`], then [`second_half`]). Shown also right after the forced
//! password change of a first login, as seed 004 §3.2 says: the ASL hands over the first half,
//! the portal shows the second after the first authentication. The digits are only ever in the
//! answer to a POST, which no cache keeps (`Cache-Control: no-store` on every page).

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use http::{HeaderMap, StatusCode};
use serde::Deserialize;

use super::page::{self, Chrome, Crumb, HOME, SERVIZI_ONLINE};
use super::posted::{csrf_form, Posted};
use super::{Access, Operator, Pages};
use crate::admin::pincodes::{second_half, SecondHalfError};
use crate::identity::operator_login::{sign_in, LoginError, SignedIn};
use crate::identity::second_factor::Enrollment;

#[derive(Template)]
#[template(path = "pincode.html")]
struct PincodePage<'a> {
    chrome: Chrome,
    csrf: &'a str,
    message: Option<String>,
    /// The digits, once the password proved right; else the form.
    second_half: Option<&'a str>,
    /// Shown after the first login's password change: the next step is the home.
    first_login: bool,
    /// The operator's TOTP is active: the form asks for a code too.
    asks_code: bool,
}

fn trail() -> Vec<Crumb> {
    vec![
        HOME,
        SERVIZI_ONLINE,
        Crumb {
            label: "Profilo Utente",
            href: Some("/web/profilo"),
        },
        Crumb {
            label: "Stampa pincode",
            href: None,
        },
    ]
}

impl Pages {
    fn pincode_page(&self, status: StatusCode, page: PincodePage<'_>) -> Response {
        page::html(status, &page)
    }

    /// The page with the second half of `signed_in`'s pincode, or why it cannot be shown.
    pub(super) async fn show_second_half(
        &self,
        csrf: &str,
        signed_in: &SignedIn,
        first_login: bool,
    ) -> Response {
        let refuse = |status, message: &str| {
            self.pincode_page(
                status,
                PincodePage {
                    chrome: Chrome::signed_in(csrf, trail()),
                    csrf,
                    message: Some(message.to_owned()),
                    second_half: None,
                    first_login,
                    asks_code: signed_in.enrollment == Enrollment::Active,
                },
            )
        };
        let Ok(key) = self.sealing_key.as_ref() else {
            return refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "La stampa del pincode non è disponibile su questo sistema (manca la chiave dei \
                 segreti, auth.secrets_key): rivolgersi all'amministratore del sistema.",
            );
        };
        let store = self.gateway.store.as_ref();
        match second_half(store, key, &self.password_policy, signed_in, self.now()).await {
            Ok(half) => self.pincode_page(
                StatusCode::OK,
                PincodePage {
                    chrome: Chrome::signed_in(csrf, trail()),
                    csrf,
                    message: None,
                    second_half: Some(half.reveal()),
                    first_login,
                    asks_code: false,
                },
            ),
            Err(SecondHalfError::PasswordMustChange(_)) => page::redirect("/web/cambio-password"),
            // Registered before pincodes came in halves: after the change, simply the home.
            Err(SecondHalfError::NoneOnRecord(_)) if first_login => page::redirect("/web/"),
            Err(SecondHalfError::NoneOnRecord(_)) => refuse(
                StatusCode::NOT_FOUND,
                "Non risulta un pincode in due parti per questa utenza: chiedere un nuovo \
                 pincode all'amministratore di sicurezza della propria ASL.",
            ),
            Err(SecondHalfError::Unsealable(_)) => refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                "La seconda parte del pincode non può essere letta con la chiave di questo \
                 sistema: chiedere un nuovo pincode all'amministratore di sicurezza della \
                 propria ASL.",
            ),
            Err(SecondHalfError::Store(error)) => {
                tracing::error!(%error, "a pincode's second half could not be read");
                page::unavailable()
            }
        }
    }
}

/// `GET /web/pincode`: the form that asks for the password again.
pub async fn show(State(pages): State<Arc<Pages>>, headers: HeaderMap) -> Response {
    let operator = match pages.operator(&headers, Access::SignedIn).await {
        Ok(operator) => operator,
        Err(response) => return response,
    };
    let enrollment = match pages
        .gateway
        .identity
        .second_factor()
        .enrollment(&operator.user_id)
        .await
    {
        Ok(enrollment) => enrollment,
        Err(error) => {
            tracing::error!(%error, "a TOTP enrollment could not be read");
            return page::unavailable();
        }
    };
    let csrf = operator.session.csrf_token.as_str();
    pages.pincode_page(
        StatusCode::OK,
        PincodePage {
            chrome: Chrome::signed_in(csrf, trail()),
            csrf,
            message: None,
            second_half: None,
            first_login: false,
            asks_code: enrollment == Enrollment::Active,
        },
    )
}

#[derive(Deserialize)]
pub struct PincodeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    totp: String,
}

csrf_form!(PincodeForm);

/// `POST /web/pincode`: the password (and code) checked as by `tsgate users pincode`, a wrong
/// one counting toward the account's lock.
pub async fn submit(
    State(pages): State<Arc<Pages>>,
    Posted {
        by: operator, form, ..
    }: Posted<Operator, PincodeForm>,
) -> Response {
    let code = Some(form.totp.trim().to_owned()).filter(|code| !code.is_empty());
    let signed_in = sign_in(
        pages.gateway.store.as_ref(),
        pages.gateway.identity.second_factor(),
        pages.lockout,
        &operator.user_id,
        &form.password,
        || code,
        pages.now(),
    )
    .await;
    match signed_in {
        Ok(signed_in) => {
            pages
                .show_second_half(&operator.session.csrf_token, &signed_in, false)
                .await
        }
        Err(LoginError::Credentials) => {
            let csrf = operator.session.csrf_token.as_str();
            pages.pincode_page(
                StatusCode::UNAUTHORIZED,
                PincodePage {
                    chrome: Chrome::signed_in(csrf, trail()),
                    csrf,
                    message: Some(
                        "Parola chiave (o codice TOTP) non valida: dopo troppi tentativi errati \
                         l'utenza viene bloccata per un periodo."
                            .into(),
                    ),
                    second_half: None,
                    first_login: false,
                    asks_code: pages.asks_code(&operator.user_id).await,
                },
            )
        }
        Err(error) => {
            tracing::error!(%error, "a pincode request could not check the password");
            page::unavailable()
        }
    }
}

impl Pages {
    /// Whether `user_id`'s TOTP is active (a store failure: asked, to be safe).
    pub(super) async fn asks_code(&self, user_id: &str) -> bool {
        self.gateway
            .identity
            .second_factor()
            .enrollment(user_id)
            .await
            .map_or(true, |enrollment| enrollment == Enrollment::Active)
    }
}
