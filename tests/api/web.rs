//! The web application (issue #11) over real TLS with raw HTTP: the login page of seed 000 and
//! the headers every answer carries; login, home, profile and logout, the session created at
//! login and deleted at logout; CSRF refused; the login throttled per address and locked per
//! account by the same mechanisms as SOAP; the forced password change; the idle timeout; the
//! smart-card login. Before login nothing is stored: `web_prelogin.rs`; the second factor at
//! the login: `web_totp.rs`. The same stories in a real browser: `tests/browser.rs`.

use chrono::{Duration, Utc};

use crate::helpers::browser::{assert_sent_home, csrf_of, location};
use crate::helpers::seed::PASSWORD;
use crate::helpers::{spawn_app, spawn_app_with, As, TestResult, OPERATOR};

#[tokio::test]
async fn the_login_page_is_seed_000s_with_the_security_headers() -> TestResult {
    let app = spawn_app().await;
    let mut browser = app.browser(As::Anonymous);
    let page = browser.get("/web/login").await;
    assert_eq!(page.status, 200);
    for text in [
        "<html lang=\"it\">",
        "AUTENTICAZIONE",
        "Messaggi",
        "Per accedere al sistema inserire le credenziali",
        "<label for=\"user_id\">Codice Identificativo</label>",
        "<label for=\"password\">Parola chiave</label>",
        "CONFERMA",
        "RIPULISCI",
        "Per chiarimenti in merito alla login rivolgersi al numero verde",
        "Accedi con smart card",
    ] {
        assert!(page.body.contains(text), "{text:?} missing: {}", page.body);
    }
    assert!(!page.body.contains("<script"), "no script at all");
    let csp = page.header("content-security-policy").unwrap_or("");
    for directive in [
        "default-src 'self'",
        "script-src 'none'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(directive), "{csp}");
    }
    assert!(page
        .header("strict-transport-security")
        .is_some_and(|v| v.starts_with("max-age=")));
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(page.header("referrer-policy"), Some("no-referrer"));
    assert_eq!(page.header("cache-control"), Some("no-store"));
    let cookie = page.header("set-cookie").unwrap_or("");
    for attribute in ["Path=/web", "Secure", "HttpOnly", "SameSite=Strict"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    // The one stylesheet, named by its content, kept for a year.
    let start = page.body.find("/web/static/").expect("stylesheet link");
    let end = page.body[start..].find('"').expect("quote") + start;
    let css = browser.get(&page.body[start..end]).await;
    assert_eq!(css.status, 200);
    assert!(css
        .header("content-type")
        .unwrap_or("")
        .starts_with("text/css"));
    assert!(css
        .header("cache-control")
        .unwrap_or("")
        .contains("max-age=31536000"));
    assert_eq!(browser.get("/web/static/other.css").await.status, 404);
    // Headers on refusals too.
    let missing = browser.get("/web/nowhere").await;
    assert_eq!(missing.status, 404);
    assert!(missing.header("content-security-policy").is_some());
    Ok(())
}

#[tokio::test]
async fn login_home_profile_and_logout_which_ends_the_session() -> TestResult {
    let app = spawn_app().await;
    let mut browser = app.browser(As::Anonymous);
    // Without a session the pages send the browser to the login page.
    let home = browser.get("/web/").await;
    assert_eq!((home.status, location(&home)), (303, "/web/login"));

    browser.get("/web/login").await;
    assert!(browser.cookie.is_none(), "no session before login");
    assert!(browser.prelogin.is_some(), "the login form's own cookie");
    assert_sent_home(&browser.log_in(OPERATOR.id, PASSWORD, &[]).await);
    let after = browser.cookie.clone().expect("a session after login");
    assert!(browser.prelogin.is_none(), "forgotten once logged in");

    let home = browser.get("/web/").await;
    assert_eq!(home.status, 200, "{}", home.body);
    for text in [
        "SERVIZI ONLINE",
        OPERATOR.cf,
        "Mario Rossi",
        "Telefono Ufficio:",
        "Non Presente",
        "Ultimo accesso su SistemaTS:",
        "Ultimo cambio password su SistemaTS:",
        "Profilo Utente",
        "Esci",
    ] {
        assert!(home.body.contains(text), "{text:?} missing: {}", home.body);
    }
    assert_eq!(home.header("cache-control"), Some("no-store"));
    let profile = browser.get("/web/profilo").await;
    assert_eq!(profile.status, 200);
    for text in [
        "Riepilogo Dati Personali",
        "Riepilogo dati lavorativi",
        "Cambio Password",
    ] {
        assert!(profile.body.contains(text), "{text:?} missing");
    }
    // The login page of a logged-in session goes on to the home.
    let again = browser.get("/web/login").await;
    assert_eq!((again.status, location(&again)), (303, "/web/"));

    let csrf = csrf_of(&home);
    let logout = browser.post("/web/esci", &[("csrf", &csrf)]).await;
    assert_eq!((logout.status, location(&logout)), (303, "/web/login"));
    assert!(logout
        .header("set-cookie")
        .unwrap_or("")
        .contains("Max-Age=0"));
    // The old cookie no longer works: the session is gone from the store.
    let mut old = app.browser(As::Anonymous);
    old.cookie = Some(after);
    let home = old.get("/web/").await;
    assert_eq!((home.status, location(&home)), (303, "/web/login"));
    Ok(())
}

#[tokio::test]
async fn a_post_without_its_csrf_token_is_refused() -> TestResult {
    let app = spawn_app().await;
    let mut browser = app.browser(As::Anonymous);
    let page = browser.get("/web/login").await;
    let no_token = browser
        .post(
            "/web/login",
            &[("user_id", OPERATOR.id), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(no_token.status, 403);
    assert!(
        no_token.body.contains("Richiesta rifiutata"),
        "{}",
        no_token.body
    );
    assert!(no_token.body.contains("token di sicurezza"));
    let wrong = browser
        .post(
            "/web/login",
            &[
                ("csrf", "x".repeat(43).as_str()),
                ("user_id", OPERATOR.id),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(wrong.status, 403);
    // A token without its session's cookie is no better.
    let mut other = app.browser(As::Anonymous);
    let csrf = csrf_of(&page);
    let stolen = other
        .post(
            "/web/login",
            &[
                ("csrf", &csrf),
                ("user_id", OPERATOR.id),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(stolen.status, 403);

    // Logged in, a logout without the token leaves the session alive.
    let login = browser.log_in(OPERATOR.id, PASSWORD, &[]).await;
    assert_eq!(login.status, 303);
    assert_eq!(browser.post("/web/esci", &[]).await.status, 403);
    assert_eq!(browser.get("/web/").await.status, 200);
    Ok(())
}

#[tokio::test]
async fn wrong_passwords_lock_the_account_for_soap_too() -> TestResult {
    let app = spawn_app_with(|config| {
        config.auth.max_failures = 2;
        config.auth.lockout_minutes = 10.0;
    })
    .await;
    let mut browser = app.browser(As::Anonymous);
    for _ in 0..2 {
        let refused = browser.log_in(OPERATOR.id, "wrong-password", &[]).await;
        assert_eq!(refused.status, 401);
        assert!(
            refused.body.contains("Credenziali non valide"),
            "{}",
            refused.body
        );
        assert!(!refused.body.contains("wrong-password"));
        assert!(refused.body.contains(&format!("value=\"{}\"", OPERATOR.id)));
    }
    let count = app.store().credential_failures().count(OPERATOR.id).await?;
    assert!(count.locked_at(Utc::now()), "{count:?}");
    // Locked: the right password is refused on the web and over SOAP alike.
    let refused = browser.log_in(OPERATOR.id, PASSWORD, &[]).await;
    assert_eq!(refused.status, 401);
    let soap = app.catalogue_with_password(OPERATOR.id, PASSWORD).await;
    assert_eq!(
        soap.outcome(),
        Some("CREDENZIALI_INVALIDE"),
        "{}",
        soap.body
    );
    Ok(())
}

#[tokio::test]
async fn an_address_that_spent_its_failures_is_throttled() -> TestResult {
    let app = spawn_app_with(|config| {
        config.auth.address_failure_burst = 2;
        config.auth.address_failures_per_minute = 1;
    })
    .await;
    let mut browser = app.browser(As::Anonymous);
    let web_throttled = "tsgate_throttled_total{caller_kind=\"web-login\",limit=\"instance\"}";
    for user in ["NOBODY1", "NOBODY2"] {
        assert_eq!(browser.log_in(user, "x", &[]).await.status, 401);
    }
    assert_eq!(app.metric(web_throttled), 0.0);
    let throttled = browser.log_in(OPERATOR.id, PASSWORD, &[]).await;
    assert_eq!(throttled.status, 429, "{}", throttled.body);
    assert!(throttled.body.contains("Troppi tentativi"));
    // Counted where the alert rules look for throttling (TsgateWebLoginThrottling).
    assert_eq!(app.metric(web_throttled), 1.0);
    Ok(())
}

#[tokio::test]
async fn an_initial_password_must_be_changed_first() -> TestResult {
    let app = spawn_app().await;
    app.force_password_change(OPERATOR.id).await?;
    let mut browser = app.browser(As::Anonymous);
    let login = browser.log_in(OPERATOR.id, PASSWORD, &[]).await;
    assert_eq!(location(&login), "/web/cambio-password", "{}", login.body);
    // Nothing else opens meanwhile.
    assert_eq!(
        location(&browser.get("/web/").await),
        "/web/cambio-password"
    );
    assert_eq!(
        location(&browser.get("/web/profilo").await),
        "/web/cambio-password"
    );
    let page = browser.get("/web/cambio-password").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("iniziale o scaduta"), "{}", page.body);
    let csrf = csrf_of(&page);
    let mismatch = browser
        .change_password(&csrf, PASSWORD, "Nuova-Parola-7", "Nuova-Parola-8")
        .await;
    assert_eq!(mismatch.status, 422);
    assert!(mismatch.body.contains("non coincidono"));
    let short = browser
        .change_password(&csrf, PASSWORD, "Ab1-", "Ab1-")
        .await;
    assert_eq!(short.status, 422);
    assert!(short.body.contains("troppo corta"), "{}", short.body);
    let reused = browser
        .change_password(&csrf, PASSWORD, PASSWORD, PASSWORD)
        .await;
    assert_eq!(reused.status, 422);
    assert!(reused.body.contains("ultime"), "{}", reused.body);
    let wrong = browser
        .change_password(
            &csrf,
            "not-the-password",
            "Nuova-Parola-7",
            "Nuova-Parola-7",
        )
        .await;
    assert_eq!(wrong.status, 422);
    assert!(
        wrong.body.contains("Parola chiave attuale"),
        "{}",
        wrong.body
    );
    assert!(wrong.body.contains("non valida"), "{}", wrong.body);

    let before = browser.cookie.clone();
    let done = browser
        .change_password(&csrf, PASSWORD, "Nuova-Parola-7", "Nuova-Parola-7")
        .await;
    assert_eq!(
        (done.status, location(&done)),
        (303, "/web/"),
        "{}",
        done.body
    );
    assert_ne!(browser.cookie, before, "rotated after the change");
    let home = browser.get("/web/").await;
    assert_eq!(home.status, 200);
    // The new password is the one SOAP checks now.
    let soap = app
        .catalogue_with_password(OPERATOR.id, "Nuova-Parola-7")
        .await;
    assert_eq!(soap.status, 200, "{}", soap.body);
    Ok(())
}

#[tokio::test]
async fn an_idle_session_is_over() -> TestResult {
    let app = spawn_app_with(|config| {
        config.web.idle_timeout_secs = 60;
        config.web.absolute_timeout_secs = 3600;
    })
    .await;
    let mut browser = app.browser(As::Anonymous);
    let now = Utc::now();
    app.pin_clock(now);
    assert_eq!(browser.log_in(OPERATOR.id, PASSWORD, &[]).await.status, 303);
    app.pin_clock(now + Duration::seconds(50));
    assert_eq!(browser.get("/web/").await.status, 200, "activity keeps it");
    app.pin_clock(now + Duration::seconds(100));
    assert_eq!(browser.get("/web/").await.status, 200, "50 s idle only");
    app.pin_clock(now + Duration::seconds(161));
    let over = browser.get("/web/").await;
    assert_eq!((over.status, location(&over)), (303, "/web/login"));
    // However busy, a session ends at its absolute timeout.
    let mut busy = app.browser(As::Anonymous);
    app.pin_clock(now);
    assert_eq!(busy.log_in(OPERATOR.id, PASSWORD, &[]).await.status, 303);
    for minute in 1..=60 {
        app.pin_clock(now + Duration::seconds(minute * 59));
        let page = busy.get("/web/").await;
        if minute * 59 >= 3600 {
            assert_eq!(location(&page), "/web/login");
        } else {
            assert_eq!(page.status, 200, "minute {minute}");
        }
    }
    Ok(())
}

#[tokio::test]
async fn a_smart_card_holder_logs_in_with_the_card() -> TestResult {
    let app = spawn_app().await;
    let mut anonymous = app.browser(As::Anonymous);
    let page = anonymous.get("/web/login").await;
    let csrf = csrf_of(&page);
    let refused = anonymous
        .post("/web/login/smart-card", &[("csrf", &csrf)])
        .await;
    assert_eq!(refused.status, 401);
    assert!(refused.body.contains("Nessuna smart card"));

    let mut card = app.browser(As::Card);
    let page = card.get("/web/login").await;
    assert!(page.body.contains("action=\"/web/login/smart-card\""));
    assert_sent_home(&card.log_in_with_card().await);
    let home = card.get("/web/").await;
    assert!(home.body.contains(OPERATOR.cf));
    Ok(())
}
