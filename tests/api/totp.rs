//! Operators' TOTP second factor (issue #10, item 9): enrolled through the CLI binary with a code
//! computed here from the secret it prints; `required` keeps an unenrolled operator out with
//! `SECONDO_FATTORE_DA_ATTIVARE` (after the full check); each code serves once for a person,
//! once per step for software (`auth.totp_on_soap`); a wrong code counts toward the lockout and
//! is answered like a wrong password, the credential cache notwithstanding; an ASL administrator
//! resets it for their own operators only, audited.

use std::process::{Output, Stdio};

use chrono::Utc;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tsgate::config::TotpMode;
use tsgate::identity::totp::{step_at, TotpSecret};

use crate::helpers::{basic, seed, spawn_app_with, Reply, TestApp, TestResult};
use crate::helpers::{ASL_OPERATOR, OPERATOR};

const TOTP_HEADER: &str = "X-TSGate-TOTP";

/// A gateway with `auth.totp = mode` and `auth.totp_on_soap = on_soap`.
async fn app_with(mode: TotpMode, on_soap: bool, max_failures: u32) -> TestApp {
    spawn_app_with(|config| {
        config.auth.totp = mode;
        config.auth.totp_on_soap = on_soap;
        config.auth.max_failures = max_failures;
    })
    .await
}

/// `tsgate <args> --config <the app's>` with `env`, the secret variables cleared otherwise.
fn command(app: &TestApp, args: &[&str], env: &[(&str, &str)]) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_tsgate"));
    command
        .args(args)
        .arg("--config")
        .arg(app.dir.path().join("tsgate.toml"));
    for var in [
        "TSGATE_ADMIN_PASSWORD",
        "TSGATE_PASSWORD",
        "TSGATE_NEW_PASSWORD",
        "TSGATE_TOTP",
    ] {
        command.env_remove(var);
    }
    command.envs(env.iter().copied());
    command
}

async fn tsgate(app: &TestApp, args: &[&str], env: &[(&str, &str)]) -> Output {
    command(app, args, env)
        .stdin(Stdio::null())
        .output()
        .await
        .expect("tsgate runs")
}

