//! The web application under `/web/`: server-rendered pages in Italian (askama templates,
//! checked when the crate compiles, in `templates/`), no script, one stylesheet. It only renders:
//! who may log in is [`crate::identity`]'s call, a password change is [`crate::admin`]'s, a
//! service is its use case's, exactly as for SOAP. Sessions live in the store
//! ([`session`]), created only by a successful login: before it nothing is stored, the login
//! forms' CSRF token is stateless ([`prelogin`]). Every other form carries its session's CSRF
//! token ([`csrf`]); every answer carries the security headers ([`headers`]); the OTP form, and
//! the login after failed attempts ([`login_failures`]), ask for a [`captcha`] of our own.
//!
//! Routed with axum, on the gateway's own listener: the server reads the body (size cap and
//! timeout) and hands the request here with who is connected ([`Visitor`]).

pub mod admin;
pub mod admin_central;
pub mod admin_letter;
pub mod admin_operators;
pub mod admin_refusal;
pub mod advice;
pub mod asl;
pub mod captcha;
pub mod csrf;
pub mod form;
pub mod headers;
pub mod home;
pub mod login;
pub mod login_failures;
pub mod manuals;
pub mod medico;
pub mod medico_assistiti;
pub mod medico_invio;
pub mod medico_sostituti;
pub mod medico_test;
pub mod otp;
pub mod page;
pub mod page_timing;
pub mod password;
pub mod pincode;
pub mod pincode_step;
pub mod posted;
pub mod prelogin;
pub mod profile_edit;
pub mod session;
pub mod smart_card;
pub mod static_files;
pub mod totp_enroll;
pub mod transaction;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use http::{HeaderMap, Request};
use http_body_util::{BodyExt, Full};
use tower::ServiceExt;

use crate::config::{AuthConfig, WebConfig};
use crate::identity::password_policy::PasswordPolicy;
use crate::identity::{identify::lockout_policy, Peer};
use crate::pki::sealing::{SealingKey, SealingKeyError};
use crate::soap::Gateway;
use crate::store::{LockoutPolicy, StoreError};
use captcha::stateless::StatelessCaptcha;
use captcha::Captcha;
use login_failures::LoginFailures;
use prelogin::PreLoginKey;
use rustls_pki_types::CertificateDer;
use session::{Holder, Session, Timeouts};
use smart_card::CardTrust;

