//! What the administration pages say when [`crate::admin`] refuses: the rule's refusal in
//! Italian (whose operator, which field, what is taken), shown in the page's Messaggi box with
//! its status. `None` is a store that failed, logged here: the caller answers with the
//! "unavailable" page (nothing was decided, or it could not be recorded: the rules never
//! acknowledge an action the access log lacks).

use axum::response::Response;
use http::StatusCode;

use super::admin::ADMIN_HOME;
use super::page;
use crate::admin::administrators::{AdministratorError, Refusal};
use crate::admin::users::UserError;
use crate::store::StoreError;

/// A refusal to show: its status and message.
pub struct Shown {
    pub status: StatusCode,
    pub message: String,
}

fn shown(status: StatusCode, message: String) -> Option<Shown> {
    Some(Shown { status, message })
}

/// Italian for a form field, by the name the rules give it (the command line's flag).
pub fn field_label(field: &str) -> &'static str {
    match field {
        "user-id" | "admin-id" => "Codice Identificativo",
        "cf" => "Codice fiscale",
        "profile" => "Profilo",
        "region" => "Regione",
        "asl" => "ASL",
        "surname" => "Cognome",
        "given-name" => "Nome",
        "email" => "E-mail",
        "phone" => "Telefono",
        _ => "Dato",
    }
}

/// A field that did not parse: which, and the rule it broke.
pub fn invalid_field(field: &str, reason: &dyn std::fmt::Display) -> Shown {
    Shown {
        status: StatusCode::BAD_REQUEST,
        message: format!("{}: dato non valido ({reason}).", field_label(field)),
    }
}

fn of_refusal(refusal: &Refusal) -> Option<Shown> {
    let forbidden = |message: String| shown(StatusCode::FORBIDDEN, message);
    match refusal {
        Refusal::OutOfScope { user, .. } => forbidden(format!(
            "L'utente «{user}» non appartiene alla sua ASL: un amministratore di sicurezza di ASL \
             amministra solo gli operatori della propria ASL. Nessuna operazione è stata eseguita."
        )),
        Refusal::CentralOnOperators { .. } => forbidden(
            "L'amministratore di sicurezza centrale non amministra gli operatori: li amministra \
             l'amministratore di sicurezza della loro ASL."
                .into(),
        ),
        Refusal::NotCentral { .. } => forbidden(
            "Solo l'amministratore di sicurezza centrale gestisce gli amministratori di \
             sicurezza."
                .into(),
        ),
        Refusal::Credentials => forbidden("Operazione non consentita.".into()),
    }
}

fn of_store(error: &StoreError) -> Option<Shown> {
    match error {
        StoreError::Duplicate { key, .. } => shown(
            StatusCode::CONFLICT,
            format!(
                "«{key}» è già registrato: il Codice Identificativo e il codice fiscale di \
                 un'utenza sono unici."
            ),
        ),
        _ => unavailable(error),
    }
}

fn unavailable(error: &dyn std::fmt::Display) -> Option<Shown> {
    tracing::error!(%error, "an administrative action failed");
    None
}

/// An operator's action refused or failed.
pub fn of_user_error(error: &UserError) -> Option<Shown> {
    match error {
        UserError::Refused(refusal) => of_refusal(refusal),
        UserError::NoSuchUser(id) => shown(
            StatusCode::NOT_FOUND,
            format!("Nessun utente con Codice Identificativo «{id}»."),
        ),
        UserError::Invalid(detail) => Some(invalid_field(detail.field, &detail.reason)),
        UserError::Store(store) => of_store(store),
        UserError::HasAsl { .. } | UserError::OtherRegion { .. } => {
            shown(StatusCode::CONFLICT, error.to_string())
        }
        UserError::Hash(_) | UserError::Seal | UserError::NotRecorded(_) => unavailable(error),
    }
}

/// An action on administrators refused or failed.
pub fn of_administrator_error(error: &AdministratorError) -> Option<Shown> {
    match error {
        AdministratorError::Refused(refusal) => of_refusal(refusal),
        AdministratorError::NoSuchAdministrator(id) => shown(
            StatusCode::NOT_FOUND,
            format!("Nessun amministratore con Codice Identificativo «{id}»."),
        ),
        AdministratorError::OwnAccount(_) => shown(
            StatusCode::CONFLICT,
            "Non è possibile disabilitare la propria utenza.".into(),
        ),
        AdministratorError::Store(store) => of_store(store),
        AdministratorError::AlreadyBootstrapped
        | AdministratorError::Hash(_)
        | AdministratorError::NotRecorded(_) => unavailable(error),
    }
}

/// The refusal page, for a page that cannot be shown at all (another ASL's operator, the
/// central administrators' list to an ASL's administrator).
pub fn page_of(shown: Option<Shown>) -> Response {
    match shown {
        Some(shown) => page::refusal(
            shown.status,
            "Operazione non consentita",
            &shown.message,
            (ADMIN_HOME, "Torna all'amministrazione"),
        ),
        None => page::unavailable(),
    }
}
