//! The conformance report: a scripted caller runs part of the kit against the real gateway, and
//! `tsgate conformance report` names exactly the documented cases it never triggered.

use serde_json::Value;

use crate::helpers::{spawn_app, spawn_app_with, As, TestApp, TestResult};

async fn report(app: &TestApp, caller: &str, json: bool) -> std::io::Result<std::process::Output> {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_tsgate"));
    command
        .args(["conformance", "report", "--caller", caller, "--config"])
        .arg(app.dir.path().join("tsgate.toml"));
    if json {
        command.args(["--format", "json"]);
    }
    command.output().await
}

async fn json_report(
    app: &TestApp,
    caller: &str,
) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
    let output = report(app, caller, true).await?;
    assert!(output.status.success(), "{output:?}");
    Ok(serde_json::from_slice(&output.stdout)?)
}

/// (service, operation, outcome) of each item of a report's list.
fn items(list: &Value) -> Vec<(String, String, String)> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|item| {
            let text = |key: &str| item[key].as_str().unwrap_or_default().to_owned();
            (text("service"), text("operation"), text("outcome"))
        })
        .collect()
}

fn triple(service: &str, operation: &str, outcome: &str) -> (String, String, String) {
    (service.into(), operation.into(), outcome.into())
}

#[tokio::test]
async fn a_region_that_ran_part_of_the_kit_is_told_exactly_which_cases_it_never_triggered(
) -> TestResult {
    let app = spawn_app_with(|config| config.extensions.conformance_report = true).await;
    app.pin_clock_at_utc_noon();
    // Region 120's software runs part of the kit: the catalogue, an OTP sent, one refused
    // (no cfOperatore), and one envelope the schema refuses (before any caller is known).
    for (sample, path, outcome) in [
        ("servizi/ElencoServizi.xml", "/ws/Servizi", "0000"),
        ("otp/InvioOTP-region.xml", "/ws/InvioOTP", "0000"),
        ("otp/region-without-cf.xml", "/ws/InvioOTP", "9999"),
        ("otp/schema-unknown-auth-type.xml", "/ws/InvioOTP", "SCHEMA"),
    ] {
        let reply = app.request(sample).to(path).by(As::Region).send().await;
        assert_eq!(reply.outcome(), Some(outcome), "{sample}: {}", reply.body);
    }
    // Another caller's calls are not the region's.
    let reply = app
        .request("servizi/ElencoServizi.xml")
        .to("/ws/Servizi")
        .by(As::Card)
        .send()
        .await;
    assert_eq!(reply.outcome(), Some("0000"));

    let report = json_report(&app, "120").await?;
    assert_eq!(report["caller_kind"], "region");
    assert_eq!(report["calls"], 3, "{report:#}");
    assert_eq!(
        report["services_called"],
        serde_json::json!(["InvioOTP", "Servizi"])
    );
    assert_eq!(
        report["services_never_called"],
        serde_json::json!(["Sierologici", "ASL"])
    );
    assert_eq!(
        items(&report["checklist"]),
        [
            triple("InvioOTP", "InvioOTP", "0000"),
            triple("InvioOTP", "InvioOTP", "0001"),
            triple("InvioOTP", "InvioOTP", "9999"),
            triple("Servizi", "ElencoServizi", "0000"),
        ],
        "{report:#}"
    );
    // Exactly the one documented outcome it never saw, with the sample that documents it.
    assert_eq!(
        items(&report["missing"]),
        [triple("InvioOTP", "InvioOTP", "0001")],
        "{report:#}"
    );
    assert_eq!(
        report["missing"][0]["cases"],
        serde_json::json!([{"kit": "otp", "file": "region-cf-check-letter.xml", "message": "1024"}])
    );
    let otp = &report["operations"][0];
    assert_eq!(
        (otp["operation"].as_str(), otp["calls"].as_u64()),
        (Some("InvioOTP"), Some(2))
    );
    assert_eq!(otp["outcomes"], serde_json::json!({"0000": 1, "9999": 1}));
    assert!(report["cases_checked_offline"].as_u64() > Some(5));

    let text = report_text(&app, "120").await?;
    assert!(text.contains("missing: 1 of 4"), "{text}");
    assert!(
        text.contains("[ ] InvioOTP/InvioOTP 0001: otp/region-cf-check-letter.xml (1024)"),
        "{text}"
    );

    // The missing case, sent: nothing is missing any more.
    let reply = app
        .request("otp/region-cf-check-letter.xml")
        .to("/ws/InvioOTP")
        .by(As::Region)
        .send()
        .await;
    assert_eq!(reply.outcome(), Some("0001"));
    let report = json_report(&app, "120").await?;
    assert_eq!(report["missing"], serde_json::json!([]), "{report:#}");
    Ok(())
}

async fn report_text(
    app: &TestApp,
    caller: &str,
) -> Result<String, Box<dyn std::error::Error + Send + Sync>> {
    let output = report(app, caller, false).await?;
    assert!(output.status.success(), "{output:?}");
    Ok(String::from_utf8(output.stdout)?)
}

#[tokio::test]
async fn a_caller_with_no_calls_gets_an_empty_report() -> TestResult {
    let app = spawn_app_with(|config| config.extensions.conformance_report = true).await;
    let report = json_report(&app, "DEMOOP01").await?;
    assert_eq!(report["caller_kind"], "operator-password");
    assert_eq!(report["calls"], 0);
    assert_eq!(report["missing"], serde_json::json!([]));
    assert_eq!(
        report["services_never_called"].as_array().map(Vec::len),
        Some(4)
    );
    Ok(())
}

#[tokio::test]
async fn the_report_is_refused_where_it_is_not_switched_on() -> TestResult {
    let app = spawn_app().await;
    let output = report(&app, "120", false).await?;
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr)?;
    assert!(stderr.contains("conformance_report"), "{stderr}");
    Ok(())
}
