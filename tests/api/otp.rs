//! `InvioOTP` end to end: who may send, what the access log keeps, and every answer the Immuni
//! backend can give (or fail to give) turned into its own outcome — with nothing retried and
//! nothing sent upstream when the gateway's own checks fail.

use std::time::Duration;

use tsgate::config::ImmuniConfig;
use tsgate::domain::{CodiceFiscale, Profile, RegionCode};
use tsgate::pki::ca::Subject;
use tsgate::store::CallerKind;

use crate::helpers::{spawn_app_with, As, Reply, TestApp, TestResult, OPERATOR};
use crate::immuni_upstream::{Behaviour, Upstream};

const REGION: As = As::Region;
const CARD: As = As::Card;
const BY_PASSWORD: As = As::User(OPERATOR);

/// A gateway whose upstream is `upstream`, with a short timeout for the hang cases; its clock
/// at noon, when Rome's today is the backend's too.
async fn app_with(upstream: &Upstream, max_in_flight: usize) -> TestApp {
    let url = upstream.url.clone();
    let app = spawn_app_with(move |config| {
        config.immuni = Some(ImmuniConfig {
            base_url: url,
            timeout_ms: 700,
            queue_timeout_ms: 200,
            max_in_flight,
            ..ImmuniConfig::default()
        })
    })
    .await;
    app.pin_clock_at_utc_noon();
    app
}

/// Sends sample `file` of the kit as `who`, with fresh placeholders.
async fn send(app: &TestApp, who: As, file: &str) -> Reply {
    app.request(&format!("otp/{file}")).by(who).send().await
}

fn message_code(reply: &Reply) -> Option<&str> {
    reply.message()
}

/// The text of the reply's first message.
fn message_text(reply: &Reply) -> &str {
    reply.messages().first().map(|m| m.text).unwrap_or_default()
}

#[tokio::test]
async fn each_access_mode_sends_and_is_logged_with_the_fields_of_the_spec() -> TestResult {
    let upstream = Upstream::start(Behaviour::Contract).await;
    let app = app_with(&upstream, 8).await;

    let region = send(&app, REGION, "InvioOTP-region.xml").await;
    let card = send(&app, CARD, "InvioOTP-card.xml").await;
    let operator = send(&app, BY_PASSWORD, "InvioOTP-operator.xml").await;
    for reply in [&region, &card, &operator] {
        assert_eq!(
            (reply.status, reply.outcome()),
            (200, Some("0000")),
            "{}",
            reply.body
        );
        // The outcome page shows an alphanumeric id: a UUID.
        let id = reply.transaction_id().unwrap_or_default();
        assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
        assert!(reply.text("dataOra").is_some(), "{}", reply.body);
    }
    assert_eq!((upstream.received(), upstream.malformed()), (3, 0));

    // Seed 004 §2.5: region id, operator CF, ms timestamp, operation, outcome, transaction id —
    // and for a region, the authentication it declared.
    let logged = app.logged(&region).await;
    assert_eq!(logged.caller_kind, CallerKind::Region);
    assert_eq!(logged.region.as_deref(), Some("120"));
    assert_eq!(logged.operator_cf.as_deref(), Some("RSSMRA80A01H501U"));
    assert_eq!(logged.declared_auth.as_deref(), Some("SPID"));
    assert_eq!(
        (logged.service.as_str(), logged.operation.as_str()),
        ("InvioOTP", "InvioOTP")
    );
    assert_eq!(logged.outcome, "0000");
    for (reply, kind) in [
        (&card, CallerKind::OperatorCertificate),
        (&operator, CallerKind::OperatorPassword),
    ] {
        let logged = app.logged(reply).await;
        assert_eq!(logged.caller_kind, kind);
        assert_eq!(logged.region, None);
        assert_eq!(logged.operator_cf.as_deref(), Some("RSSMRA80A01H501U"));
        assert_eq!(logged.declared_auth, None);
    }
    // A region's refusal is logged with the operator it named.
    let refused = send(&app, REGION, "otp-bad-check.xml").await;
    let logged = app.logged(&refused).await;
    assert_eq!(
        (logged.outcome.as_str(), logged.operator_cf.as_deref()),
        ("9999", Some("RSSMRA80A01H501U"))
    );
    Ok(())
}

#[tokio::test]
async fn only_enabled_regions_and_operators_with_the_profile_may_send() -> TestResult {
    let upstream = Upstream::start(Behaviour::Contract).await;
    let app = app_with(&upstream, 8).await;

    // Region 130 has a valid certificate but is not enabled for InvioOTP.
    let region_130 = app.issue(
        &app.ca(),
        &Subject::Region {
            code: RegionCode::parse("130")?,
        },
        30,
    );
    // A card holder with no users-table entry, hence no profile.
    let stranger = app.issue(
        &app.card_ca(),
        &Subject::Operator {
            cf: CodiceFiscale::parse("VRDLGI70B02F205J")?,
            name: "LUIGI VERDI".into(),
        },
        30,
    );
    for (who, sample) in [
        (region_130, "otp/InvioOTP-region.xml"),
        (stranger, "otp/InvioOTP-card.xml"),
    ] {
        let reply = app.request(sample).by(who).try_send().await?;
        assert_eq!(
            (reply.status, reply.outcome()),
            (200, Some("9999")),
            "{}",
            reply.body
        );
        assert_eq!(message_code(&reply), Some("9001"), "{}", reply.body);
        assert!(
            message_text(&reply).contains("\"Sistema TS-Invio codice OTP\""),
            "names the profile: {}",
            reply.body
        );
    }

    // The demo operator loses the profile: refused too (after the credential cache expires,
    // the store is asked again; the card path reads profiles on each connection).
    app.store()
        .directory()
        .revoke_profile(OPERATOR.id, Profile::InvioCodiceOtp)
        .await?;
    let reply = send(&app, CARD, "InvioOTP-card.xml").await;
    assert_eq!(message_code(&reply), Some("9001"), "{}", reply.body);
    assert_eq!(upstream.received(), 0, "no refused request went upstream");
    Ok(())
}

