//! Failed credentials (issue #10, item 5): consecutive failures lock an account on every channel
//! (SOAP, the CSV download) until the lock expires or an administrator unlocks it, a locked
//! account answers exactly as a wrong password does, and an address that spent its budget of
//! failures is refused before any password check.

use std::time::Duration;

use crate::helpers::{
    seed, spawn_app_with, As, Reply, TestApp, TestResult, ASL_OPERATOR, OPERATOR,
};

const LOCKOUTS: &str = "tsgate_account_lockouts_total";
const PASSWORD_CHECKS: &str = "tsgate_password_checks_total";
const THROTTLED: &str = "tsgate_credentials_throttled_total";

/// A gateway whose accounts lock after `max_failures`, for `minutes`.
async fn app_locking_after(max_failures: u32, minutes: f64) -> TestApp {
    spawn_app_with(|config| {
        config.auth.max_failures = max_failures;
        config.auth.lockout_minutes = minutes;
    })
    .await
}

/// The body without its transaction id, to compare two refusals.
fn anonymised(reply: &Reply) -> String {
    let tx = reply.transaction_id().unwrap_or_default();
    reply.body.replace(tx, "TX")
}

fn refused_as_bad_credentials(reply: &Reply) -> bool {
    (reply.status, reply.outcome()) == (500, Some("CREDENZIALI_INVALIDE"))
}

/// `tsgate users unlock` as the security administrator `admin`.
async fn unlock_cli(app: &TestApp, admin: &str, user_id: &str) -> std::process::Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_tsgate"))
        .args([
            "users",
            "unlock",
            "--as",
            admin,
            "--user-id",
            user_id,
            "--config",
        ])
        .arg(app.dir.path().join("tsgate.toml"))
        .env("TSGATE_ADMIN_PASSWORD", seed::PASSWORD)
        .output()
        .await
        .expect("tsgate runs")
}

#[tokio::test]
async fn soap_failures_lock_the_account_until_an_administrator_unlocks_it() -> TestResult {
    let app = app_locking_after(3, 15.0).await;
    // A success resets the count: two failures, a success, two failures lock nothing.
    for _ in 0..2 {
        assert!(refused_as_bad_credentials(
            &app.catalogue_with_password(OPERATOR.id, "sbagliata").await
        ));
    }
    assert_eq!(
        app.catalogue_with_password(OPERATOR.id, seed::PASSWORD)
            .await
            .status,
        200
    );
    for _ in 0..2 {
        assert!(refused_as_bad_credentials(
            &app.catalogue_with_password(OPERATOR.id, "sbagliata").await
        ));
    }
    assert_eq!(
        app.catalogue_with_password(OPERATOR.id, seed::PASSWORD)
            .await
            .status,
        200
    );
    assert_eq!(app.metric(LOCKOUTS), 0.0);

    let mut wrong = None;
    for _ in 0..3 {
        let reply = app.catalogue_with_password(OPERATOR.id, "sbagliata").await;
        assert!(refused_as_bad_credentials(&reply), "{}", reply.body);
        wrong = Some(reply);
    }
    assert_eq!(app.metric(LOCKOUTS), 1.0);
    // Locked: the right password (verified and cached a moment ago) gets the wrong one's answer,
    // after the same full check.
    let checks = app.metric(PASSWORD_CHECKS);
    let right = app
        .catalogue_with_password(OPERATOR.id, seed::PASSWORD)
        .await;
    assert!(refused_as_bad_credentials(&right), "{}", right.body);
    assert_eq!(anonymised(&right), anonymised(&wrong.expect("a refusal")));
    assert_eq!(app.metric(PASSWORD_CHECKS), checks + 1.0, "argon2 ran");
    let logged = app.logged(&right).await;
    assert_eq!(logged.outcome, "fault_credenziali_invalide");
    // Other users are not affected.
    let other = app
        .request("asl/InvioNumeroTest.xml")
        .by(As::User(ASL_OPERATOR))
        .send()
        .await;
    assert_eq!(other.cod_esito(), Some("0000"), "{}", other.body);

    // Only their own ASL's administrator may unlock them.
    let output = unlock_cli(&app, seed::OTHER_ASL_ADMIN, OPERATOR.id).await;
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("may not act on user"), "{stderr}");
    assert!(refused_as_bad_credentials(
        &app.catalogue_with_password(OPERATOR.id, seed::PASSWORD)
            .await
    ));

    let output = unlock_cli(&app, seed::ASL_ADMIN, OPERATOR.id).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains(&format!("user {} unlocked", OPERATOR.id))
            && stdout.contains("after 5 failed attempts"),
        "{stdout}"
    );
    assert_eq!(
        app.catalogue_with_password(OPERATOR.id, seed::PASSWORD)
            .await
            .status,
        200
    );
    assert_eq!(app.metric(LOCKOUTS), 1.0);

    // Unlocking nobody is a clear error; unlocking an unlocked user says so.
    let output = unlock_cli(&app, seed::ASL_ADMIN, "NESSUNO").await;
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("NESSUNO"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let output = unlock_cli(&app, seed::ASL_ADMIN, OPERATOR.id).await;
    assert!(String::from_utf8_lossy(&output.stdout).contains("was not locked"));
    Ok(())
}

