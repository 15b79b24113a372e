//! The rules every serology operation applies before its own (docs/services/sierologici.md, from
//! seed 003 §3.3; docs/conventions.md):
//!
//! - `cfMedico` is the doctor doing the operation. For an operator it must be the
//!   authenticated caller. A wrong check letter on it is only a warning; a malformed one, or one
//!   whose birth date cannot exist, is refused.
//! - Regions are not callers of seed 003 §3.3: only as an extension (off by default, see
//!   [`crate::config::ExtensionsConfig`]) may a region's system call, carrying in `cfMedico` a
//!   registered MMG of that region and, as InvioOTP does, the strong authentication it used for
//!   them (`tipoAutenticazione`, which an operator must not send).
//! - `cfMedicoTitolare` is the MMG the kits were assigned to. When it is `cfMedico`, the doctor
//!   acts for their own patients and must be a registered MMG; otherwise `cfMedico` must be a
//!   substitute the titolare authorised ([`Need`] says for which days).
//!
//! Each refusal has its own message code ([`Codice`]; the README's table lists them).
//!
//! An operation applies them in two steps around one read: [`claim`] checks what the request
//! alone decides, the operation reads its own data together with the titolare's MMG record
//! (one query instead of two), and [`settle`] checks the rest on that record. A refused
//! request's data is read and dropped unseen; the refusals come in the same order as when the
//! record was read first.

use super::Codice;
use crate::domain::{CfError, CodiceFiscale, OperatorCf, OperatorCfError};
use crate::identity::Caller;
use crate::services::declared_auth::SentDeclaredAuth;
use crate::services::{Audit, Context, Field, Outcome};
use crate::store::{OfTitolare, StoreError, Substitution};

/// Who the request says acts, and for whom: the fields every serology request starts with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActingRequest {
    /// `cfMedico`.
    pub doctor: Field<OperatorCf, OperatorCfError>,
    /// `tipoAutenticazione`.
    pub declared_auth: SentDeclaredAuth,
    /// `cfMedicoTitolare`.
    pub titolare: Field<CodiceFiscale, CfError>,
}

impl ActingRequest {
    /// The access-log fields the request adds: the titolare, and a region's operator and the
    /// authentication it declares for them.
    pub fn audit(&self, caller: &Caller) -> Audit {
        let (operator_cf, declared_auth) = match caller {
            Caller::Region { .. } => (
                Some(self.doctor.text()),
                self.declared_auth.and_then(Result::ok),
            ),
            Caller::Operator { .. } => (None, None),
        };
        Audit {
            operator_cf,
            declared_auth,
            titolare_cf: Some(self.titolare.text()),
        }
    }
}

/// Who acts, for whom, and the warnings met on the way.
#[derive(Debug, Clone)]
pub struct Acting {
    /// The doctor doing the operation.
    pub doctor: OperatorCf,
    /// Checked strictly, unless it is `cfMedico` itself: the doctor's own code, whose check
    /// letter only warns (some registered MMGs have a wrong one).
    pub titolare: OperatorCf,
    /// The authorisations that let `doctor` act for `titolare`; empty when they are the same.
    pub substitutions: Vec<Substitution>,
    pub warnings: Vec<Codice>,
}

impl Acting {
    pub fn as_substitute(&self) -> bool {
        self.doctor.as_str() != self.titolare.as_str()
    }

    /// `outcome` with the warnings collected so far.
    pub fn finish<T>(&self, outcome: Outcome<T>) -> Outcome<T> {
        self.warnings.iter().fold(outcome, |outcome, warning| {
            outcome.with_warning(warning.code(), warning.text())
        })
    }
}

/// How much of a substitution an operation needs (docs/services/sierologici.md, from seed 003
/// §3.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// In force today: the titolare's patient list and new sends.
    InForce,
    /// Begun, in force or ended: the substitute "può consultare o correggere" what they
    /// entered, so listing and cancelling their own sends outlive the substitution.
    Begun,
}

/// The outcome every operation answers: its own, or its refusal, with the access-log fields of
/// [`ActingRequest::audit`].
pub fn answer<T>(
    ctx: &Context<'_>,
    request: &ActingRequest,
    handled: Result<Outcome<T>, Codice>,
) -> Outcome<T> {
    handled
        .unwrap_or_else(|refused| refused.refusal())
        .with_audit(request.audit(ctx.caller))
}

/// Who the request says acts and for whom, checked as far as the request and the caller alone
/// allow ([`claim`]); [`settle`] applies the rest once the titolare's MMG record is read.
#[derive(Debug, Clone)]
pub struct Claimed {
    doctor: OperatorCf,
    titolare: OperatorCf,
    /// A region caller's code.
    region: Option<String>,
    warnings: Vec<Codice>,
}

impl Claimed {
    /// The titolare named, whose MMG record the operation reads with its own data (one query,
    /// [`crate::store::OfTitolare`]).
    pub fn titolare(&self) -> &OperatorCf {
        &self.titolare
    }

