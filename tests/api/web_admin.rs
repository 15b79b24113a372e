//! The security administrators' web pages (issue #11 item 8) over real TLS with raw HTTP: their
//! own login (the command line's check, lockout and audit, with the browser's address); the
//! central administrator creating an ASL administrator, resetting their password and unlocking
//! them; an ASL administrator creating an operator with a profile, granting and revoking one,
//! and the registration letter shown once; scoping to the administrator's ASL; every reset or
//! disable ending the operator's web sessions (from the web and the command line alike); CSRF;
//! operators kept out of these pages.

use tsgate::domain::Profile;
use tsgate::store::ChainedEntry;

use crate::helpers::browser::{csrf_of, hidden_field, Browser};
use crate::helpers::seed::{self, PASSWORD};
use crate::helpers::{spawn_app, spawn_app_with, As, Reply, TestApp, TestResult, MMG, OPERATOR};

/// The operator the ASL administrator registers: a CF no seeded user has.
const NEW_OPERATOR: &str = "VERDI01";
const NEW_OPERATOR_CF: &str = "VRDLGI70B02F205J";
const OTP_PROFILE: &str = "Sistema TS-Invio codice OTP";

fn location(reply: &Reply) -> &str {
    reply.header("location").unwrap_or("")
}

/// Logs in at the administrators' login page; the answer to the POST.
async fn admin_log_in(browser: &mut Browser, admin_id: &str, password: &str) -> Reply {
    let page = browser.get("/web/admin/accesso").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let csrf = csrf_of(&page);
    browser
        .post(
            "/web/admin/accesso",
            &[
                ("csrf", &csrf),
                ("admin_id", admin_id),
                ("password", password),
            ],
        )
        .await
}

/// A browser logged in as the administrator `admin_id`, on their home.
async fn administrator(app: &TestApp, admin_id: &str) -> (Browser, Reply) {
    let mut browser = app.browser(As::Anonymous);
    let login = admin_log_in(&mut browser, admin_id, PASSWORD).await;
    assert_eq!(
        (login.status, location(&login)),
        (303, "/web/admin/"),
        "{}",
        login.body
    );
    let home = browser.get("/web/admin/").await;
    assert_eq!(home.status, 200, "{}", home.body);
    (browser, home)
}

/// A browser logged in as the operator `user_id` at the operators' login.
async fn operator(app: &TestApp, user_id: &str, password: &str) -> Browser {
    let mut browser = app.browser(As::Anonymous);
    let page = browser.get("/web/login").await;
    let csrf = csrf_of(&page);
    let login = browser
        .post(
            "/web/login",
            &[
                ("csrf", &csrf),
                ("user_id", user_id),
                ("password", password),
            ],
        )
        .await;
    assert_eq!(login.status, 303, "{}", login.body);
    browser
}

/// The value the registration letter shows after `label` (e.g. "Parola chiave iniziale:").
fn credential(letter: &Reply, label: &str) -> Option<String> {
    let marker = format!("<dt>{label}</dt><dd class=\"credenziale\">");
    let start = letter.body.find(&marker)? + marker.len();
    let end = letter.body[start..].find('<')? + start;
    Some(letter.body[start..end].to_owned())
}

/// Posts an action on an operator from their page (whose CSRF token it reads).
async fn operator_action(
    browser: &mut Browser,
    user_id: &str,
    action: &str,
    profile: Option<&str>,
) -> Reply {
    let page = browser
        .get(&format!("/web/admin/operatori/{user_id}"))
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let csrf = csrf_of(&page);
    let mut fields = vec![
        ("csrf", csrf.as_str()),
        ("user_id", user_id),
        ("action", action),
    ];
    if let Some(profile) = profile {
        fields.push(("profile", profile));
    }
    browser.post("/web/admin/operatori/azione", &fields).await
}

/// Administrative entries of `operation` on `target`, oldest first.
/// The page's Messaggi box holds none of the rules' English words (the command line's).
fn assert_italian(page: &Reply) {
    let start = page.body.find("Messaggi").unwrap_or(0);
    let end = page.body[start..]
        .find("</section>")
        .map_or(page.body.len(), |end| start + end);
    let messages = &page.body[start..end];
    for english in [
        " must ",
        " the ",
        "invalid",
        "expected",
        " of region",
        "characters",
    ] {
        assert!(
            !messages.contains(english),
            "{english:?} on the page: {}",
            page.body
        );
    }
}

