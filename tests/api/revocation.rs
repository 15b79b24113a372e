//! Revocation reaches open connections and resumed sessions (issue 8, item 4): after
//! `tsgate certs revoke` and the reload, the next request on a connection opened before is
//! refused with a clear answer and the connection closes; a client that resumes its TLS session
//! (TLS 1.3 ticket, TLS 1.2 session id) with the revoked certificate is refused too.

use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::ServerName;
use rustls::{HandshakeKind, ProtocolVersion};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;
use tsgate::domain::RegionCode;
use tsgate::pki::ca::Subject;

use crate::helpers::{
    catalogue_request_h2, envelope, parse_reply, spawn_app_with, As, Reply, TestApp, TestResult,
};

const PATIENCE: Duration = Duration::from_secs(10);

/// A region certificate of the gateway CA, its serial, and the client identity.
fn issue_region(app: &TestApp) -> Result<(String, As), Box<dyn std::error::Error + Send + Sync>> {
    let issued = app.ca().issue(
        &Subject::Region {
            code: RegionCode::parse("150")?,
        },
        30,
    )?;
    let who = As::Certificate {
        cert_pem: issued.cert_pem,
        key_pem: issued.key_pem,
    };
    Ok((issued.serial_hex, who))
}

/// `tsgate certs revoke`, as an operator runs it, then waits until the running gateway has
/// reloaded the CRL (a new full handshake with the certificate fails).
pub(crate) async fn revoke_and_wait_for_reload(
    app: &TestApp,
    serial: &str,
    who: &As,
) -> TestResult {
    // Awaited, not waited for: the gateway runs on this thread and may hold the SQLite write
    // lock that the command's register update needs.
    let status = tokio::process::Command::new(env!("CARGO_BIN_EXE_tsgate"))
        .args(["certs", "revoke", "--config"])
        .arg(app.dir.path().join("tsgate.toml"))
        .arg("--ca-dir")
        .arg(app.certs())
        .args(["--serial", serial])
        .status()
        .await?;
    assert!(status.success());
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if app.metric("tsgate_tls_handshake_failures_total{reason=\"certificate_revoked\"}") >= 1.0
        {
            return Ok(());
        }
        // A fresh client (no session to resume): refused once the new CRL is in force.
        let _ = app
            .request("servizi/ElencoServizi.xml")
            .by(who.clone())
            .content_type("text/xml")
            .try_send()
            .await;
    }
    Err("the gateway did not reload the CRL".into())
}

/// The Fault says the certificate was revoked.
fn says_revoked(reply: &Reply) -> bool {
    reply.fault_reason().is_some_and(|r| r.contains("revocato"))
}

/// One request on a kept-alive HTTP/1.1 connection; the whole reply (head and body).
async fn request(tls: &mut TlsStream<TcpStream>) -> std::io::Result<String> {
    let body = envelope("servizi/ElencoServizi.xml");
    let request = format!(
        "POST /ws/Servizi HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    tls.write_all(request.as_bytes()).await?;
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&seen).contains("Envelope>") {
        let n = tokio::time::timeout(PATIENCE, tls.read(&mut buf))
            .await
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "no answer"))??;
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "closed without an answer",
            ));
        }
        seen.extend_from_slice(&buf[..n]);
    }
    Ok(String::from_utf8_lossy(&seen).into_owned())
}

#[tokio::test]
async fn the_next_request_on_an_open_connection_is_refused_once_its_certificate_is_revoked(
) -> TestResult {
    let app = spawn_app_with(|c| c.tls.reload_interval_ms = 100).await;
    let (serial, who) = issue_region(&app)?;
    let mut open = app.connect(who.clone()).await?;
    let reply = request(&mut open).await?;
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");

    revoke_and_wait_for_reload(&app, &serial, &who).await?;

    let raw = request(&mut open).await?;
    assert!(raw.starts_with("HTTP/1.1 500"), "{raw}");
    let reply = parse_reply(raw.as_bytes())?;
    assert_eq!(reply.outcome(), Some("CREDENZIALI_INVALIDE"), "{raw}");
    assert!(says_revoked(&reply), "says why: {raw}");
    assert!(
        reply
            .header("connection")
            .is_some_and(|c| c.eq_ignore_ascii_case("close")),
        "{raw}"
    );
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(PATIENCE, open.read_to_end(&mut rest)).await;
    assert!(
        matches!(closed, Ok(Ok(0)) | Ok(Err(_))),
        "the connection closes"
    );
    assert_eq!(
        app.metric("tsgate_rejected_requests_total{reason=\"certificate_revoked\"}"),
        1.0
    );
    // Other callers are served.
    assert_eq!(app.call_catalogue(As::Region).await.status, 200);
    Ok(())
}

