//! Where envelopes are read, so that reading one can never hold up the async workers that
//! serve everyone else.
//!
//! Reading costs time linear in the body's size (see `envelope.rs`). A small body — every real
//! request is under 2 KB — is read inline on the async worker: a hand-off to another thread
//! would cost more than the reading itself (see the README's Performance section). A body
//! larger than [`INLINE_MAX_BYTES`] is read on tokio's blocking pool, at most half the cores'
//! worth at once; the others wait for a permit without holding a worker, so large hostile
//! bodies can take at most that share of the CPU.

use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::Semaphore;

use super::envelope::{self, Envelope, EnvelopeError, Payloads};
use super::version::SoapVersion;
use super::xml_limits::XmlLimits;
use crate::xsd::SchemaSet;

/// Bodies up to this size are read inline. Within the default limits the slowest hostile shape
/// reads at about 30 MiB/s, so that is at most ~0.3 ms of one worker; a hand-off to the pool
/// costs ~23 µs, ten times the whole read of a real request (README, Performance).
pub const INLINE_MAX_BYTES: usize = 8 * 1024;

pub struct EnvelopeReader {
    schemas: Arc<SchemaSet>,
    limits: XmlLimits,
    inline_max_bytes: usize,
    large: Arc<Semaphore>,
}

impl EnvelopeReader {
    pub fn new(schemas: Arc<SchemaSet>, limits: XmlLimits, inline_max_bytes: usize) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        EnvelopeReader {
            schemas,
            limits,
            inline_max_bytes,
            large: Arc::new(Semaphore::new((cores / 2).max(1))),
        }
    }

    /// Reads `body` as an envelope of `version` whose payload must be one of `requests`.
    pub async fn read(
        &self,
        body: Bytes,
        version: SoapVersion,
        requests: &[(&'static str, &'static str)],
    ) -> Result<Envelope, EnvelopeError> {
        if body.len() <= self.inline_max_bytes {
            return envelope::read(
                &body,
                version,
                &self.schemas,
                &self.limits,
                Payloads::Only(requests),
            );
        }
        let permit = self
            .large
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| stopped())?;
        let schemas = self.schemas.clone();
        let limits = self.limits;
        let requests = requests.to_vec();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            envelope::read(&body, version, &schemas, &limits, Payloads::Only(&requests))
        })
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "envelope reading failed on the blocking pool");
            stopped()
        })?
    }
}

fn stopped() -> EnvelopeError {
    EnvelopeError::Malformed("lettura della busta interrotta".into())
}
