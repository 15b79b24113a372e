//! The doctors' and the ASL user's pages in a real browser: the pincode step first (signed in
//! with the password), the patient list, a send from its
//! row and its cancellation from the list of sent tests, a refused send shown again with what
//! was typed; the titolare authorising a substitute, who then chooses the titolare and sees
//! their patients; the ASL user's daily count and the per-MMG file.

use serde_json::json;

use crate::harness::Chrome;
use crate::helpers::seed::{PASSWORD, PATIENTS, PINCODE};
use crate::helpers::{spawn_app, TestResult, ASL_OPERATOR, MMG, SUBSTITUTE};
use crate::session::log_in;

/// A doctor the titolare authorises in the browser (a valid CF of no seeded doctor).
const NEW_SUBSTITUTE: &str = "BNCLRA85M41H501Z";

/// Opens the doctors' pages and types the seeded pincode on their pincode step.
async fn pass_pincode(chrome: &Chrome) -> TestResult {
    chrome.goto("/web/medico").await?;
    chrome.fill("#pincode", PINCODE).await?;
    chrome.click_labelled("Conferma").await?;
    assert_eq!(chrome.path().await?, "/web/medico");
    Ok(())
}

/// Sets a date input the way its picker would (`aaaa-mm-gg`): typing into Chromium's date
/// field depends on the locale's order of day, month and year.
async fn set_date(chrome: &Chrome, css: &str, date: &str) -> TestResult {
    chrome
        .driver()
        .execute(
            "document.querySelector(arguments[0]).value = arguments[1];",
            json!([css, date]),
        )
        .await?;
    Ok(())
}

fn assert_shows(text: &str, expected: &[&str]) {
    for wanted in expected {
        assert!(text.contains(wanted), "{wanted:?} missing: {text}");
    }
}

#[tokio::test]
#[ignore = "needs chromium and chromedriver"]
async fn a_doctor_lists_sends_and_cancels_in_the_browser() -> TestResult {
    let app = spawn_app().await;
    let mut chrome = Chrome::open(&app, "medico_list_send_cancel").await?;
    log_in(&chrome, MMG.id, PASSWORD).await?;
    chrome.click_labelled("Test sierologici (medici)").await?;
    assert_eq!(chrome.path().await?, "/web/medico");
    // Signed in with the password: the pincode first (seed 003 §3.3), a wrong one refused.
    let step = chrome.text("main").await?;
    assert_shows(
        &step,
        &["Inserire il pincode per accedere al servizio per la trasmissione dei test sierologici"],
    );
    chrome.fill("#pincode", "0000000000").await?;
    chrome.click_labelled("Conferma").await?;
    assert_shows(&chrome.text(".messaggi").await?, &["Pincode non valido"]);
    chrome.screenshot("pincode-refused").await?;
    chrome.fill("#pincode", PINCODE).await?;
    chrome.screenshot("pincode").await?;
    chrome.click_labelled("Conferma").await?;
    assert_eq!(chrome.path().await?, "/web/medico");
    assert_shows(&chrome.text("main").await?, &["i propri assistiti"]);
    chrome.screenshot("hub").await?;

    chrome
        .click_labelled("Elenco assistiti (personale scolastico)")
        .await?;
    let list = chrome.text("main").await?;
    assert_shows(&list, &PATIENTS);
    assert_shows(
        &list,
        &["Operazione effettuata correttamente.", "Id transazione"],
    );
    chrome
        .screenshot_for_docs("patient-list", "medico-assistiti")
        .await?;

    // Send the first patient's test from their row (the date is today's by default).
    chrome.click("tbody tr:first-child button").await?;
    let sent = chrome.text("main").await?;
    assert_shows(
        &sent,
        &["Esito Transazione", "Operazione effettuata correttamente."],
    );
    let send_id = chrome.text(".id-transazione").await?;
    chrome.screenshot_for_docs("sent", "medico-esito").await?;

    chrome.goto("/web/medico/test").await?;
    let listed = chrome.text("main").await?;
    assert_shows(&listed, &[send_id.as_str(), PATIENTS[0]]);
    chrome
        .screenshot_for_docs("sent-tests", "medico-test-inviati")
        .await?;
    chrome.click("tbody tr:first-child button").await?;
    assert_shows(
        &chrome.text("main").await?,
        &["Operazione effettuata correttamente."],
    );
    chrome.screenshot("cancelled").await?;
    chrome.goto("/web/medico/test").await?;
    assert!(!chrome.text("main").await?.contains(&send_id));

    // A refused send: the form again, what was typed kept, the code explained.
    chrome.goto("/web/medico/invio").await?;
    chrome.fill("#assistito", "PRVSST76A10G942K").await?;
    set_date(&chrome, "#data_test", &app.today().to_string()).await?;
    chrome.click_labelled("Invia Dati").await?;
    assert_shows(
        &chrome.text("main").await?,
        &["Operazione conclusa con esito negativo.", "1005"],
    );
    assert_eq!(chrome.value("#assistito").await?, "PRVSST76A10G942K");
    chrome.screenshot("refused-send").await?;
    chrome.close().await
}

