//! A connection's client certificate, checked again whenever the TLS files change (a new CRL
//! from `tsgate certs revoke`, a removed trust anchor) and once after a resumed handshake, which
//! rustls completes without verifying the certificate. Between changes a request costs one
//! atomic load (`watch::Receiver::has_changed`); a change costs one chain verification per
//! connection that holds a certificate.

use rustls::pki_types::{CertificateDer, UnixTime};
use rustls::server::danger::ClientCertVerifier;
use tokio::sync::watch;

use super::tls::{tls_failure_reason, TlsSetup};

pub struct CertificateCheck {
    chain: Vec<CertificateDer<'static>>,
    trust: watch::Receiver<TlsSetup>,
    /// Once refused, refused for good: the label of the reason.
    refused: Option<&'static str>,
}

impl CertificateCheck {
    /// `trust` must have been read (`borrow_and_update`) when the connection's acceptor was
    /// taken, so that only later changes count as changes.
    pub fn new(chain: Vec<CertificateDer<'static>>, trust: watch::Receiver<TlsSetup>) -> Self {
        CertificateCheck {
            chain,
            trust,
            refused: None,
        }
    }

    /// Verifies the chain against the verifier in force now (for a resumed session).
    pub fn verify_now(&mut self) -> Option<&'static str> {
        let verifier = self.trust.borrow_and_update().verifier.clone();
        self.refused = verify(verifier.as_ref(), &self.chain).err();
        self.refused
    }

    /// Why this connection's certificate is no longer accepted, if it is not; verifies again
    /// only when the TLS files have changed since the last look.
    pub fn refusal(&mut self) -> Option<&'static str> {
        if self.refused.is_none() && self.trust.has_changed().unwrap_or(false) {
            return self.verify_now();
        }
        self.refused
    }
}

/// The check a handshake makes, made again: chain, validity dates, CRLs.
pub fn verify(
    verifier: &dyn ClientCertVerifier,
    chain: &[CertificateDer<'static>],
) -> Result<(), &'static str> {
    let (end_entity, intermediates) = chain.split_first().ok_or("certificate_missing")?;
    verifier
        .verify_client_cert(end_entity, intermediates, UnixTime::now())
        .map(|_| ())
        .map_err(|error| tls_failure_reason(&error))
}
