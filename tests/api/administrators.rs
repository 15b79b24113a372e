//! Administrators as the command line meets them (issue #10, items 5 and 1): their failed
//! passwords lock them as operators' do (`auth.max_failures`, the same refusal while locked), a
//! central administrator unlocks them (`tsgate admins unlock`), and all of it is in `audit
//! show`; an operator registered before ASL scoping (no ASL, so nobody's) is given one by a
//! central administrator only (`tsgate users assign-asl`), after which that ASL's administrator,
//! and no other, administers them.

use std::process::Output;

use tsgate::domain::CodiceFiscale;
use tsgate::store::UserRecord;

use crate::helpers::{seed, spawn_app_with, TestApp, TestResult};

const MAX_FAILURES: u32 = 3;

/// `tsgate <args>` with `password` as the acting administrator's: (success, stdout, stderr).
async fn run(app: &TestApp, password: &str, args: &[&str]) -> (bool, String, String) {
    let output: Output = app.cli(args, &[("TSGATE_ADMIN_PASSWORD", password)]).await;
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// `audit show --json <filters>`, one JSON value per entry.
async fn audit(app: &TestApp, filters: &[&str]) -> Vec<serde_json::Value> {
    let mut args = vec!["audit", "show", "--json"];
    args.extend_from_slice(filters);
    let (ok, out, err) = run(app, "", &args).await;
    assert!(ok, "{err}");
    out.lines()
        .map(|line| serde_json::from_str(line).expect("JSON"))
        .collect()
}

#[tokio::test]
async fn failed_passwords_lock_an_administrator_until_a_central_one_unlocks_them() -> TestResult {
    let app = spawn_app_with(|config| config.auth.max_failures = MAX_FAILURES).await;
    let list = ["users", "list", "--as", seed::ASL_ADMIN];
    for _ in 0..MAX_FAILURES {
        let (ok, _, err) = run(&app, "sbagliata", &list).await;
        assert!(
            !ok && err.contains("invalid administrator id or password"),
            "{err}"
        );
    }
    // Locked: the right password gets the very same answer.
    let (ok, _, err) = run(&app, seed::PASSWORD, &list).await;
    assert!(
        !ok && err.contains("invalid administrator id or password"),
        "{err}"
    );

    // Only a central administrator unlocks.
    let unlock_as = |admin: &'static str| {
        [
            "admins",
            "unlock",
            "--as",
            admin,
            "--admin-id",
            seed::ASL_ADMIN,
        ]
    };
    let (ok, _, err) = run(&app, seed::PASSWORD, &unlock_as(seed::OTHER_ASL_ADMIN)).await;
    assert!(
        !ok && err.contains("only the central security administrator does"),
        "{err}"
    );
    let (ok, out, err) = run(&app, seed::PASSWORD, &unlock_as(seed::CENTRAL_ADMIN)).await;
    assert!(ok, "{err}");
    assert!(
        out.contains(&format!(
            "administrator {} unlocked (it was locked until",
            seed::ASL_ADMIN
        )) && out.contains(&format!("after {} failed attempts", MAX_FAILURES + 1)),
        "{out}"
    );
    let (ok, _, err) = run(&app, seed::PASSWORD, &list).await;
    assert!(ok, "unlocked: {err}");

    // In the log: each refusal under the id claimed, the locking one saying so, the unlocks.
    let refusals = audit(
        &app,
        &[
            "--operation",
            "admin-authenticate",
            "--actor",
            seed::ASL_ADMIN,
        ],
    )
    .await;
    assert_eq!(refusals.len(), (MAX_FAILURES + 1) as usize, "{refusals:#?}");
    let locking = &refusals[(MAX_FAILURES - 1) as usize];
    assert!(
        locking["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("locked until")),
        "{locking}"
    );
    let unlocks = audit(&app, &["--operation", "admin-unlock"]).await;
    let unlocks: Vec<(&str, &str)> = unlocks
        .iter()
        .map(|e| {
            (
                e["caller_id"].as_str().unwrap_or_default(),
                e["outcome"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(unlocks.len(), 2, "{unlocks:?}");
    assert!(unlocks[0].0 == seed::OTHER_ASL_ADMIN && unlocks[0].1.starts_with("refused"));
    assert_eq!(unlocks[1], (seed::CENTRAL_ADMIN, "ok"));
    Ok(())
}

#[tokio::test]
async fn only_a_central_administrator_gives_an_asl_to_a_user_without_one() -> TestResult {
    let app = spawn_app_with(|_| {}).await;
    let orphan = UserRecord {
        user_id: "ORFANO01".into(),
        cf: CodiceFiscale::parse("BNCLRA85M41H501Z")?,
        display_name: "Laura Bianchi".into(),
        password_hash: seed::hash(seed::PASSWORD),
        pincode_hash: seed::hash(crate::helpers::PINCODE),
        asl: None,
        region: None,
        enabled: true,
        details: Default::default(),
        last_access: None,
    };
    app.store().directory().add_user(&orphan).await?;
    let on_orphan = |action: &'static str, admin: &'static str| {
        vec!["users", action, "--as", admin, "--user-id", "ORFANO01"]
    };
    let assign = |admin: &'static str, asl: &'static str| {
        let mut args = on_orphan("assign-asl", admin);
        args.extend(["--region", "120", "--asl", asl]);
        args
    };
    // Nobody's: no ASL administrator may act on them.
    let (ok, _, err) = run(&app, seed::PASSWORD, &on_orphan("show", seed::ASL_ADMIN)).await;
    assert!(!ok && err.contains("(no ASL)"), "{err}");
    let (ok, _, err) = run(&app, seed::PASSWORD, &assign(seed::ASL_ADMIN, "201")).await;
    assert!(
        !ok && err.contains("only the central security administrator does"),
        "{err}"
    );
    let (ok, _, err) = run(&app, seed::PASSWORD, &assign(seed::CENTRAL_ADMIN, "2O1")).await;
    assert!(
        !ok && err.contains("--asl: ASL code must be exactly 3 digits"),
        "{err}"
    );

    let (ok, out, err) = run(&app, seed::PASSWORD, &assign(seed::CENTRAL_ADMIN, "201")).await;
    assert!(ok, "{err}");
    assert!(
        out.contains("user ORFANO01 assigned to ASL 201 of region 120"),
        "{out}"
    );
    let (ok, out, err) = run(&app, seed::PASSWORD, &on_orphan("show", seed::ASL_ADMIN)).await;
    assert!(ok && out.contains("asl:      201"), "{out}{err}");
    let (ok, _, err) = run(
        &app,
        seed::PASSWORD,
        &on_orphan("show", seed::OTHER_ASL_ADMIN),
    )
    .await;
    assert!(
        !ok && err.contains("may not act on user 'ORFANO01'"),
        "{err}"
    );
    // Once only: moving an operator between ASLs is not this.
    let (ok, _, err) = run(&app, seed::PASSWORD, &assign(seed::CENTRAL_ADMIN, "202")).await;
    assert!(
        !ok && err.contains("belongs to ASL 201 of region 120 already"),
        "{err}"
    );

    let logged = audit(
        &app,
        &["--operation", "user-assign-asl", "--target", "ORFANO01"],
    )
    .await;
    let logged: Vec<(&str, bool)> = logged
        .iter()
        .map(|e| {
            (
                e["caller_id"].as_str().unwrap_or_default(),
                e["outcome"] == "ok",
            )
        })
        .collect();
    assert_eq!(
        logged,
        vec![
            (seed::ASL_ADMIN, false),
            (seed::CENTRAL_ADMIN, true),
            (seed::CENTRAL_ADMIN, false),
        ]
    );
    Ok(())
}
