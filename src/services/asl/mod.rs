//! `ASL`: the services for ASL operators (docs/services/asl.md, from seed 003 §4): sending the
//! number of serology tests done in a day (`InvioNumeroTest`, SOAP; regional systems only with the
//! extension `region_callers_on_sierologici_asl`) and downloading the file
//! of state-school-staff assistiti per MMG of the operator's own ASL ([`assistiti_per_mmg`],
//! served over HTTP GET, each download recorded in the access log).

pub mod assistiti_per_mmg;
mod invio_numero_test;

use std::sync::Arc;

use super::{Access, ServiceSpec, TransactionIdKind};
use crate::config::ExtensionsConfig;

pub const REQUEST_NS: &str = "urn:tsgate:ws:asl:richiesta";
pub const RESPONSE_NS: &str = "urn:tsgate:ws:asl:ricevuta";

/// The profile an ASL operator needs (regions, only with the extension on, need
/// `tsgate regions enable --service ASL`).
pub const PROFILE_ASL: &str = "ASL Numero test";

pub const SERVICE: &str = "ASL";

/// The service; regions may call it only with the extension `region_callers_on_sierologici_asl`.
pub fn service(extensions: &ExtensionsConfig) -> ServiceSpec {
    let access = if extensions.region_callers_on_sierologici_asl {
        Access::Profile(PROFILE_ASL)
    } else {
        Access::OperatorProfile(PROFILE_ASL)
    };
    ServiceSpec {
        name: SERVICE,
        description:
            "Servizi per le ASL: invio del numero di test sierologici eseguiti nella giornata",
        wsdl: "ASL.wsdl",
        transaction_ids: TransactionIdKind::Numeric,
        operations: vec![Arc::new(invio_numero_test::InvioNumeroTest::new(access))],
    }
}
