//! An ASL security administrator's pages: the operators of their ASL (list, a new one with
//! profiles), one operator (record, profiles granted and revoked, a new password, pincode or
//! TOTP, unlock, disable and enable). Each action goes through the same function as `tsgate
//! users` ([`crate::admin::users`], [`crate::admin::passwords`], [`crate::admin::pincodes`],
//! [`crate::admin::totp`]), which scope it to the administrator's ASL and record it. New
//! credentials are answered with the registration letter ([`super::admin_letter`]).

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::{Extension, Form};
use chrono::{DateTime, Utc};
use chrono_tz::Europe::Rome;
use http::{HeaderMap, StatusCode};

use super::admin::{admin_crumb, AdminSession};
use super::admin_letter::{describe_in_italian, Letter};
use super::admin_refusal;
use super::page::{self, Chrome, Crumb, HOME};
use super::{csrf, Pages, Visitor};
use crate::admin::operator_details::DetailsForm;
use crate::admin::users::{self, Secrets, UserError, UserForm, UserView};
use crate::admin::{passwords, pincodes, totp};
use crate::domain::Profile;
use crate::identity::second_factor::Enrollment;

/// `dd/mm/yyyy hh:mm`, Rome time.
pub fn rome_time(at: DateTime<Utc>) -> String {
    at.with_timezone(&Rome).format("%d/%m/%Y %H:%M").to_string()
}

/// One operator in the list.
struct Row {
    user_id: String,
    href: String,
    name: String,
    cf: String,
    profiles: String,
    enabled: bool,
}

/// A profile the new-operator form offers.
struct ProfileChoice {
    name: &'static str,
    field_id: String,
}

#[derive(Template)]
#[template(path = "admin_operators.html")]
struct OperatorsPage {
    chrome: Chrome,
    csrf: String,
    asl: String,
    message: Option<String>,
    /// The message says why something was refused (else what was done).
    refused: bool,
    rows: Vec<Row>,
    profiles: Vec<ProfileChoice>,
}

#[derive(Template)]
#[template(path = "admin_operator.html")]
struct OperatorPage {
    chrome: Chrome,
    csrf: String,
    message: Option<String>,
    /// The message says why something was refused (else what was done).
    refused: bool,
    user_id: String,
    name: String,
    cf: String,
    email: String,
    phone: String,
    enabled: bool,
    last_access: String,
    password: String,
    totp: bool,
    locked_until: Option<String>,
    held: Vec<&'static str>,
    grantable: Vec<&'static str>,
}

/// `/web/admin/operatori/<id>`, its id percent-encoded.
fn operator_href(user_id: &str) -> String {
    let encoded: String = user_id
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!("/web/admin/operatori/{encoded}")
}

fn trail_to(label: &'static str) -> Vec<Crumb> {
    vec![HOME, admin_crumb(), Crumb { label, href: None }]
}

/// The ASL administrator's page: their operators and the new-operator form.
pub async fn list_page(
    pages: &Pages,
    acting: &AdminSession,
    status: StatusCode,
    message: Option<String>,
) -> Response {
    let store = pages.gateway.store.as_ref();
    let listed = match users::list(store, &acting.admin).await {
        Ok(listed) => listed,
        Err(error) => return admin_refusal::page_of(admin_refusal::of_user_error(&error)),
    };
    let rows = listed
        .into_iter()
        .map(|user| Row {
            href: operator_href(&user.user_id),
            profiles: user
                .profiles
                .iter()
                .map(|p| p.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            cf: user.cf.to_string(),
            name: user.display_name,
            enabled: user.enabled,
            user_id: user.user_id,
        })
        .collect();
    let profiles = Profile::ALL
        .iter()
        .enumerate()
        .map(|(index, profile)| ProfileChoice {
            name: profile.as_str(),
            field_id: format!("profilo-{index}"),
        })
        .collect();
    let page = OperatorsPage {
        chrome: Chrome::signed_in(&acting.session.csrf_token, vec![HOME, admin_crumb()]),
        csrf: acting.session.csrf_token.clone(),
        asl: describe_in_italian(&acting.admin),
        message,
        refused: !status.is_success(),
        rows,
        profiles,
    };
    page::html(status, &page)
}

/// One operator's page with `message` in its Messaggi box.
async fn operator_page(
    pages: &Pages,
    acting: &AdminSession,
    user_id: &str,
    status: StatusCode,
    message: Option<String>,
) -> Response {
    let store = pages.gateway.store.as_ref();
    let user: UserView = match users::show(store, &acting.admin, user_id).await {
        Ok(user) => user,
        Err(error) => return admin_refusal::page_of(admin_refusal::of_user_error(&error)),
    };
    let count = match store.credential_failures().count(user_id).await {
        Ok(count) => count,
        Err(error) => {
            tracing::error!(%error, "an operator's failures could not be read");
            return page::unavailable();
        }
    };
    let now = pages.now();
    let held: Vec<&'static str> = user.profiles.iter().map(|p| p.as_str()).collect();
    let grantable = Profile::ALL
        .iter()
        .filter(|p| !user.profiles.contains(p))
        .map(|p| p.as_str())
        .collect();
    let password = match &user.password {
        Some(state) if state.must_change => "iniziale, da cambiare al primo accesso".to_owned(),
        Some(state) => format!("cambiata il {}", rome_time(state.changed_at)),
        None => "non presente".to_owned(),
    };
    let not_present = || "Non Presente".to_owned();
    let page = OperatorPage {
        chrome: Chrome::signed_in(&acting.session.csrf_token, trail_to("Utenza")),
        csrf: acting.session.csrf_token.clone(),
        message,
        refused: !status.is_success(),
        name: user.display_name.clone(),
        cf: user.cf.to_string(),
        email: user
            .details
            .email
            .as_ref()
            .map_or_else(not_present, ToString::to_string),
        phone: user
            .details
            .phone
            .as_ref()
            .map_or_else(not_present, ToString::to_string),
        enabled: user.enabled,
        last_access: user.last_access.map_or_else(not_present, rome_time),
        password,
        totp: user.totp != Enrollment::None,
        locked_until: count
            .locked_until
            .filter(|_| count.locked_at(now))
            .map(rome_time),
        held,
        grantable,
        user_id: user.user_id,
    };
    page::html(status, &page)
}

/// `GET /web/admin/operatori/{user_id}`.
pub async fn show(
    State(pages): State<Arc<Pages>>,
    Extension(visitor): Extension<Visitor>,
    Path(user_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let acting = match pages.administrator(&headers, &visitor).await {
        Ok(acting) => acting,
        Err(response) => return response,
    };
    operator_page(&pages, &acting, &user_id, StatusCode::OK, None).await
}

/// The value of `name` in a posted form, empty when absent.
fn field<'a>(form: &'a [(String, String)], name: &str) -> &'a str {
    form.iter()
        .find(|(key, _)| key == name)
        .map_or("", |(_, value)| value.as_str())
}

