//! `tsgate admin bootstrap`, `tsgate admins …` and `tsgate users …` as administrators type them,
//! on a fresh demo-layout directory (no gateway running): typed fields are checked before the
//! store is touched, a malformed one is refused naming its flag, and every command acts as an
//! administrator within their scope — ASL 201's administrator on ASL 201's operators only.

use std::path::Path;
use std::process::{Command, Output};

use crate::helpers::TestResult;

const CENTRAL_CF: &str = "GLLLRA70M41H501E";

/// `tsgate <args> --dir <dir>`, with `password` in `TSGATE_ADMIN_PASSWORD` if given.
fn tsgate(dir: &Path, password: Option<&str>, args: &[&str]) -> std::io::Result<Output> {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tsgate"));
    command.args(args).arg("--dir").arg(dir);
    command.env_remove("TSGATE_ADMIN_PASSWORD");
    if let Some(password) = password {
        command.env("TSGATE_ADMIN_PASSWORD", password);
    }
    command.output()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Runs `args`, which must succeed; returns what it printed.
fn ok(dir: &Path, password: Option<&str>, args: &[&str]) -> Result<String, String> {
    let output = tsgate(dir, password, args).map_err(|e| e.to_string())?;
    if !output.status.success() {
        return Err(format!("tsgate {args:?} failed: {}", stderr(&output)));
    }
    Ok(stdout(&output))
}

/// Runs `args`, which must fail; returns its error output.
fn refused(dir: &Path, password: Option<&str>, args: &[&str]) -> Result<String, String> {
    let output = tsgate(dir, password, args).map_err(|e| e.to_string())?;
    if output.status.success() {
        return Err(format!("tsgate {args:?} succeeded: {}", stdout(&output)));
    }
    Ok(stderr(&output))
}

fn password_in(printed: &str) -> Result<String, String> {
    printed
        .lines()
        .find_map(|l| l.strip_prefix("password="))
        .map(str::to_owned)
        .ok_or_else(|| format!("no password printed: {printed}"))
}

/// A directory with a central administrator and the administrators of ASLs 201 and 202 (region
/// 120), and the key that seals pincodes' second halves (as `certs init` writes it); returns
/// their passwords.
fn administered(dir: &Path) -> Result<[String; 3], String> {
    write_secrets_key(dir).map_err(|e| e.to_string())?;
    let bootstrap = [
        "admin",
        "bootstrap",
        "--admin-id",
        "CENTRALE",
        "--cf",
        CENTRAL_CF,
    ];
    let central = password_in(&ok(dir, None, &bootstrap)?)?;
    let mut asl_passwords = Vec::new();
    for (id, asl) in [("ADMIN201", "201"), ("ADMIN202", "202")] {
        let args = [
            "admins",
            "add",
            "--as",
            "CENTRALE",
            "--admin-id",
            id,
            "--cf",
            "FRRMRC75P12H501H",
            "--region",
            "120",
            "--asl",
            asl,
        ];
        let printed = ok(dir, Some(&central), &args)?;
        assert!(
            printed.contains(&format!(
                "administrator {id} (ASL {asl} of region 120) added"
            )),
            "{printed}"
        );
        asl_passwords.push(password_in(&printed)?);
    }
    let [asl_201, asl_202] = <[String; 2]>::try_from(asl_passwords).map_err(|_| "two")?;
    Ok([central, asl_201, asl_202])
}

/// `DIR/certs/secrets.key`, the demo layout's `auth.secrets_key`.
fn write_secrets_key(dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    std::fs::create_dir_all(dir.join("certs"))?;
    let text = tsgate::pki::sealing::SealingKey::generate_file_text()?;
    std::fs::write(dir.join("certs/secrets.key"), text)?;
    Ok(())
}

fn users_add<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "users",
        "add",
        "--as",
        "ADMIN201",
        "--user-id",
        "ASL02",
        "--cf",
        "RSSMRA80A01H501U",
        "--profile",
        "ASL Numero test",
    ];
    args.extend_from_slice(extra);
    args
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
            "--profile: unknown profile \"operatore\": the profiles are \"Sistema TS-Invio codice \
             OTP\", \"Sierologici MMG\", \"ASL Numero test\"",
        ),
        (
            &["--profile", "Invio codice OTP"][..],
            "--profile: unknown profile \"Invio codice OTP\"",
        ),
    ] {
        let message = refused(dir.path(), Some("any"), &users_add(extra))?;
        assert!(message.contains(expected), "{extra:?}: {message}");
    }
    for (extra, expected) in [
        (
            &["--birth-date", "1980-02-30"][..],
            "--birth-date: the birth date must be a yyyy-mm-dd date that exists",
        ),
        (&["--sex", "X"][..], "--sex: sex must be M or F"),
        (
            &["--sex", "F"][..],
            "--sex: sex F is not the one codice fiscale RSSMRA80A01H501U encodes (M)",
        ),
        (
            &["--birth-date", "1980-01-02"][..],
            "--birth-date: the birth date 1980-01-02 is not the one codice fiscale \
             RSSMRA80A01H501U encodes",
        ),
        (
            &["--phone", "06 abc"][..],
            "--phone: a phone number is 5 to 15 digits",
        ),
        (
            &["--fax", "123"][..],
            "--fax: a phone number is 5 to 15 digits",
        ),
        (
            &["--email", "rossi.asl201.it"][..],
            "--email: an e-mail address must be local@domain",
        ),
        (
            &["--work-address", "Via\u{7}Roma"][..],
            "--work-address: the work address must be at most 200 characters",
        ),
    ] {
        let message = refused(dir.path(), Some("any"), &users_add(extra))?;
        assert!(message.contains(expected), "{extra:?}: {message}");
    }
    let no_as = refused(dir.path(), None, &["users", "list"])?;
    assert!(no_as.contains("--as <ADMIN_ID>"), "{no_as}");
    let bad_cf = [
        "admin",
        "bootstrap",
        "--admin-id",
        "C",
        "--cf",
        "RSSMRA80A01H501",
    ];
    let message = refused(dir.path(), None, &bad_cf)?;
    assert!(message.contains("--cf: "), "{message}");
    let half = [
        "admins",
        "add",
        "--as",
        "C",
        "--admin-id",
        "A",
        "--cf",
        CENTRAL_CF,
        "--region",
        "120",
    ];
    let message = refused(dir.path(), Some("any"), &half)?;
    assert!(
        message.contains("--region: an ASL's administrator needs both the region and the ASL code"),
        "{message}"
    );
    assert!(
        !dir.path().join("tsgate.db").exists(),
        "refused before the store was opened"
    );
    Ok(())
}

