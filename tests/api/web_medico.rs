//! The doctors' pages (issue #11 item 6; seed 003 §3.2, §3.3.1) over real TLS with raw HTTP:
//! the patient list and its CSV, sending a test, listing and cancelling the sends — the same
//! codes and access-log entries as the SOAP operations —, refused forms shown again with what
//! was typed, the titolare authorising, listing and revoking a substitute, the substitute
//! choosing the titolare they act for; and the refusals: wrong profile, CSRF-less POSTs, bad
//! dates and CFs.

use chrono::Duration;
use tsgate::domain::{CodiceFiscale, OperatorCf};
use tsgate::pki::ca::Subject;
use tsgate::store::{AccessLogEntry, Substitution};

use crate::helpers::browser::{csrf_of, Browser};
use crate::helpers::seed::{PASSWORD, PATIENTS, PINCODE};
use crate::helpers::{
    spawn_app, As, Reply, TestApp, TestResult, User, ASL_OPERATOR, MMG, SUBSTITUTE,
};

/// Another MMG of ASL 201 (seeded), who never authorised the substitute.
const OTHER_MMG: &str = "MRNPLA66H12H501I";
/// A seeded patient of the MMG who is not school staff: a send is recorded off the list.
const OFF_LIST: &str = "RSSGPP55P10H501B";
/// A CF with a wrong check letter (docs/conventions.md: it should end in `L`).
const BAD_CHECK_LETTER: &str = "PRVSST76A10G942K";
/// A doctor the titolare authorises in these tests (the OTP operator's CF: a valid code).
const NEW_SUBSTITUTE: &str = "RSSMRA80A01H501U";

/// A browser signed in as `user` (password login) and past the doctors' pincode step, on the
/// home page.
pub async fn signed_in(app: &TestApp, user: User) -> (Browser, Reply) {
    let (mut browser, home) = password_only(app, user).await;
    let passed = browser
        .post(
            "/web/medico/pincode",
            &[("csrf", &csrf_of(&home)), ("pincode", PINCODE)],
        )
        .await;
    assert_eq!(
        (passed.status, passed.header("location")),
        (303, Some("/web/medico")),
        "{}",
        passed.body
    );
    (browser, home)
}

/// A browser signed in as `user` with the password alone, on the home page.
pub async fn password_only(app: &TestApp, user: User) -> (Browser, Reply) {
    let mut browser = app.browser(As::Anonymous);
    let login = browser.log_in(user.id, PASSWORD, &[]).await;
    assert_eq!(login.status, 303, "{}", login.body);
    let home = browser.get("/web/").await;
    assert_eq!(home.status, 200, "{}", home.body);
    (browser, home)
}

/// The transaction id an outcome box shows.
pub fn shown_transaction_id(page: &Reply) -> Option<String> {
    let marker = "<strong class=\"id-transazione\">";
    let start = page.body.find(marker)? + marker.len();
    let end = page.body[start..].find('<')? + start;
    Some(page.body[start..end].to_owned())
}

/// The access-log entry of transaction `id`.
pub async fn entry_of(app: &TestApp, id: &str) -> AccessLogEntry {
    app.access_log()
        .await
        .into_iter()
        .find(|e| e.entry.transaction_id == id)
        .unwrap_or_else(|| panic!("{id} is not in the access log"))
        .entry
}

/// The access-log entries of `operation`, oldest first.
pub async fn entries_of(app: &TestApp, operation: &str) -> Vec<AccessLogEntry> {
    app.access_log()
        .await
        .into_iter()
        .map(|e| e.entry)
        .filter(|e| e.operation == operation)
        .collect()
}

/// Each of `texts` is on `page`, read as a person reads it (apostrophes unescaped).
fn assert_contains(page: &Reply, texts: &[&str]) {
    let shown = page.body.replace("&#39;", "'");
    for text in texts {
        assert!(shown.contains(text), "{text:?} missing: {}", page.body);
    }
}

/// POSTs a send of `assistito`'s test done on `date` with the page's CSRF token.
async fn send(browser: &mut Browser, csrf: &str, assistito: &str, date: &str) -> Reply {
    browser
        .post(
            "/web/medico/invio",
            &[
                ("csrf", csrf),
                ("assistito", assistito),
                ("data_test", date),
            ],
        )
        .await
}

