//! One client connection after its handshake, for HTTP/1.1 and HTTP/2 alike: how many requests
//! are in flight and since when it has been idle (hyper closes neither an HTTP/2 connection nor
//! one that never sends a byte), whether it is still unauthenticated, and whether its client
//! certificate is still accepted. The accept loop asks [`ConnectionState::close_wanted`] when to
//! close it.

use std::convert::Infallible;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{header, HeaderValue, Request, Response, Version};
use http_body_util::Full;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use rustls::pki_types::CertificateDer;
use tokio::sync::Notify;
use tokio::time::Instant;

use super::budget::UnauthenticatedSlot;
use super::certificate_check::CertificateCheck;
use super::{router, Server};
use crate::config::ServerConfig;
use crate::identity::{Caller, Peer};
use crate::soap::fault::Fault;
use crate::soap::respond;
use crate::soap::SoapVersion;

tokio::task_local! {
    /// The connection a request arrived on, while the request is handled.
    static CURRENT: Arc<ConnectionState>;
}

/// Called once a request's caller is identified: if it proved a password (Basic + pincode), its
/// connection leaves the unauthenticated budget.
pub fn caller_identified(caller: &Caller) {
    if caller.proved_password() {
        let _ = CURRENT.try_with(|connection| connection.authenticated());
    }
}

/// The client certificate chain of the connection the request being handled arrived on (a
/// smart-card login records it in the web session it opens).
pub fn client_chain() -> Option<Vec<CertificateDer<'static>>> {
    CURRENT
        .try_with(|connection| {
            connection.certificate.as_ref().map(|check| {
                check
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .chain()
                    .to_vec()
            })
        })
        .ok()
        .flatten()
}

/// How long a connection may stay without a request in flight.
#[derive(Debug, Clone, Copy)]
pub struct IdleTimeouts {
    /// From the end of the handshake to the first request.
    pub first_request: Duration,
    /// From the end of a response to the next request.
    pub between_requests: Duration,
}

impl IdleTimeouts {
    pub fn from_config(server: &ServerConfig) -> IdleTimeouts {
        IdleTimeouts {
            first_request: Duration::from_millis(server.first_request_timeout_ms),
            between_requests: Duration::from_millis(server.idle_timeout_ms),
        }
    }
}

/// Why the gateway closes a connection; the label of its metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    NoFirstRequest,
    Idle,
    CertificateRefused,
}

impl CloseReason {
    pub fn label(self) -> &'static str {
        match self {
            CloseReason::NoFirstRequest => "no_first_request",
            CloseReason::Idle => "idle",
            CloseReason::CertificateRefused => "certificate_refused",
        }
    }
}

pub struct ConnectionState {
    in_flight: AtomicUsize,
    served: AtomicBool,
    idle_since: Mutex<Instant>,
    unauthenticated: Mutex<Option<UnauthenticatedSlot>>,
    certificate: Option<Mutex<CertificateCheck>>,
    close: AtomicBool,
    /// Wakes the watcher of [`close_wanted`](Self::close_wanted) after any change above.
    changed: Notify,
}

impl ConnectionState {
    pub fn new(
        certificate: Option<CertificateCheck>,
        unauthenticated: Option<UnauthenticatedSlot>,
    ) -> Arc<ConnectionState> {
        Arc::new(ConnectionState {
            in_flight: AtomicUsize::new(0),
            served: AtomicBool::new(false),
            idle_since: Mutex::new(Instant::now()),
            unauthenticated: Mutex::new(unauthenticated),
            certificate: certificate.map(Mutex::new),
            close: AtomicBool::new(false),
            changed: Notify::new(),
        })
    }

    /// Gives the connection's place in the unauthenticated budget back.
    pub fn authenticated(&self) {
        drop(
            self.unauthenticated
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take(),
        );
    }

