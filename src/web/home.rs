//! "SERVIZI ONLINE" (the home: who is logged in, their last access and password change, the
//! menu their profiles open) and "Profilo Utente" (personal and work data, with the links to
//! Modifica Dati, Cambio Password and Stampa pincode), as in seed 000.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, Utc};
use chrono_tz::Europe::Rome;
use http::{HeaderMap, StatusCode};

use super::page::{self, Chrome, Crumb, HOME};
use super::{otp, Access, Operator, Pages};
use crate::config::TotpMode;
use crate::domain::Profile;
use crate::store::{PasswordState, UserRecord};

/// What a field shows when the register has no value (seed 000's wording).
const NOT_PRESENT: &str = "Non Presente";

/// One entry of the home's menu.
pub struct MenuEntry {
    pub label: &'static str,
    pub href: &'static str,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    chrome: Chrome,
    cf: String,
    name: String,
    phone: String,
    email: String,
    last_access: String,
    last_password_change: String,
    menu: Vec<MenuEntry>,
}

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage {
    chrome: Chrome,
    cf: String,
    name: String,
    birth_date: String,
    sex: String,
    birth_place: String,
    work_address: String,
    phone: String,
    fax: String,
    email: String,
    /// The second factor is on (`auth.totp`): the link to its page.
    second_factor: bool,
}

/// The menu of the home, from the operator's profiles: "Caricamento App Immuni" for the OTP
/// profile (where the gateway offers the service), the doctors' and the ASL entries; every
/// operator has the guides and their profile page.
fn menu(profiles: &[Profile], otp_offered: bool) -> Vec<MenuEntry> {
    let mut menu = Vec::new();
    if otp_offered && profiles.contains(&Profile::InvioCodiceOtp) {
        menu.push(MenuEntry {
            label: otp::TITLE,
            href: otp::PATH,
        });
    }
    if profiles.contains(&Profile::SierologiciMmg) {
        menu.push(MenuEntry {
            label: "Test sierologici (medici)",
            href: super::medico::PATH,
        });
    }
    if profiles.contains(&Profile::AslNumeroTest) {
        menu.push(MenuEntry {
            label: "Servizi ASL – Test sierologici",
            href: super::asl::PATH,
        });
    }
    menu.push(MenuEntry {
        label: "Manuali",
        href: super::manuals::PATH,
    });
    menu.push(MenuEntry {
        label: "Profilo Utente",
        href: "/web/profilo",
    });
    menu
}

/// `dd/mm/yyyy hh:mm`, Rome time, as the seed shows it.
fn rome_time(at: DateTime<Utc>) -> String {
    at.with_timezone(&Rome).format("%d/%m/%Y %H:%M").to_string()
}

fn or_not_present(value: Option<String>) -> String {
    value
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| NOT_PRESENT.to_owned())
}

/// "Cognome Nome" from the register, else the display name.
fn full_name(user: &UserRecord) -> String {
    let details = &user.details;
    match (&details.surname, &details.given_name) {
        (Some(surname), Some(given)) => format!("{surname} {given}"),
        _ => user.display_name.clone(),
    }
}

impl Pages {
    /// The operator's record; gone (deleted meanwhile) ends the session.
    pub(super) async fn record_of(&self, operator: &Operator) -> Result<UserRecord, Response> {
        let store = self.gateway.store.as_ref();
        match store.directory().find_user(&operator.user_id).await {
            Ok(Some(user)) if user.enabled => Ok(user),
            Ok(_) => {
                let _ = store.web_sessions().delete(&operator.session.id_hash).await;
                Err(page::redirect("/web/login"))
            }
            Err(error) => {
                tracing::error!(%error, "an operator's record could not be read");
                Err(page::unavailable())
            }
        }
    }
}

/// `GET /web/`.
pub async fn show(State(pages): State<Arc<Pages>>, headers: HeaderMap) -> Response {
    let operator = match pages.operator(&headers, Access::SignedIn).await {
        Ok(operator) => operator,
        Err(response) => return response,
    };
    let user = match pages.record_of(&operator).await {
        Ok(user) => user,
        Err(response) => return response,
    };
    let state = match pages.gateway.store.passwords().state(&user.user_id).await {
        Ok(state) => state,
        Err(error) => {
            tracing::error!(%error, "a password state could not be read");
            return page::unavailable();
        }
    };
    let last_password_change = match state {
        Some(PasswordState {
            must_change: false,
            changed_at,
        }) => rome_time(changed_at),
        _ => NOT_PRESENT.to_owned(),
    };
    let profiles = match pages
        .gateway
        .store
        .directory()
        .profiles_of(&user.user_id)
        .await
    {
        Ok(profiles) => profiles,
        Err(error) => {
            tracing::error!(%error, "an operator's profiles could not be read");
            return page::unavailable();
        }
    };
    let details = &user.details;
    let page = HomePage {
        chrome: Chrome::signed_in(
            &operator.session.csrf_token,
            vec![
                HOME,
                Crumb {
                    label: "Servizi On Line",
                    href: None,
                },
            ],
        ),
        cf: user.cf.to_string(),
        name: full_name(&user),
        phone: or_not_present(details.phone.as_ref().map(ToString::to_string)),
        email: or_not_present(details.email.as_ref().map(ToString::to_string)),
        last_access: or_not_present(user.last_access.map(rome_time)),
        last_password_change,
        menu: menu(&profiles, pages.gateway.catalogue.invio_otp().is_some()),
    };
    page::html(StatusCode::OK, &page)
}

/// `GET /web/profilo`.
pub async fn profile(State(pages): State<Arc<Pages>>, headers: HeaderMap) -> Response {
    let operator = match pages.operator(&headers, Access::SignedIn).await {
        Ok(operator) => operator,
        Err(response) => return response,
    };
    let user = match pages.record_of(&operator).await {
        Ok(user) => user,
        Err(response) => return response,
    };
    let details = &user.details;
    let page = ProfilePage {
        chrome: Chrome::signed_in(
            &operator.session.csrf_token,
            page::trail_to("Profilo Utente"),
        ),
        cf: user.cf.to_string(),
        name: full_name(&user),
        birth_date: or_not_present(details.birth_date.map(|d| d.format("%d/%m/%Y").to_string())),
        sex: or_not_present(details.sex.map(|s| s.to_string())),
        birth_place: or_not_present(details.birth_place.clone()),
        work_address: or_not_present(details.work_address.clone()),
        phone: or_not_present(details.phone.as_ref().map(ToString::to_string)),
        fax: or_not_present(details.fax.as_ref().map(ToString::to_string)),
        email: or_not_present(details.email.as_ref().map(ToString::to_string)),
        second_factor: pages.gateway.identity.second_factor().mode() != TotpMode::Off,
    };
    page::html(StatusCode::OK, &page)
}
