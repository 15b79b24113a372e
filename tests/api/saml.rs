//! Signed SAML assertions from regions (issue 10, item 9): region 120 calls over mutual TLS with
//! a `saml2:Assertion` in the `wsse:Security` header, signed by its configured key; every way an
//! assertion can be wrong gets the `ASSERZIONE_SAML_NON_VALIDA` Fault with its own reason, and
//! the server keeps serving. `rust_signer_agrees_with_xmlsec1` (needs xmlsec1) signs with a real
//! signer and checks the tests' own signer against it.

use chrono::{TimeDelta, Utc};
use tsgate::config::{SamlMode, SamlRegionConfig};

use crate::helpers::saml::{value_of, Claims, Signer, END_USER, ISSUER};
use crate::helpers::{spawn_app_with, As, Reply, TestApp, TestResult, MMG};

const FAULT: &str = "ASSERZIONE_SAML_NON_VALIDA";
const WSSE: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";

/// A gateway where region 120 signs with `signer`'s key (`certs/saml-120.pem`), in `mode`.
/// The clock is pinned at noon UTC, so the OTP sent is dated a day Immuni has begun whatever the
/// hour the test runs (see `pin_clock_at_utc_noon`); the assertions are issued on that clock.
async fn app_with(signer: &Signer, mode: SamlMode) -> TestApp {
    let cert_pem = signer.cert_pem.clone();
    let app = spawn_app_with(move |config| configure(config, &cert_pem, mode)).await;
    app.pin_clock_at_utc_noon();
    app
}

fn configure(config: &mut tsgate::config::Config, cert_pem: &str, mode: SamlMode) {
    let certs = config.tls.client_ca.parent().unwrap().to_owned();
    let certificate = certs.join("saml-120.pem");
    std::fs::write(&certificate, cert_pem).unwrap();
    config.saml.regions.insert(
        "120".to_owned(),
        SamlRegionConfig {
            certificate,
            entity_id: ISSUER.to_owned(),
            mode,
        },
    );
    config.extensions.region_callers_on_sierologici_asl = true;
}

/// The audience the gateway expects (its `server.public_url`, the default).
fn audience(app: &TestApp) -> String {
    app.config().server.public_url.clone()
}

/// A valid assertion for `app`, issued on its clock.
fn claims(app: &TestApp) -> Claims {
    Claims::valid_at(&audience(app), app.now())
}

/// InvioOTP from region 120 with `assertion` as the `wsse:Security` header's content.
async fn send_otp(app: &TestApp, assertion: &str) -> Reply {
    app.request("otp/region-saml.template")
        .set("{ASSERTION}", assertion)
        .by(As::Region)
        .send()
        .await
}

/// Refused with the SAML Fault, its reason saying `why`; the refusal is in the access log.
async fn assert_refused(app: &TestApp, reply: &Reply, why: &str) {
    assert_eq!(reply.status, 500, "{}", reply.body);
    assert_eq!(reply.fault_detail_code(), Some(FAULT), "{}", reply.body);
    let reason = reply.fault_reason().unwrap_or_default();
    assert!(reason.contains(why), "expected '{why}' in: {reason}");
    let logged = app.logged(reply).await;
    assert_eq!(logged.outcome, "fault_asserzione_saml_non_valida");
    // Nothing of a refused assertion is logged: a region's entry names no end user.
    if logged.region.is_some() {
        assert_eq!(logged.operator_cf, None);
        assert_eq!(logged.declared_auth, None);
    }
}

#[tokio::test]
async fn a_valid_assertion_names_the_end_user_and_the_log_keeps_them() -> TestResult {
    let signer = Signer::new();
    let app = app_with(&signer, SamlMode::Assertion).await;
    let assertion = signer.sign_claims(&claims(&app));
    let reply = send_otp(&app, &assertion).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.cod_esito(), Some("0000"), "{}", reply.body);
    let logged = app.logged(&reply).await;
    assert_eq!(logged.operator_cf.as_deref(), Some(END_USER));
    assert_eq!(logged.declared_auth.as_deref(), Some("SPID"));
    assert_eq!(logged.region.as_deref(), Some("120"));

    // The authentication class is mapped: a smart card is CNS.
    let mut claims = claims(&app);
    claims.authn_class = "urn:oasis:names:tc:SAML:2.0:ac:classes:SmartcardPKI".into();
    let reply = send_otp(&app, &signer.sign_claims(&claims)).await;
    assert_eq!(reply.cod_esito(), Some("0000"), "{}", reply.body);
    assert_eq!(
        app.logged(&reply).await.declared_auth.as_deref(),
        Some("CNS")
    );
    Ok(())
}