    /// Resolves when the connection should be closed: idle too long, or its certificate refused.
    pub async fn close_wanted(&self, timeouts: IdleTimeouts) -> CloseReason {
        loop {
            let changed = self.changed.notified();
            if self.close.load(Ordering::Acquire) {
                return CloseReason::CertificateRefused;
            }
            if self.in_flight.load(Ordering::Acquire) > 0 {
                changed.await;
                continue;
            }
            let (limit, reason) = if self.served.load(Ordering::Acquire) {
                (timeouts.between_requests, CloseReason::Idle)
            } else {
                (timeouts.first_request, CloseReason::NoFirstRequest)
            };
            let since = *self
                .idle_since
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            tokio::select! {
                () = changed => {}
                () = tokio::time::sleep_until(since + limit) => {
                    if self.in_flight.load(Ordering::Acquire) == 0 {
                        return reason;
                    }
                }
            }
        }
    }

    /// One request: refused at once if the connection's certificate is no longer accepted,
    /// otherwise routed; the connection counts as busy until the response body is sent.
    pub async fn serve(
        self: Arc<Self>,
        server: Arc<Server>,
        peer: Arc<Peer>,
        client: IpAddr,
        request: Request<Incoming>,
    ) -> Result<Response<TrackedBody>, Infallible> {
        let in_flight = InFlight::start(self.clone());
        if let Some(reason) = self.certificate_refusal() {
            server.gateway.metrics.reject(reason);
            tracing::info!(
                reason,
                "request refused: the client certificate is no longer accepted"
            );
            self.close.store(true, Ordering::Release);
            self.changed.notify_one();
            let path = request.uri().path();
            let response = if path == "/web" || path.starts_with("/web/") {
                // A page: the web session a card opened ends too, and the browser goes to the
                // login page, which says why.
                let headers = request.headers().clone();
                let mut response = server.web.card_refused(&headers, reason).await;
                close_after(&request, &mut response);
                response
            } else {
                certificate_refused(&request, reason)
            };
            return Ok(response.map(|body| TrackedBody {
                body,
                _in_flight: in_flight,
            }));
        }
        let response = CURRENT
            .scope(self.clone(), router::route(server, peer, client, request))
            .await?;
        Ok(response.map(|body| TrackedBody {
            body,
            _in_flight: in_flight,
        }))
    }

    fn certificate_refusal(&self) -> Option<&'static str> {
        self.certificate
            .as_ref()?
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .refusal()
    }
}

/// A clear answer on a connection whose certificate was revoked (or otherwise stopped being
/// accepted) after it was opened: the credentials Fault, saying why, and the connection closes.
/// `reason` is the label of the verification failure (`certificate_revoked`, ...).
fn certificate_refused(request: &Request<Incoming>, reason: &str) -> respond::HttpResponse {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let version = SoapVersion::from_content_type(content_type).unwrap_or(SoapVersion::V11);
    let mut fault = Fault::credentials();
    let why = match reason {
        "certificate_revoked" => "revocato",
        "certificate_expired" => "scaduto",
        "crl_expired" => "lista di revoca scaduta",
        _ => "non più riconosciuto",
    };
    fault.reason = format!("Credenziali invalide: il certificato client non è più valido ({why})");
    let mut response = respond::fault(version, &fault);
    close_after(request, &mut response);
    response
}

/// An HTTP/1.1 answer says the connection closes after it (HTTP/2 has no such header).
fn close_after<B>(request: &Request<Incoming>, response: &mut Response<B>) {
    if request.version() < Version::HTTP_2 {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
}

/// A request in flight; when dropped (its response body sent, or the request abandoned) the
/// connection may start counting idle time.
pub struct InFlight {
    connection: Arc<ConnectionState>,
}

impl InFlight {
    fn start(connection: Arc<ConnectionState>) -> InFlight {
        connection.in_flight.fetch_add(1, Ordering::AcqRel);
        connection.served.store(true, Ordering::Release);
        connection.changed.notify_one();
        InFlight { connection }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let connection = &self.connection;
        if connection.in_flight.fetch_sub(1, Ordering::AcqRel) == 1 {
            *connection
                .idle_since
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = Instant::now();
            connection.changed.notify_one();
        }
    }
}

/// A response body that keeps its request in flight until hyper has sent (or dropped) it.
pub struct TrackedBody {
    body: Full<Bytes>,
    _in_flight: InFlight,
}

impl Body for TrackedBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
