//! The first login in a real browser (seed 000, seed 004 §3.2): an operator with the initial
//! password their ASL gave them logs in, is made to change it ("Cambio Password", nothing else
//! opens meanwhile), is shown the second half of their pincode, and goes on to the home.

use crate::harness::Chrome;
use crate::helpers::{seed, spawn_app, TestApp, TestResult};
use crate::session::log_in;

const NEW_USER: &str = "NUOVO02";
const NEW_CF: &str = "BNCLRA85M41H501Z";

/// `tsgate users <args> --as <ASL 201's administrator>`: what it printed, or a failure.
pub async fn as_asl_admin(app: &TestApp, args: &[&str]) -> Result<String, String> {
    let mut all = vec!["users"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--as", seed::ASL_ADMIN]);
    let output = app
        .cli(&all, &[("TSGATE_ADMIN_PASSWORD", seed::PASSWORD)])
        .await;
    let out = String::from_utf8_lossy(&output.stdout).into_owned();
    if output.status.success() {
        Ok(out)
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

/// The value of the `key=` line of `printed`.
fn value(printed: &str, key: &str) -> String {
    printed
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .unwrap_or_else(|| panic!("no {key} in: {printed}"))
        .to_owned()
}

#[tokio::test]
#[ignore = "needs chromium and chromedriver"]
async fn first_login_changes_the_password_then_shows_the_pincodes_second_half() -> TestResult {
    let app = spawn_app().await;
    // The ASL's security administrator registers the operator: an initial password and the
    // first half of the pincode, which they hand over.
    let added = as_asl_admin(&app, &["add", "--user-id", NEW_USER, "--cf", NEW_CF]).await?;
    let initial = value(&added, "password=");
    let first_half = value(&added, "pincode_first_half=");
    let second_half = app
        .pincode_second_half(NEW_USER)
        .await
        .expect("a sealed second half");
    let mut chrome = Chrome::open(&app, "first_login").await?;

    log_in(&chrome, NEW_USER, &initial).await?;
    assert_eq!(chrome.path().await?, "/web/cambio-password");
    assert!(chrome
        .text(".messaggi")
        .await?
        .contains("iniziale o scaduta"));
    chrome
        .screenshot_for_docs("forced-change", "cambio-password")
        .await?;
    // Nothing else opens before the change.
    chrome.goto("/web/").await?;
    assert_eq!(chrome.path().await?, "/web/cambio-password");

    // A new password that breaks a rule is explained.
    chrome.fill("#current", &initial).await?;
    chrome.fill("#new", "short").await?;
    chrome.fill("#confirm", "short").await?;
    chrome.click_labelled("CONFERMA").await?;
    assert!(chrome.text(".messaggi").await?.contains("troppo corta"));
    chrome.screenshot("rule-broken").await?;

    let new = "Nuova-Parola-2026";
    chrome.fill("#current", &initial).await?;
    chrome.fill("#new", new).await?;
    chrome.fill("#confirm", new).await?;
    chrome.click_labelled("CONFERMA").await?;
    let page = chrome.text("main").await?;
    assert!(page.contains("Seconda parte del pincode"), "{page}");
    assert_eq!(chrome.text("#seconda-parte").await?, second_half);
    chrome
        .screenshot_for_docs("second-half", "stampa-pincode")
        .await?;

    chrome.click_labelled("Prosegui").await?;
    assert_eq!(chrome.path().await?, "/web/");
    let home = chrome.text("main").await?;
    assert!(home.contains("SERVIZI ONLINE"), "{home}");
    assert!(
        !home.contains(&second_half),
        "the digits stay on their own page"
    );
    chrome.screenshot("home").await?;

    // The new password is the one in force: the old one is refused, the new one logs in.
    chrome.click_labelled("Esci").await?;
    log_in(&chrome, NEW_USER, &initial).await?;
    assert!(chrome
        .text(".messaggi")
        .await?
        .contains("Credenziali non valide"));
    log_in(&chrome, NEW_USER, new).await?;
    assert_eq!(chrome.path().await?, "/web/");
    chrome.close().await?;

    // The two halves together are the pincode: a SOAP call with them is accepted.
    let pincode = format!("{first_half}{second_half}");
    let reply = app.catalogue_with(NEW_USER, new, &pincode).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.fault_code().is_none(), "{}", reply.body);
    Ok(())
}