#[tokio::test]
async fn an_ecdsa_p256_region_signs_with_ecdsa_sha256_only() -> TestResult {
    let signer = Signer::ecdsa();
    let app = app_with(&signer, SamlMode::Assertion).await;
    let signed = signer.sign_claims(&claims(&app));
    let reply = send_otp(&app, &signed).await;
    assert_eq!(reply.cod_esito(), Some("0000"), "{}", reply.body);
    // The method must be the key's: an RSA method with an EC key is not verified.
    let reply = send_otp(
        &app,
        &signed.replacen(
            "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
            1,
        ),
    )
    .await;
    assert_refused(&app, &reply, "firma non verificata").await;
    Ok(())
}

/// The region's certificate is read again when it changes, like the TLS files; a file that
/// cannot be read leaves the previous key in force.
#[tokio::test]
async fn a_renewed_certificate_is_in_force_without_a_restart() -> TestResult {
    let old = Signer::new();
    let cert_pem = old.cert_pem.clone();
    let app = spawn_app_with(move |config| {
        configure(config, &cert_pem, SamlMode::Assertion);
        config.tls.reload_interval_ms = 100;
    })
    .await;
    app.pin_clock_at_utc_noon();
    let path = app.dir.path().join("certs/saml-120.pem");
    let claims = claims(&app);
    let renewed = Signer::new();
    std::fs::write(&path, &renewed.cert_pem)?;
    let mut reply = send_otp(&app, &renewed.sign_claims(&claims)).await;
    for _ in 0..50 {
        if reply.cod_esito() == Some("0000") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        reply = send_otp(&app, &renewed.sign_claims(&claims)).await;
    }
    assert_eq!(reply.cod_esito(), Some("0000"), "{}", reply.body);
    let reply = send_otp(&app, &old.sign_claims(&claims)).await;
    assert_refused(&app, &reply, "firma non verificata").await;

    std::fs::write(&path, "not a certificate")?;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let reply = send_otp(&app, &renewed.sign_claims(&claims)).await;
    assert_eq!(reply.cod_esito(), Some("0000"), "{}", reply.body);
    Ok(())
}

#[tokio::test]
async fn invio_numero_test_takes_the_assertion_and_cf_operatore_must_agree() -> TestResult {
    let signer = Signer::new();
    let app = app_with(&signer, SamlMode::Either).await;
    app.enable_region("ASL").await;
    let mut claims = claims(&app);
    claims.name_id = "NREPLA82T50H501W".into();
    let reply = app
        .request("asl/region-saml.template")
        .set("{ASSERTION}", &signer.sign_claims(&claims))
        .by(As::Region)
        .send()
        .await;
    assert_eq!(reply.cod_esito(), Some("0000"), "{}", reply.body);
    let logged = app.logged(&reply).await;
    assert_eq!(logged.operator_cf.as_deref(), Some("NREPLA82T50H501W"));
    assert_eq!(logged.declared_auth.as_deref(), Some("SPID"));

    // The schema-required cfOperatore names someone else: refused.
    claims.id = "_other".into();
    claims.name_id = END_USER.into();
    let reply = app
        .request("asl/region-saml.template")
        .set("{ASSERTION}", &signer.sign_claims(&claims))
        .by(As::Region)
        .send()
        .await;
    assert_refused(&app, &reply, "cfOperatore diverso").await;
    Ok(())
}