#[tokio::test]
async fn every_upstream_answer_has_its_own_outcome_and_nothing_is_retried() -> TestResult {
    let upstream = Upstream::start(Behaviour::Contract).await;
    let app = app_with(&upstream, 8).await;
    let cases = [
        (Behaviour::Status(400), "2002"),
        (Behaviour::Status(500), "2003"),
        (Behaviour::Status(503), "2003"),
        (Behaviour::Hang, "2006"),
        (Behaviour::Status(200), "2007"),
        (Behaviour::Status(302), "2007"),
        (Behaviour::Garbage, "2007"),
        (Behaviour::HangUp, "2007"),
    ];
    for (behaviour, code) in cases {
        upstream.set(behaviour);
        let before = upstream.received();
        let reply = send(&app, REGION, "InvioOTP-region.xml").await;
        assert_eq!(
            (reply.status, reply.outcome(), message_code(&reply)),
            (200, Some("9999"), Some(code)),
            "{behaviour:?}: {}",
            reply.body
        );
        assert!(reply.transaction_id().is_some());
        assert_eq!(
            upstream.received(),
            before + 1,
            "{behaviour:?}: sent exactly once"
        );
    }
    // After all that, the gateway still serves and the backend still gets well-formed calls.
    upstream.set(Behaviour::Contract);
    let reply = send(&app, REGION, "InvioOTP-region.xml").await;
    assert_eq!(reply.outcome(), Some("0000"), "{}", reply.body);
    assert_eq!(upstream.malformed(), 0);
    Ok(())
}

#[tokio::test]
async fn an_unreachable_backend_is_reported_as_not_sent() -> TestResult {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")?;
    let url = format!("http://{}", closed.local_addr()?);
    drop(closed);
    let app = spawn_app_with(move |config| {
        config.immuni = Some(ImmuniConfig {
            base_url: url,
            ..ImmuniConfig::default()
        })
    })
    .await;
    app.pin_clock_at_utc_noon();
    let reply = send(&app, BY_PASSWORD, "InvioOTP-operator.xml").await;
    assert_eq!(message_code(&reply), Some("2004"), "{}", reply.body);
    assert!(
        message_text(&reply).contains("non è stato inviato"),
        "{}",
        reply.body
    );
    Ok(())
}

#[tokio::test]
async fn uploads_beyond_the_concurrency_bound_wait_then_give_up_unsent() -> TestResult {
    let upstream = Upstream::start(Behaviour::Hang).await;
    let app = app_with(&upstream, 1).await;
    let (first, second) = tokio::join!(send(&app, REGION, "InvioOTP-region.xml"), async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        send(&app, REGION, "InvioOTP-region.xml").await
    });
    assert_eq!(message_code(&first), Some("2006"), "{}", first.body);
    assert_eq!(message_code(&second), Some("2005"), "{}", second.body);
    assert_eq!(
        upstream.received(),
        1,
        "the second upload never left the gateway"
    );
    Ok(())
}

#[tokio::test]
async fn uploads_reuse_pooled_keep_alive_connections() -> TestResult {
    let upstream = Upstream::start(Behaviour::Contract).await;
    let app = app_with(&upstream, 8).await;
    for _ in 0..20 {
        let reply = send(&app, REGION, "InvioOTP-region.xml").await;
        assert_eq!(reply.outcome(), Some("0000"), "{}", reply.body);
    }
    assert_eq!((upstream.received(), upstream.connections()), (20, 1));
    Ok(())
}

#[tokio::test]
async fn the_gateways_own_checks_never_call_upstream() -> TestResult {
    let upstream = Upstream::start(Behaviour::Contract).await;
    let app = app_with(&upstream, 8).await;
    for (who, file, code) in [
        (REGION, "otp-too-short.xml", "1001"),
        (REGION, "otp-bad-alphabet.xml", "1002"),
        (REGION, "otp-bad-check.xml", "1003"),
        (REGION, "date-bad-format.xml", "1011"),
        (REGION, "date-future.xml", "1012"),
        (REGION, "date-too-old.xml", "1013"),
        (REGION, "region-without-cf.xml", "1021"),
        (REGION, "region-malformed-cf.xml", "1022"),
        (REGION, "region-cf-impossible-date.xml", "1022"),
        (REGION, "region-cf-impossible-date-wrong-letter.xml", "1022"),
        (CARD, "card-cf-impossible-date.xml", "1022"),
        (CARD, "card-other-cf.xml", "1023"),
        (REGION, "region-without-auth-type.xml", "1031"),
        (CARD, "card-with-auth-type.xml", "1032"),
    ] {
        let reply = send(&app, who, file).await;
        assert_eq!(message_code(&reply), Some(code), "{file}: {}", reply.body);
        // Italian text for the operator, with the transaction id.
        assert!(!message_text(&reply).is_empty(), "{}", reply.body);
        assert!(reply.transaction_id().is_some(), "{file}");
    }
    assert_eq!(upstream.received(), 0);
    Ok(())
}

#[tokio::test]
async fn without_an_upstream_the_service_is_not_offered() -> TestResult {
    let app = spawn_app_with(|config| config.immuni = None).await;
    let reply = send(&app, REGION, "InvioOTP-region.xml").await;
    assert_eq!(
        (reply.status, reply.outcome()),
        (404, Some("SERVIZIO_SCONOSCIUTO")),
        "{}",
        reply.body
    );
    Ok(())
}
