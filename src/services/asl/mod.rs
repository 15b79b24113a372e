//! `ASL`: the services for ASL operators (seed 003 §4): sending the number of serology tests
//! done in a day (`InvioNumeroTest`, SOAP, also for regional systems) and downloading the file
//! of state-school-staff assistiti per MMG of the operator's own ASL ([`download`], HTTP GET,
//! each download recorded in the access log).

pub mod download;
mod invio_numero_test;

use std::sync::Arc;

use super::{ServiceSpec, TransactionIdKind};

pub const REQUEST_NS: &str = "urn:tsgate:ws:asl:richiesta";
pub const RESPONSE_NS: &str = "urn:tsgate:ws:asl:ricevuta";

/// The profile an ASL operator needs (regions need `tsgate regions enable --service ASL`).
pub const PROFILE_ASL: &str = "ASL Numero test";

pub const SERVICE: &str = "ASL";

pub fn service() -> ServiceSpec {
    ServiceSpec {
        name: SERVICE,
        description:
            "Servizi per le ASL: invio del numero di test sierologici eseguiti nella giornata",
        wsdl: "ASL.wsdl",
        transaction_ids: TransactionIdKind::Numeric,
        operations: vec![Arc::new(invio_numero_test::InvioNumeroTest::new())],
    }
}
