//! The serology rules (seed 003 §3) end to end: sends, cancels and lists as the titolare and as
//! a substitute (regions: region_extension.rs); each rule with its own message code; every
//! transaction in the access log with CF medico and CF titolare.

use chrono::Duration;
use tsgate::domain::OperatorCf;
use tsgate::store::{SentTestQuery, Substitution};

use crate::helpers::{spawn_app, As, TestResult, MMG, PATIENT, SUBSTITUTE};

const SERVICE: &str = "Sierologici";

#[tokio::test]
async fn a_send_is_listed_cancelled_once_and_then_no_longer_listed() -> TestResult {
    let app = spawn_app().await;
    let sent = app.sierologici(MMG, "InvioTest.xml", "").await;
    assert_eq!(sent.outcome(), Some("0000"), "{}", sent.body);
    let send_id = sent.transaction_id().expect("id").to_owned();
    assert!(
        send_id.len() == 18 && send_id.bytes().all(|b| b.is_ascii_digit()),
        "{send_id}"
    );
    assert!(sent.text("dataOra").is_some(), "{}", sent.body);

    let listed = app.sierologici(MMG, "ElencoTest.xml", "").await;
    assert_eq!(listed.outcome(), Some("0000"));
    let listed_send = listed
        .elements("Test")
        .into_iter()
        .find(|t| t.child_text("idTransazioneInvio") == Some(send_id.as_str()));
    assert_eq!(
        listed_send.and_then(|t| t.child_text("inElenco")),
        Some("true"),
        "listed, on the list: {}",
        listed.body
    );
    let list_id = listed.transaction_id().expect("id").to_owned();
    assert!(list_id > send_id, "ids increase: {send_id} then {list_id}");

    let cancelled = app.sierologici(MMG, "AnnullaTest.xml", &send_id).await;
    assert_eq!(cancelled.outcome(), Some("0000"), "{}", cancelled.body);
    let again = app.sierologici(MMG, "AnnullaTest.xml", &send_id).await;
    assert_eq!(again.answer(), (Some("9999"), Some("1013")));

    let listed = app.sierologici(MMG, "ElencoTest.xml", "").await;
    assert!(!listed.body.contains(&send_id), "{}", listed.body);
    assert!(listed.lists_nothing("ElencoTest"), "{}", listed.body);
    Ok(())
}

#[tokio::test]
async fn an_off_list_test_is_recorded_and_marked() -> TestResult {
    let app = spawn_app().await;
    let sent = app.sierologici(MMG, "InvioTest-fuori-elenco.xml", "").await;
    assert_eq!(sent.answer(), (Some("0001"), Some("1015")));
    assert_eq!(sent.messages()[0].kind, "Avviso", "{}", sent.body);
    let today = app.today();
    let stored = app
        .store()
        .serology()
        .sent_tests(&SentTestQuery {
            titolare_cf: OperatorCf::parse(MMG.cf)?,
            sent_by: None,
            from: today,
            to: today,
        })
        .await?;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].assistito_cf.as_str(), "STP1234567890123");
    assert!(!stored[0].on_list);
    assert_eq!(stored[0].doctor_cf.as_str(), MMG.cf);
    assert_eq!(
        Some(stored[0].transaction_id.as_str()),
        sent.transaction_id()
    );
    Ok(())
}

#[tokio::test]
async fn the_titolare_may_cancel_any_send_a_substitute_only_their_own() -> TestResult {
    let app = spawn_app().await;
    let by_titolare = app.sierologici(MMG, "InvioTest.xml", "").await;
    let by_substitute = app
        .sierologici(SUBSTITUTE, "InvioTest-sostituto.xml", "")
        .await;
    assert_eq!(
        by_substitute.outcome(),
        Some("0000"),
        "{}",
        by_substitute.body
    );
    let (titolare_id, substitute_id) = (
        by_titolare.transaction_id().expect("id").to_owned(),
        by_substitute.transaction_id().expect("id").to_owned(),
    );

    // The titolare sees both; the substitute only theirs.
    let all = app.sierologici(MMG, "ElencoTest.xml", "").await;
    let sends = all.texts("idTransazioneInvio");
    assert!(
        sends.contains(&titolare_id.as_str()) && sends.contains(&substitute_id.as_str()),
        "{}",
        all.body
    );
    assert!(
        all.texts("cfMedico").contains(&SUBSTITUTE.cf),
        "{}",
        all.body
    );
    let own = app
        .sierologici(SUBSTITUTE, "ElencoTest-sostituto.xml", "")
        .await;
    assert!(
        own.texts("idTransazioneInvio") == [substitute_id.as_str()]
            && !own.body.contains(&titolare_id),
        "{}",
        own.body
    );

    // The substitute may not cancel the titolare's send; the titolare may cancel theirs.
    let refused = app
        .sierologici(SUBSTITUTE, "AnnullaTest-sostituto.xml", &titolare_id)
        .await;
    assert_eq!(refused.answer(), (Some("9999"), Some("1012")));
    let done = app
        .sierologici(MMG, "AnnullaTest.xml", &substitute_id)
        .await;
    assert_eq!(done.outcome(), Some("0000"), "{}", done.body);
    let again = app
        .sierologici(SUBSTITUTE, "AnnullaTest-sostituto.xml", &substitute_id)
        .await;
    assert_eq!(again.answer(), (Some("9999"), Some("1013")));
    let unknown = app
        .sierologici(MMG, "AnnullaTest.xml", "999999999999999999")
        .await;
    assert_eq!(unknown.answer(), (Some("9999"), Some("1011")));
    Ok(())
}

