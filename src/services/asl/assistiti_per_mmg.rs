//! The file of state-school-staff assistiti per MMG (docs/services/asl.md, from seed 003 §4.4.1)
//! of the operator's own ASL: how many of each MMG's assistiti are on the staff list, zero
//! included, by the MMG's CF. Only an operator holding the ASL profile, whose user record names
//! their region and ASL, may have it. Served over HTTP by `server::asl_download`, which records
//! every download, granted or refused, in the access log.

use std::fmt::Write;

use super::PROFILE_ASL;
use crate::domain::{OperatorCf, Profile};
use crate::identity::Caller;
use crate::services::access;
use crate::store::Store;

/// The operation's name in the access log.
pub const OPERATION: &str = "ScaricoAssistitiPerMedico";

/// The message code of a granted download, as in the access log.
pub const GRANTED: &str = "0000";

/// Why the file is not given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("Il file è riservato agli operatori ASL")]
    NotAnOperator,
    #[error("Profilo richiesto: \"{PROFILE_ASL}\"")]
    MissingProfile,
    #[error("L'operatore non risulta associato ad una ASL")]
    NoAsl,
    /// The store could not be read: nothing can be decided.
    #[error("Servizio temporaneamente non disponibile")]
    Unavailable,
}

impl Refusal {
    /// The message code in the access log (that of a refused authorisation), unless the store
    /// failed and nothing is recorded.
    pub fn code(self) -> Option<&'static str> {
        match self {
            Refusal::NotAnOperator | Refusal::MissingProfile | Refusal::NoAsl => {
                Some(access::NON_AUTORIZZATO)
            }
            Refusal::Unavailable => None,
        }
    }
}

/// Each MMG of the caller's ASL (by CF) with their number of school-staff assistiti.
pub async fn assistiti_per_mmg(
    store: &dyn Store,
    caller: &Caller,
) -> Result<Vec<(OperatorCf, i64)>, Refusal> {
    let Caller::Operator { cf, .. } = caller else {
        return Err(Refusal::NotAnOperator);
    };
    if !caller.holds(Profile::AslNumeroTest) {
        return Err(Refusal::MissingProfile);
    }
    let user = store.directory().find_user_by_cf(cf).await.map_err(|e| {
        tracing::error!(error = %e, "users table unreadable");
        Refusal::Unavailable
    })?;
    let Some((Some(region), Some(asl))) = user.map(|u| (u.region, u.asl)) else {
        return Err(Refusal::NoAsl);
    };
    store
        .patients()
        .staff_per_mmg(region, asl)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "registry unreadable");
            Refusal::Unavailable
        })
}

/// The file: `;`-separated, a header line `cf_medico;numero_assistiti`, one row per MMG (the
/// same for the HTTP download and the web page's).
pub fn csv(rows: &[(OperatorCf, i64)]) -> String {
    let mut csv = String::with_capacity(32 + rows.len() * 24);
    csv.push_str("cf_medico;numero_assistiti\n");
    for (mmg, count) in rows {
        let _ = writeln!(csv, "{mmg};{count}");
    }
    csv
}
