//! Signed SAML assertions for the tests: the template `tests/envelopes/saml/assertion.template`
//! filled with [`Claims`], and a small signer that reuses the gateway's own exclusive
//! canonicalisation (`tsgate::saml::exc_c14n`). The ignored test `rust_signer_agrees_with_xmlsec1`
//! (tests/api/saml.rs) signs the same template with xmlsec1 and requires the same digest and
//! signature, so this signer cannot drift from a real one.

use std::path::{Path, PathBuf};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, RsaKeyPair};
use base64::Engine;
use chrono::{DateTime, TimeDelta, Utc};
use tsgate::saml::exc_c14n;
use tsgate::saml::tree::{CapturedAssertion, Tree};

use super::request::envelope;

/// The entity id region 120's identity provider signs as, in the tests' configuration.
pub const ISSUER: &str = "https://idp.regione120.example/saml";
/// The end user the valid assertion names (a valid CF that is not a registered user's).
pub const END_USER: &str = "RSSMRA80A01H501U";
pub const SPID_L2: &str = "https://www.spid.gov.it/SpidL2";

/// What the template is filled with.
#[derive(Clone)]
pub struct Claims {
    pub id: String,
    pub issuer: String,
    pub audience: String,
    pub name_id: String,
    pub authn_class: String,
    pub issue_instant: DateTime<Utc>,
    pub not_before: DateTime<Utc>,
    pub not_on_or_after: DateTime<Utc>,
}

impl Claims {
    /// A valid assertion for `audience`, issued now, valid for five minutes.
    pub fn valid(audience: &str) -> Claims {
        Claims::valid_at(audience, Utc::now())
    }

    /// A valid assertion for `audience`, issued at `now` (a test gateway's pinned clock),
    /// valid for five minutes.
    pub fn valid_at(audience: &str, now: DateTime<Utc>) -> Claims {
        Claims {
            id: format!("_{}", uuid::Uuid::new_v4().simple()),
            issuer: ISSUER.to_owned(),
            audience: audience.to_owned(),
            name_id: END_USER.to_owned(),
            authn_class: SPID_L2.to_owned(),
            issue_instant: now,
            not_before: now - TimeDelta::seconds(5),
            not_on_or_after: now + TimeDelta::minutes(5),
        }
    }

    /// The template filled: an Assertion with an empty signature to compute.
    pub fn unsigned(&self) -> String {
        let at = |t: DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
        envelope("saml/assertion.template")
            .replace("{ID}", &self.id)
            .replace("{ISSUER}", &self.issuer)
            .replace("{AUDIENCE}", &self.audience)
            .replace("{NAME_ID}", &self.name_id)
            .replace("{AUTHN_CLASS}", &self.authn_class)
            .replace("{ISSUE_INSTANT}", &at(self.issue_instant))
            .replace("{NOT_BEFORE}", &at(self.not_before))
            .replace("{NOT_ON_OR_AFTER}", &at(self.not_on_or_after))
            .trim_end()
            .to_owned()
    }
}

const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
const ECDSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256";

enum Key {
    Rsa(RsaKeyPair),
    Ecdsa(EcdsaKeyPair),
}

/// A region's signing key (RSA 2048, or ECDSA P-256) and its self-signed certificate.
pub struct Signer {
    pub cert_pem: String,
    pub key_pem: String,
    key: Key,
}

impl Signer {
    /// RSA 2048, signing with rsa-sha256 (the template's method).
    pub fn new() -> Signer {
        Signer::generate(&rcgen::PKCS_RSA_SHA256, |der| {
            Key::Rsa(RsaKeyPair::from_pkcs8(der).expect("PKCS#8 key"))
        })
    }

