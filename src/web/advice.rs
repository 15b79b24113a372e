//! What an operator can do about each message code a doctor's or an ASL page may show: the
//! code's own text says what is wrong (the same as on SOAP), this says, in Italian, what to do.
//! The codes are the services' (docs/services/sierologici.md, docs/services/asl.md).

/// Advice for a `Sierologici` message code.
pub fn sierologici(code: &str) -> Option<&'static str> {
    Some(match code {
        "1001" => "Le operazioni sono registrate a nome dell'utente collegato: uscire e accedere con le proprie credenziali.",
        "1002" => "Avviso: l'operazione è stata eseguita. Segnalare il codice fiscale all'amministratore di sicurezza perché venga corretto.",
        "1003" => "Il codice fiscale dell'utenza non è valido: rivolgersi all'amministratore di sicurezza della propria ASL.",
        "1004" => "Scegliere di nuovo il medico titolare per cui si opera nella pagina «Test sierologici».",
        "1005" => "Controllare il codice fiscale dell'assistito: 16 caratteri, come riportato sulla tessera sanitaria.",
        "1006" => "Il medico titolare non ha assistiti del personale scolastico: se si opera come sostituto, scegliere il medico titolare nella pagina «Test sierologici».",
        "1007" => "Il medico titolare deve prima autorizzare la sostituzione dalla propria pagina «Sostituti».",
        "1008" => "Fuori dal periodo di sostituzione si possono solo consultare e annullare i test inviati; per inviarne di nuovi il medico titolare deve autorizzare un nuovo periodo.",
        "1009" => "Indicare la data in cui il test è stato eseguito: non può essere successiva a oggi.",
        "1010" => "Il sostituto può inviare solo test eseguiti nel periodo di sostituzione autorizzato.",
        "1011" => "Controllare l'identificativo dell'invio e il codice fiscale dell'assistito nell'elenco dei test inviati.",
        "1012" => "Il sostituto può annullare solo i test che ha inviato: per gli altri rivolgersi al medico titolare.",
        "1013" => "Il test è già stato annullato: non serve altro.",
        "1014" => "La data di inizio del periodo deve precedere (o coincidere con) la data di fine.",
        "1015" => "Avviso: il test è stato registrato; l'assistito non è nell'elenco del personale scolastico del medico titolare.",
        "1016" => "Indicare la data nel formato gg/mm/aaaa (oppure aaaa-mm-gg).",
        "9001" => "L'utenza non ha il profilo richiesto: rivolgersi all'amministratore di sicurezza della propria ASL.",
        "9100" => "Il servizio non è al momento disponibile: nessun dato è stato registrato, riprovare più tardi.",
        _ => return None,
    })
}

/// Advice for an `ASL` message code.
pub fn asl(code: &str) -> Option<&'static str> {
    Some(match code {
        "2001" => "Le operazioni sono registrate a nome dell'utente collegato: uscire e accedere con le proprie credenziali.",
        "2002" => "Avviso: l'operazione è stata eseguita. Segnalare il codice fiscale all'amministratore di sicurezza perché venga corretto.",
        "2003" => "Il codice fiscale dell'utenza non è valido: rivolgersi all'amministratore di sicurezza della propria ASL.",
        "2004" => "Indicare la data in cui i test sono stati eseguiti (gg/mm/aaaa): non può essere successiva a oggi.",
        "2005" => "L'utenza non è associata a una ASL: rivolgersi all'amministratore di sicurezza.",
        "2006" => "Indicare il numero di test eseguiti nella giornata: un numero intero da 0 a 1000000.",
        "9001" => "L'utenza non ha il profilo richiesto: rivolgersi all'amministratore di sicurezza della propria ASL.",
        "9100" => "Il servizio non è al momento disponibile: nessun dato è stato registrato, riprovare più tardi.",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_a_page_can_show_has_advice() {
        for code in (1001..=1016).map(|c| c.to_string()) {
            assert!(sierologici(&code).is_some(), "{code}");
        }
        for code in (2001..=2006).map(|c| c.to_string()) {
            assert!(asl(&code).is_some(), "{code}");
        }
        for code in ["9001", "9100"] {
            assert!(sierologici(code).is_some() && asl(code).is_some());
        }
        // Region-only codes never reach a page.
        assert_eq!(sierologici("1017"), None);
        assert_eq!(asl("2009"), None);
    }
}
