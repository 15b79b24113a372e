//! Client certificates that must never reach a handler: revoked, expired, not yet valid, from an
//! unknown CA. Each fails the TLS handshake, is counted by reason, and the server keeps serving.

use time::{Duration, OffsetDateTime};
use tsgate::domain::RegionCode;
use tsgate::pki::ca::{CertificateAuthority, Subject};

use crate::helpers::{spawn_app, spawn_app_with, As, TestApp, TestResult};

async fn refused(app: &TestApp, who: As) -> bool {
    match app
        .request("servizi/ElencoServizi.xml")
        .by(who)
        .content_type("text/xml")
        .try_send()
        .await
    {
        Ok(reply) => {
            eprintln!("unexpected answer {}: {}", reply.status, reply.body);
            false
        }
        Err(_) => true,
    }
}

#[tokio::test]
async fn expired_not_yet_valid_and_unknown_certificates_fail_the_handshake() -> TestResult {
    let app = spawn_app().await;
    let code = RegionCode::parse("120")?;
    let expired = app.issue(&app.ca(), &Subject::Region { code }, -1);
    assert!(refused(&app, expired).await);
    assert_eq!(
        app.metric("tsgate_tls_handshake_failures_total{reason=\"certificate_expired\"}"),
        1.0
    );

    let now = OffsetDateTime::now_utc();
    let future = app.ca().issue_between(
        &Subject::Region { code },
        now + Duration::days(10),
        now + Duration::days(20),
    )?;
    assert!(
        refused(
            &app,
            As::Certificate {
                cert_pem: future.cert_pem,
                key_pem: future.key_pem
            }
        )
        .await
    );
    assert_eq!(
        app.metric("tsgate_tls_handshake_failures_total{reason=\"certificate_not_yet_valid\"}"),
        1.0
    );

    let rogue = CertificateAuthority::create("rogue CA")?;
    let unknown = app.issue(&rogue, &Subject::Region { code }, 30);
    assert!(refused(&app, unknown).await);
    assert_eq!(
        app.metric("tsgate_tls_handshake_failures_total{reason=\"certificate_unknown_issuer\"}"),
        1.0
    );

    // Still serving.
    assert_eq!(app.call_catalogue(As::Region).await.status, 200);
    Ok(())
}

#[tokio::test]
async fn a_revoked_certificate_fails_the_handshake_once_the_crl_is_updated() -> TestResult {
    let app = spawn_app_with(|c| c.tls.reload_interval_ms = 100).await;
    let ca = app.ca();
    let issued = ca.issue(
        &Subject::Region {
            code: RegionCode::parse("150")?,
        },
        30,
    )?;
    let who = As::Certificate {
        cert_pem: issued.cert_pem.clone(),
        key_pem: issued.key_pem.clone(),
    };
    assert_eq!(app.call_catalogue(who.clone()).await.status, 200);

    // `tsgate certs revoke` rewrites the CRL; the running gateway picks it up.
    // Awaited, not waited for: the gateway runs on this thread and may hold the SQLite write
    // lock that the command's register update needs.
    let status = tokio::process::Command::new(env!("CARGO_BIN_EXE_tsgate"))
        .args(["certs", "revoke", "--config"])
        .arg(app.dir.path().join("tsgate.toml"))
        .arg("--ca-dir")
        .arg(app.certs())
        .args(["--serial", &issued.serial_hex])
        .status()
        .await?;
    assert!(status.success());
    let mut revoked = false;
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        if refused(&app, who.clone()).await {
            revoked = true;
            break;
        }
    }
    assert!(revoked, "the new CRL applied without a restart");
    assert_eq!(
        app.metric("tsgate_tls_handshake_failures_total{reason=\"certificate_revoked\"}"),
        1.0
    );
    assert_eq!(app.call_catalogue(As::Region).await.status, 200);

    // And after a restart on the same directory.
    let app = app.restart().await;
    assert!(refused(&app, who).await);
    Ok(())
}

#[tokio::test]
async fn a_broken_crl_file_keeps_the_previous_configuration() -> TestResult {
    let app = spawn_app_with(|c| c.tls.reload_interval_ms = 100).await;
    std::fs::write(
        app.certs().join("crl.pem"),
        "-----BEGIN X509 CRL-----\ngarbage\n-----END X509 CRL-----\n",
    )?;
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert_eq!(app.call_catalogue(As::Region).await.status, 200);
    Ok(())
}

#[tokio::test]
async fn tls_1_2_is_accepted() -> TestResult {
    let app = spawn_app().await;
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for cert in tsgate::pki::files::certificates(&app.certs().join("ca.pem"))? {
        roots.add(cert)?;
    }
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS12])?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tcp = tokio::net::TcpStream::connect(app.address).await?;
    let name = rustls::pki_types::ServerName::try_from("localhost")?;
    let tls = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config))
        .connect(name, tcp)
        .await?;
    assert_eq!(
        tls.get_ref().1.protocol_version(),
        Some(rustls::ProtocolVersion::TLSv1_2)
    );
    Ok(())
}
