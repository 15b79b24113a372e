//! Bad input of every kind: each gets its specific HTTP status and Fault, is counted in the
//! metrics, and leaves the server serving the next request.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{parse_reply, spawn_app, spawn_app_with, As, TestApp, TestResult};

async fn still_serving(app: &TestApp) {
    let reply = app.call_catalogue(As::Region).await;
    assert_eq!(
        reply.status, 200,
        "the gateway keeps serving: {}",
        reply.body
    );
}

#[tokio::test]
async fn wrong_content_type_is_415() -> TestResult {
    let app = spawn_app().await;
    for content_type in [
        "application/json",
        "text/plain",
        "text/xml; charset=ISO-8859-1",
    ] {
        let reply = app
            .request("servizi/ElencoServizi.xml")
            .by(As::Region)
            .content_type(content_type)
            .try_send()
            .await?;
        assert_eq!(
            (reply.status, reply.outcome()),
            (415, Some("CONTENT_TYPE")),
            "{content_type}"
        );
    }
    assert_eq!(
        app.metric("tsgate_rejected_requests_total{reason=\"fault_content_type\"}"),
        3.0
    );
    still_serving(&app).await;
    Ok(())
}

#[tokio::test]
async fn unknown_service_is_404_and_unknown_payload_element_400() -> TestResult {
    let app = spawn_app().await;
    let reply = app
        .request("servizi/ElencoServizi.xml")
        .by(As::Region)
        .to("/ws/Inesistente")
        .send()
        .await;
    assert_eq!(
        (reply.status, reply.outcome()),
        (404, Some("SERVIZIO_SCONOSCIUTO"))
    );
    // A payload element no schema declares is not an operation of the service: the documented
    // specific code, not a schema violation.
    let reply = app
        .request("servizi/ElencoServizi.xml")
        .by(As::Region)
        .replace("ElencoServiziRichiesta", "AltraRichiesta")
        .send()
        .await;
    assert_eq!(reply.status, 400, "{}", reply.body);
    assert_eq!(reply.outcome(), Some("OPERAZIONE_SCONOSCIUTA"));
    assert!(
        reply
            .fault_reason()
            .is_some_and(|r| r.contains("AltraRichiesta")),
        "{}",
        reply.body
    );
    still_serving(&app).await;
    Ok(())
}

#[tokio::test]
async fn non_xml_and_deeply_nested_bodies_are_400() -> TestResult {
    let app = spawn_app().await;
    for garbage in ["", "not xml at all", "\u{0}\u{1}\u{2}", "<a><b></a>"] {
        let reply = app
            .request_body("/ws/Servizi", garbage)
            .by(As::Region)
            .content_type("text/xml")
            .try_send()
            .await?;
        assert_eq!(reply.status, 400, "{garbage:?}: {}", reply.body);
        assert!(reply.fault_code().is_some(), "a Fault: {}", reply.body);
    }
    // The cap applies everywhere, also in the (unvalidated) Header.
    let deep = format!(
        "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"><soapenv:Header>{}{}</soapenv:Header><soapenv:Body/></soapenv:Envelope>",
        "<x>".repeat(10_000),
        "</x>".repeat(10_000)
    );
    let reply = app
        .request_body("/ws/Servizi", deep)
        .by(As::Region)
        .content_type("text/xml")
        .try_send()
        .await?;
    assert_eq!(
        (reply.status, reply.outcome()),
        (400, Some("ANNIDAMENTO_ECCESSIVO"))
    );
    still_serving(&app).await;
    Ok(())
}

#[tokio::test]
async fn an_oversized_body_is_413() -> TestResult {
    let app = spawn_app_with(|c| c.server.max_body_bytes = 4096).await;
    let padding = format!("<!--{}-->", "x".repeat(8192));
    let reply = app
        .request("servizi/ElencoServizi.xml")
        .by(As::Region)
        .content_type("text/xml")
        .replace("<soapenv:Header/>", &padding)
        .try_send()
        .await?;
    assert_eq!(
        (reply.status, reply.outcome()),
        (413, Some("RICHIESTA_TROPPO_GRANDE"))
    );
    assert_eq!(
        app.metric("tsgate_rejected_requests_total{reason=\"fault_richiesta_troppo_grande\"}"),
        1.0
    );
    still_serving(&app).await;
    Ok(())
}

#[tokio::test]
async fn a_chunked_body_over_the_cap_is_413() -> TestResult {
    let app = spawn_app_with(|c| c.server.max_body_bytes = 4096).await;
    let chunk = "x".repeat(3000);
    let request = format!(
        "POST /ws/Servizi HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/xml\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n{:x}\r\n{chunk}\r\n{:x}\r\n{chunk}\r\n0\r\n\r\n",
        chunk.len(),
        chunk.len()
    );
    let reply = app.exchange(As::Region, request.as_bytes()).await?;
    assert_eq!(
        (reply.status, reply.outcome()),
        (413, Some("RICHIESTA_TROPPO_GRANDE"))
    );
    still_serving(&app).await;
    Ok(())
}

#[tokio::test]
async fn a_slow_body_is_408_and_slow_headers_are_cut_off() -> TestResult {
    let app = spawn_app_with(|c| {
        c.server.body_timeout_ms = 300;
        c.server.header_timeout_ms = 300;
    })
    .await;
    // Body announced but never finished.
    let mut tls = app.connect(As::Region).await?;
    tls.write_all(b"POST /ws/Servizi HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/xml\r\nContent-Length: 1000\r\n\r\n<soap").await?;
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), tls.read_to_end(&mut raw)).await??;
    let text = String::from_utf8_lossy(&raw);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert_eq!(
        parse_reply(&raw)?.outcome(),
        Some("TEMPO_SCADUTO"),
        "{text}"
    );

    // Headers trickled in and never finished: the connection is closed, no handler runs.
    let mut tls = app.connect(As::Region).await?;
    tls.write_all(b"POST /ws/Servizi HTTP/1.1\r\nHost: loc")
        .await?;
    let mut raw = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(10), tls.read_to_end(&mut raw)).await;
    assert!(closed.is_ok(), "the server closed the slow connection");
    still_serving(&app).await;
    Ok(())
}

#[tokio::test]
async fn get_on_a_soap_endpoint_is_405() -> TestResult {
    let app = spawn_app().await;
    let reply = app.get("/ws/Servizi").await?;
    assert_eq!(reply.status, 405);
    assert_eq!(reply.header("allow"), Some("GET, POST"));
    assert_eq!(app.get("/nowhere").await?.status, 404);
    Ok(())
}

#[tokio::test]
async fn the_connection_cap_refuses_extra_connections() -> TestResult {
    let app = spawn_app_with(|c| c.server.max_connections = 2).await;
    let _a = app.connect(As::Region).await?;
    let _b = app.connect(As::Region).await?;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        app.connect(As::Region).await.is_err()
            || app.metric("tsgate_connections_refused_total") >= 1.0
    );
    assert!(app.metric("tsgate_connections_refused_total") >= 1.0);
    drop((_a, _b));
    tokio::time::sleep(Duration::from_millis(200)).await;
    still_serving(&app).await;
    Ok(())
}
