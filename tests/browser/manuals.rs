//! "Manuali" in a real browser: the home's menu entry opens the user guides, whose index links
//! lead to each guide, and whose figures are the gateway's own settings.

use crate::harness::Chrome;
use crate::helpers::seed::PASSWORD;
use crate::helpers::{spawn_app_with, TestResult, OPERATOR};
use crate::session::log_in;

#[tokio::test]
#[ignore = "needs chromium and chromedriver"]
async fn the_guides_open_from_the_homes_menu() -> TestResult {
    let app = spawn_app_with(|config| config.web.idle_timeout_secs = 1200).await;
    let mut chrome = Chrome::open(&app, "manuals").await?;
    log_in(&chrome, OPERATOR.id, PASSWORD).await?;
    assert_eq!(chrome.path().await?, "/web/");
    chrome.click_labelled("Manuali").await?;
    assert_eq!(chrome.path().await?, "/web/manuali");
    let page = chrome.text("main").await?;
    for guide in [
        "Accesso",
        "Primo accesso e pincode",
        "Secondo fattore (codice OTP dell'app di autenticazione)",
        "Caricamento App Immuni",
        "Test sierologici (medici)",
        "Servizi ASL",
        "Amministratori di sicurezza",
        "Profilo Utente",
        "Sicurezza della sessione",
    ] {
        assert!(page.contains(guide), "{guide:?} missing: {page}");
    }
    assert!(page.contains("dopo 20 minuti di inattività"), "{page}");
    chrome.screenshot_for_docs("manuals", "manuali").await?;
    // The index leads to its guide, on the same page.
    chrome.click_in_place("a[href='#immuni']").await?;
    assert_eq!(chrome.path().await?, "/web/manuali#immuni");
    assert!(chrome.text("#immuni").await?.contains("Esito Transazione"));
    chrome.close().await
}
