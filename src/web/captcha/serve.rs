//! `GET /web/captcha/{id}/immagine.png` and `…/audio.wav`: the picture and the sound of the
//! challenge `id`, drawn afresh on every request: the session's live one, or the login's for
//! the browser's pre-login cookie. Another session's challenge, a used or expired one, is not
//! found.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use http::{header, HeaderMap, StatusCode};

use super::stateless::is_challenge;
use super::{audio, image};
use crate::web::{page, prelogin, Pages};

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
    let digits = match digits(pages, headers, id).await {
        Ok(Some(digits)) => digits,
        Ok(None) => return page::not_found(),
        Err(response) => return response,
    };
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, content_type)],
        render(&digits),
    )
        .into_response()
}

/// The digits of challenge `id`: the login's, for the browser's pre-login cookie (nothing
/// stored), or the session's live challenge.
async fn digits(pages: &Pages, headers: &HeaderMap, id: &str) -> Result<Option<Vec<u8>>, Response> {
    if is_challenge(id) {
        let Some(nonce) = prelogin::nonce_of(headers) else {
            return Ok(None);
        };
        return Ok(pages.login_captcha.digits(&nonce, id, pages.now()));
    }
    let Some(session) = pages.session(headers).await? else {
        return Ok(None);
    };
    let store = pages.gateway.store.as_ref();
    pages
        .captcha
        .digits(store, &session.id_hash, id, pages.now())
        .await
        .map_err(|error| {
            tracing::error!(%error, "a captcha challenge could not be read");
            page::unavailable()
        })
}
