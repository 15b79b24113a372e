//! The OTP flow of the web application (seed 000, issue #11 item 5) over real TLS with raw
//! HTTP: the pincode page, the form with its captcha (picture, sound, a new challenge on a
//! wrong answer, single use, expiry, the session ended after too many wrong answers), the
//! outcome page with the transaction id; the same use case, codes, upstream call and access-log
//! entry as SOAP InvioOTP (success, already authorised, a typo in the OTP, the backend down);
//! a wrong pincode counted toward the same lockout as SOAP; no OTP profile, no CSRF token:
//! refused. And the login's captcha after failed logins.

use chrono::{Duration, Utc};
use tsgate::config::ImmuniConfig;
use tsgate::domain::Otp;
use tsgate::store::CallerKind;

use crate::helpers::browser::{assert_sent_home, csrf_of, hidden_field, Browser};
use crate::helpers::seed::PASSWORD;
use crate::helpers::{spawn_app_with, As, Reply, TestApp, TestResult, MMG, OPERATOR, PINCODE};
use crate::immuni_upstream::{Behaviour, Upstream};

/// A gateway whose Immuni upstream is `upstream`, its clock at noon (Rome's today is the
/// backend's too); `tweak` adjusts its settings.
async fn app_with(upstream: &Upstream, tweak: impl FnOnce(&mut tsgate::config::Config)) -> TestApp {
    let url = upstream.url.clone();
    let app = spawn_app_with(move |config| {
        config.immuni = Some(ImmuniConfig {
            base_url: url,
            timeout_ms: 700,
            ..ImmuniConfig::default()
        });
        tweak(config);
    })
    .await;
    app.pin_clock_at_utc_noon();
    app
}

fn location(reply: &Reply) -> &str {
    reply.header("location").unwrap_or("")
}

/// A browser signed in as `user_id`.
async fn signed_in(app: &TestApp, user_id: &str) -> Browser {
    let mut browser = app.browser(As::Anonymous);
    let login = browser.log_in(user_id, PASSWORD, &[]).await;
    assert_eq!(location(&login), "/web/", "{}", login.body);
    browser
}

/// Posts `pincode` on the pincode page (which `browser` opens first).
async fn type_pincode(browser: &mut Browser, pincode: &str) -> Reply {
    let page = browser.get("/web/immuni").await;
    assert!(page.body.contains("Inserire il pincode"), "{}", page.body);
    let csrf = csrf_of(&page);
    browser
        .post(
            "/web/immuni/pincode",
            &[("csrf", &csrf), ("pincode", pincode)],
        )
        .await
}

/// The OTP form, once the pincode is passed.
async fn form(browser: &mut Browser) -> Reply {
    let page = browser.get("/web/immuni").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Invia Dati"), "{}", page.body);
    page
}

/// Signed in as OPERATOR, past the pincode: the browser and the form.
async fn at_the_form(app: &TestApp) -> (Browser, Reply) {
    let mut browser = signed_in(app, OPERATOR.id).await;
    let passed = type_pincode(&mut browser, PINCODE).await;
    assert_eq!(
        (passed.status, location(&passed)),
        (303, "/web/immuni"),
        "{}",
        passed.body
    );
    let page = form(&mut browser).await;
    (browser, page)
}

/// Submits `page`'s form with `otp`, `date` and `captcha` as the security code.
async fn submit(
    browser: &mut Browser,
    page: &Reply,
    otp: &str,
    date: &str,
    captcha: &str,
) -> Reply {
    let csrf = csrf_of(page);
    let id = hidden_field(page, "captcha_id");
    browser
        .post(
            "/web/immuni/invio",
            &[
                ("csrf", &csrf),
                ("captcha_id", &id),
                ("captcha", captcha),
                ("codice_otp", otp),
                ("data_inizio_sintomi", date),
            ],
        )
        .await
}

/// Submits `page`'s form with the right captcha.
async fn send(app: &TestApp, browser: &mut Browser, page: &Reply, otp: &str, date: &str) -> Reply {
    let answer = app.captcha_answer(browser, page).await;
    submit(browser, page, otp, date, &answer).await
}

fn fresh_otp() -> String {
    Otp::generate().as_upstream_str().to_owned()
}

