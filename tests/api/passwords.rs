//! The password lifecycle (issue #10, item 4): an initial password (registration, an
//! administrator's reset) or an expired one gets the Fault `PASSWORD_DA_CAMBIARE` over SOAP (and
//! 403 on the CSV download), but only after the credentials were fully verified; `tsgate users
//! passwd` changes it under the `[auth]` rules, refusing a recent password; only the operator's
//! own ASL administrator may reset it.

use std::process::Output;
use std::time::Duration;

use crate::helpers::{seed, spawn_app, spawn_app_with, Reply, TestApp, TestResult};
use crate::helpers::{ASL_OPERATOR, OPERATOR};

const NEW_USER: &str = "NUOVO01";

/// `tsgate <args> --config <the app's>`, with `env` set and the password variables cleared.
async fn tsgate(app: &TestApp, args: &[&str], env: &[(&str, &str)]) -> Output {
    app.cli(args, env).await
}

fn printed(output: &Output) -> (bool, String, String) {
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn password_in(stdout: &str) -> String {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("password="))
        .unwrap_or_else(|| panic!("no password printed: {stdout}"))
        .to_owned()
}

/// `tsgate users passwd --user-id USER` with the current and new passwords in the environment.
async fn passwd(app: &TestApp, user_id: &str, old: &str, new: &str) -> (bool, String, String) {
    let output = tsgate(
        app,
        &["users", "passwd", "--user-id", user_id],
        &[("TSGATE_PASSWORD", old), ("TSGATE_NEW_PASSWORD", new)],
    )
    .await;
    printed(&output)
}

/// `tsgate users reset-password` as the security administrator `admin`.
async fn reset(app: &TestApp, admin: &str, user_id: &str) -> (bool, String, String) {
    let output = tsgate(
        app,
        &[
            "users",
            "reset-password",
            "--as",
            admin,
            "--user-id",
            user_id,
        ],
        &[("TSGATE_ADMIN_PASSWORD", seed::PASSWORD)],
    )
    .await;
    printed(&output)
}

fn must_change(reply: &Reply) -> bool {
    (reply.status, reply.outcome()) == (403, Some("PASSWORD_DA_CAMBIARE"))
        && reply
            .fault_reason()
            .is_some_and(|r| r.starts_with("Password da cambiare"))
}

fn bad_credentials(reply: &Reply) -> bool {
    (reply.status, reply.outcome()) == (500, Some("CREDENZIALI_INVALIDE"))
}

#[tokio::test]
async fn a_registered_operator_changes_the_initial_password_before_any_call() -> TestResult {
    let app = spawn_app().await;
    let added = tsgate(
        &app,
        &[
            "users",
            "add",
            "--as",
            seed::ASL_ADMIN,
            "--user-id",
            NEW_USER,
            "--cf",
            "BNCLRA85M41H501Z",
        ],
        &[("TSGATE_ADMIN_PASSWORD", seed::PASSWORD)],
    )
    .await;
    let (ok, stdout, stderr) = printed(&added);
    assert!(ok, "{stderr}");
    let initial = password_in(&stdout);
    // The whole pincode, as the operator will have it (the second half read here directly).
    let first_half = stdout
        .lines()
        .find_map(|l| l.strip_prefix("pincode_first_half="))
        .unwrap_or_else(|| panic!("no first half printed: {stdout}"));
    let second_half = app.pincode_second_half(NEW_USER).await.expect("sealed");
    let pincode = format!("{first_half}{second_half}");

    // The right initial password: the specific Fault, logged as such.
    let first = app.catalogue_with(NEW_USER, &initial, &pincode).await;
    assert!(must_change(&first), "{}", first.body);
    assert_eq!(first.fault_code(), Some("soap:Client"));
    let logged = app.logged(&first).await;
    assert_eq!(
        (logged.outcome.as_str(), logged.caller_id.as_str()),
        ("fault_password_da_cambiare", NEW_USER)
    );
    // A wrong one learns nothing of the state: the usual refusal.
    assert!(bad_credentials(
        &app.catalogue_with(NEW_USER, "sbagliata", &pincode).await
    ));

    // passwd: a wrong current password, then the rules, each refused with what is wrong.
    let (ok, _, stderr) = passwd(&app, NEW_USER, "sbagliata", "Primo-Cambio-2026").await;
    assert!(
        !ok && stderr.contains("wrong user id or current password"),
        "{stderr}"
    );
    let (ok, _, stderr) = passwd(&app, NEW_USER, &initial, "Ab-1").await;
    assert!(
        !ok && stderr.contains("too short: at least 12 characters, it has 4"),
        "{stderr}"
    );
    let (ok, _, stderr) = passwd(&app, NEW_USER, &initial, "tuttominuscole").await;
    assert!(
        !ok && stderr.contains("at least 3 of the classes") && stderr.contains("it has 1"),
        "{stderr}"
    );
    assert!(must_change(
        &app.catalogue_with(NEW_USER, &initial, &pincode).await
    ));

    let (ok, stdout, stderr) = passwd(&app, NEW_USER, &initial, "Primo-Cambio-2026").await;
    assert!(ok, "{stderr}");
    assert!(stdout.contains(&format!("password of user {NEW_USER} changed")));
    let after = app
        .catalogue_with(NEW_USER, "Primo-Cambio-2026", &pincode)
        .await;
    assert_eq!(after.status, 200, "{}", after.body);
    app.poll_directory().await;
    assert!(bad_credentials(
        &app.catalogue_with(NEW_USER, &initial, &pincode).await
    ));

    // The last passwords may not come back: the current one, nor the one before it.
    let (ok, _, stderr) = passwd(&app, NEW_USER, "Primo-Cambio-2026", "Primo-Cambio-2026").await;
    assert!(
        !ok && stderr.contains("one of the last 5 passwords"),
        "{stderr}"
    );
    let (ok, _, stderr) = passwd(&app, NEW_USER, "Primo-Cambio-2026", "Secondo-Cambio-2026").await;
    assert!(ok, "{stderr}");
    let (ok, _, stderr) = passwd(&app, NEW_USER, "Secondo-Cambio-2026", "Primo-Cambio-2026").await;
    assert!(
        !ok && stderr.contains("one of the last 5 passwords"),
        "{stderr}"
    );
    Ok(())
}

