//! `Sierologici`: the serology-test services for family doctors (docs/services/sierologici.md, from
//! seed 003 §3): the titolare's list of state-school staff, sending a test, cancelling a send,
//! listing the tests sent. A doctor acts as titolare for their own patients, or as the substitute a
//! titolare authorised, within the authorised dates ([`acting`]).

pub mod acting;
mod annullamento;
mod codice;
mod elenco_assistiti;
mod elenco_invii;
mod invio;

pub use acting::ActingRequest;
pub use annullamento::{annulla_test, AnnullaTestRequest, SendLocks};
pub use codice::Codice;
pub use elenco_assistiti::{elenco_assistiti, ElencoAssistitiRequest};
pub use elenco_invii::{elenco_test, ElencoTestRequest};
pub use invio::{invio_test, InvioTestRequest};

use super::Access;
use crate::config::ExtensionsConfig;
use crate::domain::Profile;

pub const SERVICE: &str = "Sierologici";

/// The profile a doctor needs (regions, only with the extension on, need
/// `tsgate regions enable --service Sierologici`).
pub const PROFILE: Profile = Profile::SierologiciMmg;
/// [`PROFILE`]'s name.
pub const PROFILE_MMG: &str = PROFILE.as_str();

/// Who may call the operations: regions only with the extension
/// `region_callers_on_sierologici_asl`.
pub fn access(extensions: &ExtensionsConfig) -> Access {
    if extensions.region_callers_on_sierologici_asl {
        Access::Profile(PROFILE)
    } else {
        Access::OperatorProfile(PROFILE)
    }
}
