//! Routing: `/ws/<Service>` (SOAP, and `?wsdl`), `/xsd/<file>`, `/kit.zip`, `/asl/assistiti-per-mmg.csv`,
//! `/pki/gateway-ca.crl`, the Ministry's uploads `POST /miur/<kind>`, `/health` (which says only that the gateway answers), and the web
//! application under `/web/` ([`crate::web`]). `/metrics` is on the admin listener.

use std::convert::Infallible;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use http::{header, Method, Request, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;

use super::body::{self, BodyError};
use super::{asl_download, connection, crl_download, miur_upload, Server};
use crate::identity::Peer;
use crate::kit;
use crate::soap::fault::Fault;
use crate::soap::pipeline::{self, SoapCall};
use crate::soap::respond::{fault_side, http_response, HttpResponse};
use crate::soap::SoapVersion;
use crate::web;

/// The header that carries an enrolled operator's current TOTP code on SOAP calls and the CSV
/// download, when `auth.totp_on_soap` asks for it.
pub const TOTP_HEADER: &str = "x-tsgate-totp";

pub async fn route(
    server: Arc<Server>,
    peer: Arc<Peer>,
    client: IpAddr,
    request: Request<Incoming>,
) -> Result<HttpResponse, Infallible> {
    let path = request.uri().path().to_owned();
    let wants_wsdl = request
        .uri()
        .query()
        .is_some_and(|q| q.eq_ignore_ascii_case("wsdl"));
    let response = match (request.method(), path.as_str()) {
        (&Method::GET, "/health") => text(
            StatusCode::OK,
            "application/json",
            "{\"status\":\"ok\"}".into(),
        ),
        (&Method::GET, p) if p.starts_with("/xsd/") => {
            match server.gateway.publication.xsd(&p["/xsd/".len()..]) {
                Some(xsd) => text(StatusCode::OK, "text/xml; charset=utf-8", xsd.to_owned()),
                None => not_found(),
            }
        }
        (&Method::GET, p) if p.starts_with("/ws/") && wants_wsdl => {
            match server.gateway.publication.wsdl(&p["/ws/".len()..]) {
                Some(wsdl) => text(StatusCode::OK, "text/xml; charset=utf-8", wsdl.to_owned()),
                None => not_found(),
            }
        }
        (&Method::GET, asl_download::PATH) => {
            let header = |name: &str| request.headers().get(name).and_then(|v| v.to_str().ok());
            asl_download::handle(
                &server.gateway,
                &peer,
                client,
                header(header::AUTHORIZATION.as_str()),
                header(asl_download::PINCODE_HEADER),
                header(TOTP_HEADER),
            )
            .await
        }
        (&Method::GET, KIT_PATH) => kit(&server.kit),
        (&Method::GET, crl_download::PATH) => crl_download::handle(server.crl.as_ref()).await,
        (&Method::POST, p) if p.starts_with("/ws/") => soap(&server, &peer, client, request).await,
        (&Method::POST, p) if p.starts_with(miur_upload::PATH_PREFIX) => {
            miur_upload::handle(&server, &peer, client, request).await
        }
        (_, p) if p == "/web" || p.starts_with("/web/") => {
            web(&server, peer, client, request).await
        }
        (_, p) if p.starts_with("/ws/") => {
            let mut response = text(
                StatusCode::METHOD_NOT_ALLOWED,
                "text/plain; charset=utf-8",
                "POST per le chiamate SOAP, GET ?wsdl per il WSDL\n".into(),
            );
            response
                .headers_mut()
                .insert(header::ALLOW, http::HeaderValue::from_static("GET, POST"));
            response
        }
        _ => not_found(),
    };
    server
        .gateway
        .metrics
        .responded(response.status().as_u16(), fault_side(&response));
    Ok(response)
}

/// The integrator's kit: WSDLs, XSDs, the conformance kit's samples and manifests, one zip.
pub const KIT_PATH: &str = "/kit.zip";

fn kit(zip: &bytes::Bytes) -> HttpResponse {
    http::Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/zip")
        .header(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}\"", kit::archive::FILE_NAME),
        )
        .body(http_body_util::Full::new(zip.clone()))
        .unwrap_or_else(|_| not_found())
}

async fn soap(
    server: &Server,
    peer: &Peer,
    client: IpAddr,
    request: Request<Incoming>,
) -> HttpResponse {
    let (parts, incoming) = request.into_parts();
    let header = |name: header::HeaderName| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let content_type = header(header::CONTENT_TYPE);
    // Faults before the envelope is read use the version the Content-Type announces.
    let version = SoapVersion::from_content_type(content_type).unwrap_or(SoapVersion::V11);
    let declared_length = header(header::CONTENT_LENGTH).and_then(|v| v.parse().ok());
    let (gateway, settings) = (server.gateway.as_ref(), &server.settings);
    let body = match body::read(
        incoming,
        declared_length,
        settings.max_body_bytes,
        Duration::from_millis(settings.body_timeout_ms),
    )
    .await
    {
        Ok(body) => body,
        Err(BodyError::TooLarge) => {
            return pipeline::refuse(gateway, version, Fault::too_large(settings.max_body_bytes))
        }
        Err(BodyError::TimedOut) => {
            return pipeline::refuse(gateway, version, Fault::body_timeout())
        }
        Err(BodyError::Broken) => return pipeline::refuse(gateway, version, Fault::body_broken()),
    };
    let call = SoapCall {
        service: &parts.uri.path()["/ws/".len()..],
        content_type,
        client,
        authorization: header(header::AUTHORIZATION),
        totp: header(header::HeaderName::from_static(TOTP_HEADER)),
        body,
        identified: connection::caller_identified,
    };
    pipeline::handle(gateway, peer, call).await
}

/// A request for the web application: its body read under the web's own cap (forms are small)
/// and the server's deadline, then routed by [`crate::web`].
async fn web(
    server: &Server,
    peer: Arc<Peer>,
    client: IpAddr,
    request: Request<Incoming>,
) -> HttpResponse {
    let (parts, incoming) = request.into_parts();
    let declared_length = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let settings = &server.settings;
    let max = web::MAX_BODY_BYTES.min(settings.max_body_bytes);
    let deadline = Duration::from_millis(settings.body_timeout_ms);
    let body = match body::read(incoming, declared_length, max, deadline).await {
        Ok(body) => body,
        Err(BodyError::TooLarge) => {
            return plain(StatusCode::PAYLOAD_TOO_LARGE, "modulo troppo grande\n")
        }
        Err(BodyError::TimedOut) => {
            return plain(
                StatusCode::REQUEST_TIMEOUT,
                "modulo non ricevuto in tempo\n",
            )
        }
        Err(BodyError::Broken) => return plain(StatusCode::BAD_REQUEST, "modulo illeggibile\n"),
    };
    // A smart card's chain, for the session a smart-card login opens (its revocation ends it).
    let card_chain = match peer.as_ref() {
        Peer::Card { .. } => connection::client_chain().map(Arc::from),
        _ => None,
    };
    let visitor = web::Visitor {
        peer,
        client,
        card_chain,
    };
    let request = Request::from_parts(parts, Full::new(body));
    server.web.handle(visitor, request).await
}

fn plain(status: StatusCode, message: &'static str) -> HttpResponse {
    text(status, "text/plain; charset=utf-8", message.into())
}

fn text(status: StatusCode, content_type: &'static str, body: String) -> HttpResponse {
    http_response(status, content_type, body, None)
}

fn not_found() -> HttpResponse {
    text(
        StatusCode::NOT_FOUND,
        "text/plain; charset=utf-8",
        "non trovato\n".into(),
    )
}
