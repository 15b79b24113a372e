//! `tsgate users add` and `users grant` as an administrator types them, on a fresh demo-layout
//! directory (no gateway running): typed fields are checked before the store is touched, and a
//! malformed one is refused naming its flag.

use std::path::Path;
use std::process::{Command, Output};

use crate::helpers::TestResult;

fn tsgate(dir: &Path, args: &[&str]) -> std::io::Result<Output> {
    Command::new(env!("CARGO_BIN_EXE_tsgate"))
        .args(args)
        .arg("--dir")
        .arg(dir)
        .output()
}

fn users_add(dir: &Path, extra: &[&str]) -> std::io::Result<Output> {
    let mut args = vec![
        "users",
        "add",
        "--user-id",
        "ASL02",
        "--cf",
        "RSSMRA80A01H501U",
        "--profile",
        "ASL Numero test",
    ];
    args.extend_from_slice(extra);
    tsgate(dir, &args)
}

#[test]
fn malformed_region_asl_or_profile_is_refused_naming_the_flag() -> TestResult {
    let dir = tempfile::tempdir()?;
    for (extra, expected) in [
        (
            &["--region", "12", "--asl", "201"][..],
            "--region: region code must be exactly 3 digits",
        ),
        (
            &["--region", "120", "--asl", "2O1"][..],
            "--asl: ASL code must be exactly 3 digits",
        ),
        (
            &["--profile", "operatore"][..],
            "--profile: unknown profile",
        ),
    ] {
        let output = users_add(dir.path(), extra)?;
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{extra:?} was accepted");
        assert!(stderr.contains(expected), "{extra:?}: {stderr}");
    }
    assert!(
        !dir.path().join("tsgate.db").exists(),
        "refused before the store was opened"
    );
    Ok(())
}

#[test]
fn a_user_is_added_with_generated_secrets_and_granted_profiles() -> TestResult {
    let dir = tempfile::tempdir()?;
    let output = users_add(dir.path(), &["--region", "120", "--asl", "201"])?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("user ASL02 added"), "{stdout}");
    let password = stdout.lines().find_map(|l| l.strip_prefix("password="));
    let pincode = stdout.lines().find_map(|l| l.strip_prefix("pincode="));
    assert!(password.is_some_and(|p| p.len() == 16), "{stdout}");
    assert!(
        pincode.is_some_and(|p| p.len() == 10 && p.bytes().all(|b| b.is_ascii_digit())),
        "{stdout}"
    );

    let again = users_add(dir.path(), &[])?;
    assert!(!again.status.success(), "the same user id twice");

    let grant = ["users", "grant", "--user-id", "ASL02", "--profile"];
    let granted = tsgate(dir.path(), &[&grant[..], &["Invio codice OTP"]].concat())?;
    assert!(String::from_utf8_lossy(&granted.stdout)
        .contains("profile \"Invio codice OTP\" granted to ASL02"));
    let unknown = tsgate(
        dir.path(),
        &[
            "users",
            "grant",
            "--user-id",
            "NOBODY",
            "--profile",
            "Invio codice OTP",
        ],
    )?;
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no user 'NOBODY'"));
    Ok(())
}
