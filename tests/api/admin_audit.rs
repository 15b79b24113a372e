//! Administrative actions in the access log (issue 10 item 6): every command-line action that
//! exists, done or refused, is chained into the same log as the SOAP transactions of a gateway
//! running meanwhile, `tsgate audit show` finds it by actor, target, operation and time, and
//! `tsgate audit verify` still finds the chain intact.

use std::process::Output;

use crate::helpers::{spawn_app, As, TestApp, TestResult, MMG, OPERATOR, SUBSTITUTE};

/// `tsgate <args> --config DIR/tsgate.toml`, as an administrator runs it on the gateway's host;
/// awaited, so the gateway on this test's runtime goes on serving meanwhile.
async fn tsgate(app: &TestApp, args: &[&str]) -> std::io::Result<Output> {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_tsgate"))
        .args(args)
        .arg("--config")
        .arg(app.dir.path().join("tsgate.toml"))
        .env("USER", "auditor")
        .output()
        .await
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The entries `audit show --json <filters>` prints.
async fn show(
    app: &TestApp,
    filters: &[&str],
) -> Result<Vec<serde_json::Value>, crate::helpers::BoxError> {
    let mut args = vec!["audit", "show", "--json"];
    args.extend_from_slice(filters);
    let output = tsgate(app, &args).await?;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(stdout(&output)
        .lines()
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?)
}

fn field<'a>(entry: &'a serde_json::Value, name: &str) -> &'a str {
    entry[name].as_str().unwrap_or_default()
}

