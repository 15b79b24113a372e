//! The TLS server configuration: TLS 1.2 minimum with aws-lc-rs, and client certificates
//! verified against the gateway CA (plus national-card trust anchors) and the configured CRLs.
//!
//! A client certificate is optional at this layer because operators may authenticate with
//! Basic + pincode instead; but a certificate that is presented and is revoked, expired,
//! not yet valid or from an unknown issuer fails the handshake, so it never reaches a handler.

use std::sync::Arc;

use rustls::crypto::aws_lc_rs;
use rustls::server::WebPkiClientVerifier;
use rustls::ServerConfig;

use crate::config::TlsConfig;
use crate::pki::files;

#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    #[error(transparent)]
    Pem(#[from] files::PemError),
    #[error("client certificate verifier: {0}")]
    Verifier(String),
    #[error("server certificate or key rejected: {0}")]
    Server(String),
}

pub fn server_config(tls: &TlsConfig) -> Result<Arc<ServerConfig>, TlsSetupError> {
    let provider = Arc::new(aws_lc_rs::default_provider());
    let anchors = std::iter::once(&tls.client_ca).chain(&tls.card_trust_anchors);
    let roots = files::trust_anchors(anchors.map(|p| p.as_path()))?;
    let mut crls = Vec::new();
    for path in &tls.crls {
        crls.extend(files::crls(path)?);
    }
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .with_crls(crls)
        // Card issuers publish CRLs we may not hold; our own CA always has one configured.
        .allow_unknown_revocation_status()
        .allow_unauthenticated()
        .build()
        .map_err(|e| TlsSetupError::Verifier(e.to_string()))?;

    let chain = files::certificates(&tls.certificate)?;
    let key = files::private_key(&tls.key)?;
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| TlsSetupError::Server(e.to_string()))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .map_err(|e| TlsSetupError::Server(e.to_string()))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// A short, stable label for a failed handshake, for metrics and logs.
pub fn failure_reason(error: &std::io::Error) -> &'static str {
    use rustls::{CertificateError, Error};
    let Some(tls) = error.get_ref().and_then(|e| e.downcast_ref::<Error>()) else {
        return match error.kind() {
            std::io::ErrorKind::UnexpectedEof => "client_closed",
            _ => "io",
        };
    };
    match tls {
        Error::InvalidCertificate(cert) => match cert {
            CertificateError::Revoked => "certificate_revoked",
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                "certificate_expired"
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                "certificate_not_yet_valid"
            }
            CertificateError::UnknownIssuer => "certificate_unknown_issuer",
            CertificateError::BadSignature => "certificate_bad_signature",
            _ => "certificate_invalid",
        },
        Error::NoCertificatesPresented => "certificate_missing",
        Error::AlertReceived(_) => "alert_received",
        Error::PeerIncompatible(_) => "incompatible",
        Error::InvalidMessage(_)
        | Error::InappropriateMessage { .. }
        | Error::InappropriateHandshakeMessage { .. } => "protocol_error",
        _ => "other",
    }
}
