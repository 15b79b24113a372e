//! `GET /web/captcha/{id}/immagine.png` and `…/audio.wav`: the picture and the sound of the
//! session's live challenge `id`, drawn afresh on every request. Another session's challenge,
//! a used or expired one, is not found.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use http::{header, HeaderMap, StatusCode};

use super::{audio, image};
use crate::web::{page, Pages};

/// `GET /web/captcha/{id}/immagine.png`.
pub async fn image(
    State(pages): State<Arc<Pages>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    media(&pages, &headers, &id, "image/png", image::render).await
}

/// `GET /web/captcha/{id}/audio.wav`.
pub async fn audio(
    State(pages): State<Arc<Pages>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    media(&pages, &headers, &id, "audio/wav", audio::render).await
}

async fn media(
    pages: &Pages,
    headers: &HeaderMap,
    id: &str,
    content_type: &'static str,
    render: fn(&[u8]) -> Vec<u8>,
) -> Response {
    let session = match pages.session(headers).await {
        Ok(Some(session)) => session,
        Ok(None) => return page::not_found(),
        Err(response) => return response,
    };
    let store = pages.gateway.store.as_ref();
    let digits = pages
        .captcha
        .digits(store, &session.id_hash, id, pages.now())
        .await;
    match digits {
        Ok(Some(digits)) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, content_type)],
            render(&digits),
        )
            .into_response(),
        Ok(None) => page::not_found(),
        Err(error) => {
            tracing::error!(%error, "a captcha challenge could not be read");
            page::unavailable()
        }
    }
}
