//! The access log: one hash-chained entry per request that reached identification, committed
//! before the reply; `tsgate audit verify` finds the first altered or removed entry.

use tsgate::store::CallerKind;

use crate::helpers::{spawn_app, As, TestApp, TestResult, OPERATOR};

#[tokio::test]
async fn each_identified_request_leaves_one_entry_with_its_transaction_id() -> TestResult {
    let app = spawn_app().await;
    let ok = app.call_catalogue(As::Region).await;
    let card = app.call_catalogue(As::Card).await;
    let operator = app
        .request("servizi/ElencoServizi-pincode.xml")
        .by(As::User(OPERATOR))
        .send()
        .await;
    let refused = app.call_catalogue(As::Anonymous).await;
    // Refused before identification: no entry.
    let malformed = app
        .request("servizi/malformed.xml")
        .by(As::Region)
        .send()
        .await;
    assert_eq!(malformed.status, 400);

    let entries = app.access_log().await;
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
    assert_eq!(card.operator_cf.as_deref(), Some(OPERATOR.cf));
    let operator = by_tx(&operator).ok_or("operator entry")?;
    assert_eq!(operator.caller_kind, CallerKind::OperatorPassword);
    assert_eq!(operator.caller_id, OPERATOR.id);
    // The client's address is recorded for every transaction, identified or refused.
    for entry in [&region, &card, &operator] {
        assert_eq!(
            entry.client_address.as_deref(),
            Some("127.0.0.1"),
            "{entry:?}"
        );
        assert_eq!(
            (entry.target.as_deref(), entry.detail.as_deref()),
            (None, None)
        );
    }
    let refused = by_tx(&refused).ok_or("refused entry")?;
    assert_eq!(refused.client_address.as_deref(), Some("127.0.0.1"));
    assert_eq!(refused.outcome, "fault_credenziali_invalide");
    assert_eq!(
        refused.at.timestamp_subsec_nanos() % 1_000_000,
        0,
        "millisecond precision"
    );

    let report = tsgate::store::verify_chain(app.store().as_ref()).await?;
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
    let verify = || tsgate_cli(&app, &["audit", "verify"]);
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

/// `tsgate <args> --config DIR/tsgate.toml`, as an operator runs it against the app's store.
fn tsgate_cli(app: &TestApp, args: &[&str]) -> std::io::Result<std::process::Output> {
    std::process::Command::new(env!("CARGO_BIN_EXE_tsgate"))
        .args(args)
        .arg("--config")
        .arg(app.dir.path().join("tsgate.toml"))
        .output()
}

/// Chains `count` entries after `after` (seq, hash), dated `at`, as another gateway run would have.
async fn append_entries(
    store: &dyn tsgate::store::Store,
    after: (i64, [u8; 32]),
    count: i64,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<(i64, [u8; 32]), Box<dyn std::error::Error + Send + Sync>> {
    let (mut seq, mut prev) = after;
    let mut batch = Vec::new();
    for _ in 0..count {
        seq += 1;
        let entry = tsgate::store::AccessLogEntry {
            transaction_id: format!("tx-{seq}"),
            at,
            caller_kind: CallerKind::Region,
            caller_id: "120".into(),
            region: Some("120".into()),
            operator_cf: Some("RSSMRA80A01H501U".into()),
            titolare_cf: None,
            declared_auth: Some("SPID".into()),
            service: "InvioOTP".into(),
            operation: "InvioOTP".into(),
            outcome: "0000".into(),
            client_address: None,
            target: None,
            detail: None,
        };
        let chained = tsgate::store::ChainedEntry::link(seq, prev, entry);
        prev = chained.hash;
        batch.push(chained);
    }
    store.access_log().append(&batch).await?;
    Ok((seq, prev))
}

fn thirteen_months_ago() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now() - chrono::TimeDelta::days(13 * 31)
}

/// Twelve months of retention: `tsgate purge` removes older entries and the chain still verifies.
#[tokio::test]
async fn purge_removes_entries_past_retention_and_the_chain_still_verifies() -> TestResult {
    let mut app = spawn_app().await;
    app.stop().await;
    let store = tsgate::store::connect(&app.config().store.url).await?;
    let head = append_entries(store.as_ref(), (0, [0; 32]), 3, thirteen_months_ago()).await?;
    append_entries(store.as_ref(), head, 2, chrono::Utc::now()).await?;
    store.close().await;

    let tsgate = |args: &[&str]| tsgate_cli(&app, args);
    let purge = tsgate(&["purge"])?;
    let text = String::from_utf8_lossy(&purge.stdout);
    assert!(purge.status.success(), "{text}");
    assert!(text.contains("removed 3 access-log entries"), "{text}");
    // Entries 4 and 5 remain, and the purge's own administrative entry is 6.
    assert!(text.contains("intact: 3 entries, from 4 to 6"), "{text}");
    let again = tsgate(&["purge"])?;
    assert!(String::from_utf8_lossy(&again.stdout).contains("removed 0"));
    let verify = tsgate(&["audit", "verify"])?;
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
    Ok(())
}

/// The gateway purges on its own at start (and every few hours), records the purge as its own
/// administrative entry, and goes on chaining.
#[tokio::test]
async fn the_gateway_purges_expired_entries_by_itself() -> TestResult {
    let mut app = spawn_app().await;
    app.stop().await;
    let store = tsgate::store::connect(&app.config().store.url).await?;
    append_entries(store.as_ref(), (0, [0; 32]), 3, thirteen_months_ago()).await?;
    store.close().await;

    let app = app.restart().await;
    let mut anchor = app.store().access_log().anchor().await?;
    for _ in 0..50 {
        if anchor.first_seq == 4 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        anchor = app.store().access_log().anchor().await?;
    }
    assert_eq!(anchor.first_seq, 4, "the three expired entries were purged");
    for _ in 0..2 {
        assert_eq!(app.call_catalogue(As::Region).await.status, 200);
    }
    let report = tsgate::store::verify_chain(app.store().as_ref()).await?;
    assert_eq!(
        report,
        tsgate::store::ChainReport::Intact {
            entries: 3,
            first_seq: 4,
            last_seq: 6
        }
    );
    let purges: Vec<_> = app
        .store()
        .access_log()
        .read(0, 10)
        .await?
        .into_iter()
        .filter(|chained| chained.entry.operation == "purge")
        .collect();
    assert_eq!(purges.len(), 1);
    let purge = &purges[0].entry;
    assert_eq!(
        (
            purge.caller_kind.as_str(),
            purge.caller_id.as_str(),
            purge.outcome.as_str()
        ),
        ("gateway", "retention", "ok")
    );
    assert!(
        purge
            .detail
            .as_deref()
            .is_some_and(|d| d.starts_with("removed 3 access-log entries")),
        "{purge:?}"
    );
    Ok(())
}
