//! Administrative actions in the access log (issue 10 item 6): every command-line action that
//! exists, done or refused, is chained into the same log as the SOAP transactions of a gateway
//! running meanwhile, `tsgate audit show` finds it by actor, target, operation and time, and
//! `tsgate audit verify` still finds the chain intact.

use std::process::Output;

use crate::helpers::{seed, spawn_app, As, BoxError, TestApp, TestResult, MMG, SUBSTITUTE};

/// `tsgate <args> --config DIR/tsgate.toml`, as an administrator runs it on the gateway's host
/// (as OS user `auditor`, with `password` in `TSGATE_ADMIN_PASSWORD`); awaited, so the gateway on
/// this test's runtime goes on serving meanwhile.
async fn tsgate(app: &TestApp, password: Option<&str>, args: &[&str]) -> std::io::Result<Output> {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_tsgate"));
    command
        .args(args)
        .arg("--config")
        .arg(app.dir.path().join("tsgate.toml"))
        .env("USER", "auditor")
        .env_remove("TSGATE_ADMIN_PASSWORD");
    if let Some(password) = password {
        command.env("TSGATE_ADMIN_PASSWORD", password);
    }
    command.output().await
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The entries `audit show --json <filters>` prints.
async fn show(app: &TestApp, filters: &[&str]) -> Result<Vec<serde_json::Value>, BoxError> {
    let mut args = vec!["audit", "show", "--json"];
    args.extend_from_slice(filters);
    let output = tsgate(app, None, &args).await?;
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

/// One administrative command and what the log must say of it.
struct Step<'a> {
    args: Vec<&'a str>,
    password: Option<String>,
    /// `caller_kind caller_id`, as `audit show` names the actor.
    actor: &'a str,
    operation: &'a str,
    target: &'a str,
    done: bool,
}

fn step<'a>(
    args: &[&'a str],
    password: Option<&str>,
    actor: &'a str,
    operation: &'a str,
    target: &'a str,
    done: bool,
) -> Step<'a> {
    Step {
        args: args.to_vec(),
        password: password.map(str::to_owned),
        actor,
        operation,
        target,
        done,
    }
}

