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
//! - A patient's CF is checked strictly (shape, birth date, check character): a bad one is
//!   refused.
//!
//! Each refusal has its own message code (the README's table lists them).

use chrono::{NaiveDate, Utc};

use crate::domain::codice_fiscale::CfError;
use crate::domain::CodiceFiscale;
use crate::identity::Caller;
use crate::services::otp::DeclaredAuth;
use crate::services::{Audit, Context, Messaggio, Reply, TipoErrore};
use crate::soap::Element;
use crate::store::{registry::rome_day, StoreError, Substitution};

pub const CF_MEDICO_DIVERSO: &str = "1001";
pub const CF_MEDICO_CARATTERE_CONTROLLO: &str = "1002";
pub const CF_MEDICO_MALFORMATO: &str = "1003";
pub const CF_TITOLARE_MALFORMATO: &str = "1004";
pub const CF_ASSISTITO_MALFORMATO: &str = "1005";
pub const TITOLARE_NON_MMG: &str = "1006";
pub const SOSTITUTO_NON_AUTORIZZATO: &str = "1007";
pub const SOSTITUZIONE_NON_IN_CORSO: &str = "1008";
pub const DATA_TEST_FUTURA: &str = "1009";
pub const DATA_TEST_FUORI_SOSTITUZIONE: &str = "1010";
pub const ANNULLA_TRANSAZIONE_SCONOSCIUTA: &str = "1011";
pub const ANNULLA_NON_MITTENTE: &str = "1012";
pub const ANNULLA_GIA_ANNULLATO: &str = "1013";
pub const INTERVALLO_DATE_INVERTITO: &str = "1014";
pub const ASSISTITO_FUORI_ELENCO: &str = "1015";
pub const DATA_NON_VALIDA: &str = "1016";
pub const TIPO_AUTENTICAZIONE_MANCANTE: &str = "1017";
pub const TIPO_AUTENTICAZIONE_NON_AMMESSO: &str = "1018";
pub const MEDICO_NON_DELLA_REGIONE: &str = "1019";
pub const TITOLARE_NON_DELLA_REGIONE: &str = "1020";
pub const SERVIZIO_NON_DISPONIBILE: &str = "9100";

/// A blocking outcome: the message of a `9999` reply. Small, so `Result`s that carry it stay
/// cheap; it becomes a [`Reply`] at the end of the handler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub codice: &'static str,
    pub testo: String,
}

impl Refusal {
    pub fn new(codice: &'static str, testo: impl Into<String>) -> Refusal {
        Refusal {
            codice,
            testo: testo.into(),
        }
    }
}

impl From<Refusal> for Reply {
    fn from(refusal: Refusal) -> Reply {
        Reply::rejected(refusal.codice, refusal.testo)
    }
}

/// Who acts, for whom, and the warnings met on the way.
#[derive(Debug, Clone)]
pub struct Acting {
    /// The doctor doing the operation (normalised CF).
    pub doctor: String,
    pub titolare: String,
    /// The authorisations that let `doctor` act for `titolare`; empty when they are the same.
    pub substitutions: Vec<Substitution>,
    pub warnings: Vec<Messaggio>,
}

impl Acting {
    pub fn as_substitute(&self) -> bool {
        self.doctor != self.titolare
    }

    /// A reply with the warnings collected so far added to `reply`.
    pub fn finish(&self, mut reply: Reply) -> Reply {
        for w in &self.warnings {
            reply = reply.with_warning(w.codice, w.testo.clone());
        }
        reply
    }
}

/// Today in Europe/Rome, the calendar the doctors' dates are in.
pub fn today() -> NaiveDate {
    rome_day(Utc::now())
}

/// The access-log fields the body adds: the titolare, and a region's operator and the
/// authentication it declares for them.
fn audit(ctx: &Context<'_>, payload: &Element) -> Audit {
    let upper = |name: &str| payload.child_text(name).map(str::to_ascii_uppercase);
    let (operator_cf, declared_auth) = match ctx.caller {
        Caller::Region { .. } => (upper("cfMedico"), declared_auth(payload)),
        Caller::Operator { .. } => (None, None),
    };
    Audit {
        operator_cf,
        declared_auth: declared_auth.map(|auth| auth.as_str().to_owned()),
        titolare_cf: upper("cfMedicoTitolare"),
    }
}