fn text(output: &Output) -> (bool, String, String) {
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// What an enrollment printed, and the secret it showed.
struct Enrolled {
    ok: bool,
    stdout: String,
    stderr: String,
    secret: Option<TotpSecret>,
    /// The step of the code given to confirm it.
    step: i64,
}

/// Runs `args` as an operator would: reads the secret the command prints, and types the code an
/// app would show for it now (or `wrong` instead).
async fn enroll_with(
    app: &TestApp,
    args: &[&str],
    env: &[(&str, &str)],
    wrong: Option<&str>,
) -> Enrolled {
    let mut child = command(app, args, env)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tsgate runs");
    let mut stdin = child.stdin.take().expect("stdin");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut stdout = String::new();
    let mut secret = None;
    let mut step = 0;
    while let Some(line) = lines.next_line().await.expect("stdout") {
        stdout.push_str(&line);
        stdout.push('\n');
        if let Some(base32) = line.strip_prefix("totp-secret=") {
            let shown = TotpSecret::from_base32(base32).expect("a base32 secret");
            step = step_at(Utc::now().timestamp());
            let code = wrong.map_or_else(|| shown.code(step), str::to_owned);
            stdin
                .write_all(format!("{code}\n").as_bytes())
                .await
                .expect("code typed");
            secret = Some(shown);
        }
    }
    drop(stdin);
    let output = child.wait_with_output().await.expect("tsgate ends");
    Enrolled {
        ok: output.status.success(),
        stdout,
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        secret,
        step,
    }
}

/// `users totp enroll` for `user_id` (whose password is the seeded one).
async fn enroll(app: &TestApp, user_id: &str) -> Enrolled {
    enroll_with(
        app,
        &["users", "totp", "enroll", "--user-id", user_id],
        &[("TSGATE_PASSWORD", seed::PASSWORD)],
        None,
    )
    .await
}

/// The catalogue call with the seeded pincode as `user_id`, with `code` in `X-TSGate-TOTP`.
async fn catalogue(app: &TestApp, user_id: &str, password: &str, code: Option<&str>) -> Reply {
    let mut request = app
        .request("servizi/ElencoServizi-pincode.xml")
        .content_type("text/xml")
        .header("Authorization", &basic(user_id, password));
    if let Some(code) = code {
        request = request.header(TOTP_HEADER, code);
    }
    request.try_send().await.expect("an answer")
}

fn bad_credentials(reply: &Reply) -> bool {
    (reply.status, reply.outcome()) == (500, Some("CREDENZIALI_INVALIDE"))
}

fn must_enroll(reply: &Reply) -> bool {
    (reply.status, reply.outcome()) == (403, Some("SECONDO_FATTORE_DA_ATTIVARE"))
        && reply
            .fault_reason()
            .is_some_and(|r| r.starts_with("Secondo fattore da attivare"))
}

/// `users show --json` of `user_id`, as their ASL's administrator.
async fn shown(app: &TestApp, user_id: &str) -> serde_json::Value {
    let output = tsgate(
        app,
        &[
            "users",
            "show",
            "--as",
            seed::ASL_ADMIN,
            "--user-id",
            user_id,
            "--json",
        ],
        &[("TSGATE_ADMIN_PASSWORD", seed::PASSWORD)],
    )
    .await;
    let (ok, stdout, stderr) = text(&output);
    assert!(ok, "{stderr}");
    serde_json::from_str(&stdout).expect("JSON")
}

#[tokio::test]
async fn required_keeps_an_operator_out_until_enrolled_then_each_code_serves_once() -> TestResult {
    let app = app_with(TotpMode::Required, true, 10).await;

    // Right password and pincode, no TOTP yet: the specific Fault, logged; a wrong password
    // still learns nothing.
    let refused = catalogue(&app, OPERATOR.id, seed::PASSWORD, None).await;
    assert!(must_enroll(&refused), "{}", refused.body);
    let logged = app.logged(&refused).await;
    assert_eq!(
        (logged.outcome.as_str(), logged.caller_id.as_str()),
        ("fault_secondo_fattore_da_attivare", OPERATOR.id)
    );
    assert!(bad_credentials(
        &catalogue(&app, OPERATOR.id, "sbagliata", None).await
    ));
    let download = app
        .download_with_password(ASL_OPERATOR.id, seed::PASSWORD)
        .await;
    assert_eq!(download.status, 403, "{}", download.body);
    assert!(download.body.starts_with("Secondo fattore da attivare"));

    // A wrong code at enrollment leaves it unconfirmed: still refused.
    let failed = enroll_with(
        &app,
        &["users", "totp", "enroll", "--user-id", OPERATOR.id],
        &[("TSGATE_PASSWORD", seed::PASSWORD)],
        Some("000000x"),
    )
    .await;
    assert!(
        !failed.ok && failed.stderr.contains("wrong TOTP code"),
        "{}",
        failed.stderr
    );
    assert_eq!(shown(&app, OPERATOR.id).await["totp_enrolled"], false);
    assert!(must_enroll(
        &catalogue(&app, OPERATOR.id, seed::PASSWORD, None).await
    ));

    let enrolled = enroll(&app, OPERATOR.id).await;
    assert!(enrolled.ok, "{}{}", enrolled.stdout, enrolled.stderr);
    let secret = enrolled.secret.expect("a secret shown");
    assert!(
        enrolled.stdout.contains(&format!(
            "totp-uri=otpauth://totp/tsgate:{}?secret=",
            OPERATOR.id
        )),
        "{}",
        enrolled.stdout
    );
    assert_eq!(shown(&app, OPERATOR.id).await["totp_enrolled"], true);
    // The secret is shown once: in no output since, nor in the database in clear.
    let (_, show_text, _) = text(
        &tsgate(
            &app,
            &[
                "users",
                "show",
                "--as",
                seed::ASL_ADMIN,
                "--user-id",
                OPERATOR.id,
            ],
            &[("TSGATE_ADMIN_PASSWORD", seed::PASSWORD)],
        )
        .await,
    );
    assert!(show_text.contains("totp:     enrolled"), "{show_text}");
    let base32 = secret.to_base32();
    assert!(!show_text.contains(base32.as_str()));
    let stored = app.store().totp().totp(OPERATOR.id).await?.expect("a row");
    assert!(!stored.sealed_secret.contains(base32.as_str()));

    // A person (the CLI): the confirming code again is a replay, refused; the next step's is
    // good. Each refusal is the usual one.
    let n = enrolled.step;
    let passwd = |code: String| {
        let app = &app;
        async move {
            text(
                &tsgate(
                    app,
                    &["users", "passwd", "--user-id", OPERATOR.id],
                    &[
                        ("TSGATE_PASSWORD", seed::PASSWORD),
                        ("TSGATE_NEW_PASSWORD", "Secondo-Fattore-2026"),
                        ("TSGATE_TOTP", &code),
                    ],
                )
                .await,
            )
        }
    };
    let (ok, _, stderr) = passwd(secret.code(n)).await;
    assert!(
        !ok && stderr.contains("wrong user id or current password"),
        "{stderr}"
    );
    let (ok, stdout, stderr) = passwd(secret.code(n + 1)).await;
    assert!(ok, "{stdout}{stderr}");
    let password = "Secondo-Fattore-2026";

    // users pincode signs in the same way: no code (nothing on standard input), or a used one,
    // is refused as a wrong password.
    let pincode = |code: Option<String>| {
        let app = &app;
        async move {
            let mut env = vec![("TSGATE_PASSWORD", password)];
            if let Some(code) = &code {
                env.push(("TSGATE_TOTP", code.as_str()));
            }
            text(&tsgate(app, &["users", "pincode", "--user-id", OPERATOR.id], &env).await)
        }
    };
    let (ok, _, stderr) = pincode(None).await;
    assert!(
        !ok && stderr.contains("wrong user id or password"),
        "{stderr}"
    );
    let (ok, _, stderr) = pincode(Some(secret.code(n + 1))).await;
    assert!(
        !ok && stderr.contains("wrong user id or password"),
        "{stderr}"
    );

    // Software (SOAP, auth.totp_on_soap): the code is due on every call, the credential cache
    // notwithstanding; within its step it serves a burst; an earlier step's never.
    let code = secret.code(n + 1);
    for _ in 0..3 {
        let reply = catalogue(&app, OPERATOR.id, password, Some(&code)).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    assert!(app.remembers_credentials());
    assert!(bad_credentials(
        &catalogue(&app, OPERATOR.id, password, None).await
    ));
    assert!(bad_credentials(
        &catalogue(&app, OPERATOR.id, password, Some(&secret.code(n))).await
    ));
    assert!(bad_credentials(
        &catalogue(&app, OPERATOR.id, password, Some("12345")).await
    ));
    Ok(())
}

#[tokio::test]
async fn a_registered_operator_enrolls_at_first_login_with_passwd() -> TestResult {
    let app = app_with(TotpMode::Required, false, 5).await;
    let (ok, stdout, stderr) = text(
        &tsgate(
            &app,
            &[
                "users",
                "add",
                "--as",
                seed::ASL_ADMIN,
                "--user-id",
                "NUOVO02",
                "--cf",
                "BNCLRA85M41H501Z",
            ],
            &[("TSGATE_ADMIN_PASSWORD", seed::PASSWORD)],
        )
        .await,
    );
    assert!(ok, "{stderr}");
    let printed = |name: &str, stdout: &str| {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .unwrap_or_else(|| panic!("no {name} in {stdout}"))
            .to_owned()
    };
    let initial = printed("password=", &stdout);
    let first_half = printed("pincode_first_half=", &stdout);

    // First login: the password changed, then the second factor enrolled, in one command.
    let new = "Primo-Accesso-2026";
    let changed = enroll_with(
        &app,
        &["users", "passwd", "--user-id", "NUOVO02"],
        &[("TSGATE_PASSWORD", &initial), ("TSGATE_NEW_PASSWORD", new)],
        None,
    )
    .await;
    assert!(changed.ok, "{}{}", changed.stdout, changed.stderr);
    assert!(changed.stdout.contains("password of user NUOVO02 changed"));
    assert!(changed.stdout.contains("TOTP of user NUOVO02 enrolled"));
    let secret = changed.secret.expect("a secret shown");

    // "Stampa pincode" now asks for the code too.
    let (ok, stdout, stderr) = text(
        &tsgate(
            &app,
            &["users", "pincode", "--user-id", "NUOVO02"],
            &[
                ("TSGATE_PASSWORD", new),
                ("TSGATE_TOTP", &secret.code(changed.step + 1)),
            ],
        )
        .await,
    );
    assert!(ok, "{stderr}");
    let pincode = format!("{first_half}{}", printed("pincode_second_half=", &stdout));

    // auth.totp_on_soap is off: the pincode is the software's second factor, no header needed.
    let reply = app
        .request("servizi/ElencoServizi-pincode.xml")
        .content_type("text/xml")
        .header("Authorization", &basic("NUOVO02", new))
        .pincode(&pincode)
        .try_send()
        .await
        .expect("an answer");
    assert_eq!(reply.status, 200, "{}", reply.body);
    Ok(())
}

#[tokio::test]
async fn wrong_codes_lock_the_account_like_wrong_passwords() -> TestResult {
    let app = app_with(TotpMode::Optional, true, 3).await;
    // Optional: not enrolled, no code asked.
    assert_eq!(
        catalogue(&app, OPERATOR.id, seed::PASSWORD, None)
            .await
            .status,
        200
    );
    let enrolled = enroll(&app, OPERATOR.id).await;
    assert!(enrolled.ok, "{}", enrolled.stderr);
    let secret = enrolled.secret.expect("secret");
    let good = secret.code(enrolled.step);
    let reply = catalogue(&app, OPERATOR.id, seed::PASSWORD, Some(&good)).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let wrong = if good == "000000" { "111111" } else { "000000" };
    let before = app.metric("tsgate_account_lockouts_total");
    for _ in 0..3 {
        let reply = catalogue(&app, OPERATOR.id, seed::PASSWORD, Some(wrong)).await;
        assert!(bad_credentials(&reply), "{}", reply.body);
    }
    assert_eq!(app.metric("tsgate_account_lockouts_total"), before + 1.0);
    // Locked: the right password and code are refused too, as a wrong password is.
    assert!(bad_credentials(
        &catalogue(&app, OPERATOR.id, seed::PASSWORD, Some(&good)).await
    ));
    let count = app.store().credential_failures().count(OPERATOR.id).await?;
    assert!(count.locked_at(Utc::now()), "{count:?}");
    Ok(())
}

#[tokio::test]
async fn reset_totp_is_scoped_to_the_operators_asl_and_audited() -> TestResult {
    let app = app_with(TotpMode::Required, false, 5).await;
    let enrolled = enroll(&app, OPERATOR.id).await;
    assert!(enrolled.ok, "{}", enrolled.stderr);
    assert_eq!(
        catalogue(&app, OPERATOR.id, seed::PASSWORD, None)
            .await
            .status,
        200
    );
    let reset = |admin: &'static str| {
        let app = &app;
        async move {
            text(
                &tsgate(
                    app,
                    &[
                        "users",
                        "reset-totp",
                        "--as",
                        admin,
                        "--user-id",
                        OPERATOR.id,
                    ],
                    &[("TSGATE_ADMIN_PASSWORD", seed::PASSWORD)],
                )
                .await,
            )
        }
    };
    let (ok, _, stderr) = reset(seed::OTHER_ASL_ADMIN).await;
    assert!(!ok, "ASL 202's administrator may not: {stderr}");
    assert_eq!(shown(&app, OPERATOR.id).await["totp_enrolled"], true);
    let (ok, stdout, stderr) = reset(seed::ASL_ADMIN).await;
    assert!(ok && stdout.contains("reset"), "{stderr}");
    assert_eq!(shown(&app, OPERATOR.id).await["totp_enrolled"], false);
    assert!(must_enroll(
        &catalogue(&app, OPERATOR.id, seed::PASSWORD, None).await
    ));

    let (ok, stdout, stderr) = text(
        &tsgate(
            &app,
            &["audit", "show", "--json", "--operation", "user-reset-totp"],
            &[],
        )
        .await,
    );
    assert!(ok, "{stderr}");
    let entries: Vec<serde_json::Value> = stdout
        .lines()
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    let seen: Vec<(String, String, String)> = entries
        .iter()
        .map(|e| {
            (
                e["caller_id"].as_str().unwrap_or_default().to_owned(),
                e["target"].as_str().unwrap_or_default().to_owned(),
                e["outcome"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!(
        (seen[0].0.as_str(), seen[0].1.as_str()),
        (seed::OTHER_ASL_ADMIN, OPERATOR.id)
    );
    assert!(seen[0].2.starts_with("refused: "), "{seen:?}");
    assert_eq!(
        (seen[1].0.as_str(), seen[1].1.as_str(), seen[1].2.as_str()),
        (seed::ASL_ADMIN, OPERATOR.id, "ok")
    );
    Ok(())
}
