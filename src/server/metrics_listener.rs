//! The metrics listener: `/metrics` (and `/health`) over plain HTTP on `server.admin_listen`,
//! loopback by default, apart from the public port — the way production proxies keep their
//! admin port. The public port answers `/metrics` with 404.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use http::{Method, Request, StatusCode};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;
use tokio::task::JoinSet;

use crate::metrics::Metrics;
use crate::soap::respond::{http_response, HttpResponse};

/// Connections served at once; a scraper needs one.
const MAX_ADMIN_CONNECTIONS: usize = 16;

/// Serves until the task is aborted (which ends its connections too).
/// `header_timeout`: how long a request's headers may take.
pub async fn serve(listener: TcpListener, metrics: Arc<Metrics>, header_timeout: Duration) {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    let builder = Arc::new(builder);
    let mut connections = JoinSet::new();
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        while connections.try_join_next().is_some() {}
        if connections.len() >= MAX_ADMIN_CONNECTIONS {
            continue;
        }
        let (metrics, builder) = (metrics.clone(), builder.clone());
        connections.spawn(async move {
            let service = service_fn(move |request| route(metrics.clone(), request));
            let _ = builder.serve_connection(TokioIo::new(tcp), service).await;
        });
    }
}

async fn route(
    metrics: Arc<Metrics>,
    request: Request<Incoming>,
) -> Result<HttpResponse, Infallible> {
    Ok(match (request.method(), request.uri().path()) {
        (&Method::GET, "/metrics") => http_response(
            StatusCode::OK,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
            metrics.render(),
            None,
        ),
        (&Method::GET, "/health") => http_response(
            StatusCode::OK,
            "application/json",
            "{\"status\":\"ok\"}".into(),
            None,
        ),
        _ => http_response(
            StatusCode::NOT_FOUND,
            "text/plain; charset=utf-8",
            "non trovato\n".into(),
            None,
        ),
    })
}
