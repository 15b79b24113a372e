//! "Modifica Dati" (seed 000, Profilo Utente): the operator's own work contacts, changed through
//! [`crate::admin::own_details::edit_own`] (the parsing of `tsgate users edit`, audited in the
//! access log). A field that does not parse is named, in Italian, with what it must be.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::{Extension, Form};
use http::{HeaderMap, StatusCode};
use serde::Deserialize;

use super::page::{self, Chrome, Crumb, HOME, SERVIZI_ONLINE};
use super::transaction::web_auth;
use super::{Access, Pages, Visitor};
use crate::admin::operator_details::InvalidDetail;
use crate::admin::own_details::{edit_own, OwnDetailsError, WorkContacts};

#[derive(Template)]
#[template(path = "profile_edit.html")]
struct EditPage<'a> {
    chrome: Chrome,
    csrf: &'a str,
    message: Option<String>,
    work_address: &'a str,
    phone: &'a str,
    fax: &'a str,
    email: &'a str,
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
            label: "Modifica Dati",
            href: None,
        },
    ]
}

/// `GET /web/profilo/modifica`: the form, filled with the contacts on record.
pub async fn show(State(pages): State<Arc<Pages>>, headers: HeaderMap) -> Response {
    let operator = match pages.operator(&headers, Access::SignedIn).await {
        Ok(operator) => operator,
        Err(response) => return response,
    };
    let user = match pages.record_of(&operator).await {
        Ok(user) => user,
        Err(response) => return response,
    };
    let details = &user.details;
    let text = |value: Option<String>| value.unwrap_or_default();
    let (work_address, phone, fax, email) = (
        text(details.work_address.clone()),
        text(details.phone.as_ref().map(ToString::to_string)),
        text(details.fax.as_ref().map(ToString::to_string)),
        text(details.email.as_ref().map(ToString::to_string)),
    );
    let csrf = operator.session.csrf_token.as_str();
    let page = EditPage {
        chrome: Chrome::signed_in(csrf, trail()),
        csrf,
        message: None,
        work_address: &work_address,
        phone: &phone,
        fax: &fax,
        email: &email,
    };
    page::html(StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub struct EditForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    work_address: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    fax: String,
    #[serde(default)]
    email: String,
}

/// `POST /web/profilo/modifica`: saved, back to Profilo Utente; refused, the form again with
/// what was typed and why.
pub async fn submit(
    State(pages): State<Arc<Pages>>,
    Extension(visitor): Extension<Visitor>,
    headers: HeaderMap,
    Form(form): Form<EditForm>,
) -> Response {
    let session = match pages.posted(&headers, &form.csrf).await {
        Ok(session) => session,
        Err(response) => return response,
    };
    let operator = match pages.operator(&headers, Access::SignedIn).await {
        Ok(operator) => operator,
        Err(response) => return response,
    };
    let user = match pages.record_of(&operator).await {
        Ok(user) => user,
        Err(response) => return response,
    };
    let contacts = WorkContacts {
        work_address: &form.work_address,
        phone: &form.phone,
        fax: &form.fax,
        email: &form.email,
    };
    let store = pages.gateway.store.as_ref();
    let kind = web_auth(&visitor, &operator.session, &user).kind();
    match edit_own(store, &user, contacts, kind, Some(visitor.client)).await {
        Ok(()) => page::redirect("/web/profilo"),
        Err(OwnDetailsError::Invalid(invalid)) => {
            let csrf = session.csrf_token.as_str();
            let page = EditPage {
                chrome: Chrome::signed_in(csrf, trail()),
                csrf,
                message: Some(explain(&invalid)),
                work_address: &form.work_address,
                phone: &form.phone,
                fax: &form.fax,
                email: &form.email,
            };
            page::html(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(OwnDetailsError::NoSuchUser) => page::redirect("/web/login"),
        Err(error) => {
            tracing::error!(%error, "an operator's work contacts could not be changed");
            page::unavailable()
        }
    }
}

/// Which field is wrong and what it must be, in Italian.
fn explain(invalid: &InvalidDetail) -> String {
    match invalid.field {
        "phone" | "fax" => format!(
            "{} non valido: da 5 a 15 cifre, eventualmente precedute da +, separate solo da \
             spazi, - . / ( ).",
            if invalid.field == "phone" {
                "Telefono"
            } else {
                "Fax"
            }
        ),
        "email" => "Indirizzo e-mail non valido: deve avere la forma nome@dominio, senza spazi, \
                    al massimo 254 caratteri."
            .to_owned(),
        _ => "Indirizzo lavoro non valido: al massimo 200 caratteri, senza caratteri di \
              controllo."
            .to_owned(),
    }
}
