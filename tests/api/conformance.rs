//! The conformance kit: every sample envelope in `tests/envelopes/<service>/manifest.toml` gets
//! exactly the answer the manifest promises — its reply valid against the published response
//! schema — and the gateway keeps serving after each one; `tsgate validate` gives each the
//! verdict the server gave.

use serde::Deserialize;
use tsgate::services::outcome::DESCRIZIONE_OK;
use tsgate::soap::envelope::{self, Payloads};
use tsgate::soap::version::SoapVersion;
use tsgate::soap::xml_limits::XmlLimits;

use crate::helpers::{
    envelope as sample, spawn_app, As, Reply, TestApp, TestResult, ASL_OPERATOR, MMG, OPERATOR,
    PINCODE, SUBSTITUTE,
};
use crate::validate;

#[derive(Deserialize)]
struct Manifest {
    case: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    file: String,
    caller: String,
    #[serde(default)]
    content_type: Option<String>,
    status: u16,
    outcome: String,
    /// The codEsito of the reply's first message, when the case promises one.
    #[serde(default)]
    message: Option<String>,
}

#[tokio::test]
async fn every_servizi_sample_gets_its_promised_answer() -> TestResult {
    let app = spawn_app().await;
    let cases = run_kit(&app, "servizi", "/ws/Servizi").await?;
    assert!(cases >= 15);
    Ok(())
}

#[tokio::test]
async fn every_sierologici_sample_gets_its_promised_answer() -> TestResult {
    let app = spawn_app().await;
    app.enable_region("Sierologici").await;
    let cases = run_kit(&app, "sierologici", "/ws/Sierologici").await?;
    assert!(cases >= 30);
    Ok(())
}

#[tokio::test]
async fn every_asl_sample_gets_its_promised_answer() -> TestResult {
    let app = spawn_app().await;
    app.enable_region("ASL").await;
    let cases = run_kit(&app, "asl", "/ws/ASL").await?;
    assert!(cases >= 10);
    Ok(())
}

/// Against the built-in Immuni simulator, over mutual TLS, as `tsgate demo` runs it.
#[tokio::test]
async fn every_otp_sample_gets_its_promised_answer() -> TestResult {
    let app = spawn_app().await;
    app.pin_clock_at_utc_noon();
    let cases = run_kit(&app, "otp", "/ws/InvioOTP").await?;
    assert!(cases >= 20);
    Ok(())
}

/// "Descrizione esito" (seed 003 §3.4, §4.4.2) right after `codEsito`, in every reply: a `0000`
/// says it was done, a `9999` says why not (its blocking message's text).
fn assert_describes_its_outcome(reply: &Reply, what: &str) {
    let payload = reply.payload().expect("a reply payload");
    let names: Vec<&str> = payload.children.iter().map(|e| e.name.as_str()).collect();
    let after_code = names
        .iter()
        .position(|n| *n == "codEsito")
        .and_then(|at| names.get(at + 1));
    let description = match after_code {
        Some(&"descrizioneEsito") => reply.descrizione_esito(),
        _ => None,
    };
    match (reply.cod_esito().unwrap_or_default(), description) {
        ("0000", Some(d)) => assert!(
            d == DESCRIZIONE_OK || d == "Codice OTP inviato correttamente al sistema Immuni",
            "a 0000 reply says it was done: {what}"
        ),
        ("0001", Some(d)) => assert!(d.ends_with("con avvisi (vedere ElencoMessaggi)"), "{what}"),
        ("9999", Some(d)) => assert_eq!(
            Some(d),
            reply.messages().first().map(|m| m.text),
            "a refusal says why: {what}"
        ),
        _ => panic!("no descrizioneEsito after codEsito: {what}"),
    }
}

