//! Who may call an operation: operators need the operation's profile; regions must be enabled
//! for the service, where the service admits regions at all. A refusal is a business outcome
//! (`9001`), the same for every service and transport.

use super::Outcome;
use crate::domain::Profile;
use crate::identity::Caller;

/// Message code of a refused authorisation.
pub const NON_AUTORIZZATO: &str = "9001";

/// Who may call an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Every identified caller (e.g. the catalogue itself).
    AnyCaller,
    /// Operators holding this profile, and regions enabled for the service.
    Profile(Profile),
    /// Operators holding this profile, never a region: the seed names no regional callers
    /// (Sierologici and ASL unless `[extensions] region_callers_on_sierologici_asl`).
    OperatorProfile(Profile),
}

impl Access {
    /// Whether `caller` may call an operation of `service` guarded by this rule.
    pub fn allows(self, caller: &Caller, service: &str) -> bool {
        match self {
            Access::AnyCaller => true,
            Access::Profile(profile) => match caller {
                Caller::Region {
                    enabled_services, ..
                } => enabled_services.iter().any(|s| s == service),
                Caller::Operator { .. } => caller.holds(profile),
            },
            // A region holds no profile.
            Access::OperatorProfile(profile) => caller.holds(profile),
        }
    }

    /// The refusal of operation `operation` of `service`, saying what it needs.
    pub fn refusal<T>(self, service: &str, operation: &str) -> Outcome<T> {
        let who = match self {
            Access::Profile(profile) => format!(
                " (profilo richiesto: \"{profile}\"; per le regioni, abilitazione al servizio {service})"
            ),
            Access::OperatorProfile(profile) => format!(
                " (profilo richiesto: \"{profile}\"; il servizio {service} non è disponibile per i sistemi regionali)"
            ),
            Access::AnyCaller => String::new(),
        };
        Outcome::rejected(
            NON_AUTORIZZATO,
            format!("Operazione {operation} non consentita al chiamante{who}"),
        )
    }
}