#[tokio::test]
async fn sierologici_take_the_assertion_for_cf_medico() -> TestResult {
    let signer = Signer::new();
    let app = app_with(&signer, SamlMode::Assertion).await;
    app.enable_region("Sierologici").await;
    let mut claims = claims(&app);
    claims.name_id = MMG.cf.into();
    claims.authn_class = "urn:tsgate:ac:classes:CIE".into();
    let header = format!(
        "<soapenv:Header><wsse:Security xmlns:wsse=\"{WSSE}\">{}</wsse:Security></soapenv:Header>",
        signer.sign_claims(&claims)
    );
    // The sample's tipoAutenticazione (SPID) would disagree with the assertion's CIE: not sent.
    let reply = app
        .request("sierologici/ElencoAssistiti-regione.xml")
        .replace("<soapenv:Header/>", &header)
        .replace("<req:tipoAutenticazione>SPID</req:tipoAutenticazione>", "")
        .by(As::Region)
        .send()
        .await;
    assert_eq!(reply.outcome(), Some("0000"), "{}", reply.body);
    let logged = app.logged(&reply).await;
    assert_eq!(logged.operator_cf.as_deref(), Some(MMG.cf));
    assert_eq!(logged.declared_auth.as_deref(), Some("CIE"));
    Ok(())
}

#[tokio::test]
async fn an_operator_may_not_send_an_assertion() -> TestResult {
    let signer = Signer::new();
    let app = app_with(&signer, SamlMode::Either).await;
    let assertion = signer.sign_claims(&claims(&app));
    let reply = app
        .request("otp/region-saml.template")
        .set("{ASSERTION}", &assertion)
        .by(As::Card)
        .send()
        .await;
    assert_refused(&app, &reply, "solo dai sistemi regionali").await;
    Ok(())
}

#[tokio::test]
async fn every_broken_assertion_is_refused_with_its_reason() -> TestResult {
    let signer = Signer::new();
    let app = app_with(&signer, SamlMode::Assertion).await;
    let valid = claims(&app);
    let signed = signer.sign_claims(&valid);

    // Tampered after signing: the NameID names someone else.
    let tampered = signed.replace(END_USER, "VRDGPP70A01F205K");
    assert_refused(
        &app,
        &send_otp(&app, &tampered).await,
        "digest non corrisponde",
    )
    .await;

    // Signed by a key that is not the region's.
    let stranger = Signer::new();
    let reply = send_otp(&app, &stranger.sign_claims(&valid)).await;
    assert_refused(&app, &reply, "firma non verificata").await;

    // Expired (beyond the 60 s of skew), and not yet valid.
    let mut expired = valid.clone();
    expired.not_before = app.now() - TimeDelta::minutes(20);
    expired.not_on_or_after = app.now() - TimeDelta::minutes(2);
    let reply = send_otp(&app, &signer.sign_claims(&expired)).await;
    assert_refused(&app, &reply, "scaduta").await;
    let mut early = valid.clone();
    early.not_before = app.now() + TimeDelta::minutes(3);
    let reply = send_otp(&app, &signer.sign_claims(&early)).await;
    assert_refused(&app, &reply, "non ancora valida").await;

    // For another audience; from another issuer.
    let mut elsewhere = valid.clone();
    elsewhere.audience = "https://another-gateway.example".into();
    let reply = send_otp(&app, &signer.sign_claims(&elsewhere)).await;
    assert_refused(&app, &reply, "AudienceRestriction").await;
    let mut other_issuer = valid.clone();
    other_issuer.issuer = "https://idp.regione030.example/saml".into();
    let reply = send_otp(&app, &signer.sign_claims(&other_issuer)).await;
    assert_refused(&app, &reply, "Issuer").await;

    // An authentication class tsgate does not know.
    let mut password = valid.clone();
    password.authn_class = "urn:oasis:names:tc:SAML:2.0:ac:classes:Password".into();
    let reply = send_otp(&app, &signer.sign_claims(&password)).await;
    assert_refused(&app, &reply, "AuthnContextClassRef").await;

    // Not signed at all.
    let unsigned = valid.unsigned();
    let start = unsigned.find("<ds:Signature").unwrap();
    let end = unsigned.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
    let bare = format!("{}{}", &unsigned[..start], &unsigned[end..]);
    assert_refused(&app, &send_otp(&app, &bare).await, "non firmata").await;

    // Signature wrapping: the signed assertion's signature on an assertion with another ID
    // (its Reference points elsewhere); or a second assertion beside the signed one.
    let mut forged = valid.clone();
    forged.name_id = "VRDGPP70A01F205K".into();
    let forged = forged
        .unsigned()
        .replacen(&format!("ID=\"{}\"", valid.id), "ID=\"_forged\"", 1);
    let start = signed.find("<ds:Signature").unwrap();
    let end = signed.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
    let forged_start = forged.find("<ds:Signature").unwrap();
    let forged_end = forged.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
    let wrapped = format!(
        "{}{}{}",
        &forged[..forged_start],
        &signed[start..end],
        &forged[forged_end..]
    );
    assert_refused(&app, &send_otp(&app, &wrapped).await, "Reference").await;
    let two = format!("{}{}", forged, signed);
    assert_refused(&app, &send_otp(&app, &two).await, "più di un'asserzione").await;

    // A region in `assertion` mode sending only cfOperatore + tipoAutenticazione.
    let reply = app
        .request("otp/InvioOTP-region.xml")
        .by(As::Region)
        .send()
        .await;
    assert_refused(&app, &reply, "obbligatoria").await;

    // A cfOperatore that disagrees with the assertion; a tipoAutenticazione that does.
    let with_cf = app
        .request("otp/region-saml.template")
        .set("{ASSERTION}", &signed)
        .replace(
            "</req:dataInizioSintomi>",
            "</req:dataInizioSintomi><req:cfOperatore>VRDGPP70A01F205K</req:cfOperatore>",
        )
        .by(As::Region)
        .send()
        .await;
    assert_refused(&app, &with_cf, "cfOperatore diverso").await;
    let with_auth = app
        .request("otp/region-saml.template")
        .set("{ASSERTION}", &signed)
        .replace(
            "</req:dataInizioSintomi>",
            "</req:dataInizioSintomi><req:tipoAutenticazione>CNS</req:tipoAutenticazione>",
        )
        .by(As::Region)
        .send()
        .await;
    assert_refused(&app, &with_auth, "tipoAutenticazione diverso").await;

    // Still serving: the valid one goes through.
    let reply = send_otp(&app, &signed).await;
    assert_eq!(reply.cod_esito(), Some("0000"), "{}", reply.body);
    Ok(())
}

