//! The TLS server configuration: TLS 1.2 minimum with aws-lc-rs, and client certificates
//! verified against the gateway CA (plus, during a rotation, the CAs being rotated out, and
//! national-card trust anchors) and the configured CRLs.
//!
//! A client certificate is optional at this layer because operators may authenticate with
//! Basic + pincode instead; but a certificate that is presented and is revoked, expired,
//! not yet valid or from an unknown issuer fails the handshake, so it never reaches a handler.
//!
//! Sessions resume (TLS 1.2 session ids, TLS 1.3 tickets that name an entry of the session
//! cache) through one cache that outlives reloads. A resumed handshake does not verify the
//! client certificate again, so the connection checks it against the verifier in force
//! (`server::certificate_check`).

use std::sync::Arc;

use rustls::crypto::aws_lc_rs;
use rustls::server::danger::ClientCertVerifier;
use rustls::server::{ServerSessionMemoryCache, StoresServerSessions, WebPkiClientVerifier};
use rustls::ServerConfig;
use tokio_rustls::TlsAcceptor;

use super::certificate_check::VerifiedChains;
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

/// Sessions the cache remembers (each holds the client's certificate chain, a few KB).
const SESSION_CACHE_ENTRIES: usize = 4096;

/// What the TLS files make: the acceptor for new connections, and the client-certificate
/// verifier that open connections and resumed sessions are checked against again.
#[derive(Clone)]
pub struct TlsSetup {
    pub acceptor: TlsAcceptor,
    pub verifier: Arc<dyn ClientCertVerifier>,
    /// Client chains this set-up has verified (so a resumed session need not be verified again).
    pub verified: Arc<VerifiedChains>,
}

/// The session cache, created once and shared by every configuration the reloads make.
pub fn session_cache() -> Arc<dyn StoresServerSessions> {
    ServerSessionMemoryCache::new(SESSION_CACHE_ENTRIES)
}

pub fn server_setup(
    tls: &TlsConfig,
    sessions: &Arc<dyn StoresServerSessions>,
) -> Result<TlsSetup, TlsSetupError> {
    let provider = Arc::new(aws_lc_rs::default_provider());
    let anchors = std::iter::once(&tls.client_ca)
        .chain(&tls.previous_client_cas)
        .chain(&tls.card_trust_anchors);
    let roots = files::trust_anchors(anchors.map(|p| p.as_path()))?;
    let mut crls = Vec::new();
    for path in &tls.crls {
        crls.extend(files::crls(path)?);
    }
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .with_crls(crls)
        // Card issuers publish CRLs we may not hold; our own CA always has one configured.
        .allow_unknown_revocation_status()
        // A CRL past its next update no longer vouches for anything: fail closed. The gateway
        // signs its own CRL again well before (`[pki]`) and warns about the others.
        .enforce_revocation_expiration()
        .allow_unauthenticated()
        .build()
        .map_err(|e| TlsSetupError::Verifier(e.to_string()))?;

    let chain = files::certificates(&tls.certificate)?;
    let key = files::private_key(&tls.key)?;
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| TlsSetupError::Server(e.to_string()))?
        .with_client_cert_verifier(verifier.clone())
        .with_single_cert(chain, key)
        .map_err(|e| TlsSetupError::Server(e.to_string()))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    config.session_storage = sessions.clone();
    Ok(TlsSetup {
        acceptor: TlsAcceptor::from(Arc::new(config)),
        verifier,
        verified: Arc::default(),
    })
}

/// A short, stable label for a failed handshake, for metrics and logs.
pub fn failure_reason(error: &std::io::Error) -> &'static str {
    let Some(tls) = error
        .get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>())
    else {
        return match error.kind() {
            std::io::ErrorKind::UnexpectedEof => "client_closed",
            _ => "io",
        };
    };
    tls_failure_reason(tls)
}

/// The same label for a rustls error (a handshake, or a certificate checked again).
pub fn tls_failure_reason(error: &rustls::Error) -> &'static str {
    use rustls::{CertificateError, Error};
    match error {
        Error::InvalidCertificate(cert) => match cert {
            CertificateError::Revoked => "certificate_revoked",
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                "certificate_expired"
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                "certificate_not_yet_valid"
            }
            CertificateError::UnknownIssuer => "certificate_unknown_issuer",
            CertificateError::ExpiredRevocationList
            | CertificateError::ExpiredRevocationListContext { .. } => "crl_expired",
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
