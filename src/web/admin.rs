//! The security administrators' pages under `/web/admin/`: their own login ("Accesso
//! amministratori di sicurezza"), apart from the operators' one, and the gate every other page
//! of theirs passes. What an administrator may do is [`crate::admin`]'s call, exactly as on the
//! command line: these pages call the same functions, which check the scope, write, and record
//! every attempt in the access log (with the browser's address).
//!
//! Why a login of their own: administrators and operators are two registers, and an id may be in
//! both. One form would have to try both, counting a wrong password against two lockouts and
//! paying argon2 twice; two forms keep each lockout exact. A session says whose it is (an
//! operator's or an administrator's, never both), so an operator's session opens no page here
//! and an administrator's none of the operators' pages.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Form};
use http::{HeaderMap, StatusCode};
use serde::Deserialize;

use super::captcha::CaptchaField;
use super::login::CaptchaAnswer;
use super::page::{self, Chrome, Crumb, HOME};
use super::prelogin::{self, LoginForm};
use super::session::{self, Holder, Session};
use super::{admin_central, admin_operators, Pages, Visitor};
use crate::admin::administrators::{self, Administrator, AdministratorError, Refusal};
use crate::store::AdministratorScope;

/// The administration's home.
pub const ADMIN_HOME: &str = "/web/admin/";
/// The administrators' login page.
pub const ADMIN_LOGIN: &str = "/web/admin/accesso";

#[derive(Template)]
#[template(path = "admin_login.html")]
struct AdminLoginPage<'a> {
    chrome: Chrome,
    csrf: &'a str,
    message: Option<String>,
    admin_id: &'a str,
    /// After failed logins: the captcha, as on the operators' login.
    captcha: Option<CaptchaField>,
}

/// A logged-in administrator and their session.
pub struct AdminSession {
    pub session: Session,
    pub admin: Administrator,
}

pub fn admin_crumb() -> Crumb {
    Crumb {
        label: "Amministrazione",
        href: Some(ADMIN_HOME),
    }
}

fn login_trail() -> Vec<Crumb> {
    vec![
        HOME,
        Crumb {
            label: "Accesso amministratori di sicurezza",
            href: None,
        },
    ]
}

impl Pages {
    /// The administrator of an administration page: no session (or no one's) sends the browser
    /// to the administrators' login; an operator's session is refused; an administrator
    /// disabled meanwhile loses the session.
    pub(super) async fn administrator(
        &self,
        headers: &HeaderMap,
        visitor: &Visitor,
    ) -> Result<AdminSession, Response> {
        let Some(session) = self.session(headers).await? else {
            return Err(page::redirect(ADMIN_LOGIN));
        };
        let Some(admin_id) = session.admin_id.clone() else {
            return Err(match session.user_id {
                Some(_) => page::forbidden_to_operators(),
                None => page::redirect(ADMIN_LOGIN),
            });
        };
        let store = self.gateway.store.as_ref();
        match administrators::resume(store, &admin_id, visitor.client).await {
            Ok(Some(admin)) => Ok(AdminSession { session, admin }),
            Ok(None) => {
                let _ = store.web_sessions().delete(&session.id_hash).await;
                Err(page::redirect(ADMIN_LOGIN))
            }
            Err(error) => {
                tracing::error!(%error, "an administrator's record could not be read");
                Err(page::unavailable())
            }
        }
    }

    /// The administrator of a POST, which must carry the session's CSRF token (checked before
    /// anything else, [`Pages::posted`]).
    pub(super) async fn administrator_posting(
        &self,
        headers: &HeaderMap,
        visitor: &Visitor,
        sent_csrf: &str,
    ) -> Result<AdminSession, Response> {
        self.posted(headers, sent_csrf).await?;
        self.administrator(headers, visitor).await
    }

    /// A new session of `holder` in place of `old` (a new id and CSRF token): at login, and after
    /// a page that shows credentials, so that the form that produced it cannot be sent again.
    pub(super) async fn renew(
        &self,
        old: &Session,
        holder: Holder<'_>,
    ) -> Result<session::Created, Response> {
        let store = self.gateway.store.as_ref();
        let renewed = async {
            store.web_sessions().delete(&old.id_hash).await?;
            session::create_of(store, self.timeouts, holder, false, self.now()).await
        }
        .await;
        renewed.map_err(|error| {
            tracing::error!(%error, "a web session could not be rotated");
            page::unavailable()
        })
    }

    /// The administrators' login form for the browser holding the pre-login value `nonce`
    /// (its cookie set again, for another lifetime). Nothing is stored.
    fn admin_login_form(
        &self,
        status: StatusCode,
        nonce: &str,
        visitor: &Visitor,
        admin_id: &str,
        message: Option<String>,
    ) -> Response {
        let csrf = self
            .prelogin
            .issue(LoginForm::Administrator, nonce, self.now());
        let captcha = self
            .login_needs_captcha(visitor, admin_id)
            .then(|| self.login_captcha.issue(self.now()));
        let page = AdminLoginPage {
            chrome: Chrome::public(login_trail()),
            csrf: &csrf,
            message,
            admin_id,
            captcha,
        };
        page::with_cookie(page::html(status, &page), &prelogin::set_cookie(nonce))
    }
}

