//! Stage 8 — the reply: a response envelope in the request's SOAP version, or a Fault.

use std::fmt::Write;

use bytes::Bytes;
use http::{header, Response, StatusCode};
use http_body_util::Full;

use super::fault::{Fault, FaultCode};
use super::version::SoapVersion;
use super::xml::{escape, leaf};

/// Namespace of the `<detail>` content of our Faults.
pub const FAULT_DETAIL_NS: &str = "urn:tsgate:ws:fault";

pub type HttpResponse = Response<Full<Bytes>>;

/// A complete business reply: `payload` is the response root element, already serialised.
pub fn reply(version: SoapVersion, payload: &str) -> HttpResponse {
    let body = envelope(version, payload);
    http_response(StatusCode::OK, version.content_type(), body, None)
}

pub fn fault(version: SoapVersion, fault: &Fault) -> HttpResponse {
    let mut payload = String::with_capacity(512);
    let detail = detail(fault);
    match version {
        SoapVersion::V11 => {
            let code = match fault.code {
                FaultCode::Client => "Client",
                FaultCode::Server => "Server",
                FaultCode::VersionMismatch => "VersionMismatch",
                FaultCode::MustUnderstand => "MustUnderstand",
            };
            let _ = write!(
                payload,
                "<soap:Fault><faultcode>soap:{code}</faultcode><faultstring xml:lang=\"it\">{}</faultstring><detail>{detail}</detail></soap:Fault>",
                escape(&fault.reason)
            );
        }
        SoapVersion::V12 => {
            let code = match fault.code {
                FaultCode::Client => "Sender",
                FaultCode::Server => "Receiver",
                FaultCode::VersionMismatch => "VersionMismatch",
                FaultCode::MustUnderstand => "MustUnderstand",
            };
            let _ = write!(
                payload,
                "<soap:Fault><soap:Code><soap:Value>soap:{code}</soap:Value></soap:Code><soap:Reason><soap:Text xml:lang=\"it\">{}</soap:Text></soap:Reason><soap:Detail>{detail}</soap:Detail></soap:Fault>",
                escape(&fault.reason)
            );
        }
    }
    let body = envelope(version, &payload);
    let mut response = http_response(
        fault.status,
        version.content_type(),
        body,
        fault.retry_after_seconds,
    );
    // Whose fault it is travels with the response, for the metrics of the transport.
    response.extensions_mut().insert(fault.code);
    response
}

/// The `soap_fault` label of `tsgate_http_responses_total`: `server` for our faults, `client` for
/// the caller's (the version and header faults are the caller's too), `none` for no Fault.
pub fn fault_side(response: &HttpResponse) -> &'static str {
    match response.extensions().get::<FaultCode>() {
        None => "none",
        Some(FaultCode::Server) => "server",
        Some(FaultCode::Client | FaultCode::VersionMismatch | FaultCode::MustUnderstand) => {
            "client"
        }
    }
}

fn detail(fault: &Fault) -> String {
    let mut out = format!("<f:dettaglio xmlns:f=\"{FAULT_DETAIL_NS}\">");
    leaf(&mut out, "f", "codice", fault.detail_code);
    if let Some(id) = fault.transaction_id {
        leaf(&mut out, "f", "idTransazione", &id.to_string());
    }
    out.push_str("</f:dettaglio>");
    out
}

fn envelope(version: SoapVersion, payload: &str) -> String {
    let mut out = String::with_capacity(payload.len() + 200);
    let _ = write!(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><soap:Envelope xmlns:soap=\"{}\"><soap:Body>{payload}</soap:Body></soap:Envelope>",
        version.namespace()
    );
    out
}

pub fn http_response(
    status: StatusCode,
    content_type: &'static str,
    body: String,
    retry_after: Option<u64>,
) -> HttpResponse {
    let mut builder = Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CACHE_CONTROL, "no-store");
    if let Some(seconds) = retry_after {
        builder = builder.header(header::RETRY_AFTER, seconds.to_string());
    }
    builder
        .body(Full::new(Bytes::from(body)))
        .unwrap_or_else(|_| {
            let mut fallback = Response::new(Full::new(Bytes::new()));
            *fallback.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            fallback
        })
}
