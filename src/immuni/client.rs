//! The upstream client: `POST {base}/v1/otp` exactly as docs/immuni-upstream.md says — the exact
//! content type, a body of exactly two members, mutual TLS with the gateway's client certificate —
//! over pooled keep-alive connections, with bounded concurrency and a timeout.
//!
//! An upload is never retried by us: the backend has no idempotency key, so a retry of an
//! upload whose result is unknown could turn a success into "already authorised". (hyper may
//! resend a request that a pooled connection closed before a single byte of it was written;
//! that request never reached the backend, so its result is known: not sent.)
//!
//! Nothing here logs or returns the OTP or the date: the body is built, sent and dropped.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{header, Method, Request, StatusCode, Uri};
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use tokio::sync::Semaphore;

use crate::config::ImmuniConfig;
use crate::domain::{Otp, SymptomOnsetDate};
use crate::metrics::{UploadCounts, UploadLabels};
use crate::pki::files;

/// The one content type the backend accepts, spelled exactly so (with the space).
pub const CONTENT_TYPE: &str = "application/json; charset=utf-8";

/// What became of one upload. Each maps to its own outcome code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upload {
    /// 204: the backend stored the OTP.
    Stored,
    /// 409: the same OTP is already stored and still live.
    AlreadyAuthorized,
    /// 400: the backend found the request non-compliant.
    Rejected,
    /// 5xx: the backend failed; it did not store the OTP.
    Unavailable,
    /// No connection could be made: nothing was sent, a new attempt is safe.
    Unreachable,
    /// Every upstream slot stayed busy for the whole timeout: nothing was sent.
    Busy,
    /// Sent, but no answer within the timeout: the result is unknown.
    TimedOut,
    /// An answer the contract does not define (another status), or the connection broke after
    /// the request was sent: the result is unknown.
    Unexpected,
}

impl Upload {
    /// The `result` label of `tsgate_immuni_uploads_total`.
    pub fn as_str(self) -> &'static str {
        match self {
            Upload::Stored => "stored",
            Upload::AlreadyAuthorized => "already_authorized",
            Upload::Rejected => "rejected",
            Upload::Unavailable => "unavailable",
            Upload::Unreachable => "unreachable",
            Upload::Busy => "busy",
            Upload::TimedOut => "timed_out",
            Upload::Unexpected => "unexpected",
        }
    }
}

/// Why the client cannot be built from its configuration.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("immuni.base_url {0:?} is not an http(s) URL")]
    BaseUrl(String),
    #[error("immuni: an https base_url needs {0} (the backend requires mutual TLS)")]
    Missing(&'static str),
    #[error("immuni: {0}")]
    Pem(#[from] files::PemError),
    #[error("immuni: TLS configuration: {0}")]
    Tls(#[from] rustls::Error),
}

pub struct ImmuniClient {
    /// Each upload's result, for `tsgate_immuni_uploads_total` (never the OTP or the date).
    uploads: UploadCounts,
    http: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    endpoint: Uri,
    timeout: Duration,
    queue_timeout: Duration,
    slots: Arc<Semaphore>,
}

impl ImmuniClient {
    pub fn new(config: &ImmuniConfig, uploads: UploadCounts) -> Result<ImmuniClient, ClientError> {
        let base = config.base_url.trim_end_matches('/');
        let endpoint: Uri = format!("{base}/v1/otp")
            .parse()
            .map_err(|_| ClientError::BaseUrl(config.base_url.clone()))?;
        let https = match endpoint.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            _ => return Err(ClientError::BaseUrl(config.base_url.clone())),
        };
        let tls = tls_config(config, https)?;
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(Duration::from_millis(config.connect_timeout_ms)));
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .pool_max_idle_per_host(config.max_in_flight)
            .pool_idle_timeout(Duration::from_secs(30))
            .build(connector);
        Ok(ImmuniClient {
            uploads,
            http: client,
            endpoint,
            timeout: Duration::from_millis(config.timeout_ms),
            queue_timeout: Duration::from_millis(config.queue_timeout_ms),
            slots: Arc::new(Semaphore::new(config.max_in_flight.max(1))),
        })
    }

    /// Where uploads go (for the start-up log; it holds no secret).
    pub fn endpoint(&self) -> &Uri {
        &self.endpoint
    }

    /// Uploads once: waits up to the queue timeout for a free slot, then connecting, sending
    /// and reading the status are bounded by the timeout.
    pub async fn upload(&self, otp: &Otp, date: SymptomOnsetDate) -> Upload {
        let upload = self.upload_once(otp, date).await;
        self.uploads
            .get_or_create(&UploadLabels {
                result: upload.as_str().to_owned(),
            })
            .inc();
        upload
    }

    async fn upload_once(&self, otp: &Otp, date: SymptomOnsetDate) -> Upload {
        let Ok(Ok(_slot)) = tokio::time::timeout(self.queue_timeout, self.slots.acquire()).await
        else {
            return Upload::Busy;
        };
        let deadline = tokio::time::Instant::now() + self.timeout;
        let request = match self.request(otp, date) {
            Ok(request) => request,
            Err(error) => {
                tracing::error!(%error, "cannot build the upstream request");
                return Upload::Unreachable;
            }
        };
        match tokio::time::timeout_at(deadline, self.http.request(request)).await {
            Err(_) => Upload::TimedOut,
            Ok(Err(error)) if error.is_connect() => {
                tracing::warn!(error = %error_chain(&error), "Immuni backend unreachable");
                Upload::Unreachable
            }
            Ok(Err(error)) => {
                tracing::warn!(error = %error_chain(&error), "Immuni upload interrupted");
                Upload::Unexpected
            }
            Ok(Ok(response)) => {
                let status = response.status();
                // Read (and drop) the small body so the connection goes back to the pool.
                let drained =
                    tokio::time::timeout_at(deadline, response.into_body().collect()).await;
                if !matches!(drained, Ok(Ok(_))) {
                    tracing::debug!(%status, "upstream body not read to the end");
                }
                classify(status)
            }
        }
    }

    fn request(&self, otp: &Otp, date: SymptomOnsetDate) -> http::Result<Request<Full<Bytes>>> {
        // Both values are from closed alphabets (OTP letters/digits, ISO date digits): no
        // escaping is needed, and the body has exactly the two members of the contract.
        let body = format!(
            "{{\"otp\":\"{}\",\"symptoms_started_on\":\"{}\"}}",
            otp.as_upstream_str(),
            date.to_upstream_string()
        );
        Request::builder()
            .method(Method::POST)
            .uri(self.endpoint.clone())
            .header(header::CONTENT_TYPE, CONTENT_TYPE)
            .header(header::ACCEPT, "application/json")
            .body(Full::new(Bytes::from(body)))
    }
}

