//! The preamble of a service page's POST, once: the form read, its CSRF token checked before
//! anything else in it is looked at (a 403 page otherwise), then who posts it resolved from the
//! session: a doctor with the titolare the session acts for, an ASL user, an operator enrolling
//! their second factor ([`Poster`]). A handler takes [`Posted`] as its last argument and starts
//! with what it is about.

use std::future::Future;
use std::sync::Arc;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Form};
use http::HeaderMap;
use serde::de::DeserializeOwned;

use super::{Access, Operator, Pages, Visitor};

/// A form that carries its session's CSRF token.
pub trait CsrfForm {
    fn csrf(&self) -> &str;
}

/// Who a posted page acts as, resolved from the request's session (which the CSRF check has
/// already found).
pub trait Poster: Sized {
    fn resolve(
        pages: &Pages,
        headers: &HeaderMap,
        visitor: &Visitor,
    ) -> impl Future<Output = Result<Self, Response>> + Send;
}

/// A POST whose CSRF token passed: who posted it, what, and from where.
pub struct Posted<P, F> {
    pub by: P,
    pub form: F,
    pub visitor: Visitor,
}

impl<P, F> FromRequest<Arc<Pages>> for Posted<P, F>
where
    P: Poster + Send,
    F: CsrfForm + DeserializeOwned + Send,
{
    type Rejection = Response;

    async fn from_request(request: Request, pages: &Arc<Pages>) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let Extension(visitor) = Extension::<Visitor>::from_request_parts(&mut parts, pages)
            .await
            .map_err(IntoResponse::into_response)?;
        let headers = parts.headers.clone();
        let Form(form) = Form::<F>::from_request(Request::from_parts(parts, body), pages)
            .await
            .map_err(IntoResponse::into_response)?;
        pages.posted(&headers, form.csrf()).await?;
        let by = P::resolve(pages, &headers, &visitor).await?;
        Ok(Posted { by, form, visitor })
    }
}

/// A signed-in operator, whatever their profiles (a page's own rules come after).
impl Poster for Operator {
    async fn resolve(
        pages: &Pages,
        headers: &HeaderMap,
        _visitor: &Visitor,
    ) -> Result<Operator, Response> {
        pages.operator(headers, Access::SignedIn).await
    }
}

/// Implements [`CsrfForm`] for forms whose token is their `csrf` field.
macro_rules! csrf_form {
    ($($form:ty),+ $(,)?) => {
        $(impl $crate::web::posted::CsrfForm for $form {
            fn csrf(&self) -> &str {
                &self.csrf
            }
        })+
    };
}
pub(crate) use csrf_form;
