//! The OTP flow of seed 000 in a real browser: from the home's "Caricamento App Immuni" to the
//! pincode page, the form with its captcha (whose picture the browser loads), and the outcome
//! page with the transaction id; a wrong captcha shows the form again, empty.

use serde_json::json;

use crate::harness::{cookie_pair, Chrome};
use crate::helpers::seed::PASSWORD;
use crate::helpers::{spawn_app, TestApp, TestResult, OPERATOR, PINCODE};
use crate::session::log_in;

/// The answer to the captcha the browser shows, as the tests read it (the store, opened with
/// the test gateway's key).
async fn captcha_answer(
    app: &TestApp,
    chrome: &Chrome,
) -> Result<String, crate::helpers::BoxError> {
    let cookie = chrome
        .driver()
        .cookies()
        .await?
        .iter()
        .filter_map(cookie_pair)
        .find(|(name, _)| name == "tsgate_web")
        .ok_or("no session cookie")?;
    let id = chrome.value("input[name=captcha_id]").await?;
    Ok(app.captcha_answer_for(&cookie.1, &id).await)
}

/// Fills the form: the OTP, the date (set as the date picker sets it), the security code.
async fn fill(chrome: &Chrome, otp: &str, date: &str, code: &str) -> TestResult {
    chrome.fill("#codice_otp", otp).await?;
    chrome
        .driver()
        .execute(
            "document.querySelector('#data_inizio_sintomi').value = arguments[0];",
            json!([date]),
        )
        .await?;
    chrome.fill("#captcha", code).await
}

#[tokio::test]
#[ignore = "needs chromium and chromedriver"]
async fn an_operator_sends_an_otp_from_the_browser() -> TestResult {
    let app = spawn_app().await;
    app.pin_clock_at_utc_noon();
    let mut chrome = Chrome::open(&app, "otp_flow").await?;
    log_in(&chrome, OPERATOR.id, PASSWORD).await?;
    chrome.click_labelled("Caricamento App Immuni").await?;
    assert_eq!(chrome.path().await?, "/web/immuni");
    assert!(chrome.page_text().await?.contains("Inserire il pincode"));
    chrome.screenshot_for_docs("pincode", "otp-pincode").await?;
    chrome.fill("#pincode", PINCODE).await?;
    chrome.click_labelled("Conferma").await?;

    let page = chrome.page_text().await?;
    for text in [
        "Ultimo accesso il",
        "Codice OTP:*",
        "Data Inizio Sintomi:*",
        "Codice di sicurezza",
    ] {
        assert!(page.contains(text), "{text:?} missing: {page}");
    }
    // The browser loaded the captcha's picture (a PNG it could decode).
    let width = chrome
        .driver()
        .execute(
            "const i = document.querySelector('.captcha img'); return i.complete ? i.naturalWidth : 0;",
            json!([]),
        )
        .await?;
    assert_eq!(width, json!(240), "the picture decodes");
    chrome.screenshot_for_docs("form", "otp-form").await?;

    // A wrong code: the form again, empty, with a new picture.
    let date = (app.today() - chrono::Duration::days(1))
        .format("%Y-%m-%d")
        .to_string();
    let otp = tsgate::domain::Otp::generate().as_upstream_str().to_owned();
    let answer = captcha_answer(&app, &chrome).await?;
    let wrong = if answer == "000000" {
        "111111"
    } else {
        "000000"
    };
    fill(&chrome, &otp, &date, wrong).await?;
    chrome.click_labelled("Invia Dati").await?;
    assert!(chrome.text(".messaggi").await?.contains("non è corretto"));
    assert_eq!(
        chrome.value("#codice_otp").await?,
        "",
        "nothing typed is shown again"
    );
    chrome.screenshot("wrong-captcha").await?;

    let answer = captcha_answer(&app, &chrome).await?;
    fill(&chrome, &otp, &date, &answer).await?;
    chrome.click_labelled("Invia Dati").await?;
    let outcome = chrome.text("main").await?;
    assert!(outcome.contains("Esito Transazione"), "{outcome}");
    assert!(
        outcome.contains("Operazione effettuata correttamente."),
        "{outcome}"
    );
    assert!(outcome.contains("Id transazione: "), "{outcome}");
    assert!(!chrome.driver().source().await?.contains(&otp));
    chrome.screenshot_for_docs("outcome", "otp-outcome").await?;
    chrome.click_labelled("Torna alla Home").await?;
    assert_eq!(chrome.path().await?, "/web/");
    chrome.close().await
}