/// The status → outcome table of docs/immuni-upstream.md "Responses".
fn classify(status: StatusCode) -> Upload {
    match status {
        StatusCode::NO_CONTENT => Upload::Stored,
        StatusCode::CONFLICT => Upload::AlreadyAuthorized,
        StatusCode::BAD_REQUEST => Upload::Rejected,
        s if s.is_server_error() => Upload::Unavailable,
        s => {
            tracing::warn!(status = %s, "Immuni backend answered a status outside its contract");
            Upload::Unexpected
        }
    }
}

/// A hyper error with its sources, for the log (never contains the body).
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// rustls with aws-lc-rs: the backend's CA bundle as the only roots, our client certificate.
fn tls_config(config: &ImmuniConfig, https: bool) -> Result<rustls::ClientConfig, ClientError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?;
    if https && config.ca_bundle.is_none() {
        return Err(ClientError::Missing("ca_bundle"));
    }
    let builder =
        builder.with_root_certificates(files::trust_anchors(config.ca_bundle.as_deref())?);
    let tls = match (&config.certificate, &config.key) {
        (Some(cert), Some(key)) => {
            builder.with_client_auth_cert(files::certificates(cert)?, files::private_key(key)?)?
        }
        _ if https => return Err(ClientError::Missing("certificate and key")),
        _ => builder.with_no_client_auth(),
    };
    Ok(tls)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_of_the_contract_has_its_outcome() {
        assert_eq!(classify(StatusCode::NO_CONTENT), Upload::Stored);
        assert_eq!(classify(StatusCode::CONFLICT), Upload::AlreadyAuthorized);
        assert_eq!(classify(StatusCode::BAD_REQUEST), Upload::Rejected);
        assert_eq!(
            classify(StatusCode::INTERNAL_SERVER_ERROR),
            Upload::Unavailable
        );
        assert_eq!(
            classify(StatusCode::SERVICE_UNAVAILABLE),
            Upload::Unavailable
        );
        assert_eq!(classify(StatusCode::OK), Upload::Unexpected);
        assert_eq!(classify(StatusCode::FOUND), Upload::Unexpected);
        assert_eq!(classify(StatusCode::NOT_FOUND), Upload::Unexpected);
    }

    fn config(base_url: &str) -> ImmuniConfig {
        ImmuniConfig {
            base_url: base_url.to_owned(),
            ..ImmuniConfig::default()
        }
    }

    #[test]
    fn the_endpoint_is_base_plus_v1_otp_without_a_trailing_slash() {
        for base in ["http://127.0.0.1:9000", "http://127.0.0.1:9000/"] {
            let client = ImmuniClient::new(&config(base), UploadCounts::default())
                .map_err(|e| e.to_string());
            assert_eq!(
                client.map(|c| c.endpoint().to_string()).as_deref(),
                Ok("http://127.0.0.1:9000/v1/otp")
            );
        }
    }

    #[test]
    fn https_without_mutual_tls_material_is_refused_at_start() {
        let error = ImmuniClient::new(&config("https://otp.example"), UploadCounts::default())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(error.contains("ca_bundle"), "{error}");
        let error = ImmuniClient::new(&config("ftp://otp.example"), UploadCounts::default())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(error.contains("not an http(s) URL"), "{error}");
    }
}
