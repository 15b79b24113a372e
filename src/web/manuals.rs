//! "Manuali" (seed 000's menu): the user guides of the web application as one page, in Italian,
//! saying only what the pages do. The figures the guides quote (timeouts, how long a login form
//! and a captcha last) are read from the same settings and constants the pages use, so the
//! text cannot drift from them.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use http::{HeaderMap, StatusCode};

use super::page::{self, Chrome};
use super::{captcha, prelogin, Access, Pages};

/// The page.
pub const PATH: &str = "/web/manuali";

#[derive(Template)]
#[template(path = "manuals.html")]
struct ManualsPage {
    chrome: Chrome,
    /// The session's timeouts, in minutes, as configured (`[web]`).
    idle_minutes: u64,
    absolute_minutes: u64,
    /// How long a login form may stay open, in minutes.
    login_form_minutes: u64,
    /// How long a captcha may be answered, in minutes.
    captcha_minutes: u64,
    /// Wrong captcha answers on the OTP form before the session is closed.
    captcha_failures: u32,
}

/// `GET /web/manuali`.
pub async fn show(State(pages): State<Arc<Pages>>, headers: HeaderMap) -> Response {
    let operator = match pages.operator(&headers, Access::SignedIn).await {
        Ok(operator) => operator,
        Err(response) => return response,
    };
    let page = ManualsPage {
        chrome: Chrome::signed_in(&operator.session.csrf_token, page::trail_to("Manuali")),
        idle_minutes: pages.timeouts.idle.as_secs().div_ceil(60),
        absolute_minutes: pages.timeouts.absolute.as_secs().div_ceil(60),
        login_form_minutes: prelogin::LIFETIME.as_secs() / 60,
        captcha_minutes: captcha::LIFETIME.as_secs() / 60,
        captcha_failures: captcha::MAX_FAILURES,
    };
    page::html(StatusCode::OK, &page)
}