#[tokio::test]
async fn a_doctor_lists_their_patients_on_the_page_and_as_csv() -> TestResult {
    let app = spawn_app().await;
    let (mut browser, home) = signed_in(&app, MMG).await;
    assert_contains(&home, &["href=\"/web/medico\"", "Test sierologici"]);
    assert!(!home.body.contains("href=\"/web/asl\""), "{}", home.body);

    let hub = browser.get("/web/medico").await;
    assert_eq!(hub.status, 200);
    assert_contains(
        &hub,
        &[
            "Si opera per: <strong>i propri assistiti</strong>",
            "href=\"/web/medico/sostituti\"",
        ],
    );

    let list = browser.get("/web/medico/assistiti").await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert_contains(&list, &PATIENTS);
    assert_contains(
        &list,
        &["Operazione effettuata correttamente.", "BRUNO", "LAURA"],
    );
    assert!(
        !list.body.contains(OFF_LIST),
        "only school staff are listed"
    );
    let id = shown_transaction_id(&list).expect("a transaction id");
    let logged = entry_of(&app, &id).await;
    assert_eq!(
        (
            logged.service.as_str(),
            logged.operation.as_str(),
            logged.outcome.as_str(),
            logged.caller_id.as_str(),
            logged.caller_kind.as_str(),
            logged.titolare_cf.as_deref(),
        ),
        (
            "Sierologici",
            "ElencoAssistiti",
            "0000",
            MMG.id,
            "operator-password",
            Some(MMG.cf)
        )
    );

    let csv = browser.get("/web/medico/assistiti.csv").await;
    assert_eq!(csv.status, 200, "{}", csv.body);
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    assert!(csv
        .header("content-disposition")
        .is_some_and(|d| d.starts_with("attachment;")));
    let lines: Vec<&str> = csv.body.lines().collect();
    assert_eq!(lines[0], "cf_assistito;cognome;nome;data_aggiornamento");
    assert_eq!(lines.len(), 1 + PATIENTS.len(), "{}", csv.body);
    let today = app.today().to_string();
    assert_eq!(lines[1], format!("{};BRUNO;LAURA;{today}", PATIENTS[0]));
    let csv_id = csv.header("x-transaction-id").expect("id");
    assert_eq!(entry_of(&app, csv_id).await.operation, "ElencoAssistiti");
    Ok(())
}

