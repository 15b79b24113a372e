//! The second factor in a real browser: under `auth.totp = "required"` an operator not yet
//! enrolled logs in and lands on "Secondo fattore", makes a secret, reads it off the page (as
//! they would type it into an authenticator app; the code is computed here from it), confirms
//! it with a first code, and from then on logs in with "Codice OTP dell'app di
//! autenticazione": a wrong code is refused, the next right one lets them in.

use chrono::Utc;
use tsgate::config::TotpMode;
use tsgate::identity::totp::{step_at, TotpSecret};

use crate::harness::Chrome;
use crate::helpers::seed::PASSWORD;
use crate::helpers::{spawn_app_with, TestResult, OPERATOR};
use crate::session::log_in;

#[tokio::test]
#[ignore = "needs chromium and chromedriver"]
async fn an_operator_enrolls_on_the_web_then_logs_in_with_the_apps_code() -> TestResult {
    let app = spawn_app_with(|config| config.auth.totp = TotpMode::Required).await;
    let mut chrome = Chrome::open(&app, "totp_enroll_and_login").await?;
    log_in(&chrome, OPERATOR.id, PASSWORD).await?;
    assert_eq!(chrome.path().await?, "/web/secondo-fattore");
    assert!(chrome
        .text(".messaggi")
        .await?
        .contains("è richiesto il secondo fattore"));
    // Nothing else opens before the enrollment.
    chrome.goto("/web/").await?;
    assert_eq!(chrome.path().await?, "/web/secondo-fattore");

    chrome.click_labelled("Genera il codice segreto").await?;
    let base32 = chrome.text("#segreto").await?;
    let uri = chrome.text("#indirizzo-otpauth").await?;
    assert!(uri.starts_with("otpauth://totp/tsgate:"), "{uri}");
    assert!(uri.contains(&base32), "{uri}");
    chrome
        .screenshot_for_docs("secret-shown", "secondo-fattore")
        .await?;
    let secret = TotpSecret::from_base32(&base32)?;
    let step = step_at(Utc::now().timestamp());
    chrome.fill("#code", "000000x").await?;
    chrome.click_labelled("CONFERMA").await?;
    assert!(chrome
        .text(".messaggi")
        .await?
        .contains("Codice non valido"));
    chrome.fill("#code", &secret.code(step)).await?;
    chrome.click_labelled("CONFERMA").await?;
    assert!(chrome
        .text(".messaggi")
        .await?
        .contains("Secondo fattore attivato"));
    chrome.click_labelled("Prosegui").await?;
    assert_eq!(chrome.path().await?, "/web/");
    chrome.click_labelled("Esci").await?;
    assert_eq!(chrome.path().await?, "/web/login");

    // The login now wants the code: a wrong one is refused like a wrong password.
    chrome.fill("#user_id", OPERATOR.id).await?;
    chrome.fill("#password", PASSWORD).await?;
    chrome.fill("#totp", "123456x").await?;
    chrome.click_labelled("CONFERMA").await?;
    assert!(chrome
        .text(".messaggi")
        .await?
        .contains("Credenziali non valide"));
    chrome.fill("#password", PASSWORD).await?;
    chrome.fill("#totp", &secret.code(step + 1)).await?;
    chrome
        .screenshot_for_docs("login-with-code", "login-totp")
        .await?;
    chrome.click_labelled("CONFERMA").await?;
    assert_eq!(chrome.path().await?, "/web/");
    assert!(chrome.text("main").await?.contains("SERVIZI ONLINE"));
    chrome.close().await
}