#[tokio::test]
async fn a_malformed_name_id_gets_the_code_of_a_malformed_cf_operatore() -> TestResult {
    let signer = Signer::new();
    let app = app_with(&signer, SamlMode::Either).await;
    let mut claims = claims(&app);
    claims.name_id = "ABCDEFGHIJKLMNOP".into();
    let reply = send_otp(&app, &signer.sign_claims(&claims)).await;
    let bare = app
        .request("otp/region-malformed-cf.xml")
        .by(As::Region)
        .send()
        .await;
    assert_eq!(reply.answer(), bare.answer(), "{}", reply.body);
    assert_eq!(reply.answer(), (Some("9999"), Some("1022")));

    // Not even the shape of a CF (the schema's for cfOperatore): refused as the assertion's.
    claims.name_id = "mario.rossi@example.org".into();
    let reply = send_otp(&app, &signer.sign_claims(&claims)).await;
    assert_refused(&app, &reply, "NameID").await;
    Ok(())
}

#[tokio::test]
async fn hostile_assertions_get_an_answer_and_the_server_keeps_serving() -> TestResult {
    let signer = Signer::new();
    let app = app_with(&signer, SamlMode::Either).await;
    let valid = claims(&app);
    let signed = signer.sign_claims(&valid);
    let cases: Vec<(String, &str)> = vec![
        // A comment splitting the NameID (canonical XML would drop it).
        (
            signed.replacen("RSSMRA80A01", "RSSMRA<!---->80A01", 1),
            "commenti",
        ),
        // Another element with the assertion's ID.
        (
            signed.replacen(
                "<saml2:Subject>",
                &format!("<saml2:Subject><x ID=\"{}\"/>", valid.id),
                1,
            ),
            "ID ripetuto",
        ),
        // Over 16 KiB.
        (
            signed.replacen(
                "<saml2:Subject>",
                &format!("<saml2:Subject><!--{}-->", "x".repeat(17 * 1024)),
                1,
            ),
            "supera",
        ),
        // A second signature inside.
        (
            signed.replacen(
                "<saml2:Subject>",
                "<saml2:Subject><ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"/>",
                1,
            ),
            "più di una ds:Signature",
        ),
        // Another canonicalisation (inclusive C14N).
        (
            signed.replacen(
                "<ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>",
                "<ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/TR/2001/REC-xml-c14n-20010315\"/>",
                1,
            ),
            "CanonicalizationMethod",
        ),
        // SHA-1.
        (
            signed.replacen(
                "http://www.w3.org/2001/04/xmlenc#sha256",
                "http://www.w3.org/2000/09/xmldsig#sha1",
                1,
            ),
            "DigestMethod",
        ),
        // Garbage signature value.
        (
            signed.replacen("<ds:SignatureValue>", "<ds:SignatureValue>!!", 1),
            "base64",
        ),
    ];
    for (assertion, why) in &cases {
        assert_refused(&app, &send_otp(&app, assertion).await, why).await;
    }
    // Truncated: the envelope is no longer well-formed XML, refused before anything else.
    let truncated = &signed[..signed.len() / 2];
    let reply = send_otp(&app, truncated).await;
    assert_eq!(
        reply.fault_detail_code(),
        Some("XML_NON_BEN_FORMATO"),
        "{}",
        reply.body
    );
    // An entity reference: there is no DTD to declare it.
    let reply = send_otp(&app, &signed.replacen(END_USER, "&cf;", 1)).await;
    assert_eq!(reply.fault_detail_code(), Some("XML_NON_BEN_FORMATO"));

    let reply = send_otp(&app, &signed).await;
    assert_eq!(reply.cod_esito(), Some("0000"), "{}", reply.body);
    Ok(())
}

