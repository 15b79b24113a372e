//! The business outcome of every operation (docs/conventions.md "Outcomes"): a 4-digit code, its
//! description ("Descrizione esito", seed 003 §3.4, §4.4.2), a list of coded messages, each
//! blocking or a warning, and what the operation answers (its typed payload). Besides what the
//! caller reads, an outcome carries what the access log adds from the request ([`Audit`]) and
//! the data the transaction writes with its entry. Transaction id and date-time are added by
//! whoever records and answers (the SOAP pipeline).

use crate::store::TransactionWrite;

use super::DeclaredAuth;

/// The description of a success, unless the operation says what it did (the words of the
/// web application's outcome page, seed 000; docs/README.md "Sources").
pub const DESCRIZIONE_OK: &str = "Operazione effettuata correttamente";
/// The description of a refusal that carries no blocking message (not expected).
pub const DESCRIZIONE_RIFIUTATO: &str = "Operazione conclusa con esito negativo";

/// The outcome code (`codEsito`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodEsito {
    /// `0000`.
    Ok,
    /// `0001`: done, with warnings.
    OkConAvvisi,
    /// `9999`: refused, with one blocking message.
    Rifiutato,
}

impl CodEsito {
    pub fn code(self) -> &'static str {
        match self {
            CodEsito::Ok => "0000",
            CodEsito::OkConAvvisi => "0001",
            CodEsito::Rifiutato => "9999",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TipoErrore {
    Bloccante,
    Avviso,
}

impl TipoErrore {
    pub fn as_str(self) -> &'static str {
        match self {
            TipoErrore::Bloccante => "Bloccante",
            TipoErrore::Avviso => "Avviso",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Messaggio {
    pub codice: &'static str,
    pub testo: String,
    pub tipo: TipoErrore,
}

/// Access-log fields that only the request can tell (docs/access-log.md, from seed 004 §2.5,
/// seed 003 §3.5): the operator a region acts for, the strong authentication it declares, the
/// titolare a doctor acts for. The CFs are kept as sent (upper-case): a refused, malformed one
/// is logged too. Never application data (an OTP, a date): those are not the log's business.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Audit {
    pub operator_cf: Option<String>,
    pub declared_auth: Option<DeclaredAuth>,
    pub titolare_cf: Option<String>,
}

/// What an operation answers: `payload` is its typed answer (`None` when refused).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome<T = ()> {
    pub esito: CodEsito,
    /// What a success did, in words; `None`: [`DESCRIZIONE_OK`].
    pub descrizione_ok: Option<String>,
    pub messaggi: Vec<Messaggio>,
    pub payload: Option<T>,
    pub audit: Audit,
    /// Data the transaction writes, committed with its access-log entry (group commit).
    pub write: Option<TransactionWrite>,
}

impl<T> Outcome<T> {
    pub fn ok(payload: T) -> Outcome<T> {
        Outcome {
            esito: CodEsito::Ok,
            descrizione_ok: None,
            messaggi: Vec::new(),
            payload: Some(payload),
            audit: Audit::default(),
            write: None,
        }
    }

    /// A refusal (`9999`) with its one blocking message.
    pub fn rejected(codice: &'static str, testo: impl Into<String>) -> Outcome<T> {
        Outcome {
            esito: CodEsito::Rifiutato,
            descrizione_ok: None,
            messaggi: vec![Messaggio {
                codice,
                testo: testo.into(),
                tipo: TipoErrore::Bloccante,
            }],
            payload: None,
            audit: Audit::default(),
            write: None,
        }
    }

    /// The same outcome, saying in words what its success did.
    pub fn with_description(mut self, descrizione: impl Into<String>) -> Outcome<T> {
        self.descrizione_ok = Some(descrizione.into());
        self
    }

    /// The same outcome, with access-log fields taken from the request.
    pub fn with_audit(mut self, audit: Audit) -> Outcome<T> {
        self.audit = audit;
        self
    }

    /// The same outcome, with data to commit together with the access-log entry.
    pub fn with_write(mut self, write: TransactionWrite) -> Outcome<T> {
        self.write = Some(write);
        self
    }

    /// The same outcome, with a warning (`0001` unless already refused).
    pub fn with_warning(mut self, codice: &'static str, testo: impl Into<String>) -> Outcome<T> {
        if self.esito == CodEsito::Ok {
            self.esito = CodEsito::OkConAvvisi;
        }
        self.messaggi.push(Messaggio {
            codice,
            testo: testo.into(),
            tipo: TipoErrore::Avviso,
        });
        self
    }

    /// The same outcome with its payload turned into another form (e.g. the XML of a reply).
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Outcome<U> {
        Outcome {
            esito: self.esito,
            descrizione_ok: self.descrizione_ok,
            messaggi: self.messaggi,
            payload: self.payload.map(f),
            audit: self.audit,
            write: self.write,
        }
    }

    /// "Descrizione esito": what a success did (with a pointer to the warnings, if any), or
    /// why a refusal refused — its blocking message's text.
    pub fn descrizione_esito(&self) -> String {
        let ok = self.descrizione_ok.as_deref().unwrap_or(DESCRIZIONE_OK);
        match self.esito {
            CodEsito::Ok => ok.to_owned(),
            CodEsito::OkConAvvisi => format!("{ok}, con avvisi (vedere ElencoMessaggi)"),
            CodEsito::Rifiutato => self
                .messaggi
                .iter()
                .find(|m| m.tipo == TipoErrore::Bloccante)
                .map_or_else(|| DESCRIZIONE_RIFIUTATO.to_owned(), |m| m.testo.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_outcome_describes_itself() {
        let ok = Outcome::ok(());
        assert_eq!(ok.descrizione_esito(), DESCRIZIONE_OK);
        let told = Outcome::ok(()).with_description("Codice inviato");
        assert_eq!(told.descrizione_esito(), "Codice inviato");
        let warned = told.with_warning("1024", "Carattere di controllo errato");
        assert_eq!(warned.esito, CodEsito::OkConAvvisi);
        assert_eq!(
            warned.descrizione_esito(),
            "Codice inviato, con avvisi (vedere ElencoMessaggi)"
        );
        let refused = Outcome::<()>::rejected("1005", "Il codice fiscale non è valido");
        assert_eq!(
            refused.descrizione_esito(),
            "Il codice fiscale non è valido"
        );
        assert_eq!(
            refused.with_warning("1002", "avviso").esito,
            CodEsito::Rifiutato,
            "a warning never turns a refusal into a success"
        );
    }
}
