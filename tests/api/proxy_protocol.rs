//! The PROXY protocol on the gateway's listener (issue 13, scale-out): behind a load balancer in
//! TCP mode the client's real address is the one recorded, while mutual TLS still ends at the
//! gateway. Only the configured balancer may name an address; its header missing, malformed,
//! too long or too slow closes that connection alone, and the gateway keeps serving.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tsgate::server::proxy_protocol::v2_header;

use crate::helpers::{envelope, exchange_over, spawn_app_with, As, Reply, TestApp, TestResult};

/// The load balancer's address in these tests; clients connect from 127.0.0.1.
const BALANCER: [u8; 4] = [127, 0, 0, 2];
/// Generous: the gateway's handshake deadline in these tests is half a second.
const PATIENCE: Duration = Duration::from_secs(10);

async fn behind_a_balancer() -> TestApp {
    spawn_app_with(|config| {
        config.server.proxy_protocol_from = vec![IpAddr::from(BALANCER)];
        config.server.handshake_timeout_ms = 500;
    })
    .await
}

/// A TCP connection to the gateway from `from` (any loopback address), `preamble` sent first.
async fn connect_from(app: &TestApp, from: [u8; 4], preamble: &[u8]) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from((from, 0)))?;
    let mut tcp = socket.connect(app.address).await?;
    tcp.write_all(preamble).await?;
    Ok(tcp)
}

