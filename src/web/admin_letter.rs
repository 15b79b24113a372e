//! The registration letter ("Lettera di registrazione"): the credentials a security
//! administrator hands over on paper — the user id, the initial password and, for an operator,
//! the first half of the pincode (seed 004 §3.2: the second half the operator reads on the
//! portal after the first login). Printable (the stylesheet's print rules leave only the
//! letter), no script.
//!
//! Shown once: it is the answer to the POST that created or reset the credentials, never kept
//! in the session, a cookie or a URL, with `Cache-Control: no-store` like every page. The
//! session is renewed with it (a new id and CSRF token), so sending that form again — a reload
//! — is refused before anything is done, and the credentials are not shown again.

use askama::Template;
use axum::response::Response;
use chrono::{DateTime, Utc};
use chrono_tz::Europe::Rome;
use http::StatusCode;

use super::admin::{admin_crumb, AdminSession};
use super::page::{self, Chrome, Crumb, HOME};
use super::session::{self, Holder};
use super::Pages;
use crate::admin::administrators::Administrator;
use crate::store::AdministratorScope;

/// What one letter tells.
pub struct Letter {
    /// Whom it is for: "operatore" or "amministratore di sicurezza".
    pub role: &'static str,
    pub name: String,
    pub cf: String,
    pub user_id: String,
    /// The initial password, when created or reset now.
    pub password: Option<String>,
    /// The pincode's first half, when issued now (operators only).
    pub pincode_first_half: Option<String>,
    /// Where they log in.
    pub login_path: &'static str,
    /// Why the letter: "Nuova utenza", "Reimpostazione della parola chiave", ...
    pub reason: &'static str,
}

#[derive(Template)]
#[template(path = "admin_letter.html")]
struct LetterPage<'a> {
    chrome: Chrome,
    letter: &'a Letter,
    /// Who issued it (the administrator's scope), and when (Rome time).
    issuer: String,
    issued_at: String,
}

impl Pages {
    /// The letter as the answer to the POST that made its credentials, in a renewed session.
    pub(super) async fn letter(&self, acting: &AdminSession, letter: &Letter) -> Response {
        let holder = Holder::Administrator(acting.admin.id());
        let created = match self.renew(&acting.session, holder).await {
            Ok(created) => created,
            Err(response) => return response,
        };
        let page = LetterPage {
            chrome: Chrome::signed_in(
                &created.session.csrf_token,
                vec![
                    HOME,
                    admin_crumb(),
                    Crumb {
                        label: "Lettera di registrazione",
                        href: None,
                    },
                ],
            ),
            letter,
            issuer: describe_in_italian(&acting.admin),
            issued_at: rome_date(self.now()),
        };
        page::with_cookie(
            page::html(StatusCode::OK, &page),
            &session::set_cookie(&created.cookie_id),
        )
    }
}

/// "ASL 201 della regione 120", or "Amministrazione centrale".
pub fn describe_in_italian(admin: &Administrator) -> String {
    match admin.scope() {
        AdministratorScope::Central => "Amministrazione centrale".to_owned(),
        AdministratorScope::Asl { region, asl } => {
            format!("ASL {asl} della regione {region}")
        }
    }
}

fn rome_date(at: DateTime<Utc>) -> String {
    at.with_timezone(&Rome).format("%d/%m/%Y").to_string()
}
