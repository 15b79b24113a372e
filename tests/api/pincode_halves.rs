//! The pincode in two halves (issue #10, item 4; seed 004 §3.2): `tsgate users add` shows the
//! administrator only the first half; the operator changes the initial password (`users
//! passwd`), then reads the second half (`users pincode`); together they authenticate a SOAP
//! call. `users reset-pincode` is for the operator's own ASL administrator, audited, and the old
//! pincode stops working. The second half is sealed in the store: no digits there, and another
//! key does not open it. Without `auth.secrets_key` the gateway serves, and these commands say
//! what is missing.

use std::process::Output;

use crate::helpers::{seed, spawn_app, spawn_app_with, Reply, TestApp, TestResult, OPERATOR};

const NEW_USER: &str = "NUOVO02";
const NEW_CF: &str = "BNCLRA85M41H501Z";
const NEW_PASSWORD: &str = "Scelta-Mia-2026";

/// What a command printed: success, stdout, stderr.
struct Printed {
    ok: bool,
    out: String,
    err: String,
}

fn printed(output: &Output) -> Printed {
    Printed {
        ok: output.status.success(),
        out: String::from_utf8_lossy(&output.stdout).into_owned(),
        err: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The value of the `key=` line `printed` holds.
fn value(printed: &str, key: &str) -> String {
    printed
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .unwrap_or_else(|| panic!("no {key} in: {printed}"))
        .to_owned()
}

fn five_digits(half: &str) -> bool {
    half.len() == 5 && half.bytes().all(|b| b.is_ascii_digit())
}

/// `tsgate users <action> --as <admin> --user-id <user> <extra>`.
async fn as_admin(app: &TestApp, admin: &str, action: &str, user: &str, extra: &[&str]) -> Printed {
    let mut args = vec!["users", action, "--as", admin, "--user-id", user];
    args.extend_from_slice(extra);
    printed(
        &app.cli(&args, &[("TSGATE_ADMIN_PASSWORD", seed::PASSWORD)])
            .await,
    )
}

/// `tsgate users pincode --user-id <user>` with `password`.
async fn second_half(app: &TestApp, user: &str, password: &str) -> Printed {
    printed(
        &app.cli(
            &["users", "pincode", "--user-id", user],
            &[("TSGATE_PASSWORD", password)],
        )
        .await,
    )
}

fn accepted(reply: &Reply) -> bool {
    reply.status == 200 && reply.fault_code().is_none()
}

fn bad_credentials(reply: &Reply) -> bool {
    (reply.status, reply.outcome()) == (500, Some("CREDENZIALI_INVALIDE"))
}

#[tokio::test]
async fn first_half_to_the_administrator_second_half_to_the_operator_after_the_password_change(
) -> TestResult {
    let app = spawn_app().await;
    let choose = as_admin(
        &app,
        seed::ASL_ADMIN,
        "add",
        NEW_USER,
        &["--cf", NEW_CF, "--pincode-env", "SOME_VAR"],
    )
    .await;
    assert!(
        !choose.ok
            && choose
                .err
                .contains("an administrator no longer chooses a pincode"),
        "{}",
        choose.err
    );

    let added = as_admin(&app, seed::ASL_ADMIN, "add", NEW_USER, &["--cf", NEW_CF]).await;
    assert!(added.ok, "{}", added.err);
    let initial = value(&added.out, "password=");
    let first = value(&added.out, "pincode_first_half=");
    assert!(five_digits(&first), "{}", added.out);
    assert!(
        !added.out.contains("pincode="),
        "never whole: {}",
        added.out
    );

    // Not before the initial password is changed; a wrong password is the usual refusal.
    let early = second_half(&app, NEW_USER, &initial).await;
    assert!(
        !early.ok
            && early
                .err
                .contains("change it first with `tsgate users passwd`"),
        "{}",
        early.err
    );
    let wrong = second_half(&app, NEW_USER, "sbagliata").await;
    assert!(
        !wrong.ok && wrong.err.contains("wrong user id or password"),
        "{}",
        wrong.err
    );
    let changed = printed(
        &app.cli(
            &["users", "passwd", "--user-id", NEW_USER],
            &[
                ("TSGATE_PASSWORD", &initial),
                ("TSGATE_NEW_PASSWORD", NEW_PASSWORD),
            ],
        )
        .await,
    );
    assert!(changed.ok, "{}", changed.err);
    let shown = second_half(&app, NEW_USER, NEW_PASSWORD).await;
    assert!(shown.ok, "{}", shown.err);
    let second = value(&shown.out, "pincode_second_half=");
    assert!(five_digits(&second), "{}", shown.out);
    // Shown again on request: it is sealed, not hashed.
    let again = second_half(&app, NEW_USER, NEW_PASSWORD).await;
    assert_eq!(value(&again.out, "pincode_second_half="), second);

    let pincode = format!("{first}{second}");
    let call = app.catalogue_with(NEW_USER, NEW_PASSWORD, &pincode).await;
    assert!(accepted(&call), "{}", call.body);
    assert!(bad_credentials(
        &app.catalogue_with(NEW_USER, NEW_PASSWORD, &first).await
    ));

    // Only the operator's ASL administrator resets it; the refusal is audited.
    let elsewhere = as_admin(&app, seed::OTHER_ASL_ADMIN, "reset-pincode", NEW_USER, &[]).await;
    assert!(
        !elsewhere.ok && elsewhere.err.contains("may not act on user 'NUOVO02'"),
        "{}",
        elsewhere.err
    );
    let reset = as_admin(&app, seed::ASL_ADMIN, "reset-pincode", NEW_USER, &[]).await;
    assert!(reset.ok, "{}", reset.err);
    let new_first = value(&reset.out, "pincode_first_half=");
    assert!(five_digits(&new_first), "{}", reset.out);

    // The verification cached before the reset no longer counts once the version is polled.
    app.poll_directory().await;
    assert!(bad_credentials(
        &app.catalogue_with(NEW_USER, NEW_PASSWORD, &pincode).await
    ));
    let new_second = value(
        &second_half(&app, NEW_USER, NEW_PASSWORD).await.out,
        "pincode_second_half=",
    );
    let renewed = app
        .catalogue_with(NEW_USER, NEW_PASSWORD, &format!("{new_first}{new_second}"))
        .await;
    assert!(accepted(&renewed), "{}", renewed.body);

    let audited = printed(
        &app.cli(
            &[
                "audit",
                "show",
                "--json",
                "--operation",
                "user-reset-pincode",
            ],
            &[],
        )
        .await,
    );
    assert!(audited.ok, "{}", audited.err);
    let entries: Vec<(String, String)> = audited
        .out
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).expect("JSON"))
        .map(|e| {
            (
                e["caller_id"].as_str().unwrap_or_default().to_owned(),
                e["outcome"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(entries.len(), 2, "{entries:?}");
    assert_eq!(entries[0].0, seed::OTHER_ASL_ADMIN);
    assert!(entries[0].1.starts_with("refused: "), "{entries:?}");
    assert_eq!(
        entries[1],
        (seed::ASL_ADMIN.to_owned(), "ok".to_owned()),
        "{entries:?}"
    );
    for (half, at) in [(&first, "first"), (&second, "second")] {
        assert!(
            !audited.out.contains(&format!("{half}\"")),
            "the {at} half is not in the log"
        );
    }
    Ok(())
}

#[tokio::test]
async fn the_second_half_is_sealed_in_the_store_and_opens_with_its_key_only() -> TestResult {
    use base64::Engine;
    use tsgate::pki::sealing::SealingKey;

    let app = spawn_app().await;
    let added = as_admin(
        &app,
        seed::ASL_ADMIN,
        "add",
        NEW_USER,
        &["--cf", NEW_CF, "--json"],
    )
    .await;
    assert!(added.ok, "{}", added.err);
    let json: serde_json::Value = serde_json::from_str(added.out.trim())?;
    let first = json["pincode_first_half"].as_str().unwrap_or_default();
    assert!(five_digits(first), "{}", added.out);
    assert!(json["password"].is_string() && json.get("pincode").is_none());

    let sealed = app
        .store()
        .pincodes()
        .sealed_second_half(NEW_USER)
        .await?
        .expect("a sealed second half");
    let second = app.pincode_second_half(NEW_USER).await.expect("opens");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(sealed.strip_prefix("v1.").expect("versioned"))?;
    assert!(
        !bytes.windows(5).any(|w| w == second.as_bytes()),
        "the digits are not stored in clear"
    );
    assert!(!sealed.contains(&format!("{first}{second}")));

    let dir = tempfile::tempdir()?;
    let other = dir.path().join("other.key");
    std::fs::write(&other, SealingKey::generate_file_text()?)?;
    let other = SealingKey::load(&other)?;
    let purpose = format!("pincode-second-half:{NEW_USER}");
    assert!(other.open(&sealed, &purpose).is_err(), "another key");
    let right = SealingKey::from_setting(app.config().auth.secrets_key.as_deref())?;
    assert_eq!(right.open(&sealed, &purpose).ok(), Some(second));
    assert!(
        right
            .open(&sealed, &format!("pincode-second-half:{}", OPERATOR.id))
            .is_err(),
        "bound to its user"
    );
    Ok(())
}

#[tokio::test]
async fn a_user_from_before_has_no_second_half_until_a_reset() -> TestResult {
    let app = spawn_app().await;
    let none = second_half(&app, OPERATOR.id, seed::PASSWORD).await;
    assert!(
        !none.ok
            && none
                .err
                .contains("no second half of a pincode is on record"),
        "{}",
        none.err
    );
    // Their seeded pincode keeps working until then.
    assert!(accepted(
        &app.catalogue_with_password(OPERATOR.id, seed::PASSWORD)
            .await
    ));
    let reset = as_admin(&app, seed::ASL_ADMIN, "reset-pincode", OPERATOR.id, &[]).await;
    assert!(reset.ok, "{}", reset.err);
    let first = value(&reset.out, "pincode_first_half=");
    let shown = second_half(&app, OPERATOR.id, seed::PASSWORD).await;
    assert!(shown.ok, "{}", shown.err);
    let second = value(&shown.out, "pincode_second_half=");
    app.poll_directory().await;
    let call = app
        .catalogue_with(OPERATOR.id, seed::PASSWORD, &format!("{first}{second}"))
        .await;
    assert!(accepted(&call), "{}", call.body);
    Ok(())
}

#[tokio::test]
async fn without_auth_secrets_key_the_gateway_serves_and_the_commands_name_the_setting(
) -> TestResult {
    let app = spawn_app_with(|config| config.auth.secrets_key = None).await;
    assert!(accepted(
        &app.catalogue_with_password(OPERATOR.id, seed::PASSWORD)
            .await
    ));
    for printed in [
        as_admin(&app, seed::ASL_ADMIN, "add", NEW_USER, &["--cf", NEW_CF]).await,
        as_admin(&app, seed::ASL_ADMIN, "reset-pincode", OPERATOR.id, &[]).await,
        second_half(&app, OPERATOR.id, seed::PASSWORD).await,
    ] {
        assert!(
            !printed.ok && printed.err.contains("auth.secrets_key is not set"),
            "{}",
            printed.err
        );
    }
    assert!(app.store().directory().find_user(NEW_USER).await?.is_none());
    Ok(())
}
