//! The outcomes of `InvioOTP`: one 4-digit message code per reason, with Italian text an
//! operator understands. `0000` is the only success. Texts never contain the OTP or the date.

use chrono::NaiveTime;

use crate::immuni::Upload;
use crate::services::Outcome;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Esito {
    // --- checks before upstream: nothing was sent
    OtpLunghezza,
    OtpCaratteri,
    OtpControllo,
    DataFormato,
    DataFutura,
    DataTroppoVecchia,
    /// Rome's today, not yet begun for the backend; its day begins at `dalle` (Rome time).
    DataNonAncoraValidaPerImmuni {
        dalle: NaiveTime,
    },
    CfOperatoreMancante,
    CfOperatoreErrato,
    CfOperatoreDiverso,
    TipoAutenticazioneMancante,
    TipoAutenticazioneNonAmmesso,
    TipoAutenticazioneSconosciuto,
    // --- a warning that goes with a success (docs/conventions.md: a bad check letter on the
    // operator's own CF is not blocking)
    AvvisoCfOperatore,
    // --- the Immuni backend's answer
    Inviato,
    GiaAutorizzato,
    RifiutatoDaImmuni,
    ImmuniNonDisponibile,
    ImmuniNonRaggiungibile,
    ImmuniOccupato,
    ImmuniTimeout,
    ImmuniRispostaInattesa,
}

impl Esito {
    pub fn code(self) -> &'static str {
        use Esito::*;
        match self {
            Inviato => "0000",
            OtpLunghezza => "1001",
            OtpCaratteri => "1002",
            OtpControllo => "1003",
            DataFormato => "1011",
            DataFutura => "1012",
            DataTroppoVecchia => "1013",
            DataNonAncoraValidaPerImmuni { .. } => "1014",
            CfOperatoreMancante => "1021",
            CfOperatoreErrato => "1022",
            CfOperatoreDiverso => "1023",
            TipoAutenticazioneMancante => "1031",
            TipoAutenticazioneNonAmmesso => "1032",
            TipoAutenticazioneSconosciuto => "1033",
            AvvisoCfOperatore => "1024",
            GiaAutorizzato => "2001",
            RifiutatoDaImmuni => "2002",
            ImmuniNonDisponibile => "2003",
            ImmuniNonRaggiungibile => "2004",
            ImmuniOccupato => "2005",
            ImmuniTimeout => "2006",
            ImmuniRispostaInattesa => "2007",
        }
    }

    /// The text for the operator; `window_days` fills the date-window message.
    pub fn text(self, window_days: u32) -> String {
        use Esito::*;
        match self {
            Inviato => "Codice OTP inviato correttamente al sistema Immuni".into(),
            OtpLunghezza => "Il codice OTP deve essere di 10 caratteri (separatori e spazi esclusi)".into(),
            OtpCaratteri => "Il codice OTP contiene caratteri non ammessi: sono validi solo A E F H I J K L Q R S U W X Y Z e le cifre da 1 a 9".into(),
            OtpControllo => "Il codice OTP non è corretto (carattere di controllo errato): verificare di averlo trascritto esattamente".into(),
            DataFormato => "La data di inizio sintomi non è valida: usare il formato aaaa-mm-gg".into(),
            DataFutura => "La data di inizio sintomi non può essere successiva alla data odierna".into(),
            DataTroppoVecchia => format!("La data di inizio sintomi non può essere anteriore di oltre {window_days} giorni alla data odierna"),
            DataNonAncoraValidaPerImmuni { dalle } => format!("Per il sistema Immuni la giornata di oggi non è ancora iniziata: il codice OTP non è stato inviato. Ripetere l'invio con la stessa data dopo le ore {} (ora italiana)", dalle.format("%H:%M")),
            CfOperatoreMancante => "Il codice fiscale dell'operatore (cfOperatore) è obbligatorio per le chiamate dei sistemi regionali".into(),
            CfOperatoreErrato => "Il codice fiscale dell'operatore (cfOperatore) non è valido".into(),
            CfOperatoreDiverso => "Il codice fiscale dell'operatore (cfOperatore) non corrisponde all'utente autenticato".into(),
            TipoAutenticazioneMancante => "Il tipo di autenticazione dell'operatore (tipoAutenticazione) è obbligatorio per le chiamate dei sistemi regionali".into(),
            TipoAutenticazioneNonAmmesso => "Il tipo di autenticazione (tipoAutenticazione) si indica solo nelle chiamate dei sistemi regionali".into(),
            TipoAutenticazioneSconosciuto => "Tipo di autenticazione non riconosciuto: valori ammessi 2FA, CNS, CIE, SPID".into(),
            AvvisoCfOperatore => "Il carattere di controllo del codice fiscale dell'operatore (cfOperatore) non è corretto".into(),
            GiaAutorizzato => "Codice OTP già autorizzato: è stato già inviato ed è ancora valido".into(),
            RifiutatoDaImmuni => "Il sistema Immuni ha rifiutato la richiesta (codice OTP o data non accettati)".into(),
            ImmuniNonDisponibile => "Il sistema Immuni non è al momento disponibile: il codice OTP non è stato registrato, riprovare più tardi".into(),
            ImmuniNonRaggiungibile => "Il sistema Immuni non è raggiungibile: il codice OTP non è stato inviato, riprovare più tardi".into(),
            ImmuniOccupato => "Il sistema Immuni è sovraccarico: il codice OTP non è stato inviato, riprovare più tardi".into(),
            ImmuniTimeout => "Il sistema Immuni non ha risposto in tempo: l'esito dell'invio è incerto. Prima di ripetere l'invio verificare con il cittadino se l'app Immuni ha ricevuto la conferma".into(),
            ImmuniRispostaInattesa => "Il sistema Immuni ha dato una risposta non prevista: l'esito dell'invio è incerto. Prima di ripetere l'invio verificare con il cittadino se l'app Immuni ha ricevuto la conferma".into(),
        }
    }

    pub fn from_upload(upload: Upload) -> Esito {
        match upload {
            Upload::Stored => Esito::Inviato,
            Upload::AlreadyAuthorized => Esito::GiaAutorizzato,
            Upload::Rejected => Esito::RifiutatoDaImmuni,
            Upload::Unavailable => Esito::ImmuniNonDisponibile,
            Upload::Unreachable => Esito::ImmuniNonRaggiungibile,
            Upload::Busy => Esito::ImmuniOccupato,
            Upload::TimedOut => Esito::ImmuniTimeout,
            Upload::Unexpected => Esito::ImmuniRispostaInattesa,
        }
    }

    /// The outcome: `0000` (`0001` with warnings) on success, else `9999` with one blocking
    /// message.
    pub fn outcome(self, window_days: u32, warnings: &[Esito]) -> Outcome {
        if self != Esito::Inviato {
            return Outcome::rejected(self.code(), self.text(window_days));
        }
        warnings.iter().fold(
            Outcome::ok(()).with_description(self.text(window_days)),
            |outcome, warning| outcome.with_warning(warning.code(), warning.text(window_days)),
        )
    }
}