/// The largest form body the web accepts.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// Who is on the other end of the connection: its client certificate (a smart card, say) and
/// its address (failed logins are counted per address).
#[derive(Debug, Clone)]
pub struct Visitor {
    pub peer: Arc<Peer>,
    pub client: IpAddr,
    /// The chain the connection presented when it is a smart card's ([`Peer::Card`]).
    pub card_chain: Option<Arc<[CertificateDer<'static>]>>,
}

/// What the pages read: the gateway's store, identity and clock, and the web's settings.
pub struct Pages {
    pub gateway: Arc<Gateway>,
    pub timeouts: Timeouts,
    pub password_policy: PasswordPolicy,
    pub lockout: LockoutPolicy,
    pub helpdesk_phone: Option<String>,
    /// `auth.secrets_key`, which seals a new pincode's second half (the administration's new
    /// operators and pincodes); without it those pages say so.
    pub sealing_key: Result<SealingKey, SealingKeyError>,
    /// Issues and judges the captcha's challenges of a session (the OTP form).
    pub captcha: Captcha,
    /// Issues and judges the login's challenges, which come before any session.
    pub login_captcha: StatelessCaptcha,
    /// Signs the login forms' CSRF tokens ([`prelogin`]).
    pub prelogin: PreLoginKey,
    /// Recent failed logins, after which the login asks for the captcha.
    pub login_failures: LoginFailures,
    /// Judges the certificates that opened smart-card sessions, as the TLS layer does now.
    pub card_trust: Arc<dyn CardTrust>,
}

/// The routed web application.
pub struct WebApp {
    router: Router,
    pages: Arc<Pages>,
}

impl WebApp {
    /// `captcha_key` seals the captcha's answers (`auth.secrets_key`, or a key of this
    /// process), and the keys of the login's stateless tokens and challenges are derived from
    /// it; `card_trust` is the TLS layer's judgement of client certificates now.
    pub fn new(
        gateway: Arc<Gateway>,
        web: &WebConfig,
        auth: &AuthConfig,
        captcha_key: SealingKey,
        card_trust: Arc<dyn CardTrust>,
    ) -> WebApp {
        let pages = Arc::new(Pages {
            gateway,
            timeouts: Timeouts {
                idle: Duration::from_secs(web.idle_timeout_secs),
                absolute: Duration::from_secs(web.absolute_timeout_secs),
            },
            password_policy: PasswordPolicy::from_config(auth),
            lockout: lockout_policy(auth),
            helpdesk_phone: web.helpdesk_phone.clone(),
            sealing_key: SealingKey::from_setting(auth.secrets_key.as_deref()),
            login_captcha: StatelessCaptcha::new(&captcha_key),
            prelogin: PreLoginKey::new(&captcha_key),
            captcha: Captcha::new(captcha_key),
            login_failures: LoginFailures::new(web.login_captcha_after_failures),
            card_trust,
        });
        let router = Router::new()
            .route("/web", get(home::show))
            .route("/web/", get(home::show))
            .route("/web/login", get(login::show).post(login::submit))
            .route("/web/login/smart-card", post(login::smart_card))
            .route("/web/esci", post(login::logout))
            .route(
                "/web/cambio-password",
                get(password::show).post(password::submit),
            )
            .route("/web/manuali", get(manuals::show))
            .route(
                totp_enroll::PATH,
                get(totp_enroll::show).post(totp_enroll::start),
            )
            .route(totp_enroll::CONFIRM_PATH, post(totp_enroll::confirm))
            .route("/web/profilo", get(home::profile))
            .route("/web/admin", get(admin::home))
            .route("/web/admin/", get(admin::home))
            .route(
                "/web/admin/accesso",
                get(admin::show_login).post(admin::submit_login),
            )
            .route("/web/admin/amministratori", post(admin_central::add))
            .route("/web/admin/amministratori/azione", post(admin_central::act))
            .route("/web/admin/operatori", post(admin_operators::add))
            .route("/web/admin/operatori/azione", post(admin_operators::act))
            .route("/web/admin/operatori/{user_id}", get(admin_operators::show))
            .route(medico::PATH, get(medico::show))
            .route("/web/medico/titolare", post(medico::choose))
            .route("/web/medico/pincode", post(medico::pincode))
            .route("/web/medico/assistiti", get(medico_assistiti::show))
            .route("/web/medico/assistiti.csv", get(medico_assistiti::csv))
            .route(
                "/web/medico/invio",
                get(medico_invio::show).post(medico_invio::submit),
            )
            .route("/web/medico/annulla", post(medico_invio::cancel))
            .route("/web/medico/test", get(medico_test::show))
            .route(
                medico_sostituti::PATH,
                get(medico_sostituti::show).post(medico_sostituti::authorise),
            )
            .route(
                "/web/medico/sostituti/revoca",
                post(medico_sostituti::revoke),
            )
            .route(asl::PATH, get(asl::show))
            .route("/web/asl/numero-test", post(asl::submit))
            .route("/web/asl/pincode", post(asl::pincode))
            .route("/web/asl/assistiti-per-mmg.csv", get(asl::download))
            .route("/web/immuni", get(otp::show))
            .route("/web/immuni/pincode", post(otp::pincode::submit))
            .route("/web/immuni/invio", post(otp::send::submit))
            .route("/web/captcha/{id}/immagine.png", get(captcha::serve::image))
            .route("/web/captcha/{id}/audio.wav", get(captcha::serve::audio))
            .route(
                "/web/profilo/modifica",
                get(profile_edit::show).post(profile_edit::submit),
            )
            .route("/web/pincode", get(pincode::show).post(pincode::submit))
            .route("/web/static/{file}", get(static_files::serve))
            .route_layer(axum::middleware::from_fn_with_state(
                pages.clone(),
                page_timing::timed,
            ))
            .fallback(|| async { page::not_found() })
            .with_state(pages.clone());
        WebApp { router, pages }
    }