/// The id after "Id transazione: " on an outcome page.
fn transaction_id(page: &Reply) -> String {
    let start = page
        .body
        .find("Id transazione: ")
        .unwrap_or_else(|| panic!("no transaction id: {}", page.body))
        + "Id transazione: ".len();
    page.body[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect()
}

/// The outcome page's verdict, its message code, and the access log's entry of its id.
async fn outcome(app: &TestApp, page: &Reply) -> (bool, tsgate::store::AccessLogEntry) {
    assert_eq!(page.status, 200, "{}", page.body);
    for text in ["Esito Transazione", "Torna alla Home", "Id transazione: "] {
        assert!(page.body.contains(text), "{text:?} missing: {}", page.body);
    }
    let ok = page.body.contains("Operazione effettuata correttamente.");
    assert_ne!(
        ok,
        page.body
            .contains("Operazione conclusa con esito negativo."),
        "{}",
        page.body
    );
    let id = transaction_id(page);
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
    let entry = app
        .access_log()
        .await
        .into_iter()
        .find(|e| e.entry.transaction_id == id)
        .unwrap_or_else(|| panic!("{id} is not in the access log"))
        .entry;
    (ok, entry)
}

#[tokio::test]
async fn an_operator_sends_an_otp_and_sees_the_outcome_logged_as_soap_logs_it() -> TestResult {
    let upstream = Upstream::start(Behaviour::Contract).await;
    let app = app_with(&upstream, |_| {}).await;
    let mut browser = signed_in(&app, OPERATOR.id).await;
    let home = browser.get("/web/").await;
    assert!(
        home.body
            .contains("<a href=\"/web/immuni\">Caricamento App Immuni</a>"),
        "{}",
        home.body
    );
    // The pincode page first, whatever the address says.
    let page = browser.get("/web/immuni").await;
    for text in [
        "Caricamento App Immuni",
        "Inserire il pincode per accedere al servizio per la trasmissione del codice OTP:",
        "<label for=\"pincode\">Pincode:*</label>",
        "Conferma",
    ] {
        assert!(page.body.contains(text), "{text:?} missing: {}", page.body);
    }
    let passed = type_pincode(&mut browser, PINCODE).await;
    assert_eq!(location(&passed), "/web/immuni");
    let page = form(&mut browser).await;
    for text in [
        "Ultimo accesso il ",
        "Servizio per la trasmissione del codice OTP",
        "<label for=\"codice_otp\">Codice OTP:*</label>",
        "<label for=\"data_inizio_sintomi\">Data Inizio Sintomi:*</label>",
        "Codice di sicurezza",
        ">audio</a>",
        ">altra immagine</a>",
        ">altro audio</a>",
        "<audio controls",
        "Invia Dati",
        "APP IMMUNI – Impostazioni – Segnala",
        "prosegui",
        "method=\"post\" action=\"/web/immuni/invio\" autocomplete=\"off\"",
    ] {
        assert!(page.body.contains(text), "{text:?} missing: {}", page.body);
    }
    assert_eq!(page.header("cache-control"), Some("no-store"));
    assert!(!page.body.contains("<script"));

    // The answer is nowhere on the page (the random id and token aside, which may hold digits).
    let answer = app.captcha_answer(&browser, &page).await;
    let id = hidden_field(&page, "captcha_id");
    let text = page.body.replace(&id, "").replace(&csrf_of(&page), "");
    assert!(!text.contains(&answer), "the page tells the answer");
    // The picture and the sound, drawn afresh on each request.
    let image = browser
        .get(&format!("/web/captcha/{id}/immagine.png"))
        .await;
    assert_eq!(image.status, 200);
    assert_eq!(image.header("content-type"), Some("image/png"));
    assert!(image.body.contains("PNG\r\n"), "a PNG");
    assert_ne!(
        image.body,
        browser
            .get(&format!("/web/captcha/{id}/immagine.png"))
            .await
            .body
    );
    let sound = browser.get(&format!("/web/captcha/{id}/audio.wav")).await;
    assert_eq!(sound.header("content-type"), Some("audio/wav"));
    assert!(sound.body.starts_with("RIFF") && sound.body.contains("WAVEfmt "));
    // Another session cannot fetch them.
    let mut other = app.browser(As::Anonymous);
    other.get("/web/login").await;
    assert_eq!(
        other
            .get(&format!("/web/captcha/{id}/immagine.png"))
            .await
            .status,
        404
    );

    let otp = fresh_otp();
    let date = (app.today() - Duration::days(2))
        .format("%Y-%m-%d")
        .to_string();
    let done = send(&app, &mut browser, &page, &otp, &date).await;
    let (ok, entry) = outcome(&app, &done).await;
    assert!(ok, "{}", done.body);
    assert!(done
        .body
        .contains("Codice OTP inviato correttamente al sistema Immuni"));
    assert!(!done.body.contains(&otp) && !done.body.contains(&date));
    assert_eq!(done.header("cache-control"), Some("no-store"));
    assert_eq!(upstream.received(), 1);
    // The entry SOAP InvioOTP writes for an operator.
    assert_eq!(
        (entry.service.as_str(), entry.operation.as_str()),
        ("InvioOTP", "InvioOTP")
    );
    assert_eq!(entry.outcome, "0000");
    assert_eq!(entry.caller_kind, CallerKind::OperatorPassword);
    assert_eq!(entry.caller_id, OPERATOR.id);
    assert_eq!(entry.operator_cf.as_deref(), Some(OPERATOR.cf));
    assert_eq!(entry.client_address.as_deref(), Some("127.0.0.1"));
    // The captcha was used up: the same form posted again is refused before anything is sent.
    let again = send_again(&mut browser, &page, &otp, &date, &answer).await;
    assert_eq!(again.status, 422, "{}", again.body);
    assert_eq!(upstream.received(), 1);
    Ok(())
}

async fn send_again(
    browser: &mut Browser,
    page: &Reply,
    otp: &str,
    date: &str,
    answer: &str,
) -> Reply {
    let reply = submit(browser, page, otp, date, answer).await;
    assert!(
        reply
            .body
            .contains("Inserire il codice di sicurezza della nuova immagine"),
        "{}",
        reply.body
    );
    reply
}

#[tokio::test]
async fn already_authorised_a_typo_and_the_backend_down_each_have_their_outcome() -> TestResult {
    let upstream = Upstream::start(Behaviour::Contract).await;
    let app = app_with(&upstream, |_| {}).await;
    let (mut browser, page) = at_the_form(&app).await;
    let date = app.today().format("%Y-%m-%d").to_string();

    // The same OTP twice: 2001, already authorised.
    let otp = fresh_otp();
    let first = send(&app, &mut browser, &page, &otp, &date).await;
    assert!(outcome(&app, &first).await.0);
    let page = form(&mut browser).await;
    let second = send(&app, &mut browser, &page, &otp, &date).await;
    let (ok, entry) = outcome(&app, &second).await;
    assert!(!ok);
    assert_eq!(entry.outcome, "9999");
    assert!(
        second
            .body
            .contains("Motivo (2001): Codice OTP già autorizzato"),
        "{}",
        second.body
    );
    assert_eq!(upstream.received(), 2);

    // A typo (the check character): refused here, nothing sent upstream.
    let valid = fresh_otp();
    let typo = format!(
        "{}{}",
        &valid[..9],
        if valid.ends_with('A') { 'E' } else { 'A' }
    );
    let page = form(&mut browser).await;
    let refused = send(&app, &mut browser, &page, &typo, &date).await;
    let (ok, entry) = outcome(&app, &refused).await;
    assert!(!ok);
    assert_eq!(entry.outcome, "9999");
    assert!(refused.body.contains("Motivo (1003)"), "{}", refused.body);
    assert!(!refused.body.contains(&typo));
    assert_eq!(upstream.received(), 2);

    // A date in the future: refused here too.
    let page = form(&mut browser).await;
    let tomorrow = (app.today() + Duration::days(1))
        .format("%Y-%m-%d")
        .to_string();
    let future = send(&app, &mut browser, &page, &fresh_otp(), &tomorrow).await;
    assert!(future.body.contains("Motivo (1012)"), "{}", future.body);

    // The backend down: 2003, and the id is still shown and logged.
    upstream.set(Behaviour::Status(503));
    let page = form(&mut browser).await;
    let down = send(&app, &mut browser, &page, &fresh_otp(), &date).await;
    let (ok, entry) = outcome(&app, &down).await;
    assert!(!ok);
    assert_eq!(entry.outcome, "9999");
    assert!(down.body.contains("Motivo (2003)"), "{}", down.body);
    Ok(())
}

#[tokio::test]
async fn a_wrong_captcha_gets_a_new_one_and_too_many_end_the_session() -> TestResult {
    let upstream = Upstream::start(Behaviour::Contract).await;
    let app = app_with(&upstream, |_| {}).await;
    let (mut browser, page) = at_the_form(&app).await;
    let date = app.today().format("%Y-%m-%d").to_string();
    let answer = app.captcha_answer(&browser, &page).await;
    let wrong = if answer == "000000" {
        "111111"
    } else {
        "000000"
    };
    let entries = app.access_log().await.len();

    let refused = submit(&mut browser, &page, &fresh_otp(), &date, wrong).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused
        .body
        .contains("Il codice di sicurezza non è corretto"));
    assert_ne!(
        hidden_field(&refused, "captcha_id"),
        hidden_field(&page, "captcha_id")
    );
    // The old challenge is gone, even with its right answer.
    let stale = submit(&mut browser, &page, &fresh_otp(), &date, &answer).await;
    assert_eq!(stale.status, 422);
    // Late: expired after five minutes.
    let late_page = form(&mut browser).await;
    app.pin_clock(app_now(&app) + Duration::minutes(6));
    let late = send(&app, &mut browser, &late_page, &fresh_otp(), &date).await;
    assert!(late.body.contains("scaduto"), "{}", late.body);
    app.pin_clock_at_utc_noon();
    // Nothing was sent, nothing logged.
    assert_eq!(upstream.received(), 0);
    assert_eq!(app.access_log().await.len(), entries);

    // Five wrong answers in all end the session.
    let mut page = form(&mut browser).await;
    for _ in 0..3 {
        let refused = submit(&mut browser, &page, &fresh_otp(), &date, wrong).await;
        assert_eq!(refused.status, 422, "{}", refused.body);
        page = refused;
    }
    let ended = submit(&mut browser, &page, &fresh_otp(), &date, wrong).await;
    assert_eq!(ended.status, 429, "{}", ended.body);
    assert!(ended.body.contains("Troppi codici di sicurezza errati"));
    assert_eq!(location(&browser.get("/web/").await), "/web/login");
    assert_eq!(upstream.received(), 0);
    Ok(())
}

