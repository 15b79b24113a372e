//! A built-in Immuni OTP backend for the demo sandbox, following docs/immuni-upstream.md:
//! `POST /v1/otp` with the exact content type and exactly two JSON members; 204 when stored, 409
//! while the same OTP is live (150 s), 400 for anything non-compliant. Like the real service it
//! keeps only a SHA-256 of each OTP, in memory, and forgets it at expiry.
//!
//! Served over mutual TLS when given a TLS configuration (the demo does), plain HTTP otherwise.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_lc_rs::digest;
use bytes::Bytes;
use http::{header, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use super::client::CONTENT_TYPE;
use crate::domain::{Otp, SymptomOnsetDate, Today};
use crate::pki::files;

/// How long an uploaded OTP stays live (the backend's default).
const OTP_TTL: Duration = Duration::from_secs(150);
/// The backend's symptom window, against its own (UTC) date.
const WINDOW_DAYS: u32 = 180;
const MAX_BODY: usize = 4096;

const SCHEMA_ERROR: &str =
    r#"{"error_code":1001,"message":"Request not compliant with the defined schema."}"#;
const NOT_JSON: &str = r#"{"error_code":1000,"message":"An unknown error occurred."}"#;
const ALREADY: &str = r#"{"error_code":1400,"message":"OTP already authorized."}"#;

/// Live OTPs by SHA-256, with the instant each expires.
#[derive(Default)]
struct LiveOtps(Mutex<HashMap<[u8; 32], Instant>>);

impl LiveOtps {
    /// Stores the OTP unless it is live already; `false` means "already authorised".
    fn authorize(&self, otp: &Otp) -> bool {
        let mut key = [0u8; 32];
        key.copy_from_slice(
            digest::digest(&digest::SHA256, otp.as_upstream_str().as_bytes()).as_ref(),
        );
        let now = Instant::now();
        let mut live = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        live.retain(|_, expires| *expires > now);
        if live.contains_key(&key) {
            return false;
        }
        live.insert(key, now + OTP_TTL);
        true
    }
}

/// A running simulator: its address, and the task serving it (stopped when dropped).
pub struct Simulator {
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Simulator {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A TLS configuration that requires a client certificate issued by the CA in `client_ca`.
pub fn mutual_tls(
    certificate: &Path,
    key: &Path,
    client_ca: &Path,
) -> Result<Arc<rustls::ServerConfig>, SimulatorTlsError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let roots = files::trust_anchors([client_ca])?;
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .build()
    .map_err(|e| SimulatorTlsError::Verifier(e.to_string()))?;
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(verifier)
        .with_single_cert(files::certificates(certificate)?, files::private_key(key)?)?;
    Ok(Arc::new(config))
}

#[derive(Debug, thiserror::Error)]
pub enum SimulatorTlsError {
    #[error("Immuni simulator: {0}")]
    Pem(#[from] files::PemError),
    #[error("Immuni simulator TLS: {0}")]
    Tls(#[from] rustls::Error),
    #[error("Immuni simulator client verifier: {0}")]
    Verifier(String),
}

/// Starts serving on `listen` (port 0 for any), over TLS when `tls` is given.
pub async fn start(
    listen: SocketAddr,
    tls: Option<Arc<rustls::ServerConfig>>,
) -> std::io::Result<Simulator> {
    let listener = TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let live = Arc::new(LiveOtps::default());
    let acceptor = tls.map(TlsAcceptor::from);
    let task = tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let (live, acceptor) = (live.clone(), acceptor.clone());
            tokio::spawn(async move {
                let service = service_fn(move |request| {
                    let live = live.clone();
                    async move { Ok::<_, std::convert::Infallible>(answer(&live, request).await) }
                });
                let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
                let served = match acceptor {
                    Some(acceptor) => match acceptor.accept(tcp).await {
                        Ok(tls) => builder.serve_connection(TokioIo::new(tls), service).await,
                        Err(_) => return,
                    },
                    None => builder.serve_connection(TokioIo::new(tcp), service).await,
                };
                drop(served);
            });
        }
    });
    Ok(Simulator { addr, task })
}

async fn answer(live: &LiveOtps, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let path = request.uri().path();
    if request.method() != Method::POST || !(path == "/v1/otp" || path == "/v1/otp/") {
        return reply(StatusCode::NOT_FOUND, "");
    }
    let content_type_ok = request
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes() == CONTENT_TYPE.as_bytes());
    let body = match Limited::new(request.into_body(), MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return reply(StatusCode::BAD_REQUEST, SCHEMA_ERROR),
    };
    if !content_type_ok {
        return reply(StatusCode::BAD_REQUEST, SCHEMA_ERROR);
    }
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return reply(StatusCode::BAD_REQUEST, NOT_JSON);
    };
    let Some(otp) = compliant(&json) else {
        return reply(StatusCode::BAD_REQUEST, SCHEMA_ERROR);
    };
    if live.authorize(&otp) {
        reply(StatusCode::NO_CONTENT, "")
    } else {
        reply(StatusCode::CONFLICT, ALREADY)
    }
}

/// The OTP of a body with exactly the two members of the schema, both valid as the backend
/// judges them: the bare upper-case code, and a date in its (UTC) window.
fn compliant(json: &serde_json::Value) -> Option<Otp> {
    let members = json.as_object().filter(|m| m.len() == 2)?;
    let otp_text = members.get("otp")?.as_str()?;
    let date_text = members.get("symptoms_started_on")?.as_str()?;
    let bare = otp_text.len() == 10
        && otp_text
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if !bare {
        return None;
    }
    let today = Today::same(chrono::Utc::now().date_naive());
    SymptomOnsetDate::parse(date_text, today, WINDOW_DAYS)
        .ok()
        .filter(|_| date_text.trim() == date_text)?;
    Otp::parse(otp_text).ok()
}

fn reply(status: StatusCode, body: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    if !body.is_empty() {
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/json"),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn today() -> String {
        chrono::Utc::now()
            .date_naive()
            .format("%Y-%m-%d")
            .to_string()
    }

    #[test]
    fn only_the_two_members_with_valid_values_are_compliant() {
        let ok = json!({"otp": "KJ23IWY5UJ", "symptoms_started_on": today()});
        assert!(compliant(&ok).is_some());
        for bad in [
            json!({"otp": "KJ23IWY5UJ", "symptoms_started_on": today(), "extra": 1}),
            json!({"otp": "KJ23IWY5UJ"}),
            json!({"otp": "KJ2-3IWY-5UJ", "symptoms_started_on": today()}),
            json!({"otp": "kj23iwy5uj", "symptoms_started_on": today()}),
            json!({"otp": "KJ23IWY5UA", "symptoms_started_on": today()}),
            json!({"otp": "KJ23IWY5UJ", "symptoms_started_on": "2000-01-01"}),
            json!({"otp": "KJ23IWY5UJ", "symptoms_started_on": "2999-01-01"}),
            json!({"otp": "KJ23IWY5UJ", "symptoms_started_on": 20261120}),
            json!(["KJ23IWY5UJ", today()]),
        ] {
            assert!(compliant(&bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn a_live_otp_is_already_authorised() {
        let live = LiveOtps::default();
        let otp = Otp::parse("KJ23IWY5UJ").map_err(|e| format!("{e:?}"));
        let Ok(otp) = otp else { panic!("{otp:?}") };
        assert!(live.authorize(&otp));
        assert!(!live.authorize(&otp));
    }
}