    /// The answer to a page asked on a connection whose client certificate is no longer
    /// accepted (`reason`, its label): the web session a smart card opened ends (its card is
    /// judged as the connection's was), and the browser goes to the login page, which says why.
    pub async fn card_refused(
        &self,
        headers: &HeaderMap,
        reason: &str,
    ) -> http::Response<Full<Bytes>> {
        let response = match self.pages.session(headers).await {
            Err(response) => response,
            Ok(_) => smart_card::ended(reason, false),
        };
        finish(response).await
    }

    /// Answers one request under `/web`, its body already read, with the security headers.
    pub async fn handle(
        &self,
        visitor: Visitor,
        mut request: Request<Full<Bytes>>,
    ) -> http::Response<Full<Bytes>> {
        request.extensions_mut().insert(visitor);
        let response = match self.router.clone().oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
        let (mut parts, body) = response.into_parts();
        let body = match body.collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(error) => {
                tracing::error!(%error, "a web page's body could not be read");
                return finish(page::unavailable()).await;
            }
        };
        headers::secure(&mut parts.headers);
        http::Response::from_parts(parts, Full::new(body))
    }
}

/// A page produced apart from the router, made into a response like the others.
async fn finish(response: Response) -> http::Response<Full<Bytes>> {
    let (mut parts, body) = response.into_parts();
    let body = body
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();
    headers::secure(&mut parts.headers);
    http::Response::from_parts(parts, Full::new(body))
}

/// Which sessions a page accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    /// Logged in, password in force.
    SignedIn,
    /// Logged in, even with a password to change first (the "Cambio Password" page).
    PasswordChange,
    /// Logged in, password in force, even with a second factor still to enroll under
    /// `auth.totp = "required"` (the enrollment page).
    SecondFactorEnrollment,
}

/// A logged-in session and its operator.
pub struct Operator {
    pub session: Session,
    pub user_id: String,
}

impl Pages {
    /// The clock the gateway's date rules read (tests pin it).
    pub fn now(&self) -> DateTime<Utc> {
        self.gateway.clock.now()
    }

    /// The request's live session, if any; a store failure is the "unavailable" page. A session
    /// opened with a smart card whose certificate the TLS layer no longer accepts (revoked,
    /// expired) is ended here, and the browser sent to the login page, which says why.
    async fn session(&self, headers: &HeaderMap) -> Result<Option<Session>, Response> {
        let store = self.gateway.store.as_ref();
        let unavailable = |error: crate::store::StoreError| {
            tracing::error!(%error, "a web session could not be read");
            page::unavailable()
        };
        let current = session::current(store, self.timeouts, headers, self.now())
            .await
            .map_err(unavailable)?;
        let Some(session) = current else {
            return Ok(None);
        };
        let Some(chain) = &session.card_chain else {
            return Ok(Some(session));
        };
        let Some(reason) = smart_card::refusal(self.card_trust.as_ref(), chain) else {
            return Ok(Some(session));
        };
        store
            .web_sessions()
            .delete(&session.id_hash)
            .await
            .map_err(unavailable)?;
        tracing::info!(
            reason,
            user_id = session.user_id.as_deref().unwrap_or(""),
            "web session ended: the smart card that opened it is no longer accepted"
        );
        Err(smart_card::ended(reason, true))
    }

    /// The operator of a page that needs one: no session sends the browser to the login page,
    /// a password to change to the "Cambio Password" page, a second factor still to enroll
    /// (`auth.totp = "required"`) to the enrollment page.
    async fn operator(&self, headers: &HeaderMap, access: Access) -> Result<Operator, Response> {
        let Some(session) = self.session(headers).await? else {
            return Err(page::redirect("/web/login"));
        };
        let Some(user_id) = session.user_id.clone() else {
            return Err(page::redirect("/web/login"));
        };
        if session.must_change_password && access != Access::PasswordChange {
            return Err(page::redirect("/web/cambio-password"));
        }
        if access == Access::SignedIn && self.second_factor_to_enroll(&user_id).await? {
            return Err(page::redirect(totp_enroll::PATH));
        }
        Ok(Operator { session, user_id })
    }