/// The gateway's pinned clock (noon UTC today).
fn app_now(_app: &TestApp) -> chrono::DateTime<Utc> {
    Utc::now()
        .date_naive()
        .and_hms_opt(12, 0, 0)
        .expect("noon")
        .and_utc()
}

#[tokio::test]
async fn a_wrong_pincode_counts_toward_the_lockout_soap_shares() -> TestResult {
    let upstream = Upstream::start(Behaviour::Contract).await;
    let app = app_with(&upstream, |config| {
        config.auth.max_failures = 2;
        config.auth.lockout_minutes = 10.0;
    })
    .await;
    let mut browser = signed_in(&app, OPERATOR.id).await;
    // The form is not reachable before the pincode: a post goes back to the pincode page.
    let page = browser.get("/web/immuni").await;
    let csrf = csrf_of(&page);
    let early = browser
        .post(
            "/web/immuni/invio",
            &[
                ("csrf", &csrf),
                ("codice_otp", &fresh_otp()),
                ("data_inizio_sintomi", "2020-01-01"),
            ],
        )
        .await;
    assert_eq!((early.status, location(&early)), (303, "/web/immuni"));

    let wrong = type_pincode(&mut browser, "1111111111").await;
    assert_eq!(wrong.status, 401, "{}", wrong.body);
    assert!(wrong.body.contains("Pincode non valido"));
    assert!(!wrong.body.contains("1111111111"));
    assert_eq!(
        app.store()
            .credential_failures()
            .count(OPERATOR.id)
            .await?
            .failures,
        1
    );
    // A right one forgets the failure.
    assert_eq!(
        location(&type_pincode(&mut browser, PINCODE).await),
        "/web/immuni"
    );
    assert_eq!(
        app.store()
            .credential_failures()
            .count(OPERATOR.id)
            .await?
            .failures,
        0
    );

    // In a new session: two wrong ones lock the account, for SOAP too.
    let mut browser = signed_in(&app, OPERATOR.id).await;
    for _ in 0..2 {
        assert_eq!(type_pincode(&mut browser, "2222222222").await.status, 401);
    }
    assert!(app
        .store()
        .credential_failures()
        .count(OPERATOR.id)
        .await?
        .locked_at(Utc::now()));
    assert_eq!(
        type_pincode(&mut browser, PINCODE).await.status,
        401,
        "locked"
    );
    let soap = app.catalogue_with_password(OPERATOR.id, PASSWORD).await;
    assert_eq!(
        soap.outcome(),
        Some("CREDENZIALI_INVALIDE"),
        "{}",
        soap.body
    );
    Ok(())
}

