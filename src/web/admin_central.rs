//! The central security administrator's page: the security administrators (list, a new ASL
//! administrator, a new password, unlock, disable and enable), each action through
//! [`crate::admin::administrators`] as `tsgate admins` does. A new administrator or password is
//! answered with the registration letter ([`super::admin_letter`]).

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::{Extension, Form};
use http::{HeaderMap, StatusCode};
use serde::Deserialize;

use super::admin::{admin_crumb, AdminSession, ADMIN_LOGIN};
use super::admin_letter::Letter;
use super::admin_refusal;
use super::page::{self, Chrome, HOME};
use super::{Pages, Visitor};
use crate::admin::administrator_lockout;
use crate::admin::administrators::{self, AdministratorForm};
use crate::store::{AdministratorRecord, AdministratorScope};

/// One administrator as the list shows them.
struct Row {
    admin_id: String,
    name: String,
    cf: String,
    scope: String,
    enabled: bool,
    /// "bloccato fino alle …" while failed passwords lock them.
    locked_until: Option<String>,
    own: bool,
}

#[derive(Template)]
#[template(path = "admin_administrators.html")]
struct AdministratorsPage {
    chrome: Chrome,
    csrf: String,
    admin_id: String,
    message: Option<String>,
    /// The message says why something was refused (else what was done).
    refused: bool,
    rows: Vec<Row>,
}

fn scope_in_italian(scope: &AdministratorScope) -> String {
    match scope {
        AdministratorScope::Central => "Centrale".to_owned(),
        AdministratorScope::Asl { region, asl } => format!("ASL {asl} – regione {region}"),
    }
}

/// The central administrator's page with `message` in its Messaggi box.
pub async fn page(
    pages: &Pages,
    acting: &AdminSession,
    status: StatusCode,
    message: Option<String>,
) -> Response {
    let store = pages.gateway.store.as_ref();
    let listed = match administrators::list(store, &acting.admin).await {
        Ok(listed) => listed,
        Err(error) => return admin_refusal::page_of(admin_refusal::of_administrator_error(&error)),
    };
    let mut rows = Vec::with_capacity(listed.len());
    for record in listed {
        let count = match administrator_lockout::failure_count(
            store,
            &record.admin_id,
            pages.lockout,
        )
        .await
        {
            Ok(count) => count,
            Err(error) => {
                tracing::error!(%error, "an administrator's failures could not be read");
                return page::unavailable();
            }
        };
        rows.push(row(
            record,
            acting,
            count
                .locked_at(pages.now())
                .then_some(count.locked_until)
                .flatten(),
        ));
    }
    let page = AdministratorsPage {
        chrome: Chrome::signed_in(&acting.session.csrf_token, vec![HOME, admin_crumb()]),
        csrf: acting.session.csrf_token.clone(),
        admin_id: acting.admin.id().to_owned(),
        message,
        refused: !status.is_success(),
        rows,
    };
    page::html(status, &page)
}

fn row(
    record: AdministratorRecord,
    acting: &AdminSession,
    locked_until: Option<chrono::DateTime<chrono::Utc>>,
) -> Row {
    Row {
        own: record.admin_id == acting.admin.id(),
        scope: scope_in_italian(&record.scope),
        cf: record.cf.to_string(),
        name: record.display_name,
        enabled: record.enabled,
        locked_until: locked_until.map(super::admin_operators::rome_time),
        admin_id: record.admin_id,
    }
}

/// The form of a new ASL administrator (a central one without region and ASL).
#[derive(Deserialize)]
pub struct NewAdministratorForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    admin_id: String,
    #[serde(default)]
    cf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    region: String,
    #[serde(default)]
    asl: String,
}

fn given(text: &str) -> Option<&str> {
    Some(text.trim()).filter(|t| !t.is_empty())
}

