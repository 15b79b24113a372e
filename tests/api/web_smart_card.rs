//! A web session opened with "Accedi con smart card" ends when the card's certificate is revoked
//! (`tsgate certs revoke`, then the gateway's reload of `crl.pem`): the next page the browser
//! asks for — on the connection that still presents the card, or on one without it — sends it
//! to the login page, which says why in Italian, and the session row is gone. A session opened
//! with the password is not touched. Over real TLS, as a client.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tsgate::domain::CodiceFiscale;
use tsgate::pki::ca::Subject;
use tsgate::store::CallerKind;
use tsgate::web::session::hash_id;

use crate::helpers::browser::{assert_sent_home, csrf_of, Browser};
use crate::helpers::client::parse_reply;
use crate::helpers::seed::PASSWORD;
use crate::helpers::{spawn_app_with, As, Reply, TestApp, TestResult, OPERATOR};
use crate::revocation::revoke_and_wait_for_reload;

fn location(reply: &Reply) -> &str {
    reply.header("location").unwrap_or("")
}

/// The session row the browser's cookie names.
async fn row_of(app: &TestApp, browser: &Browser) -> Option<tsgate::store::WebSessionRecord> {
    let cookie = browser.cookie.as_deref()?;
    let id = cookie.split_once('=').map(|(_, id)| id)?;
    app.store()
        .web_sessions()
        .find(&hash_id(id))
        .await
        .expect("the store answers")
}

/// Logs in with the card the browser's connections present; the session's cookie is kept.
async fn log_in_with_card(browser: &mut Browser) {
    assert_sent_home(&browser.log_in_with_card().await);
    assert_eq!(browser.get("/web/").await.status, 200);
}

/// Saves Modifica Dati in `browser`'s session, from a connection without a card; the access
/// log's kind of caller and id for it.
async fn edit_profile(app: &TestApp, browser: &Browser) -> (CallerKind, String) {
    let mut without_card = Browser::new(app.address, app.certs(), As::Anonymous);
    without_card.cookie = browser.cookie.clone();
    let page = without_card.get("/web/profilo/modifica").await;
    let csrf = csrf_of(&page);
    let saved = without_card
        .post(
            "/web/profilo/modifica",
            &[
                ("csrf", &csrf),
                ("work_address", "Via Roma 1 - 00100 Roma (RM)"),
                ("phone", "06 1234 5678"),
                ("fax", ""),
                ("email", "mario.rossi@asl201.it"),
            ],
        )
        .await;
    assert_eq!(location(&saved), "/web/profilo", "{}", saved.body);
    let entry = app.access_log().await.pop().expect("an entry").entry;
    (entry.caller_kind, entry.caller_id)
}

#[tokio::test]
async fn revoking_the_card_ends_the_web_session_it_opened() -> TestResult {
    let app = spawn_app_with(|c| {
        c.tls.reload_interval_ms = 100;
        c.server.first_request_timeout_ms = 60_000;
    })
    .await;
    // The operator's card, from the gateway CA so that `tsgate certs revoke` can revoke it.
    let issued = app.ca().issue(
        &Subject::Operator {
            cf: CodiceFiscale::parse(OPERATOR.cf)?,
            name: "MARIO ROSSI".into(),
        },
        30,
    )?;
    let card = As::Certificate {
        cert_pem: issued.cert_pem.clone(),
        key_pem: issued.key_pem.clone(),
    };

    // Two sessions opened with the card, one with the password.
    let mut on_open_connection = app.browser(card.clone());
    log_in_with_card(&mut on_open_connection).await;
    let mut elsewhere = app.browser(card.clone());
    log_in_with_card(&mut elsewhere).await;
    let row = row_of(&app, &elsewhere).await.expect("the session row");
    assert!(
        row.card_chain
            .as_deref()
            .is_some_and(|pem| pem.contains("BEGIN CERTIFICATE")),
        "the session records the card that opened it"
    );
    let mut by_password = app.browser(As::Anonymous);
    let page = by_password.get("/web/login").await;
    let csrf = csrf_of(&page);
    let login = by_password
        .post(
            "/web/login",
            &[
                ("csrf", &csrf),
                ("user_id", OPERATOR.id),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(location(&login), "/web/", "{}", login.body);
    assert!(row_of(&app, &by_password)
        .await
        .is_some_and(|row| row.card_chain.is_none()));

    // What a card's session does is recorded as its own kind of caller, whether or not the
    // request's connection presents the card; the password's session as before.
    assert_eq!(
        edit_profile(&app, &elsewhere).await,
        (CallerKind::OperatorCardSession, OPERATOR.id.to_owned())
    );
    assert_eq!(
        edit_profile(&app, &by_password).await,
        (CallerKind::OperatorPassword, OPERATOR.id.to_owned())
    );
    assert_eq!(
        CallerKind::parse("operator-card-session"),
        Some(CallerKind::OperatorCardSession)
    );

    // A connection that presented the card before the revocation, kept open.
    let mut open = app.connect(card.clone()).await?;

    revoke_and_wait_for_reload(&app, &issued.serial_hex, &card).await?;

    // On the open connection: the login page, which will say why; the connection closes.
    let cookie = on_open_connection.cookie.clone().expect("a cookie");
    let request = format!("GET /web/ HTTP/1.1\r\nHost: localhost\r\nCookie: {cookie}\r\n\r\n");
    open.write_all(request.as_bytes()).await?;
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), open.read_to_end(&mut raw)).await??;
    let reply = parse_reply(&raw)?;
    assert_eq!(
        (reply.status, location(&reply)),
        (303, "/web/login?fine=carta-revocata"),
        "{}",
        reply.body
    );
    assert_eq!(reply.header("connection"), Some("close"));
    assert!(
        row_of(&app, &on_open_connection).await.is_none(),
        "the session row is gone"
    );

    // The other session, from a connection without the card (the browser no longer offers it,
    // or the request reaches another instance): ended as well, and the browser forgets it.
    let mut without_card = Browser::new(app.address, app.certs(), As::Anonymous);
    without_card.cookie = elsewhere.cookie.clone();
    let sent_away = without_card.get("/web/medico").await;
    assert_eq!(
        (sent_away.status, location(&sent_away)),
        (303, "/web/login?fine=carta-revocata")
    );
    assert!(sent_away
        .header("set-cookie")
        .is_some_and(|c| c.contains("Max-Age=0")));
    assert!(row_of(&app, &elsewhere).await.is_none(), "the row is gone");
    let login = without_card.get("/web/login?fine=carta-revocata").await;
    assert_eq!(login.status, 200);
    assert!(
        login.body.contains(
            "Sessione terminata: il certificato della smart card con cui era stata aperta è \
             stato revocato."
        ),
        "{}",
        login.body
    );
    // Its cookie opens nothing any more, even sent again.
    let mut replay = Browser::new(app.address, app.certs(), As::Anonymous);
    replay.cookie = elsewhere.cookie.clone();
    assert_eq!(location(&replay.get("/web/").await), "/web/login");

    // The password's session goes on.
    assert_eq!(by_password.get("/web/").await.status, 200);
    // A value the page does not know says nothing.
    let plain = without_card.get("/web/login?fine=%3Cb%3Eciao").await;
    assert!(!plain.body.contains("Sessione terminata"));
    assert!(!plain.body.contains("<b>ciao"));
    Ok(())
}