    /// Whether `user_id` must enroll their second factor before any service page: only under
    /// `auth.totp = "required"` (no query otherwise).
    async fn second_factor_to_enroll(&self, user_id: &str) -> Result<bool, Response> {
        let factor = self.gateway.identity.second_factor();
        if factor.mode() != crate::config::TotpMode::Required {
            return Ok(false);
        }
        match factor.enrollment(user_id).await {
            Ok(enrollment) => Ok(factor.must_enroll(enrollment)),
            Err(error) => {
                tracing::error!(%error, "a TOTP enrollment could not be read");
                Err(page::unavailable())
            }
        }
    }

    /// The session a successful login opens for `holder` (the visit's first write to the
    /// store): a session the browser still had is ended, the new one's cookie set, the
    /// pre-login cookie cleared, and the browser sent to `to`.
    async fn open_session(
        &self,
        headers: &HeaderMap,
        holder: Holder<'_>,
        must_change_password: bool,
        to: &'static str,
    ) -> Response {
        let previous = self.session(headers).await.ok().flatten();
        let opened = self
            .replace_session(previous.as_ref(), holder, must_change_password)
            .await;
        match opened {
            Ok(created) => page::with_cookie(
                page::with_cookie(page::redirect(to), &session::set_cookie(&created.cookie_id)),
                &prelogin::clear_cookie(),
            ),
            Err(error) => {
                tracing::error!(%error, "a web session could not be created");
                page::unavailable()
            }
        }
    }

    /// The session of a POST, which must carry its CSRF token: otherwise a 403 page, before
    /// anything else in the form is looked at.
    async fn posted(&self, headers: &HeaderMap, sent_csrf: &str) -> Result<Session, Response> {
        match self.session(headers).await? {
            Some(session) if csrf::valid(&session, sent_csrf) => Ok(session),
            _ => Err(page::forbidden_csrf()),
        }
    }

    /// Replaces `old` with a new session of `user_id` (a new id: rotation), whose cookie the
    /// answer sets; then the browser goes to `to`.
    async fn rotate(
        &self,
        old: &Session,
        user_id: &str,
        must_change_password: bool,
        to: &'static str,
    ) -> Response {
        let rotated = self.rotated(old, user_id, must_change_password).await;
        with_new_session(rotated, to)
    }

    /// Replaces `old` with a new session of `user_id`, for an answer that sets its cookie. A
    /// smart card's session stays its card's (its operator changing their password).
    async fn rotated(
        &self,
        old: &Session,
        user_id: &str,
        must_change_password: bool,
    ) -> Result<session::Created, Response> {
        let holder = match &old.card_chain {
            Some(chain) if old.user_id.as_deref() == Some(user_id) => {
                Holder::CardHolder(user_id, chain)
            }
            _ => Holder::Operator(user_id),
        };
        self.rotated_as(old, holder, must_change_password).await
    }

    /// Replaces `old` with a new session of `holder`, for an answer that sets its cookie.
    async fn rotated_as(
        &self,
        old: &Session,
        holder: Holder<'_>,
        must_change_password: bool,
    ) -> Result<session::Created, Response> {
        self.replace_session(Some(old), holder, must_change_password)
            .await
            .map_err(|error| {
                tracing::error!(%error, "a web session could not be rotated");
                page::unavailable()
            })
    }

    /// Ends `old`, if there is one, and opens a session of `holder` with a new id in its place:
    /// a login and a rotation alike leave no session under the id the browser had before.
    async fn replace_session(
        &self,
        old: Option<&Session>,
        holder: Holder<'_>,
        must_change_password: bool,
    ) -> Result<session::Created, StoreError> {
        let store = self.gateway.store.as_ref();
        if let Some(old) = old {
            store.web_sessions().delete(&old.id_hash).await?;
        }
        session::create_of(
            store,
            self.timeouts,
            holder,
            must_change_password,
            self.now(),
        )
        .await
    }
}

/// The browser goes to `to` with the cookie of the session `rotated` made.
fn with_new_session(rotated: Result<session::Created, Response>, to: &'static str) -> Response {
    match rotated {
        Ok(created) => {
            page::with_cookie(page::redirect(to), &session::set_cookie(&created.cookie_id))
        }
        Err(response) => response,
    }
}