#[tokio::test]
async fn no_otp_profile_and_no_csrf_token_are_refused() -> TestResult {
    let upstream = Upstream::start(Behaviour::Contract).await;
    let app = app_with(&upstream, |_| {}).await;
    // A doctor holds no OTP profile: no menu entry, no page.
    let mut doctor = signed_in(&app, MMG.id).await;
    let home = doctor.get("/web/").await;
    assert!(
        !home.body.contains("Caricamento App Immuni"),
        "{}",
        home.body
    );
    let refused = doctor.get("/web/immuni").await;
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains("Servizio non consentito"));
    assert!(refused.body.contains("Sistema TS-Invio codice OTP"));
    let csrf = csrf_of(&home);
    let posted = doctor
        .post(
            "/web/immuni/pincode",
            &[("csrf", &csrf), ("pincode", PINCODE)],
        )
        .await;
    assert_eq!(posted.status, 403);

    // The operator's form without its token: refused before anything is read.
    let (mut browser, page) = at_the_form(&app).await;
    let answer = app.captcha_answer(&browser, &page).await;
    let id = hidden_field(&page, "captcha_id");
    let date = app.today().format("%Y-%m-%d").to_string();
    let otp = fresh_otp();
    let fields = [
        ("captcha_id", id.as_str()),
        ("captcha", answer.as_str()),
        ("codice_otp", otp.as_str()),
        ("data_inizio_sintomi", date.as_str()),
    ];
    let no_token = browser.post("/web/immuni/invio", &fields).await;
    assert_eq!(no_token.status, 403);
    assert!(no_token.body.contains("Richiesta rifiutata"));
    let no_token = browser
        .post("/web/immuni/pincode", &[("pincode", PINCODE)])
        .await;
    assert_eq!(no_token.status, 403);
    assert_eq!(upstream.received(), 0);
    // The captcha was not spent by the refused post.
    let done = send(&app, &mut browser, &page, &otp, &date).await;
    assert!(outcome(&app, &done).await.0, "{}", done.body);
    Ok(())
}