async fn audited(app: &TestApp, operation: &str, target: &str) -> Vec<ChainedEntry> {
    app.access_log()
        .await
        .into_iter()
        .filter(|e| e.entry.operation == operation && e.entry.target.as_deref() == Some(target))
        .collect()
}

#[tokio::test]
async fn operators_cannot_open_the_administration_nor_administrators_the_operators_pages(
) -> TestResult {
    let app = spawn_app().await;
    let mut anonymous = app.browser(As::Anonymous);
    let home = anonymous.get("/web/admin/").await;
    assert_eq!((home.status, location(&home)), (303, "/web/admin/accesso"));
    let login = anonymous.get("/web/admin/accesso").await;
    for text in [
        "ACCESSO AMMINISTRATORI DI SICUREZZA",
        "<label for=\"admin_id\">Codice Identificativo</label>",
        "<label for=\"password\">Parola chiave</label>",
    ] {
        assert!(
            login.body.contains(text),
            "{text:?} missing: {}",
            login.body
        );
    }
    assert!(!login.body.contains("<script"));
    let operators_login = anonymous.get("/web/login").await;
    assert!(operators_login
        .body
        .contains("href=\"/web/admin/accesso\">Accesso amministratori di sicurezza"));

    let mut browser = operator(&app, OPERATOR.id, PASSWORD).await;
    let csrf = csrf_of(&browser.get("/web/").await);
    for path in ["/web/admin/", "/web/admin/operatori/DEMOOP01"] {
        let refused = browser.get(path).await;
        assert_eq!(refused.status, 403, "{path}: {}", refused.body);
        assert!(
            refused
                .body
                .contains("riservata agli amministratori di sicurezza"),
            "{}",
            refused.body
        );
    }
    let posted = browser
        .post(
            "/web/admin/operatori/azione",
            &[
                ("csrf", &csrf),
                ("user_id", MMG.id),
                ("action", "reset-password"),
            ],
        )
        .await;
    assert_eq!(posted.status, 403, "{}", posted.body);
    assert!(audited(&app, "user-reset-password", MMG.id)
        .await
        .is_empty());

    // An administrator's id and password open no operator's page, nor the operators' login.
    let (mut admin, _) = administrator(&app, seed::ASL_ADMIN).await;
    let home = admin.get("/web/").await;
    assert_eq!((home.status, location(&home)), (303, "/web/login"));
    let mut other = app.browser(As::Anonymous);
    let csrf = csrf_of(&other.get("/web/login").await);
    let as_operator = other
        .post(
            "/web/login",
            &[
                ("csrf", &csrf),
                ("user_id", seed::ASL_ADMIN),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(as_operator.status, 401, "{}", as_operator.body);

    // Esci ends an administrator's session and goes back to their login.
    let csrf = csrf_of(&admin.get("/web/admin/").await);
    let out = admin.post("/web/esci", &[("csrf", &csrf)]).await;
    assert_eq!((out.status, location(&out)), (303, "/web/admin/accesso"));
    let after = admin.get("/web/admin/").await;
    assert_eq!(
        (after.status, location(&after)),
        (303, "/web/admin/accesso")
    );
    Ok(())
}

#[tokio::test]
async fn the_administrators_login_is_the_command_lines_check_lockout_and_audit() -> TestResult {
    const MAX_FAILURES: u32 = 3;
    // The lockout alone: the captcha, which failed logins bring on too, has its own test below.
    let app = spawn_app_with(|config| {
        config.auth.max_failures = MAX_FAILURES;
        config.web.login_captcha_after_failures = 100;
    })
    .await;
    let mut browser = app.browser(As::Anonymous);
    for _ in 0..MAX_FAILURES {
        let refused = admin_log_in(&mut browser, seed::ASL_ADMIN, "sbagliata").await;
        assert_eq!(refused.status, 401, "{}", refused.body);
        assert!(refused.body.contains("Credenziali non valide"));
    }
    // Locked: the right password is refused alike, on the web and on the command line.
    let locked = admin_log_in(&mut browser, seed::ASL_ADMIN, PASSWORD).await;
    assert_eq!(locked.status, 401, "{}", locked.body);
    let cli = app
        .cli(
            &["users", "list", "--as", seed::ASL_ADMIN],
            &[("TSGATE_ADMIN_PASSWORD", PASSWORD)],
        )
        .await;
    assert!(
        String::from_utf8_lossy(&cli.stderr).contains("invalid administrator id or password"),
        "{cli:?}"
    );
    let refusals = audited(&app, "admin-authenticate", seed::ASL_ADMIN).await;
    assert!(refusals.len() > MAX_FAILURES as usize);
    assert!(
        refusals
            .iter()
            .take(MAX_FAILURES as usize)
            .all(|e| e.entry.client_address.as_deref() == Some("127.0.0.1")),
        "a web attempt records the browser's address: {refusals:?}"
    );

    // The central administrator sees the lock and lifts it from the web.
    let (mut central, home) = administrator(&app, seed::CENTRAL_ADMIN).await;
    assert!(home.body.contains("AMMINISTRATORI DI SICUREZZA"));
    assert!(home.body.contains("bloccato fino alle"), "{}", home.body);
    let csrf = csrf_of(&home);
    let unlocked = central
        .post(
            "/web/admin/amministratori/azione",
            &[
                ("csrf", &csrf),
                ("admin_id", seed::ASL_ADMIN),
                ("action", "sblocca"),
            ],
        )
        .await;
    assert_eq!(unlocked.status, 200, "{}", unlocked.body);
    assert!(unlocked
        .body
        .contains(&format!("Amministratore «{}» sbloccato.", seed::ASL_ADMIN)));
    let unlock = audited(&app, "admin-unlock", seed::ASL_ADMIN).await;
    assert_eq!(
        unlock
            .iter()
            .map(|e| (
                e.entry.caller_id.as_str(),
                e.entry.outcome.as_str(),
                e.entry.client_address.as_deref()
            ))
            .collect::<Vec<_>>(),
        vec![(seed::CENTRAL_ADMIN, "ok", Some("127.0.0.1"))]
    );
    administrator(&app, seed::ASL_ADMIN).await;
    Ok(())
}

#[tokio::test]
async fn the_central_administrator_creates_an_asl_administrator_and_resets_their_password(
) -> TestResult {
    let app = spawn_app().await;
    let (mut central, home) = administrator(&app, seed::CENTRAL_ADMIN).await;
    assert!(home.body.contains(seed::OTHER_ASL_ADMIN), "{}", home.body);
    let csrf = csrf_of(&home);
    let form = [
        ("csrf", csrf.as_str()),
        ("admin_id", "ADMIN203"),
        ("cf", "FRRMRC75P12H501H"),
        ("name", "Marco Ferri"),
        ("region", seed::REGION),
        ("asl", "203"),
    ];
    let letter = central.post("/web/admin/amministratori", &form).await;
    assert_eq!(letter.status, 200, "{}", letter.body);
    assert!(letter.body.contains("Lettera di registrazione"));
    assert_eq!(
        credential(&letter, "Codice Identificativo:").as_deref(),
        Some("ADMIN203")
    );
    let password = credential(&letter, "Parola chiave iniziale:").expect("a password");
    assert_eq!(credential(&letter, "Prima parte del pincode:"), None);
    // Sent again (a reload): refused before anything is done, the password not shown again.
    let again = central.post("/web/admin/amministratori", &form).await;
    assert_eq!(again.status, 403, "{}", again.body);
    assert!(!again.body.contains(&password));

    let mut new_admin = app.browser(As::Anonymous);
    let login = admin_log_in(&mut new_admin, "ADMIN203", &password).await;
    assert_eq!(location(&login), "/web/admin/", "{}", login.body);
    let own = new_admin.get("/web/admin/").await;
    assert!(own.body.contains("UTENZE DELLA ASL"), "{}", own.body);
    assert!(own.body.contains("ASL 203 della regione 120"));
    // An ASL's administrator manages no administrators.
    let refused = new_admin
        .post(
            "/web/admin/amministratori",
            &[
                ("csrf", &csrf_of(&own)),
                ("admin_id", "X"),
                ("cf", "RSSMRA80A01H501U"),
            ],
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(refused
        .body
        .contains("amministratore di sicurezza centrale gestisce gli amministratori"));

    // A reset: a new password in a letter, the old one refused, their session ended.
    let csrf = csrf_of(&central.get("/web/admin/").await);
    let reset = central
        .post(
            "/web/admin/amministratori/azione",
            &[
                ("csrf", &csrf),
                ("admin_id", "ADMIN203"),
                ("action", "reset-password"),
            ],
        )
        .await;
    assert_eq!(reset.status, 200, "{}", reset.body);
    let new_password = credential(&reset, "Parola chiave iniziale:").expect("a password");
    assert_ne!(new_password, password);
    let ended = new_admin.get("/web/admin/").await;
    assert_eq!(
        (ended.status, location(&ended)),
        (303, "/web/admin/accesso")
    );
    let old = admin_log_in(&mut new_admin, "ADMIN203", &password).await;
    assert_eq!(old.status, 401);
    let fresh = admin_log_in(&mut new_admin, "ADMIN203", &new_password).await;
    assert_eq!(location(&fresh), "/web/admin/");

    for (operation, count) in [("admin-create", 1), ("admin-reset-password", 1)] {
        let entries = audited(&app, operation, "ADMIN203").await;
        assert_eq!(entries.len(), count, "{operation}: {entries:?}");
        let entry = &entries[0].entry;
        assert_eq!(
            (
                entry.caller_id.as_str(),
                entry.outcome.as_str(),
                entry.client_address.as_deref()
            ),
            (seed::CENTRAL_ADMIN, "ok", Some("127.0.0.1"))
        );
        assert!(
            !entry
                .detail
                .clone()
                .unwrap_or_default()
                .contains(&new_password),
            "no secret in the log"
        );
    }
    Ok(())
}

#[tokio::test]
async fn an_asl_administrator_creates_an_operator_grants_a_profile_and_prints_the_letter(
) -> TestResult {
    let app = spawn_app().await;
    let (mut admin, home) = administrator(&app, seed::ASL_ADMIN).await;
    assert!(home.body.contains(OPERATOR.id), "{}", home.body);
    let csrf = csrf_of(&home);
    let form = [
        ("csrf", csrf.as_str()),
        ("user_id", NEW_OPERATOR),
        ("cf", NEW_OPERATOR_CF),
        ("surname", "Verdi"),
        ("given_name", "Luigi"),
        ("email", "luigi.verdi@asl201.example.it"),
        ("phone", ""),
        ("profile", OTP_PROFILE),
    ];
    let letter = admin.post("/web/admin/operatori", &form).await;
    assert_eq!(letter.status, 200, "{}", letter.body);
    assert_eq!(letter.header("cache-control"), Some("no-store"));
    assert!(!letter.body.contains("<script"), "printable without script");
    for text in [
        "Lettera di registrazione al Sistema Tessera Sanitaria",
        "ASL 201 della regione 120",
        "Luigi Verdi",
        NEW_OPERATOR_CF,
        "La seconda parte del pincode si ottiene direttamente sul portale",
        "ricaricando la pagina non",
    ] {
        assert!(
            letter.body.to_lowercase().contains(&text.to_lowercase()),
            "{text:?} missing: {}",
            letter.body
        );
    }
    let password = credential(&letter, "Parola chiave iniziale:").expect("a password");
    let first_half = credential(&letter, "Prima parte del pincode:").expect("a half");
    assert!(first_half.len() == 5 && first_half.bytes().all(|b| b.is_ascii_digit()));
    // The print rules leave only the letter.
    let start = letter.body.find("/web/static/").expect("stylesheet");
    let end = letter.body[start..].find('"').expect("quote") + start;
    let css = admin.get(&letter.body[start..end]).await;
    assert!(css.body.contains("@media print"));
    // The credentials are in no cookie and no URL, and a reload shows them no more.
    assert!(!letter
        .header("set-cookie")
        .unwrap_or("")
        .contains(&password));
    assert!(!location(&letter).contains(&password));
    let again = admin.post("/web/admin/operatori", &form).await;
    assert_eq!(again.status, 403, "{}", again.body);
    assert!(!again.body.contains(&first_half) && !again.body.contains(&password));

    let store = app.store();
    let user = store.directory().find_user(NEW_OPERATOR).await?;
    let user = user.expect("registered");
    assert_eq!(
        (
            user.region.map(|r| r.to_string()),
            user.asl.map(|a| a.to_string())
        ),
        (Some(seed::REGION.to_owned()), Some(seed::ASL.to_owned()))
    );
    assert_eq!(
        store.directory().profiles_of(NEW_OPERATOR).await?,
        vec![Profile::InvioCodiceOtp]
    );

    // Grant, then revoke, from the operator's page.
    let granted =
        operator_action(&mut admin, NEW_OPERATOR, "concedi", Some("Sierologici MMG")).await;
    assert_eq!(granted.status, 200, "{}", granted.body);
    assert!(granted.body.contains("Profilo «Sierologici MMG» concesso."));
    assert_eq!(store.directory().profiles_of(NEW_OPERATOR).await?.len(), 2);
    let revoked = operator_action(&mut admin, NEW_OPERATOR, "revoca", Some(OTP_PROFILE)).await;
    assert!(revoked.body.contains("revocato"), "{}", revoked.body);
    assert_eq!(
        store.directory().profiles_of(NEW_OPERATOR).await?,
        vec![Profile::SierologiciMmg]
    );
    let unknown = operator_action(&mut admin, NEW_OPERATOR, "concedi", Some("Tutto")).await;
    assert_eq!(unknown.status, 400, "{}", unknown.body);
    assert!(
        unknown
            .body
            .contains("Profilo: dato non valido (uno dei profili elencati)."),
        "{}",
        unknown.body
    );
    assert_italian(&unknown);

    // A field that does not parse is named, and nothing is registered.
    let csrf = csrf_of(&admin.get("/web/admin/").await);
    let bad = admin
        .post(
            "/web/admin/operatori",
            &[
                ("csrf", &csrf),
                ("user_id", "BAD01"),
                ("cf", "RSSMRA80A01H501"),
            ],
        )
        .await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(
        bad.body.contains("Codice fiscale: dato non valido"),
        "{}",
        bad.body
    );
    assert_italian(&bad);
    assert!(store.directory().find_user("BAD01").await?.is_none());
    // The rules' reasons, in Italian: a wrong check character, an e-mail, an empty id.
    for (fields, expected) in [
        (
            [
                ("user_id", "BAD02"),
                ("cf", "RSSMRA80A01H501X"),
                ("email", ""),
            ],
            "Codice fiscale: dato non valido (il carattere di controllo è errato, atteso «U»).",
        ),
        (
            [
                ("user_id", "BAD03"),
                ("cf", NEW_OPERATOR_CF),
                ("email", "non-una-email"),
            ],
            "E-mail: dato non valido (nome@dominio, senza spazi, al massimo 254 caratteri).",
        ),
        (
            [("user_id", " "), ("cf", NEW_OPERATOR_CF), ("email", "")],
            "Codice Identificativo: dato non valido (non può essere vuoto).",
        ),
    ] {
        let mut form = vec![("csrf", csrf.as_str())];
        form.extend(fields);
        let refused = admin.post("/web/admin/operatori", &form).await;
        assert_eq!(refused.status, 400, "{}", refused.body);
        assert!(
            refused.body.contains(expected),
            "{expected}: {}",
            refused.body
        );
        assert_italian(&refused);
    }
    let taken = admin
        .post(
            "/web/admin/operatori",
            &[
                ("csrf", &csrf),
                ("user_id", OPERATOR.id),
                ("cf", NEW_OPERATOR_CF),
            ],
        )
        .await;
    assert_eq!(taken.status, 409, "{}", taken.body);

    // The letter's credentials open the operators' login, which asks for a new password first.
    let mut new_operator = app.browser(As::Anonymous);
    let csrf = csrf_of(&new_operator.get("/web/login").await);
    let login = new_operator
        .post(
            "/web/login",
            &[
                ("csrf", &csrf),
                ("user_id", NEW_OPERATOR),
                ("password", &password),
            ],
        )
        .await;
    assert_eq!(
        (login.status, location(&login)),
        (303, "/web/cambio-password"),
        "{}",
        login.body
    );

    let created = audited(&app, "user-create", NEW_OPERATOR).await;
    assert_eq!(created.len(), 1);
    assert_eq!(
        created[0].entry.client_address.as_deref(),
        Some("127.0.0.1")
    );
    let grants = audited(&app, "user-grant", NEW_OPERATOR).await;
    assert_eq!(
        grants
            .iter()
            .map(|e| e.entry.detail.as_deref())
            .collect::<Vec<_>>(),
        vec![Some("Sierologici MMG")]
    );
    Ok(())
}

#[tokio::test]
async fn an_asl_administrator_is_refused_another_asls_operators_and_the_central_one_all(
) -> TestResult {
    let app = spawn_app().await;
    let (mut other, _) = administrator(&app, seed::OTHER_ASL_ADMIN).await;
    let page = other
        .get(&format!("/web/admin/operatori/{}", OPERATOR.id))
        .await;
    assert_eq!(page.status, 403, "{}", page.body);
    assert!(
        page.body.contains("non appartiene alla sua ASL"),
        "{}",
        page.body
    );
    let csrf = csrf_of(&other.get("/web/admin/").await);
    let reset = other
        .post(
            "/web/admin/operatori/azione",
            &[
                ("csrf", &csrf),
                ("user_id", OPERATOR.id),
                ("action", "reset-password"),
            ],
        )
        .await;
    assert_eq!(reset.status, 403, "{}", reset.body);
    assert!(!reset.body.contains("Parola chiave iniziale"));
    // Nothing changed: the operator still logs in with their password.
    operator(&app, OPERATOR.id, PASSWORD).await;
    let refused = audited(&app, "user-reset-password", OPERATOR.id).await;
    assert_eq!(refused.len(), 1);
    assert!(
        refused[0]
            .entry
            .outcome
            .starts_with("refused: administrator 'ADMIN202'"),
        "{:?}",
        refused[0].entry
    );
    let home = other.get("/web/admin/").await;
    assert!(!home.body.contains(OPERATOR.id), "only ASL 202's operators");

    let (mut central, home) = administrator(&app, seed::CENTRAL_ADMIN).await;
    let grant = central
        .post(
            "/web/admin/operatori/azione",
            &[
                ("csrf", &csrf_of(&home)),
                ("user_id", OPERATOR.id),
                ("action", "concedi"),
                ("profile", "Sierologici MMG"),
            ],
        )
        .await;
    assert_eq!(grant.status, 403, "{}", grant.body);
    assert!(grant.body.contains("centrale non amministra gli operatori"));
    Ok(())
}

#[tokio::test]
async fn every_reset_and_disable_logs_the_operator_out_of_the_web() -> TestResult {
    let app = spawn_app().await;
    let (mut admin, _) = administrator(&app, seed::ASL_ADMIN).await;
    for action in ["reset-pincode", "reset-totp", "disabilita"] {
        let mut logged_in = operator(&app, OPERATOR.id, PASSWORD).await;
        assert_eq!(logged_in.get("/web/").await.status, 200);
        let done = operator_action(&mut admin, OPERATOR.id, action, None).await;
        assert_eq!(done.status, 200, "{action}: {}", done.body);
        let after = logged_in.get("/web/").await;
        assert_eq!(
            (after.status, location(&after)),
            (303, "/web/login"),
            "{action} ends the session"
        );
    }
    let pincode = operator_action(&mut admin, OPERATOR.id, "abilita", None).await;
    assert!(pincode.body.contains("Utenza abilitata."));

    // The password reset answers with the letter; the operator's session is over.
    let mut logged_in = operator(&app, MMG.id, PASSWORD).await;
    let letter = operator_action(&mut admin, MMG.id, "reset-password", None).await;
    assert!(
        credential(&letter, "Parola chiave iniziale:").is_some(),
        "{}",
        letter.body
    );
    assert_eq!(location(&logged_in.get("/web/").await), "/web/login");

    // The command line's reset does the same.
    let mut logged_in = operator(&app, OPERATOR.id, PASSWORD).await;
    let cli = app
        .cli(
            &[
                "users",
                "reset-totp",
                "--as",
                seed::ASL_ADMIN,
                "--user-id",
                OPERATOR.id,
            ],
            &[("TSGATE_ADMIN_PASSWORD", PASSWORD)],
        )
        .await;
    assert!(cli.status.success(), "{cli:?}");
    assert_eq!(location(&logged_in.get("/web/").await), "/web/login");
    Ok(())
}

#[tokio::test]
async fn an_asl_administrator_unlocks_an_operator_and_forms_without_their_token_are_refused(
) -> TestResult {
    const MAX_FAILURES: u32 = 2;
    let app = spawn_app_with(|config| config.auth.max_failures = MAX_FAILURES).await;
    let mut browser = app.browser(As::Anonymous);
    for _ in 0..MAX_FAILURES {
        let csrf = csrf_of(&browser.get("/web/login").await);
        browser
            .post(
                "/web/login",
                &[
                    ("csrf", &csrf),
                    ("user_id", OPERATOR.id),
                    ("password", "sbagliata"),
                ],
            )
            .await;
    }
    let (mut admin, _) = administrator(&app, seed::ASL_ADMIN).await;
    let page = admin
        .get(&format!("/web/admin/operatori/{}", OPERATOR.id))
        .await;
    assert!(page.body.contains("bloccata fino alle"), "{}", page.body);

    // Without the session's token (or with another), nothing is done.
    for csrf in ["", "not-the-token"] {
        let forged = admin
            .post(
                "/web/admin/operatori/azione",
                &[
                    ("csrf", csrf),
                    ("user_id", OPERATOR.id),
                    ("action", "sblocca"),
                ],
            )
            .await;
        assert_eq!(forged.status, 403, "{}", forged.body);
        assert!(forged.body.contains("Richiesta rifiutata"));
        let created = admin
            .post(
                "/web/admin/operatori",
                &[
                    ("csrf", csrf),
                    ("user_id", NEW_OPERATOR),
                    ("cf", NEW_OPERATOR_CF),
                ],
            )
            .await;
        assert_eq!(created.status, 403);
    }
    assert!(audited(&app, "user-unlock", OPERATOR.id).await.is_empty());
    assert!(app
        .store()
        .directory()
        .find_user(NEW_OPERATOR)
        .await?
        .is_none());

    let unlocked = operator_action(&mut admin, OPERATOR.id, "sblocca", None).await;
    assert!(
        unlocked
            .body
            .contains("Utenza sbloccata (dopo 2 tentativi errati)."),
        "{}",
        unlocked.body
    );
    assert!(!unlocked.body.contains("bloccata fino alle"));
    operator(&app, OPERATOR.id, PASSWORD).await;
    Ok(())
}

/// Seed 004 §3.5d on the administrators' login too: after `web.login_captcha_after_failures`
/// wrong passwords the form asks for the captcha, judged before the password (the right one is
/// not even checked without it), and with it the administrator is in.
#[tokio::test]
async fn failed_logins_bring_the_captcha_to_the_administrators_login() -> TestResult {
    let app = spawn_app_with(|config| config.web.login_captcha_after_failures = 2).await;
    let mut browser = app.browser(As::Anonymous);
    let first = browser.get("/web/admin/accesso").await;
    assert!(!first.body.contains("Codice di sicurezza"), "none at first");
    for _ in 0..2 {
        let refused = admin_log_in(&mut browser, seed::ASL_ADMIN, "wrong").await;
        assert_eq!(refused.status, 401, "{}", refused.body);
    }
    let page = browser.get("/web/admin/accesso").await;
    assert!(page.body.contains("Codice di sicurezza"), "{}", page.body);
    let refused = admin_log_in(&mut browser, seed::ASL_ADMIN, PASSWORD).await;
    assert_eq!(refused.status, 401);
    assert!(
        refused.body.contains("codice di sicurezza"),
        "{}",
        refused.body
    );
    let answer = app.captcha_answer(&browser, &refused).await;
    let id = hidden_field(&refused, "captcha_id");
    let login = browser
        .post(
            "/web/admin/accesso",
            &[
                ("csrf", &csrf_of(&refused)),
                ("admin_id", seed::ASL_ADMIN),
                ("password", PASSWORD),
                ("captcha_id", &id),
                ("captcha", &answer),
            ],
        )
        .await;
    assert_eq!(
        (login.status, location(&login)),
        (303, "/web/admin/"),
        "{}",
        login.body
    );
    Ok(())
}