#[test]
fn the_central_administrator_is_bootstrapped_once_and_authenticates() -> TestResult {
    let dir = tempfile::tempdir()?;
    let [central, ..] = administered(dir.path())?;
    let again = [
        "admin",
        "bootstrap",
        "--admin-id",
        "ALTRO",
        "--cf",
        CENTRAL_CF,
    ];
    let message = refused(dir.path(), None, &again)?;
    assert!(
        message.contains("a central administrator was bootstrapped already"),
        "{message}"
    );

    let list = ["admins", "list", "--as", "CENTRALE", "--json"];
    let listed: serde_json::Value = serde_json::from_str(&ok(dir.path(), Some(&central), &list)?)?;
    let ids: Vec<_> = listed
        .as_array()
        .map(|all| all.iter().filter_map(|a| a["admin_id"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(ids, ["CENTRALE", "ADMIN201", "ADMIN202"], "{listed}");
    assert_eq!(listed[0]["central"], true);
    assert_eq!(listed[1]["asl"], "201");

    let wrong = refused(dir.path(), Some("wrong"), &list)?;
    assert!(
        wrong.contains("--as CENTRALE: invalid administrator id or password"),
        "{wrong}"
    );
    let nobody = refused(
        dir.path(),
        Some(&central),
        &["admins", "list", "--as", "NOBODY"],
    )?;
    assert!(
        nobody.contains("invalid administrator id or password"),
        "{nobody}"
    );
    let no_password = refused(dir.path(), None, &list)?;
    assert!(
        no_password.contains("set TSGATE_ADMIN_PASSWORD, or run on a terminal"),
        "{no_password}"
    );

    // Disabled, the administrator no longer authenticates.
    let disable = [
        "admins",
        "disable",
        "--as",
        "CENTRALE",
        "--admin-id",
        "ADMIN202",
    ];
    ok(dir.path(), Some(&central), &disable)?;
    let listed = ok(
        dir.path(),
        Some(&central),
        &["admins", "list", "--as", "CENTRALE"],
    )?;
    assert!(
        listed.contains("ADMIN202;FRRMRC75P12H501H;;ASL 202 of region 120;disabled"),
        "{listed}"
    );
    Ok(())
}

#[test]
fn an_asl_administrator_manages_their_asls_operators_and_no_one_elses() -> TestResult {
    let dir = tempfile::tempdir()?;
    let [central, asl_201, asl_202] = administered(dir.path())?;
    let as_201 = Some(asl_201.as_str());

    let added = ok(dir.path(), as_201, &users_add(&["--name", "Mario Rossi"]))?;
    assert!(added.contains("user ASL02 added"), "{added}");
    let password = added.lines().find_map(|l| l.strip_prefix("password="));
    let first_half = added
        .lines()
        .find_map(|l| l.strip_prefix("pincode_first_half="));
    assert!(password.is_some_and(|p| p.len() == 16), "{added}");
    assert!(
        first_half.is_some_and(|p| p.len() == 5 && p.bytes().all(|b| b.is_ascii_digit())),
        "only the first half of the pincode: {added}"
    );
    assert!(!added.contains("pincode="), "never the whole: {added}");
    let again = refused(dir.path(), as_201, &users_add(&[]))?;
    assert!(again.contains("already exists"), "{again}");
    let elsewhere = refused(dir.path(), as_201, &users_add(&["--asl", "202"]))?;
    assert!(
        elsewhere.contains("may not act on user 'ASL02'"),
        "{elsewhere}"
    );

    let user = |action: &str| {
        vec![
            "users".to_owned(),
            action.to_owned(),
            "--as".to_owned(),
            "ADMIN201".to_owned(),
            "--user-id".to_owned(),
            "ASL02".to_owned(),
        ]
    };
    let run = |args: &[String], password: Option<&str>| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        ok(dir.path(), password, &args)
    };
    let with = |mut args: Vec<String>, extra: &[&str]| {
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        args
    };
    let granted = run(
        &with(user("grant"), &["--profile", "Sistema TS-Invio codice OTP"]),
        as_201,
    )?;
    assert!(
        granted.contains("profile \"Sistema TS-Invio codice OTP\" granted to ASL02"),
        "{granted}"
    );
    run(
        &with(user("revoke"), &["--profile", "ASL Numero test"]),
        as_201,
    )?;
    run(&with(user("edit"), &["--name", "Mario Rossi Bis"]), as_201)?;
    run(&user("disable"), as_201)?;
    let mut shown: serde_json::Value =
        serde_json::from_str(&run(&with(user("show"), &["--json"]), as_201)?)?;
    // When the initial password was given: a moment ago.
    let changed_at = shown["password_changed_at"].take();
    let changed_at = changed_at.as_str().unwrap_or_default();
    assert!(
        chrono::DateTime::parse_from_rfc3339(changed_at)
            .is_ok_and(|at| { (chrono::Utc::now() - at.to_utc()).num_seconds().abs() < 600 }),
        "{changed_at}"
    );
    assert_eq!(
        shown,
        serde_json::json!({
            "user_id": "ASL02",
            "cf": "RSSMRA80A01H501U",
            "name": "Mario Rossi Bis",
            "region": "120",
            "asl": "201",
            "enabled": false,
            "profiles": ["Sistema TS-Invio codice OTP"],
            "surname": null,
            "given_name": null,
            "birth_date": "1980-01-01",
            "sex": "M",
            "birth_place": null,
            "work_address": null,
            "phone": null,
            "fax": null,
            "email": null,
            "last_access": null,
            "password_changed_at": null,
            "password_must_change": true,
            "totp_enrolled": false,
        })
    );
    run(&user("enable"), as_201)?;
    let listed = ok(
        dir.path(),
        as_201,
        &["users", "list", "--as", "ADMIN201", "--json"],
    )?;
    let listed: serde_json::Value = serde_json::from_str(&listed)?;
    assert_eq!(listed[0]["enabled"], true, "{listed}");
    assert_eq!(listed.as_array().map(Vec::len), Some(1));

    // ASL 202's administrator: refused on ASL 201's operator, whatever the action; their list
    // is empty.
    let expected = "tsgate: administrator 'ADMIN202' (ASL 202 of region 120) may not act on \
                    user 'ASL02' (ASL 201 of region 120): an ASL's security administrator \
                    administers only the operators of that ASL";
    for action in [
        &["disable"][..],
        &["enable"],
        &["show"],
        &["edit", "--name", "X"],
        &["grant", "--profile", "Sierologici MMG"],
        &["revoke", "--profile", "Sierologici MMG"],
    ] {
        let mut args = vec!["users", action[0], "--as", "ADMIN202", "--user-id", "ASL02"];
        args.extend_from_slice(&action[1..]);
        let message = refused(dir.path(), Some(&asl_202), &args)?;
        assert_eq!(message.trim(), expected, "{action:?}");
    }
    let theirs = ok(
        dir.path(),
        Some(&asl_202),
        &["users", "list", "--as", "ADMIN202", "--json"],
    )?;
    assert_eq!(theirs.trim(), "[]");
    let still = run(&with(user("show"), &["--json"]), as_201)?;
    assert!(still.contains("\"Mario Rossi Bis\""), "unchanged: {still}");

    // The central administrator manages administrators, not operators; an ASL's does not
    // manage administrators.
    let central_on_user = ["users", "disable", "--as", "CENTRALE", "--user-id", "ASL02"];
    let message = refused(dir.path(), Some(&central), &central_on_user)?;
    assert!(
        message.contains("is the central security administrator: operators are administered by their ASL's security administrator"),
        "{message}"
    );
    let message = refused(dir.path(), as_201, &["admins", "list", "--as", "ADMIN201"])?;
    assert!(
        message.contains(
            "administrator 'ADMIN201' (ASL 201 of region 120) may not manage administrators"
        ),
        "{message}"
    );
    let nobody = [
        "users",
        "grant",
        "--as",
        "ADMIN201",
        "--user-id",
        "NOBODY",
        "--profile",
        "Sierologici MMG",
    ];
    let message = refused(dir.path(), as_201, &nobody)?;
    assert!(message.contains("no user 'NOBODY'"), "{message}");
    Ok(())
}

#[test]
fn the_operator_record_is_registered_edited_and_shown() -> TestResult {
    let dir = tempfile::tempdir()?;
    let [_, asl_201, _] = administered(dir.path())?;
    let as_201 = Some(asl_201.as_str());
    let record = [
        "--surname",
        "Rossi",
        "--given-name",
        "Mario",
        "--birth-place",
        "Roma",
        "--work-address",
        "Via della Salute 1, 00100 Roma",
        "--phone",
        "+39 06 1234 5678",
        "--fax",
        "06 1234 5679",
        "--email",
        "m.rossi@asl201.it",
        "--birth-date",
        "1980-01-01",
        "--sex",
        "M",
    ];
    ok(dir.path(), as_201, &users_add(&record))?;
    let show = ["users", "show", "--as", "ADMIN201", "--user-id", "ASL02"];
    let shown =
        |extra: &[&str]| -> Result<serde_json::Value, Box<dyn std::error::Error + Send + Sync>> {
            let mut args = show.to_vec();
            args.extend_from_slice(extra);
            args.push("--json");
            Ok(serde_json::from_str(&ok(dir.path(), as_201, &args)?)?)
        };
    let added = shown(&[])?;
    assert_eq!(
        (
            &added["name"],
            &added["surname"],
            &added["given_name"],
            &added["birth_date"],
            &added["sex"],
            &added["birth_place"],
            &added["work_address"],
            &added["phone"],
            &added["fax"],
            &added["email"],
            &added["last_access"],
        ),
        (
            &"Mario Rossi".into(),
            &"Rossi".into(),
            &"Mario".into(),
            &"1980-01-01".into(),
            &"M".into(),
            &"Roma".into(),
            &"Via della Salute 1, 00100 Roma".into(),
            &"+39 06 1234 5678".into(),
            &"06 1234 5679".into(),
            &"m.rossi@asl201.it".into(),
            &serde_json::Value::Null,
        ),
        "the display name defaults to nome cognome: {added}"
    );

    let edit = [
        "users",
        "edit",
        "--as",
        "ADMIN201",
        "--user-id",
        "ASL02",
        "--email",
        "mario.rossi@asl201.it",
        "--fax",
        "",
        "--phone",
        "06 7654321",
    ];
    assert!(ok(dir.path(), as_201, &edit)?.contains("user ASL02 changed"));
    let edited = shown(&[])?;
    assert_eq!(
        (
            &edited["email"],
            &edited["fax"],
            &edited["phone"],
            &edited["surname"]
        ),
        (
            &"mario.rossi@asl201.it".into(),
            &serde_json::Value::Null,
            &"06 7654321".into(),
            &"Rossi".into()
        ),
        "{edited}"
    );
    let mut contradicting = edit[..6].to_vec();
    contradicting.extend_from_slice(&["--sex", "F"]);
    let message = refused(dir.path(), as_201, &contradicting)?;
    assert!(
        message.contains("--sex: sex F is not the one codice fiscale RSSMRA80A01H501U encodes"),
        "{message}"
    );
    let mut malformed = edit[..6].to_vec();
    malformed.extend_from_slice(&["--email", "nobody"]);
    let message = refused(dir.path(), as_201, &malformed)?;
    assert!(message.contains("--email: "), "{message}");
    let nothing = refused(dir.path(), as_201, &edit[..6])?;
    assert!(nothing.contains("nothing to change"), "{nothing}");

    let text = ok(dir.path(), as_201, &show)?;
    for line in [
        "surname:  Rossi",
        "email:    mario.rossi@asl201.it",
        "last access: never",
    ] {
        assert!(text.contains(line), "{line}: {text}");
    }
    Ok(())
}
