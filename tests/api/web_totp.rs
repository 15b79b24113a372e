//! The second factor on the web (issue #11): an operator enrolls their authenticator app on the
//! "Secondo fattore" page (the secret shown once, as base32 and `otpauth://` text, confirmed by a
//! first code), and from then on the login asks for "Codice OTP dell'app di autenticazione": a
//! missing or wrong code is refused like a wrong password and counts toward the account's lock,
//! and each code serves once. Under `auth.totp = "required"` an operator not yet enrolled opens
//! no other page until they enroll, right after the first login's password change too. The
//! codes are computed here from the secret the page showed, as an app would.

use chrono::Utc;
use tsgate::config::TotpMode;
use tsgate::identity::totp::{step_at, TotpSecret};

use crate::helpers::browser::{assert_sent_home, csrf_of, location, Browser};
use crate::helpers::seed::PASSWORD;
use crate::helpers::{spawn_app_with, As, Reply, TestApp, TestResult, OPERATOR};

const CODE_LABEL: &str = "Codice OTP dell'app di autenticazione";

/// The failures counted against the account.
async fn failures(app: &TestApp, user_id: &str) -> u32 {
    app.store()
        .credential_failures()
        .count(user_id)
        .await
        .expect("store")
        .failures
}

/// The text of the element `id` on `page`.
fn element_text(page: &Reply, id: &str) -> String {
    let marker = format!("id=\"{id}\">");
    let start = page
        .body
        .find(&marker)
        .unwrap_or_else(|| panic!("no #{id} in {}", page.body))
        + marker.len();
    let end = page.body[start..].find('<').expect("closing tag") + start;
    page.body[start..end].trim().to_owned()
}

/// On the enrollment page (which `browser` has open as `page`), makes a secret and reads it as
/// an app would.
async fn new_secret(browser: &mut Browser, page: &Reply) -> (TotpSecret, Reply) {
    let shown = browser
        .post("/web/secondo-fattore", &[("csrf", &csrf_of(page))])
        .await;
    assert_eq!(shown.status, 200, "{}", shown.body);
    let base32 = element_text(&shown, "segreto");
    let uri = element_text(&shown, "indirizzo-otpauth");
    assert!(
        uri.starts_with(&format!(
            "otpauth://totp/tsgate:{}?secret={base32}",
            OPERATOR.id
        )),
        "{uri}"
    );
    let secret = TotpSecret::from_base32(&base32).expect("base32");
    (secret, shown)
}

/// Posts `code` to confirm the secret shown on `page`.
async fn confirm(browser: &mut Browser, page: &Reply, code: &str) -> Reply {
    let fields = [("csrf", csrf_of(page)), ("code", code.to_owned())];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    browser.post("/web/secondo-fattore/conferma", &fields).await
}

/// The step of now, as an app reads its clock.
fn step_now() -> i64 {
    step_at(Utc::now().timestamp())
}

#[tokio::test]
async fn an_enrolled_operator_logs_in_with_a_code_that_serves_once() -> TestResult {
    // The captcha, which failed logins bring on, is `web_prelogin.rs`'s subject.
    let app = spawn_app_with(|config| {
        config.auth.totp = TotpMode::Optional;
        config.web.login_captcha_after_failures = 50;
    })
    .await;
    let mut browser = app.browser(As::Anonymous);
    let login_page = browser.get("/web/login").await;
    assert!(login_page.body.contains(CODE_LABEL), "{}", login_page.body);
    // Not enrolled yet: in with the password alone; the profile links to the enrollment.
    let login = browser.log_in(OPERATOR.id, PASSWORD, &[]).await;
    assert_eq!(location(&login), "/web/", "{}", login.body);
    let profile = browser.get("/web/profilo").await;
    assert!(
        profile.body.contains("/web/secondo-fattore"),
        "{}",
        profile.body
    );
    let page = browser.get("/web/secondo-fattore").await;
    assert!(
        page.body.contains("Genera il codice segreto"),
        "{}",
        page.body
    );

    let (secret, shown) = new_secret(&mut browser, &page).await;
    // A wrong first code enrolls nothing and counts as a failed credential.
    let wrong = confirm(&mut browser, &shown, "12345x").await;
    assert_eq!(wrong.status, 401, "{}", wrong.body);
    assert!(wrong.body.contains("Codice non valido"), "{}", wrong.body);
    assert_eq!(failures(&app, OPERATOR.id).await, 1);
    let step = step_now();
    let done = confirm(&mut browser, &wrong, &secret.code(step)).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(
        done.body.contains("Secondo fattore attivato"),
        "{}",
        done.body
    );
    let logout = browser
        .post("/web/esci", &[("csrf", &csrf_of(&done))])
        .await;
    assert_eq!(location(&logout), "/web/login");

    // Now the code is asked: without it, or wrong, refused like a wrong password and counted.
    let before = failures(&app, OPERATOR.id).await;
    for code in ["", "12345x"] {
        let refused = browser
            .log_in(OPERATOR.id, PASSWORD, &[("totp", code)])
            .await;
        assert_eq!(refused.status, 401, "{code:?}: {}", refused.body);
        assert!(
            refused.body.contains("Credenziali non valide"),
            "{}",
            refused.body
        );
        assert!(browser.cookie.is_none(), "no session");
    }
    assert_eq!(failures(&app, OPERATOR.id).await, before + 2);
    // The code that confirmed the enrollment is used: refused too.
    let used = secret.code(step);
    let replay = browser
        .log_in(OPERATOR.id, PASSWORD, &[("totp", &used)])
        .await;
    assert_eq!(replay.status, 401, "{}", replay.body);
    // The next one: in (and the failures forgotten).
    let next = secret.code(step + 1);
    let login = browser
        .log_in(OPERATOR.id, PASSWORD, &[("totp", &next)])
        .await;
    assert_sent_home(&login);
    assert_eq!(failures(&app, OPERATOR.id).await, 0);
    // The same code again, from another browser: refused, it served once.
    let mut other = app.browser(As::Anonymous);
    let again = other
        .log_in(OPERATOR.id, PASSWORD, &[("totp", &next)])
        .await;
    assert_eq!(again.status, 401, "{}", again.body);
    assert_eq!(failures(&app, OPERATOR.id).await, 1);
    Ok(())
}

