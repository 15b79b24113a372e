//! The typed `InvioOTPRichiesta`, and its checks in the order an operator fixes things — who
//! acts, then the code, then the date. The OTP and the date exist only inside these values;
//! their `Debug` shows neither.

use chrono::{DateTime, NaiveDate, Utc};

use super::esiti::Esito;
use crate::clock::BackendTimeZone;
use crate::domain::{
    OperatorCf, OperatorCfError, Otp, OtpError, SymptomDateError, SymptomOnsetDate,
};
use crate::identity::Caller;
use crate::services::declared_auth::{SentDeclaredAuth, UnknownDeclaredAuth};
use crate::services::Audit;

/// The request as read at the edge: each field parsed, or why not.
#[derive(Clone, PartialEq, Eq)]
pub struct InvioOtpRequest {
    /// `cfOperatore`, if sent.
    pub operator_cf: Option<Result<OperatorCf, OperatorCfError>>,
    /// `tipoAutenticazione`.
    pub declared_auth: SentDeclaredAuth,
    /// `codiceOTP`.
    pub otp: Result<Otp, OtpError>,
    /// `dataInizioSintomi`, read as a day (judged against today by the use case).
    pub symptom_onset: Result<NaiveDate, SymptomDateError>,
}

impl std::fmt::Debug for InvioOtpRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InvioOtpRequest")
            .field("operator_cf", &self.operator_cf)
            .field("declared_auth", &self.declared_auth)
            .field("otp", &"<redacted>")
            .field("symptom_onset", &"<redacted>")
            .finish()
    }
}

/// A request whose checks passed: what goes upstream.
#[derive(Debug)]
pub struct Checked {
    pub otp: Otp,
    pub date: SymptomOnsetDate,
    /// Warnings to return with a success (a bad check letter on the operator's CF).
    pub warnings: Vec<Esito>,
}

/// A refusal before anything goes upstream, with what the log may know of the request.
#[derive(Debug)]
pub struct Refused {
    pub esito: Esito,
    pub audit: Audit,
}

/// Who acts and how they say they authenticated, then the code, then the date.
/// `audit` is filled as soon as the acting operator is known, so refusals are logged with it.
/// The date is judged at `now` in Rome's calendar and the backend's (`backend_zone`).
pub fn check(
    request: &InvioOtpRequest,
    caller: &Caller,
    now: DateTime<Utc>,
    backend_zone: BackendTimeZone,
    window_days: u32,
) -> Result<(Checked, Audit), Refused> {
    let mut audit = Audit::default();
    let mut warnings = Vec::new();
    let refuse = |esito: Esito, audit: &Audit| Refused {
        esito,
        audit: audit.clone(),
    };
    match caller {
        Caller::Region { .. } => {
            let cf = match &request.operator_cf {
                None => return Err(refuse(Esito::CfOperatoreMancante, &audit)),
                Some(Err(_)) => return Err(refuse(Esito::CfOperatoreErrato, &audit)),
                Some(Ok(cf)) => cf,
            };
            if cf.wrong_check_character().is_some() {
                warnings.push(Esito::AvvisoCfOperatore);
            }
            audit.operator_cf = Some(cf.to_string());
            let auth = match request.declared_auth {
                None => return Err(refuse(Esito::TipoAutenticazioneMancante, &audit)),
                Some(Err(UnknownDeclaredAuth)) => {
                    return Err(refuse(Esito::TipoAutenticazioneSconosciuto, &audit))
                }
                Some(Ok(auth)) => auth,
            };
            audit.declared_auth = Some(auth);
        }
        Caller::Operator { cf: own, .. } => {
            match &request.operator_cf {
                // Not a codice fiscale at all (shape, impossible birth date): the same answer
                // as a region's; a real CF must then be the operator's own.
                Some(Err(_)) => return Err(refuse(Esito::CfOperatoreErrato, &audit)),
                Some(Ok(cf)) if !cf.is(own) => {
                    return Err(refuse(Esito::CfOperatoreDiverso, &audit))
                }
                Some(Ok(_)) | None => {}
            }
            if request.declared_auth.is_some() {
                return Err(refuse(Esito::TipoAutenticazioneNonAmmesso, &audit));
            }
        }
    }
    let otp = request.otp.clone().map_err(|e| {
        let esito = match e {
            OtpError::Length => Esito::OtpLunghezza,
            OtpError::Alphabet => Esito::OtpCaratteri,
            OtpError::CheckCharacter => Esito::OtpControllo,
        };
        refuse(esito, &audit)
    })?;
    let today = backend_zone.today(now);
    let date = request
        .symptom_onset
        .and_then(|day| SymptomOnsetDate::judge(day, today, window_days))
        .map_err(|e| {
            let esito = match e {
                SymptomDateError::Format => Esito::DataFormato,
                SymptomDateError::Future => Esito::DataFutura,
                SymptomDateError::NotYetUpstream => Esito::DataNonAncoraValidaPerImmuni {
                    dalle: backend_zone.next_backend_day_in_rome(now),
                },
                SymptomDateError::TooOld => Esito::DataTroppoVecchia,
            };
            refuse(esito, &audit)
        })?;
    Ok((
        Checked {
            otp,
            date,
            warnings,
        },
        audit,
    ))
}
