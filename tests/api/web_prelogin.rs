//! Before login nothing is stored (issue #11): the login pages' CSRF token is stateless, an HMAC
//! bound to the browser's pre-login cookie, the form and an expiry, and so is the login's
//! captcha. Many anonymous visits leave the session and captcha tables as they were; a token
//! that is forged, another browser's, another form's or expired is refused with a page that
//! says why; a login still works, and its session is the first row.

use chrono::{Duration, Utc};

use crate::helpers::browser::{assert_sent_home, csrf_of, hidden_field, Browser};
use crate::helpers::seed::PASSWORD;
use crate::helpers::{spawn_app, spawn_app_with, As, Reply, TestApp, TestResult, OPERATOR};

/// The tables an anonymous visitor could fill if the login wrote anything.
const TABLES: [&str; 3] = ["web_sessions", "web_captchas", "web_spent_challenges"];

async fn rows(app: &TestApp) -> Vec<i64> {
    let mut counts = Vec::new();
    for table in TABLES {
        counts.push(app.rows_in(table).await);
    }
    counts
}

#[tokio::test]
async fn opening_the_login_pages_and_failing_to_log_in_write_nothing() -> TestResult {
    let app = spawn_app().await;
    let before = rows(&app).await;
    assert_eq!(before, [0, 0, 0]);
    for _ in 0..25 {
        for page in ["/web/login", "/web/admin/accesso"] {
            let mut visitor = app.browser(As::Anonymous);
            let shown = visitor.get(page).await;
            assert_eq!(shown.status, 200, "{}", shown.body);
            assert!(visitor.cookie.is_none(), "no session cookie");
            assert!(visitor.prelogin.is_some(), "the pre-login cookie");
        }
    }
    let mut browser = app.browser(As::Anonymous);
    let refused = browser.log_in("NOBODY", "wrong", &[]).await;
    assert_eq!(refused.status, 401, "{}", refused.body);
    assert_eq!(rows(&app).await, before, "nothing written before a login");

    let login = browser.log_in(OPERATOR.id, PASSWORD, &[]).await;
    assert_sent_home(&login);
    assert!(
        browser.prelogin.is_none(),
        "the pre-login cookie is dropped"
    );
    assert_eq!(rows(&app).await, [1, 0, 0], "the login's session only");
    Ok(())
}

/// Posts the login form as the operator with the right password and `csrf`.
async fn send(browser: &mut Browser, csrf: &str) -> Reply {
    let fields = [
        ("csrf", csrf),
        ("user_id", OPERATOR.id),
        ("password", PASSWORD),
    ];
    browser.post("/web/login", &fields).await
}

/// `reply` is the refusal page titled `title`, which says nothing was done.
fn refused_with(reply: &Reply, title: &str) {
    assert_eq!(reply.status, 403, "{}", reply.body);
    assert!(reply.body.contains(title), "{}", reply.body);
    assert!(
        reply.body.contains("Nessuna operazione è stata eseguita"),
        "{}",
        reply.body
    );
}

#[tokio::test]
async fn a_token_of_another_browser_form_or_time_or_forged_is_refused() -> TestResult {
    let app = spawn_app().await;
    let mut first = app.browser(As::Anonymous);
    let page = first.get("/web/login").await;
    let token = csrf_of(&page);

    // Another browser's cookie.
    let mut second = app.browser(As::Anonymous);
    second.get("/web/login").await;
    refused_with(&send(&mut second, &token).await, "Richiesta rifiutata");
    // No cookie at all (a cross-site post: SameSite=Strict keeps the cookie home).
    let mut stranger = app.browser(As::Anonymous);
    refused_with(&send(&mut stranger, &token).await, "Richiesta rifiutata");
    // Forged: a later expiry with the same tag, or a tag made up.
    let (_, tag) = token.split_once('.').expect("expiry.tag");
    let later = Utc::now().timestamp() + 600;
    for forged in [
        format!("{later}.{tag}"),
        format!("{later}.AAAA"),
        String::new(),
    ] {
        refused_with(&send(&mut first, &forged).await, "Richiesta rifiutata");
    }
    // The administrators' form's token, with the same cookie.
    let admin_page = first.get("/web/admin/accesso").await;
    refused_with(
        &send(&mut first, &csrf_of(&admin_page)).await,
        "Richiesta rifiutata",
    );
    // And the operators' token on the administrators' form.
    let admin_fields = [
        ("csrf", token.as_str()),
        ("admin_id", "ADMINASL201"),
        ("password", "x"),
    ];
    refused_with(
        &first.post("/web/admin/accesso", &admin_fields).await,
        "Richiesta rifiutata",
    );
    // Past its 15 minutes, even with its own cookie.
    app.pin_clock(Utc::now() + Duration::minutes(16));
    let expired = send(&mut first, &token).await;
    refused_with(&expired, "Pagina di accesso scaduta");
    assert!(expired.body.contains("15 minuti"), "{}", expired.body);
    app.pin_clock(Utc::now());
    assert_eq!(app.rows_in("web_sessions").await, 0);

    // In time, with its own cookie: in.
    let login = send(&mut first, &token).await;
    assert_sent_home(&login);
    Ok(())
}

