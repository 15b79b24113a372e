//! What the administration pages say when [`crate::admin`] refuses: the rule's refusal in
//! Italian (whose operator, which field, what is taken), shown in the page's Messaggi box with
//! its status. `None` is a store that failed, logged here: the caller answers with the
//! "unavailable" page (nothing was decided, or it could not be recorded: the rules never
//! acknowledge an action the access log lacks).

use axum::response::Response;
use http::StatusCode;

use super::admin::ADMIN_HOME;
use super::page;
use crate::admin::administrators::{AdministratorError, InvalidAdministrator, Refusal};
use crate::admin::operator_details::InvalidDetail;
use crate::admin::users::{InvalidUser, UserError};
use crate::domain::CfError;
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
        "birth-date" => "Data di nascita",
        "sex" => "Sesso",
        "birth-place" => "Luogo di nascita",
        "work-address" => "Indirizzo lavoro",
        "email" => "E-mail",
        "phone" => "Telefono",
        "fax" => "Fax",
        "action" => "Operazione",
        _ => "Dato",
    }
}

/// What a value of `field` must be, in Italian. The rules' own words (for the command line)
/// are English and never reach a page.
fn field_rule(field: &str) -> &'static str {
    match field {
        "user-id" | "admin-id" => "non può essere vuoto",
        "cf" => "16 caratteri con il carattere di controllo corretto, oppure 11 cifre",
        "profile" => "uno dei profili elencati",
        "region" => "il codice di 3 cifre di una regione",
        "asl" => "il codice di 3 cifre di un'ASL",
        "surname" | "given-name" | "birth-place" | "work-address" => {
            "al massimo 200 caratteri, senza caratteri di controllo"
        }
        "birth-date" => "una data esistente, quella che il codice fiscale riporta",
        "sex" => "M o F, quello che il codice fiscale riporta",
        "email" => "nome@dominio, senza spazi, al massimo 254 caratteri",
        "phone" | "fax" => {
            "da 5 a 15 cifre, eventualmente precedute da +, separate solo da spazi, - . / ( )"
        }
        "action" => "un'operazione prevista dalla pagina",
        _ => "un valore accettato",
    }
}

/// A field that did not parse: which, and what it must be.
fn invalid_field(field: &str, rule: &str) -> Shown {
    Shown {
        status: StatusCode::BAD_REQUEST,
        message: format!("{}: dato non valido ({rule}).", field_label(field)),
    }
}

/// What is wrong with a codice fiscale, in Italian.
fn cf_rule(error: &CfError) -> String {
    match error {
        CfError::Shape => field_rule("cf").to_owned(),
        CfError::BirthDate => "la data di nascita che riporta non esiste".to_owned(),
        CfError::CheckCharacter { expected } => {
            format!("il carattere di controllo è errato, atteso «{expected}»")
        }
    }
}

/// A detail of an operator (the registry's data) that did not parse.
pub fn invalid_detail(detail: &InvalidDetail) -> Shown {
    invalid_field(detail.field, field_rule(detail.field))
}

/// A new operator's form that did not parse.
pub fn invalid_user(invalid: &InvalidUser) -> Shown {
    match invalid {
        InvalidUser::Cf(error) => invalid_field("cf", &cf_rule(error)),
        InvalidUser::Detail(detail) => invalid_detail(detail),
        other => invalid_field(other.field(), field_rule(other.field())),
    }
}

/// A new administrator's form that did not parse.
pub fn invalid_administrator(invalid: &InvalidAdministrator) -> Shown {
    match invalid {
        InvalidAdministrator::Cf(error) => invalid_field("cf", &cf_rule(error)),
        InvalidAdministrator::HalfScope => invalid_field(
            "region",
            "per un amministratore di ASL servono sia la regione sia l'ASL; per l'amministratore \
             centrale nessuna delle due",
        ),
        other => invalid_field(other.field(), field_rule(other.field())),
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
        UserError::Invalid(detail) => Some(invalid_detail(detail)),
        UserError::Store(store) => of_store(store),
        UserError::HasAsl { user, .. } => shown(
            StatusCode::CONFLICT,
            format!(
                "L'utente «{user}» appartiene già a un'ASL: si assegna un'ASL solo a un utente \
                 che non ne ha una (lo amministra l'amministratore di sicurezza della sua ASL)."
            ),
        ),
        UserError::OtherRegion { user, region } => shown(
            StatusCode::CONFLICT,
            format!(
                "L'utente «{user}» è della regione {region}: assegnargli un'ASL di quella \
                 regione."
            ),
        ),
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
