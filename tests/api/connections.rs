//! Idle connections and the unauthenticated budget (issue 8, item 3): a connection that sends
//! nothing, or nothing more, is closed after its timeout over HTTP/1.1 and HTTP/2 alike; those
//! without a client certificate and not yet identified have a smaller budget, in all and per
//! client address, which never keeps out a client that presents a certificate.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

use crate::helpers::{
    basic, catalogue_request_h2, envelope, parse_reply, seed, spawn_app_with, As, TestApp,
    TestResult, OPERATOR,
};

/// Generous: the server's timeouts in these tests are a few hundred milliseconds.
const PATIENCE: Duration = Duration::from_secs(10);

/// Waits for the server to close `tls`; `true` if it did (EOF or reset) with nothing sent.
async fn closed_by_server(tls: &mut TlsStream<TcpStream>) -> bool {
    let mut rest = Vec::new();
    match tokio::time::timeout(PATIENCE, tls.read_to_end(&mut rest)).await {
        Ok(Ok(_)) => rest.is_empty(),
        Ok(Err(_)) => true,
        Err(_) => false,
    }
}

/// One HTTP/1.1 request on a kept-alive connection; returns the head and body of the reply.
async fn keep_alive_request(tls: &mut TlsStream<TcpStream>, headers: &str, body: &str) -> String {
    let request = format!(
        "POST /ws/Servizi HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/xml; charset=utf-8\r\n{headers}Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    tls.write_all(request.as_bytes())
        .await
        .expect("request sent");
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&seen).contains("Envelope>") {
        let n = tokio::time::timeout(PATIENCE, tls.read(&mut buf))
            .await
            .expect("an answer in time")
            .expect("readable");
        assert!(n > 0, "connection closed before the answer");
        seen.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&seen).into_owned()
}