#[tokio::test]
async fn download_failures_lock_the_account_for_soap_too_and_the_lock_expires() -> TestResult {
    let app = app_locking_after(2, 0.05).await; // 3 seconds
    assert_eq!(
        app.download_with_password(ASL_OPERATOR.id, seed::PASSWORD)
            .await
            .status,
        200
    );
    let mut wrong = None;
    for _ in 0..2 {
        let reply = app
            .download_with_password(ASL_OPERATOR.id, "sbagliata")
            .await;
        assert_eq!(reply.status, 401, "{}", reply.body);
        wrong = Some(reply);
    }
    let wrong = wrong.expect("a refusal");
    assert_eq!(app.metric(LOCKOUTS), 1.0);
    let right = app
        .download_with_password(ASL_OPERATOR.id, seed::PASSWORD)
        .await;
    assert_eq!(
        (
            right.status,
            right.body.as_str(),
            right.header("www-authenticate")
        ),
        (
            wrong.status,
            wrong.body.as_str(),
            wrong.header("www-authenticate")
        )
    );
    // One account, whatever the channel.
    let soap = app
        .request("asl/InvioNumeroTest.xml")
        .by(As::User(ASL_OPERATOR))
        .send()
        .await;
    assert!(refused_as_bad_credentials(&soap), "{}", soap.body);

    tokio::time::sleep(Duration::from_millis(3_200)).await;
    assert_eq!(
        app.download_with_password(ASL_OPERATOR.id, seed::PASSWORD)
            .await
            .status,
        200
    );
    // The lock is gone with its count: one failure locks nothing.
    assert_eq!(
        app.download_with_password(ASL_OPERATOR.id, "sbagliata")
            .await
            .status,
        401
    );
    assert_eq!(
        app.download_with_password(ASL_OPERATOR.id, seed::PASSWORD)
            .await
            .status,
        200
    );
    Ok(())
}

#[tokio::test]
async fn an_address_that_spent_its_failures_is_refused_before_any_check() -> TestResult {
    let app = spawn_app_with(|config| {
        config.auth.max_failures = 100;
        config.auth.address_failure_burst = 3;
        config.auth.address_failures_per_minute = 1;
    })
    .await;
    for _ in 0..3 {
        assert!(refused_as_bad_credentials(
            &app.catalogue_with_password("NESSUNO", "sbagliata").await
        ));
    }
    let checks = app.metric(PASSWORD_CHECKS);
    let logged = app.access_log().await.len();
    // Spent: wrong or right, SOAP or CSV, refused at once with when to try again.
    for password in ["sbagliata", seed::PASSWORD] {
        let reply = app.catalogue_with_password(OPERATOR.id, password).await;
        assert_eq!(
            (reply.status, reply.outcome()),
            (429, Some("TENTATIVI_FALLITI")),
            "{}",
            reply.body
        );
        let retry_after: u64 = reply.header("retry-after").expect("Retry-After").parse()?;
        assert!((1..=60).contains(&retry_after), "{retry_after}");
        let reply = app.download_with_password(ASL_OPERATOR.id, password).await;
        assert_eq!(reply.status, 429, "{}", reply.body);
        assert!(reply.header("retry-after").is_some());
    }
    assert_eq!(app.metric(PASSWORD_CHECKS), checks, "no argon2 ran");
    assert_eq!(app.metric(THROTTLED), 4.0);
    assert_eq!(app.access_log().await.len(), logged, "nothing to record");
    assert!(
        app.metric("tsgate_rejected_requests_total{reason=\"fault_tentativi_falliti\"}") >= 4.0
    );
    // Callers by certificate prove no password: they are not affected.
    assert_eq!(app.call_catalogue(As::Region).await.status, 200);
    assert_eq!(app.call_catalogue(As::Card).await.status, 200);
    Ok(())
}

#[tokio::test]
async fn concurrent_failures_are_all_counted() -> TestResult {
    let app = app_locking_after(100, 15.0).await;
    let wrong = || app.catalogue_with_password(OPERATOR.id, "sbagliata");
    let replies = tokio::join!(
        wrong(),
        wrong(),
        wrong(),
        wrong(),
        wrong(),
        wrong(),
        wrong(),
        wrong()
    );
    let replies = [
        replies.0, replies.1, replies.2, replies.3, replies.4, replies.5, replies.6, replies.7,
    ];
    assert!(replies.iter().all(refused_as_bad_credentials));
    let count = app.store().credential_failures().count(OPERATOR.id).await?;
    assert_eq!(count.failures, 8);
    Ok(())
}
