//! Administrative changes reach a running gateway: `tsgate regions enable/disable` and `tsgate
//! users grant/revoke/disable/enable` (as ASL 201's security administrator), run as the real
//! CLI process against a live gateway's SQLite store (which the gateway's store lock allows),
//! and a new password written to a user's row by another connection. Region permissions used to be cached for
//! 10 s without a word, and a verified password stayed good for 60 s after it changed.
//!
//! What the gateway caches (region permissions, verified passwords) is dropped when the store's
//! directory version moves, which the gateway polls every `store.directory_refresh_ms`. Most
//! tests set a long interval and poll by hand (`refresh`), so that they show both the stale
//! cache and its end without depending on timing; one runs the real polling.

use tsgate::domain::Profile;

use crate::helpers::{seed, spawn_app_with, As, Reply, TestApp, TestResult, MMG, SUBSTITUTE};

/// A gateway that polls the directory version only when a test says so. Regions may call
/// Sierologici only with the extension on, so the tests turn it on to enable and disable one.
async fn polled_by_hand() -> TestApp {
    polling_every(3_600_000).await
}

async fn polling_every(directory_refresh_ms: u64) -> TestApp {
    spawn_app_with(|config| {
        config.store.directory_refresh_ms = directory_refresh_ms;
        config.extensions.region_callers_on_sierologici_asl = true;
    })
    .await
}

/// What the gateway's poller does every `store.directory_refresh_ms`; `true` if the version
/// moved.
async fn poll(app: &TestApp) -> bool {
    app.poll_directory().await
}

/// The region's patient list (the extension on, the region's permission decides).
async fn list_as_region(app: &TestApp) -> Reply {
    app.request("sierologici/ElencoAssistiti-regione.xml")
        .by(As::Region)
        .send()
        .await
}

/// The MMG's own patient list (Basic + pincode).
async fn list_as_mmg(app: &TestApp) -> Reply {
    app.request("sierologici/ElencoAssistiti.xml")
        .by(As::User(MMG))
        .send()
        .await
}

