//! WSDL and XSD publication, `/health`, and `/metrics` on the admin listener only.

use crate::helpers::{spawn_app, As, TestResult};

#[tokio::test]
async fn the_wsdl_points_at_this_gateway_and_its_schemas_are_served() -> TestResult {
    let app = spawn_app().await;
    let wsdl = app.get("/ws/Servizi?wsdl").await?;
    assert_eq!(wsdl.status, 200);
    assert!(wsdl
        .header("content-type")
        .is_some_and(|t| t.starts_with("text/xml")));
    let location = format!("{}/ws/Servizi", app.config().server.public_url);
    // Every binding's address (SOAP 1.1 and 1.2).
    let addresses: Vec<_> = wsdl
        .elements("address")
        .iter()
        .map(|a| a.attribute("location"))
        .collect();
    assert!(
        !addresses.is_empty() && addresses.iter().all(|a| *a == Some(location.as_str())),
        "{}",
        wsdl.body
    );
    // Every schema the WSDL imports is served where its relative location resolves.
    for import in wsdl.body.split("schemaLocation=\"../xsd/").skip(1) {
        let file = import.split('"').next().unwrap_or_default();
        let xsd = app.get(&format!("/xsd/{file}")).await?;
        assert_eq!(xsd.status, 200, "{file}");
        assert_eq!(xsd.xml().name, "schema", "{file}");
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
    let metrics = app.admin_get("/metrics").await?;
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
        "tsgate_access_log_lost_races_total 0",
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

/// `/metrics` tells anyone how the gateway is used: it is served on the admin listener (plain
/// HTTP on loopback), never on the public port, whoever asks; `/health` says only "ok".
#[tokio::test]
async fn metrics_are_only_on_the_admin_listener_and_health_says_nothing_internal() -> TestResult {
    let app = spawn_app().await;
    assert!(app.admin.ip().is_loopback());
    assert_ne!(app.admin.port(), app.address.port());
    app.call_catalogue(As::Region).await;

    let public = app.get("/metrics").await?;
    assert_eq!(public.status, 404, "{}", public.body);
    assert!(!public.body.contains("tsgate_"));
    let with_certificate = app.get_with(As::Region, "/metrics", &[]).await?;
    assert_eq!(with_certificate.status, 404);

    let health = app.get("/health").await?;
    assert_eq!(health.status, 200);
    assert_eq!(health.body, "{\"status\":\"ok\"}");

    let admin = app.admin_get("/metrics").await?;
    assert_eq!(admin.status, 200);
    assert!(admin.body.contains("tsgate_requests_total"));
    assert_eq!(app.admin_get("/health").await?.status, 200);
    assert_eq!(app.admin_get("/ws/Servizi").await?.status, 404);
    Ok(())
}
