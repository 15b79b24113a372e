//! The three kinds of caller, and the one answer for every kind of bad credential.

use tsgate::domain::{CodiceFiscale, RegionCode};
use tsgate::pki::ca::Subject;

use crate::helpers::{basic, seed, spawn_app, As, Reply, TestResult, OPERATOR};

/// The catalogue lists its own operation: the call was served in full.
fn lists_the_catalogue(reply: &Reply) -> bool {
    reply.texts("operazione").contains(&"ElencoServizi")
}

const WITH_PINCODE: &str = "servizi/ElencoServizi-pincode.xml";

#[tokio::test]
async fn a_region_is_identified_by_its_certificate() -> TestResult {
    let app = spawn_app().await;
    let reply = app.call_catalogue(As::Region).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(lists_the_catalogue(&reply), "{}", reply.body);
    // A certificate for another region, freshly issued by the gateway CA, works too.
    let other = app.issue(
        &app.ca(),
        &Subject::Region {
            code: RegionCode::parse("030")?,
        },
        30,
    );
    assert_eq!(app.call_catalogue(other).await.status, 200);
    Ok(())
}

#[tokio::test]
async fn an_operator_is_identified_by_a_national_card_certificate() -> TestResult {
    let app = spawn_app().await;
    let reply = app.call_catalogue(As::Card).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    // A card holder not registered as a user is still identified (with no profiles).
    let stranger = app.issue(
        &app.card_ca(),
        &Subject::Operator {
            cf: CodiceFiscale::parse("00265910661")?,
            name: "ACME".into(),
        },
        30,
    );
    assert_eq!(app.call_catalogue(stranger).await.status, 200);
    Ok(())
}

#[tokio::test]
async fn an_operator_is_identified_by_basic_and_pincode() -> TestResult {
    let app = spawn_app().await;
    let reply = app
        .request(WITH_PINCODE)
        .by(As::User(OPERATOR))
        .send()
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(lists_the_catalogue(&reply), "{}", reply.body);
    // Clients that encrypt a trailing newline are accepted.
    let reply = app
        .request(WITH_PINCODE)
        .by(As::User(OPERATOR))
        .content_type("text/xml")
        .pincode(&format!("{}\n", seed::PINCODE))
        .try_send()
        .await?;
    assert_eq!(reply.status, 200, "{}", reply.body);
    Ok(())
}

#[tokio::test]
async fn every_bad_credential_gets_the_same_fault() -> TestResult {
    let app = spawn_app().await;
    let with_pin = || app.request(WITH_PINCODE).content_type("text/xml");
    let operator = As::User(OPERATOR);
    let cases = vec![
        ("no Authorization header", with_pin()),
        (
            "wrong password",
            with_pin().header("Authorization", &basic(OPERATOR.id, "sbagliata")),
        ),
        (
            "unknown user",
            with_pin().header("Authorization", &basic("NESSUNO", seed::PASSWORD)),
        ),
        (
            "wrong pincode",
            with_pin().by(operator.clone()).pincode("0000000000"),
        ),
        (
            "undecryptable pincode",
            with_pin().by(operator.clone()).set("{PINCODE}", "QUJDRA=="),
        ),
        (
            "pincode not base64",
            with_pin().by(operator.clone()).set("{PINCODE}", "%%%"),
        ),
        (
            "missing pincode",
            app.request("servizi/ElencoServizi.xml")
                .content_type("text/xml")
                .by(operator.clone()),
        ),
        (
            "malformed Basic",
            with_pin().header("Authorization", "Basic ###"),
        ),
    ];
    let mut bodies = Vec::new();
    for (why, request) in cases {
        let reply = request.try_send().await?;
        assert_eq!(
            (reply.status, reply.outcome()),
            (500, Some("CREDENZIALI_INVALIDE")),
            "{why}: {}",
            reply.body
        );
        let reason = reply.xml().find("faultstring");
        assert_eq!(
            reason.map(|r| (r.text.as_str(), r.attribute("xml:lang"))),
            Some(("Credenziali invalide", Some("it"))),
            "{why}"
        );
        let tx = reply.transaction_id().unwrap_or_default().to_owned();
        bodies.push(reply.body.replace(&tx, "TX"));
    }
    assert!(
        bodies.windows(2).all(|w| w[0] == w[1]),
        "identical answers apart from the transaction id"
    );
    Ok(())
}

#[tokio::test]
async fn certificates_that_name_no_caller_are_bad_credentials() -> TestResult {
    let app = spawn_app().await;
    // A server certificate from the gateway CA is not for client authentication: no handshake.
    let server = app.issue(
        &app.ca(),
        &Subject::Server {
            hosts: vec!["example.test".into()],
        },
        30,
    );
    assert!(app
        .request("servizi/ElencoServizi.xml")
        .by(server)
        .content_type("text/xml")
        .try_send()
        .await
        .is_err());
    // A region-looking certificate from another trusted anchor cannot claim to be a region.
    let fake = app.issue(
        &app.card_ca(),
        &Subject::Region {
            code: RegionCode::parse("120")?,
        },
        30,
    );
    let reply = app.call_catalogue(fake).await;
    assert_eq!(
        (reply.status, reply.outcome()),
        (500, Some("CREDENZIALI_INVALIDE"))
    );
    Ok(())
}

#[tokio::test]
async fn remembered_credentials_never_admit_different_secrets() -> TestResult {
    let app = spawn_app().await;
    // One encryption of the pincode, sent again and again, as a client that keeps it does.
    let good = app.encrypted_pincode(seed::PINCODE);
    let operator = || {
        app.request(WITH_PINCODE)
            .content_type("text/xml")
            .by(As::User(OPERATOR))
    };
    for _ in 0..3 {
        let reply = operator().set("{PINCODE}", &good).try_send().await?;
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    assert!(app.remembers_credentials(), "the success was remembered");
    let reply = operator().pincode("0000000000").try_send().await?;
    assert_eq!(reply.outcome(), Some("CREDENZIALI_INVALIDE"));
    let reply = app
        .request(WITH_PINCODE)
        .content_type("text/xml")
        .header("Authorization", &basic(OPERATOR.id, "sbagliata"))
        .set("{PINCODE}", &good)
        .try_send()
        .await?;
    assert_eq!(reply.outcome(), Some("CREDENZIALI_INVALIDE"));
    // A fresh encryption of the right pincode is recognised without the argon2 checks.
    let reply = operator().try_send().await?;
    assert_eq!(reply.status, 200);
    Ok(())
}

/// "Ultimo accesso": a SOAP call by password or national card records when the operator was
/// identified; a burst of calls costs one write (the next within a minute changes nothing).
#[tokio::test]
async fn an_identified_operator_has_a_last_access() -> TestResult {
    let app = spawn_app().await;
    let last_access = || async {
        let user = app.store().directory().find_user(OPERATOR.id).await?;
        Ok::<_, tsgate::store::StoreError>(user.and_then(|u| u.last_access))
    };
    assert_eq!(last_access().await?, None, "never identified yet");
    let before = chrono::Utc::now() - chrono::Duration::seconds(1);
    let reply = app
        .request(WITH_PINCODE)
        .by(As::User(OPERATOR))
        .send()
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let first = last_access()
        .await?
        .ok_or("no last access after a SOAP call")?;
    assert!(
        first >= before && first <= chrono::Utc::now(),
        "{first} is when the call was made"
    );
    for who in [As::User(OPERATOR), As::Card] {
        let reply = app.request(WITH_PINCODE).by(who).send().await;
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    assert_eq!(
        last_access().await?,
        Some(first),
        "written at most once a minute per user"
    );
    Ok(())
}
