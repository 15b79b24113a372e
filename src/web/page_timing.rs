//! Each page's time at the server, by route, into `tsgate_web_page_duration_seconds`: the
//! figure operators watch and the README's page table reads (`benches/load/web_pages.sh`).

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use http::Method;

use super::Pages;
use crate::metrics::PageLabels;

/// Times the routed handler. A page's body is produced whole before it is sent, so the time to
/// the handler's response is the page's time to first byte at the server.
pub async fn timed(State(pages): State<Arc<Pages>>, request: Request, next: Next) -> Response {
    let labels = PageLabels {
        page: request
            .extensions()
            .get::<MatchedPath>()
            .map_or("unrouted", MatchedPath::as_str)
            .to_owned(),
        method: method_label(request.method()).to_owned(),
    };
    let started = Instant::now();
    let response = next.run(request).await;
    pages
        .gateway
        .metrics
        .web_page_duration
        .get_or_create(&labels)
        .observe(started.elapsed().as_secs_f64());
    response
}

/// The methods a page answers, and `other`: HTTP lets a client name any method, and each name
/// would otherwise be a new series in the metrics, kept until the process ends.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::HEAD => "HEAD",
        _ => "other",
    }
}
