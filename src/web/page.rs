//! What every page shares: the frame around it ([`Chrome`]: stylesheet, "Esci", the "Ti trovi
//! in" trail), rendering a template into an answer, redirects, and the pages that refuse.

use askama::Template;
use axum::response::{IntoResponse, Response};
use http::{header, HeaderValue, StatusCode};

use super::static_files::stylesheet_path;

/// One step of the "Ti trovi in" trail; the last one (the page itself) has no link.
pub struct Crumb {
    pub label: &'static str,
    pub href: Option<&'static str>,
}

pub const HOME: Crumb = Crumb {
    label: "Home",
    href: Some("/web/"),
};
pub const SERVIZI_ONLINE: Crumb = Crumb {
    label: "Servizi On Line",
    href: Some("/web/"),
};

/// The trail of a page reached from the home: Home - Servizi On Line - `label`.
pub fn trail_to(label: &'static str) -> Vec<Crumb> {
    vec![HOME, SERVIZI_ONLINE, Crumb { label, href: None }]
}

/// The frame of every page.
pub struct Chrome {
    pub stylesheet: &'static str,
    /// The session's CSRF token when someone is logged in: the "Esci" button is shown.
    pub logout_csrf: Option<String>,
    pub trail: Vec<Crumb>,
}

impl Chrome {
    /// A page for no one logged in.
    pub fn public(trail: Vec<Crumb>) -> Chrome {
        Chrome {
            stylesheet: stylesheet_path(),
            logout_csrf: None,
            trail,
        }
    }

    /// A page of a logged-in session, whose "Esci" posts `csrf`.
    pub fn signed_in(csrf: &str, trail: Vec<Crumb>) -> Chrome {
        Chrome {
            stylesheet: stylesheet_path(),
            logout_csrf: Some(csrf.to_owned()),
            trail,
        }
    }
}

/// The page that says why a request was refused.
#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    chrome: Chrome,
    title: &'a str,
    message: &'a str,
    back: &'a str,
    back_label: &'a str,
}

/// Renders `template` with `status`; a template that fails to render is logged and answered
/// with a plain 500 (never half a page).
pub fn html(status: StatusCode, template: &impl Template) -> Response {
    match template.render() {
        Ok(body) => (
            status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            body,
        )
            .into_response(),
        Err(error) => {
            tracing::error!(%error, "a web page could not be rendered");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                "Errore interno: la pagina non può essere mostrata.\n",
            )
                .into_response()
        }
    }
}

/// `303 See Other` to `to` (a path under /web): after a POST, the browser GETs the next page.
pub fn redirect(to: &'static str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response()
}

/// Adds `Set-Cookie: cookie` to `response`.
pub fn with_cookie(mut response: Response, cookie: &str) -> Response {
    match HeaderValue::from_str(cookie) {
        Ok(value) => {
            response.headers_mut().append(header::SET_COOKIE, value);
            response
        }
        Err(_) => unavailable(),
    }
}

fn error_page(status: StatusCode, title: &str, message: &str, back: &str) -> Response {
    refusal(
        status,
        title,
        message,
        (back, "Torna alla pagina di accesso"),
    )
}

/// The page that says why, with a link back (`(href, label)`).
pub fn refusal(status: StatusCode, title: &str, message: &str, back: (&str, &str)) -> Response {
    let page = ErrorPage {
        chrome: Chrome::public(vec![HOME]),
        title,
        message,
        back: back.0,
        back_label: back.1,
    };
    html(status, &page)
}

/// An operator's session on a page of the security administrators.
pub fn forbidden_to_operators() -> Response {
    refusal(
        StatusCode::FORBIDDEN,
        "Pagina riservata",
        "Questa pagina è riservata agli amministratori di sicurezza, che accedono dalla pagina \
         \"Accesso amministratori di sicurezza\" con le proprie credenziali.",
        ("/web/", "Torna ai Servizi On Line"),
    )
}

/// A POST without its session's CSRF token, or with another one.
pub fn forbidden_csrf() -> Response {
    error_page(
        StatusCode::FORBIDDEN,
        "Richiesta rifiutata",
        "Il modulo inviato non proviene da questa sessione (token di sicurezza assente o non \
         valido), oppure la sessione è scaduta. Nessuna operazione è stata eseguita: aprire di \
         nuovo la pagina e ripetere l'operazione.",
        "/web/login",
    )
}

/// The store could not be read or written: nothing was decided.
pub fn unavailable() -> Response {
    error_page(
        StatusCode::SERVICE_UNAVAILABLE,
        "Servizio momentaneamente non disponibile",
        "Il servizio non è al momento disponibile. Riprovare tra qualche minuto.",
        "/web/login",
    )
}

/// No page at this address.
pub fn not_found() -> Response {
    error_page(
        StatusCode::NOT_FOUND,
        "Pagina non trovata",
        "La pagina richiesta non esiste.",
        "/web/",
    )
}

/// The way back of a service page's refusal.
const BACK_HOME: (&str, &str) = ("/web/", "Torna alla Home");

/// The operator spent their rate of operations (the same per-operator limit as SOAP).
pub fn too_many_requests(retry_after_secs: u64) -> Response {
    let mut response = refusal(
        StatusCode::TOO_MANY_REQUESTS,
        "Troppe richieste",
        &format!(
            "Sono state inviate troppe richieste in poco tempo. Nessuna operazione è stata \
             eseguita: riprovare tra {retry_after_secs} secondi."
        ),
        BACK_HOME,
    );
    if let Ok(value) = HeaderValue::from_str(&retry_after_secs.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// A page the operator's profiles do not open; `needed` names the profile.
pub fn forbidden_profile(needed: &str) -> Response {
    refusal(
        StatusCode::FORBIDDEN,
        "Servizio non consentito",
        &format!(
            "Questa pagina è riservata agli utenti con il profilo «{needed}», che l'utenza non \
             possiede. Per ottenerlo rivolgersi all'amministratore di sicurezza della propria ASL."
        ),
        BACK_HOME,
    )
}

/// A form whose values cannot make a request at all (nothing was done, nothing recorded):
/// why, and where to try again (`(href, label)`).
pub fn bad_form(title: &str, message: &str, back: (&str, &str)) -> Response {
    refusal(StatusCode::UNPROCESSABLE_ENTITY, title, message, back)
}

/// A request the operator may not make (a file of an ASL they do not belong to, a profile they
/// lack): nothing was given; the refusal is in the access log.
pub fn refused(title: &str, message: &str) -> Response {
    refusal(StatusCode::FORBIDDEN, title, message, BACK_HOME)
}
