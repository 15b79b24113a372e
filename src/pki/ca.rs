//! The gateway CA (rcgen): issues the server certificate, region client certificates and — for
//! demos and tests — national-card style operator certificates, and signs the CRL.
//!
//! Identity conventions read back by `server::peer_identity`:
//! - region: issued by this CA, subject CN `SAR-<3-digit region code>`, OU `SAR`;
//! - operator card: subject serialNumber `TINIT-<CF>` (as on TS-CNS / CNS cards);
//! - the Ministry of Education's system (its MIUR uploads): issued by this CA, subject CN
//!   [`MINISTRY_CN`], OU `MIUR`.

use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, CrlDistributionPoint,
    DistinguishedName, DnType, DnValue, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyIdMethod,
    KeyPair, KeyUsagePurpose, PublicKeyData, RevokedCertParams, SanType, SerialNumber,
};
use time::{Duration, OffsetDateTime};

use crate::domain::{CodiceFiscale, RegionCode};

/// X.520 serialNumber, where national cards carry `TINIT-<CF>`.
pub const OID_SUBJECT_SERIAL_NUMBER: &[u64] = &[2, 5, 4, 5];
/// CN prefix of region client certificates.
pub const REGION_CN_PREFIX: &str = "SAR-";
/// CN of the Ministry of Education's client certificate (its MIUR uploads only).
pub const MINISTRY_CN: &str = "MIUR-SIDI";

pub struct CertificateAuthority {
    issuer: Issuer<'static, KeyPair>,
    cert_pem: String,
    /// Where the CRL is published: named in every certificate issued from now on.
    crl_url: Option<String>,
}

pub enum Subject {
    Server {
        hosts: Vec<String>,
    },
    /// A system the gateway itself authenticates as (e.g. toward the Immuni backend).
    Client {
        name: String,
    },
    Region {
        code: RegionCode,
    },
    /// The Ministry of Education's system, which uploads the MIUR staff files.
    Ministry,
    Operator {
        cf: CodiceFiscale,
        name: String,
    },
}

impl Subject {
    /// What `tsgate certs issue` calls this kind of certificate.
    pub fn kind(&self) -> &'static str {
        match self {
            Subject::Server { .. } => "server",
            Subject::Client { .. } => "client",
            Subject::Region { .. } => "region",
            Subject::Ministry => "ministry",
            Subject::Operator { .. } => "operator",
        }
    }
}

pub struct IssuedCertificate {
    pub cert_pem: String,
    pub key_pem: String,
    /// Hex serial number, as `certs revoke` takes it.
    pub serial_hex: String,
}

/// What a CRL holds: revoked serials (hex) with their revocation times, its number and dates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrlContents {
    pub revoked: Vec<(String, OffsetDateTime)>,
    pub number: u64,
    pub this_update: OffsetDateTime,
    pub next_update: Option<OffsetDateTime>,
}

