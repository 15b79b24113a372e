//! "Cambio Password": the operator replaces their password under the same rules as `tsgate
//! users passwd` ([`crate::admin::passwords::change_own`]: the current one checked and counted
//! as a failed credential when wrong, the policy, the history). Forced after a login with an
//! initial or expired password, after which the page shows the second half of the pincode
//! ([`super::pincode`]). A change ends every other session of the operator and rotates this one.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::Form;
use http::{HeaderMap, StatusCode};
use serde::Deserialize;

use super::page::{self, Chrome, Crumb, HOME, SERVIZI_ONLINE};
use super::{session, Access, Pages};
use crate::admin::passwords::{change_own, PasswordChangeError};
use crate::identity::operator_login::{sign_in, LoginError};
use crate::identity::password_policy::PasswordRuleError;

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage<'a> {
    chrome: Chrome,
    csrf: &'a str,
    forced: bool,
    message: Option<String>,
    /// The operator's TOTP is active: the current password comes with a code, as at login.
    asks_code: bool,
    min_length: usize,
    min_classes: usize,
    history: u32,
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
            label: "Cambio Password",
            href: None,
        },
    ]
}

impl Pages {
    fn password_page(
        &self,
        status: StatusCode,
        csrf: &str,
        forced: bool,
        asks_code: bool,
        message: Option<String>,
    ) -> Response {
        let policy = &self.password_policy;
        let page = PasswordPage {
            chrome: Chrome::signed_in(csrf, trail()),
            csrf,
            forced,
            message,
            asks_code,
            min_length: policy.min_length,
            min_classes: policy.min_classes,
            history: policy.history,
        };
        page::html(status, &page)
    }
}

/// `GET /web/cambio-password`.
pub async fn show(State(pages): State<Arc<Pages>>, headers: HeaderMap) -> Response {
    let operator = match pages.operator(&headers, Access::PasswordChange).await {
        Ok(operator) => operator,
        Err(response) => return response,
    };
    pages.password_page(
        StatusCode::OK,
        &operator.session.csrf_token,
        operator.session.must_change_password,
        pages.asks_code(&operator.user_id).await,
        None,
    )
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current: String,
    /// The TOTP code, for an enrolled operator.
    #[serde(default)]
    totp: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    confirm: String,
}

/// `POST /web/cambio-password`.
pub async fn submit(
    State(pages): State<Arc<Pages>>,
    headers: HeaderMap,
    Form(form): Form<PasswordForm>,
) -> Response {
    let session = match pages.posted(&headers, &form.csrf).await {
        Ok(session) => session,
        Err(response) => return response,
    };
    let Some(user_id) = session.user_id.clone() else {
        return page::redirect("/web/login");
    };
    let asks_code = pages.asks_code(&user_id).await;
    let refuse = |message: String| {
        pages.password_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            &session.csrf_token,
            session.must_change_password,
            asks_code,
            Some(message),
        )
    };
    if form.new != form.confirm {
        return refuse("La nuova parola chiave e la sua conferma non coincidono.".into());
    }
    let store = pages.gateway.store.as_ref();
    // The current password (and code, once enrolled) proves it is still them.
    let code = Some(form.totp.trim().to_owned()).filter(|code| !code.is_empty());
    let signed_in =
        match sign_in(
            store,
            pages.gateway.identity.second_factor(),
            pages.lockout,
            &user_id,
            &form.current,
            || code,
            pages.now(),
        )
        .await
        {
            Ok(signed_in) => signed_in,
            Err(LoginError::Credentials) => return refuse(
                "Parola chiave attuale (o codice OTP) non valida: dopo troppi tentativi errati \
                 l'utenza viene bloccata per un periodo."
                    .into(),
            ),
            Err(error) => {
                tracing::error!(%error, "a password change could not check the current password");
                return page::unavailable();
            }
        };
    let changed = change_own(
        store,
        &pages.password_policy,
        &signed_in,
        &form.new,
        pages.now(),
    )
    .await;
    match changed {
        Ok(()) => {
            if let Err(error) = store.web_sessions().delete_of_user(&user_id).await {
                tracing::error!(%error, "the other web sessions of a user could not be ended");
                return page::unavailable();
            }
            if !session.must_change_password {
                return pages.rotate(&session, &user_id, false, "/web/").await;
            }
            // The first login (or an expired password): then the pincode's second half.
            match pages.rotated(&session, &user_id, false).await {
                Ok(created) => page::with_cookie(
                    pages
                        .show_second_half(&created.session.csrf_token, &signed_in, true)
                        .await,
                    &session::set_cookie(&created.cookie_id),
                ),
                Err(response) => response,
            }
        }
        Err(PasswordChangeError::Credentials) => refuse(
            "Parola chiave attuale non valida (dopo troppi tentativi errati l'utenza viene \
             bloccata per un periodo)."
                .into(),
        ),
        Err(PasswordChangeError::Rule(rule)) => refuse(explain(&rule)),
        Err(PasswordChangeError::Hash(error)) => {
            tracing::error!(%error, "a new password could not be hashed");
            page::unavailable()
        }
        Err(PasswordChangeError::Store(error)) => {
            tracing::error!(%error, "a password could not be changed");
            page::unavailable()
        }
    }
}

/// Why the new password breaks a rule, in Italian.
fn explain(rule: &PasswordRuleError) -> String {
    match rule {
        PasswordRuleError::TooShort { min, has } => {
            format!("La nuova parola chiave è troppo corta: almeno {min} caratteri, ne ha {has}.")
        }
        PasswordRuleError::TooFewClasses { min, has } => format!(
            "La nuova parola chiave deve contenere caratteri di almeno {min} tipi tra lettere \
             minuscole, lettere maiuscole, cifre e altri caratteri; ne contiene {has}."
        ),
        PasswordRuleError::Reused { history } => format!(
            "La nuova parola chiave è una delle ultime {history} usate: sceglierne un'altra."
        ),
        PasswordRuleError::ContainsUserId => {
            "La nuova parola chiave non può contenere il Codice Identificativo.".into()
        }
    }
}