#[tokio::test]
async fn a_doctor_sends_a_test_finds_it_among_the_sent_and_cancels_it_once() -> TestResult {
    let app = spawn_app().await;
    let (mut browser, _) = signed_in(&app, MMG).await;
    let form = browser.get("/web/medico/invio").await;
    assert_eq!(form.status, 200);
    assert_contains(
        &form,
        &[
            "Codice fiscale dell'assistito*",
            "Invia Dati",
            "autocomplete=\"off\"",
        ],
    );
    let csrf = csrf_of(&form);
    let today = app.today();
    let done = send(&mut browser, &csrf, PATIENTS[1], &today.to_string()).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_contains(
        &done,
        &["Esito Transazione", "Operazione effettuata correttamente."],
    );
    let send_id = shown_transaction_id(&done).expect("the send's id");
    let logged = entry_of(&app, &send_id).await;
    assert_eq!(
        (
            logged.operation.as_str(),
            logged.outcome.as_str(),
            logged.titolare_cf.as_deref()
        ),
        ("InvioTest", "0000", Some(MMG.cf))
    );

    // Typed the Italian way, for a patient off the list: recorded, with the warning explained.
    let typed = (today - Duration::days(1)).format("%d/%m/%Y").to_string();
    let off_list = send(&mut browser, &csrf, OFF_LIST, &typed).await;
    assert_contains(
        &off_list,
        &[
            "Operazione effettuata correttamente.",
            "1015",
            "Avviso",
            "non è nell'elenco del personale scolastico",
        ],
    );

    let sent = browser.get("/web/medico/test").await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    assert_contains(
        &sent,
        &[send_id.as_str(), PATIENTS[1], OFF_LIST, "COLOMBO MARCO"],
    );
    assert_eq!(
        entries_of(&app, "ElencoTest")
            .await
            .last()
            .map(|e| e.outcome.clone()),
        Some("0000".to_owned())
    );

    let cancel = [
        ("csrf", csrf.as_str()),
        ("assistito", PATIENTS[1]),
        ("send_id", send_id.as_str()),
    ];
    let cancelled = browser.post("/web/medico/annulla", &cancel).await;
    assert_contains(&cancelled, &["Operazione effettuata correttamente."]);
    let cancel_id = shown_transaction_id(&cancelled).expect("id");
    assert_eq!(entry_of(&app, &cancel_id).await.operation, "AnnullaTest");
    let again = browser.post("/web/medico/annulla", &cancel).await;
    assert_contains(
        &again,
        &[
            "Operazione conclusa con esito negativo.",
            "1013",
            "risulta già annullato",
            "Il test è già stato annullato: non serve altro.",
        ],
    );
    let after = browser.get("/web/medico/test").await;
    assert!(
        !after.body.contains(&send_id),
        "a cancelled send is not listed"
    );

    // A send id that is no id is refused before any transaction.
    let before = app.access_log().await.len();
    let bad = browser
        .post(
            "/web/medico/annulla",
            &[
                ("csrf", &csrf),
                ("assistito", PATIENTS[1]),
                ("send_id", "12ab"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert_eq!(app.access_log().await.len(), before);
    Ok(())
}

#[tokio::test]
async fn a_refused_send_shows_the_form_again_with_what_was_typed_and_why() -> TestResult {
    let app = spawn_app().await;
    let (mut browser, _) = signed_in(&app, MMG).await;
    let csrf = csrf_of(&browser.get("/web/medico/invio").await);
    let tomorrow = (app.today() + Duration::days(1)).to_string();
    let today = app.today().to_string();
    for (assistito, date, code, advice) in [
        (
            BAD_CHECK_LETTER,
            today.as_str(),
            "1005",
            "Controllare il codice fiscale dell'assistito",
        ),
        ("NOTACF", today.as_str(), "1005", "16 caratteri"),
        (
            PATIENTS[0],
            tomorrow.as_str(),
            "1009",
            "non può essere successiva a oggi",
        ),
        (PATIENTS[0], "31/02/2020", "1016", "gg/mm/aaaa"),
        (PATIENTS[0], "", "1016", "gg/mm/aaaa"),
    ] {
        let page = send(&mut browser, &csrf, assistito, date).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert_contains(
            &page,
            &[
                "Operazione conclusa con esito negativo.",
                code,
                advice,
                "<form class=\"modulo\" method=\"post\" action=\"/web/medico/invio\"",
                &format!("value=\"{assistito}\""),
                &format!("value=\"{date}\""),
            ],
        );
        let id = shown_transaction_id(&page).expect("a refusal has its id too");
        let logged = entry_of(&app, &id).await;
        assert_eq!(
            (logged.operation.as_str(), logged.outcome.as_str()),
            ("InvioTest", "9999")
        );
    }
    // The list range the other way round: 1014, explained.
    let reversed = browser
        .get(&format!("/web/medico/test?dal={today}&al=2020-01-01"))
        .await;
    assert_contains(&reversed, &["1014", "deve precedere"]);
    let not_a_date = browser.get("/web/medico/test?dal=ieri&al=oggi").await;
    assert_contains(&not_a_date, &["1016", "value=\"ieri\""]);
    Ok(())
}

/// Seed 003 §3.3, mode 2: "basic authentication (ID utente e password) con pincode come fattore
/// di autenticazione". Signed in with the password, a doctor meets the pincode page in place of
/// any of their pages, and nothing is done or recorded until the pincode is right; with the
/// smart card, the pages open at once.
#[tokio::test]
async fn with_the_password_the_doctors_pages_first_ask_for_the_pincode() -> TestResult {
    let app = spawn_app().await;
    let (mut doctor, home) = password_only(&app, MMG).await;
    let csrf = csrf_of(&home);
    let before = app.access_log().await.len();
    for path in [
        "/web/medico",
        "/web/medico/assistiti",
        "/web/medico/assistiti.csv",
        "/web/medico/test",
        "/web/medico/invio",
        "/web/medico/sostituti",
    ] {
        let page = doctor.get(path).await;
        assert_eq!(page.status, 200, "{path}");
        assert_contains(
            &page,
            &[
                "Inserire il pincode per accedere al servizio per la trasmissione dei test \
                 sierologici:",
                "action=\"/web/medico/pincode\"",
                "Pincode:*",
            ],
        );
        assert!(!page.body.contains(PATIENTS[0]), "{path}");
    }
    let sent = send(&mut doctor, &csrf, PATIENTS[0], &app.today().to_string()).await;
    assert_contains(&sent, &["Inserire il pincode"]);
    assert_eq!(app.access_log().await.len(), before, "nothing done");

    let wrong = doctor
        .post(
            "/web/medico/pincode",
            &[("csrf", &csrf), ("pincode", "0000000000")],
        )
        .await;
    assert_eq!(wrong.status, 401);
    assert_contains(&wrong, &["Pincode non valido"]);
    let without_token = doctor
        .post("/web/medico/pincode", &[("pincode", PINCODE)])
        .await;
    assert_eq!(without_token.status, 403);
    let right = doctor
        .post(
            "/web/medico/pincode",
            &[("csrf", &csrf), ("pincode", PINCODE)],
        )
        .await;
    assert_eq!(
        (right.status, right.header("location")),
        (303, Some("/web/medico"))
    );
    let hub = doctor.get("/web/medico").await;
    assert_eq!(hub.status, 200);
    assert!(!hub.body.contains("Inserire il pincode"), "{}", hub.body);
    assert!(doctor
        .get("/web/medico/assistiti")
        .await
        .body
        .contains(PATIENTS[0]));

    // The doctor's smart card: no pincode.
    let card = app.issue(
        &app.card_ca(),
        &Subject::Operator {
            cf: CodiceFiscale::parse(MMG.cf)?,
            name: "MEDICO DI BASE".into(),
        },
        30,
    );
    let mut with_card = app.browser(card);
    let page = with_card.get("/web/login").await;
    let login = with_card
        .post("/web/login/smart-card", &[("csrf", &csrf_of(&page))])
        .await;
    assert_eq!(login.status, 303, "{}", login.body);
    let hub = with_card.get("/web/medico").await;
    assert_eq!(hub.status, 200);
    assert!(!hub.body.contains("Inserire il pincode"), "{}", hub.body);
    Ok(())
}

#[tokio::test]
async fn without_the_doctors_profile_or_the_csrf_token_nothing_is_done() -> TestResult {
    let app = spawn_app().await;
    let (mut asl, home) = signed_in(&app, ASL_OPERATOR).await;
    assert!(!home.body.contains("href=\"/web/medico\""), "{}", home.body);
    let hub = asl.get("/web/medico").await;
    assert_eq!(hub.status, 403);
    assert_contains(&hub, &["Servizio non consentito", "Sierologici"]);
    assert_eq!(asl.get("/web/medico/invio").await.status, 403);
    assert_eq!(asl.get("/web/medico/sostituti").await.status, 403);
    // An operation is refused as on SOAP: 9001, in the access log.
    let list = asl.get("/web/medico/assistiti").await;
    assert_contains(&list, &["9001", "Operazione conclusa con esito negativo."]);
    assert!(!list.body.contains(PATIENTS[0]));
    let id = shown_transaction_id(&list).expect("id");
    let logged = entry_of(&app, &id).await;
    assert_eq!(
        (logged.caller_id.as_str(), logged.outcome.as_str()),
        (ASL_OPERATOR.id, "9999")
    );
    let csrf = csrf_of(&asl.get("/web/asl").await);
    let refused = send(&mut asl, &csrf, PATIENTS[0], &app.today().to_string()).await;
    assert_contains(&refused, &["9001"]);

    // A POST without the session's token: refused before anything is read or recorded.
    let (mut doctor, _) = signed_in(&app, MMG).await;
    let before = app.access_log().await.len();
    for (path, fields) in [
        (
            "/web/medico/invio",
            vec![("assistito", PATIENTS[0]), ("data_test", "2020-09-01")],
        ),
        (
            "/web/medico/annulla",
            vec![("assistito", PATIENTS[0]), ("send_id", "1")],
        ),
        ("/web/medico/titolare", vec![("titolare", OTHER_MMG)]),
        (
            "/web/medico/sostituti",
            vec![
                ("sostituto", NEW_SUBSTITUTE),
                ("dal", "2020-09-01"),
                ("al", "2020-09-30"),
            ],
        ),
        (
            "/web/medico/sostituti/revoca",
            vec![("sostituto", SUBSTITUTE.cf)],
        ),
    ] {
        let mut with_wrong_token = fields.clone();
        with_wrong_token.push(("csrf", "not-the-token"));
        for fields in [fields, with_wrong_token] {
            let reply = doctor.post(path, &fields).await;
            assert_eq!(reply.status, 403, "{path}: {}", reply.body);
            assert_contains(&reply, &["Richiesta rifiutata"]);
        }
    }
    assert_eq!(app.access_log().await.len(), before, "nothing recorded");
    let substitutes = app
        .store()
        .substitutions()
        .of_titolare(&OperatorCf::parse(MMG.cf)?, None)
        .await?;
    assert_eq!(substitutes.len(), 1, "the seeded one only");
    Ok(())
}

#[tokio::test]
async fn the_titolare_authorises_lists_and_revokes_a_substitute_on_the_web() -> TestResult {
    let app = spawn_app().await;
    let (mut browser, _) = signed_in(&app, MMG).await;
    let page = browser.get("/web/medico/sostituti").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_contains(
        &page,
        &[
            "Codice fiscale del medico sostituto*",
            "Data di inizio sostituzione*",
            "Data di fine sostituzione*",
            SUBSTITUTE.cf,
            "in corso",
        ],
    );
    let csrf = csrf_of(&page);
    let today = app.today();
    let (from, to) = (today.to_string(), (today + Duration::days(10)).to_string());
    let added = browser
        .post(
            "/web/medico/sostituti",
            &[
                ("csrf", &csrf),
                ("sostituto", NEW_SUBSTITUTE),
                ("dal", &from),
                ("al", &to),
            ],
        )
        .await;
    assert_eq!(added.status, 303, "{}", added.body);
    let listed = browser.get("/web/medico/sostituti").await;
    assert_contains(
        &listed,
        &[NEW_SUBSTITUTE, &today.format("%d/%m/%Y").to_string()],
    );
    let stored = app
        .store()
        .substitutions()
        .of_titolare(
            &OperatorCf::parse(MMG.cf)?,
            Some(&OperatorCf::parse(NEW_SUBSTITUTE)?),
        )
        .await?;
    assert_eq!(
        stored,
        vec![Substitution {
            titolare_cf: OperatorCf::parse(MMG.cf)?,
            substitute_cf: OperatorCf::parse(NEW_SUBSTITUTE)?,
            from: today,
            to: today + Duration::days(10),
        }]
    );
    // In the access log, the titolare is who acted.
    let adds = entries_of(&app, "substitute-add").await;
    let add = adds.last().expect("recorded");
    assert_eq!(
        (
            add.caller_kind.as_str(),
            add.caller_id.as_str(),
            add.operator_cf.as_deref(),
            add.target.as_deref(),
            add.outcome.as_str(),
            add.client_address.is_some(),
        ),
        (
            "operator-password",
            MMG.id,
            Some(MMG.cf),
            Some(NEW_SUBSTITUTE),
            "ok",
            true
        )
    );

    // Refusals: the form again, with what was typed and why; each attempt recorded.
    for (cf, dal, al, why) in [
        (
            BAD_CHECK_LETTER,
            from.as_str(),
            to.as_str(),
            "carattere di controllo",
        ),
        (
            "XYZ",
            from.as_str(),
            to.as_str(),
            "non è formalmente valido",
        ),
        (
            NEW_SUBSTITUTE,
            to.as_str(),
            from.as_str(),
            "è successiva alla data di fine",
        ),
        (
            NEW_SUBSTITUTE,
            "31/02/2020",
            to.as_str(),
            "La data di inizio sostituzione non è una data valida",
        ),
        (
            NEW_SUBSTITUTE,
            from.as_str(),
            "",
            "La data di fine sostituzione non è una data valida",
        ),
        (
            MMG.cf,
            from.as_str(),
            to.as_str(),
            "non può essere sostituto di se stesso",
        ),
        (
            NEW_SUBSTITUTE,
            from.as_str(),
            to.as_str(),
            "Esiste già un'autorizzazione",
        ),
    ] {
        let refused = browser
            .post(
                "/web/medico/sostituti",
                &[("csrf", &csrf), ("sostituto", cf), ("dal", dal), ("al", al)],
            )
            .await;
        assert_eq!(refused.status, 422, "{cf} {dal} {al}: {}", refused.body);
        assert_contains(
            &refused,
            &[why, &format!("value=\"{cf}\""), &format!("value=\"{dal}\"")],
        );
    }
    let refused_adds = entries_of(&app, "substitute-add").await;
    assert_eq!(
        refused_adds
            .iter()
            .filter(|e| e.outcome.starts_with("refused: "))
            .count(),
        3,
        "the rules' refusals (reversed period, own substitute, duplicate) are recorded; a form \
         that is no request (not a CF, not a date) is not"
    );

    // Revoked: gone from the page and from the rules; revoking again says there is nothing.
    let revoke = [("csrf", csrf.as_str()), ("sostituto", NEW_SUBSTITUTE)];
    let revoked = browser.post("/web/medico/sostituti/revoca", &revoke).await;
    assert_eq!(revoked.status, 303, "{}", revoked.body);
    assert!(!browser
        .get("/web/medico/sostituti")
        .await
        .body
        .contains(NEW_SUBSTITUTE));
    let again = browser.post("/web/medico/sostituti/revoca", &revoke).await;
    assert_eq!(again.status, 422);
    assert_contains(&again, &["non ha autorizzazioni da revocare"]);
    let revokes = entries_of(&app, "substitute-revoke").await;
    assert_eq!(
        revokes
            .iter()
            .map(|e| e.outcome.starts_with("ok"))
            .collect::<Vec<_>>(),
        [true, false]
    );

    // A doctor who is no MMG has no patients to hand over.
    let (mut substitute, _) = signed_in(&app, SUBSTITUTE).await;
    let csrf = csrf_of(&substitute.get("/web/medico/sostituti").await);
    let not_mmg = substitute
        .post(
            "/web/medico/sostituti",
            &[
                ("csrf", &csrf),
                ("sostituto", NEW_SUBSTITUTE),
                ("dal", &from),
                ("al", &to),
            ],
        )
        .await;
    assert_eq!(not_mmg.status, 422);
    assert_contains(
        &not_mmg,
        &["solo il medico titolare può autorizzare un sostituto"],
    );
    Ok(())
}

#[tokio::test]
async fn a_substitute_chooses_the_titolare_and_the_pages_act_for_them() -> TestResult {
    let app = spawn_app().await;
    let (mut browser, home) = signed_in(&app, SUBSTITUTE).await;
    assert_contains(&home, &["href=\"/web/medico\""]);
    let hub = browser.get("/web/medico").await;
    assert_contains(
        &hub,
        &[
            "Per chi si opera",
            &format!("value=\"{}\"", MMG.cf),
            "BIANCHI GIOVANNI",
        ],
    );
    assert!(
        !hub.body.contains("href=\"/web/medico/sostituti\""),
        "no MMG"
    );
    // Before choosing, the substitute acts for themselves, and has no patients: 1006.
    let own = browser.get("/web/medico/assistiti").await;
    assert_contains(&own, &["1006", "scegliere il medico titolare"]);

    let csrf = csrf_of(&hub);
    let refused = browser
        .post(
            "/web/medico/titolare",
            &[("csrf", &csrf), ("titolare", OTHER_MMG)],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert_contains(
        &refused,
        &["non ha autorizzato questa utenza come sostituto"],
    );
    let chosen = browser
        .post(
            "/web/medico/titolare",
            &[("csrf", &csrf), ("titolare", MMG.cf)],
        )
        .await;
    assert_eq!(chosen.status, 303, "{}", chosen.body);

    // The session remembers: every page now acts for the titolare.
    let hub = browser.get("/web/medico").await;
    assert_contains(
        &hub,
        &[&format!("il medico titolare {} (BIANCHI GIOVANNI)", MMG.cf)],
    );
    let list = browser.get("/web/medico/assistiti").await;
    assert_contains(&list, &PATIENTS);
    let done = send(&mut browser, &csrf, PATIENTS[2], &app.today().to_string()).await;
    assert_contains(&done, &["Operazione effettuata correttamente."]);
    let id = shown_transaction_id(&done).expect("id");
    let logged = entry_of(&app, &id).await;
    assert_eq!(
        (
            logged.caller_id.as_str(),
            logged.operator_cf.as_deref(),
            logged.titolare_cf.as_deref()
        ),
        (SUBSTITUTE.id, Some(SUBSTITUTE.cf), Some(MMG.cf))
    );
    // Another session starts again from the doctor's own patients.
    let (mut other, _) = signed_in(&app, SUBSTITUTE).await;
    assert_contains(
        &other.get("/web/medico").await,
        &["Si opera per: <strong>i propri assistiti</strong>"],
    );

    // A test date outside the substitution: 1010, explained.
    let before = (app.today() - Duration::days(45)).to_string();
    let outside = send(&mut browser, &csrf, PATIENTS[2], &before).await;
    assert_contains(
        &outside,
        &["1010", "nel periodo di sostituzione autorizzato"],
    );

    // The titolare withdraws the authorisation: the choice is remembered, never trusted.
    app.store()
        .substitutions()
        .revoke(
            &OperatorCf::parse(MMG.cf)?,
            &OperatorCf::parse(SUBSTITUTE.cf)?,
        )
        .await?;
    let after = browser.get("/web/medico/assistiti").await;
    assert_contains(&after, &["1007", "deve prima autorizzare la sostituzione"]);
    assert!(!after.body.contains(PATIENTS[0]));
    Ok(())
}
