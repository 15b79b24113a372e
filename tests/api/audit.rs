//! The access log: one hash-chained entry per request that reached identification, committed
//! before the reply; `tsgate audit verify` finds the first altered or removed entry.

use tsgate::store::CallerKind;

use crate::helpers::{envelope, spawn_app, As, TestResult};

#[tokio::test]
async fn each_identified_request_leaves_one_entry_with_its_transaction_id() -> TestResult {
    let app = spawn_app().await;
    let ok = app.call_catalogue(As::Region).await;
    let card = app.call_catalogue(As::Card).await;
    let operator = app
        .soap_as_operator("Servizi", &envelope("servizi/ElencoServizi-pincode.xml"))
        .await;
    let refused = app.call_catalogue(As::Anonymous).await;
    // Refused before identification: no entry.
    let malformed = app
        .soap(As::Region, "Servizi", &envelope("servizi/malformed.xml"))
        .await;
    assert_eq!(malformed.status, 400);

    let entries = app.app.store.read_access_log(0, 100).await?;
    assert_eq!(entries.len(), 4, "one entry per identified request");
    let by_tx = |reply: &crate::helpers::Reply| {
        let tx = reply.transaction_id().unwrap_or_default().to_owned();
        entries
            .iter()
            .find(|e| e.entry.transaction_id == tx)
            .map(|e| e.entry.clone())
    };
    let region = by_tx(&ok).ok_or("region entry")?;
    assert_eq!(region.caller_kind, CallerKind::Region);
    assert_eq!(
        (region.caller_id.as_str(), region.region.as_deref()),
        ("120", Some("120"))
    );
    assert_eq!(
        (
            region.service.as_str(),
            region.operation.as_str(),
            region.outcome.as_str()
        ),
        ("Servizi", "ElencoServizi", "0000")
    );
    let card = by_tx(&card).ok_or("card entry")?;
    assert_eq!(card.caller_kind, CallerKind::OperatorCertificate);
    assert_eq!(
        card.operator_cf.as_deref(),
        Some(tsgate::demo::DEMO_OPERATOR_CF)
    );
    let operator = by_tx(&operator).ok_or("operator entry")?;
    assert_eq!(operator.caller_kind, CallerKind::OperatorPassword);
    assert_eq!(operator.caller_id, tsgate::demo::DEMO_OPERATOR_ID);
    let refused = by_tx(&refused).ok_or("refused entry")?;
    assert_eq!(refused.outcome, "fault_credenziali_invalide");
    assert_eq!(
        refused.at.timestamp_subsec_nanos() % 1_000_000,
        0,
        "millisecond precision"
    );

    let report = tsgate::store::verify_chain(app.app.store.as_ref()).await?;
    assert!(
        matches!(
            report,
            tsgate::store::ChainReport::Intact { entries: 4, .. }
        ),
        "{report}"
    );
    Ok(())
}

#[tokio::test]
async fn audit_verify_reports_an_altered_entry_with_a_non_zero_exit() -> TestResult {
    let mut app = spawn_app().await;
    for _ in 0..5 {
        assert_eq!(app.call_catalogue(As::Region).await.status, 200);
    }
    app.stop().await;
    let verify = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_tsgate"))
            .args(["audit", "verify", "--dir"])
            .arg(app.dir.path())
            .output()
    };
    let intact = verify()?;
    assert!(
        intact.status.success(),
        "{}",
        String::from_utf8_lossy(&intact.stdout)
    );

    // Tamper with entry 3 behind the gateway's back (dropping the append-only guard first).
    let db = app.dir.path().join("tsgate.db");
    let url = format!("sqlite://{}", db.display());
    let pool = sqlx::SqlitePool::connect(&url).await?;
    let triggers: Vec<(String,)> =
        sqlx::query_as("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            .fetch_all(&pool)
            .await?;
    for (name,) in triggers {
        sqlx::query(&format!("DROP TRIGGER \"{name}\""))
            .execute(&pool)
            .await?;
    }
    sqlx::query("UPDATE access_log SET outcome = '9999' WHERE seq = 3")
        .execute(&pool)
        .await?;
    pool.close().await;

    let broken = verify()?;
    assert_eq!(broken.status.code(), Some(2));
    let text = String::from_utf8_lossy(&broken.stdout);
    assert!(text.contains('3'), "names the entry: {text}");
    Ok(())
}