/// Waits until `metric` reaches `at_least` (the server counts after the client sees the close).
async fn metric_reaches(app: &TestApp, metric: &str, at_least: f64) -> bool {
    for _ in 0..100 {
        if app.metric(metric) >= at_least {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

fn short_timeouts(config: &mut tsgate::config::Config) {
    config.server.first_request_timeout_ms = 300;
    config.server.idle_timeout_ms = 300;
}

#[tokio::test]
async fn http1_connections_idle_before_the_first_request_or_after_a_reply_are_closed() -> TestResult
{
    let app = spawn_app_with(short_timeouts).await;

    // Handshake done, no client certificate, not a byte sent.
    let mut silent = app.connect(As::Anonymous).await?;
    assert!(closed_by_server(&mut silent).await);
    assert!(
        metric_reaches(
            &app,
            "tsgate_connections_closed_total{reason=\"no_first_request\"}",
            1.0
        )
        .await
    );

    // A certificate holder too, once its reply is sent and nothing else comes.
    let mut kept = app.connect(As::Region).await?;
    let reply = keep_alive_request(&mut kept, "", &envelope("servizi/ElencoServizi.xml")).await;
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    assert!(closed_by_server(&mut kept).await);
    assert!(
        metric_reaches(
            &app,
            "tsgate_connections_closed_total{reason=\"idle\"}",
            1.0
        )
        .await
    );
    assert!(metric_reaches_at_most(&app, "tsgate_connections_open", 0.0).await);
    Ok(())
}

#[tokio::test]
async fn a_request_in_flight_is_not_idle() -> TestResult {
    let app = spawn_app_with(short_timeouts).await;
    let body = envelope("servizi/ElencoServizi.xml");
    let mut tls = app.connect(As::Region).await?;
    let head = format!(
        "POST /ws/Servizi HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    tls.write_all(head.as_bytes()).await?;
    tls.flush().await?;
    // Longer than the idle timeout, with the request's body still coming.
    tokio::time::sleep(Duration::from_millis(900)).await;
    tls.write_all(body.as_bytes()).await?;
    let mut reply = vec![0u8; 8192];
    let n = tokio::time::timeout(PATIENCE, tls.read(&mut reply)).await??;
    let reply = String::from_utf8_lossy(&reply[..n]);
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    assert_eq!(app.metric("tsgate_connections_closed_total"), 0.0);
    Ok(())
}

#[tokio::test]
async fn http2_connections_idle_before_the_first_request_or_after_a_reply_are_closed() -> TestResult
{
    let app = spawn_app_with(short_timeouts).await;
    for send_a_request in [false, true] {
        let (mut sender, connection) = app.connect_h2(As::Region).await?;
        if send_a_request {
            let request = catalogue_request_h2()?;
            let response = sender.send_request(request).await?;
            assert_eq!(response.status(), 200);
            // Reading the body to its end completes the stream.
            http_body_util::BodyExt::collect(response.into_body()).await?;
        }
        // The server closes the connection: the client's connection task ends.
        let ended = tokio::time::timeout(PATIENCE, connection).await;
        assert!(
            ended.is_ok(),
            "HTTP/2 connection closed (request sent: {send_a_request})"
        );
    }
    assert!(
        metric_reaches(
            &app,
            "tsgate_connections_closed_total{reason=\"no_first_request\"}",
            1.0
        )
        .await
    );
    assert!(
        metric_reaches(
            &app,
            "tsgate_connections_closed_total{reason=\"idle\"}",
            1.0
        )
        .await
    );
    Ok(())
}

#[tokio::test]
async fn a_full_unauthenticated_budget_does_not_keep_out_certificate_holders() -> TestResult {
    let app = spawn_app_with(|c| {
        c.server.max_unauthenticated_connections = 3;
        c.server.max_unauthenticated_per_address = 100;
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(app.connect(As::Anonymous).await?);
    }
    assert!(metric_reaches(&app, "tsgate_connections_unauthenticated", 3.0).await);

    // One more without a certificate: closed right after its handshake, no answer.
    let mut excess = app.connect(As::Anonymous).await?;
    assert!(closed_by_server(&mut excess).await);
    assert_eq!(
        app.metric("tsgate_connections_refused_total{reason=\"unauthenticated_cap\"}"),
        1.0
    );
    // A Basic + pincode caller is unauthenticated until its request is identified: also out.
    let refused = app
        .request(OPERATOR_SAMPLE)
        .by(As::User(OPERATOR))
        .try_send()
        .await;
    assert!(
        refused.is_err(),
        "no answer: {:?}",
        refused.map(|r| r.status)
    );

    // Certificates get in regardless.
    assert_eq!(app.call_catalogue(As::Region).await.status, 200);
    assert_eq!(app.call_catalogue(As::Card).await.status, 200);

    // Once a place frees, a Basic caller gets in; identified, its connection leaves the
    // budget while it stays open, so the place is free again for another.
    drop(held.pop());
    assert!(metric_reaches_at_most(&app, "tsgate_connections_unauthenticated", 2.0).await);
    let mut operator = app.connect(As::Anonymous).await?;
    let credentials = format!("Authorization: {}\r\n", basic(OPERATOR.id, seed::PASSWORD));
    let filled = String::from_utf8(app.request(OPERATOR_SAMPLE).body())?;
    let reply = keep_alive_request(&mut operator, &credentials, &filled).await;
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    assert_eq!(app.metric("tsgate_connections_unauthenticated"), 2.0);
    let mut another = app.connect(As::Anonymous).await?;
    let reply = keep_alive_request(&mut another, "", &envelope("servizi/ElencoServizi.xml")).await;
    assert_eq!(
        parse_reply(reply.as_bytes())?.outcome(),
        Some("CREDENZIALI_INVALIDE"),
        "served, and refused as anonymous: {reply}"
    );
    Ok(())
}

#[tokio::test]
async fn the_per_address_cap_refuses_the_excess_from_one_address() -> TestResult {
    let app = spawn_app_with(|c| {
        c.server.max_unauthenticated_connections = 100;
        c.server.max_unauthenticated_per_address = 2;
    })
    .await;
    let first = app.connect(As::Anonymous).await?;
    let _second = app.connect(As::Anonymous).await?;
    assert!(metric_reaches(&app, "tsgate_connections_unauthenticated", 2.0).await);
    let mut third = app.connect(As::Anonymous).await?;
    assert!(closed_by_server(&mut third).await);
    assert_eq!(
        app.metric("tsgate_connections_refused_total{reason=\"unauthenticated_per_address\"}"),
        1.0
    );
    assert_eq!(app.call_catalogue(As::Region).await.status, 200);
    drop(first);
    assert!(metric_reaches_at_most(&app, "tsgate_connections_unauthenticated", 1.0).await);
    let reply = app.get("/health").await?;
    assert_eq!(reply.status, 200, "a place from this address is free again");
    Ok(())
}

async fn metric_reaches_at_most(app: &TestApp, metric: &str, at_most: f64) -> bool {
    for _ in 0..100 {
        if app.metric(metric) <= at_most {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

/// `ElencoServizi` with a `{PINCODE}` placeholder, for Basic + pincode.
const OPERATOR_SAMPLE: &str = "servizi/ElencoServizi-pincode.xml";

/// The README's rule for HTTP/1.1: hyper wants the next request's headers within
/// `header_timeout_ms` of the previous reply, so with a shorter header deadline than the idle
/// timeout, the header deadline closes the connection.
#[tokio::test]
async fn on_http1_the_header_deadline_also_bounds_the_wait_between_requests() -> TestResult {
    let app = spawn_app_with(|c| {
        c.server.header_timeout_ms = 300;
        c.server.idle_timeout_ms = 600_000;
    })
    .await;
    let mut kept = app.connect(As::Region).await?;
    let reply = keep_alive_request(&mut kept, "", &envelope("servizi/ElencoServizi.xml")).await;
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    assert!(closed_by_server(&mut kept).await);
    assert_eq!(
        app.metric("tsgate_connections_closed_total{reason=\"idle\"}"),
        0.0,
        "closed by hyper's header deadline, not by the idle timeout"
    );
    Ok(())
}