#[tokio::test]
async fn every_administrative_action_is_in_audit_show_and_the_chain_stays_intact() -> TestResult {
    let app = spawn_app().await;
    assert_eq!(app.call_catalogue(As::Region).await.status, 200);

    let registry = tempfile::tempdir()?;
    let generated = tokio::process::Command::new(env!("CARGO_BIN_EXE_tsgate"))
        .args(["registry", "generate", "--assistiti", "30", "--out"])
        .arg(registry.path())
        .output()
        .await?;
    assert!(
        generated.status.success(),
        "{}",
        String::from_utf8_lossy(&generated.stderr)
    );
    let registry_dir = registry.path().display().to_string();
    let missing_dir = registry.path().join("nowhere").display().to_string();

    // (arguments, operation, target, done): each action while the gateway runs and answers.
    let actions: Vec<(Vec<&str>, &str, &str, bool)> = vec![
        (
            vec![
                "users",
                "add",
                "--user-id",
                "AUD01",
                "--cf",
                "BNCLRA85M41H501Z",
                "--profile",
                "ASL Numero test",
                "--region",
                "120",
                "--asl",
                "201",
            ],
            "user-create",
            "AUD01",
            true,
        ),
        (
            vec!["users", "add", "--user-id", "AUD02", "--cf", OPERATOR.cf],
            "user-create",
            "AUD02",
            false,
        ),
        (
            vec![
                "users",
                "grant",
                "--user-id",
                "AUD01",
                "--profile",
                "Invio codice OTP",
            ],
            "user-grant",
            "AUD01",
            true,
        ),
        (
            vec![
                "users",
                "grant",
                "--user-id",
                "NOBODY",
                "--profile",
                "Invio codice OTP",
            ],
            "user-grant",
            "NOBODY",
            false,
        ),
        (
            vec![
                "regions",
                "enable",
                "--code",
                "130",
                "--service",
                "Sierologici",
            ],
            "region-enable",
            "130",
            true,
        ),
        (
            vec![
                "regions",
                "disable",
                "--code",
                "130",
                "--service",
                "Sierologici",
            ],
            "region-disable",
            "130",
            true,
        ),
        (
            vec![
                "substitutes",
                "add",
                "--titolare",
                MMG.cf,
                "--substitute",
                "BNCLRA85M41H501Z",
                "--from",
                "2020-09-01",
                "--to",
                "2020-09-30",
            ],
            "substitute-add",
            "BNCLRA85M41H501Z",
            true,
        ),
        (
            vec![
                "substitutes",
                "add",
                "--titolare",
                SUBSTITUTE.cf,
                "--substitute",
                MMG.cf,
                "--from",
                "2020-09-01",
                "--to",
                "2020-09-30",
            ],
            "substitute-add",
            MMG.cf,
            false,
        ),
        (
            vec![
                "substitutes",
                "revoke",
                "--titolare",
                MMG.cf,
                "--substitute",
                "BNCLRA85M41H501Z",
            ],
            "substitute-revoke",
            "BNCLRA85M41H501Z",
            true,
        ),
        (
            vec!["registry", "import", "--from", &registry_dir],
            "registry-import",
            &registry_dir,
            true,
        ),
        (
            vec!["registry", "import", "--from", &missing_dir],
            "registry-import",
            &missing_dir,
            false,
        ),
        (vec!["purge"], "purge", "", true),
    ];
    let mut printed = String::new();
    for (args, _, _, done) in &actions {
        let output = tsgate(&app, args).await?;
        printed.push_str(&stdout(&output));
        assert_eq!(
            output.status.success(),
            *done,
            "{args:?}: {}{}",
            stdout(&output),
            String::from_utf8_lossy(&output.stderr)
        );
        // The gateway keeps answering, its entries interleaved with the command line's.
        assert_eq!(app.call_catalogue(As::Region).await.status, 200);
    }

    let logged = show(&app, &["--actor", "auditor"]).await?;
    assert_eq!(logged.len(), actions.len(), "{logged:#?}");
    for ((args, operation, target, done), entry) in actions.iter().zip(&logged) {
        assert_eq!(
            (
                field(entry, "caller_kind"),
                field(entry, "service"),
                field(entry, "operation"),
                entry["target"].as_str().unwrap_or(""),
            ),
            ("cli", "admin", *operation, *target),
            "{args:?}"
        );
        let outcome = field(entry, "outcome");
        assert_eq!(outcome == "ok", *done, "{args:?}: {outcome}");
        assert!(*done || outcome.starts_with("refused: "), "{outcome}");
        assert!(entry["at_ms"].as_i64().is_some_and(|ms| ms > 0));
        assert!(entry["client_address"].is_null(), "a local action");
    }
    // No secret in any of it: the generated password and pincode are printed, never logged.
    let everything = stdout(&tsgate(&app, &["audit", "show", "--json"]).await?);
    for secret in ["password=", "pincode="] {
        let value = printed
            .lines()
            .find_map(|line| line.strip_prefix(secret))
            .ok_or(secret)?;
        assert!(!everything.contains(value), "{secret} logged");
    }

    // As an auditor asks: on whom, which operation, which period.
    let on_aud01 = show(&app, &["--target", "AUD01"]).await?;
    assert_eq!(
        on_aud01
            .iter()
            .map(|e| field(e, "operation"))
            .collect::<Vec<_>>(),
        ["user-create", "user-grant"]
    );
    let grants = show(&app, &["--operation", "user-grant", "--target", "NOBODY"]).await?;
    assert_eq!(grants.len(), 1);
    assert!(field(&grants[0], "outcome").contains("no user 'NOBODY'"));
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    assert_eq!(
        show(
            &app,
            &["--actor", "auditor", "--from", &today, "--to", &today]
        )
        .await?
        .len(),
        actions.len()
    );
    assert!(show(&app, &["--actor", "auditor", "--to", "2020-01-01"])
        .await?
        .is_empty());
    let text = stdout(&tsgate(&app, &["audit", "show", "--operation", "region-disable"]).await?);
    assert!(
        text.contains("cli auditor\tadmin region-disable\t130\tok\tservice Sierologici"),
        "{text}"
    );

    // Everything the gateway and the command line wrote is one intact chain.
    let verify = tsgate(&app, &["audit", "verify"]).await?;
    assert!(verify.status.success(), "{}", stdout(&verify));
    let entries = app.access_log().await.len();
    assert!(
        stdout(&verify).contains(&format!("{entries} entries")),
        "{}",
        stdout(&verify)
    );
    Ok(())
}

#[test]
fn audit_show_refuses_a_malformed_or_reversed_period() -> TestResult {
    let dir = tempfile::tempdir()?;
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_tsgate"))
            .args(["audit", "show", "--dir"])
            .arg(dir.path())
            .args(args)
            .output()
    };
    let malformed = run(&["--from", "30/11/2026"])?;
    assert!(!malformed.status.success());
    assert!(
        String::from_utf8_lossy(&malformed.stderr).contains(
            "'30/11/2026' is neither a time (2026-11-30T08:00:00Z) nor a day (2026-11-30)"
        ),
        "{}",
        String::from_utf8_lossy(&malformed.stderr)
    );
    let reversed = run(&["--from", "2026-11-30", "--to", "2026-11-01"])?;
    assert!(!reversed.status.success());
    assert!(String::from_utf8_lossy(&reversed.stderr).contains("--from must be before --to"));
    Ok(())
}