    /// ECDSA P-256, signing with ecdsa-sha256 (r ‖ s, as XML-DSig 1.1 writes it).
    pub fn ecdsa() -> Signer {
        Signer::generate(&rcgen::PKCS_ECDSA_P256_SHA256, |der| {
            Key::Ecdsa(
                EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, der)
                    .expect("PKCS#8 key"),
            )
        })
    }

    fn generate(algorithm: &'static rcgen::SignatureAlgorithm, key: fn(&[u8]) -> Key) -> Signer {
        let key_pair = rcgen::KeyPair::generate_for(algorithm).expect("key");
        let params =
            rcgen::CertificateParams::new(vec!["idp.regione120.example".to_owned()]).unwrap();
        let cert = params.self_signed(&key_pair).expect("certificate");
        Signer {
            cert_pem: cert.pem(),
            key_pem: key_pair.serialize_pem(),
            key: key(&key_pair.serialize_der()),
        }
    }

    /// Writes `DIR/saml-120.pem` and `DIR/saml-120-key.pem`; returns (certificate, key).
    pub fn write(&self, dir: &Path) -> (PathBuf, PathBuf) {
        std::fs::create_dir_all(dir).unwrap();
        let cert = dir.join("saml-120.pem");
        let key = dir.join("saml-120-key.pem");
        std::fs::write(&cert, &self.cert_pem).unwrap();
        std::fs::write(&key, &self.key_pem).unwrap();
        (cert, key)
    }

    /// `claims` signed.
    pub fn sign_claims(&self, claims: &Claims) -> String {
        self.sign(&claims.unsigned())
    }

    /// Fills the `DigestValue` and `SignatureValue` of `unsigned` (an Assertion with the
    /// template's signature, empty), as xmlsec1 does.
    pub fn sign(&self, unsigned: &str) -> String {
        let method = match self.key {
            Key::Rsa(_) => RSA_SHA256,
            Key::Ecdsa(_) => ECDSA_SHA256,
        };
        let unsigned = &unsigned.replacen(RSA_SHA256, method, 1);
        let tree = parse(unsigned);
        let signature = find(&tree, "Signature");
        let transform_prefixes: Vec<String> = tree
            .elements
            .iter()
            .find(|e| {
                e.local == "InclusiveNamespaces"
                    && e.parent
                        .is_some_and(|p| tree.element(p).local == "Transform")
            })
            .and_then(|e| e.attribute("PrefixList"))
            .map(|list| list.split_whitespace().map(str::to_owned).collect())
            .unwrap_or_default();
        let canonical = exc_c14n::canonicalize(&tree, 0, &transform_prefixes, Some(signature));
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &canonical);
        let with_digest = unsigned.replacen(
            "<ds:DigestValue></ds:DigestValue>",
            &format!("<ds:DigestValue>{}</ds:DigestValue>", b64(digest.as_ref())),
            1,
        );
        let tree = parse(&with_digest);
        let signed_info = find(&tree, "SignedInfo");
        let canonical = exc_c14n::canonicalize(&tree, signed_info, &[], None);
        let value = match &self.key {
            Key::Rsa(key) => {
                let mut value = vec![0; key.public_modulus_len()];
                key.sign(
                    &signature::RSA_PKCS1_SHA256,
                    &SystemRandom::new(),
                    &canonical,
                    &mut value,
                )
                .expect("signature");
                value
            }
            Key::Ecdsa(key) => key
                .sign(&SystemRandom::new(), &canonical)
                .expect("signature")
                .as_ref()
                .to_vec(),
        };
        with_digest.replacen(
            "<ds:SignatureValue></ds:SignatureValue>",
            &format!("<ds:SignatureValue>{}</ds:SignatureValue>", b64(&value)),
            1,
        )
    }
}

/// The text of the first element `local` of `xml`, whitespace removed (base64 values).
pub fn value_of(xml: &str, local: &str) -> String {
    let tree = parse(xml);
    tree.text(find(&tree, local))
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

fn parse(xml: &str) -> Tree {
    Tree::parse(&CapturedAssertion {
        bytes: xml.as_bytes().to_vec(),
        inherited: Vec::new(),
    })
    .expect("the assertion parses")
}

fn find(tree: &Tree, local: &str) -> usize {
    tree.elements
        .iter()
        .position(|e| e.local == local)
        .unwrap_or_else(|| panic!("no {local}"))
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