/// `GET /web/admin/accesso`: an administrator's session goes on to the administration; anyone
/// else gets the form, with a stateless pre-login token ([`super::prelogin`]): nothing is
/// written to the store before a successful login.
pub async fn show_login(
    State(pages): State<Arc<Pages>>,
    Extension(visitor): Extension<Visitor>,
    headers: HeaderMap,
) -> Response {
    match pages.session(&headers).await {
        Ok(Some(session)) if session.admin_id.is_some() => return page::redirect(ADMIN_HOME),
        Ok(_) => {}
        Err(response) => return response,
    }
    let nonce = prelogin::nonce_of(&headers).unwrap_or_else(prelogin::new_nonce);
    pages.admin_login_form(StatusCode::OK, &nonce, &visitor, "", None)
}

/// The administrators' login form; missing fields are empty (CSRF is checked first).
#[derive(Deserialize)]
pub struct AdminLoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    admin_id: String,
    #[serde(default)]
    password: String,
    #[serde(flatten)]
    captcha: CaptchaAnswer,
}

/// `POST /web/admin/accesso`: [`administrators::authenticate_from`], the command line's check
/// (same lockout, same audit), after the address's failure budget that the operators' login
/// spends too. The administrator's session is the first thing the visit writes to the store.
pub async fn submit_login(
    State(pages): State<Arc<Pages>>,
    Extension(visitor): Extension<Visitor>,
    headers: HeaderMap,
    Form(form): Form<AdminLoginForm>,
) -> Response {
    let nonce = match pages.prelogin_checked(&headers, LoginForm::Administrator, &form.csrf) {
        Ok(nonce) => nonce,
        Err(refused) => return refused.into_response(),
    };
    let admin_id = form.admin_id.trim();
    let budget = pages.gateway.identity.address_failures();
    if let Err(retry_after) = budget.check(visitor.client) {
        pages.gateway.metrics.web_login_throttled();
        return pages.admin_login_form(
            StatusCode::TOO_MANY_REQUESTS,
            &nonce,
            &visitor,
            admin_id,
            Some(format!(
                "Troppi tentativi non riusciti da questo indirizzo: riprovare tra {} secondi.",
                retry_after.as_secs().max(1)
            )),
        );
    }
    // After failed logins from the address or as this id, the captcha first, as on the
    // operators' login (a wrong answer is a failed login).
    if pages.login_needs_captcha(&visitor, admin_id) {
        match pages
            .login_captcha_refusal(&visitor, &nonce, admin_id, &form.captcha)
            .await
        {
            Ok(None) => {}
            Ok(Some(message)) => {
                return pages.admin_login_form(
                    StatusCode::UNAUTHORIZED,
                    &nonce,
                    &visitor,
                    admin_id,
                    Some(message.to_owned()),
                )
            }
            Err(response) => return response,
        }
    }
    let store = pages.gateway.store.as_ref();
    let authenticated = administrators::authenticate_from(
        store,
        pages.lockout,
        admin_id,
        &form.password,
        pages.now(),
        Some(visitor.client),
    )
    .await;
    match authenticated {
        Ok(admin) => {
            let holder = Holder::Administrator(admin.id());
            pages
                .open_session(&headers, holder, false, ADMIN_HOME)
                .await
        }
        Err(AdministratorError::Refused(Refusal::Credentials)) => {
            budget.failed(visitor.client);
            pages.login_failures.failed(visitor.client, admin_id);
            pages.admin_login_form(
                StatusCode::UNAUTHORIZED,
                &nonce,
                &visitor,
                admin_id,
                Some(
                    "Credenziali non valide: controllare il Codice Identificativo e la Parola \
                     chiave. Dopo troppi tentativi errati l'utenza viene bloccata per un periodo."
                        .into(),
                ),
            )
        }
        Err(error) => {
            tracing::error!(%error, "an administrator's login could not be checked");
            page::unavailable()
        }
    }
}

/// `GET /web/admin/`: the central administrator's page (the administrators) or an ASL's (its
/// operators).
pub async fn home(
    State(pages): State<Arc<Pages>>,
    Extension(visitor): Extension<Visitor>,
    headers: HeaderMap,
) -> Response {
    let acting = match pages.administrator(&headers, &visitor).await {
        Ok(acting) => acting,
        Err(response) => return response,
    };
    match acting.admin.scope() {
        AdministratorScope::Central => {
            admin_central::page(&pages, &acting, StatusCode::OK, None).await
        }
        AdministratorScope::Asl { .. } => {
            admin_operators::list_page(&pages, &acting, StatusCode::OK, None).await
        }
    }
}
