//! `Sierologici`: the serology-test services for family doctors (docs/services/sierologici.md, from
//! seed 003 §3): the titolare's list of state-school staff, sending a test, cancelling a send,
//! listing the tests sent. A doctor acts as titolare for their own patients, or as the substitute a
//! titolare authorised, within the authorised dates ([`rules`]).

mod annulla_test;
mod elenco_assistiti;
mod elenco_test;
mod invio_test;
pub mod rules;

use std::sync::Arc;

use super::{Access, OperationSpec, ServiceSpec, TransactionIdKind};
use crate::config::ExtensionsConfig;

pub const REQUEST_NS: &str = "urn:tsgate:ws:sierologici:richiesta";
pub const RESPONSE_NS: &str = "urn:tsgate:ws:sierologici:ricevuta";
pub const SERVICE: &str = "Sierologici";

/// The profile a doctor needs (regions, only with the extension on, need
/// `tsgate regions enable --service Sierologici`).
pub const PROFILE_MMG: &str = "Sierologici MMG";

/// The service; regions may call it only with the extension `region_callers_on_sierologici_asl`.
pub fn service(extensions: &ExtensionsConfig) -> ServiceSpec {
    let access = if extensions.region_callers_on_sierologici_asl {
        Access::Profile(PROFILE_MMG)
    } else {
        Access::OperatorProfile(PROFILE_MMG)
    };
    ServiceSpec {
        name: SERVICE,
        description: "Test sierologici del personale scolastico: elenco assistiti, invio, annullamento ed elenco dei test (medici di medicina generale e sostituti)",
        wsdl: "Sierologici.wsdl",
        transaction_ids: TransactionIdKind::Numeric,
        operations: vec![
            Arc::new(elenco_assistiti::ElencoAssistiti::new(spec(
                "ElencoAssistiti",
                "ElencoAssistitiRichiesta",
                "ElencoAssistitiRicevuta",
                access,
            ))),
            Arc::new(invio_test::InvioTest::new(spec(
                "InvioTest",
                "InvioTestRichiesta",
                "InvioTestRicevuta",
                access,
            ))),
            Arc::new(annulla_test::AnnullaTest::new(spec(
                "AnnullaTest",
                "AnnullaTestRichiesta",
                "AnnullaTestRicevuta",
                access,
            ))),
            Arc::new(elenco_test::ElencoTest::new(spec(
                "ElencoTest",
                "ElencoTestRichiesta",
                "ElencoTestRicevuta",
                access,
            ))),
        ],
    }
}

/// The spec of operation `name` (`<name>Richiesta` → `<name>Ricevuta`).
fn spec(
    name: &'static str,
    request: &'static str,
    response: &'static str,
    access: Access,
) -> OperationSpec {
    OperationSpec {
        name,
        request: (REQUEST_NS, request),
        response: (RESPONSE_NS, response),
        access,
    }
}
