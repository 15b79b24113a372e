//! Substitutes after the substitution (seed 003 §3.3.1, issue 8 item 12): the substitute may
//! still "consultare o correggere" what they entered — list and cancel their own sends, not
//! send new ones — and the titolare sees and may cancel every send for their patients.

use chrono::{Duration, Utc};
use tsgate::demo::{DEMO_MMG_CF, DEMO_MMG_ID, DEMO_SUBSTITUTE_CF, DEMO_SUBSTITUTE_ID};
use tsgate::store::registry::rome_day;
use tsgate::store::Substitution;

use crate::helpers::{spawn_app, TestApp, TestResult};

async fn sent(app: &TestApp, user: &str, sample: &str) -> String {
    let reply = app.sierologici(user, sample, "").await;
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
    let own = app
        .sierologici(DEMO_SUBSTITUTE_ID, "ElencoTest-sostituto.xml", "")
        .await;
    assert_eq!(own.outcome(), Some("0000"), "{}", own.body);
    assert!(own.body.contains(&first) && own.body.contains(&second));
    assert!(!own.body.contains(&titolare_send), "{}", own.body);

    // Nothing new: no send, no patient list.
    let send = app
        .sierologici(DEMO_SUBSTITUTE_ID, "InvioTest-sostituto.xml", "")
        .await;
    assert_eq!(send.answer(), (Some("9999"), Some("1008")), "{}", send.body);
    let list = app
        .sierologici(DEMO_SUBSTITUTE_ID, "ElencoAssistiti-sostituto.xml", "")
        .await;
    assert_eq!(list.answer(), (Some("9999"), Some("1008")), "{}", list.body);

    // Correct: cancel their own send, never the titolare's.
    let refused = app
        .sierologici(
            DEMO_SUBSTITUTE_ID,
            "AnnullaTest-sostituto.xml",
            &titolare_send,
        )
        .await;
    assert_eq!(refused.answer(), (Some("9999"), Some("1012")));
    let done = app
        .sierologici(DEMO_SUBSTITUTE_ID, "AnnullaTest-sostituto.xml", &first)
        .await;
    assert_eq!(done.outcome(), Some("0000"), "{}", done.body);

    // The titolare sees every send for their patients, with who sent it, and cancels the
    // substitute's other one.
    let all = app.sierologici(DEMO_MMG_ID, "ElencoTest.xml", "").await;
    assert!(all.body.contains(&second) && all.body.contains(&titolare_send));
    assert!(!all.body.contains(&first), "cancelled: {}", all.body);
    let second_entry = all
        .body
        .split("<ric:Test>")
        .find(|test| test.contains(&second))
        .expect("listed");
    assert!(second_entry.contains(&format!("<ric:cfMedico>{DEMO_SUBSTITUTE_CF}<")));
    let by_titolare = app
        .sierologici(DEMO_MMG_ID, "AnnullaTest.xml", &second)
        .await;
    assert_eq!(by_titolare.outcome(), Some("0000"), "{}", by_titolare.body);
    let own = app
        .sierologici(DEMO_SUBSTITUTE_ID, "ElencoTest-sostituto.xml", "")
        .await;
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
    let list = app
        .sierologici(DEMO_SUBSTITUTE_ID, "ElencoTest-sostituto.xml", "")
        .await;
    assert_eq!(list.answer(), (Some("9999"), Some("1008")), "{}", list.body);
    let refused = app
        .sierologici(DEMO_SUBSTITUTE_ID, "AnnullaTest-sostituto.xml", &send_id)
        .await;
    assert_eq!(refused.answer(), (Some("9999"), Some("1008")));

    // Revoked: no longer the titolare's substitute at all.
    app.app
        .store
        .registry()
        .revoke_substitution(DEMO_MMG_CF, DEMO_SUBSTITUTE_CF)
        .await?;
    let list = app
        .sierologici(DEMO_SUBSTITUTE_ID, "ElencoTest-sostituto.xml", "")
        .await;
    assert_eq!(list.answer(), (Some("9999"), Some("1007")), "{}", list.body);
    let refused = app
        .sierologici(DEMO_SUBSTITUTE_ID, "AnnullaTest-sostituto.xml", &send_id)
        .await;
    assert_eq!(refused.answer(), (Some("9999"), Some("1007")));

    // The titolare still corrects it.
    let done = app
        .sierologici(DEMO_MMG_ID, "AnnullaTest.xml", &send_id)
        .await;
    assert_eq!(done.outcome(), Some("0000"), "{}", done.body);
    Ok(())
}