    pub fn doctor(&self) -> &OperatorCf {
        &self.doctor
    }

    pub fn as_substitute(&self) -> bool {
        self.doctor.as_str() != self.titolare.as_str()
    }
}

/// The common rules the request alone decides, in their order; the `Err` is the refusal.
pub fn claim(ctx: &Context<'_>, request: &ActingRequest) -> Result<Claimed, Codice> {
    let doctor = match &request.doctor {
        Field::Valid(doctor) => doctor.clone(),
        Field::Malformed { error, .. } => return Err(Codice::CfMedicoMalformato(*error)),
    };
    let warnings: Vec<Codice> = doctor
        .wrong_check_character()
        .map(|expected| Codice::CfMedicoCarattereControllo { expected })
        .into_iter()
        .collect();
    let region = match ctx.caller {
        Caller::Operator { cf, .. } => {
            if !doctor.is(cf) {
                return Err(Codice::CfMedicoDiverso);
            }
            if request.declared_auth.is_some() {
                return Err(Codice::TipoAutenticazioneNonAmmesso);
            }
            None
        }
        Caller::Region { code, .. } => {
            if !matches!(request.declared_auth, Some(Ok(_))) {
                return Err(Codice::TipoAutenticazioneMancante);
            }
            Some(code.to_string())
        }
    };
    let titolare = match &request.titolare {
        Field::Malformed { text, .. } if text == doctor.as_str() => doctor.clone(),
        Field::Valid(titolare) if titolare.as_str() == doctor.as_str() => doctor.clone(),
        Field::Valid(titolare) => OperatorCf::from(titolare.clone()),
        Field::Malformed { .. } => return Err(Codice::CfTitolareMalformato),
    };
    Ok(Claimed {
        doctor,
        titolare,
        region,
        warnings,
    })
}

/// The rest of the common rules, in their order, on what the operation read with the
/// titolare's MMG record (`None`: the titolare is no registered MMG); the `Err` is the
/// refusal. On success, the operation's own read.
pub async fn settle<T>(
    ctx: &Context<'_>,
    claimed: Claimed,
    read: Option<OfTitolare<T>>,
    need: Need,
) -> Result<(Acting, T), Codice> {
    let today = ctx.today();
    let Claimed {
        doctor,
        titolare,
        region,
        warnings,
    } = claimed;
    let store = ctx.store;
    let Some(OfTitolare {
        region_code: titolare_region,
        read,
    }) = read
    else {
        return Err(Codice::TitolareNonMmg {
            titolare: titolare.to_string(),
        });
    };
    let same = doctor.as_str() == titolare.as_str();
    if let Some(region) = &region {
        let doctor_region = if same {
            Some(titolare_region.to_string())
        } else {
            store
                .patients()
                .find_mmg(&doctor)
                .await
                .map_err(unavailable)?
                .map(|mmg| mmg.region_code.to_string())
        };
        if doctor_region.as_ref() != Some(region) {
            return Err(Codice::MedicoNonDellaRegione {
                doctor: doctor.to_string(),
                region: region.clone(),
            });
        }
        if titolare_region.as_str() != region {
            return Err(Codice::TitolareNonDellaRegione {
                titolare: titolare.to_string(),
                region: region.clone(),
            });
        }
    }
    let substitutions = if same {
        Vec::new()
    } else {
        let authorised = store
            .substitutions()
            .of_titolare(&titolare, Some(&doctor))
            .await
            .map_err(unavailable)?;
        if authorised.is_empty() {
            return Err(Codice::SostitutoNonAutorizzato {
                doctor: doctor.to_string(),
                titolare: titolare.to_string(),
            });
        }
        let (enough, state) = match need {
            Need::InForce => (
                authorised.iter().any(|s| s.covers(today)),
                "non è in corso oggi",
            ),
            Need::Begun => (
                authorised.iter().any(|s| s.from <= today),
                "non è ancora iniziata",
            ),
        };
        if !enough {
            return Err(Codice::SostituzioneNonInCorso {
                titolare: titolare.to_string(),
                state,
                periods: periods(&authorised),
            });
        }
        authorised
    };
    let acting = Acting {
        doctor,
        titolare,
        substitutions,
        warnings,
    };
    Ok((acting, read))
}

/// The patient's CF, strictly.
pub fn assistito(cf: &Result<CodiceFiscale, CfError>) -> Result<CodiceFiscale, Codice> {
    cf.clone().map_err(Codice::CfAssistitoMalformato)
}

/// A store failure: the request is refused, and may be retried.
pub fn unavailable(error: StoreError) -> Codice {
    tracing::error!(%error, "registry unavailable");
    Codice::ServizioNonDisponibile
}

/// `dal 2020-09-01 al 2020-09-30; …` for messages.
pub fn periods(substitutions: &[Substitution]) -> String {
    substitutions
        .iter()
        .map(|s| format!("dal {} al {}", s.from, s.to))
        .collect::<Vec<_>>()
        .join("; ")
}