/// The region's catalogue call over TLS on `tcp`.
async fn catalogue_over(app: &TestApp, tcp: TcpStream) -> std::io::Result<Reply> {
    let body = envelope("servizi/ElencoServizi.xml");
    let request = format!(
        "POST /ws/Servizi HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    exchange_over(tcp, &app.certs(), As::Region, request.as_bytes()).await
}

async fn catalogue_from(app: &TestApp, from: [u8; 4], preamble: &[u8]) -> std::io::Result<Reply> {
    catalogue_over(app, connect_from(app, from, preamble).await?).await
}

/// The address the access log recorded for `reply`'s transaction.
async fn recorded_client(app: &TestApp, reply: &Reply) -> Option<String> {
    assert_eq!(reply.status, 200, "{}", reply.body);
    app.logged(reply).await.client_address
}

/// Waits for the gateway to close `tcp` without sending a byte: `true` if it did.
async fn closed_without_a_word(tcp: &mut TcpStream) -> bool {
    let mut rest = Vec::new();
    match tokio::time::timeout(PATIENCE, tcp.read_to_end(&mut rest)).await {
        Ok(Ok(_)) => rest.is_empty(),
        Ok(Err(_)) => true,
        Err(_) => false,
    }
}

fn refused(app: &TestApp, reason: &str) -> f64 {
    app.metric(&format!(
        "tsgate_connections_refused_total{{reason=\"{reason}\"}}"
    ))
}

#[tokio::test]
async fn the_balancer_names_the_client_and_the_access_log_records_it() -> TestResult {
    let app = behind_a_balancer().await;
    let v2 = v2_header("203.0.113.7:40000".parse()?, app.address);
    let reply = catalogue_from(&app, BALANCER, &v2).await?;
    assert_eq!(
        recorded_client(&app, &reply).await.as_deref(),
        Some("203.0.113.7")
    );

    let v1 = format!(
        "PROXY TCP6 2001:db8::7 ::1 50000 {}\r\n",
        app.address.port()
    );
    let reply = catalogue_from(&app, BALANCER, v1.as_bytes()).await?;
    assert_eq!(
        recorded_client(&app, &reply).await.as_deref(),
        Some("2001:db8::7")
    );

    // A LOCAL header (the balancer's own health check) leaves the balancer's address.
    let mut local = v2.clone();
    local[12] = 0x20;
    let reply = catalogue_from(&app, BALANCER, &local).await?;
    assert_eq!(
        recorded_client(&app, &reply).await.as_deref(),
        Some("127.0.0.2")
    );
    Ok(())
}

#[tokio::test]
async fn a_header_from_anyone_else_is_refused_and_direct_clients_are_still_served() -> TestResult {
    let app = behind_a_balancer().await;
    let forged = v2_header("198.51.100.1:1".parse()?, app.address);
    let mut tcp = connect_from(&app, [127, 0, 0, 1], &forged).await?;
    assert!(
        closed_without_a_word(&mut tcp).await,
        "a forged header is refused"
    );
    assert_eq!(refused(&app, "proxy_header_untrusted"), 1.0);
    let v1 = b"PROXY TCP4 198.51.100.1 127.0.0.1 1 2\r\n";
    assert!(catalogue_from(&app, [127, 0, 0, 1], v1).await.is_err());
    assert_eq!(refused(&app, "proxy_header_untrusted"), 2.0);

    // A client that is not the balancer speaks TLS directly, under its own address.
    let reply = catalogue_from(&app, [127, 0, 0, 1], b"").await?;
    assert_eq!(
        recorded_client(&app, &reply).await.as_deref(),
        Some("127.0.0.1")
    );
    Ok(())
}

#[tokio::test]
async fn the_balancer_without_a_good_header_in_time_is_refused_and_the_gateway_keeps_serving(
) -> TestResult {
    let app = behind_a_balancer().await;
    // No header at all: the TLS ClientHello is not one.
    assert!(catalogue_from(&app, BALANCER, b"").await.is_err());
    assert_eq!(refused(&app, "proxy_header_missing"), 1.0);

    // Malformed, and announcing more than is accepted.
    for (header, reason) in [
        (
            b"PROXY TCP4 192.0.2.1 x 1 2\r\n".to_vec(),
            "proxy_header_malformed",
        ),
        (
            b"\r\n\r\n\0\r\nQUIT\n\x21\x11\xff\xff".to_vec(),
            "proxy_header_too_long",
        ),
        (
            b"\r\n\r\n\0\r\nQUIT\n\x13\x11\x00\x0c".to_vec(),
            "proxy_header_malformed",
        ),
    ] {
        let before = refused(&app, reason);
        let mut tcp = connect_from(&app, BALANCER, &header).await?;
        assert!(closed_without_a_word(&mut tcp).await, "{reason}");
        assert_eq!(refused(&app, reason), before + 1.0, "{reason}");
    }

    // Slow: part of a header, then nothing; closed at the handshake deadline. Many at once hold
    // nothing else up: a proxied client is served meanwhile.
    let started = tokio::time::Instant::now();
    let v2 = v2_header("203.0.113.9:1".parse()?, app.address);
    let mut stalled = Vec::new();
    for _ in 0..20 {
        stalled.push(connect_from(&app, BALANCER, &v2[..10]).await?);
    }
    let reply = catalogue_from(&app, BALANCER, &v2).await?;
    assert_eq!(
        recorded_client(&app, &reply).await.as_deref(),
        Some("203.0.113.9")
    );
    for tcp in &mut stalled {
        assert!(
            closed_without_a_word(tcp).await,
            "a stalled header is closed"
        );
    }
    assert!(started.elapsed() >= Duration::from_millis(500));
    assert_eq!(refused(&app, "proxy_header_timeout"), 20.0);

    // A header cut short by the balancer closing its side.
    let mut tcp = connect_from(&app, BALANCER, &v2[..20]).await?;
    tcp.shutdown().await?;
    assert!(closed_without_a_word(&mut tcp).await);
    assert_eq!(refused(&app, "proxy_header_unreadable"), 1.0);

    let reply = catalogue_from(&app, BALANCER, &v2).await?;
    assert_eq!(reply.status, 200, "{}", reply.body);
    Ok(())
}

#[tokio::test]
async fn with_the_protocol_off_a_header_is_not_read_and_the_handshake_fails() -> TestResult {
    let app = spawn_app_with(|_| {}).await;
    let v2 = v2_header("203.0.113.7:40000".parse()?, app.address);
    assert!(catalogue_from(&app, BALANCER, &v2).await.is_err());
    let reply = catalogue_from(&app, BALANCER, b"").await?;
    assert_eq!(
        recorded_client(&app, &reply).await.as_deref(),
        Some("127.0.0.2")
    );
    Ok(())
}
