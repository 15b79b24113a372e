//! The ASL user's pages (issue #11 item 7; seed 003 §4.2) over real TLS with raw HTTP: the daily
//! number of tests (`InvioNumeroTest`: the SOAP operation's codes and access-log entry) and the
//! per-MMG file (the same file and access-log entry as `/asl/assistiti-per-mmg.csv`); and the
//! refusals: wrong profile, a user of another ASL getting only their own ASL's file, CSRF-less
//! POSTs, bad dates and numbers.

use chrono::Duration;
use tsgate::domain::{AslCode, CodiceFiscale, Profile, RegionCode};
use tsgate::store::UserRecord;

use crate::helpers::browser::csrf_of;
use crate::helpers::seed::{hash, PASSWORD, PINCODE};
use crate::helpers::{spawn_app, Reply, TestResult, User, ASL_OPERATOR, MMG};
use crate::web_medico::{entries_of, entry_of, password_only, shown_transaction_id, signed_in};

/// An ASL operator of ASL 202 (Roma 2), registered by the test: no MMG of the seed is theirs.
const OTHER_ASL_OPERATOR: User = User {
    id: "ASL202OP",
    cf: "BNCLRA85M41H501Z",
};

/// Each of `texts` is on `page`, read as a person reads it (apostrophes unescaped).
fn assert_contains(page: &Reply, texts: &[&str]) {
    let shown = page.body.replace("&#39;", "'");
    for text in texts {
        assert!(shown.contains(text), "{text:?} missing: {}", page.body);
    }
}

