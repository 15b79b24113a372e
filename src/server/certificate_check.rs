//! A connection's client certificate, checked again whenever the TLS files change (a new CRL
//! from `tsgate certs revoke`, a removed trust anchor) and once after a resumed handshake, which
//! rustls completes without verifying the certificate. Between changes a request costs one
//! atomic load (`watch::Receiver::has_changed`). A chain is verified at most once per set-up:
//! each set-up remembers the chains it has verified (its full handshakes, and checks made
//! again), so a resumed session or a reload costs a SHA-256 of the chain and a lookup for a
//! chain already seen, and a full verification only for the first connection that shows it.

use std::collections::HashSet;
use std::sync::{Mutex, PoisonError};

use aws_lc_rs::digest::{digest, SHA256};
use rustls::pki_types::{CertificateDer, UnixTime};
use rustls::server::danger::ClientCertVerifier;
use tokio::sync::watch;

use super::tls::{tls_failure_reason, TlsSetup};
use crate::web::smart_card::CardTrust;

/// Chains remembered per set-up; past this the memory starts again empty.
const MAX_REMEMBERED_CHAINS: usize = 10_000;

/// The client chains one set-up (one version of the TLS files) has verified, by SHA-256.
/// A reload makes a new set-up, so what the old files accepted is forgotten with them.
#[derive(Default)]
pub struct VerifiedChains {
    digests: Mutex<HashSet<[u8; 32]>>,
}

impl VerifiedChains {
    /// Notes a chain this set-up's verifier accepted (its handshake just verified it).
    pub fn remember(&self, chain: &[CertificateDer<'_>]) {
        let mut digests = self.digests.lock().unwrap_or_else(PoisonError::into_inner);
        if digests.len() >= MAX_REMEMBERED_CHAINS {
            digests.clear();
        }
        digests.insert(chain_digest(chain));
    }

    fn contains(&self, chain: &[CertificateDer<'_>]) -> bool {
        self.digests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(&chain_digest(chain))
    }
}

fn chain_digest(chain: &[CertificateDer<'_>]) -> [u8; 32] {
    let mut bytes = Vec::with_capacity(chain.iter().map(|c| c.len() + 4).sum());
    for cert in chain {
        // Length-prefixed, so two chains never concatenate to the same bytes.
        bytes.extend_from_slice(&u32::try_from(cert.len()).unwrap_or(u32::MAX).to_be_bytes());
        bytes.extend_from_slice(cert.as_ref());
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(digest(&SHA256, &bytes).as_ref());
    out
}

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

    pub fn chain(&self) -> &[CertificateDer<'static>] {
        &self.chain
    }

    /// Checks the chain against the set-up in force now (for a resumed session, or after a
    /// reload): remembered as verified by it, or verified now.
    pub fn verify_now(&mut self) -> Option<&'static str> {
        let setup = self.trust.borrow_and_update().clone();
        self.refused = setup.accepts(&self.chain).err();
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

impl TlsSetup {
    /// Whether this set-up accepts `chain` (the handshake's check: chain, validity dates,
    /// CRLs): remembered as verified by it, or verified now and remembered. `Err` is the label
    /// of the reason it is refused.
    pub fn accepts(&self, chain: &[CertificateDer<'static>]) -> Result<(), &'static str> {
        if self.verified.contains(chain) {
            return Ok(());
        }
        verify(self.verifier.as_ref(), chain)?;
        self.verified.remember(chain);
        Ok(())
    }
}

/// The TLS files in force now judge the certificates that opened web sessions with a smart
/// card: the same verifier, reloaded when `crl.pem` (or another TLS file) changes, as the one
/// that judges the connections.
impl CardTrust for watch::Receiver<TlsSetup> {
    fn refusal(&self, chain: &[CertificateDer<'static>]) -> Option<&'static str> {
        let setup = self.borrow().clone();
        setup.accepts(chain).err()
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