/// The sample replies of the kit (`tests/envelopes/<kit>/responses/`), for integrators, are
/// valid against the published schema and describe their outcome — a `0000` too.
#[test]
fn every_sample_reply_is_valid_and_describes_its_outcome() -> TestResult {
    let schemas = tsgate::startup::compile_schemas()?;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/envelopes");
    let mut seen = std::collections::BTreeMap::<String, usize>::new();
    for kit in ["servizi", "otp", "sierologici", "asl"] {
        for entry in std::fs::read_dir(root.join(kit).join("responses"))? {
            let path = entry?.path();
            let body = std::fs::read_to_string(&path)?;
            let what = path.display().to_string();
            let reply = Reply::new(200, Vec::new(), body.clone());
            assert_describes_its_outcome(&reply, &what);
            envelope::read(
                body.as_bytes(),
                SoapVersion::V11,
                &schemas,
                &XmlLimits::default(),
                Payloads::Any,
            )
            .map_err(|e| format!("{what} breaks the published schema: {e:?}"))?;
            let code = reply.cod_esito();
            *seen
                .entry(format!("{kit} {}", code.unwrap_or_default()))
                .or_default() += 1;
        }
    }
    for kit in ["servizi", "otp", "sierologici", "asl"] {
        assert!(
            seen.contains_key(&format!("{kit} 0000")),
            "{kit}: a 0000 sample reply: {seen:?}"
        );
    }
    Ok(())
}

/// Sends every case of `tests/envelopes/<kit>/manifest.toml`; returns how many there were.
async fn run_kit(
    app: &TestApp,
    kit: &str,
    path: &str,
) -> Result<usize, Box<dyn std::error::Error + Send + Sync>> {
    let manifest: Manifest = toml::from_str(&sample(&format!("{kit}/manifest.toml")))?;
    for case in &manifest.case {
        let content_type = case
            .content_type
            .as_deref()
            .unwrap_or("text/xml; charset=utf-8");
        let request = app
            .request(&format!("{kit}/{}", case.file))
            .to(path)
            .content_type(content_type);
        let reply = match case.caller.as_str() {
            "region" => request.by(As::Region),
            "card" => request.by(As::Card),
            "anonymous" => request.by(As::Anonymous),
            "operator" => request.by(As::User(OPERATOR)),
            "mmg" => request.by(As::User(MMG)),
            "substitute" => request.by(As::User(SUBSTITUTE)),
            "asl" => request.by(As::User(ASL_OPERATOR)),
            "wrong-pincode" => request
                .by(As::User(OPERATOR))
                .pincode(&format!("9{PINCODE}")),
            other => panic!("{kit}/{}: no caller {other:?}", case.file),
        }
        .try_send_keeping_body()
        .await?;
        let (sent, reply) = reply;
        let what = format!("{kit}/{} as {}: {}", case.file, case.caller, reply.body);
        validate::agrees_with_the_server(&sent, path, content_type, &reply, &what).await?;
        assert_eq!(
            (reply.status, reply.outcome()),
            (case.status, Some(case.outcome.as_str())),
            "{what}"
        );
        if let Some(message) = &case.message {
            assert_eq!(reply.message(), Some(message.as_str()), "{what}");
        }
        // Every request that reached identification has a transaction id; a schema Fault comes
        // before anyone is identified, so nothing is logged and no id is issued.
        if reply.status == 200 || case.outcome == "CREDENZIALI_INVALIDE" {
            assert!(
                reply.transaction_id().is_some(),
                "answer without its id: {what}"
            );
        }
        let version = SoapVersion::from_content_type(Some(content_type))?;
        assert!(
            reply.header("content-type").is_some_and(
                |t| t.starts_with(version.content_type().split(';').next().unwrap_or_default())
            ),
            "replies use the request's SOAP version: {what}"
        );
        if reply.status == 200 {
            assert_describes_its_outcome(&reply, &what);
            let schemas = app.schemas();
            let limits = XmlLimits::default();
            envelope::read(
                reply.body.as_bytes(),
                version,
                schemas,
                &limits,
                Payloads::Any,
            )
            .map_err(|e| format!("reply breaks the published schema ({e:?}): {what}"))?;
        }
    }
    Ok(manifest.case.len())
}
