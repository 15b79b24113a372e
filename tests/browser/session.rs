//! Logging in and out in a real browser: the login page over TLS the browser trusts, the home
//! "SERVIZI ONLINE", "Esci" ending the session (its cookie, given back to the browser, opens
//! nothing), and a form stripped of its CSRF token refused.

use serde_json::json;

use crate::harness::{cookie_pair, Chrome};
use crate::helpers::seed::PASSWORD;
use crate::helpers::{spawn_app, TestResult, OPERATOR};

const NEEDS: &str = "needs chromium and chromedriver";

/// Fills the login form as `user_id` with `password` and presses CONFERMA.
pub async fn log_in(chrome: &Chrome, user_id: &str, password: &str) -> TestResult {
    chrome.goto("/web/login").await?;
    chrome.fill("#user_id", user_id).await?;
    chrome.fill("#password", password).await?;
    chrome.click_labelled("CONFERMA").await
}

#[tokio::test]
#[ignore = "needs chromium and chromedriver"]
async fn login_home_and_logout_which_kills_the_session() -> TestResult {
    let _ = NEEDS;
    let app = spawn_app().await;
    let mut chrome = Chrome::open(&app, "login_home_and_logout").await?;
    chrome.goto("/web/login").await?;
    // The page loaded at all: the browser trusts the gateway's certificate (no insecure-
    // certificate error, which WebDriver would have returned).
    assert_eq!(chrome.path().await?, "/web/login");
    let page = chrome.page_text().await?;
    assert!(page.contains("AUTENTICAZIONE"), "{page}");
    assert!(page.contains("Per accedere al sistema inserire le credenziali"));
    chrome.screenshot_for_docs("login", "login").await?;

    chrome.fill("#user_id", OPERATOR.id).await?;
    chrome.fill("#password", "wrong-password").await?;
    chrome.click_labelled("CONFERMA").await?;
    assert!(chrome
        .text(".messaggi")
        .await?
        .contains("Credenziali non valide"));
    assert_eq!(chrome.value("#user_id").await?, OPERATOR.id);
    chrome.screenshot("wrong-password").await?;

    log_in(&chrome, OPERATOR.id, PASSWORD).await?;
    assert_eq!(chrome.path().await?, "/web/");
    let home = chrome.text("main").await?;
    for text in [
        "SERVIZI ONLINE",
        OPERATOR.cf,
        "Mario Rossi",
        "Profilo Utente",
    ] {
        assert!(home.contains(text), "{text:?} missing: {home}");
    }
    chrome.screenshot_for_docs("home", "home").await?;
    let session = chrome
        .driver()
        .cookies()
        .await?
        .iter()
        .filter_map(cookie_pair)
        .find(|(name, _)| name == "tsgate_web")
        .expect("the session cookie");

    chrome.click_labelled("Esci").await?;
    assert_eq!(chrome.path().await?, "/web/login");
    chrome.screenshot("after-logout").await?;
    // The old session's cookie, put back in the browser, opens nothing.
    chrome.driver().delete_cookies().await?;
    chrome
        .driver()
        .add_cookie(json!({
            "name": session.0, "value": session.1, "path": "/web", "secure": true,
            "httpOnly": true, "sameSite": "Strict",
        }))
        .await?;
    chrome.goto("/web/").await?;
    assert_eq!(chrome.path().await?, "/web/login");
    assert!(chrome.page_text().await?.contains("AUTENTICAZIONE"));
    chrome.close().await
}

#[tokio::test]
#[ignore = "needs chromium and chromedriver"]
async fn a_form_without_its_csrf_token_is_refused() -> TestResult {
    let app = spawn_app().await;
    let mut chrome = Chrome::open(&app, "csrf_less_post").await?;
    chrome.goto("/web/login").await?;
    chrome.fill("#user_id", OPERATOR.id).await?;
    chrome.fill("#password", PASSWORD).await?;
    // What no user can do from the page: drop the hidden token, then submit.
    chrome
        .driver()
        .execute(
            "document.querySelectorAll('input[name=csrf]').forEach(e => e.remove());",
            json!([]),
        )
        .await?;
    chrome.click_labelled("CONFERMA").await?;
    let page = chrome.page_text().await?;
    assert!(page.contains("Richiesta rifiutata"), "{page}");
    assert!(page.contains("token di sicurezza"), "{page}");
    chrome.screenshot("refused").await?;
    // And nobody is logged in.
    chrome.goto("/web/").await?;
    assert_eq!(chrome.path().await?, "/web/login");
    chrome.close().await
}