/// `tsgate <args> --config <the app's tsgate.toml>`, as an operator types it (the acting
/// administrator's password in `TSGATE_ADMIN_PASSWORD`). Awaited, not blocked
/// on: the gateway runs on this test's runtime, and a transaction it has open (the purge at
/// start) must be able to finish while the CLI waits for SQLite's write lock.
async fn cli(app: &TestApp, args: &[&str]) -> TestResult {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_tsgate"))
        .args(args)
        .arg("--config")
        .arg(app.dir.path().join("tsgate.toml"))
        .env("TSGATE_ADMIN_PASSWORD", seed::PASSWORD)
        .output()
        .await?;
    assert!(
        output.status.success(),
        "tsgate {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(())
}

#[tokio::test]
async fn regions_enable_and_disable_take_effect_at_the_next_poll() -> TestResult {
    let app = polled_by_hand().await;
    let refused = list_as_region(&app).await;
    assert_eq!(
        refused.answer(),
        (Some("9999"), Some("9001")),
        "{}",
        refused.body
    );

    cli(
        &app,
        &[
            "regions",
            "enable",
            "--code",
            seed::REGION,
            "--service",
            "Sierologici",
        ],
    )
    .await?;
    // Until the gateway polls, its cached permission stands (this is the documented bound).
    let stale = list_as_region(&app).await;
    assert_eq!(stale.message(), Some("9001"), "{}", stale.body);
    assert!(
        poll(&app).await,
        "the CLI's change moved the directory version"
    );
    let allowed = list_as_region(&app).await;
    assert_eq!(allowed.outcome(), Some("0000"), "{}", allowed.body);

    cli(
        &app,
        &[
            "regions",
            "disable",
            "--code",
            seed::REGION,
            "--service",
            "Sierologici",
        ],
    )
    .await?;
    assert!(poll(&app).await);
    let refused = list_as_region(&app).await;
    assert_eq!(refused.answer(), (Some("9999"), Some("9001")));
    assert!(!poll(&app).await, "nothing changed since");
    Ok(())
}

#[tokio::test]
async fn the_gateway_polls_the_directory_version_by_itself() -> TestResult {
    let app = polling_every(20).await;
    assert_eq!(list_as_region(&app).await.message(), Some("9001"));
    cli(
        &app,
        &[
            "regions",
            "enable",
            "--code",
            seed::REGION,
            "--service",
            "Sierologici",
        ],
    )
    .await?;
    // Bounded: the poller runs every 20 ms; a loaded machine gets many times that.
    let mut outcome = None;
    for _ in 0..500 {
        let reply = list_as_region(&app).await;
        outcome = reply.outcome().map(str::to_owned);
        if outcome.as_deref() == Some("0000") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(outcome.as_deref(), Some("0000"));
    Ok(())
}

#[tokio::test]
async fn profile_changes_take_effect_on_the_next_request() -> TestResult {
    // Profiles are read on every request: no poll needed.
    let app = polled_by_hand().await;
    let first = list_as_mmg(&app).await;
    assert_eq!(first.outcome(), Some("0000"), "{}", first.body);

    cli(
        &app,
        &[
            "users",
            "revoke",
            "--as",
            seed::ASL_ADMIN,
            "--user-id",
            MMG.id,
            "--profile",
            Profile::SierologiciMmg.as_str(),
        ],
    )
    .await?;
    let refused = list_as_mmg(&app).await;
    assert_eq!(refused.answer(), (Some("9999"), Some("9001")));

    cli(
        &app,
        &[
            "users",
            "grant",
            "--as",
            seed::ASL_ADMIN,
            "--user-id",
            MMG.id,
            "--profile",
            Profile::SierologiciMmg.as_str(),
        ],
    )
    .await?;
    let allowed = list_as_mmg(&app).await;
    assert_eq!(allowed.outcome(), Some("0000"), "{}", allowed.body);
    Ok(())
}

#[tokio::test]
async fn a_new_password_or_a_disabled_user_ends_the_cached_verification_at_the_next_poll(
) -> TestResult {
    let app = polled_by_hand().await;
    // Verified and remembered.
    for _ in 0..2 {
        let reply = list_as_mmg(&app).await;
        assert_eq!(reply.outcome(), Some("0000"), "{}", reply.body);
    }
    assert!(app.remembers_credentials());

    // A new password, written by another process (no CLI changes passwords yet).
    let pool = sqlx::SqlitePool::connect(&format!(
        "sqlite://{}",
        app.dir.path().join("tsgate.db").display()
    ))
    .await?;
    let new_hash = seed::hash("another password");
    sqlx::query("UPDATE users SET password_hash = ? WHERE user_id = ?")
        .bind(&new_hash)
        .bind(MMG.id)
        .execute(&pool)
        .await?;
    // Until the gateway polls, the remembered verification stands (the documented bound).
    let stale = list_as_mmg(&app).await;
    assert_eq!(stale.outcome(), Some("0000"), "{}", stale.body);
    assert!(poll(&app).await, "the users table changed");
    let refused = list_as_mmg(&app).await;
    assert_eq!(
        refused.outcome(),
        Some("CREDENZIALI_INVALIDE"),
        "the old password still worked: {}",
        refused.body
    );

    // A hash of the same password again (the substitute's: the seeded users share it), then the
    // user disabled.
    let same_password_hash: String =
        sqlx::query_scalar("SELECT password_hash FROM users WHERE user_id = ?")
            .bind(SUBSTITUTE.id)
            .fetch_one(&pool)
            .await?;
    sqlx::query("UPDATE users SET password_hash = ? WHERE user_id = ?")
        .bind(&same_password_hash)
        .bind(MMG.id)
        .execute(&pool)
        .await?;
    assert!(poll(&app).await);
    let allowed = list_as_mmg(&app).await;
    assert_eq!(allowed.outcome(), Some("0000"), "{}", allowed.body);
    let as_admin = |action| {
        [
            "users",
            action,
            "--as",
            seed::ASL_ADMIN,
            "--user-id",
            MMG.id,
        ]
    };
    cli(&app, &as_admin("disable")).await?;
    assert!(poll(&app).await);
    let refused = list_as_mmg(&app).await;
    assert_eq!(
        refused.outcome(),
        Some("CREDENZIALI_INVALIDE"),
        "{}",
        refused.body
    );
    cli(&app, &as_admin("enable")).await?;
    assert!(poll(&app).await);
    let allowed = list_as_mmg(&app).await;
    assert_eq!(allowed.outcome(), Some("0000"), "{}", allowed.body);
    Ok(())
}
