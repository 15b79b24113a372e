//! "Profilo Utente" in a real browser (seed 000): the personal and work data, "Modifica Dati"
//! (the work contacts, a wrong one explained, the change in the access log) and "Stampa
//! pincode" (the password asked again).

use crate::first_login::as_asl_admin;
use crate::harness::Chrome;
use crate::helpers::seed::PASSWORD;
use crate::helpers::{spawn_app, TestResult, OPERATOR};
use crate::session::log_in;

#[tokio::test]
#[ignore = "needs chromium and chromedriver"]
async fn the_operator_edits_their_work_contacts_and_prints_the_pincode() -> TestResult {
    let app = spawn_app().await;
    // A pincode in two halves, as every operator registered today has.
    as_asl_admin(&app, &["reset-pincode", "--user-id", OPERATOR.id]).await?;
    let mut chrome = Chrome::open(&app, "profile").await?;
    log_in(&chrome, OPERATOR.id, PASSWORD).await?;
    chrome.click_labelled("Profilo Utente").await?;
    assert_eq!(chrome.path().await?, "/web/profilo");
    let page = chrome.text("main").await?;
    for text in [
        "Riepilogo Dati Personali",
        "Riepilogo dati lavorativi",
        OPERATOR.cf,
    ] {
        assert!(page.contains(text), "{text:?} missing: {page}");
    }
    chrome
        .screenshot_for_docs("profile", "profilo-utente")
        .await?;

    chrome.click_labelled("Modifica Dati").await?;
    assert_eq!(chrome.path().await?, "/web/profilo/modifica");
    chrome
        .fill("#work_address", "Via Roma 1 - 00100 Roma (RM)")
        .await?;
    chrome.fill("#phone", "06 1234 5678").await?;
    chrome.fill("#fax", "").await?;
    chrome.fill("#email", "mario.rossi@asl201").await?;
    chrome.screenshot_for_docs("edit", "modifica-dati").await?;
    chrome.click_labelled("CONFERMA").await?;
    // No dot in the domain: refused, named, and what was typed is kept.
    let refused = chrome.text(".messaggi").await?;
    assert!(refused.contains("Indirizzo e-mail non valido"), "{refused}");
    assert_eq!(chrome.value("#phone").await?, "06 1234 5678");
    chrome.screenshot("edit-refused").await?;
    chrome.fill("#email", "mario.rossi@asl201.it").await?;
    chrome.click_labelled("CONFERMA").await?;
    assert_eq!(chrome.path().await?, "/web/profilo");
    let page = chrome.text("main").await?;
    for text in [
        "Via Roma 1 - 00100 Roma (RM)",
        "06 1234 5678",
        "mario.rossi@asl201.it",
    ] {
        assert!(page.contains(text), "{text:?} missing: {page}");
    }
    chrome.screenshot("edited").await?;
    let user = app
        .store()
        .directory()
        .find_user(OPERATOR.id)
        .await?
        .unwrap();
    assert_eq!(
        user.details.email.map(|e| e.to_string()).as_deref(),
        Some("mario.rossi@asl201.it")
    );
    // Both attempts are in the access log, the operator as the actor.
    let edits: Vec<_> = app
        .access_log()
        .await
        .into_iter()
        .map(|chained| chained.entry)
        .filter(|entry| entry.operation == "user-edit")
        .collect();
    assert_eq!(edits.len(), 2, "{edits:?}");
    assert!(edits.iter().all(|e| e.caller_id == OPERATOR.id
        && e.operator_cf.as_deref() == Some(OPERATOR.cf)
        && e.client_address.is_some()));
    assert!(
        edits[0].outcome.starts_with("refused: --email"),
        "{edits:?}"
    );
    assert_eq!(edits[1].outcome, "ok");

    // Stampa pincode: the password again, a wrong one refused.
    chrome.click_labelled("Stampa pincode").await?;
    chrome.fill("#password", "wrong-password").await?;
    chrome.click_labelled("CONFERMA").await?;
    assert!(chrome.text(".messaggi").await?.contains("non valida"));
    chrome.fill("#password", PASSWORD).await?;
    chrome.click_labelled("CONFERMA").await?;
    let second_half = app.pincode_second_half(OPERATOR.id).await.unwrap();
    assert_eq!(chrome.text("#seconda-parte").await?, second_half);
    chrome.screenshot("pincode").await?;
    chrome.close().await
}