fn given(text: &str) -> Option<&str> {
    Some(text.trim()).filter(|t| !t.is_empty())
}

/// `POST /web/admin/operatori`: [`users::add_user`] in the administrator's ASL, with the
/// profiles ticked; the letter with the generated password and the pincode's first half.
pub async fn add(
    State(pages): State<Arc<Pages>>,
    Extension(visitor): Extension<Visitor>,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let acting = match pages
        .administrator_posting(&headers, &visitor, field(&form, csrf::FIELD))
        .await
    {
        Ok(acting) => acting,
        Err(response) => return response,
    };
    let profiles: Vec<String> = form
        .iter()
        .filter(|(key, _)| key == "profile")
        .map(|(_, value)| value.clone())
        .collect();
    let parsed = UserForm {
        user_id: field(&form, "user_id").trim(),
        cf: field(&form, "cf").trim(),
        display_name: "",
        profiles: &profiles,
        region: None,
        asl: None,
        details: DetailsForm {
            surname: given(field(&form, "surname")),
            given_name: given(field(&form, "given_name")),
            email: given(field(&form, "email")),
            phone: given(field(&form, "phone")),
            ..DetailsForm::default()
        },
    }
    .parse();
    let new = match parsed {
        Ok(new) => new,
        Err(invalid) => {
            let shown = admin_refusal::invalid_user(&invalid);
            return list_page(&pages, &acting, shown.status, Some(shown.message)).await;
        }
    };
    let key = match &pages.sealing_key {
        Ok(key) => key,
        Err(error) => {
            tracing::error!(%error, "auth.secrets_key cannot seal a new pincode's second half");
            let message = "Impossibile creare utenze: la chiave che protegge la seconda parte del \
                           pincode non è disponibile (auth.secrets_key): rivolgersi al gestore del \
                           sistema."
                .to_owned();
            return list_page(
                &pages,
                &acting,
                StatusCode::SERVICE_UNAVAILABLE,
                Some(message),
            )
            .await;
        }
    };
    let (name, cf) = (new.display_name.clone(), new.cf.to_string());
    let store = pages.gateway.store.as_ref();
    match users::add_user(store, &acting.admin, key, new, Secrets::default()).await {
        Ok(added) => {
            let letter = Letter {
                role: "operatore",
                name,
                cf,
                user_id: added.user_id,
                password: added.generated_password,
                pincode_first_half: Some(added.pincode_first_half.reveal().to_owned()),
                login_path: "/web/login",
                reason: "Nuova utenza",
            };
            pages.letter(&acting, &letter).await
        }
        Err(error) => match admin_refusal::of_user_error(&error) {
            Some(shown) => list_page(&pages, &acting, shown.status, Some(shown.message)).await,
            None => page::unavailable(),
        },
    }
}

/// What an action on one operator did: a message for their page, or new credentials for a
/// letter.
enum Done {
    Message(String),
    Credentials {
        password: Option<String>,
        pincode_first_half: Option<String>,
        reason: &'static str,
    },
}

