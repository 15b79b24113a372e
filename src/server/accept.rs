//! Accepting connections: a cap on open connections, the client's address (behind a load
//! balancer, from its PROXY protocol header), a deadline for both that and the TLS handshake,
//! the peer's identity read once, a smaller budget for connections without a client certificate,
//! then HTTP until the client leaves, the connection idles too long, its certificate is
//! revoked, or the gateway shuts down.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use rustls::HandshakeKind;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Semaphore};

use super::budget::UnauthenticatedBudget;
use super::certificate_check::CertificateCheck;
use super::client_address::ProxyProtocol;
use super::connection::{ConnectionState, IdleTimeouts};
use super::tls::{failure_reason, TlsSetup};
use super::Server;
use crate::config::ServerConfig;

/// How long a connection the gateway decided to close (idle, certificate refused) may take to
/// finish what it is sending before it is dropped: an HTTP/2 client that never answers the
/// GOAWAY's ping must not keep it open.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// Serves until `shutdown` resolves, then stops accepting and lets in-flight requests finish
/// (up to the configured grace period).
pub async fn serve(
    listener: TcpListener,
    tls: watch::Receiver<TlsSetup>,
    server: Arc<Server>,
    shutdown: impl Future<Output = ()>,
) {
    let (settings, metrics) = (&server.settings, &server.gateway.metrics);
    let max_connections = settings.max_connections;
    let slots = Arc::new(Semaphore::new(max_connections));
    let budget = UnauthenticatedBudget::new(
        settings.max_unauthenticated_connections,
        settings.max_unauthenticated_per_address,
        metrics.connections_unauthenticated.clone(),
    );
    let (stop, stopping) = watch::channel(false);
    let http = Arc::new(http_builder(settings));
    let proxy = Arc::new(ProxyProtocol::new(&settings.proxy_protocol_from));
    tokio::pin!(shutdown);
    loop {
        let (tcp, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(error) => {
                    // Typically EMFILE: back off instead of spinning.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            metrics.connection_refused("connection_cap");
            tracing::warn!(%remote, "connection cap reached; connection closed");
            continue;
        };
        let accepted = Accepted {
            tcp,
            remote,
            tls: tls.clone(),
            server: server.clone(),
            budget: budget.clone(),
            stopping: stopping.clone(),
            proxy: proxy.clone(),
        };
        let http = http.clone();
        tokio::spawn(async move {
            let metrics = accepted.server.gateway.metrics.clone();
            metrics.connections_open.inc();
            connection(accepted, &http).await;
            metrics.connections_open.dec();
            drop(slot);
        });
    }
    drop(listener);
    let open = max_connections.saturating_sub(slots.available_permits());
    tracing::info!(open, "shutting down: waiting for in-flight requests");
    let _ = stop.send(true);
    let grace = Duration::from_millis(settings.shutdown_grace_ms);
    let all = u32::try_from(max_connections).unwrap_or(u32::MAX);
    if tokio::time::timeout(grace, slots.acquire_many(all))
        .await
        .is_err()
    {
        tracing::warn!("grace period over; closing remaining connections");
    }
}

/// A TCP connection taken off the listener, with what its task needs.
struct Accepted {
    tcp: TcpStream,
    remote: SocketAddr,
    tls: watch::Receiver<TlsSetup>,
    server: Arc<Server>,
    budget: Arc<UnauthenticatedBudget>,
    stopping: watch::Receiver<bool>,
    proxy: Arc<ProxyProtocol>,
}

async fn connection(accepted: Accepted, http: &auto::Builder<TokioExecutor>) {
    let Accepted {
        mut tcp,
        remote: peer,
        mut tls,
        server,
        budget,
        mut stopping,
        proxy,
    } = accepted;
    let _ = tcp.set_nodelay(true);
    let (settings, metrics) = (&server.settings, &server.gateway.metrics);
    // One deadline for the load balancer's header and the TLS handshake together.
    let deadline =
        tokio::time::Instant::now() + Duration::from_millis(settings.handshake_timeout_ms);
    let remote = match tokio::time::timeout_at(deadline, proxy.client_address(&mut tcp, peer)).await
    {
        Ok(Ok(client)) => client,
        Ok(Err(refusal)) => {
            metrics.connection_refused(refusal.label());
            tracing::warn!(%peer, reason = refusal.label(), %refusal, "connection refused before TLS");
            return;
        }
        Err(_) => {
            metrics.connection_refused("proxy_header_timeout");
            tracing::warn!(%peer, "no complete PROXY protocol header before the handshake deadline");
            return;
        }
    };
    // The set-up in force now: certificate and CRL changes after this are checked per request.
    let setup = tls.borrow_and_update().clone();
    let stream = match tokio::time::timeout_at(deadline, setup.acceptor.accept(tcp)).await {
        Ok(Ok(stream)) => stream,
        Ok(Err(error)) => {
            let reason = failure_reason(&error);
            metrics.handshake_failed(reason);
            tracing::info!(reason, "TLS handshake failed");
            return;
        }
        Err(_) => {
            metrics.handshake_failed("timeout");
            return;
        }
    };
    let session = stream.get_ref().1;
    let chain = session.peer_certificates().map(|chain| {
        chain
            .iter()
            .map(|c| c.clone().into_owned())
            .collect::<Vec<_>>()
    });
    let resumed = session.handshake_kind() == Some(HandshakeKind::Resumed);
    let peer = Arc::new(
        server
            .peer_reader
            .read(chain.as_ref().and_then(|c| c.first()).map(|c| c.as_ref())),
    );
    let (certificate, unauthenticated) = match chain {
        Some(chain) => {
            let mut check = CertificateCheck::new(chain, tls);
            // rustls restores a resumed session's certificate without verifying it again.
            if !resumed {
                setup.verified.remember(check.chain());
            } else {
                if let Some(reason) = check.verify_now() {
                    metrics.handshake_failed(reason);
                    tracing::info!(reason, "resumed TLS session refused");
                    return;
                }
            }
            (Some(check), None)
        }
        None => match budget.admit(remote.ip()) {
            Ok(slot) => (None, Some(slot)),
            Err(over) => {
                metrics.connection_refused(over.label());
                tracing::warn!(%remote, reason = over.label(), "unauthenticated connection refused");
                return;
            }
        },
    };
    let state = ConnectionState::new(certificate, unauthenticated);
    let client = remote.ip();
    let service = {
        let (server, state) = (server.clone(), state.clone());
        service_fn(move |request| {
            state
                .clone()
                .serve(server.clone(), peer.clone(), client, request)
        })
    };
    let conn = http.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    let timeouts = IdleTimeouts::from_config(settings);
    let grace = tokio::select! {
        result = conn.as_mut() => {
            if let Err(error) = result {
                tracing::debug!(%error, "connection ended with an error");
            }
            return;
        }
        reason = state.close_wanted(timeouts) => {
            metrics.connection_closed(reason.label());
            tracing::debug!(%remote, reason = reason.label(), "closing connection");
            CLOSE_GRACE
        }
        _ = stopping.wait_for(|stop| *stop) => {
            Duration::from_millis(settings.shutdown_grace_ms)
        }
    };
    conn.as_mut().graceful_shutdown();
    if tokio::time::timeout(grace, conn).await.is_err() {
        tracing::debug!(%remote, "connection dropped after its grace period");
    }
}

fn http_builder(server: &ServerConfig) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_millis(server.header_timeout_ms))
        .keep_alive(true)
        .max_buf_size(64 * 1024);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(100)
        .keep_alive_interval(Duration::from_millis(server.idle_timeout_ms))
        .keep_alive_timeout(Duration::from_millis(server.header_timeout_ms));
    builder
}
