//! Substitutes after the substitution (seed 003 §3.3.1, issue 8 item 12): the substitute may
//! still "consultare o correggere" what they entered — list and cancel their own sends, not
//! send new ones — and the titolare sees and may cancel every send for their patients.

use chrono::{Duration, Utc};
use tsgate::demo::{DEMO_MMG_CF, DEMO_MMG_ID, DEMO_SUBSTITUTE_CF, DEMO_SUBSTITUTE_ID};
use tsgate::store::registry::rome_day;
use tsgate::store::Substitution;

use crate::helpers::{between, envelope, spawn_app, Reply, TestApp, TestResult};

const SERVICE: &str = "Sierologici";

fn answer(reply: &Reply) -> (Option<&str>, Option<&str>) {
    (
        reply.outcome(),
        between(&reply.body, "<tipi:codEsito>", "</tipi:codEsito>"),
    )
}

async fn call(app: &TestApp, user: &str, sample: &str) -> Reply {
    let body = app.fill(&envelope(&format!("sierologici/{sample}"))).await;
    app.soap_as_user(user, SERVICE, &body).await
}

async fn cancel(app: &TestApp, user: &str, sample: &str, send_id: &str) -> Reply {
    let body = app
        .fill(&envelope(&format!("sierologici/{sample}")))
        .await
        .replace("{SEND_ID}", send_id);
    app.soap_as_user(user, SERVICE, &body).await
}

async fn sent(app: &TestApp, user: &str, sample: &str) -> String {
    let reply = call(app, user, sample).await;
    assert_eq!(reply.outcome(), Some("0000"), "{}", reply.body);
    reply.transaction_id().expect("id").to_owned()
}

/// Replaces the demo substitute's authorisations with one from `from` to `to` days from today.
async fn authorise_substitute(app: &TestApp, from: i64, to: i64) -> TestResult {
    let registry = app.app.store.registry();
    registry
        .revoke_substitution(DEMO_MMG_CF, DEMO_SUBSTITUTE_CF)
        .await?;
    let today = rome_day(Utc::now());
    registry
        .add_substitution(&Substitution {
            titolare_cf: DEMO_MMG_CF.into(),
            substitute_cf: DEMO_SUBSTITUTE_CF.into(),
            from: today + Duration::days(from),
            to: today + Duration::days(to),
        })
        .await?;
    Ok(())
}

#[tokio::test]
async fn after_the_substitution_the_substitute_lists_and_cancels_only_their_own_sends() -> TestResult
{
    let app = spawn_app().await;
    let first = sent(&app, DEMO_SUBSTITUTE_ID, "InvioTest-sostituto.xml").await;
    let second = sent(&app, DEMO_SUBSTITUTE_ID, "InvioTest-sostituto.xml").await;
    let titolare_send = sent(&app, DEMO_MMG_ID, "InvioTest.xml").await;
    // The substitution ended yesterday.
    authorise_substitute(&app, -10, -1).await?;

    // Read: their own sends, not the titolare's.
    let own = call(&app, DEMO_SUBSTITUTE_ID, "ElencoTest-sostituto.xml").await;
    assert_eq!(own.outcome(), Some("0000"), "{}", own.body);
    assert!(own.body.contains(&first) && own.body.contains(&second));
    assert!(!own.body.contains(&titolare_send), "{}", own.body);

    // Nothing new: no send, no patient list.
    let send = call(&app, DEMO_SUBSTITUTE_ID, "InvioTest-sostituto.xml").await;
    assert_eq!(answer(&send), (Some("9999"), Some("1008")), "{}", send.body);
    let list = call(&app, DEMO_SUBSTITUTE_ID, "ElencoAssistiti-sostituto.xml").await;
    assert_eq!(answer(&list), (Some("9999"), Some("1008")), "{}", list.body);

    // Correct: cancel their own send, never the titolare's.
    let refused = cancel(
        &app,
        DEMO_SUBSTITUTE_ID,
        "AnnullaTest-sostituto.xml",
        &titolare_send,
    )
    .await;
    assert_eq!(answer(&refused), (Some("9999"), Some("1012")));
    let done = cancel(
        &app,
        DEMO_SUBSTITUTE_ID,
        "AnnullaTest-sostituto.xml",
        &first,
    )
    .await;
    assert_eq!(done.outcome(), Some("0000"), "{}", done.body);

    // The titolare sees every send for their patients, with who sent it, and cancels the
    // substitute's other one.
    let all = call(&app, DEMO_MMG_ID, "ElencoTest.xml").await;
    assert!(all.body.contains(&second) && all.body.contains(&titolare_send));
    assert!(!all.body.contains(&first), "cancelled: {}", all.body);
    let second_entry = all
        .body
        .split("<ric:Test>")
        .find(|test| test.contains(&second))
        .expect("listed");
    assert!(second_entry.contains(&format!("<ric:cfMedico>{DEMO_SUBSTITUTE_CF}<")));
    let by_titolare = cancel(&app, DEMO_MMG_ID, "AnnullaTest.xml", &second).await;
    assert_eq!(by_titolare.outcome(), Some("0000"), "{}", by_titolare.body);
    let own = call(&app, DEMO_SUBSTITUTE_ID, "ElencoTest-sostituto.xml").await;
    assert!(
        own.body.contains("<ric:ElencoTest></ric:ElencoTest>"),
        "{}",
        own.body
    );
    Ok(())
}

#[tokio::test]
async fn before_the_substitution_begins_or_once_revoked_the_substitute_reads_nothing() -> TestResult
{
    let app = spawn_app().await;
    let send_id = sent(&app, DEMO_SUBSTITUTE_ID, "InvioTest-sostituto.xml").await;

    // Only a later substitution is authorised: not begun.
    authorise_substitute(&app, 1, 5).await?;
    let list = call(&app, DEMO_SUBSTITUTE_ID, "ElencoTest-sostituto.xml").await;
    assert_eq!(answer(&list), (Some("9999"), Some("1008")), "{}", list.body);
    let refused = cancel(
        &app,
        DEMO_SUBSTITUTE_ID,
        "AnnullaTest-sostituto.xml",
        &send_id,
    )
    .await;
    assert_eq!(answer(&refused), (Some("9999"), Some("1008")));

    // Revoked: no longer the titolare's substitute at all.
    app.app
        .store
        .registry()
        .revoke_substitution(DEMO_MMG_CF, DEMO_SUBSTITUTE_CF)
        .await?;
    let list = call(&app, DEMO_SUBSTITUTE_ID, "ElencoTest-sostituto.xml").await;
    assert_eq!(answer(&list), (Some("9999"), Some("1007")), "{}", list.body);
    let refused = cancel(
        &app,
        DEMO_SUBSTITUTE_ID,
        "AnnullaTest-sostituto.xml",
        &send_id,
    )
    .await;
    assert_eq!(answer(&refused), (Some("9999"), Some("1007")));

    // The titolare still corrects it.
    let done = cancel(&app, DEMO_MMG_ID, "AnnullaTest.xml", &send_id).await;
    assert_eq!(done.outcome(), Some("0000"), "{}", done.body);
    Ok(())
}
