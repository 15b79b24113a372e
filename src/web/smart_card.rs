//! Web sessions opened with "Accedi con smart card" last only while the card's certificate is
//! accepted. The session row keeps the chain the connection presented at login (column
//! `card_chain`, PEM, end entity first: public certificates, nothing secret), and each request
//! of that session has it judged again by the TLS layer's verifier in force ([`CardTrust`]): the
//! one every connection's certificate is checked against, rebuilt from the TLS files (the CRLs
//! among them) when they change. So `tsgate certs revoke`, which rewrites the shared `crl.pem`,
//! ends the session on every instance within one reload interval (`tls.reload_interval_ms`),
//! whichever instance the browser's next request reaches: the row is deleted and the browser
//! is sent to the login page, which says why.

use axum::response::Response;
use base64::Engine;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

use super::page;
use super::session;

/// What the TLS layer accepts now.
pub trait CardTrust: Send + Sync {
    /// Why `chain` would be refused now (the label of the reason, as the TLS metrics name it:
    /// `certificate_revoked`, `certificate_expired`, ...), or `None` if it is accepted.
    fn refusal(&self, chain: &[CertificateDer<'static>]) -> Option<&'static str>;
}

/// The chain as the session row keeps it: PEM, end entity first.
pub fn to_pem(chain: &[CertificateDer<'_>]) -> String {
    let mut pem = String::new();
    for certificate in chain {
        let encoded = base64::engine::general_purpose::STANDARD.encode(certificate.as_ref());
        pem.push_str("-----BEGIN CERTIFICATE-----\n");
        for line in encoded.as_bytes().chunks(64) {
            pem.push_str(&String::from_utf8_lossy(line));
            pem.push('\n');
        }
        pem.push_str("-----END CERTIFICATE-----\n");
    }
    pem
}

/// The chain a session row keeps; `None` if it is not one (then the session is ended, as for
/// a refused card).
pub fn from_pem(pem: &str) -> Option<Vec<CertificateDer<'static>>> {
    let chain = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .ok()?;
    (!chain.is_empty()).then_some(chain)
}

/// Why `pem`'s card is no longer accepted by `trust`, if it is not.
pub fn refusal(trust: &dyn CardTrust, pem: &str) -> Option<&'static str> {
    match from_pem(pem) {
        Some(chain) => trust.refusal(&chain),
        None => Some("certificate_invalid"),
    }
}

/// The login page's query values (`fine`) that say why a smart-card session ended.
const REVOKED: &str = "carta-revocata";
const NOT_ACCEPTED: &str = "carta-non-valida";

/// The browser goes to the login page, which says why (`reason` is the refusal's label); with
/// `forget`, it forgets the session cookie too.
pub fn ended(reason: &str, forget: bool) -> Response {
    let to = match reason {
        "certificate_revoked" => "/web/login?fine=carta-revocata",
        _ => "/web/login?fine=carta-non-valida",
    };
    let redirect = page::redirect(to);
    if forget {
        page::with_cookie(redirect, &session::clear_cookie())
    } else {
        redirect
    }
}

/// The login page's message for the query value `code` of [`ended`].
pub fn ended_message(code: &str) -> Option<String> {
    let why = match code {
        REVOKED => "il certificato della smart card con cui era stata aperta è stato revocato",
        NOT_ACCEPTED => "il certificato della smart card con cui era stata aperta non è più valido",
        _ => return None,
    };
    Some(format!(
        "Sessione terminata: {why}. Per continuare accedere di nuovo con una smart card valida \
         oppure con Codice Identificativo e Parola chiave."
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::{CertificateAuthority, Subject};

    struct Refusing(Vec<u8>);

    impl CardTrust for Refusing {
        fn refusal(&self, chain: &[CertificateDer<'static>]) -> Option<&'static str> {
            (chain.first().map(|c| c.as_ref()) == Some(self.0.as_slice()))
                .then_some("certificate_revoked")
        }
    }

    #[test]
    fn the_chain_round_trips_and_a_broken_one_is_refused() -> Result<(), Box<dyn std::error::Error>>
    {
        let ca = CertificateAuthority::create("card CA")?;
        let card = ca.issue(
            &Subject::Operator {
                cf: crate::domain::CodiceFiscale::parse("RSSMRA80A01H501U")?,
                name: "MARIO ROSSI".into(),
            },
            10,
        )?;
        let chain = [
            CertificateDer::from_pem_slice(card.cert_pem.as_bytes())?,
            CertificateDer::from_pem_slice(ca.cert_pem().as_bytes())?,
        ];
        let pem = to_pem(&chain);
        assert_eq!(from_pem(&pem).as_deref(), Some(&chain[..]));
        assert_eq!(from_pem(""), None);
        let trust = Refusing(chain[0].to_vec());
        assert_eq!(refusal(&trust, &pem), Some("certificate_revoked"));
        assert_eq!(refusal(&Refusing(Vec::new()), &pem), None);
        assert_eq!(
            refusal(&trust, "-----BEGIN CERTIFICATE-----\n!!\n"),
            Some("certificate_invalid")
        );
        Ok(())
    }

    #[test]
    fn the_login_page_says_why_in_italian() {
        let revoked = ended("certificate_revoked", true);
        assert_eq!(
            revoked
                .headers()
                .get(http::header::LOCATION)
                .map(|v| v.as_bytes()),
            Some(&b"/web/login?fine=carta-revocata"[..])
        );
        assert!(revoked.headers().get(http::header::SET_COOKIE).is_some());
        let expired = ended("certificate_expired", false);
        assert!(expired.headers().get(http::header::SET_COOKIE).is_none());
        assert!(ended_message(REVOKED).is_some_and(|m| m.contains("revocato")));
        assert!(ended_message(NOT_ACCEPTED).is_some_and(|m| m.contains("non è più valido")));
        assert_eq!(ended_message("<script>"), None);
    }
}