#[tokio::test]
async fn a_region_in_declared_mode_is_unchanged_and_other_must_understand_headers_are_refused(
) -> TestResult {
    let signer = Signer::new();
    let app = app_with(&signer, SamlMode::Declared).await;
    let reply = app
        .request("otp/InvioOTP-region.xml")
        .by(As::Region)
        .send()
        .await;
    assert_eq!(reply.cod_esito(), Some("0000"), "{}", reply.body);
    let logged = app.logged(&reply).await;
    assert_eq!(logged.operator_cf.as_deref(), Some("RSSMRA80A01H501U"));
    assert_eq!(logged.declared_auth.as_deref(), Some("SPID"));

    let assertion = signer.sign_claims(&claims(&app));
    let reply = send_otp(&app, &assertion).await;
    assert_refused(&app, &reply, "non è configurata").await;

    // Only wsse:Security is understood.
    let reply = app
        .request("otp/region-saml.template")
        .set("{ASSERTION}", "")
        .replace("wsse:Security", "wsse:Other")
        .by(As::Region)
        .send()
        .await;
    assert_eq!(reply.fault_detail_code(), Some("MUST_UNDERSTAND"));
    Ok(())
}

/// The tests' signer and xmlsec1 (Debian `xmlsec1`) sign the same template identically (RSA
/// PKCS#1 v1.5 is deterministic), xmlsec1 verifies the tests' signature, and the gateway
/// accepts xmlsec1's.
#[tokio::test]
#[ignore = "needs xmlsec1 (Debian xmlsec1); run with --include-ignored, as .ci/run does"]
async fn rust_signer_agrees_with_xmlsec1() -> TestResult {
    let signer = Signer::new();
    let app = app_with(&signer, SamlMode::Assertion).await;
    let dir = tempfile::tempdir()?;
    let (cert, key) = signer.write(dir.path());
    let claims = claims(&app);
    let template = dir.path().join("template.xml");
    std::fs::write(&template, claims.unsigned())?;

    let by_xmlsec1 = xmlsec1(&[
        "--sign",
        "--privkey-pem",
        &format!("{},{}", key.display(), cert.display()),
        "--id-attr:ID",
        "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
        &template.display().to_string(),
    ]);
    let by_xmlsec1 = strip_declaration(&by_xmlsec1);
    let ours = signer.sign_claims(&claims);
    for value in ["DigestValue", "SignatureValue"] {
        assert_eq!(
            value_of(by_xmlsec1, value),
            value_of(&ours, value),
            "{value}"
        );
    }

    let signed = dir.path().join("ours.xml");
    std::fs::write(&signed, &ours)?;
    xmlsec1(&[
        "--verify",
        "--pubkey-cert-pem",
        &cert.display().to_string(),
        "--id-attr:ID",
        "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
        &signed.display().to_string(),
    ]);

    let reply = send_otp(&app, by_xmlsec1).await;
    assert_eq!(reply.cod_esito(), Some("0000"), "{}", reply.body);

    // ECDSA signatures are random: xmlsec1 verifies ours (r ‖ s, XML-DSig 1.1).
    let ecdsa = Signer::ecdsa();
    let (ecdsa_cert, _) = ecdsa.write(&dir.path().join("ecdsa"));
    let signed = dir.path().join("ours-ecdsa.xml");
    std::fs::write(&signed, ecdsa.sign_claims(&claims))?;
    xmlsec1(&[
        "--verify",
        "--pubkey-cert-pem",
        &ecdsa_cert.display().to_string(),
        "--id-attr:ID",
        "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
        &signed.display().to_string(),
    ]);
    Ok(())
}

