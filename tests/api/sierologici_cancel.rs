//! `AnnullaTest` commits its cancellation with its access-log entry (issue 8, item 11): a
//! cancel whose entry fails to commit is answered 503 and cancels nothing, and cancels of one
//! send racing each other are each answered with what was committed.

use std::sync::Arc;

use sqlx::Connection;
use tokio::task::JoinSet;
use tsgate::domain::{CodiceFiscale, OperatorCf};

use crate::helpers::{spawn_app, Reply, TestApp, TestResult, MMG, PATIENT};

async fn send_test(app: &TestApp) -> String {
    let sent = app.sierologici(MMG, "InvioTest.xml", "").await;
    assert_eq!(sent.outcome(), Some("0000"), "{}", sent.body);
    sent.transaction_id().expect("id").to_owned()
}

async fn cancel(app: &TestApp, send_id: &str) -> Reply {
    app.sierologici(MMG, "AnnullaTest.xml", send_id).await
}

/// Runs `sql` on the gateway's own SQLite database, as an administrator would.
async fn on_database(app: &TestApp, sql: &str) -> TestResult {
    let mut db = sqlx::SqliteConnection::connect(&app.config().store.url).await?;
    sqlx::raw_sql(sql).execute(&mut db).await?;
    db.close().await?;
    Ok(())
}

/// (cancelled?, the transaction that cancelled it) of a send, straight from the database.
async fn stored_cancel(app: &TestApp, send_id: &str) -> Result<Option<String>, sqlx::Error> {
    let mut db = sqlx::SqliteConnection::connect(&app.config().store.url).await?;
    let id: Option<String> = sqlx::query_scalar(
        "SELECT cancel_transaction_id FROM serology_tests WHERE transaction_id = ?",
    )
    .bind(send_id)
    .fetch_one(&mut db)
    .await?;
    db.close().await?;
    Ok(id)
}

#[tokio::test]
async fn a_cancel_whose_log_entry_fails_to_commit_cancels_nothing() -> TestResult {
    let app = spawn_app().await;
    let send_id = send_test(&app).await;

    // The access log refuses AnnullaTest entries: the commit of the cancel's transaction fails.
    on_database(
        &app,
        "CREATE TRIGGER refuse_cancel_entries BEFORE INSERT ON access_log \
         WHEN NEW.operation = 'AnnullaTest' BEGIN SELECT RAISE(ABORT, 'injected'); END",
    )
    .await?;
    let failed = cancel(&app, &send_id).await;
    assert_eq!(failed.status, 503, "{}", failed.body);
    assert_eq!(failed.outcome(), Some("SERVIZIO_NON_DISPONIBILE"));
    assert_eq!(stored_cancel(&app, &send_id).await?, None);
    let state = app
        .store()
        .serology()
        .find_send(
            &send_id,
            &OperatorCf::parse(MMG.cf)?,
            &CodiceFiscale::parse(PATIENT)?,
        )
        .await?
        .expect("the send is stored");
    assert!(!state.cancelled, "a cancel that was not logged was applied");

    // The log works again: the same cancel now goes through, once, and its entry is there.
    on_database(&app, "DROP TRIGGER refuse_cancel_entries").await?;
    let done = cancel(&app, &send_id).await;
    assert_eq!(done.outcome(), Some("0000"), "{}", done.body);
    let done_id = done.transaction_id().expect("id");
    assert_eq!(
        stored_cancel(&app, &send_id).await?.as_deref(),
        Some(done_id)
    );
    let log = app.access_log().await;
    let cancels: Vec<_> = log
        .iter()
        .filter(|e| e.entry.operation == "AnnullaTest")
        .collect();
    assert_eq!(cancels.len(), 1, "only the committed cancel is in the log");
    assert_eq!(cancels[0].entry.transaction_id, done_id);
    Ok(())
}

#[tokio::test]
async fn concurrent_cancels_of_one_send_are_each_answered_with_what_was_committed() -> TestResult {
    let app = Arc::new(spawn_app().await);
    let send_id = send_test(&app).await;
    let mut cancels = JoinSet::new();
    for _ in 0..8 {
        let (app, send_id) = (app.clone(), send_id.clone());
        cancels.spawn(async move { cancel(&app, &send_id).await });
    }
    let mut cancelled_by = Vec::new();
    let mut already = 0;
    while let Some(reply) = cancels.join_next().await {
        let reply = reply?;
        match (reply.status, reply.outcome(), reply.message()) {
            (200, Some("0000"), _) => {
                cancelled_by.push(reply.transaction_id().expect("id").to_owned())
            }
            (200, Some("9999"), Some("1013")) => already += 1,
            other => panic!("unexpected answer {other:?}: {}", reply.body),
        }
    }
    assert_eq!((cancelled_by.len(), already), (1, 7));
    assert_eq!(
        stored_cancel(&app, &send_id).await?,
        cancelled_by.pop(),
        "the cancel acknowledged is the one committed"
    );
    Ok(())
}
