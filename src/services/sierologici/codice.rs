//! The message codes of `Sierologici` (docs/services/sierologici.md): one per reason, with the
//! Italian text an operator reads. `1002` and `1015` are warnings that go with a success; every
//! other code refuses (`9999`).

use chrono::NaiveDate;

use crate::domain::{CfError, OperatorCfError};
use crate::services::operator_cf;
use crate::services::{Messaggio, Outcome, TipoErrore};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Codice {
    CfMedicoDiverso,
    /// A warning: `cfMedico`'s check letter should be `expected`.
    CfMedicoCarattereControllo {
        expected: char,
    },
    CfMedicoMalformato(OperatorCfError),
    CfTitolareMalformato,
    CfAssistitoMalformato(CfError),
    TitolareNonMmg {
        titolare: String,
    },
    SostitutoNonAutorizzato {
        doctor: String,
        titolare: String,
    },
    /// `state` says what the substitution is not ("non è in corso oggi", …).
    SostituzioneNonInCorso {
        titolare: String,
        state: &'static str,
        periods: String,
    },
    DataTestFutura {
        test_date: NaiveDate,
    },
    DataTestFuoriSostituzione {
        test_date: NaiveDate,
        periods: String,
    },
    AnnullaTransazioneSconosciuta {
        send_id: String,
        assistito: String,
        titolare: String,
    },
    AnnullaNonMittente {
        send_id: String,
    },
    AnnullaGiaAnnullato {
        send_id: String,
    },
    IntervalloDateInvertito {
        from: NaiveDate,
        to: NaiveDate,
    },
    /// A warning: the patient is not on the titolare's list (the test is still recorded).
    AssistitoFuoriElenco {
        assistito: String,
    },
    /// `field` names the date element.
    DataNonValida {
        field: &'static str,
    },
    TipoAutenticazioneMancante,
    TipoAutenticazioneNonAmmesso,
    MedicoNonDellaRegione {
        doctor: String,
        region: String,
    },
    TitolareNonDellaRegione {
        titolare: String,
        region: String,
    },
    /// The store failed: the request may be retried.
    ServizioNonDisponibile,
}

impl Codice {
    pub fn code(&self) -> &'static str {
        use Codice::*;
        match self {
            CfMedicoDiverso => "1001",
            CfMedicoCarattereControllo { .. } => "1002",
            CfMedicoMalformato(_) => "1003",
            CfTitolareMalformato => "1004",
            CfAssistitoMalformato(_) => "1005",
            TitolareNonMmg { .. } => "1006",
            SostitutoNonAutorizzato { .. } => "1007",
            SostituzioneNonInCorso { .. } => "1008",
            DataTestFutura { .. } => "1009",
            DataTestFuoriSostituzione { .. } => "1010",
            AnnullaTransazioneSconosciuta { .. } => "1011",
            AnnullaNonMittente { .. } => "1012",
            AnnullaGiaAnnullato { .. } => "1013",
            IntervalloDateInvertito { .. } => "1014",
            AssistitoFuoriElenco { .. } => "1015",
            DataNonValida { .. } => "1016",
            TipoAutenticazioneMancante => "1017",
            TipoAutenticazioneNonAmmesso => "1018",
            MedicoNonDellaRegione { .. } => "1019",
            TitolareNonDellaRegione { .. } => "1020",
            ServizioNonDisponibile => "9100",
        }
    }

    pub fn text(&self) -> String {
        use Codice::*;
        match self {
            CfMedicoDiverso => "Il codice fiscale del medico (cfMedico) non corrisponde all'utente autenticato".into(),
            CfMedicoCarattereControllo { expected } => operator_cf::check_character_text("cfMedico", *expected),
            CfMedicoMalformato(error) => operator_cf::malformed_text("cfMedico", *error),
            CfTitolareMalformato => "Il codice fiscale del medico titolare (cfMedicoTitolare) non è valido".into(),
            CfAssistitoMalformato(error) => {
                let why = match error {
                    CfError::Shape => "non è formalmente valido".to_owned(),
                    CfError::BirthDate => {
                        "non è valido: la data di nascita (giorno e mese) non esiste".to_owned()
                    }
                    CfError::CheckCharacter { expected } => {
                        format!("ha il carattere di controllo errato (atteso '{expected}')")
                    }
                };
                format!("Il codice fiscale dell'assistito (cfAssistito) {why}")
            }
            TitolareNonMmg { titolare } => format!("Il medico titolare {titolare} non risulta medico di medicina generale con assistiti in elenco"),
            SostitutoNonAutorizzato { doctor, titolare } => format!("Il medico {doctor} non è autorizzato come sostituto del medico titolare {titolare}"),
            SostituzioneNonInCorso { titolare, state, periods } => format!("La sostituzione del medico titolare {titolare} {state} ({periods})"),
            DataTestFutura { test_date } => format!("La data di esecuzione del test ({test_date}) è successiva alla data odierna"),
            DataTestFuoriSostituzione { test_date, periods } => format!("La data del test ({test_date}) è fuori dal periodo di sostituzione ({periods})"),
            AnnullaTransazioneSconosciuta { send_id, assistito, titolare } => format!("Nessun invio con identificativo {send_id} per l'assistito {assistito} e il medico titolare {titolare}"),
            AnnullaNonMittente { send_id } => format!("L'invio {send_id} è stato effettuato da un altro medico: il sostituto può annullare solo i propri invii"),
            AnnullaGiaAnnullato { send_id } => format!("L'invio {send_id} risulta già annullato"),
            IntervalloDateInvertito { from, to } => format!("La data di inizio ({from}) è successiva alla data di fine ({to})"),
            AssistitoFuoriElenco { assistito } => format!("L'assistito {assistito} non è nell'elenco del medico titolare: il test è registrato come fuori elenco"),
            DataNonValida { field } => format!("La data {field} non è valida"),
            TipoAutenticazioneMancante => "Il tipo di autenticazione del medico (tipoAutenticazione: 2FA, CNS, CIE o SPID) è obbligatorio per le chiamate dei sistemi regionali".into(),
            TipoAutenticazioneNonAmmesso => "Il tipo di autenticazione (tipoAutenticazione) si indica solo nelle chiamate dei sistemi regionali".into(),
            MedicoNonDellaRegione { doctor, region } => format!("Il medico {doctor} non risulta medico di medicina generale della regione {region}"),
            TitolareNonDellaRegione { titolare, region } => format!("Il medico titolare {titolare} non è un medico di medicina generale della regione {region}"),
            ServizioNonDisponibile => "Servizio temporaneamente non disponibile: riprovare più tardi".into(),
        }
    }

    /// This code as a warning that goes with a success.
    pub fn warning(&self) -> Messaggio {
        Messaggio {
            codice: self.code(),
            testo: self.text(),
            tipo: TipoErrore::Avviso,
        }
    }

    /// The refusal (`9999`) this code blocks with.
    pub fn refusal<T>(&self) -> Outcome<T> {
        Outcome::rejected(self.code(), self.text())
    }
}
