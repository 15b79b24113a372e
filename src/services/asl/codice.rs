//! The message codes of `ASL` (docs/services/asl.md): one per reason, with the Italian text an
//! operator reads. `2002` is a warning that goes with a success; every other code refuses.

use chrono::NaiveDate;

use crate::domain::OperatorCfError;
use crate::services::operator_cf;
use crate::services::Outcome;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Codice {
    CfOperatoreDiverso,
    /// A warning: `cfOperatore`'s check letter should be `expected`.
    CfOperatoreCarattereControllo {
        expected: char,
    },
    CfOperatoreMalformato(OperatorCfError),
    /// `dataTest` is not a date (same code as a future one).
    DataTestNonValida,
    DataTestFutura {
        test_date: NaiveDate,
    },
    /// An operator registered without an ASL.
    OperatoreSenzaAsl,
    /// A region's request without `codASL` (same code as [`Codice::OperatoreSenzaAsl`]).
    CodAslMancante,
    NumeroNonValido,
    TipoAutenticazioneMancante,
    TipoAutenticazioneNonAmmesso,
    AslNonDellaRegione {
        asl: String,
        region: String,
    },
    /// The store failed: the request may be retried.
    ServizioNonDisponibile,
}

impl Codice {
    pub fn code(&self) -> &'static str {
        use Codice::*;
        match self {
            CfOperatoreDiverso => "2001",
            CfOperatoreCarattereControllo { .. } => "2002",
            CfOperatoreMalformato(_) => "2003",
            DataTestNonValida | DataTestFutura { .. } => "2004",
            OperatoreSenzaAsl | CodAslMancante => "2005",
            NumeroNonValido => "2006",
            TipoAutenticazioneMancante => "2007",
            TipoAutenticazioneNonAmmesso => "2008",
            AslNonDellaRegione { .. } => "2009",
            ServizioNonDisponibile => "9100",
        }
    }

    pub fn text(&self) -> String {
        use Codice::*;
        match self {
            CfOperatoreDiverso => "Il codice fiscale dell'operatore (cfOperatore) non corrisponde all'utente autenticato".into(),
            CfOperatoreCarattereControllo { expected } => operator_cf::check_character_text("cfOperatore", *expected),
            CfOperatoreMalformato(error) => operator_cf::malformed_text("cfOperatore", *error),
            DataTestNonValida => "La data dataTest non è valida".into(),
            DataTestFutura { test_date } => format!("La data dei test ({test_date}) è successiva alla data odierna"),
            OperatoreSenzaAsl => "L'operatore non risulta associato ad una ASL".into(),
            CodAslMancante => "Per i sistemi regionali il codice della ASL (codASL) è obbligatorio".into(),
            NumeroNonValido => "Il numero di test (numeroTest) non è valido".into(),
            TipoAutenticazioneMancante => "Il tipo di autenticazione dell'operatore (tipoAutenticazione: 2FA, CNS, CIE o SPID) è obbligatorio per le chiamate dei sistemi regionali".into(),
            TipoAutenticazioneNonAmmesso => "Il tipo di autenticazione (tipoAutenticazione) si indica solo nelle chiamate dei sistemi regionali".into(),
            AslNonDellaRegione { asl, region } => format!("La ASL {asl} non risulta tra le ASL della regione {region}"),
            ServizioNonDisponibile => "Servizio temporaneamente non disponibile: riprovare più tardi".into(),
        }
    }

    /// The refusal (`9999`) this code blocks with.
    pub fn refusal<T>(&self) -> Outcome<T> {
        Outcome::rejected(self.code(), self.text())
    }
}