/// `POST /web/admin/operatori/azione`: `action` on the operator `user_id` — `concedi` or
/// `revoca` a `profile`, `reset-password` or `reset-pincode` (answered with the letter),
/// `reset-totp`, `sblocca`, `disabilita`, `abilita`.
pub async fn act(
    State(pages): State<Arc<Pages>>,
    Extension(visitor): Extension<Visitor>,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let acting = match pages
        .administrator_posting(&headers, &visitor, field(&form, csrf::FIELD))
        .await
    {
        Ok(acting) => acting,
        Err(response) => return response,
    };
    let user_id = field(&form, "user_id");
    let done = perform(&pages, &acting, user_id, &form).await;
    match done {
        Ok(Done::Message(message)) => {
            operator_page(&pages, &acting, user_id, StatusCode::OK, Some(message)).await
        }
        Ok(Done::Credentials {
            password,
            pincode_first_half,
            reason,
        }) => {
            let store = pages.gateway.store.as_ref();
            let user = users::show(store, &acting.admin, user_id).await.ok();
            let letter = Letter {
                role: "operatore",
                name: user
                    .as_ref()
                    .map(|u| u.display_name.clone())
                    .unwrap_or_default(),
                cf: user.map(|u| u.cf.to_string()).unwrap_or_default(),
                user_id: user_id.to_owned(),
                password,
                pincode_first_half,
                login_path: "/web/login",
                reason,
            };
            pages.letter(&acting, &letter).await
        }
        Err(error) => match admin_refusal::of_user_error(&error) {
            // The operator's page when it can be shown (the refusal in its Messaggi box),
            // else the refusal page (another ASL's operator, no such operator).
            Some(shown) if !matches!(error, UserError::Refused(_) | UserError::NoSuchUser(_)) => {
                operator_page(&pages, &acting, user_id, shown.status, Some(shown.message)).await
            }
            shown => admin_refusal::page_of(shown),
        },
    }
}

async fn perform(
    pages: &Pages,
    acting: &AdminSession,
    user_id: &str,
    form: &[(String, String)],
) -> Result<Done, UserError> {
    let store = pages.gateway.store.as_ref();
    let admin = &acting.admin;
    let now = pages.now();
    let message = |text: String| Ok(Done::Message(text));
    match field(form, "action") {
        action @ ("concedi" | "revoca") => {
            let profile = Profile::parse(field(form, "profile"))
                .map_err(|e| UserError::Invalid(invalid_profile(e)))?;
            if action == "concedi" {
                users::grant_profile(store, admin, user_id, profile).await?;
                message(format!("Profilo «{profile}» concesso."))
            } else {
                users::revoke_profile(store, admin, user_id, profile).await?;
                message(format!("Profilo «{profile}» revocato."))
            }
        }
        "reset-password" => {
            let password =
                passwords::reset(store, admin, &pages.password_policy, user_id, now).await?;
            Ok(Done::Credentials {
                password: Some(password),
                pincode_first_half: None,
                reason: "Reimpostazione della parola chiave",
            })
        }
        "reset-pincode" => {
            let key = pages.sealing_key.as_ref().map_err(|_| UserError::Seal)?;
            let half = pincodes::reset(store, admin, key, user_id, now).await?;
            Ok(Done::Credentials {
                password: None,
                pincode_first_half: Some(half.reveal().to_owned()),
                reason: "Nuovo pincode",
            })
        }
        "reset-totp" => match totp::reset(store, admin, user_id).await? {
            true => message(
                "Secondo fattore (TOTP) azzerato: l'operatore lo attiverà di nuovo; le sue \
                 sessioni sono chiuse."
                    .into(),
            ),
            false => message("L'operatore non aveva un secondo fattore (TOTP) attivo.".into()),
        },
        "sblocca" => {
            let unlocked = users::unlock(store, admin, user_id, now).await?;
            match unlocked.was_locked_until {
                Some(_) => message(format!(
                    "Utenza sbloccata (dopo {} tentativi errati).",
                    unlocked.failures
                )),
                None => {
                    message("L'utenza non era bloccata; i tentativi errati sono azzerati.".into())
                }
            }
        }
        "disabilita" => {
            users::set_enabled(store, admin, user_id, false).await?;
            message("Utenza disabilitata; le sue sessioni sono chiuse.".into())
        }
        "abilita" => {
            users::set_enabled(store, admin, user_id, true).await?;
            message("Utenza abilitata.".into())
        }
        _ => Err(UserError::Invalid(
            crate::admin::operator_details::InvalidDetail {
                field: "action",
                reason: "operazione sconosciuta".into(),
            },
        )),
    }
}

fn invalid_profile(
    error: crate::domain::UnknownProfile,
) -> crate::admin::operator_details::InvalidDetail {
    crate::admin::operator_details::InvalidDetail {
        field: "profile",
        reason: error.to_string(),
    }
}
