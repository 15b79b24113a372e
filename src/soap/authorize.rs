//! Stage 4 — may this caller use this operation? Operators need the operation's profile;
//! regions must be enabled for the service, where the service admits regions at all.
//! Refusal is a business outcome, not a Fault.

use crate::identity::Caller;
use crate::services::{Access, OperationSpec, Reply, ServiceSpec};

/// Message code of a refused authorisation.
pub const NON_AUTORIZZATO: &str = "9001";

pub fn may_call(caller: &Caller, service: &ServiceSpec, operation: &OperationSpec) -> bool {
    match operation.access {
        Access::AnyCaller => true,
        Access::Profile(profile) => match caller {
            Caller::Region {
                enabled_services, ..
            } => enabled_services.iter().any(|s| s == service.name),
            Caller::Operator { profiles, .. } => profiles.iter().any(|p| p.as_str() == profile),
        },
        Access::OperatorProfile(profile) => match caller {
            Caller::Region { .. } => false,
            Caller::Operator { profiles, .. } => profiles.iter().any(|p| p.as_str() == profile),
        },
    }
}

pub fn refusal(service: &ServiceSpec, operation: &OperationSpec) -> Reply {
    let who = match operation.access {
        Access::Profile(profile) => format!(
            " (profilo richiesto: \"{profile}\"; per le regioni, abilitazione al servizio {})",
            service.name
        ),
        Access::OperatorProfile(profile) => format!(
            " (profilo richiesto: \"{profile}\"; il servizio {} non è disponibile per i sistemi regionali)",
            service.name
        ),
        Access::AnyCaller => String::new(),
    };
    Reply::rejected(
        NON_AUTORIZZATO,
        format!(
            "Operazione {} non consentita al chiamante{who}",
            operation.name
        ),
    )
}
