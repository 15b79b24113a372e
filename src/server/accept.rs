//! Accepting connections: a cap on open connections, a deadline for the TLS handshake, the
//! peer's identity read once, then HTTP until the client leaves or the gateway shuts down.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;

use super::router;
use super::tls::failure_reason;
use crate::startup::App;

/// Serves until `shutdown` resolves, then stops accepting and lets in-flight requests finish
/// (up to the configured grace period).
pub async fn serve(
    listener: TcpListener,
    acceptor: tokio::sync::watch::Receiver<TlsAcceptor>,
    app: Arc<App>,
    shutdown: impl Future<Output = ()>,
) {
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(app.config.server.max_connections));
    let http = Arc::new(http_builder(&app));
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
            app.metrics.connections_refused.inc();
            tracing::warn!(%remote, "connection cap reached; connection closed");
            continue;
        };
        let watcher = graceful.watcher();
        // The acceptor in force now: certificate and CRL changes apply to new connections.
        let (app, acceptor, http) = (app.clone(), acceptor.borrow().clone(), http.clone());
        tokio::spawn(async move {
            app.metrics.connections_open.inc();
            connection(tcp, acceptor, &app, &http, watcher).await;
            app.metrics.connections_open.dec();
            drop(slot);
        });
    }
    drop(listener);
    let grace = Duration::from_millis(app.config.server.shutdown_grace_ms);
    tracing::info!(
        open = graceful.count(),
        "shutting down: waiting for in-flight requests"
    );
    if tokio::time::timeout(grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("grace period over; closing remaining connections");
    }
}

async fn connection(
    tcp: TcpStream,
    acceptor: TlsAcceptor,
    app: &Arc<App>,
    http: &auto::Builder<TokioExecutor>,
    watcher: hyper_util::server::graceful::Watcher,
) {
    let _ = tcp.set_nodelay(true);
    let handshake = Duration::from_millis(app.config.server.handshake_timeout_ms);
    let tls = match tokio::time::timeout(handshake, acceptor.accept(tcp)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(error)) => {
            let reason = failure_reason(&error);
            app.metrics.handshake_failed(reason);
            tracing::info!(reason, "TLS handshake failed");
            return;
        }
        Err(_) => {
            app.metrics.handshake_failed("timeout");
            return;
        }
    };
    let peer = Arc::new(
        app.peer_reader.read(
            tls.get_ref()
                .1
                .peer_certificates()
                .and_then(|c| c.first())
                .map(|c| c.as_ref()),
        ),
    );
    let app = app.clone();
    let service = service_fn(move |request| router::route(app.clone(), peer.clone(), request));
    let conn = http.serve_connection(TokioIo::new(tls), service);
    if let Err(error) = watcher.watch(conn.into_owned()).await {
        tracing::debug!(%error, "connection ended with an error");
    }
}

fn http_builder(app: &App) -> auto::Builder<TokioExecutor> {
    let server = &app.config.server;
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
