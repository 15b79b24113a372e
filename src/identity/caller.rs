//! An identified caller: a regional system, or an operator by certificate or by password.

use std::sync::Arc;

use crate::domain::{AslCode, CodiceFiscale, Profile, RegionCode};
use crate::store::CallerKind;

/// How an operator proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperatorAuth {
    /// A national-card certificate on the connection.
    Certificate,
    /// HTTP Basic plus the encrypted pincode, checked against the users table.
    Password,
    /// A web session opened with a national-card certificate ("Accedi con smart card"); the
    /// certificate is judged again on each of its requests (`src/web/smart_card.rs`).
    CardSession,
}

impl OperatorAuth {
    /// How the access log names an operator who proved who they are this way.
    pub fn kind(self) -> CallerKind {
        match self {
            OperatorAuth::Certificate => CallerKind::OperatorCertificate,
            OperatorAuth::Password => CallerKind::OperatorPassword,
            OperatorAuth::CardSession => CallerKind::OperatorCardSession,
        }
    }
}

/// The ASL a registered operator belongs to, as the users table held it when they were
/// identified (read in the same query as the rest of what identification reads fresh).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OperatorAsl {
    /// `None` for a user registered before regions were recorded.
    pub region: Option<RegionCode>,
    pub asl: AslCode,
}

impl OperatorAsl {
    /// From a user's stored region and ASL: none without an ASL.
    pub fn of(region: Option<RegionCode>, asl: Option<AslCode>) -> Option<OperatorAsl> {
        asl.map(|asl| OperatorAsl { region, asl })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    Region {
        code: RegionCode,
        /// Services this region is enabled for.
        enabled_services: Arc<[String]>,
    },
    Operator {
        cf: CodiceFiscale,
        /// The users-table id, when the operator is registered.
        user_id: Option<String>,
        method: OperatorAuth,
        profiles: Vec<Profile>,
        /// The registered operator's ASL; `None` for one who has none or is not registered.
        asl: Option<OperatorAsl>,
    },
}

impl Caller {
    pub fn kind(&self) -> CallerKind {
        match self {
            Caller::Region { .. } => CallerKind::Region,
            Caller::Operator { method, .. } => method.kind(),
        }
    }

    /// Region code, user id, or the card holder's CF.
    pub fn id(&self) -> String {
        match self {
            Caller::Region { code, .. } => code.to_string(),
            Caller::Operator {
                user_id: Some(id), ..
            } => id.clone(),
            Caller::Operator { cf, .. } => cf.to_string(),
        }
    }

    pub fn region(&self) -> Option<RegionCode> {
        match self {
            Caller::Region { code, .. } => Some(*code),
            Caller::Operator { .. } => None,
        }
    }

    pub fn operator_cf(&self) -> Option<&CodiceFiscale> {
        match self {
            Caller::Region { .. } => None,
            Caller::Operator { cf, .. } => Some(cf),
        }
    }

    /// Whether an operator holds `profile` (a region holds none).
    pub fn holds(&self, profile: Profile) -> bool {
        match self {
            Caller::Region { .. } => false,
            Caller::Operator { profiles, .. } => profiles.contains(&profile),
        }
    }

    /// Whether the request proved a password (Basic + pincode): the transport then takes its
    /// connection out of the unauthenticated budget. A certificate proves nothing new: its
    /// connection was never in the budget.
    pub fn proved_password(&self) -> bool {
        matches!(
            self,
            Caller::Operator {
                method: OperatorAuth::Password,
                ..
            }
        )
    }

    /// The rate-limit key: one bucket per region, one per operator.
    pub fn throttle_key(&self) -> String {
        match self {
            Caller::Region { code, .. } => format!("region:{code}"),
            Caller::Operator { cf, .. } => format!("operator:{cf}"),
        }
    }
}
