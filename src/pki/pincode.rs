//! The pincode encryption key. Callers encrypt their pincode with the public key of the
//! gateway's published certificate (RSA PKCS#1 v1.5, base64), as every Sistema TS service
//! expects; the gateway decrypts. A failed decryption is reported exactly like a wrong pincode.

use aws_lc_rs::rsa::{
    Pkcs1PrivateDecryptingKey, Pkcs1PublicEncryptingKey, PrivateDecryptingKey, PublicEncryptingKey,
};
use base64::Engine;
use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair, PKCS_RSA_SHA256};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::PrivatePkcs8KeyDer;

pub struct PincodeKey {
    key: Pkcs1PrivateDecryptingKey,
}

#[derive(Debug, thiserror::Error)]
pub enum PincodeKeyError {
    #[error("pincode key is not a valid RSA PKCS#8 PEM key")]
    BadKey,
    #[error("pincode certificate generation failed: {0}")]
    Certificate(#[from] rcgen::Error),
}

/// The pincode could not be recovered; deliberately carries no detail.
#[derive(Debug, PartialEq, Eq)]
pub struct Undecryptable;

impl PincodeKey {
    pub fn from_pem(key_pem: &str) -> Result<PincodeKey, PincodeKeyError> {
        let der = PrivatePkcs8KeyDer::from_pem_slice(key_pem.as_bytes())
            .map_err(|_| PincodeKeyError::BadKey)?;
        let key = PrivateDecryptingKey::from_pkcs8(der.secret_pkcs8_der())
            .map_err(|_| PincodeKeyError::BadKey)?;
        let key = Pkcs1PrivateDecryptingKey::new(key).map_err(|_| PincodeKeyError::BadKey)?;
        Ok(PincodeKey { key })
    }

    /// Decrypts the base64 `pinCode` element; trims whitespace (some clients encrypt a newline).
    pub fn decrypt(&self, pin_code_b64: &str) -> Result<String, Undecryptable> {
        let compact: String = pin_code_b64.split_ascii_whitespace().collect();
        let ciphertext = base64::engine::general_purpose::STANDARD
            .decode(compact)
            .map_err(|_| Undecryptable)?;
        if ciphertext.len() != self.key.key_size_bytes() {
            return Err(Undecryptable);
        }
        let mut plaintext = vec![0u8; self.key.min_output_size()];
        let plain = self
            .key
            .decrypt(&ciphertext, &mut plaintext)
            .map_err(|_| Undecryptable)?;
        let text = std::str::from_utf8(plain).map_err(|_| Undecryptable)?;
        Ok(text.trim().to_owned())
    }
}

/// A new 2048-bit pincode key and its self-signed publication certificate (PEM cert, PEM key).
pub fn generate(common_name: &str) -> Result<(String, String), PincodeKeyError> {
    let key = KeyPair::generate_rsa_for(&PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)?;
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, common_name);
    params.distinguished_name = dn;
    params.not_before = time::OffsetDateTime::now_utc() - time::Duration::days(1);
    params.not_after = time::OffsetDateTime::now_utc() + time::Duration::days(3650);
    let cert = params.self_signed(&key)?;
    Ok((cert.pem(), key.serialize_pem()))
}

/// What a client does: encrypt `pincode` with the certificate's public key, base64. Used by the
/// demo's printed examples and by tests.
pub fn encrypt_for_certificate(cert_pem: &str, pincode: &str) -> Result<String, PincodeKeyError> {
    let der = rustls_pki_types::CertificateDer::from_pem_slice(cert_pem.as_bytes())
        .map_err(|_| PincodeKeyError::BadKey)?;
    let (_, cert) =
        x509_parser::parse_x509_certificate(&der).map_err(|_| PincodeKeyError::BadKey)?;
    let spki = cert.tbs_certificate.subject_pki.raw;
    let public = PublicEncryptingKey::from_der(spki).map_err(|_| PincodeKeyError::BadKey)?;
    let public = Pkcs1PublicEncryptingKey::new(public).map_err(|_| PincodeKeyError::BadKey)?;
    let mut out = vec![0u8; public.ciphertext_size()];
    let cipher = public
        .encrypt(pincode.as_bytes(), &mut out)
        .map_err(|_| PincodeKeyError::BadKey)?;
    Ok(base64::engine::general_purpose::STANDARD.encode(cipher))
}
