//! `ASL`: the services for ASL operators (docs/services/asl.md, from seed 003 §4): sending the
//! number of serology tests done in a day (`InvioNumeroTest`; regional systems only with the
//! extension `region_callers_on_sierologici_asl`) and downloading the file
//! of state-school-staff assistiti per MMG of the operator's own ASL ([`assistiti_per_mmg`],
//! served over HTTP GET, each download recorded in the access log).

pub mod assistiti_per_mmg;
mod codice;
mod invio_numero;

pub use codice::Codice;
pub use invio_numero::{invio_numero_test, InvioNumeroTestRequest};

use super::Access;
use crate::config::ExtensionsConfig;
use crate::domain::Profile;

/// The profile an ASL operator needs (regions, only with the extension on, need
/// `tsgate regions enable --service ASL`).
pub const PROFILE: Profile = Profile::AslNumeroTest;
/// [`PROFILE`]'s name.
pub const PROFILE_ASL: &str = PROFILE.as_str();

pub const SERVICE: &str = "ASL";

/// Who may call `InvioNumeroTest`: regions only with the extension
/// `region_callers_on_sierologici_asl`.
pub fn access(extensions: &ExtensionsConfig) -> Access {
    if extensions.region_callers_on_sierologici_asl {
        Access::Profile(PROFILE)
    } else {
        Access::OperatorProfile(PROFILE)
    }
}