#[tokio::test]
async fn only_the_operators_asl_administrator_resets_a_password_which_must_change_again(
) -> TestResult {
    let app = spawn_app().await;
    assert_eq!(
        app.download_with_password(ASL_OPERATOR.id, seed::PASSWORD)
            .await
            .status,
        200
    );
    let (ok, _, stderr) = reset(&app, seed::OTHER_ASL_ADMIN, ASL_OPERATOR.id).await;
    assert!(!ok && stderr.contains("may not act on user"), "{stderr}");
    let (ok, stdout, stderr) = reset(&app, seed::ASL_ADMIN, ASL_OPERATOR.id).await;
    assert!(ok, "{stderr}");
    assert!(stdout.contains("must change it at first use"), "{stdout}");
    let new = password_in(&stdout);

    // The verification cached before the reset no longer counts once the version is polled.
    app.poll_directory().await;
    assert_eq!(
        app.download_with_password(ASL_OPERATOR.id, seed::PASSWORD)
            .await
            .status,
        401
    );
    let refused = app.download_with_password(ASL_OPERATOR.id, &new).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(
        refused.body.starts_with("Password da cambiare"),
        "{}",
        refused.body
    );
    assert!(must_change(
        &app.catalogue_with_password(ASL_OPERATOR.id, &new).await
    ));

    let resets: Vec<_> = app
        .access_log()
        .await
        .into_iter()
        .map(|e| e.entry)
        .filter(|e| e.operation == "user-reset-password")
        .map(|e| (e.caller_id, e.target, e.outcome.starts_with("refused")))
        .collect();
    let target = Some(ASL_OPERATOR.id.to_owned());
    assert_eq!(
        resets,
        vec![
            (seed::OTHER_ASL_ADMIN.to_owned(), target.clone(), true),
            (seed::ASL_ADMIN.to_owned(), target, false),
        ]
    );

    let shown = |json: String| -> (bool, bool) {
        let user: serde_json::Value = serde_json::from_str(&json).expect("JSON");
        (
            user["password_must_change"] == serde_json::Value::Bool(true),
            user["password_changed_at"].is_string(),
        )
    };
    let show = [
        "users",
        "show",
        "--as",
        seed::ASL_ADMIN,
        "--user-id",
        ASL_OPERATOR.id,
        "--json",
    ];
    let env = [("TSGATE_ADMIN_PASSWORD", seed::PASSWORD)];
    let (ok, stdout, stderr) = printed(&tsgate(&app, &show, &env).await);
    assert!(ok, "{stderr}");
    assert_eq!(
        shown(stdout),
        (true, true),
        "an initial password, shown as such"
    );

    let (ok, _, stderr) = passwd(&app, ASL_OPERATOR.id, &new, "Scelta-Da-Me-2026").await;
    assert!(ok, "{stderr}");
    let (_, stdout, _) = printed(&tsgate(&app, &show, &env).await);
    assert_eq!(shown(stdout), (false, true));
    assert_eq!(
        app.download_with_password(ASL_OPERATOR.id, "Scelta-Da-Me-2026")
            .await
            .status,
        200
    );
    Ok(())
}

#[tokio::test]
async fn an_expired_password_must_be_changed() -> TestResult {
    const MAX_AGE_SECS: u64 = 8;
    let app = spawn_app_with(|config| {
        config.auth.password_max_age_days = MAX_AGE_SECS as f64 / 86_400.0;
    })
    .await;
    let (ok, _, stderr) = passwd(&app, OPERATOR.id, seed::PASSWORD, "Nuova-Parola-2026").await;
    let changed = std::time::Instant::now();
    assert!(ok, "{stderr}");
    let fresh = app
        .catalogue_with_password(OPERATOR.id, "Nuova-Parola-2026")
        .await;
    assert_eq!(fresh.status, 200, "{}", fresh.body);

    tokio::time::sleep(
        Duration::from_secs(MAX_AGE_SECS) + Duration::from_millis(300)
            - changed.elapsed().min(Duration::from_secs(MAX_AGE_SECS)),
    )
    .await;
    let expired = app
        .catalogue_with_password(OPERATOR.id, "Nuova-Parola-2026")
        .await;
    assert!(must_change(&expired), "{}", expired.body);

    let (ok, _, stderr) = passwd(&app, OPERATOR.id, "Nuova-Parola-2026", "Altra-Parola-2026").await;
    assert!(ok, "{stderr}");
    let renewed = app
        .catalogue_with_password(OPERATOR.id, "Altra-Parola-2026")
        .await;
    assert_eq!(renewed.status, 200, "{}", renewed.body);
    Ok(())
}
