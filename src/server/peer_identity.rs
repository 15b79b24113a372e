//! Reads who is on the other end of a TLS connection from its verified client certificate, once
//! per connection, as an [`identity::Peer`](Peer). The chain has already been verified by rustls;
//! this only interprets it.

use x509_parser::oid_registry::{OID_X509_COMMON_NAME, OID_X509_SERIALNUMBER};
use x509_parser::prelude::{FromDer, X509Certificate, X509Name};

use crate::domain::{CodiceFiscale, RegionCode};
use crate::identity::Peer;
use crate::pki::ca::{MINISTRY_CN, REGION_CN_PREFIX};

/// Interprets verified client certificates. `gateway_ca_subjects` are the DER subjects of our
/// CA (and, during a rotation, of the CAs being rotated out), so that only certificates we
/// issued can claim to be a region.
#[derive(Clone)]
pub struct PeerIdentityReader {
    gateway_ca_subjects: Vec<Vec<u8>>,
}

impl PeerIdentityReader {
    pub fn new(gateway_ca_der: &[u8]) -> Result<PeerIdentityReader, String> {
        let mut reader = PeerIdentityReader {
            gateway_ca_subjects: Vec::new(),
        };
        reader.also_trust(gateway_ca_der)?;
        Ok(reader)
    }

    /// Reads regions from the certificates of another gateway CA too: one being rotated out
    /// (`tls.previous_client_cas`).
    pub fn also_trust(&mut self, ca_der: &[u8]) -> Result<(), String> {
        let (_, ca) = X509Certificate::from_der(ca_der)
            .map_err(|e| format!("gateway CA certificate: {e}"))?;
        self.gateway_ca_subjects
            .push(ca.subject().as_raw().to_vec());
        Ok(())
    }

    pub fn read(&self, end_entity: Option<&[u8]>) -> Peer {
        let Some(der) = end_entity else {
            return Peer::Anonymous;
        };
        let Ok((_, cert)) = X509Certificate::from_der(der) else {
            return Peer::Unrecognised {
                subject: "(unparseable)".into(),
            };
        };
        let subject = cert.subject();
        if let Some(cf) = first_attribute(subject, &OID_X509_SERIALNUMBER)
            .and_then(|serial| serial.strip_prefix("TINIT-"))
            .and_then(|cf| CodiceFiscale::parse(cf).ok())
        {
            return Peer::Card { cf };
        }
        let issuer = cert.issuer().as_raw();
        if self
            .gateway_ca_subjects
            .iter()
            .any(|s| s.as_slice() == issuer)
        {
            let common_name = first_attribute(subject, &OID_X509_COMMON_NAME);
            if let Some(code) = common_name
                .and_then(|cn| cn.strip_prefix(REGION_CN_PREFIX))
                .and_then(|code| RegionCode::parse(code).ok())
            {
                return Peer::Region { code };
            }
            if common_name == Some(MINISTRY_CN) {
                return Peer::Ministry {
                    serial: hex::encode(cert.raw_serial()),
                };
            }
        }
        Peer::Unrecognised {
            subject: subject.to_string(),
        }
    }
}

fn first_attribute<'a>(
    name: &'a X509Name<'a>,
    oid: &x509_parser::der_parser::Oid<'a>,
) -> Option<&'a str> {
    name.iter_by_oid(oid)
        .next()
        .and_then(|attr| attr.as_str().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::{CertificateAuthority, Subject};
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::CertificateDer;

    fn der(pem: &str) -> Vec<u8> {
        CertificateDer::from_pem_slice(pem.as_bytes())
            .map(|c| c.to_vec())
            .unwrap_or_default()
    }

    #[test]
    fn reads_region_and_card_identities() -> Result<(), Box<dyn std::error::Error>> {
        let ca = CertificateAuthority::create("test CA")?;
        let other = CertificateAuthority::create("other CA")?;
        let reader = PeerIdentityReader::new(&der(ca.cert_pem()))?;
        let code = RegionCode::parse("120")?;
        let region = ca.issue(&Subject::Region { code }, 10)?;
        assert_eq!(
            reader.read(Some(&der(&region.cert_pem))),
            Peer::Region { code }
        );

        let cf = CodiceFiscale::parse("RSSMRA80A01H501U")?;
        let card = other.issue(
            &Subject::Operator {
                cf: cf.clone(),
                name: "Mario Rossi".into(),
            },
            10,
        )?;
        assert_eq!(reader.read(Some(&der(&card.cert_pem))), Peer::Card { cf });

        // The Ministry's certificate, by this CA only.
        let ministry = ca.issue(&Subject::Ministry, 10)?;
        assert_eq!(
            reader.read(Some(&der(&ministry.cert_pem))),
            Peer::Ministry {
                serial: ministry.serial_hex.clone()
            }
        );
        let fake_ministry = other.issue(&Subject::Ministry, 10)?;
        assert!(matches!(
            reader.read(Some(&der(&fake_ministry.cert_pem))),
            Peer::Unrecognised { .. }
        ));

        // A region-looking certificate from another CA is not a region.
        let fake = other.issue(&Subject::Region { code }, 10)?;
        assert!(matches!(
            reader.read(Some(&der(&fake.cert_pem))),
            Peer::Unrecognised { .. }
        ));
        assert_eq!(reader.read(None), Peer::Anonymous);

        // During a CA rotation the old CA's regions are regions too.
        let mut rotating = reader.clone();
        rotating.also_trust(&der(other.cert_pem()))?;
        assert_eq!(
            rotating.read(Some(&der(&fake.cert_pem))),
            Peer::Region { code }
        );
        Ok(())
    }
}