#[tokio::test]
async fn a_resumed_session_does_not_bring_a_revoked_certificate_back() -> TestResult {
    for version in [&rustls::version::TLS13, &rustls::version::TLS12] {
        let app = spawn_app_with(|c| c.tls.reload_interval_ms = 100).await;
        let (serial, who) = issue_region(&app)?;
        // One client configuration, so one session store: the client resumes when it can.
        let client = Arc::new(resuming_client(&app, who.clone(), version));
        let connect = || async {
            let tcp = TcpStream::connect(app.address).await?;
            let name = ServerName::try_from("localhost").map_err(std::io::Error::other)?;
            TlsConnector::from(client.clone()).connect(name, tcp).await
        };

        let mut first = connect().await?;
        assert!(request(&mut first).await?.starts_with("HTTP/1.1 200"));
        drop(first);
        let mut resumed = connect().await?;
        assert_eq!(
            resumed.get_ref().1.handshake_kind(),
            Some(HandshakeKind::Resumed),
            "{version:?}: the gateway resumes sessions"
        );
        assert!(request(&mut resumed).await?.starts_with("HTTP/1.1 200"));
        drop(resumed);

        revoke_and_wait_for_reload(&app, &serial, &who).await?;
        let refused_before =
            app.metric("tsgate_tls_handshake_failures_total{reason=\"certificate_revoked\"}");

        let mut again = connect().await?;
        assert_eq!(
            again.get_ref().1.handshake_kind(),
            Some(HandshakeKind::Resumed),
            "{version:?}: the client resumed its session"
        );
        assert_eq!(
            again.get_ref().1.protocol_version(),
            Some(match version.version {
                ProtocolVersion::TLSv1_2 => ProtocolVersion::TLSv1_2,
                _ => ProtocolVersion::TLSv1_3,
            })
        );
        let answer = request(&mut again).await;
        assert!(
            answer.is_err(),
            "{version:?}: a resumed session with a revoked certificate is not served: {answer:?}"
        );
        assert_eq!(
            app.metric("tsgate_tls_handshake_failures_total{reason=\"certificate_revoked\"}"),
            refused_before + 1.0
        );
        assert_eq!(app.call_catalogue(As::Region).await.status, 200);
    }
    Ok(())
}

fn resuming_client(
    app: &TestApp,
    who: As,
    version: &'static rustls::SupportedProtocolVersion,
) -> rustls::ClientConfig {
    let base = app.client_config(who, vec![b"http/1.1".to_vec()]);
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for cert in tsgate::pki::files::certificates(&app.certs().join("ca.pem")).expect("ca") {
        roots.add(cert).expect("root");
    }
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[version])
        .expect("version")
        .with_root_certificates(roots)
        .with_client_cert_resolver(base.client_auth_cert_resolver.clone());
    config.alpn_protocols = base.alpn_protocols;
    config
}

#[tokio::test]
async fn over_http2_the_next_stream_is_refused_and_the_connection_goes_away() -> TestResult {
    let app = spawn_app_with(|c| c.tls.reload_interval_ms = 100).await;
    let (serial, who) = issue_region(&app)?;
    let (mut sender, connection) = app.connect_h2(who.clone()).await?;
    let call = catalogue_request_h2;
    let response = sender.send_request(call()?).await?;
    assert_eq!(response.status(), 200);
    http_body_util::BodyExt::collect(response.into_body()).await?;

    revoke_and_wait_for_reload(&app, &serial, &who).await?;

    let response = sender.send_request(call()?).await?;
    assert_eq!(response.status(), 500);
    let body = http_body_util::BodyExt::collect(response.into_body())
        .await?
        .to_bytes();
    let reply = Reply::new(500, Vec::new(), String::from_utf8_lossy(&body).into_owned());
    assert!(
        reply.outcome() == Some("CREDENZIALI_INVALIDE") && says_revoked(&reply),
        "{}",
        reply.body
    );
    let ended = tokio::time::timeout(PATIENCE, connection).await;
    assert!(ended.is_ok(), "the gateway closed the HTTP/2 connection");
    Ok(())
}
