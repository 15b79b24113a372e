//! `InvioNumeroTest` (docs/services/asl.md, from seed 003 §4.4.2): the number of serology tests an
//! ASL did on a day. The count is written with the access-log entry, in the core's group commit. A
//! region's system (only with the extension on) names the ASL in `codASL`, which must be one of its
//! own, and declares how it authenticated its operator (`tipoAutenticazione`), as InvioOTP does.

use chrono::NaiveDate;

use super::Codice;
use crate::domain::{AslCode, AslCodeError, OperatorCf, OperatorCfError};
use crate::identity::{Caller, OperatorAsl};
use crate::services::declared_auth::SentDeclaredAuth;
use crate::services::{Audit, Context, Field, Outcome};
use crate::store::{NewAslTestCount, StoreError, TransactionWrite};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvioNumeroTestRequest {
    /// `cfOperatore`.
    pub operator: Field<OperatorCf, OperatorCfError>,
    /// `tipoAutenticazione`.
    pub declared_auth: SentDeclaredAuth,
    /// `codASL` (read from regions only).
    pub asl: Option<Field<AslCode, AslCodeError>>,
    /// `dataTest`; `None`: not a date.
    pub test_date: Option<NaiveDate>,
    /// `numeroTest`; `None`: not a number.
    pub tests: Option<i64>,
}

impl InvioNumeroTestRequest {
    /// What a region's request adds to the access log: its operator and their authentication.
    fn audit(&self, caller: &Caller) -> Audit {
        match caller {
            Caller::Region { .. } => Audit {
                operator_cf: Some(self.operator.text()),
                declared_auth: self.declared_auth.and_then(Result::ok),
                titolare_cf: None,
            },
            Caller::Operator { .. } => Audit::default(),
        }
    }
}

pub async fn invio_numero_test(ctx: &Context<'_>, request: &InvioNumeroTestRequest) -> Outcome {
    handle(ctx, request)
        .await
        .unwrap_or_else(|refused| refused.refusal())
        .with_audit(request.audit(ctx.caller))
}

async fn handle(ctx: &Context<'_>, request: &InvioNumeroTestRequest) -> Result<Outcome, Codice> {
    let operator = match &request.operator {
        Field::Valid(operator) => operator.clone(),
        Field::Malformed { error, .. } => return Err(Codice::CfOperatoreMalformato(*error)),
    };
    let (region, asl) = match ctx.caller {
        Caller::Operator { cf, asl, .. } => {
            if !operator.is(cf) {
                return Err(Codice::CfOperatoreDiverso);
            }
            if request.declared_auth.is_some() {
                return Err(Codice::TipoAutenticazioneNonAmmesso);
            }
            // Read from the users table with the rest of the caller's identity.
            match asl {
                Some(OperatorAsl { region, asl }) => (*region, *asl),
                None => return Err(Codice::OperatoreSenzaAsl),
            }
        }
        Caller::Region { code, .. } => {
            if !matches!(request.declared_auth, Some(Ok(_))) {
                return Err(Codice::TipoAutenticazioneMancante);
            }
            let Some(asl) = &request.asl else {
                return Err(Codice::CodAslMancante);
            };
            // The registry holds only 3-digit codes: another is no ASL of the region.
            let known = match asl {
                Field::Valid(asl) => ctx
                    .store
                    .patients()
                    .find_asl(*code, *asl)
                    .await
                    .map_err(unavailable)?,
                Field::Malformed { .. } => None,
            };
            let Some(known) = known else {
                return Err(Codice::AslNonDellaRegione {
                    asl: asl.text(),
                    region: code.to_string(),
                });
            };
            (Some(*code), known.code)
        }
    };
    let test_date = request.test_date.ok_or(Codice::DataTestNonValida)?;
    if test_date > ctx.today() {
        return Err(Codice::DataTestFutura { test_date });
    }
    let tests = request.tests.ok_or(Codice::NumeroNonValido)?;
    let mut outcome = Outcome::ok(());
    if let Some(expected) = operator.wrong_check_character() {
        let warning = Codice::CfOperatoreCarattereControllo { expected };
        outcome = outcome.with_warning(warning.code(), warning.text());
    }
    Ok(
        outcome.with_write(TransactionWrite::AslTestCount(NewAslTestCount {
            operator_cf: operator,
            region_code: region,
            asl_code: Some(asl),
            test_date,
            tests,
        })),
    )
}

/// A store failure: the request is refused, and may be retried.
fn unavailable(error: StoreError) -> Codice {
    tracing::error!(%error, "registry unavailable");
    Codice::ServizioNonDisponibile
}
