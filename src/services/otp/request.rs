//! The typed `InvioOTPRichiesta`: parsed from the (schema-valid) payload and the caller, in the
//! order an operator fixes things — who acts, then the code, then the date. The OTP and the
//! date exist only inside this value; its `Debug` shows neither.

use chrono::{DateTime, Utc};

use super::esiti::Esito;
use crate::domain::codice_fiscale::CfError;
use crate::domain::{CodiceFiscale, Otp, OtpError, SymptomDateError, SymptomOnsetDate};
use crate::identity::Caller;
use crate::immuni::BackendTimeZone;
use crate::services::Audit;
use crate::soap::Element;

/// The strong authentication a region declares for its operator (docs/services/invio-otp.md, from
/// seed 004 Table 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeclaredAuth {
    TwoFactor,
    Cns,
    Cie,
    Spid,
}

impl DeclaredAuth {
    pub fn parse(text: &str) -> Option<DeclaredAuth> {
        match text {
            "2FA" => Some(DeclaredAuth::TwoFactor),
            "CNS" => Some(DeclaredAuth::Cns),
            "CIE" => Some(DeclaredAuth::Cie),
            "SPID" => Some(DeclaredAuth::Spid),
            _ => None,
        }
    }

    /// The spelling of the schema, as the access log keeps it.
    pub fn as_str(self) -> &'static str {
        match self {
            DeclaredAuth::TwoFactor => "2FA",
            DeclaredAuth::Cns => "CNS",
            DeclaredAuth::Cie => "CIE",
            DeclaredAuth::Spid => "SPID",
        }
    }
}

#[derive(Debug)]
pub struct InvioOtpRequest {
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
pub fn parse(
    payload: &Element,
    caller: &Caller,
    now: DateTime<Utc>,
    backend_zone: BackendTimeZone,
    window_days: u32,
) -> Result<(InvioOtpRequest, Audit), Refused> {
    let mut audit = Audit::default();
    let mut warnings = Vec::new();
    let refuse = |esito: Esito, audit: &Audit| Refused {
        esito,
        audit: audit.clone(),
    };
    let cf_text = payload.child_text("cfOperatore");
    let auth_text = payload.child_text("tipoAutenticazione");
    match caller {
        Caller::Region { .. } => {
            let cf = cf_text.ok_or_else(|| refuse(Esito::CfOperatoreMancante, &audit))?;
            let cf = match CodiceFiscale::parse(cf) {
                Ok(cf) => cf.to_string(),
                Err(CfError::CheckCharacter { .. }) => {
                    warnings.push(Esito::AvvisoCfOperatore);
                    cf.trim().to_ascii_uppercase()
                }
                Err(CfError::Shape | CfError::BirthDate) => {
                    return Err(refuse(Esito::CfOperatoreErrato, &audit))
                }
            };
            audit.operator_cf = Some(cf);
            let auth =
                auth_text.ok_or_else(|| refuse(Esito::TipoAutenticazioneMancante, &audit))?;
            let auth = DeclaredAuth::parse(auth)
                .ok_or_else(|| refuse(Esito::TipoAutenticazioneSconosciuto, &audit))?;
            audit.declared_auth = Some(auth.as_str().to_owned());
        }
        Caller::Operator { cf: own, .. } => {
            if let Some(cf) = cf_text {
                // Not a codice fiscale at all (shape, impossible birth date): the same answer
                // as a region's; a real CF must then be the operator's own.
                if matches!(
                    CodiceFiscale::parse(cf),
                    Err(CfError::Shape | CfError::BirthDate)
                ) {
                    return Err(refuse(Esito::CfOperatoreErrato, &audit));
                }
                if !cf.trim().eq_ignore_ascii_case(own.as_str()) {
                    return Err(refuse(Esito::CfOperatoreDiverso, &audit));
                }
            }
            if auth_text.is_some() {
                return Err(refuse(Esito::TipoAutenticazioneNonAmmesso, &audit));
            }
        }
    }
    // Both are schema-required; a missing one reads as empty and fails its own check.
    let otp = Otp::parse(payload.child_text("codiceOTP").unwrap_or_default()).map_err(|e| {
        let esito = match e {
            OtpError::Length => Esito::OtpLunghezza,
            OtpError::Alphabet => Esito::OtpCaratteri,
            OtpError::CheckCharacter => Esito::OtpControllo,
        };
        refuse(esito, &audit)
    })?;
    let date_text = payload.child_text("dataInizioSintomi").unwrap_or_default();
    let today = backend_zone.today(now);
    let date = SymptomOnsetDate::parse(date_text, today, window_days).map_err(|e| {
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
        InvioOtpRequest {
            otp,
            date,
            warnings,
        },
        audit,
    ))
}
