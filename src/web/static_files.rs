//! The one stylesheet, served under a name that carries a hash of its content, so browsers may
//! keep it for a year and a new version is a new name.

use std::sync::LazyLock;

use aws_lc_rs::digest;
use axum::extract::Path;
use axum::response::{IntoResponse, Response};
use http::{header, StatusCode};

use super::headers::CACHE_STATIC;
use super::page;

const STYLESHEET: &str = include_str!("static/tsgate.css");

/// `tsgate.<first 16 hex digits of its SHA-256>.css`.
static STYLESHEET_NAME: LazyLock<String> = LazyLock::new(|| {
    let hash = hex::encode(digest::digest(&digest::SHA256, STYLESHEET.as_bytes()));
    format!("tsgate.{}.css", &hash[..16])
});

static STYLESHEET_PATH: LazyLock<String> =
    LazyLock::new(|| format!("/web/static/{}", STYLESHEET_NAME.as_str()));

/// Where the pages link the stylesheet.
pub fn stylesheet_path() -> &'static str {
    STYLESHEET_PATH.as_str()
}

/// `GET /web/static/{file}`.
pub async fn serve(Path(file): Path<String>) -> Response {
    if file != *STYLESHEET_NAME {
        return page::not_found();
    }
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, CACHE_STATIC),
        ],
        STYLESHEET,
    )
        .into_response()
}
