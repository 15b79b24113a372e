//! The conformance kit: every sample envelope in `tests/envelopes/<service>/manifest.toml` gets
//! exactly the answer the manifest promises — its reply valid against the published response
//! schema — and the gateway keeps serving after each one.

use serde::Deserialize;
use tsgate::soap::envelope::{self, Payloads};
use tsgate::soap::version::SoapVersion;
use tsgate::soap::xml_limits::XmlLimits;

use crate::helpers::{envelope as sample, spawn_app, Placeholders, TestApp, TestResult};

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

/// Against the demo's Immuni simulator, over mutual TLS, as `tsgate demo` runs it.
#[tokio::test]
async fn every_otp_sample_gets_its_promised_answer() -> TestResult {
    let app = spawn_app().await;
    let cases = run_kit(&app, "otp", "/ws/InvioOTP").await?;
    assert!(cases >= 20);
    Ok(())
}

/// Sends every case of `tests/envelopes/<kit>/manifest.toml`; returns how many there were.
async fn run_kit(
    app: &TestApp,
    kit: &str,
    path: &str,
) -> Result<usize, Box<dyn std::error::Error + Send + Sync>> {
    let manifest: Manifest = toml::from_str(&sample(&format!("{kit}/manifest.toml")))?;
    let mut placeholders = Placeholders::default();
    for case in &manifest.case {
        let mut body = placeholders.fill(&sample(&format!("{kit}/{}", case.file)));
        if body.contains("{PATIENT}") {
            body = body.replace("{PATIENT}", &app.patient().await);
        }
        let content_type = case
            .content_type
            .as_deref()
            .unwrap_or("text/xml; charset=utf-8");
        let reply = app.send_as(&case.caller, path, content_type, &body).await?;
        let what = format!("{kit}/{} as {}: {}", case.file, case.caller, reply.body);
        assert_eq!(
            (reply.status, reply.outcome()),
            (case.status, Some(case.outcome.as_str())),
            "{what}"
        );
        if let Some(message) = &case.message {
            let first = crate::helpers::between(&reply.body, "<tipi:codEsito>", "</tipi:codEsito>");
            assert_eq!(first, Some(message.as_str()), "{what}");
        }
        // Every request that reached identification has a transaction id; a schema Fault comes
        // before anyone is identified, so nothing is logged and no id is issued.
        if reply.status == 200 || case.outcome == "CREDENZIALI_INVALIDE" {
            assert!(
                reply.body.contains("idTransazione>"),
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
            let schemas = &app.app.schemas;
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