fn xmlsec1(args: &[&str]) -> String {
    let output = std::process::Command::new("xmlsec1")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("xmlsec1 (Debian package xmlsec1) cannot run: {e}"));
    assert!(
        output.status.success(),
        "xmlsec1 {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// xmlsec1 writes the document with an XML declaration: the header holds the element only.
fn strip_declaration(xml: &str) -> &str {
    let xml = xml.trim();
    match xml.strip_prefix("<?xml") {
        Some(rest) => rest.split_once("?>").map_or(xml, |(_, r)| r.trim_start()),
        None => xml,
    }
}

/// The envelope reader captures the Assertion of `wsse:Security` with the bindings its
/// ancestors declared; one elsewhere in the Header is not read; two are refused; so is one over
/// 16 KiB, without copying it.
#[test]
fn the_envelope_reader_captures_the_security_headers_assertion() -> TestResult {
    use tsgate::soap::envelope::{self, HeaderAssertion, Payloads};
    use tsgate::soap::xml_limits::XmlLimits;
    use tsgate::soap::SoapVersion;

    let schemas = tsgate::startup::compile_schemas()?;
    let read = |header: &str| {
        let body = format!(
            "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" \
             xmlns:saml2=\"urn:oasis:names:tc:SAML:2.0:assertion\" xmlns:wsse=\"{WSSE}\">\
             <s:Header>{header}</s:Header><s:Body>\
             <req:ElencoServiziRichiesta xmlns:req=\"urn:tsgate:ws:servizi:richiesta\"/>\
             </s:Body></s:Envelope>"
        );
        envelope::read(
            body.as_bytes(),
            SoapVersion::V11,
            &schemas,
            &XmlLimits::default(),
            Payloads::Any,
        )
        .map(|e| e.assertion)
    };
    let assertion = "<saml2:Assertion ID=\"_a\"><saml2:Issuer>x</saml2:Issuer></saml2:Assertion>";
    match read(&format!(
        "<wsse:Security s:mustUnderstand=\"1\">{assertion}</wsse:Security>"
    ))? {
        HeaderAssertion::One(captured) => {
            assert_eq!(captured.bytes, assertion.as_bytes());
            assert!(captured.inherited.contains(&(
                "saml2".into(),
                "urn:oasis:names:tc:SAML:2.0:assertion".into()
            )));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        read(&format!("<other xmlns=\"urn:x\">{assertion}</other>"))?,
        HeaderAssertion::Absent
    );
    assert_eq!(
        read(&format!(
            "<wsse:Security>{assertion}</wsse:Security><wsse:Security>{assertion}</wsse:Security>"
        ))?,
        HeaderAssertion::Several
    );
    let big = format!(
        "<wsse:Security><saml2:Assertion ID=\"_a\">{}</saml2:Assertion></wsse:Security>",
        "x".repeat(17 * 1024)
    );
    assert_eq!(read(&big)?, HeaderAssertion::TooLarge);
    Ok(())
}

/// Fuzz-style: 3,000 seeded mutants of a signed assertion (bytes replaced by XML-significant
/// ones, cut out, repeated) go straight to the verifier. None may panic, and none may be
/// accepted for anyone or anything but what was signed (a mutant can only be accepted if the
/// canonical form did not change, e.g. a space between attributes turned into a tab).
#[test]
fn mutated_assertions_are_refused_or_say_what_was_signed() -> TestResult {
    use tsgate::config::SamlConfig;
    use tsgate::saml::{CapturedAssertion, SamlTrust};

    let signer = Signer::new();
    let dir = tempfile::tempdir()?;
    let (certificate, _) = signer.write(dir.path());
    let mut config = SamlConfig::default();
    config.regions.insert(
        "120".into(),
        SamlRegionConfig {
            certificate,
            entity_id: ISSUER.into(),
            mode: SamlMode::Assertion,
        },
    );
    let audience = "https://gateway.test";
    let trust = SamlTrust::from_config(&config, audience)?;
    let region = tsgate::domain::RegionCode::parse("120")?;
    let signed = signer.sign_claims(&Claims::valid(audience)).into_bytes();
    let verify = |bytes: Vec<u8>| {
        trust.verify(
            region,
            &CapturedAssertion {
                bytes,
                inherited: Vec::new(),
            },
            Utc::now(),
        )
    };
    let original = verify(signed.clone())?;
    assert_eq!(original.name_id, END_USER);

    const SIGNIFICANT: &[u8] = b"<>\"'&=/: \t\nxA0#;";
    let mut seed: u64 = 0x5eed_5a31;
    let mut next = |bound: usize| {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        usize::try_from(seed >> 33).unwrap() % bound
    };
    let (mut refused, mut accepted) = (0, 0);
    for _ in 0..3000 {
        let mut mutant = signed.clone();
        let at = next(mutant.len());
        match next(3) {
            0 => mutant[at] = SIGNIFICANT[next(SIGNIFICANT.len())],
            1 => {
                let end = (at + 1 + next(40)).min(mutant.len());
                mutant.drain(at..end);
            }
            _ => {
                let end = (at + 1 + next(200)).min(mutant.len());
                let piece = mutant[at..end].to_vec();
                mutant.splice(at..at, piece);
            }
        }
        match verify(mutant) {
            Ok(user) => {
                assert_eq!(user, original);
                accepted += 1;
            }
            Err(_) => refused += 1,
        }
    }
    assert!(refused > 2900, "refused {refused}, accepted {accepted}");
    Ok(())
}

/// A region's certificate that cannot be read, or whose key is of another kind, stops start-up
/// naming the region.
#[test]
fn an_unreadable_region_certificate_names_the_region() {
    use tsgate::config::SamlConfig;
    use tsgate::saml::SamlTrust;

    let dir = tempfile::tempdir().unwrap();
    let ed25519 = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
    let other_kind = rcgen::CertificateParams::new(vec!["x".to_owned()])
        .unwrap()
        .self_signed(&ed25519)
        .unwrap();
    let other_kind_path = dir.path().join("ed25519.pem");
    std::fs::write(&other_kind_path, other_kind.pem()).unwrap();
    for (certificate, expected) in [
        (dir.path().join("missing.pem"), "missing.pem"),
        (other_kind_path, "neither RSA nor ECDSA P-256"),
    ] {
        let mut config = SamlConfig::default();
        config.regions.insert(
            "120".into(),
            SamlRegionConfig {
                certificate,
                entity_id: ISSUER.into(),
                mode: SamlMode::Either,
            },
        );
        let error = SamlTrust::from_config(&config, "https://gateway.test")
            .unwrap_err()
            .to_string();
        assert!(error.contains("saml.regions.\"120\""), "{error}");
        assert!(error.contains(expected), "{error}");
    }
}
