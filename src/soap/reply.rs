//! The response root element of an answered operation: the outcome's header fields (transaction
//! id, date-time, code, description, messages), then the operation's own elements.

use std::fmt::Write;

use super::xml::{escape_attribute, leaf};
use crate::services::Outcome;

pub const TIPI_NS: &str = "urn:tsgate:ws:tipi";

/// `outcome`'s payload is the operation's elements, already serialised with the `ric:` prefix.
pub fn to_xml(
    outcome: &Outcome<String>,
    response: (&str, &str),
    transaction_id: &str,
    date_time: &str,
) -> String {
    let (ns, root) = response;
    let body = outcome.payload.as_deref().unwrap_or_default();
    let mut out = String::with_capacity(512 + body.len());
    let _ = write!(
        out,
        "<ric:{root} xmlns:ric=\"{}\" xmlns:tipi=\"{TIPI_NS}\">",
        escape_attribute(ns)
    );
    leaf(&mut out, "ric", "idTransazione", transaction_id);
    leaf(&mut out, "ric", "dataOra", date_time);
    leaf(&mut out, "ric", "codEsito", outcome.esito.code());
    leaf(
        &mut out,
        "ric",
        "descrizioneEsito",
        &outcome.descrizione_esito(),
    );
    if !outcome.messaggi.is_empty() {
        out.push_str("<ric:ElencoMessaggi>");
        for m in &outcome.messaggi {
            out.push_str("<tipi:Messaggio>");
            leaf(&mut out, "tipi", "codEsito", m.codice);
            leaf(&mut out, "tipi", "esito", &m.testo);
            leaf(&mut out, "tipi", "tipoErrore", m.tipo.as_str());
            out.push_str("</tipi:Messaggio>");
        }
        out.push_str("</ric:ElencoMessaggi>");
    }
    out.push_str(body);
    let _ = write!(out, "</ric:{root}>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::outcome::DESCRIZIONE_OK;

    fn descrizione(outcome: &Outcome<String>) -> String {
        let xml = to_xml(
            outcome,
            ("urn:x", "ProvaRicevuta"),
            "1",
            "2026-11-30 10:00:00.000",
        );
        let from = xml.find("<ric:descrizioneEsito>").map_or(0, |i| i + 22);
        let to = xml.find("</ric:descrizioneEsito>").unwrap_or(from);
        xml[from..to].to_owned()
    }

    #[test]
    fn every_outcome_has_its_description_right_after_the_code() {
        let ok = Outcome::ok(String::new());
        assert_eq!(descrizione(&ok), DESCRIZIONE_OK);
        let xml = to_xml(&ok, ("urn:x", "R"), "1", "t");
        assert!(
            xml.contains("<ric:codEsito>0000</ric:codEsito><ric:descrizioneEsito>"),
            "{xml}"
        );
        let told = Outcome::ok(String::new()).with_description("Codice inviato");
        assert_eq!(descrizione(&told), "Codice inviato");
        let warned = told.with_warning("1024", "Carattere di controllo errato");
        assert_eq!(
            descrizione(&warned),
            "Codice inviato, con avvisi (vedere ElencoMessaggi)"
        );
        let refused =
            Outcome::rejected("1005", "Il codice fiscale dell'assistito <x> non è valido");
        assert_eq!(
            descrizione(&refused),
            "Il codice fiscale dell'assistito &lt;x&gt; non è valido",
            "escaped like any text"
        );
    }
}