/// With the captcha asked on every login (`login_captcha_after_failures = 0`), its challenges
/// are stateless too: shown and drawn without a row; a right answer is recorded once, so it
/// serves once.
#[tokio::test]
async fn the_logins_captcha_is_stateless_and_serves_once() -> TestResult {
    let app = spawn_app_with(|config| config.web.login_captcha_after_failures = 0).await;
    for _ in 0..20 {
        let mut visitor = app.browser(As::Anonymous);
        let page = visitor.get("/web/login").await;
        assert!(page.body.contains("Codice di sicurezza"), "{}", page.body);
        let id = hidden_field(&page, "captcha_id");
        let picture = visitor
            .get(&format!("/web/captcha/{id}/immagine.png"))
            .await;
        assert_eq!(picture.status, 200);
        assert_eq!(picture.header("content-type"), Some("image/png"));
        // Without the pre-login cookie it was drawn for, the picture is not there.
        let mut other = app.browser(As::Anonymous);
        let elsewhere = other.get(&format!("/web/captcha/{id}/immagine.png")).await;
        assert_eq!(elsewhere.status, 404);
    }
    assert_eq!(rows(&app).await, [0, 0, 0]);

    let mut browser = app.browser(As::Anonymous);
    let page = browser.get("/web/login").await;
    let id = hidden_field(&page, "captcha_id");
    let answer = app.captcha_answer(&browser, &page).await;
    // A wrong password with the right captcha: the challenge is spent.
    let captcha = [("captcha_id", id.as_str()), ("captcha", answer.as_str())];
    let refused = browser.log_in(OPERATOR.id, "wrong", &captcha).await;
    assert_eq!(refused.status, 401, "{}", refused.body);
    assert!(
        refused.body.contains("Credenziali non valide"),
        "{}",
        refused.body
    );
    assert_eq!(rows(&app).await, [0, 0, 1], "one spent challenge");
    // The same challenge and answer again: refused before the password is looked at.
    let replayed = browser.log_in(OPERATOR.id, PASSWORD, &captcha).await;
    assert_eq!(replayed.status, 401, "{}", replayed.body);
    assert!(
        replayed.body.contains("nuova immagine"),
        "{}",
        replayed.body
    );
    // A wrong answer is a failed login too.
    let fresh = hidden_field(&replayed, "captcha_id");
    let wrong = [("captcha_id", fresh.as_str()), ("captcha", "not-it")];
    let refused = browser.log_in(OPERATOR.id, PASSWORD, &wrong).await;
    assert!(refused.body.contains("non è corretto"), "{}", refused.body);
    // A new challenge, answered right: in.
    let page = browser.get("/web/login").await;
    let id = hidden_field(&page, "captcha_id");
    let answer = app.captcha_answer(&browser, &page).await;
    let captcha = [("captcha_id", id.as_str()), ("captcha", answer.as_str())];
    let login = browser.log_in(OPERATOR.id, PASSWORD, &captcha).await;
    assert_sent_home(&login);
    Ok(())
}
