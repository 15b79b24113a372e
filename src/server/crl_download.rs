//! `GET /pki/gateway-ca.crl` on the public listener: the gateway CA's CRL (DER,
//! `application/pkix-crl`), the distribution point its certificates name. Anyone may fetch it,
//! unauthenticated, so a request costs a `stat` of the file: the DER is kept in memory and read
//! again only when the file's modification time or size moves, so a revocation or a re-signed
//! CRL is still served at once.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::SystemTime;

use bytes::Bytes;
use http::{header, Response, StatusCode};
use http_body_util::Full;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateRevocationListDer;

use crate::soap::respond::HttpResponse;

pub use crate::config::CRL_PATH as PATH;

/// The published CRL file, and the DER last read from it.
pub struct PublishedCrl {
    path: PathBuf,
    /// (modification time, size) of the file when `der` was read.
    read: Mutex<Option<(SystemTime, u64, Bytes)>>,
}

impl PublishedCrl {
    pub fn new(path: PathBuf) -> PublishedCrl {
        PublishedCrl {
            path,
            read: Mutex::new(None),
        }
    }

    /// The DER of the file as it is now, or why it cannot be served (logged).
    async fn der(&self) -> Result<Bytes, ()> {
        let path = &self.path;
        let stamp = tokio::fs::metadata(path)
            .await
            .and_then(|meta| Ok((meta.modified()?, meta.len())))
            .map_err(|error| unreadable(path, &error))?;
        if let Some((modified, len, der)) = &*self.lock() {
            if (*modified, *len) == stamp {
                return Ok(der.clone());
            }
        }
        let pem = tokio::fs::read(path)
            .await
            .map_err(|error| unreadable(path, &error))?;
        let der = CertificateRevocationListDer::from_pem_slice(&pem).map_err(|error| {
            tracing::error!(%error, crl = %path.display(), "the CRL file is not a PEM CRL");
        })?;
        let der = Bytes::copy_from_slice(der.as_ref());
        *self.lock() = Some((stamp.0, stamp.1, der.clone()));
        Ok(der)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(SystemTime, u64, Bytes)>> {
        self.read.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn unreadable(path: &Path, error: &std::io::Error) {
    tracing::error!(%error, crl = %path.display(), "cannot read the CRL to serve it");
}

pub async fn handle(crl: Option<&PublishedCrl>) -> HttpResponse {
    let Some(crl) = crl else {
        return plain(StatusCode::NOT_FOUND, "nessuna CRL pubblicata\n");
    };
    match crl.der().await {
        Ok(der) => Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, "application/pkix-crl")
            .header(header::CACHE_CONTROL, "no-cache")
            .body(Full::new(der))
            .unwrap_or_else(|_| plain(StatusCode::INTERNAL_SERVER_ERROR, "\n")),
        Err(()) => plain(StatusCode::SERVICE_UNAVAILABLE, "CRL non disponibile\n"),
    }
}

fn plain(status: StatusCode, text: &'static str) -> HttpResponse {
    crate::soap::respond::http_response(status, "text/plain; charset=utf-8", text.into(), None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pem(body: &str) -> String {
        format!("-----BEGIN X509 CRL-----\n{body}\n-----END X509 CRL-----\n")
    }

    /// Kept in memory, yet what the file holds now: a rewrite is served at the next request.
    #[tokio::test]
    async fn serves_the_file_as_it_is_now() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("crl.pem");
        let crl = PublishedCrl::new(path.clone());
        assert_eq!(crl.der().await, Err(()), "no file yet");
        std::fs::write(&path, pem("AAEC"))?;
        assert_eq!(crl.der().await, Ok(Bytes::from_static(&[0, 1, 2])));
        assert_eq!(crl.der().await, Ok(Bytes::from_static(&[0, 1, 2])));
        std::fs::write(&path, pem("AwQFBgcI"))?;
        assert_eq!(crl.der().await, Ok(Bytes::from_static(&[3, 4, 5, 6, 7, 8])));
        std::fs::write(&path, "not a CRL")?;
        assert_eq!(
            crl.der().await,
            Err(()),
            "a broken file is not served from memory"
        );
        Ok(())
    }
}