#[tokio::test]
#[ignore = "needs chromium and chromedriver"]
async fn a_titolare_authorises_a_substitute_who_then_acts_for_them() -> TestResult {
    let app = spawn_app().await;
    let mut chrome = Chrome::open(&app, "medico_substitutes").await?;
    log_in(&chrome, MMG.id, PASSWORD).await?;
    pass_pincode(&chrome).await?;
    chrome.click_labelled("Sostituti: autorizzazioni").await?;
    chrome.fill("#sostituto", NEW_SUBSTITUTE).await?;
    let today = app.today();
    set_date(&chrome, "#dal", &today.to_string()).await?;
    set_date(
        &chrome,
        "#al",
        &(today + chrono::Duration::days(7)).to_string(),
    )
    .await?;
    chrome.click_labelled("Autorizza").await?;
    assert_eq!(chrome.path().await?, "/web/medico/sostituti");
    let page = chrome.text("main").await?;
    assert_shows(&page, &[NEW_SUBSTITUTE, SUBSTITUTE.cf, "in corso"]);
    chrome
        .screenshot_for_docs("authorised", "medico-sostituti")
        .await?;
    chrome.click_labelled("Esci").await?;

    // The seeded substitute chooses the titolare; the session remembers.
    log_in(&chrome, SUBSTITUTE.id, PASSWORD).await?;
    pass_pincode(&chrome).await?;
    chrome
        .click_in_place(&format!("input[name=titolare][value='{}']", MMG.cf))
        .await?;
    chrome.click_labelled("CONFERMA").await?;
    assert_shows(
        &chrome.text("main").await?,
        &[&format!("il medico titolare {} (BIANCHI GIOVANNI)", MMG.cf)],
    );
    chrome.screenshot("substitute-chose").await?;
    chrome
        .click_labelled("Elenco assistiti (personale scolastico)")
        .await?;
    assert_shows(&chrome.text("main").await?, &PATIENTS);
    chrome.screenshot("substitute-list").await?;
    chrome.close().await
}

#[tokio::test]
#[ignore = "needs chromium and chromedriver"]
async fn an_asl_user_sends_the_daily_count_and_gets_the_file() -> TestResult {
    let app = spawn_app().await;
    let mut chrome = Chrome::open(&app, "asl_count_and_file").await?;
    log_in(&chrome, ASL_OPERATOR.id, PASSWORD).await?;
    chrome
        .click_labelled("Servizi ASL – Test sierologici")
        .await?;
    // Signed in with the password: the pincode first (seed 003 §4.2).
    chrome.fill("#pincode", PINCODE).await?;
    chrome.click_labelled("Conferma").await?;
    assert_eq!(chrome.path().await?, "/web/asl");
    chrome.fill("#numero_test", "12").await?;
    chrome.click_labelled("Invia Dati").await?;
    assert_shows(
        &chrome.text("main").await?,
        &["Operazione effettuata correttamente.", "Id transazione"],
    );
    chrome.screenshot_for_docs("count-sent", "asl").await?;

    // The link's file, fetched by the page's own session as a click would download it.
    let fetched = chrome
        .driver()
        .execute(
            "var link = document.querySelector(\"a[href$='assistiti-per-mmg.csv']\");\
             var request = new XMLHttpRequest();\
             request.open('GET', link.href, false); request.send();\
             return [request.status, request.getResponseHeader('Content-Disposition'), request.responseText];",
            json!([]),
        )
        .await?;
    assert_eq!(fetched[0], 200, "{fetched}");
    assert!(fetched[1]
        .as_str()
        .is_some_and(|d| d.starts_with("attachment;")));
    assert_eq!(
        fetched[2].as_str(),
        Some(
            format!(
                "cf_medico;numero_assistiti\n{};5\nMRNPLA66H12H501I;2\n",
                MMG.cf
            )
            .as_str()
        )
    );
    chrome.close().await
}
