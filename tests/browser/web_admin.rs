//! The security administrators' pages in a real browser: an ASL administrator logs in at their
//! own login, registers an operator with a profile, gets the registration letter (printable, no
//! script), opens the operator's page and grants another profile.

use crate::harness::Chrome;
use crate::helpers::seed::{self, PASSWORD};
use crate::helpers::{spawn_app, TestResult};

const NEW_OPERATOR: &str = "VERDI01";
const NEW_OPERATOR_CF: &str = "VRDLGI70B02F205J";

#[tokio::test]
#[ignore = "needs chromium and chromedriver"]
async fn an_asl_administrator_creating_a_user_and_granting_a_profile() -> TestResult {
    let app = spawn_app().await;
    let mut chrome = Chrome::open(&app, "asl_administrator_creates_a_user").await?;
    chrome.goto("/web/admin/accesso").await?;
    assert!(chrome
        .page_text()
        .await?
        .contains("ACCESSO AMMINISTRATORI DI SICUREZZA"));
    chrome.fill("#admin_id", seed::ASL_ADMIN).await?;
    chrome.fill("#password", PASSWORD).await?;
    chrome.click_labelled("CONFERMA").await?;
    assert_eq!(chrome.path().await?, "/web/admin/");
    let home = chrome.text("main").await?;
    assert!(home.contains("UTENZE DELLA ASL"), "{home}");
    assert!(home.contains("ASL 201 della regione 120"), "{home}");
    chrome
        .screenshot_for_docs("operators", "admin-operators")
        .await?;

    chrome.fill("#user_id", NEW_OPERATOR).await?;
    chrome.fill("#cf", NEW_OPERATOR_CF).await?;
    chrome.fill("#surname", "Verdi").await?;
    chrome.fill("#given_name", "Luigi").await?;
    // The first profile of the catalogue: "Sistema TS-Invio codice OTP".
    chrome.click_in_place("#profilo-0").await?;
    chrome.screenshot("new-operator-form").await?;
    chrome.click_labelled("CONFERMA").await?;
    let letter = chrome.text("main").await?;
    for text in [
        "Lettera di registrazione al Sistema Tessera Sanitaria",
        "Codice Identificativo:",
        NEW_OPERATOR,
        "Parola chiave iniziale:",
        "Prima parte del pincode:",
    ] {
        assert!(letter.contains(text), "{text:?} missing: {letter}");
    }
    assert!(!chrome.has("script").await?, "the letter has no script");
    chrome.screenshot_for_docs("letter", "admin-letter").await?;

    chrome.click_labelled("Torna all'amministrazione").await?;
    chrome.click_labelled(NEW_OPERATOR).await?;
    assert_eq!(
        chrome.path().await?,
        format!("/web/admin/operatori/{NEW_OPERATOR}")
    );
    let page = chrome.text("main").await?;
    assert!(page.contains("Sistema TS-Invio codice OTP"), "{page}");
    chrome.click_labelled("Concedi").await?;
    let granted = chrome.text(".messaggi").await?;
    assert!(granted.contains("concesso"), "{granted}");
    assert_eq!(
        app.store()
            .directory()
            .profiles_of(NEW_OPERATOR)
            .await?
            .len(),
        2
    );
    chrome
        .screenshot_for_docs("granted", "admin-operator")
        .await?;
    chrome.close().await
}
