//! Substitutes after the substitution (seed 003 §3.3.1, issue 8 item 12): the substitute may
//! still "consultare o correggere" what they entered — list and cancel their own sends, not
//! send new ones — and the titolare sees and may cancel every send for their patients.

use chrono::Duration;
use tsgate::domain::OperatorCf;
use tsgate::store::Substitution;

use crate::helpers::{spawn_app, TestApp, TestResult, User, MMG, SUBSTITUTE};

async fn sent(app: &TestApp, user: User, sample: &str) -> String {
    let reply = app.sierologici(user, sample, "").await;
    assert_eq!(reply.outcome(), Some("0000"), "{}", reply.body);
    reply.transaction_id().expect("id").to_owned()
}

/// Replaces the substitute's authorisations with one from `from` to `to` days from today.
async fn authorise_substitute(app: &TestApp, from: i64, to: i64) -> TestResult {
    let substitutions = app.store().substitutions();
    let (titolare, substitute) = (
        OperatorCf::parse(MMG.cf)?,
        OperatorCf::parse(SUBSTITUTE.cf)?,
    );
    substitutions.revoke(&titolare, &substitute).await?;
    let today = app.today();
    substitutions
        .add(&Substitution {
            titolare_cf: titolare,
            substitute_cf: substitute,
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
    let first = sent(&app, SUBSTITUTE, "InvioTest-sostituto.xml").await;
    let second = sent(&app, SUBSTITUTE, "InvioTest-sostituto.xml").await;
    let titolare_send = sent(&app, MMG, "InvioTest.xml").await;
    // The substitution ended yesterday.
    authorise_substitute(&app, -10, -1).await?;

    // Read: their own sends, not the titolare's.
    let own = app
        .sierologici(SUBSTITUTE, "ElencoTest-sostituto.xml", "")
        .await;
    assert_eq!(own.outcome(), Some("0000"), "{}", own.body);
    let own_sends = own.texts("idTransazioneInvio");
    assert!(
        own_sends.contains(&first.as_str()) && own_sends.contains(&second.as_str()),
        "{}",
        own.body
    );
    assert!(!own.body.contains(&titolare_send), "{}", own.body);

    // Nothing new: no send, no patient list.
    let send = app
        .sierologici(SUBSTITUTE, "InvioTest-sostituto.xml", "")
        .await;
    assert_eq!(send.answer(), (Some("9999"), Some("1008")), "{}", send.body);
    let list = app
        .sierologici(SUBSTITUTE, "ElencoAssistiti-sostituto.xml", "")
        .await;
    assert_eq!(list.answer(), (Some("9999"), Some("1008")), "{}", list.body);

    // Correct: cancel their own send, never the titolare's.
    let refused = app
        .sierologici(SUBSTITUTE, "AnnullaTest-sostituto.xml", &titolare_send)
        .await;
    assert_eq!(refused.answer(), (Some("9999"), Some("1012")));
    let done = app
        .sierologici(SUBSTITUTE, "AnnullaTest-sostituto.xml", &first)
        .await;
    assert_eq!(done.outcome(), Some("0000"), "{}", done.body);

    // The titolare sees every send for their patients, with who sent it, and cancels the
    // substitute's other one.
    let all = app.sierologici(MMG, "ElencoTest.xml", "").await;
    let all_sends = all.texts("idTransazioneInvio");
    assert!(
        all_sends.contains(&second.as_str()) && all_sends.contains(&titolare_send.as_str()),
        "{}",
        all.body
    );
    assert!(!all.body.contains(&first), "cancelled: {}", all.body);
    let second_entry = all
        .elements("Test")
        .into_iter()
        .find(|test| test.child_text("idTransazioneInvio") == Some(second.as_str()))
        .expect("listed");
    assert_eq!(second_entry.child_text("cfMedico"), Some(SUBSTITUTE.cf));
    let by_titolare = app.sierologici(MMG, "AnnullaTest.xml", &second).await;
    assert_eq!(by_titolare.outcome(), Some("0000"), "{}", by_titolare.body);
    let own = app
        .sierologici(SUBSTITUTE, "ElencoTest-sostituto.xml", "")
        .await;
    assert!(own.lists_nothing("ElencoTest"), "{}", own.body);
    Ok(())
}

#[tokio::test]
async fn before_the_substitution_begins_or_once_revoked_the_substitute_reads_nothing() -> TestResult
{
    let app = spawn_app().await;
    let send_id = sent(&app, SUBSTITUTE, "InvioTest-sostituto.xml").await;

    // Only a later substitution is authorised: not begun.
    authorise_substitute(&app, 1, 5).await?;
    let list = app
        .sierologici(SUBSTITUTE, "ElencoTest-sostituto.xml", "")
        .await;
    assert_eq!(list.answer(), (Some("9999"), Some("1008")), "{}", list.body);
    let refused = app
        .sierologici(SUBSTITUTE, "AnnullaTest-sostituto.xml", &send_id)
        .await;
    assert_eq!(refused.answer(), (Some("9999"), Some("1008")));

    // Revoked: no longer the titolare's substitute at all.
    app.store()
        .substitutions()
        .revoke(
            &OperatorCf::parse(MMG.cf)?,
            &OperatorCf::parse(SUBSTITUTE.cf)?,
        )
        .await?;
    let list = app
        .sierologici(SUBSTITUTE, "ElencoTest-sostituto.xml", "")
        .await;
    assert_eq!(list.answer(), (Some("9999"), Some("1007")), "{}", list.body);
    let refused = app
        .sierologici(SUBSTITUTE, "AnnullaTest-sostituto.xml", &send_id)
        .await;
    assert_eq!(refused.answer(), (Some("9999"), Some("1007")));

    // The titolare still corrects it.
    let done = app.sierologici(MMG, "AnnullaTest.xml", &send_id).await;
    assert_eq!(done.outcome(), Some("0000"), "{}", done.body);
    Ok(())
}