/// The strong authentication a region declares for its operator (`tipoAutenticazione`).
pub fn declared_auth(payload: &Element) -> Option<DeclaredAuth> {
    payload
        .child_text("tipoAutenticazione")
        .and_then(DeclaredAuth::parse)
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

/// The reply every operation sends: its answer, or its refusal, with the access-log fields of
/// [`audit`].
pub fn answer(ctx: &Context<'_>, payload: &Element, handled: Result<Reply, Refusal>) -> Reply {
    handled
        .unwrap_or_else(Reply::from)
        .with_audit(audit(ctx, payload))
}

/// Applies the common rules; the `Err` is the reply to send.
pub async fn acting(
    ctx: &Context<'_>,
    payload: &Element,
    today: NaiveDate,
    need: Need,
) -> Result<Acting, Refusal> {
    let mut warnings = Vec::new();
    let (doctor, warning) = operator_cf(
        payload.child_text("cfMedico").unwrap_or(""),
        "cfMedico",
        CF_MEDICO_CODES,
    )?;
    warnings.extend(warning);
    let region = match ctx.caller {
        Caller::Operator { cf, .. } => {
            if !cf.as_str().eq_ignore_ascii_case(&doctor) {
                return Err(Refusal::new(
                    CF_MEDICO_DIVERSO,
                    "Il codice fiscale del medico (cfMedico) non corrisponde all'utente autenticato",
                ));
            }
            if payload.child_text("tipoAutenticazione").is_some() {
                return Err(Refusal::new(
                    TIPO_AUTENTICAZIONE_NON_AMMESSO,
                    "Il tipo di autenticazione (tipoAutenticazione) si indica solo nelle chiamate dei sistemi regionali",
                ));
            }
            None
        }
        Caller::Region { code, .. } => {
            if declared_auth(payload).is_none() {
                return Err(Refusal::new(
                    TIPO_AUTENTICAZIONE_MANCANTE,
                    "Il tipo di autenticazione del medico (tipoAutenticazione: 2FA, CNS, CIE o SPID) è obbligatorio per le chiamate dei sistemi regionali",
                ));
            }
            Some(code.to_string())
        }
    };
    let titolare_text = payload
        .child_text("cfMedicoTitolare")
        .unwrap_or("")
        .to_ascii_uppercase();
    let titolare = if titolare_text == doctor {
        doctor.clone()
    } else {
        CodiceFiscale::parse(&titolare_text)
            .map_err(|_| {
                Refusal::new(
                    CF_TITOLARE_MALFORMATO,
                    "Il codice fiscale del medico titolare (cfMedicoTitolare) non è valido",
                )
            })?
            .to_string()
    };
    let store = ctx.app.store.as_ref();
    let Some(titolare_mmg) = store
        .registry()
        .find_mmg(&titolare)
        .await
        .map_err(unavailable)?
    else {
        return Err(Refusal::new(
            TITOLARE_NON_MMG,
            format!("Il medico titolare {titolare} non risulta medico di medicina generale con assistiti in elenco"),
        ));
    };
    if let Some(region) = &region {
        let doctor_region = if doctor == titolare {
            Some(titolare_mmg.region_code.clone())
        } else {
            store
                .registry()
                .find_mmg(&doctor)
                .await
                .map_err(unavailable)?
                .map(|mmg| mmg.region_code)
        };
        if doctor_region.as_ref() != Some(region) {
            return Err(Refusal::new(
                MEDICO_NON_DELLA_REGIONE,
                format!("Il medico {doctor} non risulta medico di medicina generale della regione {region}"),
            ));
        }
        if &titolare_mmg.region_code != region {
            return Err(Refusal::new(
                TITOLARE_NON_DELLA_REGIONE,
                format!("Il medico titolare {titolare} non è un medico di medicina generale della regione {region}"),
            ));
        }
    }
    let substitutions = if titolare == doctor {
        Vec::new()
    } else {
        let authorised = store
            .registry()
            .substitutions(&titolare, Some(&doctor))
            .await
            .map_err(unavailable)?;
        if authorised.is_empty() {
            return Err(Refusal::new(
                SOSTITUTO_NON_AUTORIZZATO,
                format!("Il medico {doctor} non è autorizzato come sostituto del medico titolare {titolare}"),
            ));
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
            return Err(Refusal::new(
                SOSTITUZIONE_NON_IN_CORSO,
                format!(
                    "La sostituzione del medico titolare {titolare} {state} ({})",
                    periods(&authorised)
                ),
            ));
        }
        authorised
    };
    Ok(Acting {
        doctor,
        titolare,
        substitutions,
        warnings,
    })
}

/// The codes a service gives the two faults of an operator's own CF.
#[derive(Debug, Clone, Copy)]
pub struct OperatorCfCodes {
    /// The warning for a wrong check character.
    pub check_character: &'static str,
    /// The refusal for anything else.
    pub malformed: &'static str,
}

/// The serology services' codes for `cfMedico`.
pub const CF_MEDICO_CODES: OperatorCfCodes = OperatorCfCodes {
    check_character: CF_MEDICO_CARATTERE_CONTROLLO,
    malformed: CF_MEDICO_MALFORMATO,
};

/// The operator's own CF (docs/conventions.md): a wrong check character is a warning, any other
/// fault blocking — an impossible birth date too, even when the check letter is also wrong (the
/// date is judged first). `field` names the element in the messages.
pub fn operator_cf(
    text: &str,
    field: &str,
    codes: OperatorCfCodes,
) -> Result<(String, Option<Messaggio>), Refusal> {
    let upper = text.trim().to_ascii_uppercase();
    match CodiceFiscale::parse(&upper) {
        Ok(cf) => Ok((cf.to_string(), None)),
        Err(CfError::CheckCharacter { expected }) => Ok((
            upper,
            Some(Messaggio {
                codice: codes.check_character,
                testo: format!("Il carattere di controllo del codice fiscale ({field}) è errato: atteso '{expected}'"),
                tipo: TipoErrore::Avviso,
            }),
        )),
        Err(CfError::Shape) => Err(Refusal::new(
            codes.malformed,
            format!("Il codice fiscale dell'operatore ({field}) non è formalmente valido"),
        )),
        Err(CfError::BirthDate) => Err(Refusal::new(
            codes.malformed,
            format!("Il codice fiscale dell'operatore ({field}) non è valido: la data di nascita (giorno e mese) non esiste"),
        )),
    }
}

/// The patient's CF, strictly.
pub fn assistito_cf(payload: &Element) -> Result<String, Refusal> {
    let text = payload.child_text("cfAssistito").unwrap_or("");
    CodiceFiscale::parse(text)
        .map(|cf| cf.to_string())
        .map_err(|e| {
            let why = match e {
                CfError::Shape => "non è formalmente valido".to_owned(),
                CfError::BirthDate => {
                    "non è valido: la data di nascita (giorno e mese) non esiste".to_owned()
                }
                CfError::CheckCharacter { expected } => {
                    format!("ha il carattere di controllo errato (atteso '{expected}')")
                }
            };
            Refusal::new(
                CF_ASSISTITO_MALFORMATO,
                format!("Il codice fiscale dell'assistito (cfAssistito) {why}"),
            )
        })
}

/// A schema-valid `tipi:Data` element.
pub fn date(payload: &Element, name: &str) -> Result<NaiveDate, Refusal> {
    payload
        .child_text(name)
        .and_then(|t| NaiveDate::parse_from_str(t, "%Y-%m-%d").ok())
        .ok_or_else(|| Refusal::new(DATA_NON_VALIDA, format!("La data {name} non è valida")))
}

/// A store failure: the request is refused, and may be retried.
pub fn unavailable(error: StoreError) -> Refusal {
    tracing::error!(%error, "registry unavailable");
    Refusal::new(
        SERVIZIO_NON_DISPONIBILE,
        "Servizio temporaneamente non disponibile: riprovare più tardi",
    )
}

/// `dal 2020-09-01 al 2020-09-30; …` for messages.
pub fn periods(substitutions: &[Substitution]) -> String {
    substitutions
        .iter()
        .map(|s| format!("dal {} al {}", s.from, s.to))
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_cf_warns_on_the_check_letter_only() {
        assert!(matches!(
            operator_cf("RSSMRA80A01H501U", "cfMedico", CF_MEDICO_CODES),
            Ok((_, None))
        ));
        match operator_cf("rssmra80a01h501x", "cfMedico", CF_MEDICO_CODES) {
            Ok((cf, Some(m))) => {
                assert_eq!(cf, "RSSMRA80A01H501X");
                assert_eq!(
                    (m.codice, m.tipo),
                    (CF_MEDICO_CARATTERE_CONTROLLO, TipoErrore::Avviso)
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            operator_cf("RSSMRA80A01H50", "cfMedico", CF_MEDICO_CODES),
            Err(Refusal {
                codice: CF_MEDICO_MALFORMATO,
                ..
            })
        ));
    }

    /// `RSSMRA80B30H501` is 30 February: refused however its check letter reads, where a wrong
    /// check letter alone would be a warning.
    #[test]
    fn an_impossible_birth_date_blocks_the_operator_even_with_a_wrong_check_letter() {
        for letter in 'A'..='Z' {
            let cf = format!("RSSMRA80B30H501{letter}");
            assert!(
                matches!(
                    operator_cf(&cf, "cfMedico", CF_MEDICO_CODES),
                    Err(Refusal {
                        codice: CF_MEDICO_MALFORMATO,
                        ..
                    })
                ),
                "{cf}"
            );
        }
    }
}
