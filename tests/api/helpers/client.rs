//! A minimal HTTPS client that speaks raw HTTP/1.1, the way a SOAP client does, presenting the
//! client certificate of [`As`].

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tsgate::pki::files;

use super::reply::Reply;
use super::seed::User;

/// Who the client presents itself as.
#[derive(Debug, Clone)]
pub enum As {
    /// No client certificate, no credentials.
    Anonymous,
    /// The certificate of region 120.
    Region,
    /// The operator's national-card certificate.
    Card,
    /// Any certificate + key (PEM).
    Certificate { cert_pem: String, key_pem: String },
    /// A seeded user: Basic credentials, and their pincode in the envelope's `{PINCODE}`.
    User(User),
}

/// Writes raw bytes over a fresh TLS connection to any gateway whose CA (and, for
/// [`As::Region`] and [`As::Card`], client certificates) are in `certs`, and reads the answer.
pub async fn exchange_at(
    address: SocketAddr,
    certs: &Path,
    who: As,
    request: &[u8],
) -> std::io::Result<Reply> {
    exchange_over(TcpStream::connect(address).await?, certs, who, request).await
}

/// [`exchange_at`] on a TCP connection already open (a load balancer's, its PROXY protocol
/// header already sent).
pub async fn exchange_over(
    tcp: TcpStream,
    certs: &Path,
    who: As,
    request: &[u8],
) -> std::io::Result<Reply> {
    let mut tls = tls_over(tcp, certs, who).await?;
    tls.write_all(request).await?;
    tls.flush().await?;
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), tls.read_to_end(&mut raw))
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "no answer"))??;
    parse_reply(&raw)
}

pub async fn connect_at(
    address: SocketAddr,
    certs: &Path,
    who: As,
) -> std::io::Result<tokio_rustls::client::TlsStream<TcpStream>> {
    tls_over(TcpStream::connect(address).await?, certs, who).await
}

async fn tls_over(
    tcp: TcpStream,
    certs: &Path,
    who: As,
) -> std::io::Result<tokio_rustls::client::TlsStream<TcpStream>> {
    let config = client_config(&certs.join("ca.pem"), who, vec![b"http/1.1".to_vec()]);
    let name = ServerName::try_from("localhost").map_err(std::io::Error::other)?;
    TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
}

/// `GET path` over plain HTTP (the admin listener), as a scraper does.
pub async fn plain_get(address: SocketAddr, path: &str) -> std::io::Result<Reply> {
    let mut tcp = TcpStream::connect(address).await?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    tcp.write_all(request.as_bytes()).await?;
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), tcp.read_to_end(&mut raw))
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "no answer"))??;
    parse_reply(&raw)
}

/// A client trusting the CA in `ca_path`, with the certificate of `who` (its files beside the
/// CA for [`As::Region`] and [`As::Card`]).
pub fn client_config(ca_path: &Path, who: As, alpn: Vec<Vec<u8>>) -> rustls::ClientConfig {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for cert in files::certificates(ca_path).expect("ca") {
        roots.add(cert).expect("root");
    }
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots);
    let certs = |dir: &Path, name: &str| {
        let cert = std::fs::read_to_string(dir.join(format!("{name}.pem"))).expect("cert");
        let key = std::fs::read_to_string(dir.join(format!("{name}-key.pem"))).expect("key");
        (cert, key)
    };
    let dir = ca_path.parent().expect("certs dir").to_owned();
    let pair = match who {
        As::Anonymous | As::User(_) => None,
        As::Region => Some(certs(&dir, "region-120")),
        As::Card => Some(certs(&dir, "operator-card")),
        As::Certificate { cert_pem, key_pem } => Some((cert_pem, key_pem)),
    };
    let mut config = match pair {
        None => builder.with_no_client_auth(),
        Some((cert, key)) => {
            let chain = CertificateDer::pem_slice_iter(cert.as_bytes())
                .collect::<Result<Vec<_>, _>>()
                .expect("chain");
            let key = PrivateKeyDer::from_pem_slice(key.as_bytes()).expect("key");
            builder
                .with_client_auth_cert(chain, key)
                .expect("client auth")
        }
    };
    config.alpn_protocols = alpn;
    config
}

pub fn parse_reply(raw: &[u8]) -> std::io::Result<Reply> {
    let text = String::from_utf8_lossy(raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("no HTTP response: {text:?}"),
        )
    })?;
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidData, "bad status line"))?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Ok(Reply::new(status, headers, body.to_owned()))
}

pub fn basic(user: &str, password: &str) -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}
