//! `Servizi`: the catalogue of services and operations the caller may use (as X-Road's
//! allowedMethods does). It exercises the whole pipeline end to end.

mod elenco_servizi;

use std::sync::Arc;

use super::{ServiceSpec, TransactionIdKind};

pub const REQUEST_NS: &str = "urn:tsgate:ws:servizi:richiesta";
pub const RESPONSE_NS: &str = "urn:tsgate:ws:servizi:ricevuta";
pub const SERVICE: &str = "Servizi";

pub fn service() -> ServiceSpec {
    ServiceSpec {
        name: SERVICE,
        description: "Catalogo dei servizi e delle operazioni consentite al chiamante",
        wsdl: "Servizi.wsdl",
        transaction_ids: TransactionIdKind::Alphanumeric,
        operations: vec![Arc::new(elenco_servizi::ElencoServizi::new())],
    }
}
