//! The three kinds of caller, and the one answer for every kind of bad credential.

use tsgate::domain::{CodiceFiscale, RegionCode};
use tsgate::pki::ca::Subject;

use crate::helpers::{basic, envelope, spawn_app, As, TestResult};

const CATALOGUE: &str = "<ric:operazione>ElencoServizi</ric:operazione>";

#[tokio::test]
async fn a_region_is_identified_by_its_certificate() -> TestResult {
    let app = spawn_app().await;
    let reply = app.call_catalogue(As::Region).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.body.contains(CATALOGUE));
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
        .soap_as_operator("Servizi", &envelope("servizi/ElencoServizi-pincode.xml"))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.body.contains(CATALOGUE));
    // Clients that encrypt a trailing newline are accepted.
    let pin = app.encrypted_pincode(&format!("{}\n", app.operator_pincode));
    let body = envelope("servizi/ElencoServizi-pincode.xml").replace("{PINCODE}", &pin);
    let auth = basic(&app.operator_id, &app.operator_password);
    let reply = app
        .post(
            As::Anonymous,
            "/ws/Servizi",
            "text/xml",
            &[("Authorization", &auth)],
            body.as_bytes(),
        )
        .await?;
    assert_eq!(reply.status, 200, "{}", reply.body);
    Ok(())
}

#[tokio::test]
async fn every_bad_credential_gets_the_same_fault() -> TestResult {
    let app = spawn_app().await;
    let with_pin = envelope("servizi/ElencoServizi-pincode.xml");
    let good_pin = app.encrypted_pincode(&app.operator_pincode);
    let wrong_pin = app.encrypted_pincode("0000000000");
    let good_auth = basic(&app.operator_id, &app.operator_password);
    let cases: Vec<(&str, Option<String>, String)> = vec![
        (
            "no Authorization header",
            None,
            with_pin.replace("{PINCODE}", &good_pin),
        ),
        (
            "wrong password",
            Some(basic(&app.operator_id, "sbagliata")),
            with_pin.replace("{PINCODE}", &good_pin),
        ),
        (
            "unknown user",
            Some(basic("NESSUNO", &app.operator_password)),
            with_pin.replace("{PINCODE}", &good_pin),
        ),
        (
            "wrong pincode",
            Some(good_auth.clone()),
            with_pin.replace("{PINCODE}", &wrong_pin),
        ),
        (
            "undecryptable pincode",
            Some(good_auth.clone()),
            with_pin.replace("{PINCODE}", "QUJDRA=="),
        ),
        (
            "pincode not base64",
            Some(good_auth.clone()),
            with_pin.replace("{PINCODE}", "%%%"),
        ),
        (
            "missing pincode",
            Some(good_auth.clone()),
            envelope("servizi/ElencoServizi.xml"),
        ),
        (
            "malformed Basic",
            Some("Basic ###".into()),
            with_pin.replace("{PINCODE}", &good_pin),
        ),
    ];
    let mut bodies = Vec::new();
    for (why, auth, body) in cases {
        let headers: Vec<(&str, &str)> =
            auth.iter().map(|a| ("Authorization", a.as_str())).collect();
        let reply = app
            .post(
                As::Anonymous,
                "/ws/Servizi",
                "text/xml",
                &headers,
                body.as_bytes(),
            )
            .await?;
        assert_eq!(
            (reply.status, reply.outcome()),
            (500, Some("CREDENZIALI_INVALIDE")),
            "{why}: {}",
            reply.body
        );
        assert!(
            reply
                .body
                .contains("<faultstring xml:lang=\"it\">Credenziali invalide</faultstring>"),
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
    let body = envelope("servizi/ElencoServizi.xml");
    assert!(app
        .post(server, "/ws/Servizi", "text/xml", &[], body.as_bytes())
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
    let with_pin = envelope("servizi/ElencoServizi-pincode.xml");
    let pin = app.encrypted_pincode(&app.operator_pincode);
    let auth = basic(&app.operator_id, &app.operator_password);
    let good = with_pin.replace("{PINCODE}", &pin);
    for _ in 0..3 {
        let reply = app
            .post(
                As::Anonymous,
                "/ws/Servizi",
                "text/xml",
                &[("Authorization", &auth)],
                good.as_bytes(),
            )
            .await?;
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    assert!(
        !app.app.identity.credential_cache().is_empty(),
        "the success was remembered"
    );
    let wrong_pin = with_pin.replace("{PINCODE}", &app.encrypted_pincode("0000000000"));
    let reply = app
        .post(
            As::Anonymous,
            "/ws/Servizi",
            "text/xml",
            &[("Authorization", &auth)],
            wrong_pin.as_bytes(),
        )
        .await?;
    assert_eq!(reply.outcome(), Some("CREDENZIALI_INVALIDE"));
    let wrong_password = basic(&app.operator_id, "sbagliata");
    let reply = app
        .post(
            As::Anonymous,
            "/ws/Servizi",
            "text/xml",
            &[("Authorization", &wrong_password)],
            good.as_bytes(),
        )
        .await?;
    assert_eq!(reply.outcome(), Some("CREDENZIALI_INVALIDE"));
    // A fresh encryption of the right pincode is recognised without the argon2 checks.
    let again = with_pin.replace("{PINCODE}", &app.encrypted_pincode(&app.operator_pincode));
    let reply = app
        .post(
            As::Anonymous,
            "/ws/Servizi",
            "text/xml",
            &[("Authorization", &auth)],
            again.as_bytes(),
        )
        .await?;
    assert_eq!(reply.status, 200);
    Ok(())
}