#[tokio::test]
async fn failed_logins_bring_the_captcha_to_the_login() -> TestResult {
    let upstream = Upstream::start(Behaviour::Contract).await;
    let app = app_with(&upstream, |config| {
        config.web.login_captcha_after_failures = 2
    })
    .await;
    let mut browser = app.browser(As::Anonymous);
    let page = browser.get("/web/login").await;
    assert!(!page.body.contains("Codice di sicurezza"), "none at first");
    let mut page = page;
    for _ in 0..2 {
        let csrf = csrf_of(&page);
        page = browser
            .post(
                "/web/login",
                &[
                    ("csrf", &csrf),
                    ("user_id", OPERATOR.id),
                    ("password", "wrong"),
                ],
            )
            .await;
        assert_eq!(page.status, 401);
    }
    assert!(page.body.contains("Codice di sicurezza"), "{}", page.body);
    assert!(browser
        .get("/web/login")
        .await
        .body
        .contains("Codice di sicurezza"));
    let page = browser.get("/web/login").await;
    // The right password without the captcha is not even checked.
    let csrf = csrf_of(&page);
    let refused = browser
        .post(
            "/web/login",
            &[
                ("csrf", &csrf),
                ("user_id", OPERATOR.id),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(refused.status, 401);
    assert!(
        refused.body.contains("codice di sicurezza"),
        "{}",
        refused.body
    );
    // With it, in.
    let answer = app.captcha_answer(&browser, &refused).await;
    let id = hidden_field(&refused, "captcha_id");
    let login = browser
        .post(
            "/web/login",
            &[
                ("csrf", &csrf),
                ("user_id", OPERATOR.id),
                ("password", PASSWORD),
                ("captcha_id", &id),
                ("captcha", &answer),
            ],
        )
        .await;
    assert_sent_home(&login);
    Ok(())
}