impl CrlContents {
    pub fn lists(&self, serial: &str) -> bool {
        self.revoked.iter().any(|(s, _)| s == serial)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CaError {
    #[error("certificate generation failed: {0}")]
    Rcgen(#[from] rcgen::Error),
    #[error("invalid serial number '{0}': expected hexadecimal")]
    Serial(String),
    #[error("existing CRL is unreadable: {0}")]
    Crl(String),
    #[error("certificate is unreadable: {0}")]
    Certificate(String),
    #[error("the CA's private key is not the key of its certificate")]
    KeyMismatch,
}

impl CertificateAuthority {
    /// A new CA with a fresh P-256 key, valid ten years.
    pub fn create(name: &str) -> Result<CertificateAuthority, CaError> {
        let key = KeyPair::generate()?;
        let mut params = CertificateParams::default();
        params.distinguished_name = dn(&[
            (DnType::CommonName, name),
            (DnType::OrganizationName, "tsgate"),
        ]);
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        params.not_before = OffsetDateTime::now_utc() - Duration::days(1);
        params.not_after = OffsetDateTime::now_utc() + Duration::days(3650);
        params.serial_number = Some(random_serial());
        params.key_identifier_method = KeyIdMethod::Sha256;
        let cert = params.self_signed(&key)?;
        Ok(CertificateAuthority {
            cert_pem: cert.pem(),
            issuer: Issuer::new(params, key),
            crl_url: None,
        })
    }

    /// The CA of `cert_pem`, signing with `key_pem`; a key that is not the certificate's is
    /// refused (what it signed would not verify).
    pub fn load(cert_pem: &str, key_pem: &str) -> Result<CertificateAuthority, CaError> {
        let key = KeyPair::from_pem(key_pem)?;
        let certificate_key = {
            use rustls_pki_types::pem::PemObject;
            let der = rustls_pki_types::CertificateDer::from_pem_slice(cert_pem.as_bytes())
                .map_err(|e| CaError::Certificate(e.to_string()))?;
            let (_, cert) = x509_parser::parse_x509_certificate(&der)
                .map_err(|e| CaError::Certificate(e.to_string()))?;
            cert.public_key().raw.to_vec()
        };
        if certificate_key != key.subject_public_key_info() {
            return Err(CaError::KeyMismatch);
        }
        Ok(CertificateAuthority {
            issuer: Issuer::from_ca_cert_pem(cert_pem, key)?,
            cert_pem: cert_pem.to_owned(),
            crl_url: None,
        })
    }

    /// Names `url` as the CRL distribution point of the certificates this CA issues from now on.
    pub fn with_crl_url(mut self, url: Option<String>) -> CertificateAuthority {
        self.crl_url = url;
        self
    }

    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    pub fn key_pem(&self) -> String {
        self.issuer.key().serialize_pem()
    }

    /// Issues a certificate valid from yesterday for `valid_days` (negative = already expired,
    /// which tests use).
    pub fn issue(&self, subject: &Subject, valid_days: i64) -> Result<IssuedCertificate, CaError> {
        let now = OffsetDateTime::now_utc();
        let (not_before, not_after) = if valid_days >= 0 {
            (now - Duration::days(1), now + Duration::days(valid_days))
        } else {
            (
                now + Duration::days(valid_days * 2),
                now + Duration::days(valid_days),
            )
        };
        self.issue_between(subject, not_before, not_after)
    }

    pub fn issue_between(
        &self,
        subject: &Subject,
        not_before: OffsetDateTime,
        not_after: OffsetDateTime,
    ) -> Result<IssuedCertificate, CaError> {
        let key = KeyPair::generate()?;
        let mut params = CertificateParams::default();
        params.not_before = not_before;
        params.not_after = not_after;
        let serial = random_serial();
        params.serial_number = Some(serial.clone());
        params.use_authority_key_identifier_extension = true;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        if let Some(url) = &self.crl_url {
            params.crl_distribution_points = vec![CrlDistributionPoint {
                uris: vec![url.clone()],
            }];
        }
        match subject {
            Subject::Server { hosts } => {
                params.distinguished_name = dn(&[(
                    DnType::CommonName,
                    hosts.first().map_or("tsgate", |h| h.as_str()),
                )]);
                params.subject_alt_names = hosts
                    .iter()
                    .map(|h| match h.parse() {
                        Ok(ip) => Ok(SanType::IpAddress(ip)),
                        Err(_) => h.clone().try_into().map(SanType::DnsName),
                    })
                    .collect::<Result<_, _>>()?;
                params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
            }
            Subject::Client { name } => {
                params.distinguished_name = dn(&[
                    (DnType::CommonName, name.as_str()),
                    (DnType::OrganizationName, "tsgate"),
                ]);
                params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
            }
            Subject::Region { code } => {
                params.distinguished_name = dn(&[
                    (DnType::CommonName, &format!("{REGION_CN_PREFIX}{code}")),
                    (DnType::OrganizationalUnitName, "SAR"),
                    (DnType::OrganizationName, "tsgate"),
                ]);
                params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
            }
            Subject::Ministry => {
                params.distinguished_name = dn(&[
                    (DnType::CommonName, MINISTRY_CN),
                    (DnType::OrganizationalUnitName, "MIUR"),
                    (DnType::OrganizationName, "tsgate"),
                ]);
                params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
            }
            Subject::Operator { cf, name } => {
                let mut names = dn(&[(DnType::CommonName, &format!("{cf}/{name}"))]);
                names.push(
                    DnType::CustomDnType(OID_SUBJECT_SERIAL_NUMBER.to_vec()),
                    DnValue::PrintableString(format!("TINIT-{cf}").try_into()?),
                );
                params.distinguished_name = names;
                params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
            }
        }
        let cert = params.signed_by(&key, &self.issuer)?;
        Ok(IssuedCertificate {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            serial_hex: hex::encode(serial.to_bytes()),
        })
    }

    /// Signs a CRL listing `revoked` (hex serials, revoked now), valid for `valid_days`.
    pub fn crl(
        &self,
        revoked: &[String],
        crl_number: u64,
        valid_days: i64,
    ) -> Result<String, CaError> {
        let now = OffsetDateTime::now_utc();
        let revoked: Vec<_> = revoked.iter().map(|s| (s.clone(), now)).collect();
        self.crl_valid_for(&revoked, crl_number, Duration::days(valid_days))
    }

    /// Signs a CRL listing `revoked` (hex serials with their revocation times), valid from
    /// now for `valid_for`.
    pub fn crl_valid_for(
        &self,
        revoked: &[(String, OffsetDateTime)],
        crl_number: u64,
        valid_for: Duration,
    ) -> Result<String, CaError> {
        let now = OffsetDateTime::now_utc();
        let revoked_certs = revoked
            .iter()
            .map(|(serial, at)| {
                let bytes = hex::decode(serial).map_err(|_| CaError::Serial(serial.clone()))?;
                Ok(RevokedCertParams {
                    serial_number: SerialNumber::from_slice(&bytes),
                    revocation_time: *at,
                    reason_code: None,
                    invalidity_date: None,
                })
            })
            .collect::<Result<Vec<_>, CaError>>()?;
        let params = CertificateRevocationListParams {
            this_update: now - Duration::minutes(5),
            next_update: now + valid_for,
            crl_number: SerialNumber::from(crl_number),
            issuing_distribution_point: None,
            revoked_certs,
            key_identifier_method: KeyIdMethod::Sha256,
        };
        Ok(params.signed_by(&self.issuer)?.pem()?)
    }

    /// The same CRL signed again, numbered next and valid from now for `valid_for`: the
    /// revocations and their times are kept.
    pub fn resign_crl(
        &self,
        current: &CrlContents,
        valid_for: Duration,
    ) -> Result<String, CaError> {
        self.crl_valid_for(&current.revoked, current.number + 1, valid_for)
    }
}

/// Reads a PEM CRL (the first of the file): its revoked serials (hex), number and dates.
pub fn read_crl(pem: &str) -> Result<CrlContents, CaError> {
    use rustls_pki_types::pem::PemObject;
    let der = rustls_pki_types::CertificateRevocationListDer::from_pem_slice(pem.as_bytes())
        .map_err(|e| CaError::Crl(e.to_string()))?;
    crl_contents(&der)
}

/// Every CRL of a PEM file, each read as [`read_crl`] reads one.
pub fn read_crls(pem: &str) -> Vec<Result<CrlContents, CaError>> {
    use rustls_pki_types::pem::PemObject;
    rustls_pki_types::CertificateRevocationListDer::pem_slice_iter(pem.as_bytes())
        .map(|der| {
            der.map_err(|e| CaError::Crl(e.to_string()))
                .and_then(|der| crl_contents(&der))
        })
        .collect()
}

fn crl_contents(der: &[u8]) -> Result<CrlContents, CaError> {
    use x509_parser::prelude::FromDer;
    let (_, crl) = x509_parser::revocation_list::CertificateRevocationList::from_der(der)
        .map_err(|e| CaError::Crl(e.to_string()))?;
    let revoked = crl
        .iter_revoked_certificates()
        .map(|r| (hex::encode(r.raw_serial()), r.revocation_date.to_datetime()))
        .collect();
    let number = crl
        .crl_number()
        .and_then(|n| u64::try_from(n).ok())
        .unwrap_or(0);
    Ok(CrlContents {
        revoked,
        number,
        this_update: crl.last_update().to_datetime(),
        next_update: crl.next_update().map(|t| t.to_datetime()),
    })
}

fn dn(parts: &[(DnType, &str)]) -> DistinguishedName {
    let mut names = DistinguishedName::new();
    for (kind, value) in parts {
        names.push(kind.clone(), *value);
    }
    names
}

/// 16 random bytes with the top bit clear: positive, unique enough never to collide.
fn random_serial() -> SerialNumber {
    let mut bytes: [u8; 16] = rand::random();
    bytes[0] &= 0x7f;
    bytes[0] |= 0x01;
    SerialNumber::from_slice(&bytes)
}

/// What the register keeps of a certificate, read from its PEM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateFacts {
    /// Lowercase hex, as `certs revoke` takes it.
    pub serial_hex: String,
    /// The subject DN as printed (`CN=SAR-120, OU=SAR, O=tsgate`).
    pub subject: String,
    /// The issuer's DER-encoded name, to tell which CA issued it.
    pub issuer_der: Vec<u8>,
    /// The region a region certificate names (CN `SAR-<code>`).
    pub region: Option<RegionCode>,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
}

/// Reads the facts of the first certificate of `cert_pem`.
pub fn describe(cert_pem: &str) -> Result<CertificateFacts, CaError> {
    use rustls_pki_types::pem::PemObject;
    let der = rustls_pki_types::CertificateDer::from_pem_slice(cert_pem.as_bytes())
        .map_err(|e| CaError::Certificate(e.to_string()))?;
    let (_, cert) = x509_parser::parse_x509_certificate(&der)
        .map_err(|e| CaError::Certificate(e.to_string()))?;
    let region = cert
        .subject()
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .and_then(|cn| cn.strip_prefix(REGION_CN_PREFIX))
        .and_then(|code| RegionCode::parse(code).ok());
    Ok(CertificateFacts {
        serial_hex: hex::encode(cert.raw_serial()),
        subject: cert.subject().to_string(),
        issuer_der: cert.issuer().as_raw().to_vec(),
        region,
        not_before: cert.validity().not_before.to_datetime(),
        not_after: cert.validity().not_after.to_datetime(),
    })
}

/// The DER-encoded subject name of the first certificate of `cert_pem` (a CA's, to compare
/// with [`CertificateFacts::issuer_der`]).
pub fn subject_der(cert_pem: &str) -> Result<Vec<u8>, CaError> {
    use rustls_pki_types::pem::PemObject;
    let der = rustls_pki_types::CertificateDer::from_pem_slice(cert_pem.as_bytes())
        .map_err(|e| CaError::Certificate(e.to_string()))?;
    let (_, cert) = x509_parser::parse_x509_certificate(&der)
        .map_err(|e| CaError::Certificate(e.to_string()))?;
    Ok(cert.subject().as_raw().to_vec())
}