#[tokio::test]
async fn wrong_codes_lock_the_account_like_wrong_passwords() -> TestResult {
    let app = spawn_app_with(|config| {
        config.auth.totp = TotpMode::Optional;
        config.auth.max_failures = 3;
        config.web.login_captcha_after_failures = 50;
    })
    .await;
    let mut browser = app.browser(As::Anonymous);
    browser.log_in(OPERATOR.id, PASSWORD, &[]).await;
    let page = browser.get("/web/secondo-fattore").await;
    let (secret, shown) = new_secret(&mut browser, &page).await;
    let step = step_now();
    let done = confirm(&mut browser, &shown, &secret.code(step)).await;
    assert_eq!(done.status, 200, "{}", done.body);

    let mut stranger = app.browser(As::Anonymous);
    for _ in 0..3 {
        let refused = stranger
            .log_in(OPERATOR.id, PASSWORD, &[("totp", "99999x")])
            .await;
        assert_eq!(refused.status, 401, "{}", refused.body);
    }
    // Locked: the right password and a fresh code are refused as well.
    let next = secret.code(step + 1);
    let mut browser = app.browser(As::Anonymous);
    let locked = browser
        .log_in(OPERATOR.id, PASSWORD, &[("totp", &next)])
        .await;
    assert_eq!(locked.status, 401, "{}", locked.body);
    let soap_lock = app
        .store()
        .credential_failures()
        .count(OPERATOR.id)
        .await?
        .locked_at(Utc::now());
    assert!(soap_lock, "the account's lock, shared with SOAP");
    Ok(())
}

#[tokio::test]
async fn under_required_the_first_login_goes_on_to_the_enrollment() -> TestResult {
    let app = spawn_app_with(|config| config.auth.totp = TotpMode::Required).await;
    app.force_password_change(OPERATOR.id).await?;
    let mut browser = app.browser(As::Anonymous);
    let login = browser.log_in(OPERATOR.id, PASSWORD, &[]).await;
    assert_eq!(location(&login), "/web/cambio-password", "{}", login.body);
    let page = browser.get("/web/cambio-password").await;
    let new = "Nuova-Parola-2026";
    let changed = browser
        .change_password(&csrf_of(&page), PASSWORD, new, new)
        .await;
    assert!(
        matches!(changed.status, 200 | 303),
        "{}: {}",
        changed.status,
        changed.body
    );
    // No page opens but the enrollment until it is done.
    for path in ["/web/", "/web/profilo", "/web/manuali", "/web/pincode"] {
        let sent = browser.get(path).await;
        assert_eq!(location(&sent), "/web/secondo-fattore", "{path}");
    }
    let page = browser.get("/web/secondo-fattore").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("è richiesto il secondo fattore"),
        "{}",
        page.body
    );
    let (secret, shown) = new_secret(&mut browser, &page).await;
    let step = step_now();
    let done = confirm(&mut browser, &shown, &secret.code(step)).await;
    assert!(
        done.body.contains("Secondo fattore attivato"),
        "{}",
        done.body
    );
    assert_eq!(browser.get("/web/").await.status, 200);

    // A later login: the code is asked; before enrolling, the password alone led to the page.
    let mut later = app.browser(As::Anonymous);
    let refused = later.log_in(OPERATOR.id, new, &[]).await;
    assert_eq!(refused.status, 401, "{}", refused.body);
    let next = secret.code(step + 1);
    let login = later.log_in(OPERATOR.id, new, &[("totp", &next)]).await;
    assert_sent_home(&login);
    Ok(())
}

#[tokio::test]
async fn under_required_a_login_without_enrollment_opens_only_the_enrollment() -> TestResult {
    let app = spawn_app_with(|config| config.auth.totp = TotpMode::Required).await;
    let mut browser = app.browser(As::Anonymous);
    let login = browser.log_in(OPERATOR.id, PASSWORD, &[]).await;
    assert_eq!(
        (login.status, location(&login)),
        (303, "/web/secondo-fattore"),
        "{}",
        login.body
    );
    let sent = browser.get("/web/immuni").await;
    assert_eq!(location(&sent), "/web/secondo-fattore");
    // A wrong password is still a wrong password, and opens nothing.
    let mut other = app.browser(As::Anonymous);
    let refused = other.log_in(OPERATOR.id, "wrong", &[]).await;
    assert_eq!(refused.status, 401, "{}", refused.body);
    assert!(other.cookie.is_none());
    Ok(())
}