const NEW_OPERATOR_CF: &str = "BNCLRA85M41H501Z";
const CENTRAL_CF: &str = "GLLLRA70M41H501E";
const ASL_ADMIN_CF: &str = "FRRMRC75P12H501H";

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

    // The seeded administrators act (their password is the seed's); the bootstrap is refused,
    // one central administrator existing already.
    let mut printed = String::new();
    let (central, asl) = (Some(seed::PASSWORD), Some(seed::PASSWORD));
    let by_asl = "administrator ADMIN201";
    let cli = "cli auditor";
    let by_central = "administrator ADMINCENTRALE";
    let steps = [
        // The first bootstrap of this database (the seed added administrators directly), then
        // a second one, refused.
        step(
            &[
                "admin",
                "bootstrap",
                "--admin-id",
                "CENTRALE2",
                "--cf",
                CENTRAL_CF,
            ],
            None,
            cli,
            "admin-bootstrap",
            "CENTRALE2",
            true,
        ),
        step(
            &[
                "admin",
                "bootstrap",
                "--admin-id",
                "CENTRALE2",
                "--cf",
                CENTRAL_CF,
            ],
            None,
            cli,
            "admin-bootstrap",
            "CENTRALE2",
            false,
        ),
        step(
            &[
                "admins",
                "add",
                "--as",
                "ADMINCENTRALE",
                "--admin-id",
                "ADMIN203",
                "--cf",
                ASL_ADMIN_CF,
                "--region",
                "120",
                "--asl",
                "203",
            ],
            central,
            by_central,
            "admin-create",
            "ADMIN203",
            true,
        ),
        step(
            &[
                "users",
                "add",
                "--as",
                "ADMIN201",
                "--user-id",
                "AUD01",
                "--cf",
                NEW_OPERATOR_CF,
                "--profile",
                "ASL Numero test",
            ],
            asl,
            by_asl,
            "user-create",
            "AUD01",
            true,
        ),
        // Another ASL's operator: refused by the scope, and recorded.
        step(
            &[
                "users",
                "add",
                "--as",
                "ADMIN201",
                "--user-id",
                "AUD02",
                "--cf",
                "VRDLCU75D52H501Z",
                "--asl",
                "202",
            ],
            asl,
            by_asl,
            "user-create",
            "AUD02",
            false,
        ),
        step(
            &[
                "users",
                "edit",
                "--as",
                "ADMIN201",
                "--user-id",
                "AUD01",
                "--name",
                "Laura Bianchi",
            ],
            asl,
            by_asl,
            "user-edit",
            "AUD01",
            true,
        ),
        step(
            &[
                "users",
                "grant",
                "--as",
                "ADMIN201",
                "--user-id",
                "AUD01",
                "--profile",
                "Sistema TS-Invio codice OTP",
            ],
            asl,
            by_asl,
            "user-grant",
            "AUD01",
            true,
        ),
        step(
            &[
                "users",
                "grant",
                "--as",
                "ADMIN201",
                "--user-id",
                "NOBODY",
                "--profile",
                "Sistema TS-Invio codice OTP",
            ],
            asl,
            by_asl,
            "user-grant",
            "NOBODY",
            false,
        ),
        step(
            &[
                "users",
                "revoke",
                "--as",
                "ADMIN201",
                "--user-id",
                "AUD01",
                "--profile",
                "Sistema TS-Invio codice OTP",
            ],
            asl,
            by_asl,
            "user-revoke",
            "AUD01",
            true,
        ),
        step(
            &["users", "disable", "--as", "ADMIN201", "--user-id", "AUD01"],
            asl,
            by_asl,
            "user-disable",
            "AUD01",
            true,
        ),
        step(
            &["users", "enable", "--as", "ADMIN201", "--user-id", "AUD01"],
            asl,
            by_asl,
            "user-enable",
            "AUD01",
            true,
        ),
        step(
            &[
                "users",
                "reset-pincode",
                "--as",
                "ADMIN201",
                "--user-id",
                "AUD01",
            ],
            asl,
            by_asl,
            "user-reset-pincode",
            "AUD01",
            true,
        ),
        // A wrong password: the attempt is recorded under the id it claimed.
        step(
            &["users", "list", "--as", "ADMIN201"],
            Some("wrong"),
            "administrator ADMIN201",
            "admin-authenticate",
            "ADMIN201",
            false,
        ),
        step(
            &[
                "admins",
                "disable",
                "--as",
                "ADMINCENTRALE",
                "--admin-id",
                "ADMIN203",
            ],
            central,
            by_central,
            "admin-disable",
            "ADMIN203",
            true,
        ),
        step(
            &[
                "admins",
                "enable",
                "--as",
                "ADMINCENTRALE",
                "--admin-id",
                "ADMIN203",
            ],
            central,
            by_central,
            "admin-enable",
            "ADMIN203",
            true,
        ),
        step(
            &[
                "regions",
                "enable",
                "--code",
                "130",
                "--service",
                "Sierologici",
            ],
            None,
            cli,
            "region-enable",
            "130",
            true,
        ),
        step(
            &[
                "regions",
                "disable",
                "--code",
                "130",
                "--service",
                "Sierologici",
            ],
            None,
            cli,
            "region-disable",
            "130",
            true,
        ),
        // Authorising is the titolare's, on the web (tests/api/web_medico.rs); the command line
        // keeps list and revoke. Revoking what was never given is refused, and recorded.
        step(
            &[
                "substitutes",
                "revoke",
                "--titolare",
                SUBSTITUTE.cf,
                "--substitute",
                MMG.cf,
            ],
            None,
            cli,
            "substitute-revoke",
            MMG.cf,
            false,
        ),
        step(
            &[
                "substitutes",
                "revoke",
                "--titolare",
                MMG.cf,
                "--substitute",
                SUBSTITUTE.cf,
            ],
            None,
            cli,
            "substitute-revoke",
            SUBSTITUTE.cf,
            true,
        ),
        step(
            &["registry", "import", "--from", &registry_dir],
            None,
            cli,
            "registry-import",
            &registry_dir,
            true,
        ),
        step(
            &["registry", "import", "--from", &missing_dir],
            None,
            cli,
            "registry-import",
            &missing_dir,
            false,
        ),
        step(&["purge"], None, cli, "purge", "", true),
    ];
    for step in &steps {
        let output = tsgate(&app, step.password.as_deref(), &step.args).await?;
        printed.push_str(&stdout(&output));
        assert_eq!(
            output.status.success(),
            step.done,
            "{:?}: {}{}",
            step.args,
            stdout(&output),
            String::from_utf8_lossy(&output.stderr)
        );
        // The gateway keeps answering, its entries interleaved with the command line's.
        assert_eq!(app.call_catalogue(As::Region).await.status, 200);
    }

    let logged = show(&app, &["--admin"]).await?;
    let expected: Vec<&Step> = steps.iter().collect();
    assert_eq!(logged.len(), expected.len(), "{logged:#?}");
    for (step, entry) in expected.iter().zip(&logged) {
        let actor = format!(
            "{} {}",
            field(entry, "caller_kind"),
            field(entry, "caller_id")
        );
        assert_eq!(
            (
                actor.as_str(),
                field(entry, "service"),
                field(entry, "operation"),
                field(entry, "target"),
            ),
            (step.actor, "admin", step.operation, step.target),
            "{:?}",
            step.args
        );
        let outcome = field(entry, "outcome");
        assert_eq!(outcome == "ok", step.done, "{:?}: {outcome}", step.args);
        assert!(step.done || outcome.starts_with("refused: "), "{outcome}");
        assert!(entry["at_ms"].as_i64().is_some_and(|ms| ms > 0));
        assert!(entry["client_address"].is_null(), "a local action");
    }
    // An administrator is named with their CF too.
    assert_eq!(field(&logged[2], "operator_cf"), CENTRAL_CF);
    // No secret in any of it: the generated passwords and pincode halves are printed, never
    // logged (a half is five digits: looked for as a whole number, not inside a timestamp).
    let everything = stdout(&tsgate(&app, None, &["audit", "show", "--json"]).await?);
    let secrets: Vec<&str> = printed
        .lines()
        .filter_map(|line| {
            line.strip_prefix("password=")
                .or(line.strip_prefix("pincode_first_half="))
        })
        .collect();
    assert!(secrets.len() >= 3, "{printed}");
    let numbers: Vec<&str> = everything
        .split(|c: char| !c.is_ascii_digit())
        .filter(|n| !n.is_empty())
        .collect();
    for secret in secrets {
        let logged = if secret.bytes().all(|b| b.is_ascii_digit()) {
            numbers.contains(&secret)
        } else {
            everything.contains(secret)
        };
        assert!(!logged, "a secret is logged");
    }

    // As an auditor asks: who, on whom, which operation, which period.
    let on_aud01 = show(&app, &["--target", "AUD01"]).await?;
    assert_eq!(
        on_aud01
            .iter()
            .map(|e| field(e, "operation"))
            .collect::<Vec<_>>(),
        [
            "user-create",
            "user-edit",
            "user-grant",
            "user-revoke",
            "user-disable",
            "user-enable",
            "user-reset-pincode"
        ]
    );
    let central_acts = show(&app, &["--actor", "ADMINCENTRALE"]).await?;
    assert_eq!(central_acts.len(), 3, "{central_acts:#?}");
    // The seeded administrators share one CF: it finds what all of them did.
    assert_eq!(show(&app, &["--actor", CENTRAL_CF]).await?.len(), 12);
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
        9
    );
    assert!(show(&app, &["--admin", "--to", "2020-01-01"])
        .await?
        .is_empty());
    let text = stdout(
        &tsgate(
            &app,
            None,
            &["audit", "show", "--operation", "region-disable"],
        )
        .await?,
    );
    assert!(
        text.contains("cli auditor\tadmin region-disable\t130\tok\tservice Sierologici"),
        "{text}"
    );

    // Everything the gateway and the command line wrote is one intact chain.
    let verify = tsgate(&app, None, &["audit", "verify"]).await?;
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