#[tokio::test]
async fn a_substitute_acts_only_when_authorised_and_within_the_dates() -> TestResult {
    let app = spawn_app().await;
    let store = app.store();
    let today = app.today();

    // Revoked: not a substitute at all.
    let (titolare, substitute) = (
        OperatorCf::parse(MMG.cf)?,
        OperatorCf::parse(SUBSTITUTE.cf)?,
    );
    store.substitutions().revoke(&titolare, &substitute).await?;
    let reply = app
        .sierologici(SUBSTITUTE, "ElencoAssistiti-sostituto.xml", "")
        .await;
    assert_eq!(reply.answer(), (Some("9999"), Some("1007")));

    // Authorised, but the substitution ended yesterday.
    let ended = Substitution {
        titolare_cf: titolare.clone(),
        substitute_cf: substitute.clone(),
        from: today - Duration::days(10),
        to: today - Duration::days(1),
    };
    store.substitutions().add(&ended).await?;
    let reply = app
        .sierologici(SUBSTITUTE, "ElencoAssistiti-sostituto.xml", "")
        .await;
    assert_eq!(reply.answer(), (Some("9999"), Some("1008")));

    // In force from today: the list works, but a test done before it started does not.
    store.substitutions().revoke(&titolare, &substitute).await?;
    store
        .substitutions()
        .add(&Substitution {
            from: today,
            to: today + Duration::days(5),
            ..ended
        })
        .await?;
    let reply = app
        .sierologici(SUBSTITUTE, "ElencoAssistiti-sostituto.xml", "")
        .await;
    assert_eq!(reply.outcome(), Some("0000"), "{}", reply.body);
    assert!(
        reply.texts("cfAssistito").contains(&PATIENT),
        "{}",
        reply.body
    );
    let reply = app
        .request("sierologici/InvioTest-sostituto.xml")
        .by(As::User(SUBSTITUTE))
        .replace(
            &format!("<req:dataTest>{today}<"),
            &format!("<req:dataTest>{}<", today - Duration::days(3)),
        )
        .send()
        .await;
    assert_eq!(reply.answer(), (Some("9999"), Some("1010")));
    Ok(())
}

#[tokio::test]
async fn every_transaction_is_logged_with_cf_medico_and_cf_titolare() -> TestResult {
    let app = spawn_app().await;
    let ok = app
        .sierologici(SUBSTITUTE, "InvioTest-sostituto.xml", "")
        .await;
    let refused = app.sierologici(MMG, "InvioTest-data-futura.xml", "").await;
    // Replies leave only after their entry is committed: the log already has both.
    let log = app.access_log().await;
    for (reply, doctor, outcome) in [(&ok, SUBSTITUTE.cf, "0000"), (&refused, MMG.cf, "9999")] {
        let id = reply.transaction_id().expect("id");
        let entry = log
            .iter()
            .find(|e| e.entry.transaction_id == id)
            .unwrap_or_else(|| panic!("{id} is not in the access log"));
        assert_eq!(entry.entry.operator_cf.as_deref(), Some(doctor));
        assert_eq!(entry.entry.titolare_cf.as_deref(), Some(MMG.cf));
        assert_eq!(
            (entry.entry.service.as_str(), entry.entry.outcome.as_str()),
            (SERVICE, outcome)
        );
        assert_eq!(entry.entry.operation, "InvioTest");
    }
    assert!(matches!(
        tsgate::store::verify_chain(app.store().as_ref()).await?,
        tsgate::store::ChainReport::Intact { .. }
    ));
    Ok(())
}

#[tokio::test]
async fn a_wrong_check_letter_on_the_patients_cf_is_blocking() -> TestResult {
    let app = spawn_app().await;
    // (The same fault on the operator's own CF only warns: see region_extension.rs.)
    let reply = app
        .sierologici(MMG, "InvioTest-cf-assistito-controllo.xml", "")
        .await;
    assert_eq!(reply.answer(), (Some("9999"), Some("1005")));
    Ok(())
}

#[tokio::test]
async fn the_patient_list_shows_only_living_school_staff_of_the_titolare() -> TestResult {
    let app = spawn_app().await;
    let expected = app
        .store()
        .patients()
        .patient_list(&OperatorCf::parse(MMG.cf)?)
        .await?;
    assert_eq!(expected.len(), 5, "the MMG has five living staff patients");
    let reply = app.sierologici(MMG, "ElencoAssistiti.xml", "").await;
    assert_eq!(reply.outcome(), Some("0000"));
    let listed: Vec<(&str, &str)> = reply
        .elements("Assistito")
        .into_iter()
        .map(|a| {
            (
                a.child_text("cfAssistito").unwrap_or_default(),
                a.child_text("dataAggiornamento").unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(listed.len(), 5, "{}", reply.body);
    for p in &expected {
        let updated_on = p.updated_on.to_string();
        assert!(
            listed.contains(&(p.cf.as_str(), updated_on.as_str())),
            "{} updated on {updated_on}: {}",
            p.cf,
            reply.body
        );
    }
    // One of them dies: they leave the list.
    let mut gone = app
        .store()
        .patients()
        .find_assistito(&expected[0].cf)
        .await?
        .expect("in registry");
    gone.status = tsgate::store::AssistitoStatus::Deceduto;
    app.store().patients().upsert_assistiti(&[gone]).await?;
    let reply = app.sierologici(MMG, "ElencoAssistiti.xml", "").await;
    assert_eq!(reply.elements("Assistito").len(), 4, "{}", reply.body);
    Ok(())
}
