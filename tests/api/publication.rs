//! WSDL and XSD publication, `/health` and `/metrics`.

use crate::helpers::{spawn_app, As, TestResult};

#[tokio::test]
async fn the_wsdl_points_at_this_gateway_and_its_schemas_are_served() -> TestResult {
    let app = spawn_app().await;
    let wsdl = app.get("/ws/Servizi?wsdl").await?;
    assert_eq!(wsdl.status, 200);
    assert!(wsdl
        .header("content-type")
        .is_some_and(|t| t.starts_with("text/xml")));
    let public_url = &app.app.config.server.public_url;
    assert!(
        wsdl.body
            .contains(&format!("location=\"{public_url}/ws/Servizi\"")),
        "{}",
        wsdl.body
    );
    // Every schema the WSDL imports is served where its relative location resolves.
    for import in wsdl.body.split("schemaLocation=\"../xsd/").skip(1) {
        let file = import.split('"').next().unwrap_or_default();
        let xsd = app.get(&format!("/xsd/{file}")).await?;
        assert_eq!(xsd.status, 200, "{file}");
        assert!(xsd.body.contains("<xs:schema"));
        for nested in xsd.body.split("schemaLocation=\"").skip(1) {
            let nested = nested.split('"').next().unwrap_or_default();
            assert_eq!(
                app.get(&format!("/xsd/{nested}")).await?.status,
                200,
                "{nested}"
            );
        }
    }
    assert_eq!(app.get("/ws/Nessuno?wsdl").await?.status, 404);
    assert_eq!(app.get("/xsd/../Cargo.toml").await?.status, 404);
    Ok(())
}

#[tokio::test]
async fn health_and_metrics() -> TestResult {
    let app = spawn_app().await;
    assert_eq!(app.get("/health").await?.status, 200);
    app.call_catalogue(As::Region).await;
    let metrics = app.get("/metrics").await?;
    assert_eq!(metrics.status, 200);
    assert!(metrics.body.contains(
        "tsgate_requests_total{service=\"Servizi\",operation=\"ElencoServizi\",outcome=\"0000\"} 1"
    ));
    assert!(metrics
        .body
        .contains("tsgate_request_duration_seconds_bucket"));
    // The one identified request's entry went through one group commit.
    for line in [
        "tsgate_access_log_commits_total 1",
        "tsgate_access_log_entries_total 1",
        "tsgate_access_log_failed_commits_total 0",
        "tsgate_access_log_queued 0",
    ] {
        assert!(
            metrics.body.lines().any(|l| l == line),
            "{line} in\n{}",
            metrics.body
        );
    }
    Ok(())
}
