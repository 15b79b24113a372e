//! One SOAP adapter per service: the service's namespaces and operations, each reading its
//! `…Richiesta` payload into the use case's typed request and writing the outcome's payload as
//! the `<ric:…>` elements of the `…Ricevuta`. Rules live in `services`; here only the XML.

pub mod asl;
pub mod otp;
pub mod servizi;
pub mod sierologici;

use chrono::NaiveDate;

use super::catalogue::OperationSpec;
use super::Element;
use crate::services::declared_auth::SentDeclaredAuth;
use crate::services::{Access, DeclaredAuth};

/// The spec of operation `name` (`<name>Richiesta` → `<name>Ricevuta`) in a service's
/// namespaces.
fn spec(
    namespaces: (&'static str, &'static str),
    name: &'static str,
    request: &'static str,
    response: &'static str,
    access: Access,
) -> OperationSpec {
    OperationSpec {
        name,
        request: (namespaces.0, request),
        response: (namespaces.1, response),
        access,
        end_user: None,
    }
}

/// The text of child `name`; empty when absent (a schema-required child never is).
fn text<'a>(payload: &'a Element, name: &str) -> &'a str {
    payload.child_text(name).unwrap_or_default()
}

/// A schema-valid `tipi:Data` child; `None` when absent or not a date.
fn date(payload: &Element, name: &str) -> Option<NaiveDate> {
    payload
        .child_text(name)
        .and_then(|t| NaiveDate::parse_from_str(t, "%Y-%m-%d").ok())
}

/// `tipoAutenticazione`, if sent.
fn declared_auth(payload: &Element) -> SentDeclaredAuth {
    payload
        .child_text("tipoAutenticazione")
        .map(DeclaredAuth::parse)
}
