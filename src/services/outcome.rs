//! The business outcome every reply carries (docs/conventions.md "Outcomes"): a 4-digit code, its
//! description ("Descrizione esito", seed 003 §3.4, §4.4.2) and a list of coded messages, each
//! blocking or a warning. Transaction id and date-time are added by the pipeline, which owns
//! them.

use std::fmt::Write;

use crate::soap::xml::{escape_attribute, leaf};
use crate::store::TransactionWrite;

pub const TIPI_NS: &str = "urn:tsgate:ws:tipi";

pub const ESITO_OK: &str = "0000";
pub const ESITO_OK_CON_AVVISI: &str = "0001";
pub const ESITO_RIFIUTATO: &str = "9999";

/// The description of a success, unless the operation says what it did (the words of the
/// web application's outcome page, seed 000; docs/README.md "Sources").
pub const DESCRIZIONE_OK: &str = "Operazione effettuata correttamente";
/// The description of a refusal that carries no blocking message (not expected).
pub const DESCRIZIONE_RIFIUTATO: &str = "Operazione conclusa con esito negativo";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TipoErrore {
    Bloccante,
    Avviso,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Messaggio {
    pub codice: &'static str,
    pub testo: String,
    pub tipo: TipoErrore,
}

/// A handler's answer: outcome code, messages, and the operation-specific elements that follow
/// them in the response root (already serialised, with the `ric:` prefix).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub cod_esito: &'static str,
    /// What a success did, in words; `None`: [`DESCRIZIONE_OK`].
    pub descrizione_ok: Option<String>,
    pub messaggi: Vec<Messaggio>,
    pub body: String,
    /// What the request body adds to the access-log entry (boxed: most replies carry none,
    /// and a `Reply` travels by value through `Result`s).
    pub audit: Option<Box<Audit>>,
    /// Data the transaction writes, committed with its access-log entry (group commit).
    pub write: Option<Box<TransactionWrite>>,
}

/// Access-log fields that only the request body can tell (docs/access-log.md, from seed 004 §2.5,
/// seed 003 §3.5): the operator a region acts for, the strong authentication it declares, the
/// titolare a doctor acts for. Never application data (an OTP, a date): those are not the log's
/// business.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Audit {
    pub operator_cf: Option<String>,
    pub declared_auth: Option<String>,
    pub titolare_cf: Option<String>,
}

impl Reply {
    pub fn ok(body: String) -> Reply {
        Reply {
            cod_esito: ESITO_OK,
            descrizione_ok: None,
            messaggi: Vec::new(),
            body,
            audit: None,
            write: None,
        }
    }

    pub fn rejected(codice: &'static str, testo: impl Into<String>) -> Reply {
        Reply {
            cod_esito: ESITO_RIFIUTATO,
            descrizione_ok: None,
            messaggi: vec![Messaggio {
                codice,
                testo: testo.into(),
                tipo: TipoErrore::Bloccante,
            }],
            body: String::new(),
            audit: None,
            write: None,
        }
    }

    /// The same reply, saying in words what its success did.
    pub fn with_description(mut self, descrizione: impl Into<String>) -> Reply {
        self.descrizione_ok = Some(descrizione.into());
        self
    }

    /// "Descrizione esito": what a success did (with a pointer to the warnings, if any), or
    /// why a refusal refused — its blocking message's text.
    pub fn descrizione_esito(&self) -> String {
        let ok = self.descrizione_ok.as_deref().unwrap_or(DESCRIZIONE_OK);
        match self.cod_esito {
            ESITO_OK => ok.to_owned(),
            ESITO_OK_CON_AVVISI => format!("{ok}, con avvisi (vedere ElencoMessaggi)"),
            _ => self
                .messaggi
                .iter()
                .find(|m| m.tipo == TipoErrore::Bloccante)
                .map_or_else(|| DESCRIZIONE_RIFIUTATO.to_owned(), |m| m.testo.clone()),
        }
    }

    /// The same reply, with access-log fields taken from the request.
    pub fn with_audit(mut self, audit: Audit) -> Reply {
        self.audit = Some(Box::new(audit));
        self
    }

    /// The same reply, with data to commit together with the access-log entry.
    pub fn with_write(mut self, write: TransactionWrite) -> Reply {
        self.write = Some(Box::new(write));
        self
    }

    /// The same reply, with a warning (`0001` unless already rejected).
    pub fn with_warning(mut self, codice: &'static str, testo: impl Into<String>) -> Reply {
        if self.cod_esito == ESITO_OK {
            self.cod_esito = ESITO_OK_CON_AVVISI;
        }
        self.messaggi.push(Messaggio {
            codice,
            testo: testo.into(),
            tipo: TipoErrore::Avviso,
        });
        self
    }

    /// The response root element in namespace `ns`, with the common header fields first.
    pub fn to_xml(&self, response: (&str, &str), transaction_id: &str, date_time: &str) -> String {
        let (ns, root) = response;
        let mut out = String::with_capacity(512 + self.body.len());
        let _ = write!(
            out,
            "<ric:{root} xmlns:ric=\"{}\" xmlns:tipi=\"{TIPI_NS}\">",
            escape_attribute(ns)
        );
        leaf(&mut out, "ric", "idTransazione", transaction_id);
        leaf(&mut out, "ric", "dataOra", date_time);
        leaf(&mut out, "ric", "codEsito", self.cod_esito);
        leaf(
            &mut out,
            "ric",
            "descrizioneEsito",
            &self.descrizione_esito(),
        );
        if !self.messaggi.is_empty() {
            out.push_str("<ric:ElencoMessaggi>");
            for m in &self.messaggi {
                out.push_str("<tipi:Messaggio>");
                leaf(&mut out, "tipi", "codEsito", m.codice);
                leaf(&mut out, "tipi", "esito", &m.testo);
                let tipo = match m.tipo {
                    TipoErrore::Bloccante => "Bloccante",
                    TipoErrore::Avviso => "Avviso",
                };
                leaf(&mut out, "tipi", "tipoErrore", tipo);
                out.push_str("</tipi:Messaggio>");
            }
            out.push_str("</ric:ElencoMessaggi>");
        }
        out.push_str(&self.body);
        let _ = write!(out, "</ric:{root}>");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn descrizione(reply: &Reply) -> String {
        let xml = reply.to_xml(("urn:x", "ProvaRicevuta"), "1", "2026-11-30 10:00:00.000");
        let from = xml.find("<ric:descrizioneEsito>").map_or(0, |i| i + 22);
        let to = xml.find("</ric:descrizioneEsito>").unwrap_or(from);
        xml[from..to].to_owned()
    }

    #[test]
    fn every_outcome_has_its_description_right_after_the_code() {
        let ok = Reply::ok(String::new());
        assert_eq!(descrizione(&ok), DESCRIZIONE_OK);
        let xml = ok.to_xml(("urn:x", "R"), "1", "t");
        assert!(
            xml.contains("<ric:codEsito>0000</ric:codEsito><ric:descrizioneEsito>"),
            "{xml}"
        );
        let told = Reply::ok(String::new()).with_description("Codice inviato");
        assert_eq!(descrizione(&told), "Codice inviato");
        let warned = told.with_warning("1024", "Carattere di controllo errato");
        assert_eq!(
            descrizione(&warned),
            "Codice inviato, con avvisi (vedere ElencoMessaggi)"
        );
        let refused = Reply::rejected("1005", "Il codice fiscale dell'assistito <x> non è valido");
        assert_eq!(
            descrizione(&refused),
            "Il codice fiscale dell'assistito &lt;x&gt; non è valido",
            "escaped like any text"
        );
    }
}