#[tokio::test]
async fn an_asl_user_sends_the_daily_number_of_tests() -> TestResult {
    let app = spawn_app().await;
    let (mut browser, home) = signed_in(&app, ASL_OPERATOR).await;
    assert_contains(&home, &["href=\"/web/asl\""]);
    assert!(!home.body.contains("href=\"/web/medico\""));
    let page = browser.get("/web/asl").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_contains(
        &page,
        &[
            "Data di esecuzione dei test*",
            "Numero di test sierologici eseguiti nella giornata*",
            "href=\"/web/asl/assistiti-per-mmg.csv\"",
            ASL_OPERATOR.cf,
        ],
    );
    let csrf = csrf_of(&page);
    let today = app.today().to_string();
    let done = browser
        .post(
            "/web/asl/numero-test",
            &[
                ("csrf", &csrf),
                ("data_test", &today),
                ("numero_test", "25"),
            ],
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_contains(&done, &["Operazione effettuata correttamente."]);
    let id = shown_transaction_id(&done).expect("id");
    let logged = entry_of(&app, &id).await;
    assert_eq!(
        (
            logged.service.as_str(),
            logged.operation.as_str(),
            logged.outcome.as_str(),
            logged.caller_id.as_str()
        ),
        ("ASL", "InvioNumeroTest", "0000", ASL_OPERATOR.id)
    );

    // Refused: the form again, with what was typed, the code and what to do.
    let tomorrow = (app.today() + Duration::days(1)).to_string();
    for (date, number, code, advice) in [
        (
            tomorrow.as_str(),
            "3",
            "2004",
            "non può essere successiva a oggi",
        ),
        ("30/02/2020", "3", "2004", "gg/mm/aaaa"),
        (
            today.as_str(),
            "-3",
            "2006",
            "un numero intero da 0 a 1000000",
        ),
        (
            today.as_str(),
            "1000001",
            "2006",
            "un numero intero da 0 a 1000000",
        ),
        (
            today.as_str(),
            "tre",
            "2006",
            "un numero intero da 0 a 1000000",
        ),
    ] {
        let refused = browser
            .post(
                "/web/asl/numero-test",
                &[
                    ("csrf", &csrf),
                    ("data_test", date),
                    ("numero_test", number),
                ],
            )
            .await;
        assert_eq!(refused.status, 200);
        assert_contains(
            &refused,
            &[
                "Operazione conclusa con esito negativo.",
                code,
                advice,
                &format!("value=\"{date}\""),
                &format!("value=\"{number}\""),
            ],
        );
    }
    let outcomes: Vec<String> = entries_of(&app, "InvioNumeroTest")
        .await
        .into_iter()
        .map(|e| e.outcome)
        .collect();
    assert_eq!(outcomes, ["0000", "9999", "9999", "9999", "9999", "9999"]);

    // Without the token: refused, nothing recorded.
    let refused = browser
        .post(
            "/web/asl/numero-test",
            &[("data_test", &today), ("numero_test", "7")],
        )
        .await;
    assert_eq!(refused.status, 403);
    assert_eq!(entries_of(&app, "InvioNumeroTest").await.len(), 6);
    Ok(())
}

#[tokio::test]
async fn an_asl_user_downloads_the_file_of_their_own_asl_only() -> TestResult {
    let app = spawn_app().await;
    let (mut browser, _) = signed_in(&app, ASL_OPERATOR).await;
    let file = browser.get("/web/asl/assistiti-per-mmg.csv").await;
    assert_eq!(file.status, 200, "{}", file.body);
    assert_eq!(file.header("content-type"), Some("text/csv; charset=utf-8"));
    assert!(file
        .header("content-disposition")
        .is_some_and(|d| d.contains("assistiti-per-mmg-201.csv")));
    assert_eq!(
        file.body,
        format!(
            "cf_medico;numero_assistiti\n{};5\nMRNPLA66H12H501I;2\n",
            MMG.cf
        )
    );
    // The same file the HTTP download gives (Basic + pincode), and the same kind of entry.
    let http = app.download_with_password(ASL_OPERATOR.id, PASSWORD).await;
    assert_eq!(http.status, 200);
    assert_eq!(http.body, file.body);
    let id = file.header("x-transaction-id").expect("id");
    let logged = entry_of(&app, id).await;
    assert_eq!(
        (
            logged.service.as_str(),
            logged.operation.as_str(),
            logged.outcome.as_str(),
            logged.caller_id.as_str()
        ),
        ("ASL", "ScaricoAssistitiPerMedico", "0000", ASL_OPERATOR.id)
    );

    // A user of another ASL gets their own ASL's file: none of ASL 201's doctors.
    let directory = app.store().directory();
    directory
        .add_user(&UserRecord {
            user_id: OTHER_ASL_OPERATOR.id.into(),
            cf: CodiceFiscale::parse(OTHER_ASL_OPERATOR.cf)?,
            display_name: "Laura Bianco".into(),
            password_hash: hash(PASSWORD),
            pincode_hash: hash(PINCODE),
            asl: Some(AslCode::parse("202")?),
            region: Some(RegionCode::parse("120")?),
            enabled: true,
            details: Default::default(),
            last_access: None,
        })
        .await?;
    directory
        .grant_profile(OTHER_ASL_OPERATOR.id, Profile::AslNumeroTest)
        .await?;
    let (mut other, _) = signed_in(&app, OTHER_ASL_OPERATOR).await;
    let theirs = other.get("/web/asl/assistiti-per-mmg.csv").await;
    assert_eq!(theirs.status, 200, "{}", theirs.body);
    assert_eq!(theirs.body, "cf_medico;numero_assistiti\n");

    // A doctor has no ASL file: refused, and the refusal recorded (9001).
    let (mut doctor, _) = signed_in(&app, MMG).await;
    assert_eq!(doctor.get("/web/asl").await.status, 403);
    let refused = doctor.get("/web/asl/assistiti-per-mmg.csv").await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_contains(&refused, &["File non disponibile", "Profilo richiesto"]);
    let downloads = entries_of(&app, "ScaricoAssistitiPerMedico").await;
    let last = downloads.last().expect("recorded");
    assert_eq!(
        (last.caller_id.as_str(), last.outcome.as_str()),
        (MMG.id, "9001")
    );
    let csrf = csrf_of(&doctor.get("/web/medico").await);
    let count = doctor
        .post(
            "/web/asl/numero-test",
            &[
                ("csrf", &csrf),
                ("data_test", &app.today().to_string()),
                ("numero_test", "1"),
            ],
        )
        .await;
    assert_contains(&count, &["9001", "Operazione conclusa con esito negativo."]);
    Ok(())
}

/// Seed 003 §4.2: "Utente ASL – Applicazione web – basic authentication (ID utente e password)
/// con pincode". Signed in with the password, the ASL user meets the pincode page in place of
/// the ASL page and the file, and nothing is sent or recorded until the pincode is right.
#[tokio::test]
async fn with_the_password_the_asl_pages_first_ask_for_the_pincode() -> TestResult {
    let app = spawn_app().await;
    let (mut browser, home) = password_only(&app, ASL_OPERATOR).await;
    let csrf = csrf_of(&home);
    let before = app.access_log().await.len();
    for path in ["/web/asl", "/web/asl/assistiti-per-mmg.csv"] {
        let page = browser.get(path).await;
        assert_eq!(page.status, 200, "{path}");
        assert_contains(
            &page,
            &[
                "Inserire il pincode per accedere al servizio per la trasmissione del numero \
                 dei test sierologici:",
                "action=\"/web/asl/pincode\"",
            ],
        );
    }
    let today = app.today().to_string();
    let count = [
        ("csrf", csrf.as_str()),
        ("data_test", today.as_str()),
        ("numero_test", "7"),
    ];
    let refused = browser.post("/web/asl/numero-test", &count).await;
    assert_contains(&refused, &["Inserire il pincode"]);
    assert_eq!(app.access_log().await.len(), before, "nothing done");

    let wrong = browser
        .post(
            "/web/asl/pincode",
            &[("csrf", &csrf), ("pincode", "0000000000")],
        )
        .await;
    assert_eq!(wrong.status, 401);
    assert_contains(&wrong, &["Pincode non valido"]);
    let right = browser
        .post("/web/asl/pincode", &[("csrf", &csrf), ("pincode", PINCODE)])
        .await;
    assert_eq!(
        (right.status, right.header("location")),
        (303, Some("/web/asl"))
    );
    let sent = browser.post("/web/asl/numero-test", &count).await;
    assert_contains(&sent, &["Operazione effettuata correttamente."]);
    assert_eq!(app.access_log().await.len(), before + 1);
    Ok(())
}
