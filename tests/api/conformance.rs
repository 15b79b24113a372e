//! The conformance kit: every sample envelope in `tests/envelopes/<service>/manifest.toml` gets
//! exactly the answer the manifest promises — and the gateway keeps serving after each one.

use serde::Deserialize;

use crate::helpers::{envelope, spawn_app, As, TestResult};

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
}

#[tokio::test]
async fn every_servizi_sample_gets_its_promised_answer() -> TestResult {
    let app = spawn_app().await;
    let manifest: Manifest = toml::from_str(&envelope("servizi/manifest.toml"))?;
    assert!(manifest.case.len() >= 15);
    for case in &manifest.case {
        let body = envelope(&format!("servizi/{}", case.file));
        let content_type = case
            .content_type
            .as_deref()
            .unwrap_or("text/xml; charset=utf-8");
        let reply = match case.caller.as_str() {
            "operator" => {
                let basic = crate::helpers::basic(&app.operator_id, &app.operator_password);
                let body = body.replace("{PINCODE}", &app.encrypted_pincode(&app.operator_pincode));
                app.post(
                    As::Anonymous,
                    "/ws/Servizi",
                    content_type,
                    &[("Authorization", &basic)],
                    body.as_bytes(),
                )
                .await?
            }
            who => {
                let who = match who {
                    "region" => As::Region,
                    "card" => As::Card,
                    _ => As::Anonymous,
                };
                app.post(who, "/ws/Servizi", content_type, &[], body.as_bytes())
                    .await?
            }
        };
        assert_eq!(
            (reply.status, reply.outcome()),
            (case.status, Some(case.outcome.as_str())),
            "{} as {}: {}",
            case.file,
            case.caller,
            reply.body
        );
        let expected_type = if content_type.starts_with("application/soap+xml") {
            "application/soap+xml"
        } else {
            "text/xml"
        };
        assert!(
            reply
                .header("content-type")
                .is_some_and(|t| t.starts_with(expected_type)),
            "{}: replies use the request's SOAP version",
            case.file
        );
    }
    Ok(())
}