/// `POST /web/admin/amministratori`: [`administrators::add`]; the letter with the generated
/// password.
pub async fn add(
    State(pages): State<Arc<Pages>>,
    Extension(visitor): Extension<Visitor>,
    headers: HeaderMap,
    Form(form): Form<NewAdministratorForm>,
) -> Response {
    let acting = match pages
        .administrator_posting(&headers, &visitor, &form.csrf)
        .await
    {
        Ok(acting) => acting,
        Err(response) => return response,
    };
    let parsed = AdministratorForm {
        admin_id: form.admin_id.trim(),
        cf: form.cf.trim(),
        display_name: form.name.trim(),
        region: given(&form.region),
        asl: given(&form.asl),
    }
    .parse();
    let new = match parsed {
        Ok(new) => new,
        Err(invalid) => {
            let shown = admin_refusal::invalid_administrator(&invalid);
            return page(&pages, &acting, shown.status, Some(shown.message)).await;
        }
    };
    let (name, cf) = (new.display_name.clone(), new.cf.to_string());
    let store = pages.gateway.store.as_ref();
    match administrators::add(store, &acting.admin, new, None).await {
        Ok(added) => {
            let letter = Letter {
                role: "amministratore di sicurezza",
                name,
                cf,
                user_id: added.admin_id,
                password: Some(added.password),
                pincode_first_half: None,
                login_path: ADMIN_LOGIN,
                reason: "Nuova utenza",
            };
            pages.letter(&acting, &letter).await
        }
        Err(error) => answer_refusal(&pages, &acting, &error).await,
    }
}

async fn answer_refusal(
    pages: &Pages,
    acting: &AdminSession,
    error: &administrators::AdministratorError,
) -> Response {
    match admin_refusal::of_administrator_error(error) {
        Some(shown) => page(pages, acting, shown.status, Some(shown.message)).await,
        None => page::unavailable(),
    }
}

/// An action on one administrator.
#[derive(Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    admin_id: String,
    #[serde(default)]
    action: String,
}

/// `POST /web/admin/amministratori/azione`: `action` is `reset-password` (answered with the
/// letter), `sblocca`, `disabilita` or `abilita`.
pub async fn act(
    State(pages): State<Arc<Pages>>,
    Extension(visitor): Extension<Visitor>,
    headers: HeaderMap,
    Form(form): Form<ActionForm>,
) -> Response {
    let acting = match pages
        .administrator_posting(&headers, &visitor, &form.csrf)
        .await
    {
        Ok(acting) => acting,
        Err(response) => return response,
    };
    let store = pages.gateway.store.as_ref();
    let target = form.admin_id.as_str();
    let done = match form.action.as_str() {
        "reset-password" => {
            let reset = administrators::reset_password(store, &acting.admin, target).await;
            return match reset {
                Ok(reset) => {
                    let record = store.administrators().find(target).await.ok().flatten();
                    let letter = Letter {
                        role: "amministratore di sicurezza",
                        name: record
                            .as_ref()
                            .map(|r| r.display_name.clone())
                            .unwrap_or_default(),
                        cf: record.map(|r| r.cf.to_string()).unwrap_or_default(),
                        user_id: reset.admin_id,
                        password: Some(reset.password),
                        pincode_first_half: None,
                        login_path: ADMIN_LOGIN,
                        reason: "Reimpostazione della parola chiave",
                    };
                    pages.letter(&acting, &letter).await
                }
                Err(error) => answer_refusal(&pages, &acting, &error).await,
            };
        }
        "sblocca" => {
            administrators::unlock(store, &acting.admin, target, pages.lockout, pages.now())
                .await
                .map(|unlocked| match unlocked.was_locked_until {
                    Some(_) => format!("Amministratore «{target}» sbloccato."),
                    None => format!(
                        "L'amministratore «{target}» non era bloccato; i tentativi errati sono \
                     azzerati."
                    ),
                })
        }
        "disabilita" => administrators::set_enabled(store, &acting.admin, target, false)
            .await
            .map(|()| {
                format!("Amministratore «{target}» disabilitato; le sue sessioni sono chiuse.")
            }),
        "abilita" => administrators::set_enabled(store, &acting.admin, target, true)
            .await
            .map(|()| format!("Amministratore «{target}» abilitato.")),
        _ => {
            return page(
                &pages,
                &acting,
                StatusCode::BAD_REQUEST,
                Some("Operazione sconosciuta.".into()),
            )
            .await
        }
    };
    match done {
        Ok(message) => page(&pages, &acting, StatusCode::OK, Some(message)).await,
        Err(error) => answer_refusal(&pages, &acting, &error).await,
    }
}
