//! `GET /pki/gateway-ca.crl` on the public listener: the gateway CA's CRL (DER,
//! `application/pkix-crl`), the distribution point its certificates name. Read from the file at
//! each request, so a revocation or a re-signed CRL is served at once.

use std::path::Path;

use bytes::Bytes;
use http::{header, Response, StatusCode};
use http_body_util::Full;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateRevocationListDer;

use crate::soap::respond::HttpResponse;

pub use crate::config::CRL_PATH as PATH;

pub async fn handle(crl: Option<&Path>) -> HttpResponse {
    let Some(path) = crl else {
        return plain(StatusCode::NOT_FOUND, "nessuna CRL pubblicata\n");
    };
    let der = match tokio::fs::read(path).await {
        Ok(pem) => CertificateRevocationListDer::from_pem_slice(&pem),
        Err(error) => {
            tracing::error!(%error, crl = %path.display(), "cannot read the CRL to serve it");
            return plain(StatusCode::SERVICE_UNAVAILABLE, "CRL non disponibile\n");
        }
    };
    match der {
        Ok(der) => Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, "application/pkix-crl")
            .header(header::CACHE_CONTROL, "no-cache")
            .body(Full::new(Bytes::copy_from_slice(der.as_ref())))
            .unwrap_or_else(|_| plain(StatusCode::INTERNAL_SERVER_ERROR, "\n")),
        Err(error) => {
            tracing::error!(%error, crl = %path.display(), "the CRL file is not a PEM CRL");
            plain(StatusCode::SERVICE_UNAVAILABLE, "CRL non disponibile\n")
        }
    }
}

fn plain(status: StatusCode, text: &'static str) -> HttpResponse {
    crate::soap::respond::http_response(status, "text/plain; charset=utf-8", text.into(), None)
}
